// The fake of client::HistoryClient (client/history_client.h).
#pragma once

#include "client/history_client.h"
#include "tests/mocks/recorder.h"

namespace tern::mocks {

// Records every call (per method in `<Method>_`, and the method names in calls()) and answers
// as the test says: a reply set on the method's recorder, else the status given to
// FailUnansweredWith, else the call stays pending. Needs no membership or executor.
class FakeHistoryClient : public client::HistoryClient, public CallLog {
 public:
  void StartWorkflowExecution(
      const client::hs::StartWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::StartWorkflowExecutionResponse> done) override {
    Note("StartWorkflowExecution");
    StartWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::StartWorkflowExecutionRequest, client::ws::StartWorkflowExecutionResponse>
      StartWorkflowExecution_;

  void RecordWorkflowTaskStarted(
      const client::hs::RecordWorkflowTaskStartedRequest& request, client::CallOptions options,
      client::Callback<client::ws::PollWorkflowTaskQueueResponse> done) override {
    Note("RecordWorkflowTaskStarted");
    RecordWorkflowTaskStarted_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RecordWorkflowTaskStartedRequest, client::ws::PollWorkflowTaskQueueResponse>
      RecordWorkflowTaskStarted_;

  void RecordActivityTaskStarted(
      const client::hs::RecordActivityTaskStartedRequest& request, client::CallOptions options,
      client::Callback<client::ws::PollActivityTaskQueueResponse> done) override {
    Note("RecordActivityTaskStarted");
    RecordActivityTaskStarted_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RecordActivityTaskStartedRequest, client::ws::PollActivityTaskQueueResponse>
      RecordActivityTaskStarted_;

  void RespondWorkflowTaskCompleted(
      const client::hs::RespondWorkflowTaskCompletedRequest& request, client::CallOptions options,
      client::Callback<client::ws::RespondWorkflowTaskCompletedResponse> done) override {
    Note("RespondWorkflowTaskCompleted");
    RespondWorkflowTaskCompleted_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RespondWorkflowTaskCompletedRequest,
           client::ws::RespondWorkflowTaskCompletedResponse>
      RespondWorkflowTaskCompleted_;

  void RespondWorkflowTaskFailed(
      const client::hs::RespondWorkflowTaskFailedRequest& request, client::CallOptions options,
      client::Callback<client::ws::RespondWorkflowTaskFailedResponse> done) override {
    Note("RespondWorkflowTaskFailed");
    RespondWorkflowTaskFailed_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RespondWorkflowTaskFailedRequest,
           client::ws::RespondWorkflowTaskFailedResponse>
      RespondWorkflowTaskFailed_;

  void RespondActivityTaskCompleted(
      const client::hs::RespondActivityTaskCompletedRequest& request, client::CallOptions options,
      client::Callback<client::ws::RespondActivityTaskCompletedResponse> done) override {
    Note("RespondActivityTaskCompleted");
    RespondActivityTaskCompleted_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RespondActivityTaskCompletedRequest,
           client::ws::RespondActivityTaskCompletedResponse>
      RespondActivityTaskCompleted_;

  void RespondActivityTaskFailed(
      const client::hs::RespondActivityTaskFailedRequest& request, client::CallOptions options,
      client::Callback<client::ws::RespondActivityTaskFailedResponse> done) override {
    Note("RespondActivityTaskFailed");
    RespondActivityTaskFailed_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RespondActivityTaskFailedRequest,
           client::ws::RespondActivityTaskFailedResponse>
      RespondActivityTaskFailed_;

  void RespondActivityTaskCanceled(
      const client::hs::RespondActivityTaskCanceledRequest& request, client::CallOptions options,
      client::Callback<client::ws::RespondActivityTaskCanceledResponse> done) override {
    Note("RespondActivityTaskCanceled");
    RespondActivityTaskCanceled_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RespondActivityTaskCanceledRequest,
           client::ws::RespondActivityTaskCanceledResponse>
      RespondActivityTaskCanceled_;

  void RecordActivityTaskHeartbeat(
      const client::hs::RecordActivityTaskHeartbeatRequest& request, client::CallOptions options,
      client::Callback<client::ws::RecordActivityTaskHeartbeatResponse> done) override {
    Note("RecordActivityTaskHeartbeat");
    RecordActivityTaskHeartbeat_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RecordActivityTaskHeartbeatRequest,
           client::ws::RecordActivityTaskHeartbeatResponse>
      RecordActivityTaskHeartbeat_;

  void GetWorkflowExecutionHistory(
      const client::hs::GetWorkflowExecutionHistoryRequest& request, client::CallOptions options,
      client::Callback<client::ws::GetWorkflowExecutionHistoryResponse> done) override {
    Note("GetWorkflowExecutionHistory");
    GetWorkflowExecutionHistory_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::GetWorkflowExecutionHistoryRequest,
           client::ws::GetWorkflowExecutionHistoryResponse>
      GetWorkflowExecutionHistory_;

  void DescribeWorkflowExecution(
      const client::hs::DescribeWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::DescribeWorkflowExecutionResponse> done) override {
    Note("DescribeWorkflowExecution");
    DescribeWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::DescribeWorkflowExecutionRequest,
           client::ws::DescribeWorkflowExecutionResponse>
      DescribeWorkflowExecution_;

  void TerminateWorkflowExecution(
      const client::hs::TerminateWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::TerminateWorkflowExecutionResponse> done) override {
    Note("TerminateWorkflowExecution");
    TerminateWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::TerminateWorkflowExecutionRequest,
           client::ws::TerminateWorkflowExecutionResponse>
      TerminateWorkflowExecution_;

  void DeleteWorkflowExecution(
      const client::hs::DeleteWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::DeleteWorkflowExecutionResponse> done) override {
    Note("DeleteWorkflowExecution");
    DeleteWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::DeleteWorkflowExecutionRequest, client::ws::DeleteWorkflowExecutionResponse>
      DeleteWorkflowExecution_;

  void ResetWorkflowExecution(
      const client::hs::ResetWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::ResetWorkflowExecutionResponse> done) override {
    Note("ResetWorkflowExecution");
    ResetWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::ResetWorkflowExecutionRequest, client::ws::ResetWorkflowExecutionResponse>
      ResetWorkflowExecution_;

  void SignalWorkflowExecution(
      const client::hs::SignalWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::SignalWorkflowExecutionResponse> done) override {
    Note("SignalWorkflowExecution");
    SignalWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::SignalWorkflowExecutionRequest, client::ws::SignalWorkflowExecutionResponse>
      SignalWorkflowExecution_;

  void SignalWithStartWorkflowExecution(
      const client::hs::SignalWithStartWorkflowExecutionRequest& request,
      client::CallOptions options,
      client::Callback<client::ws::SignalWithStartWorkflowExecutionResponse> done) override {
    Note("SignalWithStartWorkflowExecution");
    SignalWithStartWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::SignalWithStartWorkflowExecutionRequest,
           client::ws::SignalWithStartWorkflowExecutionResponse>
      SignalWithStartWorkflowExecution_;

  void RequestCancelWorkflowExecution(
      const client::hs::RequestCancelWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::RequestCancelWorkflowExecutionResponse> done) override {
    Note("RequestCancelWorkflowExecution");
    RequestCancelWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RequestCancelWorkflowExecutionRequest,
           client::ws::RequestCancelWorkflowExecutionResponse>
      RequestCancelWorkflowExecution_;

  void RecordChildExecutionCompleted(
      const client::hs::RecordChildExecutionCompletedRequest& request, client::CallOptions options,
      client::Callback<client::hs::RecordChildExecutionCompletedResponse> done) override {
    Note("RecordChildExecutionCompleted");
    RecordChildExecutionCompleted_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::RecordChildExecutionCompletedRequest,
           client::hs::RecordChildExecutionCompletedResponse>
      RecordChildExecutionCompleted_;

  void UpdateWorkflowExecution(
      const client::hs::UpdateWorkflowExecutionRequest& request, client::CallOptions options,
      client::Callback<client::ws::UpdateWorkflowExecutionResponse> done) override {
    Note("UpdateWorkflowExecution");
    UpdateWorkflowExecution_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::UpdateWorkflowExecutionRequest, client::ws::UpdateWorkflowExecutionResponse>
      UpdateWorkflowExecution_;

  void PollWorkflowExecutionUpdate(
      const client::hs::PollWorkflowExecutionUpdateRequest& request, client::CallOptions options,
      client::Callback<client::ws::PollWorkflowExecutionUpdateResponse> done) override {
    Note("PollWorkflowExecutionUpdate");
    PollWorkflowExecutionUpdate_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::PollWorkflowExecutionUpdateRequest,
           client::ws::PollWorkflowExecutionUpdateResponse>
      PollWorkflowExecutionUpdate_;

  void QueryWorkflow(const client::hs::QueryWorkflowRequest& request, client::CallOptions options,
                     client::Callback<client::ws::QueryWorkflowResponse> done) override {
    Note("QueryWorkflow");
    QueryWorkflow_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::QueryWorkflowRequest, client::ws::QueryWorkflowResponse> QueryWorkflow_;

  void ResetStickyTaskQueue(
      const client::hs::ResetStickyTaskQueueRequest& request, client::CallOptions options,
      client::Callback<client::ws::ResetStickyTaskQueueResponse> done) override {
    Note("ResetStickyTaskQueue");
    ResetStickyTaskQueue_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::ResetStickyTaskQueueRequest, client::ws::ResetStickyTaskQueueResponse>
      ResetStickyTaskQueue_;

  void GetWorkflowExecutionHistoryReverse(
      const client::hs::GetWorkflowExecutionHistoryReverseRequest& request,
      client::CallOptions options,
      client::Callback<client::ws::GetWorkflowExecutionHistoryReverseResponse> done) override {
    Note("GetWorkflowExecutionHistoryReverse");
    GetWorkflowExecutionHistoryReverse_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::hs::GetWorkflowExecutionHistoryReverseRequest,
           client::ws::GetWorkflowExecutionHistoryReverseResponse>
      GetWorkflowExecutionHistoryReverse_;
};

}  // namespace tern::mocks
