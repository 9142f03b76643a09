#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(
    EngineContext& engine, const hs::RecordActivityTaskHeartbeatRequest& internal) {
  const auto& request = internal.request();
  ws::RecordActivityTaskHeartbeatResponse response;
  auto status = engine.MutateActivity(
      request.task_token(), [&](MutableStateBuilder& ms, pv1::ActivityInfo& activity) {
        if (request.has_details()) *activity.mutable_last_heartbeat_details() = request.details();
        *activity.mutable_last_heartbeat_time() = ToProto(ms.now());
        response.set_cancel_requested(activity.cancel_requested());
        ms.MarkDirty();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return response;
}

}  // namespace tern::history::api
