#include "services/history/api/api.h"
#include "services/history/workflow_task.h"

namespace tern::history::api {

absl::StatusOr<ws::PollWorkflowTaskQueueResponse> RecordWorkflowTaskStarted(
    EngineContext& engine, const hs::RecordWorkflowTaskStartedRequest& request) {
  const auto& execution = request.workflow_execution();
  auto shard = engine.ShardFor(request.namespace_id(), execution.workflow_id());
  if (!shard.ok()) return shard.status();
  ExecutionKey key{request.namespace_id(), execution.workflow_id(), execution.run_id()};
  WorkflowTaskStart start;
  std::vector<hv1::HistoryEvent> transient;
  ws::PollWorkflowTaskQueueResponse extras;
  auto status = engine.MutateWithContext(
      **shard, key, [&](MutableStateBuilder& ms, ExecutionContext& ctx) -> absl::Status {
        auto& wft = *ms.state().mutable_workflow_task();
        if (!ms.IsRunning() || wft.scheduled_event_id() != request.scheduled_event_id()) {
          return WorkflowTaskNotFound();
        }
        if (wft.started_event_id() != 0) {
          if (wft.request_id() != request.request_id()) {
            return NotFoundError("Workflow task already started.");
          }
        } else {
          MarkWorkflowTaskStarted(ms, engine.options(ms.state().namespace_id()),
                                  request.poll_request().identity(), request.request_id());
        }
        transient = ms.UnwrittenWorkflowTaskEvents();
        // A worker polling the run's sticky queue has the run cached: send only the new events.
        bool partial = wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY &&
                       request.poll_request().task_queue().name() == ms.state().sticky_task_queue();
        start = StartWorkflowTaskResponse(ms.state(), partial);
        extras = PendingWorkForTask(ctx, ms.state().workflow_task().started_event_id());
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  auto response = WorkflowTaskResponse(**shard, std::move(start), transient);
  if (response.ok()) response->MergeFrom(extras);
  return response;
}

}  // namespace tern::history::api
