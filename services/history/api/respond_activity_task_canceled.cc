#include "services/history/activities.h"
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::RespondActivityTaskCanceledResponse> RespondActivityTaskCanceled(
    EngineContext& engine, const hs::RespondActivityTaskCanceledRequest& internal) {
  const auto& request = internal.request();
  auto status = engine.MutateActivity(
      request.task_token(), [&](MutableStateBuilder& ms, pv1::ActivityInfo& activity) {
        const auto info = activity;
        int64_t started_id = AddActivityStarted(ms, info);
        auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED)
                          ->mutable_activity_task_canceled_event_attributes();
        if (request.has_details()) *attrs->mutable_details() = request.details();
        attrs->set_latest_cancel_requested_event_id(info.cancel_requested_event_id());
        attrs->set_scheduled_event_id(info.scheduled_event_id());
        attrs->set_started_event_id(started_id);
        attrs->set_identity(request.identity());
        ms.state().mutable_activities()->erase(info.scheduled_event_id());
        ms.ScheduleWorkflowTask();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return ws::RespondActivityTaskCanceledResponse();
}

}  // namespace tern::history::api
