#include "services/frontend/gated_services.h"

#include "common/errors.h"

namespace tern::frontend {
namespace {

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

template <typename Request, typename Run>
grpc::ServerUnaryReactor* Gate(RequestGate& gate, grpc::CallbackServerContext* ctx,
                               const MethodAccess& method, const Request* request, Run run) {
  if (absl::Status refused =
          gate.Admit(*ctx, AccessOf(method, *request), *request, NamespaceOf(*request));
      !refused.ok()) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpcStatus(refused));
    return reactor;
  }
  return run();
}

}  // namespace

#define TERN_GATED_DEFINITION(Class, Package, Method, role, kind)                  \
  grpc::ServerUnaryReactor* Class::Method(grpc::CallbackServerContext* ctx,        \
                                          const Package::Method##Request* request, \
                                          Package::Method##Response* response) {   \
    static constexpr MethodAccess kAccess{#Method, Role::role, CallKind::kind};    \
    return Gate(gate_, ctx, kAccess, request,                                      \
                [&] { return inner_.Method(ctx, request, response); });            \
  }
#define TERN_GATED_WORKFLOW_DEFINITION(Method, role, kind)                                      \
  TERN_GATED_DEFINITION(GatedWorkflowService, temporal::api::workflowservice::v1, Method, role, \
                        kind)
#define TERN_GATED_OPERATOR_DEFINITION(Method, role, kind)                                      \
  TERN_GATED_DEFINITION(GatedOperatorService, temporal::api::operatorservice::v1, Method, role, \
                        kind)

TERN_WORKFLOW_SERVICE_METHODS(TERN_GATED_WORKFLOW_DEFINITION)
TERN_OPERATOR_SERVICE_METHODS(TERN_GATED_OPERATOR_DEFINITION)

}  // namespace tern::frontend
