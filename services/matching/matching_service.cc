#include "services/matching/matching_service.h"

#include <mutex>

#include "common/errors.h"
#include "tern/matchingservice/v1/service.grpc.pb.h"

namespace tern::matching {
namespace {

// A long poll's (or a query's) reactor: forwards the caller's cancellation to the call. Owns
// itself until gRPC calls OnDone.
class PollReactor final : public grpc::ServerUnaryReactor {
 public:
  client::CallOptions Options(TimePoint deadline) const { return {deadline, true, handle_}; }
  void OnCancel() override { handle_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  const std::shared_ptr<client::CallHandle> handle_ = std::make_shared<client::CallHandle>();
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

// Serves each RPC through the in-process client.
class MatchingService::Handler final
    : public tern::matchingservice::v1::MatchingService::CallbackService {
 public:
  explicit Handler(client::MatchingClient& engine) : engine_(engine) {}

#define TERN_MATCHING_RPC(Method, Response)                                                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                             \
                                   const ms::Method##Request* request, Response* response)       \
      override {                                                                                 \
    auto* reactor = ctx->DefaultReactor();                                                       \
    engine_.Method(*request, client::CallOptions{ctx->deadline()}, Finisher(reactor, response)); \
    return reactor;                                                                              \
  }
  TERN_MATCHING_RPC(AddWorkflowTask, ms::AddWorkflowTaskResponse)
  TERN_MATCHING_RPC(AddActivityTask, ms::AddActivityTaskResponse)
  TERN_MATCHING_RPC(DescribeTaskQueuePartition, ms::DescribeTaskQueuePartitionResponse)
  TERN_MATCHING_RPC(RespondQueryTaskCompleted, ms::RespondQueryTaskCompletedResponse)
  TERN_MATCHING_RPC(ReleaseStickyTaskQueue, ms::ReleaseStickyTaskQueueResponse)
#undef TERN_MATCHING_RPC

  // The calls that wait (long polls, queries) end early when the caller goes away.
#define TERN_MATCHING_WAITING_RPC(Method, Response)                                           \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                          \
                                   const ms::Method##Request* request, Response* response)    \
      override {                                                                              \
    auto* reactor = new PollReactor();                                                        \
    engine_.Method(*request, reactor->Options(ctx->deadline()), Finisher(reactor, response)); \
    return reactor;                                                                           \
  }
  TERN_MATCHING_WAITING_RPC(PollWorkflowTaskQueue, ws::PollWorkflowTaskQueueResponse)
  TERN_MATCHING_WAITING_RPC(PollActivityTaskQueue, ws::PollActivityTaskQueueResponse)
  TERN_MATCHING_WAITING_RPC(QueryWorkflow, ms::QueryWorkflowResponse)
#undef TERN_MATCHING_WAITING_RPC

 private:
  client::MatchingClient& engine_;
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
    : membership_(membership), self_address_(options.self_address) {
  engine_ = MatchingEngine::Create(
      std::move(options), std::move(store),
      [&membership](const std::string& key) {
        return membership.Ring(Membership::Role::kMatching)->Lookup(key);
      },
      history, matching, blocking_executor, timer_executor, clock);
  in_process_ = std::make_unique<InProcessMatchingClient>(engine_, blocking_executor);
  handler_ = std::make_unique<Handler>(*in_process_);
}

MatchingService::~MatchingService() { Stop(); }

grpc::Service* MatchingService::GrpcService() { return handler_.get(); }

client::LocalMatching MatchingService::Local() {
  return {.holds =
              [this](const std::string& key) {
                return membership_.Ring(Membership::Role::kMatching)->Lookup(key) == self_address_;
              },
          .client = in_process_.get()};
}

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
