#include "services/history/history_service.h"

#include "common/errors.h"

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
                               Membership& membership, client::MatchingClient& matching,
                               client::HistoryClient& history, Executor& blocking, Clock& clock,
                               std::string self_address)
    : shards_(config.persistence.num_history_shards, std::move(self_address), stores, membership,
              blocking, clock),
      namespaces_(stores.namespaces
                      ? persistence::NamespaceCache::Create(stores.namespaces, blocking)
                      : nullptr),
      engine_(config, shards_, matching, history, blocking, clock, stores.visibility, namespaces_),
      handler_(std::make_unique<HistoryHandler>(engine_, blocking)) {
  shards_.SetTaskExecutors(
      [this](Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done) {
        engine_.ExecuteTransferTask(shard, task, std::move(done));
      },
      [this](Shard& shard, const pv1::TimerTask& task) {
        return engine_.ExecuteTimerTask(shard, task);
      });
}

HistoryService::~HistoryService() { Stop(); }

grpc::Service* HistoryService::GrpcService() { return handler_.get(); }

void HistoryService::Start() {
  if (namespaces_) namespaces_->Start();
  shards_.Start();
}

void HistoryService::Stop() {
  shards_.Stop();
  if (namespaces_) namespaces_->Stop();
}

}  // namespace tern::history
