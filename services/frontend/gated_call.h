// GateCall: how every frontend call starts, whichever server carries it (gated_services.h for
// gRPC, h2_services.h for the h2 server): the gate records and admits it (request_gate.h), then
// the handler runs with the call's CallContext, and the reactor it returns is bound to the
// transport. A refused call is answered with the gate's status without reaching the handler.
#pragma once

#include "common/errors.h"
#include "services/frontend/call_reactor.h"
#include "services/frontend/call_transport.h"
#include "services/frontend/request_gate.h"

namespace tern::frontend {
namespace gated_call_internal {

// The request's namespace, "" for calls about none (GetSystemInfo, ListNamespaces, ...).
template <typename Request>
absl::string_view NamespaceOf(const Request& request) {
  if constexpr (requires { request.namespace_(); }) {
    return request.namespace_();
  } else {
    return {};
  }
}

// A history read that does not wait for new events is an ordinary call.
template <typename Request>
MethodAccess AccessOf(MethodAccess method, const Request& request) {
  if constexpr (requires { request.wait_new_event(); }) {
    if (!request.wait_new_event()) method.kind = CallKind::kCall;
  }
  return method;
}

}  // namespace gated_call_internal

// `run(CallContext*)` is the handler's method for the call; it returns the call's reactor.
template <typename Request, typename Run>
void GateCall(RequestGate& gate, CallTransport& transport, const MethodAccess& method,
              const Request& request, Run run) {
  using gated_call_internal::AccessOf;
  using gated_call_internal::NamespaceOf;
  const absl::string_view namespace_name = NamespaceOf(request);
  CallContext call(transport, gate.Begin(transport, method, request, namespace_name), gate);
  Reactor* reactor;
  if (absl::Status refused =
          gate.Admit(transport, AccessOf(method, request), request, namespace_name);
      !refused.ok()) {
    reactor = call.DefaultReactor();
    reactor->Finish(ToGrpcStatus(refused));
  } else {
    reactor = run(&call);
  }
  transport.Bind(reactor);
}

}  // namespace tern::frontend
