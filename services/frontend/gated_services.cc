#include "services/frontend/gated_services.h"

#include "absl/container/flat_hash_set.h"
#include "common/errors.h"
#include "services/frontend/call_reactor.h"
#include "services/frontend/frontend_service.h"

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
  const absl::string_view namespace_name = NamespaceOf(*request);
  CallContext call(*ctx, gate.Begin(*ctx, method, *request, namespace_name), gate);
  if (absl::Status refused = gate.Admit(*ctx, AccessOf(method, *request), *request, namespace_name);
      !refused.ok()) {
    Reactor* reactor = call.DefaultReactor();
    reactor->Finish(ToGrpcStatus(refused));
    return reactor->grpc();
  }
  return run(&call)->grpc();
}

}  // namespace

bool IsGatedMethod(std::string_view path) {
  static const auto* paths = [] {
    auto* set = new absl::flat_hash_set<std::string>;
#define TERN_GATED_PATH(Service, Method, role, kind) \
  set->insert(std::string("/") + Service + "/" #Method);
#define TERN_GATED_WORKFLOW_PATH(Method, role, kind) \
  TERN_GATED_PATH(kWorkflowServiceName, Method, role, kind)
#define TERN_GATED_OPERATOR_PATH(Method, role, kind) \
  TERN_GATED_PATH(kOperatorServiceName, Method, role, kind)
    TERN_WORKFLOW_SERVICE_METHODS(TERN_GATED_WORKFLOW_PATH)
    TERN_OPERATOR_SERVICE_METHODS(TERN_GATED_OPERATOR_PATH)
#undef TERN_GATED_OPERATOR_PATH
#undef TERN_GATED_WORKFLOW_PATH
#undef TERN_GATED_PATH
    return set;
  }();
  return paths->contains(absl::string_view(path.data(), path.size()));
}

#define TERN_GATED_DEFINITION(Class, Package, Method, role, kind)                           \
  grpc::ServerUnaryReactor* Class::Method(grpc::CallbackServerContext* ctx,                 \
                                          const Package::Method##Request* request,          \
                                          Package::Method##Response* response) {            \
    static constexpr MethodAccess kAccess{#Method, Role::role, CallKind::kind};             \
    return Gate(gate_, ctx, kAccess, request,                                               \
                [&](CallContext* call) { return inner_.Method(call, request, response); }); \
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
