// FrontendService: tern-frontend's public surface, assembled for the composition root.
//
// Usage (composition root), on the h2 server (the default transport):
//   FrontendService frontend(config, stores.namespaces, history_client, matching_client,
//                            blocking_executor);
//   auto server = h2::Server::Start(options, frontend.H2Handler());
//   frontend.Start();                                   // namespace cache + SERVING
//   ... SIGTERM ...
//   frontend.Stop();         // NOT_SERVING, parked polls answered empty, forwarded calls
//                            // cancelled (UNAVAILABLE)
//   server->Shutdown(deadline);                          // in-flight calls finish
//   blocking_executor.Stop();                            // only after the server is down
//   // destroy frontend after the server
// On gRPC's server (transport: grpc), register GrpcServices() with the ServerBuilder (after
// grpc::EnableDefaultHealthCheckService(true)) and AttachServer() the built server.
//
// Stop() forgets the server after reporting NOT_SERVING, and the destructor never touches it, so
// the server may be destroyed any time after Stop().
//
// Health (grpc.health.v1) of "", "temporal.api.workflowservice.v1.WorkflowService" and
// "temporal.api.operatorservice.v1.OperatorService": NOT_SERVING until Start(), and again after
// Stop(); SetServing() overrides it in between. The h2 handler answers Check from that state; on
// gRPC's server it is set through the server's default health service (without AttachServer, or
// without the default health service enabled, the calls only record the desired state).
//
// Threading: Start/Stop/AttachServer/SetServing from the owning thread; the services are used by
// the server's threads. The blocking executor runs namespace RPCs and namespace loads (store calls)
// and must keep running until the server has shut down.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/config.h"
#include "common/executor.h"
#include "h2/server.h"
#include "persistence/batch_operation_store.h"
#include "persistence/namespace_cache.h"
#include "persistence/schedule_store.h"
#include "persistence/store.h"
#include "persistence/visibility_store.h"
#include "services/frontend/audit_log.h"
#include "services/frontend/authenticator.h"
#include "services/frontend/request_gate.h"

namespace tern::frontend {

class NamespaceHandler;
class OperatorHandler;
class RateLimiter;
class VisibilityHandler;
class PollRegistry;
class ForwardedCalls;
class WorkflowHandler;

inline constexpr char kWorkflowServiceName[] = "temporal.api.workflowservice.v1.WorkflowService";
inline constexpr char kOperatorServiceName[] = "temporal.api.operatorservice.v1.OperatorService";

// Who may call, and where their admin calls are recorded (request_gate.h).
struct FrontendSecurity {
  std::shared_ptr<Authenticator> authenticator;  // null: authorization off
  std::shared_ptr<AuditLog> audit;               // null: standard output
};

class FrontendService {
 public:
  // `cache` is the process's view of `namespaces`, started and stopped by the caller.
  // `observe_calls` is told of every answered call of api_methods.h (the request metrics).
  FrontendService(const Config& config, std::shared_ptr<persistence::NamespaceStore> namespaces,
                  std::shared_ptr<persistence::NamespaceCache> cache,
                  client::HistoryClient& history, client::MatchingClient& matching,
                  Executor& blocking_executor,
                  std::shared_ptr<persistence::VisibilityStore> visibility = nullptr,
                  FrontendSecurity security = {},
                  std::shared_ptr<persistence::ScheduleStore> schedules = nullptr,
                  std::shared_ptr<persistence::BatchOperationStore> batch_operations = nullptr,
                  CallObserver observe_calls = nullptr);
  ~FrontendService();
  FrontendService(const FrontendService&) = delete;
  FrontendService& operator=(const FrontendService&) = delete;

  // WorkflowService and OperatorService. Owned by this object; register them with the
  // ServerBuilder. Without a visibility store the list and count RPCs answer UNIMPLEMENTED.
  // Their calls are recorded by the gate (request_gate.h): a request interceptor on the same
  // server must leave them out (IsGatedMethod, gated_services.h).
  std::vector<grpc::Service*> GrpcServices();
  // The same services, with health and UNIMPLEMENTED for other paths, as the handler of an
  // h2::Server (h2_services.h): the frontend's port on services.frontend.rpc.transport h2. Its
  // health is the serving state SetServing sets; no server needs attaching.
  h2::Handler H2Handler();

  // The built server, whose default health service reports our status. Applies the current
  // serving state at once.
  void AttachServer(grpc::Server* server);
  void SetServing(bool serving);

  // Starts refreshing the JWT keys (when authorization is on) and reports SERVING.
  void Start();
  // Reports NOT_SERVING (then forgets the server), answers every parked poll with the empty
  // response (new polls too), and cancels every other call still waiting on history or
  // matching with UNAVAILABLE (new ones too), so the server's shutdown never waits for a call
  // retrying an unreachable host. Idempotent.
  void Stop();

 private:
  void ApplyHealthLocked();
  std::optional<bool> Serving(std::string_view service);

  Config config_;
  FrontendSecurity security_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<RequestGate> gate_;
  CallObserver observe_calls_;
  std::shared_ptr<persistence::NamespaceCache> cache_;
  std::shared_ptr<NamespaceHandler> namespaces_;
  std::shared_ptr<VisibilityHandler> visibility_;
  std::unique_ptr<PollRegistry> polls_;
  std::unique_ptr<ForwardedCalls> forwarded_;
  std::unique_ptr<WorkflowHandler> workflow_;
  std::unique_ptr<OperatorHandler> operator_;
  std::unique_ptr<grpc::Service> gated_workflow_;
  std::unique_ptr<grpc::Service> gated_operator_;

  std::mutex mu_;
  grpc::Server* server_ = nullptr;
  bool serving_ = false;
};

}  // namespace tern::frontend
