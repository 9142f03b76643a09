#include "services/frontend/h2_services.h"

#include <google/protobuf/unknown_field_set.h>

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/frontend/api_methods.h"
#include "services/frontend/frontend_service.h"
#include "services/frontend/gated_call.h"

namespace tern::frontend {
namespace {

// One call carried by the h2 server. It hands the server's cancellation to the call's reactor and
// runs the reactor's OnDone once the call is answered, the reactor bound, and no OnCancel
// running (call_transport.h), whichever of the three comes last.
class H2Call : public CallTransport, public std::enable_shared_from_this<H2Call> {
 public:
  explicit H2Call(std::shared_ptr<h2::Call> call) : call_(std::move(call)) {}
  virtual ~H2Call() = default;

  std::chrono::system_clock::time_point deadline() const override { return call_->deadline(); }
  std::string_view header(std::string_view name) const override { return call_->header(name); }
  std::string peer() const override { return call_->peer(); }
  std::string certificate_common_name() const override { return call_->certificate_common_name(); }

  void Bind(Reactor* reactor) override {
    bool answered;
    {
      std::lock_guard lock(mu_);
      reactor_ = reactor;
      answered = answered_;
      if (!answered) self_ = shared_from_this();  // until the call is done
    }
    if (answered) {
      reactor->OnDone();
      return;
    }
    call_->OnCancel([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->Cancelled();
    });
  }

  void Answer(const grpc::Status& status) override {
    call_->Answer(status, status.ok() ? response().SerializeAsString() : std::string());
    bool done;
    {
      std::lock_guard lock(mu_);
      answered_ = true;
      done = reactor_ != nullptr && !cancelling_;
    }
    if (done) Done();
  }

 protected:
  virtual const google::protobuf::Message& response() const = 0;

 private:
  void Cancelled() {
    {
      std::lock_guard lock(mu_);
      if (answered_ || reactor_ == nullptr) return;
      cancelling_ = true;
    }
    reactor_->OnCancel();
    bool done;
    {
      std::lock_guard lock(mu_);
      cancelling_ = false;
      done = answered_;
    }
    if (done) Done();
  }

  void Done() {
    std::shared_ptr<H2Call> keep;  // *this lives until the end of this function
    {
      std::lock_guard lock(mu_);
      keep = std::move(self_);
    }
    reactor_->OnDone();
  }

  const std::shared_ptr<h2::Call> call_;
  std::mutex mu_;
  Reactor* reactor_ = nullptr;
  bool answered_ = false;
  bool cancelling_ = false;
  std::shared_ptr<H2Call> self_;
};

template <typename Request, typename Response>
class H2MethodCall final : public H2Call {
 public:
  using H2Call::H2Call;
  Request request;
  Response mutable_response;

 private:
  const google::protobuf::Message& response() const override { return mutable_response; }
};

using Route = std::function<void(std::shared_ptr<h2::Call>)>;

template <typename Request, typename Response, typename Run>
void Serve(std::shared_ptr<h2::Call> call, RequestGate& gate, const MethodAccess& method, Run run) {
  auto served = std::make_shared<H2MethodCall<Request, Response>>(call);
  if (!served->request.ParseFromString(call->request())) {
    call->Answer(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("the request is not a valid ",
                                           Request::descriptor()->full_name(), " message")),
                 "");
    return;
  }
  GateCall(gate, *served, method, served->request,
           [&](CallContext* ctx) { return run(ctx, &served->request, &served->mutable_response); });
}

// grpc.health.v1: HealthCheckRequest{string service = 1}, HealthCheckResponse{ServingStatus
// status = 1} with SERVING = 1, NOT_SERVING = 2. Two fields, read and written by hand.
void ServeHealthCheck(const h2::Call& call, const H2Services& services, grpc::Status* status,
                      std::string* response) {
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(call.request())) {
    *status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           "the request is not a valid grpc.health.v1.HealthCheckRequest");
    return;
  }
  std::string service;
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& field = fields.field(i);
    if (field.number() == 1 &&
        field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      service = field.length_delimited();
    }
  }
  std::optional<bool> serving = services.health(service);
  if (!serving) {
    *status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                           absl::StrCat("no health status for service \"", service, "\""));
    return;
  }
  *response = std::string{'\x08', *serving ? '\x01' : '\x02'};
}

// The method name of a path ("/package.Service/Method" -> "Method").
std::string_view MethodOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

h2::Handler NewH2Handler(H2Services services) {
  auto routes = std::make_shared<absl::flat_hash_map<std::string, Route>>();
  WorkflowHandler* workflow = &services.workflow;
  OperatorHandler* operator_service = &services.operator_service;
  RequestGate* gate = &services.gate;
#define TERN_H2_ROUTE(Service, Package, handler, Method, role, kind)                            \
  (*routes)[absl::StrCat("/", Service, "/" #Method)] = [handler,                                \
                                                        gate](std::shared_ptr<h2::Call> call) { \
    static constexpr MethodAccess kAccess{#Method, Role::role, CallKind::kind};                 \
    Serve<Package::Method##Request, Package::Method##Response>(                                 \
        std::move(call), *gate, kAccess,                                                        \
        [handler](CallContext* ctx, const Package::Method##Request* request,                    \
                  Package::Method##Response* response) {                                        \
          return handler->Method(ctx, request, response);                                       \
        });                                                                                     \
  };
#define TERN_H2_WORKFLOW_ROUTE(Method, role, kind)                                                \
  TERN_H2_ROUTE(kWorkflowServiceName, temporal::api::workflowservice::v1, workflow, Method, role, \
                kind)
#define TERN_H2_OPERATOR_ROUTE(Method, role, kind)                                          \
  TERN_H2_ROUTE(kOperatorServiceName, temporal::api::operatorservice::v1, operator_service, \
                Method, role, kind)
  TERN_WORKFLOW_SERVICE_METHODS(TERN_H2_WORKFLOW_ROUTE)
  TERN_OPERATOR_SERVICE_METHODS(TERN_H2_OPERATOR_ROUTE)
#undef TERN_H2_OPERATOR_ROUTE
#undef TERN_H2_WORKFLOW_ROUTE
#undef TERN_H2_ROUTE
  (*routes)["/grpc.health.v1.Health/Check"] = [services](std::shared_ptr<h2::Call> call) {
    grpc::Status status;
    std::string response;
    ServeHealthCheck(*call, services, &status, &response);
    call->Answer(status, std::move(response));
  };
  return [routes, services](std::shared_ptr<h2::Call> call) {
    if (auto route = routes->find(call->path()); route != routes->end()) {
      route->second(std::move(call));
      return;
    }
    const std::string_view method = MethodOf(call->path());
    grpc::Status unimplemented(grpc::StatusCode::UNIMPLEMENTED,
                               absl::StrCat("unknown method ", call->path()));
    call->Answer(unimplemented, "");
    if (services.unimplemented) {
      services.unimplemented(method, "", absl::UnimplementedError(unimplemented.error_message()),
                             0);
    }
  };
}

}  // namespace tern::frontend
