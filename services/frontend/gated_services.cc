#include "services/frontend/gated_services.h"

#include "absl/container/flat_hash_set.h"
#include "services/frontend/frontend_service.h"
#include "services/frontend/gated_call.h"

namespace tern::frontend {
namespace {

// One call carried by gRPC's callback server: gRPC's reactor for it, handing its callbacks to the
// frontend's reactor.
class GrpcCall final : public grpc::ServerUnaryReactor, public CallTransport {
 public:
  explicit GrpcCall(const grpc::CallbackServerContext& ctx) : ctx_(ctx) {}

  std::chrono::system_clock::time_point deadline() const override { return ctx_.deadline(); }
  std::string_view header(std::string_view name) const override {
    const auto& metadata = ctx_.client_metadata();
    auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
    return it == metadata.end() ? std::string_view()
                                : std::string_view(it->second.data(), it->second.size());
  }
  std::string peer() const override { return ctx_.peer(); }
  std::string certificate_common_name() const override {
    auto auth = ctx_.auth_context();
    if (!auth) return "";
    auto names = auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME);
    return names.empty() ? "" : std::string(names.front().data(), names.front().size());
  }

  void Bind(Reactor* reactor) override { reactor_ = reactor; }
  void Answer(const grpc::Status& status) override { Finish(status); }

  void OnCancel() override { reactor_->OnCancel(); }
  void OnDone() override {
    reactor_->OnDone();
    delete this;
  }
  // The reactions are short (call_reactor.h), so gRPC runs them on the thread where the call
  // ended (as it does for its own default reactor) instead of waking one of its executor threads
  // per call.
  bool InternalInlineable() override { return true; }

 private:
  const grpc::CallbackServerContext& ctx_;
  Reactor* reactor_ = nullptr;
};

template <typename Request, typename Run>
grpc::ServerUnaryReactor* Gate(RequestGate& gate, grpc::CallbackServerContext* ctx,
                               const MethodAccess& method, const Request* request, Run run) {
  auto* call = new GrpcCall(*ctx);
  GateCall(gate, *call, method, *request, run);
  return call;
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
