// The gRPC implementation of MatchingClient: routes each call to the owner of the task-queue
// partition on the matching ring and retries while ownership moves (see matching_client.h).
#pragma once

#include "client/matching_client.h"
#include "client/ring_router.h"
#include "membership/membership.h"
#include "tern/matchingservice/v1/service.grpc.pb.h"

namespace tern::client {

class GrpcMatchingClient final : public MatchingClient {
 public:
  GrpcMatchingClient(Membership& membership, Executor& executor,
                     const Clock& clock = SystemClock::Instance());

  void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, CallOptions options,
                       Callback<ms::AddWorkflowTaskResponse> done) override;
  void AddActivityTask(const ms::AddActivityTaskRequest& request, CallOptions options,
                       Callback<ms::AddActivityTaskResponse> done) override;
  void PollWorkflowTaskQueue(
      const ms::PollWorkflowTaskQueueRequest& request, CallOptions options,
      Callback<temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse> done) override;
  void PollActivityTaskQueue(
      const ms::PollActivityTaskQueueRequest& request, CallOptions options,
      Callback<temporal::api::workflowservice::v1::PollActivityTaskQueueResponse> done) override;
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
  using Stub = ms::MatchingService::StubInterface::async_interface;

  RingRouter<ms::MatchingService> router_;
};

}  // namespace tern::client
