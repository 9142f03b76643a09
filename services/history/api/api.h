// One handler per history RPC (tern.historyservice.v1.HistoryService), each over the engine
// context; HistoryEngine only dispatches to them. One file per RPC, named after it.
//
// Threading: the functions that return a value block on the database and run on the blocking
// executor. The ones with a `done` callback return at once, may park a long poll without a
// thread, and call `done` exactly once, on an executor thread.
//
// Errors are the Temporal ones: NOT_FOUND for an unknown run, workflow task or activity (a stale
// task token included), ALREADY_EXISTS (WorkflowExecutionAlreadyStarted) for a refused start,
// INVALID_ARGUMENT for a bad request, ShardOwnershipLost when the shard moved to another host.
#pragma once

#include <functional>

#include "services/history/engine_context.h"

namespace tern::history::api {

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

absl::StatusOr<ws::StartWorkflowExecutionResponse> StartWorkflowExecution(
    EngineContext& engine, const hs::StartWorkflowExecutionRequest& request);
absl::StatusOr<ws::SignalWithStartWorkflowExecutionResponse> SignalWithStartWorkflowExecution(
    EngineContext& engine, const hs::SignalWithStartWorkflowExecutionRequest& request);
absl::StatusOr<ws::SignalWorkflowExecutionResponse> SignalWorkflowExecution(
    EngineContext& engine, const hs::SignalWorkflowExecutionRequest& request);
absl::StatusOr<ws::RequestCancelWorkflowExecutionResponse> RequestCancelWorkflowExecution(
    EngineContext& engine, const hs::RequestCancelWorkflowExecutionRequest& request);
absl::StatusOr<ws::TerminateWorkflowExecutionResponse> TerminateWorkflowExecution(
    EngineContext& engine, const hs::TerminateWorkflowExecutionRequest& request);
// Terminates the run if it is running and deletes it (state, history, current-run pointer,
// visibility) through a timer task written in the same transaction.
absl::StatusOr<ws::DeleteWorkflowExecutionResponse> DeleteWorkflowExecution(
    EngineContext& engine, const hs::DeleteWorkflowExecutionRequest& request);
absl::StatusOr<ws::ResetWorkflowExecutionResponse> ResetWorkflowExecution(
    EngineContext& engine, const hs::ResetWorkflowExecutionRequest& request);
absl::StatusOr<ws::DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(
    EngineContext& engine, const hs::DescribeWorkflowExecutionRequest& request);
absl::StatusOr<ws::GetWorkflowExecutionHistoryReverseResponse> GetWorkflowExecutionHistoryReverse(
    EngineContext& engine, const hs::GetWorkflowExecutionHistoryReverseRequest& request);
// Answers at once, or (wait_new_event) when the run changes, or with an empty page when the long
// poll expires.
void GetWorkflowExecutionHistory(EngineContext& engine,
                                 const hs::GetWorkflowExecutionHistoryRequest& request,
                                 Done<ws::GetWorkflowExecutionHistoryResponse> done);

absl::StatusOr<ws::PollWorkflowTaskQueueResponse> RecordWorkflowTaskStarted(
    EngineContext& engine, const hs::RecordWorkflowTaskStartedRequest& request);
absl::StatusOr<ws::RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompleted(
    EngineContext& engine, const hs::RespondWorkflowTaskCompletedRequest& request);
absl::StatusOr<ws::RespondWorkflowTaskFailedResponse> RespondWorkflowTaskFailed(
    EngineContext& engine, const hs::RespondWorkflowTaskFailedRequest& request);
absl::StatusOr<ws::ResetStickyTaskQueueResponse> ResetStickyTaskQueue(
    EngineContext& engine, const hs::ResetStickyTaskQueueRequest& request);

absl::StatusOr<ws::PollActivityTaskQueueResponse> RecordActivityTaskStarted(
    EngineContext& engine, const hs::RecordActivityTaskStartedRequest& request);
absl::StatusOr<ws::RespondActivityTaskCompletedResponse> RespondActivityTaskCompleted(
    EngineContext& engine, const hs::RespondActivityTaskCompletedRequest& request);
absl::StatusOr<ws::RespondActivityTaskFailedResponse> RespondActivityTaskFailed(
    EngineContext& engine, const hs::RespondActivityTaskFailedRequest& request);
absl::StatusOr<ws::RespondActivityTaskCanceledResponse> RespondActivityTaskCanceled(
    EngineContext& engine, const hs::RespondActivityTaskCanceledRequest& request);
absl::StatusOr<ws::RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(
    EngineContext& engine, const hs::RecordActivityTaskHeartbeatRequest& request);

absl::StatusOr<hs::RecordChildExecutionCompletedResponse> RecordChildExecutionCompleted(
    EngineContext& engine, const hs::RecordChildExecutionCompletedRequest& request);

// Long polls for updates: answer when the update reaches the wait policy's stage, or with the
// current stage when the long poll expires.
void UpdateWorkflowExecution(EngineContext& engine,
                             const hs::UpdateWorkflowExecutionRequest& request,
                             Done<ws::UpdateWorkflowExecutionResponse> done);
void PollWorkflowExecutionUpdate(EngineContext& engine,
                                 const hs::PollWorkflowExecutionUpdateRequest& request,
                                 Done<ws::PollWorkflowExecutionUpdateResponse> done);

// Waits until the run can answer a query (its first workflow task completed and none is in
// flight, or it is closed), then dispatches a query task through matching; a query to a run
// whose workflow task is pending or running rides on the next task instead.
void QueryWorkflow(EngineContext& engine, const hs::QueryWorkflowRequest& request,
                   TimePoint deadline, Done<ws::QueryWorkflowResponse> done);

}  // namespace tern::history::api
