#include "services/history/activities.h"

#include "common/errors.h"
#include "services/history/retry.h"

namespace tern::history {

absl::Status ActivityNotFound() {
  return NotFoundError(
      "invalid activityID or activity already timed out or invoking workflow is completed");
}

TimePoint Plus(TimePoint t, const google::protobuf::Duration& d) {
  return t + std::chrono::duration_cast<TimePoint::duration>(FromProto(d));
}

pv1::TimerTask ActivityTimer(const MutableStateBuilder& ms, const pv1::ActivityInfo& activity,
                             pv1::TimerTask::Type type, enums::TimeoutType timeout_type,
                             TimePoint fire) {
  auto task = NewTimerTask(ms.state(), type, fire);
  task.set_event_id(activity.scheduled_event_id());
  task.set_attempt(activity.attempt());
  task.set_timeout_type(timeout_type);
  return task;
}

void DispatchActivity(MutableStateBuilder& ms, const pv1::ActivityInfo& activity) {
  auto task = NewTransferTask(ms.state(), pv1::TransferTask::TYPE_ACTIVITY_TASK);
  task.set_scheduled_event_id(activity.scheduled_event_id());
  task.set_task_queue(activity.task_queue());
  task.set_task_queue_kind(enums::TASK_QUEUE_KIND_NORMAL);
  *task.mutable_schedule_to_start_timeout() = activity.schedule_to_start_timeout();
  ms.AddTransferTask(std::move(task));
  if (!IsZero(activity.schedule_to_start_timeout())) {
    ms.AddTimerTask(ActivityTimer(ms, activity, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT,
                                  enums::TIMEOUT_TYPE_SCHEDULE_TO_START,
                                  Plus(ms.now(), activity.schedule_to_start_timeout())));
  }
  if (activity.attempt() == 1 && !IsZero(activity.schedule_to_close_timeout())) {
    ms.AddTimerTask(ActivityTimer(
        ms, activity, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT, enums::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
        Plus(FromProto(activity.scheduled_time()), activity.schedule_to_close_timeout())));
  }
}

int64_t AddActivityStarted(MutableStateBuilder& ms, const pv1::ActivityInfo& activity) {
  if (!activity.started()) return 0;
  auto* started = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_STARTED);
  *started->mutable_event_time() = activity.started_time();
  auto* attrs = started->mutable_activity_task_started_event_attributes();
  attrs->set_scheduled_event_id(activity.scheduled_event_id());
  attrs->set_identity(activity.started_identity());
  attrs->set_request_id(activity.request_id());
  attrs->set_attempt(activity.attempt());
  if (activity.has_last_failure()) *attrs->mutable_last_failure() = activity.last_failure();
  return started->event_id();
}

// Finds the started attempt a worker reports on, by token. A token built for a *ById call has
// the activity id instead of the scheduled event id and attempt.
absl::StatusOr<pv1::ActivityInfo*> FindStartedActivity(MutableStateBuilder& ms,
                                                       const pv1::TaskToken& token) {
  if (!ms.IsRunning()) return ActivityNotFound();
  auto& activities = *ms.state().mutable_activities();
  if (token.scheduled_event_id() == 0) {
    for (auto& [id, activity] : activities) {
      if (activity.activity_id() == token.activity_id() && activity.started()) return &activity;
    }
    return ActivityNotFound();
  }
  auto it = activities.find(token.scheduled_event_id());
  if (it == activities.end() || !it->second.started() || it->second.attempt() != token.attempt()) {
    return ActivityNotFound();
  }
  return &it->second;
}

void FailActivity(MutableStateBuilder& ms, int64_t scheduled_event_id,
                  const temporal::api::failure::v1::Failure& failure_in,
                  const temporal::api::common::v1::Payloads* heartbeat_details,
                  const std::string& identity, bool timeout) {
  auto& activities = *ms.state().mutable_activities();
  auto& activity = activities.at(scheduled_event_id);
  if (heartbeat_details) *activity.mutable_last_heartbeat_details() = *heartbeat_details;
  auto failure = failure_in;
  std::optional<TimePoint> expiration;
  if (!IsZero(activity.schedule_to_close_timeout())) {
    expiration = Plus(FromProto(activity.scheduled_time()), activity.schedule_to_close_timeout());
  }
  RetryDecision decision;
  if (activity.cancel_requested()) {
    decision.state = enums::RETRY_STATE_CANCEL_REQUESTED;
  } else {
    decision =
        DecideRetry(activity.retry_policy(), activity.attempt(), failure, expiration, ms.now());
  }
  if (decision.retry) {
    activity.set_attempt(activity.attempt() + 1);
    activity.set_started(false);
    activity.clear_started_time();
    activity.clear_request_id();
    *activity.mutable_last_failure() = failure;
    auto fire = ms.now() + std::chrono::duration_cast<TimePoint::duration>(decision.backoff);
    *activity.mutable_current_attempt_scheduled_time() = ToProto(fire);
    ms.AddTimerTask(ActivityTimer(ms, activity, pv1::TimerTask::TYPE_ACTIVITY_RETRY,
                                  enums::TIMEOUT_TYPE_UNSPECIFIED, fire));
    ms.MarkDirty();
    return;
  }
  if (timeout && decision.state == enums::RETRY_STATE_TIMEOUT &&
      failure.timeout_failure_info().timeout_type() != enums::TIMEOUT_TYPE_SCHEDULE_TO_START) {
    failure.mutable_timeout_failure_info()->set_timeout_type(enums::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
  }
  int64_t started_id = AddActivityStarted(ms, activity);
  if (timeout) {
    auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT);
    auto* attrs = event->mutable_activity_task_timed_out_event_attributes();
    *attrs->mutable_failure() = failure;
    attrs->set_scheduled_event_id(scheduled_event_id);
    attrs->set_started_event_id(started_id);
    attrs->set_retry_state(decision.state);
  } else {
    auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_FAILED);
    auto* attrs = event->mutable_activity_task_failed_event_attributes();
    *attrs->mutable_failure() = failure;
    attrs->set_scheduled_event_id(scheduled_event_id);
    attrs->set_started_event_id(started_id);
    attrs->set_identity(identity);
    attrs->set_retry_state(decision.state);
  }
  activities.erase(scheduled_event_id);
  ms.ScheduleWorkflowTask();
}
}  // namespace tern::history
