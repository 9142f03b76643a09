// Metrics decorators of the client interfaces: each call counts into client_requests and
// client_errors and records client_latency, labelled with operation = the method name, then
// forwards to the wrapped client. The wrapped client's contract (history_client.h,
// matching_client.h) holds unchanged; `done` still runs exactly once, on the wrapped client's
// thread.
#pragma once

#include <memory>
#include <string>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/operation_metrics.h"

namespace tern::client {

// Wraps a callback so that it records the call's outcome before running.
class CallMetrics {
 public:
  explicit CallMetrics(const Clock& clock) : metrics_(OperationMetrics::kClient, clock) {}

  template <typename Response>
  Callback<Response> Measure(const char* operation, Callback<Response> done) {
    return [this, operation, start = metrics_.Start(),
            done = std::move(done)](absl::StatusOr<Response> result) {
      metrics_.Record(operation, start, result.status());
      done(std::move(result));
    };
  }

 private:
  OperationMetrics metrics_;
};

class MetricsHistoryClient final : public HistoryClient {
 public:
  MetricsHistoryClient(std::shared_ptr<HistoryClient> inner, const Clock& clock)
      : inner_(std::move(inner)), metrics_(clock) {}

  void StartWorkflowExecution(const hs::StartWorkflowExecutionRequest& request, CallOptions options,
                              Callback<ws::StartWorkflowExecutionResponse> done) override;
  void RecordWorkflowTaskStarted(const hs::RecordWorkflowTaskStartedRequest& request,
                                 CallOptions options,
                                 Callback<ws::PollWorkflowTaskQueueResponse> done) override;
  void RecordActivityTaskStarted(const hs::RecordActivityTaskStartedRequest& request,
                                 CallOptions options,
                                 Callback<ws::PollActivityTaskQueueResponse> done) override;
  void RespondWorkflowTaskCompleted(
      const hs::RespondWorkflowTaskCompletedRequest& request, CallOptions options,
      Callback<ws::RespondWorkflowTaskCompletedResponse> done) override;
  void RespondWorkflowTaskFailed(const hs::RespondWorkflowTaskFailedRequest& request,
                                 CallOptions options,
                                 Callback<ws::RespondWorkflowTaskFailedResponse> done) override;
  void RespondActivityTaskCompleted(
      const hs::RespondActivityTaskCompletedRequest& request, CallOptions options,
      Callback<ws::RespondActivityTaskCompletedResponse> done) override;
  void RespondActivityTaskFailed(const hs::RespondActivityTaskFailedRequest& request,
                                 CallOptions options,
                                 Callback<ws::RespondActivityTaskFailedResponse> done) override;
  void RespondActivityTaskCanceled(const hs::RespondActivityTaskCanceledRequest& request,
                                   CallOptions options,
                                   Callback<ws::RespondActivityTaskCanceledResponse> done) override;
  void RecordActivityTaskHeartbeat(const hs::RecordActivityTaskHeartbeatRequest& request,
                                   CallOptions options,
                                   Callback<ws::RecordActivityTaskHeartbeatResponse> done) override;
  void GetWorkflowExecutionHistory(const hs::GetWorkflowExecutionHistoryRequest& request,
                                   CallOptions options,
                                   Callback<ws::GetWorkflowExecutionHistoryResponse> done) override;
  void DescribeWorkflowExecution(const hs::DescribeWorkflowExecutionRequest& request,
                                 CallOptions options,
                                 Callback<ws::DescribeWorkflowExecutionResponse> done) override;
  void TerminateWorkflowExecution(const hs::TerminateWorkflowExecutionRequest& request,
                                  CallOptions options,
                                  Callback<ws::TerminateWorkflowExecutionResponse> done) override;
  void DeleteWorkflowExecution(const hs::DeleteWorkflowExecutionRequest& request,
                               CallOptions options,
                               Callback<ws::DeleteWorkflowExecutionResponse> done) override;
  void ResetWorkflowExecution(const hs::ResetWorkflowExecutionRequest& request, CallOptions options,
                              Callback<ws::ResetWorkflowExecutionResponse> done) override;
  void SignalWorkflowExecution(const hs::SignalWorkflowExecutionRequest& request,
                               CallOptions options,
                               Callback<ws::SignalWorkflowExecutionResponse> done) override;
  void SignalWithStartWorkflowExecution(
      const hs::SignalWithStartWorkflowExecutionRequest& request, CallOptions options,
      Callback<ws::SignalWithStartWorkflowExecutionResponse> done) override;
  void RequestCancelWorkflowExecution(
      const hs::RequestCancelWorkflowExecutionRequest& request, CallOptions options,
      Callback<ws::RequestCancelWorkflowExecutionResponse> done) override;
  void RecordChildExecutionCompleted(
      const hs::RecordChildExecutionCompletedRequest& request, CallOptions options,
      Callback<hs::RecordChildExecutionCompletedResponse> done) override;
  void UpdateWorkflowExecution(const hs::UpdateWorkflowExecutionRequest& request,
                               CallOptions options,
                               Callback<ws::UpdateWorkflowExecutionResponse> done) override;
  void PollWorkflowExecutionUpdate(const hs::PollWorkflowExecutionUpdateRequest& request,
                                   CallOptions options,
                                   Callback<ws::PollWorkflowExecutionUpdateResponse> done) override;
  void QueryWorkflow(const hs::QueryWorkflowRequest& request, CallOptions options,
                     Callback<ws::QueryWorkflowResponse> done) override;
  void ResetStickyTaskQueue(const hs::ResetStickyTaskQueueRequest& request, CallOptions options,
                            Callback<ws::ResetStickyTaskQueueResponse> done) override;
  void GetWorkflowExecutionHistoryReverse(
      const hs::GetWorkflowExecutionHistoryReverseRequest& request, CallOptions options,
      Callback<ws::GetWorkflowExecutionHistoryReverseResponse> done) override;

 private:
  std::shared_ptr<HistoryClient> inner_;
  CallMetrics metrics_;
};

class MetricsMatchingClient final : public MatchingClient {
 public:
  MetricsMatchingClient(std::shared_ptr<MatchingClient> inner, const Clock& clock)
      : inner_(std::move(inner)), metrics_(clock) {}

  void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, CallOptions options,
                       Callback<ms::AddWorkflowTaskResponse> done) override;
  void AddActivityTask(const ms::AddActivityTaskRequest& request, CallOptions options,
                       Callback<ms::AddActivityTaskResponse> done) override;
  void PollWorkflowTaskQueue(const ms::PollWorkflowTaskQueueRequest& request, CallOptions options,
                             Callback<ws::PollWorkflowTaskQueueResponse> done) override;
  void PollActivityTaskQueue(const ms::PollActivityTaskQueueRequest& request, CallOptions options,
                             Callback<ws::PollActivityTaskQueueResponse> done) override;
  void DescribeTaskQueuePartition(const ms::DescribeTaskQueuePartitionRequest& request,
                                  CallOptions options,
                                  Callback<ms::DescribeTaskQueuePartitionResponse> done) override;
  void QueryWorkflow(const ms::QueryWorkflowRequest& request, CallOptions options,
                     Callback<ms::QueryWorkflowResponse> done) override;
  void RespondQueryTaskCompleted(const ms::RespondQueryTaskCompletedRequest& request,
                                 CallOptions options,
                                 Callback<ms::RespondQueryTaskCompletedResponse> done) override;
  void ReleaseStickyTaskQueue(const ms::ReleaseStickyTaskQueueRequest& request, CallOptions options,
                              Callback<ms::ReleaseStickyTaskQueueResponse> done) override;

 private:
  std::shared_ptr<MatchingClient> inner_;
  CallMetrics metrics_;
};

}  // namespace tern::client
