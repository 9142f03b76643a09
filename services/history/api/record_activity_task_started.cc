#include "services/history/activities.h"
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::PollActivityTaskQueueResponse> RecordActivityTaskStarted(
    EngineContext& engine, const hs::RecordActivityTaskStartedRequest& request) {
  const auto& execution = request.workflow_execution();
  auto shard = engine.ShardFor(request.namespace_id(), execution.workflow_id());
  if (!shard.ok()) return shard.status();
  ExecutionKey key{request.namespace_id(), execution.workflow_id(), execution.run_id()};
  ws::PollActivityTaskQueueResponse response;
  auto status = engine.Mutate(**shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!ms.IsRunning()) return ActivityNotFound();
    auto& activities = *ms.state().mutable_activities();
    auto it = activities.find(request.scheduled_event_id());
    if (it == activities.end()) return ActivityNotFound();
    auto& activity = it->second;
    if (activity.started()) {
      if (activity.request_id() != request.request_id()) {
        return NotFoundError("Activity task already started.");
      }
    } else {
      MarkActivityStarted(ms, activity, request.poll_request().identity(), request.request_id());
    }
    response = ActivityTaskFor(ms.state(), activity, request.poll_request().namespace_());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace tern::history::api
