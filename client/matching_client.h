// The client interface of tern-matching: one method per MatchingService RPC
// (proto/tern/matchingservice). Callers (frontend, history, matching forwarding to a parent
// partition) depend only on this interface; the process picks the implementation
// (GrpcMatchingClient, wrapped in decorators by the composition root).
//
// Contract for every method:
//   - Asynchronous and thread-safe: any thread may call any method; the call never blocks on
//     the network.
//   - `done` runs exactly once, on an implementation thread (gRPC completion or executor
//     thread). It must not block.
//   - An implementation routes by the task-queue partition named in the request and retries
//     while the partition moves or the owner is unreachable, until options.deadline (unless
//     options.retry is false). What reaches `done` is then matching's own answer (a long poll
//     that found nothing is an empty success), or:
//       Unavailable         no owner answered before the deadline;
//       DeadlineExceeded    the deadline passed during the call;
//       Cancelled           options.handle was cancelled (a poller that went away).
//     Typed errors of the service (common/errors.h: StickyWorkerUnavailable, ...) arrive as the
//     service sent them.
#pragma once

#include "client/rpc.h"
#include "tern/matchingservice/v1/service.pb.h"

namespace tern::client {

namespace ms = tern::matchingservice::v1;

class MatchingClient {
 public:
  virtual ~MatchingClient() = default;

  virtual void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, CallOptions options,
                               Callback<ms::AddWorkflowTaskResponse> done) = 0;
  virtual void AddActivityTask(const ms::AddActivityTaskRequest& request, CallOptions options,
                               Callback<ms::AddActivityTaskResponse> done) = 0;
  virtual void PollWorkflowTaskQueue(
      const ms::PollWorkflowTaskQueueRequest& request, CallOptions options,
      Callback<temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse> done) = 0;
  virtual void PollActivityTaskQueue(
      const ms::PollActivityTaskQueueRequest& request, CallOptions options,
      Callback<temporal::api::workflowservice::v1::PollActivityTaskQueueResponse> done) = 0;
  virtual void DescribeTaskQueuePartition(
      const ms::DescribeTaskQueuePartitionRequest& request, CallOptions options,
      Callback<ms::DescribeTaskQueuePartitionResponse> done) = 0;
  // Queries go to the workflow partition named by task_queue.name (history uses the root).
  virtual void QueryWorkflow(const ms::QueryWorkflowRequest& request, CallOptions options,
                             Callback<ms::QueryWorkflowResponse> done) = 0;
  virtual void RespondQueryTaskCompleted(const ms::RespondQueryTaskCompletedRequest& request,
                                         CallOptions options,
                                         Callback<ms::RespondQueryTaskCompletedResponse> done) = 0;
  virtual void ReleaseStickyTaskQueue(const ms::ReleaseStickyTaskQueueRequest& request,
                                      CallOptions options,
                                      Callback<ms::ReleaseStickyTaskQueueResponse> done) = 0;
};

}  // namespace tern::client
