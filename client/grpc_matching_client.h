// The gRPC implementation of MatchingClient: routes each call to the owner of the task-queue
// partition on the matching ring and retries while ownership moves (see matching_client.h). In
// a process that also runs the matching service, calls for the partitions it owns go to that
// service directly (SetLocal), with no gRPC and no serialization.
#pragma once

#include "client/matching_client.h"
#include "client/ring_router.h"
#include "membership/membership.h"
#include "tern/matchingservice/v1/service.grpc.pb.h"

namespace tern::client {

using LocalMatching = LocalService<MatchingClient>;

class GrpcMatchingClient final : public MatchingClient {
 public:
  GrpcMatchingClient(Membership& membership, Executor& executor,
                     const Clock& clock = SystemClock::Instance());

  // Sends calls for the partitions `local` holds (keys: PartitionKey) to it from now on
  // (nullopt: none). Set it once the service is built, and clear it before the service stops.
  void SetLocal(std::optional<LocalMatching> local) { router_.SetLocal(std::move(local)); }

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

  RingRouter<ms::MatchingService, MatchingClient> router_;
};

}  // namespace tern::client
