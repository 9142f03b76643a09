#include "services/frontend/frontend_service.h"

#include <spdlog/spdlog.h>

#include <random>

#include "persistence/namespace_cache.h"
#include "services/frontend/call_reactor.h"
#include "services/frontend/gated_services.h"
#include "services/frontend/h2_services.h"
#include "services/frontend/namespace_handler.h"
#include "services/frontend/rate_limiter.h"
#include "services/frontend/request_gate.h"
#include "services/frontend/visibility_handler.h"
#include "services/frontend/workflow_handler.h"
#include "temporal/api/operatorservice/v1/service.grpc.pb.h"

namespace tern::frontend {
namespace {

uint64_t ThreadRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace

FrontendService::FrontendService(
    const Config& config, std::shared_ptr<persistence::NamespaceStore> namespaces,
    std::shared_ptr<NamespaceCache> cache, client::HistoryClient& history,
    client::MatchingClient& matching, Executor& blocking_executor,
    std::shared_ptr<persistence::VisibilityStore> visibility, FrontendSecurity security,
    std::shared_ptr<persistence::ScheduleStore> schedules,
    std::shared_ptr<persistence::BatchOperationStore> batch_operations, CallObserver observe_calls)
    : config_(config),
      security_(std::move(security)),
      limiter_(std::make_unique<RateLimiter>(config_.dynamic, SystemClock::Instance())),
      cache_(std::move(cache)),
      namespaces_(std::make_shared<NamespaceHandler>(config_, namespaces, cache_)),
      visibility_(std::make_shared<VisibilityHandler>(visibility, cache_)),
      polls_(std::make_unique<PollRegistry>()),
      forwarded_(std::make_unique<ForwardedCalls>()),
      workflow_(std::make_unique<WorkflowHandler>(
          config_, cache_, namespaces_, history, matching, blocking_executor, *polls_, *forwarded_,
          *limiter_, SystemClock::Instance(), ThreadRandom, visibility_,
          std::make_shared<ScheduleHandler>(config_, std::move(schedules), visibility,
                                            SystemClock::Instance()),
          std::make_shared<BatchHandler>(config_, std::move(batch_operations), visibility,
                                         SystemClock::Instance()))),
      operator_(std::make_unique<OperatorHandler>(namespaces, cache_, namespaces_,
                                                  std::move(visibility), blocking_executor)) {
  if (!security_.audit) security_.audit = *AuditLog::Open(AuditConfig{});  // standard output
  observe_calls_ = observe_calls;
  gate_ = std::make_unique<RequestGate>(security_.authenticator, *limiter_, *security_.audit,
                                        std::move(observe_calls));
  gated_workflow_ = std::make_unique<GatedWorkflowService>(*workflow_, *gate_);
  gated_operator_ = std::make_unique<GatedOperatorService>(*operator_, *gate_);
}

FrontendService::~FrontendService() {
  {
    // The server is usually destroyed first; never touch it from here.
    std::lock_guard lock(mu_);
    server_ = nullptr;
  }
  Stop();
}

std::vector<grpc::Service*> FrontendService::GrpcServices() {
  return {gated_workflow_.get(), gated_operator_.get()};
}

h2::Handler FrontendService::H2Handler() {
  return NewH2Handler({*workflow_, *operator_, *gate_,
                       [this](std::string_view service) { return Serving(service); },
                       observe_calls_});
}

std::optional<bool> FrontendService::Serving(std::string_view service) {
  if (!service.empty() && service != kWorkflowServiceName && service != kOperatorServiceName) {
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  return serving_;
}

void FrontendService::AttachServer(grpc::Server* server) {
  std::lock_guard lock(mu_);
  server_ = server;
  ApplyHealthLocked();
}

void FrontendService::SetServing(bool serving) {
  std::lock_guard lock(mu_);
  serving_ = serving;
  ApplyHealthLocked();
}

void FrontendService::ApplyHealthLocked() {
  if (server_ == nullptr) return;
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) {
    spdlog::warn("frontend: the gRPC default health service is not enabled; health not reported");
    return;
  }
  for (const char* name : {"", kWorkflowServiceName, kOperatorServiceName}) {
    health->SetServingStatus(name, serving_);
  }
}

void FrontendService::Start() {
  if (security_.authenticator) security_.authenticator->Start();
  SetServing(true);
}

void FrontendService::Stop() {
  {
    std::lock_guard lock(mu_);
    serving_ = false;
    ApplyHealthLocked();
    server_ = nullptr;
  }
  polls_->Stop();
  forwarded_->Stop();
  if (security_.authenticator) security_.authenticator->Stop();
}

}  // namespace tern::frontend
