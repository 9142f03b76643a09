// The history engine: every state transition of a workflow run. It only dispatches: each RPC is
// a handler in api/ (one file per RPC) over the EngineContext (engine_context.h); the commands of
// a completed workflow task are in commands/, the transfer and timer task executors in tasks/.
// Handlers load the run's mutable state under its lock, apply the transition with a
// MutableStateBuilder and persist events, state and tasks in one transaction (Shard::Persist).
//
// Threading: the blocking methods run on the blocking executor (they wait on the database); the
// methods with a `done` callback return at once, park long polls without a thread and call
// `done` exactly once, on an executor thread.
#pragma once

#include <functional>
#include <memory>

#include "services/history/api/api.h"
#include "services/history/engine_context.h"

namespace tern::history {

class HistoryEngine {
 public:
  // `visibility` receives the runs' visibility rows (none are written without it); `namespaces`
  // gives the custom search attributes of a namespace (visibility rows and the checks of search
  // attributes workflows write); without it only built-in attributes exist. The engine reads
  // only HistoryOptions::FromConfig(config); `config` must outlive it.
  HistoryEngine(const Config& config, ShardController& shards, client::MatchingClient& matching,
                client::HistoryClient& history, Executor& blocking, Clock& clock,
                std::shared_ptr<persistence::VisibilityStore> visibility = nullptr,
                std::shared_ptr<persistence::NamespaceCache> namespaces = nullptr);

#define TERN_HISTORY_BLOCKING_API(Method, Response)                     \
  absl::StatusOr<Response> Method(const hs::Method##Request& request) { \
    return api::Method(context_, request);                              \
  }
  TERN_HISTORY_BLOCKING_API(StartWorkflowExecution, ws::StartWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(RecordWorkflowTaskStarted, ws::PollWorkflowTaskQueueResponse)
  TERN_HISTORY_BLOCKING_API(RecordActivityTaskStarted, ws::PollActivityTaskQueueResponse)
  TERN_HISTORY_BLOCKING_API(RespondWorkflowTaskCompleted, ws::RespondWorkflowTaskCompletedResponse)
  TERN_HISTORY_BLOCKING_API(RespondWorkflowTaskFailed, ws::RespondWorkflowTaskFailedResponse)
  TERN_HISTORY_BLOCKING_API(RespondActivityTaskCompleted, ws::RespondActivityTaskCompletedResponse)
  TERN_HISTORY_BLOCKING_API(RespondActivityTaskFailed, ws::RespondActivityTaskFailedResponse)
  TERN_HISTORY_BLOCKING_API(RespondActivityTaskCanceled, ws::RespondActivityTaskCanceledResponse)
  TERN_HISTORY_BLOCKING_API(RecordActivityTaskHeartbeat, ws::RecordActivityTaskHeartbeatResponse)
  TERN_HISTORY_BLOCKING_API(DescribeWorkflowExecution, ws::DescribeWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(TerminateWorkflowExecution, ws::TerminateWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(SignalWorkflowExecution, ws::SignalWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(SignalWithStartWorkflowExecution,
                            ws::SignalWithStartWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(RequestCancelWorkflowExecution,
                            ws::RequestCancelWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(GetWorkflowExecutionHistoryReverse,
                            ws::GetWorkflowExecutionHistoryReverseResponse)
  TERN_HISTORY_BLOCKING_API(ResetStickyTaskQueue, ws::ResetStickyTaskQueueResponse)
  TERN_HISTORY_BLOCKING_API(ResetWorkflowExecution, ws::ResetWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(DeleteWorkflowExecution, ws::DeleteWorkflowExecutionResponse)
  TERN_HISTORY_BLOCKING_API(RecordChildExecutionCompleted,
                            hs::RecordChildExecutionCompletedResponse)
#undef TERN_HISTORY_BLOCKING_API

  void GetWorkflowExecutionHistory(const hs::GetWorkflowExecutionHistoryRequest& request,
                                   api::Done<ws::GetWorkflowExecutionHistoryResponse> done) {
    api::GetWorkflowExecutionHistory(context_, request, std::move(done));
  }
  void UpdateWorkflowExecution(const hs::UpdateWorkflowExecutionRequest& request,
                               api::Done<ws::UpdateWorkflowExecutionResponse> done) {
    api::UpdateWorkflowExecution(context_, request, std::move(done));
  }
  void PollWorkflowExecutionUpdate(const hs::PollWorkflowExecutionUpdateRequest& request,
                                   api::Done<ws::PollWorkflowExecutionUpdateResponse> done) {
    api::PollWorkflowExecutionUpdate(context_, request, std::move(done));
  }
  void QueryWorkflow(const hs::QueryWorkflowRequest& request, TimePoint deadline,
                     api::Done<ws::QueryWorkflowResponse> done) {
    api::QueryWorkflow(context_, request, deadline, std::move(done));
  }

  // Queue task executors (installed into every shard by the service).
  void ExecuteTransferTask(Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done);
  absl::Status ExecuteTimerTask(Shard& shard, const pv1::TimerTask& task);

 private:
  EngineContext context_;
};

}  // namespace tern::history
