#include "client/grpc_matching_client.h"

#include "common/task_queue_names.h"
#include "temporal/api/enums/v1/task_queue.pb.h"

namespace tern::client {
namespace {
namespace enums = temporal::api::enums::v1;
namespace ws = temporal::api::workflowservice::v1;
constexpr int kWorkflow = enums::TASK_QUEUE_TYPE_WORKFLOW;
constexpr int kActivity = enums::TASK_QUEUE_TYPE_ACTIVITY;
}  // namespace

GrpcMatchingClient::GrpcMatchingClient(Membership& membership, Executor& executor,
                                       const Clock& clock)
    : router_(membership, Membership::Role::kMatching, executor, clock, "matching") {}

void GrpcMatchingClient::AddWorkflowTask(const ms::AddWorkflowTaskRequest& request,
                                         CallOptions options,
                                         Callback<ms::AddWorkflowTaskResponse> done) {
  router_.Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kWorkflow),
               request, std::move(options), std::move(done), &Stub::AddWorkflowTask,
               &MatchingClient::AddWorkflowTask);
}

void GrpcMatchingClient::AddActivityTask(const ms::AddActivityTaskRequest& request,
                                         CallOptions options,
                                         Callback<ms::AddActivityTaskResponse> done) {
  router_.Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kActivity),
               request, std::move(options), std::move(done), &Stub::AddActivityTask,
               &MatchingClient::AddActivityTask);
}

void GrpcMatchingClient::PollWorkflowTaskQueue(const ms::PollWorkflowTaskQueueRequest& request,
                                               CallOptions options,
                                               Callback<ws::PollWorkflowTaskQueueResponse> done) {
  router_.Call(
      PartitionKey(request.namespace_id(), request.poll_request().task_queue().name(), kWorkflow),
      request, std::move(options), std::move(done), &Stub::PollWorkflowTaskQueue,
      &MatchingClient::PollWorkflowTaskQueue);
}

void GrpcMatchingClient::PollActivityTaskQueue(const ms::PollActivityTaskQueueRequest& request,
                                               CallOptions options,
                                               Callback<ws::PollActivityTaskQueueResponse> done) {
  router_.Call(
      PartitionKey(request.namespace_id(), request.poll_request().task_queue().name(), kActivity),
      request, std::move(options), std::move(done), &Stub::PollActivityTaskQueue,
      &MatchingClient::PollActivityTaskQueue);
}

void GrpcMatchingClient::DescribeTaskQueuePartition(
    const ms::DescribeTaskQueuePartitionRequest& request, CallOptions options,
    Callback<ms::DescribeTaskQueuePartitionResponse> done) {
  router_.Call(
      PartitionKey(request.namespace_id(), request.task_queue().name(), request.task_queue_type()),
      request, std::move(options), std::move(done), &Stub::DescribeTaskQueuePartition,
      &MatchingClient::DescribeTaskQueuePartition);
}

void GrpcMatchingClient::QueryWorkflow(const ms::QueryWorkflowRequest& request, CallOptions options,
                                       Callback<ms::QueryWorkflowResponse> done) {
  router_.Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kWorkflow),
               request, std::move(options), std::move(done), &Stub::QueryWorkflow,
               &MatchingClient::QueryWorkflow);
}

void GrpcMatchingClient::RespondQueryTaskCompleted(
    const ms::RespondQueryTaskCompletedRequest& request, CallOptions options,
    Callback<ms::RespondQueryTaskCompletedResponse> done) {
  router_.Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kWorkflow),
               request, std::move(options), std::move(done), &Stub::RespondQueryTaskCompleted,
               &MatchingClient::RespondQueryTaskCompleted);
}

void GrpcMatchingClient::ReleaseStickyTaskQueue(const ms::ReleaseStickyTaskQueueRequest& request,
                                                CallOptions options,
                                                Callback<ms::ReleaseStickyTaskQueueResponse> done) {
  router_.Call(PartitionKey(request.namespace_id(), request.task_queue(), kWorkflow), request,
               std::move(options), std::move(done), &Stub::ReleaseStickyTaskQueue,
               &MatchingClient::ReleaseStickyTaskQueue);
}

}  // namespace tern::client
