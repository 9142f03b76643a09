#include "client/matching_client.h"

#include "common/task_queue_names.h"
#include "temporal/api/enums/v1/task_queue.pb.h"

namespace tern::client {
namespace {
namespace enums = temporal::api::enums::v1;
constexpr int kWorkflow = enums::TASK_QUEUE_TYPE_WORKFLOW;
constexpr int kActivity = enums::TASK_QUEUE_TYPE_ACTIVITY;
}  // namespace

MatchingClient::MatchingClient(Membership& membership, Executor& executor)
    : membership_(membership), executor_(executor) {}

template <typename Request, typename Response, typename Invoke>
void MatchingClient::Call(std::string placement_key, const Request& request, CallOptions options,
                          Callback<Response> done, Invoke invoke) {
  UnaryCall<Request, Response>::Start(
      executor_,
      [this, key = std::move(placement_key)]() -> absl::StatusOr<std::string> {
        const std::string& owner = membership_.Ring(Membership::Role::kMatching)->Lookup(key);
        if (owner.empty()) return absl::UnavailableError("no matching host is available");
        return owner;
      },
      [this, invoke](const std::string& address, grpc::ClientContext* ctx, const Request* req,
                     Response* resp, std::function<void(grpc::Status)> on_done) {
        invoke(stubs_.Get(address)->async(), ctx, req, resp, std::move(on_done));
      },
      request, std::move(options), std::move(done), [this] { membership_.RequestRefresh(); });
}

void MatchingClient::AddWorkflowTask(const ms::AddWorkflowTaskRequest& request,
                                     CallOptions options,
                                     Callback<ms::AddWorkflowTaskResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kWorkflow), request,
       std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->AddWorkflowTask(ctx, req, resp, std::move(on_done));
       });
}

void MatchingClient::AddActivityTask(const ms::AddActivityTaskRequest& request,
                                     CallOptions options,
                                     Callback<ms::AddActivityTaskResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kActivity), request,
       std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->AddActivityTask(ctx, req, resp, std::move(on_done));
       });
}

void MatchingClient::PollWorkflowTaskQueue(
    const ms::PollWorkflowTaskQueueRequest& request, CallOptions options,
    Callback<temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.poll_request().task_queue().name(), kWorkflow),
       request, std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->PollWorkflowTaskQueue(ctx, req, resp, std::move(on_done));
       });
}

void MatchingClient::PollActivityTaskQueue(
    const ms::PollActivityTaskQueueRequest& request, CallOptions options,
    Callback<temporal::api::workflowservice::v1::PollActivityTaskQueueResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.poll_request().task_queue().name(), kActivity),
       request, std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->PollActivityTaskQueue(ctx, req, resp, std::move(on_done));
       });
}

void MatchingClient::DescribeTaskQueuePartition(
    const ms::DescribeTaskQueuePartitionRequest& request, CallOptions options,
    Callback<ms::DescribeTaskQueuePartitionResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.task_queue().name(),
                    request.task_queue_type()),
       request, std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->DescribeTaskQueuePartition(ctx, req, resp, std::move(on_done));
       });
}

void MatchingClient::QueryWorkflow(const ms::QueryWorkflowRequest& request, CallOptions options,
                                   Callback<ms::QueryWorkflowResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kWorkflow), request,
       std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->QueryWorkflow(ctx, req, resp, std::move(on_done));
       });
}

void MatchingClient::ReleaseStickyTaskQueue(const ms::ReleaseStickyTaskQueueRequest& request,
                                            CallOptions options,
                                            Callback<ms::ReleaseStickyTaskQueueResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.task_queue(), kWorkflow), request,
       std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->ReleaseStickyTaskQueue(ctx, req, resp, std::move(on_done));
       });
}

void MatchingClient::RespondQueryTaskCompleted(
    const ms::RespondQueryTaskCompletedRequest& request, CallOptions options,
    Callback<ms::RespondQueryTaskCompletedResponse> done) {
  Call(PartitionKey(request.namespace_id(), request.task_queue().name(), kWorkflow), request,
       std::move(options), std::move(done),
       [](auto* async, auto* ctx, auto* req, auto* resp, auto on_done) {
         async->RespondQueryTaskCompleted(ctx, req, resp, std::move(on_done));
       });
}

}  // namespace tern::client
