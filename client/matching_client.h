// Client of tern-matching. Routes every call to the owner of the task-queue partition named in
// the request (from the matching ring) and retries while ownership moves. Thread-safe; callbacks
// run on gRPC or executor threads and must not block.
#pragma once

#include "client/rpc.h"
#include "membership/membership.h"
#include "tern/matchingservice/v1/service.grpc.pb.h"

namespace tern::client {

namespace ms = tern::matchingservice::v1;

class MatchingClient {
 public:
  MatchingClient(Membership& membership, Executor& executor);
  virtual ~MatchingClient() = default;

  virtual void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, CallOptions options,
                               Callback<ms::AddWorkflowTaskResponse> done);
  virtual void AddActivityTask(const ms::AddActivityTaskRequest& request, CallOptions options,
                               Callback<ms::AddActivityTaskResponse> done);
  virtual void PollWorkflowTaskQueue(
      const ms::PollWorkflowTaskQueueRequest& request, CallOptions options,
      Callback<temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse> done);
  virtual void PollActivityTaskQueue(
      const ms::PollActivityTaskQueueRequest& request, CallOptions options,
      Callback<temporal::api::workflowservice::v1::PollActivityTaskQueueResponse> done);
  virtual void DescribeTaskQueuePartition(const ms::DescribeTaskQueuePartitionRequest& request,
                                          CallOptions options,
                                          Callback<ms::DescribeTaskQueuePartitionResponse> done);
  // Queries go to the workflow partition named by task_queue.name (history uses the root).
  virtual void QueryWorkflow(const ms::QueryWorkflowRequest& request, CallOptions options,
                             Callback<ms::QueryWorkflowResponse> done);
  virtual void RespondQueryTaskCompleted(const ms::RespondQueryTaskCompletedRequest& request,
                                         CallOptions options,
                                         Callback<ms::RespondQueryTaskCompletedResponse> done);

  virtual void ReleaseStickyTaskQueue(const ms::ReleaseStickyTaskQueueRequest& request,
                                      CallOptions options,
                                      Callback<ms::ReleaseStickyTaskQueueResponse> done);

 private:
  template <typename Request, typename Response, typename Invoke>
  void Call(std::string placement_key, const Request& request, CallOptions options,
            Callback<Response> done, Invoke invoke);

  Membership& membership_;
  Executor& executor_;
  StubCache<ms::MatchingService> stubs_;
};

}  // namespace tern::client
