#include "services/history/activities.h"
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::RespondActivityTaskFailedResponse> RespondActivityTaskFailed(
    EngineContext& engine, const hs::RespondActivityTaskFailedRequest& internal) {
  const auto& request = internal.request();
  auto status = engine.MutateActivity(request.task_token(), [&](MutableStateBuilder& ms,
                                                                pv1::ActivityInfo& activity) {
    FailActivity(ms, activity.scheduled_event_id(), request.failure(),
                 request.has_last_heartbeat_details() ? &request.last_heartbeat_details() : nullptr,
                 request.identity(), /*timeout=*/false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::RespondActivityTaskFailedResponse();
}

}  // namespace tern::history::api
