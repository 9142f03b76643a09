#include "client/metrics_clients.h"

namespace tern::client {

void MetricsHistoryClient::StartWorkflowExecution(
    const hs::StartWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::StartWorkflowExecutionResponse> done) {
  inner_->StartWorkflowExecution(request, std::move(options),
                                 metrics_.Measure("StartWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::RecordWorkflowTaskStarted(
    const hs::RecordWorkflowTaskStartedRequest& request, CallOptions options,
    Callback<ws::PollWorkflowTaskQueueResponse> done) {
  inner_->RecordWorkflowTaskStarted(request, std::move(options),
                                    metrics_.Measure("RecordWorkflowTaskStarted", std::move(done)));
}

void MetricsHistoryClient::RecordActivityTaskStarted(
    const hs::RecordActivityTaskStartedRequest& request, CallOptions options,
    Callback<ws::PollActivityTaskQueueResponse> done) {
  inner_->RecordActivityTaskStarted(request, std::move(options),
                                    metrics_.Measure("RecordActivityTaskStarted", std::move(done)));
}

void MetricsHistoryClient::RespondWorkflowTaskCompleted(
    const hs::RespondWorkflowTaskCompletedRequest& request, CallOptions options,
    Callback<ws::RespondWorkflowTaskCompletedResponse> done) {
  inner_->RespondWorkflowTaskCompleted(
      request, std::move(options),
      metrics_.Measure("RespondWorkflowTaskCompleted", std::move(done)));
}

void MetricsHistoryClient::RespondWorkflowTaskFailed(
    const hs::RespondWorkflowTaskFailedRequest& request, CallOptions options,
    Callback<ws::RespondWorkflowTaskFailedResponse> done) {
  inner_->RespondWorkflowTaskFailed(request, std::move(options),
                                    metrics_.Measure("RespondWorkflowTaskFailed", std::move(done)));
}

void MetricsHistoryClient::RespondActivityTaskCompleted(
    const hs::RespondActivityTaskCompletedRequest& request, CallOptions options,
    Callback<ws::RespondActivityTaskCompletedResponse> done) {
  inner_->RespondActivityTaskCompleted(
      request, std::move(options),
      metrics_.Measure("RespondActivityTaskCompleted", std::move(done)));
}

void MetricsHistoryClient::RespondActivityTaskFailed(
    const hs::RespondActivityTaskFailedRequest& request, CallOptions options,
    Callback<ws::RespondActivityTaskFailedResponse> done) {
  inner_->RespondActivityTaskFailed(request, std::move(options),
                                    metrics_.Measure("RespondActivityTaskFailed", std::move(done)));
}

void MetricsHistoryClient::RespondActivityTaskCanceled(
    const hs::RespondActivityTaskCanceledRequest& request, CallOptions options,
    Callback<ws::RespondActivityTaskCanceledResponse> done) {
  inner_->RespondActivityTaskCanceled(
      request, std::move(options),
      metrics_.Measure("RespondActivityTaskCanceled", std::move(done)));
}

void MetricsHistoryClient::RecordActivityTaskHeartbeat(
    const hs::RecordActivityTaskHeartbeatRequest& request, CallOptions options,
    Callback<ws::RecordActivityTaskHeartbeatResponse> done) {
  inner_->RecordActivityTaskHeartbeat(
      request, std::move(options),
      metrics_.Measure("RecordActivityTaskHeartbeat", std::move(done)));
}

void MetricsHistoryClient::GetWorkflowExecutionHistory(
    const hs::GetWorkflowExecutionHistoryRequest& request, CallOptions options,
    Callback<ws::GetWorkflowExecutionHistoryResponse> done) {
  inner_->GetWorkflowExecutionHistory(
      request, std::move(options),
      metrics_.Measure("GetWorkflowExecutionHistory", std::move(done)));
}

void MetricsHistoryClient::DescribeWorkflowExecution(
    const hs::DescribeWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::DescribeWorkflowExecutionResponse> done) {
  inner_->DescribeWorkflowExecution(request, std::move(options),
                                    metrics_.Measure("DescribeWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::TerminateWorkflowExecution(
    const hs::TerminateWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::TerminateWorkflowExecutionResponse> done) {
  inner_->TerminateWorkflowExecution(
      request, std::move(options), metrics_.Measure("TerminateWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::DeleteWorkflowExecution(
    const hs::DeleteWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::DeleteWorkflowExecutionResponse> done) {
  inner_->DeleteWorkflowExecution(request, std::move(options),
                                  metrics_.Measure("DeleteWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::ResetWorkflowExecution(
    const hs::ResetWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::ResetWorkflowExecutionResponse> done) {
  inner_->ResetWorkflowExecution(request, std::move(options),
                                 metrics_.Measure("ResetWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::SignalWorkflowExecution(
    const hs::SignalWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::SignalWorkflowExecutionResponse> done) {
  inner_->SignalWorkflowExecution(request, std::move(options),
                                  metrics_.Measure("SignalWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::SignalWithStartWorkflowExecution(
    const hs::SignalWithStartWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::SignalWithStartWorkflowExecutionResponse> done) {
  inner_->SignalWithStartWorkflowExecution(
      request, std::move(options),
      metrics_.Measure("SignalWithStartWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::RequestCancelWorkflowExecution(
    const hs::RequestCancelWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::RequestCancelWorkflowExecutionResponse> done) {
  inner_->RequestCancelWorkflowExecution(
      request, std::move(options),
      metrics_.Measure("RequestCancelWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::RecordChildExecutionCompleted(
    const hs::RecordChildExecutionCompletedRequest& request, CallOptions options,
    Callback<hs::RecordChildExecutionCompletedResponse> done) {
  inner_->RecordChildExecutionCompleted(
      request, std::move(options),
      metrics_.Measure("RecordChildExecutionCompleted", std::move(done)));
}

void MetricsHistoryClient::UpdateWorkflowExecution(
    const hs::UpdateWorkflowExecutionRequest& request, CallOptions options,
    Callback<ws::UpdateWorkflowExecutionResponse> done) {
  inner_->UpdateWorkflowExecution(request, std::move(options),
                                  metrics_.Measure("UpdateWorkflowExecution", std::move(done)));
}

void MetricsHistoryClient::PollWorkflowExecutionUpdate(
    const hs::PollWorkflowExecutionUpdateRequest& request, CallOptions options,
    Callback<ws::PollWorkflowExecutionUpdateResponse> done) {
  inner_->PollWorkflowExecutionUpdate(
      request, std::move(options),
      metrics_.Measure("PollWorkflowExecutionUpdate", std::move(done)));
}

void MetricsHistoryClient::QueryWorkflow(const hs::QueryWorkflowRequest& request,
                                         CallOptions options,
                                         Callback<ws::QueryWorkflowResponse> done) {
  inner_->QueryWorkflow(request, std::move(options),
                        metrics_.Measure("QueryWorkflow", std::move(done)));
}

void MetricsHistoryClient::ResetStickyTaskQueue(const hs::ResetStickyTaskQueueRequest& request,
                                                CallOptions options,
                                                Callback<ws::ResetStickyTaskQueueResponse> done) {
  inner_->ResetStickyTaskQueue(request, std::move(options),
                               metrics_.Measure("ResetStickyTaskQueue", std::move(done)));
}

void MetricsHistoryClient::GetWorkflowExecutionHistoryReverse(
    const hs::GetWorkflowExecutionHistoryReverseRequest& request, CallOptions options,
    Callback<ws::GetWorkflowExecutionHistoryReverseResponse> done) {
  inner_->GetWorkflowExecutionHistoryReverse(
      request, std::move(options),
      metrics_.Measure("GetWorkflowExecutionHistoryReverse", std::move(done)));
}

void MetricsMatchingClient::AddWorkflowTask(const ms::AddWorkflowTaskRequest& request,
                                            CallOptions options,
                                            Callback<ms::AddWorkflowTaskResponse> done) {
  inner_->AddWorkflowTask(request, std::move(options),
                          metrics_.Measure("AddWorkflowTask", std::move(done)));
}

void MetricsMatchingClient::AddActivityTask(const ms::AddActivityTaskRequest& request,
                                            CallOptions options,
                                            Callback<ms::AddActivityTaskResponse> done) {
  inner_->AddActivityTask(request, std::move(options),
                          metrics_.Measure("AddActivityTask", std::move(done)));
}

void MetricsMatchingClient::PollWorkflowTaskQueue(
    const ms::PollWorkflowTaskQueueRequest& request, CallOptions options,
    Callback<ws::PollWorkflowTaskQueueResponse> done) {
  inner_->PollWorkflowTaskQueue(request, std::move(options),
                                metrics_.Measure("PollWorkflowTaskQueue", std::move(done)));
}

void MetricsMatchingClient::PollActivityTaskQueue(
    const ms::PollActivityTaskQueueRequest& request, CallOptions options,
    Callback<ws::PollActivityTaskQueueResponse> done) {
  inner_->PollActivityTaskQueue(request, std::move(options),
                                metrics_.Measure("PollActivityTaskQueue", std::move(done)));
}

void MetricsMatchingClient::DescribeTaskQueuePartition(
    const ms::DescribeTaskQueuePartitionRequest& request, CallOptions options,
    Callback<ms::DescribeTaskQueuePartitionResponse> done) {
  inner_->DescribeTaskQueuePartition(
      request, std::move(options), metrics_.Measure("DescribeTaskQueuePartition", std::move(done)));
}

void MetricsMatchingClient::QueryWorkflow(const ms::QueryWorkflowRequest& request,
                                          CallOptions options,
                                          Callback<ms::QueryWorkflowResponse> done) {
  inner_->QueryWorkflow(request, std::move(options),
                        metrics_.Measure("QueryWorkflow", std::move(done)));
}

void MetricsMatchingClient::RespondQueryTaskCompleted(
    const ms::RespondQueryTaskCompletedRequest& request, CallOptions options,
    Callback<ms::RespondQueryTaskCompletedResponse> done) {
  inner_->RespondQueryTaskCompleted(request, std::move(options),
                                    metrics_.Measure("RespondQueryTaskCompleted", std::move(done)));
}

void MetricsMatchingClient::ReleaseStickyTaskQueue(
    const ms::ReleaseStickyTaskQueueRequest& request, CallOptions options,
    Callback<ms::ReleaseStickyTaskQueueResponse> done) {
  inner_->ReleaseStickyTaskQueue(request, std::move(options),
                                 metrics_.Measure("ReleaseStickyTaskQueue", std::move(done)));
}

}  // namespace tern::client
