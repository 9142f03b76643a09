#include "services/history/history_service.h"

#include "common/errors.h"
#include "common/metrics.h"

namespace tern::history {

// Runs each blocking engine call on the blocking executor and finishes the reactor from there.
class HistoryHandler final : public hs::HistoryService::CallbackService {
 public:
  HistoryHandler(HistoryEngine& engine, Executor& blocking)
      : engine_(engine), blocking_(blocking) {}

#define TERN_BLOCKING_RPC(Method, Response)                                                \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                       \
                                   const hs::Method##Request* request, Response* response) \
      override {                                                                           \
    auto* reactor = ctx->DefaultReactor();                                                 \
    blocking_.Post([this, reactor, request, response] {                                    \
      auto result = engine_.Method(*request);                                              \
      if (result.ok()) *response = std::move(*result);                                     \
      reactor->Finish(ToGrpcStatus(result.status()));                                      \
    });                                                                                    \
    return reactor;                                                                        \
  }
  TERN_BLOCKING_RPC(StartWorkflowExecution, ws::StartWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(RecordWorkflowTaskStarted, ws::PollWorkflowTaskQueueResponse)
  TERN_BLOCKING_RPC(RecordActivityTaskStarted, ws::PollActivityTaskQueueResponse)
  TERN_BLOCKING_RPC(RespondWorkflowTaskCompleted, ws::RespondWorkflowTaskCompletedResponse)
  TERN_BLOCKING_RPC(RespondWorkflowTaskFailed, ws::RespondWorkflowTaskFailedResponse)
  TERN_BLOCKING_RPC(RespondActivityTaskCompleted, ws::RespondActivityTaskCompletedResponse)
  TERN_BLOCKING_RPC(RespondActivityTaskFailed, ws::RespondActivityTaskFailedResponse)
  TERN_BLOCKING_RPC(RespondActivityTaskCanceled, ws::RespondActivityTaskCanceledResponse)
  TERN_BLOCKING_RPC(RecordActivityTaskHeartbeat, ws::RecordActivityTaskHeartbeatResponse)
  TERN_BLOCKING_RPC(DescribeWorkflowExecution, ws::DescribeWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(TerminateWorkflowExecution, ws::TerminateWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(DeleteWorkflowExecution, ws::DeleteWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(ResetWorkflowExecution, ws::ResetWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(SignalWorkflowExecution, ws::SignalWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(SignalWithStartWorkflowExecution, ws::SignalWithStartWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(RequestCancelWorkflowExecution, ws::RequestCancelWorkflowExecutionResponse)
  TERN_BLOCKING_RPC(RecordChildExecutionCompleted, hs::RecordChildExecutionCompletedResponse)
  TERN_BLOCKING_RPC(ResetStickyTaskQueue, ws::ResetStickyTaskQueueResponse)
  TERN_BLOCKING_RPC(GetWorkflowExecutionHistoryReverse,
                    ws::GetWorkflowExecutionHistoryReverseResponse)
#undef TERN_BLOCKING_RPC

  grpc::ServerUnaryReactor* UpdateWorkflowExecution(
      grpc::CallbackServerContext* ctx, const hs::UpdateWorkflowExecutionRequest* request,
      ws::UpdateWorkflowExecutionResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.UpdateWorkflowExecution(*request, [reactor, response](auto result) {
      if (result.ok()) *response = std::move(*result);
      reactor->Finish(ToGrpcStatus(result.status()));
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* PollWorkflowExecutionUpdate(
      grpc::CallbackServerContext* ctx, const hs::PollWorkflowExecutionUpdateRequest* request,
      ws::PollWorkflowExecutionUpdateResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.PollWorkflowExecutionUpdate(*request, [reactor, response](auto result) {
      if (result.ok()) *response = std::move(*result);
      reactor->Finish(ToGrpcStatus(result.status()));
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* QueryWorkflow(grpc::CallbackServerContext* ctx,
                                          const hs::QueryWorkflowRequest* request,
                                          ws::QueryWorkflowResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.QueryWorkflow(*request, ctx->deadline(), [reactor, response](auto result) {
      if (result.ok()) *response = std::move(*result);
      reactor->Finish(ToGrpcStatus(result.status()));
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* GetWorkflowExecutionHistory(
      grpc::CallbackServerContext* ctx, const hs::GetWorkflowExecutionHistoryRequest* request,
      ws::GetWorkflowExecutionHistoryResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    engine_.GetWorkflowExecutionHistory(*request, [reactor, response](auto result) {
      if (result.ok()) *response = std::move(*result);
      reactor->Finish(ToGrpcStatus(result.status()));
    });
    return reactor;
  }

 private:
  HistoryEngine& engine_;
  Executor& blocking_;
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
      handler_(std::make_unique<HistoryHandler>(engine_, blocking)) {
  shards_.SetTaskExecutors(
      [this](Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done) {
        engine_.ExecuteTransferTask(shard, task, std::move(done));
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

void HistoryService::Start() { shards_.Start(); }

void HistoryService::Stop() { shards_.Stop(); }

}  // namespace tern::history
