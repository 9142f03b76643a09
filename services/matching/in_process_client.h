// The matching service's RPCs as MatchingClient calls on this process's engine: what the gRPC
// handler serves (matching_service.cc), and what the other services of the same process call
// directly, without gRPC, for the partitions this host owns (client::LocalMatching).
//
// options.deadline is the engine's deadline for the call; cancelling options.handle cancels a
// parked poll or a pending query (the call then finishes with the handle's reason). No routing
// and no retry: a partition this host does not own answers ShardOwnershipLost.
#pragma once

#include <memory>

#include "client/matching_client.h"
#include "services/matching/matching_engine.h"

namespace tern::matching {

class InProcessMatchingClient final : public client::MatchingClient {
 public:
  // `executor` runs cancellations (they must not run on the canceller's thread).
  InProcessMatchingClient(std::shared_ptr<MatchingEngine> engine, Executor& executor)
      : engine_(std::move(engine)), executor_(executor) {}

  void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, client::CallOptions options,
                       client::Callback<ms::AddWorkflowTaskResponse> done) override;
  void AddActivityTask(const ms::AddActivityTaskRequest& request, client::CallOptions options,
                       client::Callback<ms::AddActivityTaskResponse> done) override;
  void PollWorkflowTaskQueue(const ms::PollWorkflowTaskQueueRequest& request,
                             client::CallOptions options,
                             client::Callback<ws::PollWorkflowTaskQueueResponse> done) override;
  void PollActivityTaskQueue(const ms::PollActivityTaskQueueRequest& request,
                             client::CallOptions options,
                             client::Callback<ws::PollActivityTaskQueueResponse> done) override;
  void DescribeTaskQueuePartition(
      const ms::DescribeTaskQueuePartitionRequest& request, client::CallOptions options,
      client::Callback<ms::DescribeTaskQueuePartitionResponse> done) override;
  void QueryWorkflow(const ms::QueryWorkflowRequest& request, client::CallOptions options,
                     client::Callback<ms::QueryWorkflowResponse> done) override;
  void RespondQueryTaskCompleted(
      const ms::RespondQueryTaskCompletedRequest& request, client::CallOptions options,
      client::Callback<ms::RespondQueryTaskCompletedResponse> done) override;
  void ReleaseStickyTaskQueue(const ms::ReleaseStickyTaskQueueRequest& request,
                              client::CallOptions options,
                              client::Callback<ms::ReleaseStickyTaskQueueResponse> done) override;

 private:
  // Starts a cancellable call: `start` gets the callback to answer through and returns the
  // engine's handle; options.handle's cancel reaches that handle.
  template <typename Response>
  void Cancellable(
      client::CallOptions options, client::Callback<Response> done,
      const std::function<std::shared_ptr<PollHandle>(client::Callback<Response>)>& start);

  std::shared_ptr<MatchingEngine> engine_;
  Executor& executor_;
};

}  // namespace tern::matching
