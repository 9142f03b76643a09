#include "services/history/history_service.h"

#include "absl/strings/numbers.h"
#include "common/errors.h"
#include "common/metrics.h"

namespace tern::history {

// Serves each RPC through the in-process client, finishing the reactor with its answer.
class HistoryHandler final : public hs::HistoryService::CallbackService {
 public:
  explicit HistoryHandler(client::HistoryClient& engine) : engine_(engine) {}

#define TERN_HISTORY_RPC(Method, Response)                                                 \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                       \
                                   const hs::Method##Request* request, Response* response) \
      override {                                                                           \
    auto* reactor = ctx->DefaultReactor();                                                 \
    engine_.Method(*request, client::CallOptions{ctx->deadline()},                         \
                   [reactor, response](absl::StatusOr<Response> result) {                  \
                     if (result.ok()) *response = std::move(*result);                      \
                     reactor->Finish(ToGrpcStatus(result.status()));                       \
                   });                                                                     \
    return reactor;                                                                        \
  }
  TERN_HISTORY_BLOCKING_RPCS(TERN_HISTORY_RPC)
  TERN_HISTORY_WAITING_RPCS(TERN_HISTORY_RPC)
  TERN_HISTORY_RPC(QueryWorkflow, ws::QueryWorkflowResponse)
#undef TERN_HISTORY_RPC

 private:
  client::HistoryClient& engine_;
};

HistoryService::HistoryService(const Config& config, persistence::Stores stores,
                               std::shared_ptr<persistence::NamespaceCache> namespaces,
                               Membership& membership, client::MatchingClient& matching,
                               client::HistoryClient& history, Executor& blocking, Clock& clock,
                               std::string self_address)
    : shards_(config.persistence.num_history_shards, std::move(self_address), stores, membership,
              blocking, clock),
      namespaces_(std::move(namespaces)),
      engine_(config, shards_, matching, history, blocking, clock, stores.visibility, namespaces_),
      in_process_(engine_, blocking, clock),
      handler_(std::make_unique<HistoryHandler>(in_process_)) {
  shards_.SetTaskExecutors(
      [this](Shard& shard, TransferQueue::TaskRef task, TransferQueue::Done done) {
        engine_.ExecuteTransferTask(shard, std::move(task), std::move(done));
      },
      [this](Shard& shard, const pv1::TimerTask& task) {
        return engine_.ExecuteTimerTask(shard, task);
      },
      TaskMetrics());
}

HistoryService::~HistoryService() { Stop(); }

TaskObserver HistoryService::TaskMetrics() const {
  TaskObserver observer;
  if (namespaces_) {
    observer.namespace_name = [this](const std::string& id) { return namespaces_->NameOf(id); };
  }
  observer.attempt = [this](const TaskObserver::Attempt& a) {
    std::string_view name =
        a.namespace_name.empty() ? std::string_view(metrics::kUnknownNamespace) : a.namespace_name;
    metrics::kTaskLatencyProcessing.With({name, a.task_type}).Observe(a.latency.count());
    if (a.ok) metrics::kTaskAttempt.With({name, a.task_type}).Observe(a.attempt);
  };
  observer.lag = [](const char* category, double lag) {
    (std::string_view(category) == "timer" ? metrics::kScheduledQueueLag
                                           : metrics::kImmediateQueueLag)
        .With({category})
        .Observe(lag);
  };
  return observer;
}

grpc::Service* HistoryService::GrpcService() { return handler_.get(); }

client::LocalHistory HistoryService::Local() {
  return {.holds =
              [this](const std::string& key) {
                int32_t shard = 0;
                return absl::SimpleAtoi(key, &shard) && shards_.Holds(shard);
              },
          .client = &in_process_};
}

void HistoryService::Start() { shards_.Start(); }

void HistoryService::Stop() { shards_.Stop(); }

}  // namespace tern::history
