#include "services/matching/in_process_client.h"

namespace tern::matching {

template <typename Response>
void InProcessMatchingClient::Cancellable(
    client::CallOptions options, client::Callback<Response> done,
    const std::function<std::shared_ptr<PollHandle>(client::Callback<Response>)>& start) {
  auto handle = options.handle;
  auto poll = start([handle, done = std::move(done)](absl::StatusOr<Response> result) {
    if (handle) handle->Detach();
    // A call cancelled by its handle ends with the handle's reason, as over gRPC.
    if (handle && absl::IsCancelled(result.status())) {
      if (absl::Status reason = handle->reason(); !reason.ok()) return done(std::move(reason));
    }
    done(std::move(result));
  });
  if (!handle) return;
  absl::Status cancelled;
  // The cancel runs under the handle's lock, and the engine may answer at once: cancel from an
  // executor thread.
  if (!handle->Attach([this, poll] { executor_.Post([poll] { poll->Cancel(); }); }, &cancelled)) {
    poll->Cancel();
  }
}

void InProcessMatchingClient::AddWorkflowTask(const ms::AddWorkflowTaskRequest& request,
                                              client::CallOptions options,
                                              client::Callback<ms::AddWorkflowTaskResponse> done) {
  engine_->AddWorkflowTask(request, options.deadline, std::move(done));
}

void InProcessMatchingClient::AddActivityTask(const ms::AddActivityTaskRequest& request,
                                              client::CallOptions options,
                                              client::Callback<ms::AddActivityTaskResponse> done) {
  engine_->AddActivityTask(request, options.deadline, std::move(done));
}

void InProcessMatchingClient::PollWorkflowTaskQueue(
    const ms::PollWorkflowTaskQueueRequest& request, client::CallOptions options,
    client::Callback<ws::PollWorkflowTaskQueueResponse> done) {
  TimePoint deadline = options.deadline;
  Cancellable<ws::PollWorkflowTaskQueueResponse>(
      std::move(options), std::move(done), [&](auto answer) {
        return engine_->PollWorkflowTaskQueue(request, deadline, std::move(answer));
      });
}

void InProcessMatchingClient::PollActivityTaskQueue(
    const ms::PollActivityTaskQueueRequest& request, client::CallOptions options,
    client::Callback<ws::PollActivityTaskQueueResponse> done) {
  TimePoint deadline = options.deadline;
  Cancellable<ws::PollActivityTaskQueueResponse>(
      std::move(options), std::move(done), [&](auto answer) {
        return engine_->PollActivityTaskQueue(request, deadline, std::move(answer));
      });
}

void InProcessMatchingClient::QueryWorkflow(const ms::QueryWorkflowRequest& request,
                                            client::CallOptions options,
                                            client::Callback<ms::QueryWorkflowResponse> done) {
  TimePoint deadline = options.deadline;
  Cancellable<ms::QueryWorkflowResponse>(std::move(options), std::move(done), [&](auto answer) {
    return engine_->QueryWorkflow(request, deadline, std::move(answer));
  });
}

void InProcessMatchingClient::DescribeTaskQueuePartition(
    const ms::DescribeTaskQueuePartitionRequest& request, client::CallOptions,
    client::Callback<ms::DescribeTaskQueuePartitionResponse> done) {
  engine_->DescribeTaskQueuePartition(request, std::move(done));
}

void InProcessMatchingClient::RespondQueryTaskCompleted(
    const ms::RespondQueryTaskCompletedRequest& request, client::CallOptions,
    client::Callback<ms::RespondQueryTaskCompletedResponse> done) {
  engine_->RespondQueryTaskCompleted(request, std::move(done));
}

void InProcessMatchingClient::ReleaseStickyTaskQueue(
    const ms::ReleaseStickyTaskQueueRequest& request, client::CallOptions,
    client::Callback<ms::ReleaseStickyTaskQueueResponse> done) {
  engine_->ReleaseStickyTaskQueue(request.namespace_id(), request.task_queue());
  done(ms::ReleaseStickyTaskQueueResponse());
}

}  // namespace tern::matching
