#include "services/history/activities.h"
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::RespondActivityTaskCompletedResponse> RespondActivityTaskCompleted(
    EngineContext& engine, const hs::RespondActivityTaskCompletedRequest& internal) {
  const auto& request = internal.request();
  auto status = engine.MutateActivity(
      request.task_token(), [&](MutableStateBuilder& ms, pv1::ActivityInfo& activity) {
        int64_t scheduled_id = activity.scheduled_event_id();
        int64_t started_id = AddActivityStarted(ms, activity);
        auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
                          ->mutable_activity_task_completed_event_attributes();
        if (request.has_result()) *attrs->mutable_result() = request.result();
        attrs->set_scheduled_event_id(scheduled_id);
        attrs->set_started_event_id(started_id);
        attrs->set_identity(request.identity());
        ms.state().mutable_activities()->erase(scheduled_id);
        ms.ScheduleWorkflowTask();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return ws::RespondActivityTaskCompletedResponse();
}

}  // namespace tern::history::api
