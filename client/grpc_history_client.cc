#include "client/grpc_history_client.h"

#include "common/hashing.h"
#include "common/task_token.h"

namespace tern::client {
namespace {

absl::StatusOr<std::string> WorkflowIdFromToken(const std::string& token) {
  auto decoded = DecodeTaskToken(token);
  if (!decoded.ok()) return decoded.status();
  return decoded->workflow_id();
}

}  // namespace

GrpcHistoryClient::GrpcHistoryClient(Membership& membership, Executor& executor, int32_t num_shards,
                                     const Clock& clock)
    : num_shards_(num_shards),
      router_(membership, Membership::Role::kHistory, executor, clock, "history") {}

int32_t GrpcHistoryClient::ShardFor(const std::string& namespace_id,
                                    const std::string& workflow_id) const {
  return ShardForWorkflow(namespace_id, workflow_id, num_shards_);
}

template <typename Request, typename Response>
void GrpcHistoryClient::Route(absl::StatusOr<std::string> workflow_id, const Request& request,
                              CallOptions options, Callback<Response> done,
                              Async<Request, Response> method, Direct<Request, Response> direct) {
  if (!workflow_id.ok()) return done(workflow_id.status());
  std::string shard = std::to_string(ShardFor(request.namespace_id(), *workflow_id));
  router_.Call(std::move(shard), request, std::move(options), std::move(done), method, direct);
}

void GrpcHistoryClient::StartWorkflowExecution(const hs::StartWorkflowExecutionRequest& request,
                                               CallOptions options,
                                               Callback<ws::StartWorkflowExecutionResponse> done) {
  Route(request.request().workflow_id(), request, std::move(options), std::move(done),
        &Stub::StartWorkflowExecution, &HistoryClient::StartWorkflowExecution);
}

void GrpcHistoryClient::RecordWorkflowTaskStarted(
    const hs::RecordWorkflowTaskStartedRequest& request, CallOptions options,
    Callback<ws::PollWorkflowTaskQueueResponse> done) {
  Route(request.workflow_execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::RecordWorkflowTaskStarted, &HistoryClient::RecordWorkflowTaskStarted);
}

void GrpcHistoryClient::RecordActivityTaskStarted(
    const hs::RecordActivityTaskStartedRequest& request, CallOptions options,
    Callback<ws::PollActivityTaskQueueResponse> done) {
  Route(request.workflow_execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::RecordActivityTaskStarted, &HistoryClient::RecordActivityTaskStarted);
}

void GrpcHistoryClient::RespondWorkflowTaskCompleted(
    const hs::RespondWorkflowTaskCompletedRequest& request, CallOptions options,
    Callback<ws::RespondWorkflowTaskCompletedResponse> done) {
  Route(WorkflowIdFromToken(request.request().task_token()), request, std::move(options),
        std::move(done), &Stub::RespondWorkflowTaskCompleted,
        &HistoryClient::RespondWorkflowTaskCompleted);
}

void GrpcHistoryClient::RespondWorkflowTaskFailed(
    const hs::RespondWorkflowTaskFailedRequest& request, CallOptions options,
    Callback<ws::RespondWorkflowTaskFailedResponse> done) {
  Route(WorkflowIdFromToken(request.request().task_token()), request, std::move(options),
        std::move(done), &Stub::RespondWorkflowTaskFailed,
        &HistoryClient::RespondWorkflowTaskFailed);
}

void GrpcHistoryClient::RespondActivityTaskCompleted(
    const hs::RespondActivityTaskCompletedRequest& request, CallOptions options,
    Callback<ws::RespondActivityTaskCompletedResponse> done) {
  Route(WorkflowIdFromToken(request.request().task_token()), request, std::move(options),
        std::move(done), &Stub::RespondActivityTaskCompleted,
        &HistoryClient::RespondActivityTaskCompleted);
}

void GrpcHistoryClient::RespondActivityTaskFailed(
    const hs::RespondActivityTaskFailedRequest& request, CallOptions options,
    Callback<ws::RespondActivityTaskFailedResponse> done) {
  Route(WorkflowIdFromToken(request.request().task_token()), request, std::move(options),
        std::move(done), &Stub::RespondActivityTaskFailed,
        &HistoryClient::RespondActivityTaskFailed);
}

void GrpcHistoryClient::RespondActivityTaskCanceled(
    const hs::RespondActivityTaskCanceledRequest& request, CallOptions options,
    Callback<ws::RespondActivityTaskCanceledResponse> done) {
  Route(WorkflowIdFromToken(request.request().task_token()), request, std::move(options),
        std::move(done), &Stub::RespondActivityTaskCanceled,
        &HistoryClient::RespondActivityTaskCanceled);
}

void GrpcHistoryClient::RecordActivityTaskHeartbeat(
    const hs::RecordActivityTaskHeartbeatRequest& request, CallOptions options,
    Callback<ws::RecordActivityTaskHeartbeatResponse> done) {
  Route(WorkflowIdFromToken(request.request().task_token()), request, std::move(options),
        std::move(done), &Stub::RecordActivityTaskHeartbeat,
        &HistoryClient::RecordActivityTaskHeartbeat);
}

void GrpcHistoryClient::GetWorkflowExecutionHistory(
    const hs::GetWorkflowExecutionHistoryRequest& request, CallOptions options,
    Callback<ws::GetWorkflowExecutionHistoryResponse> done) {
  Route(request.request().execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::GetWorkflowExecutionHistory, &HistoryClient::GetWorkflowExecutionHistory);
}

void GrpcHistoryClient::DescribeWorkflowExecution(
    const hs::DescribeWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::DescribeWorkflowExecutionResponse> done) {
  Route(request.request().execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::DescribeWorkflowExecution, &HistoryClient::DescribeWorkflowExecution);
}

void GrpcHistoryClient::TerminateWorkflowExecution(
    const hs::TerminateWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::TerminateWorkflowExecutionResponse> done) {
  Route(request.request().workflow_execution().workflow_id(), request, std::move(options),
        std::move(done), &Stub::TerminateWorkflowExecution,
        &HistoryClient::TerminateWorkflowExecution);
}

void GrpcHistoryClient::DeleteWorkflowExecution(
    const hs::DeleteWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::DeleteWorkflowExecutionResponse> done) {
  Route(request.request().workflow_execution().workflow_id(), request, std::move(options),
        std::move(done), &Stub::DeleteWorkflowExecution, &HistoryClient::DeleteWorkflowExecution);
}

void GrpcHistoryClient::ResetWorkflowExecution(const hs::ResetWorkflowExecutionRequest& request,
                                               CallOptions options,
                                               Callback<ws::ResetWorkflowExecutionResponse> done) {
  Route(request.request().workflow_execution().workflow_id(), request, std::move(options),
        std::move(done), &Stub::ResetWorkflowExecution, &HistoryClient::ResetWorkflowExecution);
}

void GrpcHistoryClient::SignalWorkflowExecution(
    const hs::SignalWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::SignalWorkflowExecutionResponse> done) {
  Route(request.request().workflow_execution().workflow_id(), request, std::move(options),
        std::move(done), &Stub::SignalWorkflowExecution, &HistoryClient::SignalWorkflowExecution);
}

void GrpcHistoryClient::SignalWithStartWorkflowExecution(
    const hs::SignalWithStartWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::SignalWithStartWorkflowExecutionResponse> done) {
  Route(request.request().workflow_id(), request, std::move(options), std::move(done),
        &Stub::SignalWithStartWorkflowExecution, &HistoryClient::SignalWithStartWorkflowExecution);
}

void GrpcHistoryClient::RequestCancelWorkflowExecution(
    const hs::RequestCancelWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::RequestCancelWorkflowExecutionResponse> done) {
  Route(request.request().workflow_execution().workflow_id(), request, std::move(options),
        std::move(done), &Stub::RequestCancelWorkflowExecution,
        &HistoryClient::RequestCancelWorkflowExecution);
}

void GrpcHistoryClient::RecordChildExecutionCompleted(
    const hs::RecordChildExecutionCompletedRequest& request, CallOptions options,
    Callback<hs::RecordChildExecutionCompletedResponse> done) {
  Route(request.parent_execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::RecordChildExecutionCompleted, &HistoryClient::RecordChildExecutionCompleted);
}

void GrpcHistoryClient::UpdateWorkflowExecution(
    const hs::UpdateWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::UpdateWorkflowExecutionResponse> done) {
  Route(request.request().workflow_execution().workflow_id(), request, std::move(options),
        std::move(done), &Stub::UpdateWorkflowExecution, &HistoryClient::UpdateWorkflowExecution);
}

void GrpcHistoryClient::PollWorkflowExecutionUpdate(
    const hs::PollWorkflowExecutionUpdateRequest& request, CallOptions options,
    Callback<ws::PollWorkflowExecutionUpdateResponse> done) {
  Route(request.request().update_ref().workflow_execution().workflow_id(), request,
        std::move(options), std::move(done), &Stub::PollWorkflowExecutionUpdate,
        &HistoryClient::PollWorkflowExecutionUpdate);
}

void GrpcHistoryClient::QueryWorkflow(const hs::QueryWorkflowRequest& request, CallOptions options,
                                      Callback<ws::QueryWorkflowResponse> done) {
  Route(request.request().execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::QueryWorkflow, &HistoryClient::QueryWorkflow);
}

void GrpcHistoryClient::ResetStickyTaskQueue(const hs::ResetStickyTaskQueueRequest& request,
                                             CallOptions options,
                                             Callback<ws::ResetStickyTaskQueueResponse> done) {
  Route(request.request().execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::ResetStickyTaskQueue, &HistoryClient::ResetStickyTaskQueue);
}

void GrpcHistoryClient::GetWorkflowExecutionHistoryReverse(
    const hs::GetWorkflowExecutionHistoryReverseRequest& request, CallOptions options,
    Callback<ws::GetWorkflowExecutionHistoryReverseResponse> done) {
  Route(request.request().execution().workflow_id(), request, std::move(options), std::move(done),
        &Stub::GetWorkflowExecutionHistoryReverse,
        &HistoryClient::GetWorkflowExecutionHistoryReverse);
}

}  // namespace tern::client
