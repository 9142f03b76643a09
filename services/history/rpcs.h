// The history service's RPCs, named once: each list applies X(Method, Response) to its RPCs,
// where the request type is hs::Method##Request. The engine, the in-process client and the gRPC
// handler are generated from these lists, so an RPC is added in one place.
#pragma once

// The engine answers by return value, blocking on the database: callers run it on the blocking
// executor.
#define TERN_HISTORY_BLOCKING_RPCS(X)                                                   \
  X(StartWorkflowExecution, ws::StartWorkflowExecutionResponse)                         \
  X(RecordWorkflowTaskStarted, ws::PollWorkflowTaskQueueResponse)                       \
  X(RecordActivityTaskStarted, ws::PollActivityTaskQueueResponse)                       \
  X(RespondWorkflowTaskCompleted, ws::RespondWorkflowTaskCompletedResponse)             \
  X(RespondWorkflowTaskFailed, ws::RespondWorkflowTaskFailedResponse)                   \
  X(RespondActivityTaskCompleted, ws::RespondActivityTaskCompletedResponse)             \
  X(RespondActivityTaskFailed, ws::RespondActivityTaskFailedResponse)                   \
  X(RespondActivityTaskCanceled, ws::RespondActivityTaskCanceledResponse)               \
  X(RecordActivityTaskHeartbeat, ws::RecordActivityTaskHeartbeatResponse)               \
  X(DescribeWorkflowExecution, ws::DescribeWorkflowExecutionResponse)                   \
  X(TerminateWorkflowExecution, ws::TerminateWorkflowExecutionResponse)                 \
  X(SignalWorkflowExecution, ws::SignalWorkflowExecutionResponse)                       \
  X(SignalWithStartWorkflowExecution, ws::SignalWithStartWorkflowExecutionResponse)     \
  X(RequestCancelWorkflowExecution, ws::RequestCancelWorkflowExecutionResponse)         \
  X(GetWorkflowExecutionHistoryReverse, ws::GetWorkflowExecutionHistoryReverseResponse) \
  X(ResetStickyTaskQueue, ws::ResetStickyTaskQueueResponse)                             \
  X(ResetWorkflowExecution, ws::ResetWorkflowExecutionResponse)                         \
  X(DeleteWorkflowExecution, ws::DeleteWorkflowExecutionResponse)                       \
  X(RecordChildExecutionCompleted, hs::RecordChildExecutionCompletedResponse)

// The engine answers through a callback, at any time (long polls, updates waiting for the
// workflow). QueryWorkflow waits too, and also takes the caller's deadline: it is written out.
#define TERN_HISTORY_WAITING_RPCS(X)                                      \
  X(GetWorkflowExecutionHistory, ws::GetWorkflowExecutionHistoryResponse) \
  X(UpdateWorkflowExecution, ws::UpdateWorkflowExecutionResponse)         \
  X(PollWorkflowExecutionUpdate, ws::PollWorkflowExecutionUpdateResponse)
