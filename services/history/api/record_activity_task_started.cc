#include "common/task_token.h"
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
      activity.set_started(true);
      activity.set_request_id(request.request_id());
      activity.set_started_identity(request.poll_request().identity());
      *activity.mutable_started_time() = ToProto(ms.now());
      ms.MarkDirty();
      if (!IsZero(activity.start_to_close_timeout())) {
        ms.AddTimerTask(ActivityTimer(ms, activity, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT,
                                      enums::TIMEOUT_TYPE_START_TO_CLOSE,
                                      Plus(ms.now(), activity.start_to_close_timeout())));
      }
      if (!IsZero(activity.heartbeat_timeout())) {
        ms.AddTimerTask(ActivityTimer(ms, activity, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT,
                                      enums::TIMEOUT_TYPE_HEARTBEAT,
                                      Plus(ms.now(), activity.heartbeat_timeout())));
      }
    }
    pv1::TaskToken token;
    token.set_namespace_id(key.namespace_id);
    token.set_workflow_id(key.workflow_id);
    token.set_run_id(key.run_id);
    token.set_scheduled_event_id(activity.scheduled_event_id());
    token.set_attempt(activity.attempt());
    token.set_activity_id(activity.activity_id());
    response.set_task_token(EncodeTaskToken(token));
    response.set_workflow_namespace(request.poll_request().namespace_());
    *response.mutable_workflow_type() = ms.state().workflow_type();
    response.mutable_workflow_execution()->set_workflow_id(key.workflow_id);
    response.mutable_workflow_execution()->set_run_id(key.run_id);
    *response.mutable_activity_type() = activity.activity_type();
    response.set_activity_id(activity.activity_id());
    if (activity.has_header()) *response.mutable_header() = activity.header();
    if (activity.has_input()) *response.mutable_input() = activity.input();
    if (activity.has_last_heartbeat_details()) {
      *response.mutable_heartbeat_details() = activity.last_heartbeat_details();
    }
    *response.mutable_scheduled_time() = activity.scheduled_time();
    *response.mutable_current_attempt_scheduled_time() = activity.current_attempt_scheduled_time();
    *response.mutable_started_time() = activity.started_time();
    response.set_attempt(activity.attempt());
    *response.mutable_schedule_to_close_timeout() = activity.schedule_to_close_timeout();
    *response.mutable_start_to_close_timeout() = activity.start_to_close_timeout();
    *response.mutable_heartbeat_timeout() = activity.heartbeat_timeout();
    *response.mutable_retry_policy() = activity.retry_policy();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace tern::history::api
