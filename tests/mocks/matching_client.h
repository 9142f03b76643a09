// The fake of client::MatchingClient (client/matching_client.h).
#pragma once

#include "client/matching_client.h"
#include "tests/mocks/recorder.h"

namespace tern::mocks {

// Records every call (per method in `<Method>_`, and the method names in calls()) and answers
// as the test says: a reply set on the method's recorder, else the status given to
// FailUnansweredWith, else the call stays pending. Needs no membership or executor. Methods are
// virtual so a test helper can route some calls elsewhere (LoopbackMatchingClient).
class FakeMatchingClient : public client::MatchingClient, public CallLog {
 public:
  void AddWorkflowTask(const client::ms::AddWorkflowTaskRequest& request,
                       client::CallOptions options,
                       client::Callback<client::ms::AddWorkflowTaskResponse> done) override {
    Note("AddWorkflowTask");
    AddWorkflowTask_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::AddWorkflowTaskRequest, client::ms::AddWorkflowTaskResponse>
      AddWorkflowTask_;

  void AddActivityTask(const client::ms::AddActivityTaskRequest& request,
                       client::CallOptions options,
                       client::Callback<client::ms::AddActivityTaskResponse> done) override {
    Note("AddActivityTask");
    AddActivityTask_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::AddActivityTaskRequest, client::ms::AddActivityTaskResponse>
      AddActivityTask_;

  void PollWorkflowTaskQueue(
      const client::ms::PollWorkflowTaskQueueRequest& request, client::CallOptions options,
      client::Callback<temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse> done)
      override {
    Note("PollWorkflowTaskQueue");
    PollWorkflowTaskQueue_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::PollWorkflowTaskQueueRequest,
           temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse>
      PollWorkflowTaskQueue_;

  void PollActivityTaskQueue(
      const client::ms::PollActivityTaskQueueRequest& request, client::CallOptions options,
      client::Callback<temporal::api::workflowservice::v1::PollActivityTaskQueueResponse> done)
      override {
    Note("PollActivityTaskQueue");
    PollActivityTaskQueue_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::PollActivityTaskQueueRequest,
           temporal::api::workflowservice::v1::PollActivityTaskQueueResponse>
      PollActivityTaskQueue_;

  void DescribeTaskQueuePartition(
      const client::ms::DescribeTaskQueuePartitionRequest& request, client::CallOptions options,
      client::Callback<client::ms::DescribeTaskQueuePartitionResponse> done) override {
    Note("DescribeTaskQueuePartition");
    DescribeTaskQueuePartition_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::DescribeTaskQueuePartitionRequest,
           client::ms::DescribeTaskQueuePartitionResponse>
      DescribeTaskQueuePartition_;

  void QueryWorkflow(const client::ms::QueryWorkflowRequest& request, client::CallOptions options,
                     client::Callback<client::ms::QueryWorkflowResponse> done) override {
    Note("QueryWorkflow");
    QueryWorkflow_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::QueryWorkflowRequest, client::ms::QueryWorkflowResponse> QueryWorkflow_;

  void RespondQueryTaskCompleted(
      const client::ms::RespondQueryTaskCompletedRequest& request, client::CallOptions options,
      client::Callback<client::ms::RespondQueryTaskCompletedResponse> done) override {
    Note("RespondQueryTaskCompleted");
    RespondQueryTaskCompleted_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::RespondQueryTaskCompletedRequest,
           client::ms::RespondQueryTaskCompletedResponse>
      RespondQueryTaskCompleted_;

  void ReleaseStickyTaskQueue(
      const client::ms::ReleaseStickyTaskQueueRequest& request, client::CallOptions options,
      client::Callback<client::ms::ReleaseStickyTaskQueueResponse> done) override {
    Note("ReleaseStickyTaskQueue");
    ReleaseStickyTaskQueue_.Call(request, options, std::move(done), fallback());
  }
  Recorder<client::ms::ReleaseStickyTaskQueueRequest, client::ms::ReleaseStickyTaskQueueResponse>
      ReleaseStickyTaskQueue_;
};

}  // namespace tern::mocks
