#include "services/matching/matching_service.h"

#include <mutex>

#include "common/errors.h"
#include "tern/matchingservice/v1/service.grpc.pb.h"

namespace tern::matching {
namespace {

// A long poll's (or a query's) reactor: forwards the caller's cancellation to the engine. Owns
// itself until gRPC calls OnDone. OnCancel only runs after the handler returned the reactor, by
// which time the handle is set.
class PollReactor final : public grpc::ServerUnaryReactor {
 public:
  void SetHandle(std::shared_ptr<PollHandle> handle) {
    std::lock_guard lock(mu_);
    handle_ = std::move(handle);
  }
  void OnCancel() override {
    std::shared_ptr<PollHandle> handle;
    {
      std::lock_guard lock(mu_);
      handle = handle_;
    }
    if (handle) handle->Cancel();
  }
  void OnDone() override { delete this; }

 private:
  std::mutex mu_;
  std::shared_ptr<PollHandle> handle_;
};

template <typename Response>
client::Callback<Response> Finisher(grpc::ServerUnaryReactor* reactor, Response* out) {
  // Runs once; the reactor and `out` stay valid until Finish() is called.
  return [reactor, out](absl::StatusOr<Response> result) {
    if (result.ok()) *out = *std::move(result);
    reactor->Finish(ToGrpcStatus(result.status()));
  };
}

}  // namespace

class MatchingService::Handler final
    : public tern::matchingservice::v1::MatchingService::CallbackService {
 public:
  explicit Handler(MatchingEngine& engine) : engine_(engine) {}

  grpc::ServerUnaryReactor* AddWorkflowTask(grpc::CallbackServerContext* ctx,
                                            const ms::AddWorkflowTaskRequest* request,
                                            ms::AddWorkflowTaskResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.AddWorkflowTask(*request, ctx->deadline(), Finisher(reactor, response));
    return reactor;
  }

  grpc::ServerUnaryReactor* AddActivityTask(grpc::CallbackServerContext* ctx,
                                            const ms::AddActivityTaskRequest* request,
                                            ms::AddActivityTaskResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.AddActivityTask(*request, ctx->deadline(), Finisher(reactor, response));
    return reactor;
  }

  grpc::ServerUnaryReactor* PollWorkflowTaskQueue(
      grpc::CallbackServerContext* ctx, const ms::PollWorkflowTaskQueueRequest* request,
      ws::PollWorkflowTaskQueueResponse* response) override {
    auto* reactor = new PollReactor();
    reactor->SetHandle(
        engine_.PollWorkflowTaskQueue(*request, ctx->deadline(), Finisher(reactor, response)));
    return reactor;
  }

  grpc::ServerUnaryReactor* PollActivityTaskQueue(
      grpc::CallbackServerContext* ctx, const ms::PollActivityTaskQueueRequest* request,
      ws::PollActivityTaskQueueResponse* response) override {
    auto* reactor = new PollReactor();
    reactor->SetHandle(
        engine_.PollActivityTaskQueue(*request, ctx->deadline(), Finisher(reactor, response)));
    return reactor;
  }

  grpc::ServerUnaryReactor* QueryWorkflow(grpc::CallbackServerContext* ctx,
                                          const ms::QueryWorkflowRequest* request,
                                          ms::QueryWorkflowResponse* response) override {
    auto* reactor = new PollReactor();
    reactor->SetHandle(
        engine_.QueryWorkflow(*request, ctx->deadline(), Finisher(reactor, response)));
    return reactor;
  }

  grpc::ServerUnaryReactor* RespondQueryTaskCompleted(
      grpc::CallbackServerContext* ctx, const ms::RespondQueryTaskCompletedRequest* request,
      ms::RespondQueryTaskCompletedResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.RespondQueryTaskCompleted(*request, Finisher(reactor, response));
    return reactor;
  }

  grpc::ServerUnaryReactor* DescribeTaskQueuePartition(
      grpc::CallbackServerContext* ctx, const ms::DescribeTaskQueuePartitionRequest* request,
      ms::DescribeTaskQueuePartitionResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.DescribeTaskQueuePartition(*request, Finisher(reactor, response));
    return reactor;
  }

  grpc::ServerUnaryReactor* ReleaseStickyTaskQueue(
      grpc::CallbackServerContext* ctx, const ms::ReleaseStickyTaskQueueRequest* request,
      ms::ReleaseStickyTaskQueueResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.ReleaseStickyTaskQueue(request->namespace_id(), request->task_queue());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  MatchingEngine& engine_;
};

MatchingService::MatchingService(const Config& config,
                                 std::shared_ptr<persistence::TaskStore> store,
                                 Membership& membership, client::HistoryClient& history,
                                 client::MatchingClient& matching, Executor& blocking_executor,
                                 Executor& timer_executor, std::string self_address,
                                 std::function<std::string(const std::string&)> namespace_name)
    : MatchingService(
          [&] {
            auto options = EngineOptions::FromConfig(config, std::move(self_address));
            options.namespace_name = std::move(namespace_name);
            return options;
          }(),
          std::move(store), membership, history, matching, blocking_executor, timer_executor,
          SystemClock::Instance()) {}

MatchingService::MatchingService(EngineOptions options,
                                 std::shared_ptr<persistence::TaskStore> store,
                                 Membership& membership, client::HistoryClient& history,
                                 client::MatchingClient& matching, Executor& blocking_executor,
                                 Executor& timer_executor, const Clock& clock)
    : membership_(membership) {
  engine_ = MatchingEngine::Create(
      std::move(options), std::move(store),
      [&membership](const std::string& key) {
        return membership.Ring(Membership::Role::kMatching)->Lookup(key);
      },
      history, matching, blocking_executor, timer_executor, clock);
  handler_ = std::make_unique<Handler>(*engine_);
}

MatchingService::~MatchingService() { Stop(); }

grpc::Service* MatchingService::GrpcService() { return handler_.get(); }

void MatchingService::Start() {
  // Membership has no unsubscribe: the listener must not outlive the engine's weak reference.
  std::weak_ptr<MatchingEngine> weak = engine_;
  membership_.Subscribe(Membership::Role::kMatching, [weak](std::shared_ptr<const HashRing>) {
    if (auto engine = weak.lock()) engine->OnRingChanged();
  });
  engine_->Start();
}

void MatchingService::Stop() { engine_->Stop(); }

}  // namespace tern::matching
