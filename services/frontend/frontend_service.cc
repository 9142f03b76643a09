#include "services/frontend/frontend_service.h"

#include <spdlog/spdlog.h>

#include <random>

#include "persistence/namespace_cache.h"
#include "services/frontend/call_reactor.h"
#include "services/frontend/namespace_handler.h"
#include "services/frontend/operator_handler.h"
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

FrontendService::FrontendService(const Config& config,
                                 std::shared_ptr<persistence::NamespaceStore> namespaces,
                                 std::shared_ptr<NamespaceCache> cache,
                                 client::HistoryClient& history, client::MatchingClient& matching,
                                 Executor& blocking_executor,
                                 std::shared_ptr<persistence::VisibilityStore> visibility)
    : config_(config),
      cache_(std::move(cache)),
      namespaces_(std::make_shared<NamespaceHandler>(config_, namespaces, cache_)),
      visibility_(std::make_shared<VisibilityHandler>(visibility, cache_)),
      polls_(std::make_unique<PollRegistry>()),
      workflow_(std::make_unique<WorkflowHandler>(
          config_, cache_, namespaces_, history, matching, blocking_executor, *polls_,
          SystemClock::Instance(), ThreadRandom, visibility_)),
      operator_(std::make_unique<OperatorHandler>(namespaces, cache_, namespaces_,
                                                  std::move(visibility), blocking_executor)) {}

FrontendService::~FrontendService() {
  {
    // The server is usually destroyed first; never touch it from here.
    std::lock_guard lock(mu_);
    server_ = nullptr;
  }
  Stop();
}

std::vector<grpc::Service*> FrontendService::GrpcServices() {
  return {workflow_.get(), operator_.get()};
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

void FrontendService::Start() { SetServing(true); }

void FrontendService::Stop() {
  {
    std::lock_guard lock(mu_);
    serving_ = false;
    ApplyHealthLocked();
    server_ = nullptr;
  }
  polls_->Stop();
}

}  // namespace tern::frontend
