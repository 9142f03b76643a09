// The client interface of tern-history: one method per HistoryService RPC
// (proto/tern/historyservice). Callers (frontend, matching, worker, history itself for other
// workflows) depend only on this interface; the process picks the implementation
// (GrpcHistoryClient, wrapped in decorators by the composition root).
//
// Contract for every method:
//   - Asynchronous and thread-safe: any thread may call any method; the call never blocks on
//     the network.
//   - `done` runs exactly once, on an implementation thread (gRPC completion or executor
//     thread, or the caller's own thread when the call fails before it is sent, e.g. a task
//     token that does not decode). It must not block.
//   - An implementation routes by the workflow's shard and retries while the shard moves or the
//     owner is unreachable, until options.deadline (unless options.retry is false). What reaches
//     `done` is then the history service's own answer, or:
//       Unavailable         no owner answered before the deadline;
//       DeadlineExceeded    the deadline passed during the call;
//       Cancelled           options.handle was cancelled;
//       InvalidArgument     the request names no workflow it can be routed by.
//     Typed errors of the service (common/errors.h: NotFound, WorkflowExecutionAlreadyStarted,
//     ShardOwnershipLost once retries are exhausted, ...) arrive as the service sent them.
#pragma once

#include "client/rpc.h"
#include "tern/historyservice/v1/service.pb.h"

namespace tern::client {

namespace hs = tern::historyservice::v1;
namespace ws = temporal::api::workflowservice::v1;

class HistoryClient {
 public:
  virtual ~HistoryClient() = default;

  virtual void StartWorkflowExecution(const hs::StartWorkflowExecutionRequest& request,
                                      CallOptions options,
                                      Callback<ws::StartWorkflowExecutionResponse> done) = 0;
  virtual void RecordWorkflowTaskStarted(const hs::RecordWorkflowTaskStartedRequest& request,
                                         CallOptions options,
                                         Callback<ws::PollWorkflowTaskQueueResponse> done) = 0;
  virtual void RecordActivityTaskStarted(const hs::RecordActivityTaskStartedRequest& request,
                                         CallOptions options,
                                         Callback<ws::PollActivityTaskQueueResponse> done) = 0;
  virtual void RespondWorkflowTaskCompleted(
      const hs::RespondWorkflowTaskCompletedRequest& request, CallOptions options,
      Callback<ws::RespondWorkflowTaskCompletedResponse> done) = 0;
  virtual void RespondWorkflowTaskFailed(const hs::RespondWorkflowTaskFailedRequest& request,
                                         CallOptions options,
                                         Callback<ws::RespondWorkflowTaskFailedResponse> done) = 0;
  virtual void RespondActivityTaskCompleted(
      const hs::RespondActivityTaskCompletedRequest& request, CallOptions options,
      Callback<ws::RespondActivityTaskCompletedResponse> done) = 0;
  virtual void RespondActivityTaskFailed(const hs::RespondActivityTaskFailedRequest& request,
                                         CallOptions options,
                                         Callback<ws::RespondActivityTaskFailedResponse> done) = 0;
  virtual void RespondActivityTaskCanceled(
      const hs::RespondActivityTaskCanceledRequest& request, CallOptions options,
      Callback<ws::RespondActivityTaskCanceledResponse> done) = 0;
  virtual void RecordActivityTaskHeartbeat(
      const hs::RecordActivityTaskHeartbeatRequest& request, CallOptions options,
      Callback<ws::RecordActivityTaskHeartbeatResponse> done) = 0;
  virtual void GetWorkflowExecutionHistory(
      const hs::GetWorkflowExecutionHistoryRequest& request, CallOptions options,
      Callback<ws::GetWorkflowExecutionHistoryResponse> done) = 0;
  virtual void DescribeWorkflowExecution(const hs::DescribeWorkflowExecutionRequest& request,
                                         CallOptions options,
                                         Callback<ws::DescribeWorkflowExecutionResponse> done) = 0;
  virtual void TerminateWorkflowExecution(
      const hs::TerminateWorkflowExecutionRequest& request, CallOptions options,
      Callback<ws::TerminateWorkflowExecutionResponse> done) = 0;
  virtual void DeleteWorkflowExecution(const hs::DeleteWorkflowExecutionRequest& request,
                                       CallOptions options,
                                       Callback<ws::DeleteWorkflowExecutionResponse> done) = 0;
  virtual void ResetWorkflowExecution(const hs::ResetWorkflowExecutionRequest& request,
                                      CallOptions options,
                                      Callback<ws::ResetWorkflowExecutionResponse> done) = 0;
  virtual void SignalWorkflowExecution(const hs::SignalWorkflowExecutionRequest& request,
                                       CallOptions options,
                                       Callback<ws::SignalWorkflowExecutionResponse> done) = 0;
  virtual void SignalWithStartWorkflowExecution(
      const hs::SignalWithStartWorkflowExecutionRequest& request, CallOptions options,
      Callback<ws::SignalWithStartWorkflowExecutionResponse> done) = 0;
  virtual void RequestCancelWorkflowExecution(
      const hs::RequestCancelWorkflowExecutionRequest& request, CallOptions options,
      Callback<ws::RequestCancelWorkflowExecutionResponse> done) = 0;
  // Routed by the parent's workflow id: the parent is the one being told.
  virtual void RecordChildExecutionCompleted(
      const hs::RecordChildExecutionCompletedRequest& request, CallOptions options,
      Callback<hs::RecordChildExecutionCompletedResponse> done) = 0;
  virtual void UpdateWorkflowExecution(const hs::UpdateWorkflowExecutionRequest& request,
                                       CallOptions options,
                                       Callback<ws::UpdateWorkflowExecutionResponse> done) = 0;
  virtual void PollWorkflowExecutionUpdate(
      const hs::PollWorkflowExecutionUpdateRequest& request, CallOptions options,
      Callback<ws::PollWorkflowExecutionUpdateResponse> done) = 0;
  virtual void QueryWorkflow(const hs::QueryWorkflowRequest& request, CallOptions options,
                             Callback<ws::QueryWorkflowResponse> done) = 0;
  virtual void ResetStickyTaskQueue(const hs::ResetStickyTaskQueueRequest& request,
                                    CallOptions options,
                                    Callback<ws::ResetStickyTaskQueueResponse> done) = 0;
  virtual void GetWorkflowExecutionHistoryReverse(
      const hs::GetWorkflowExecutionHistoryReverseRequest& request, CallOptions options,
      Callback<ws::GetWorkflowExecutionHistoryReverseResponse> done) = 0;
};

}  // namespace tern::client
