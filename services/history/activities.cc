#include "services/history/activities.h"

#include "common/errors.h"
#include "common/task_token.h"
#include "services/history/retry.h"

namespace tern::history {

absl::Status ActivityNotFound() {
  return NotFoundError(
      "invalid activityID or activity already timed out or invoking workflow is completed");
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
                                  AddSaturating(ms.now(), activity.schedule_to_start_timeout())));
  }
  ArmScheduleToClose(ms, activity);
}

void ArmScheduleToClose(MutableStateBuilder& ms, const pv1::ActivityInfo& activity) {
  if (activity.attempt() != 1 || IsZero(activity.schedule_to_close_timeout())) return;
  ms.AddTimerTask(ActivityTimer(
      ms, activity, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT, enums::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
      AddSaturating(FromProto(activity.scheduled_time()), activity.schedule_to_close_timeout())));
}

void MarkActivityStarted(MutableStateBuilder& ms, pv1::ActivityInfo& activity,
                         const std::string& identity, const std::string& request_id) {
  activity.set_started(true);
  activity.set_request_id(request_id);
  activity.set_started_identity(identity);
  *activity.mutable_started_time() = ToProto(ms.now());
  ms.MarkDirty();
  if (!IsZero(activity.start_to_close_timeout())) {
    ms.AddTimerTask(ActivityTimer(ms, activity, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT,
                                  enums::TIMEOUT_TYPE_START_TO_CLOSE,
                                  AddSaturating(ms.now(), activity.start_to_close_timeout())));
  }
  if (!IsZero(activity.heartbeat_timeout())) {
    ms.AddTimerTask(ActivityTimer(ms, activity, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT,
                                  enums::TIMEOUT_TYPE_HEARTBEAT,
                                  AddSaturating(ms.now(), activity.heartbeat_timeout())));
  }
}

temporal::api::workflowservice::v1::PollActivityTaskQueueResponse ActivityTaskFor(
    const pv1::MutableState& state, const pv1::ActivityInfo& activity,
    const std::string& namespace_name) {
  pv1::TaskToken token;
  token.set_namespace_id(state.namespace_id());
  token.set_workflow_id(state.workflow_id());
  token.set_run_id(state.run_id());
  token.set_scheduled_event_id(activity.scheduled_event_id());
  token.set_attempt(activity.attempt());
  token.set_activity_id(activity.activity_id());
  temporal::api::workflowservice::v1::PollActivityTaskQueueResponse response;
  response.set_task_token(EncodeTaskToken(token));
  response.set_workflow_namespace(namespace_name);
  *response.mutable_workflow_type() = state.workflow_type();
  response.mutable_workflow_execution()->set_workflow_id(state.workflow_id());
  response.mutable_workflow_execution()->set_run_id(state.run_id());
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
  return response;
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
    expiration =
        AddSaturating(FromProto(activity.scheduled_time()), activity.schedule_to_close_timeout());
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
    auto fire = AddSaturating(ms.now(), decision.backoff);
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
