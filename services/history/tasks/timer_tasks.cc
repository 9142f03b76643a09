// The timer task executors: user timers, activity timeouts and retries, workflow task timeouts,
// run and execution timeouts, delayed first workflow tasks.
#include "services/history/activities.h"
#include "services/history/runs.h"
#include "services/history/tasks/tasks.h"
#include "services/history/workflow_task.h"

namespace tern::history::tasks {

namespace {

// A timer task due before the deadline the state records for what it times is not that
// deadline's task: left by a write that never landed (its tasks were queued in case an
// unanswered commit had gone through) whose retry armed the same timer later, or by a
// discarded speculative workflow task. The deadline's own task comes when it is due.
bool DueBefore(const pv1::TimerTask& task, TimePoint deadline) {
  return ToMicros(task.fire_time()) < ToMicros(deadline);
}

void FireUserTimer(MutableStateBuilder& ms, const pv1::TimerTask& task) {
  auto& timers = *ms.state().mutable_timers();
  auto it = timers.find(task.timer_id());
  if (it == timers.end() || it->second.started_event_id() != task.event_id()) return;
  if (it->second.has_expiry_time() && DueBefore(task, FromProto(it->second.expiry_time()))) return;
  auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED);
  auto* attrs = event->mutable_timer_fired_event_attributes();
  attrs->set_timer_id(task.timer_id());
  attrs->set_started_event_id(task.event_id());
  timers.erase(it);
  ms.ScheduleWorkflowTask();
}

void TimeoutActivity(MutableStateBuilder& ms, const pv1::TimerTask& task) {
  auto& activities = *ms.state().mutable_activities();
  auto it = activities.find(task.event_id());
  if (it == activities.end()) return;
  auto& activity = it->second;
  auto type = static_cast<enums::TimeoutType>(task.timeout_type());
  bool applies = false;
  switch (type) {
    case enums::TIMEOUT_TYPE_SCHEDULE_TO_START:
      applies = !activity.started() && activity.attempt() == task.attempt() &&
                !DueBefore(task, AddSaturating(FromProto(activity.current_attempt_scheduled_time()),
                                               activity.schedule_to_start_timeout()));
      break;
    case enums::TIMEOUT_TYPE_START_TO_CLOSE:
      applies = activity.started() && activity.attempt() == task.attempt() &&
                !DueBefore(task, AddSaturating(FromProto(activity.started_time()),
                                               activity.start_to_close_timeout()));
      break;
    case enums::TIMEOUT_TYPE_HEARTBEAT: {
      if (!activity.started() || activity.attempt() != task.attempt()) break;
      auto last = activity.has_last_heartbeat_time() ? FromProto(activity.last_heartbeat_time())
                                                     : FromProto(activity.started_time());
      auto deadline = AddSaturating(last, activity.heartbeat_timeout());
      if (deadline > ms.now()) {
        // A heartbeat arrived since this timer was set: wait for the new deadline.
        auto next = task;
        *next.mutable_fire_time() = ToProto(deadline);
        ms.AddTimerTask(std::move(next));
        break;
      }
      applies = true;
      break;
    }
    case enums::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
      applies = true;
      // A start deadline that falls with this one wins, as in Temporal: an activity nobody took
      // (say, with only a schedule-to-close timeout, which also bounds its start) timed out
      // waiting to start, whichever of the two timers fired first.
      if (!activity.started() && !IsZero(activity.schedule_to_start_timeout()) &&
          AddSaturating(FromProto(activity.current_attempt_scheduled_time()),
                        activity.schedule_to_start_timeout()) <= FromProto(task.fire_time())) {
        type = enums::TIMEOUT_TYPE_SCHEDULE_TO_START;
      }
      break;
    default:
      break;
  }
  if (!applies) return;
  temporal::api::failure::v1::Failure failure;
  std::string name = enums::TimeoutType_Name(type);
  failure.set_message("activity " + name.substr(std::string("TIMEOUT_TYPE_").size()) + " timeout");
  auto* info = failure.mutable_timeout_failure_info();
  info->set_timeout_type(type);
  if (activity.has_last_heartbeat_details()) {
    *info->mutable_last_heartbeat_details() = activity.last_heartbeat_details();
  }
  if (activity.has_last_failure()) *failure.mutable_cause() = activity.last_failure();
  FailActivity(ms, activity.scheduled_event_id(), failure, nullptr, "", /*timeout=*/true);
}

void RetryActivity(MutableStateBuilder& ms, const pv1::TimerTask& task) {
  auto& activities = *ms.state().mutable_activities();
  auto it = activities.find(task.event_id());
  if (it == activities.end() || it->second.started() || it->second.attempt() != task.attempt()) {
    return;
  }
  *it->second.mutable_current_attempt_scheduled_time() = ToProto(ms.now());
  DispatchActivity(ms, it->second);
  ms.MarkDirty();
}

void TimeoutWorkflowTaskTimer(MutableStateBuilder& ms, const pv1::TimerTask& task) {
  const auto& wft = ms.state().workflow_task();
  if (task.timeout_type() == enums::TIMEOUT_TYPE_SCHEDULE_TO_START) {
    // The sticky worker did not take the task: record it, forget the sticky queue and
    // schedule the task again on the normal queue (with full history).
    if (wft.scheduled_event_id() != task.event_id() || wft.started_event_id() != 0 ||
        wft.task_queue_kind() != enums::TASK_QUEUE_KIND_STICKY ||
        DueBefore(task, AddSaturating(FromProto(wft.scheduled_time()),
                                      ms.state().sticky_schedule_to_start_timeout()))) {
      return;
    }
    int64_t scheduled = wft.scheduled_event_id();
    if (wft.type() == pv1::WORKFLOW_TASK_TYPE_NORMAL) {
      auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
      auto* attrs = event->mutable_workflow_task_timed_out_event_attributes();
      attrs->set_scheduled_event_id(scheduled);
      attrs->set_timeout_type(enums::TIMEOUT_TYPE_SCHEDULE_TO_START);
    }
    bool speculative = wft.type() == pv1::WORKFLOW_TASK_TYPE_SPECULATIVE;
    ms.state().clear_sticky_task_queue();
    ms.ClearWorkflowTask();
    if (speculative) {
      ms.ScheduleSpeculativeWorkflowTask();
    } else {
      ms.ScheduleWorkflowTask(1);
    }
    return;
  }
  if (wft.scheduled_event_id() != task.event_id() || wft.attempt() != task.attempt() ||
      wft.started_event_id() == 0) {
    return;
  }
  // A discarded speculative task and the next one share ids.
  if (DueBefore(task, AddSaturating(FromProto(wft.started_time()), wft.start_to_close_timeout()))) {
    return;
  }
  TimeoutWorkflowTask(ms);
}

absl::Status TimeoutWorkflow(EngineContext& engine, Shard& shard, MutableStateBuilder& ms,
                             const pv1::TimerTask& task) {
  FailStartedWorkflowTaskForClose(ms, "");
  // A run timeout retries per the workflow's retry policy; the execution deadline never.
  enums::RetryState retry_state = enums::RETRY_STATE_TIMEOUT;
  std::shared_ptr<MutableStateBuilder> retry;
  if (task.type() == pv1::TimerTask::TYPE_WORKFLOW_RUN_TIMEOUT) {
    temporal::api::failure::v1::Failure failure;
    failure.set_message("workflow run timed out");
    failure.mutable_timeout_failure_info()->set_timeout_type(enums::TIMEOUT_TYPE_START_TO_CLOSE);
    auto next = RetryRun(engine, shard, ms, failure, &retry_state);
    if (!next.ok()) return next.status();
    retry = *next;
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
  auto* attrs = event->mutable_workflow_execution_timed_out_event_attributes();
  attrs->set_retry_state(retry_state);
  if (retry) attrs->set_new_execution_run_id(retry->state().run_id());
  ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_TIMED_OUT, event->event_id());
  if (retry) ms.SetContinuedRun(std::move(retry));
  return absl::OkStatus();
}

// The first workflow task of a run whose start was delayed (cron, retry, start delay).
void StartDelayedWorkflowTask(MutableStateBuilder& ms) {
  if (ms.HasPendingWorkflowTask() ||
      ms.state().last_completed_workflow_task_started_event_id() != 0) {
    return;
  }
  ms.ScheduleWorkflowTask(1);
}
}  // namespace

absl::Status ExecuteTimerTask(EngineContext& engine, Shard& shard, const pv1::TimerTask& task) {
  if (task.type() == pv1::TimerTask::TYPE_DELETE_EXECUTION) {
    return DeleteExecution(engine, shard, task);
  }
  ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
  auto status = engine.Mutate(shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!ms.IsRunning()) return absl::OkStatus();
    switch (task.type()) {
      case pv1::TimerTask::TYPE_USER_TIMER:
        FireUserTimer(ms, task);
        break;
      case pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT:
        TimeoutActivity(ms, task);
        break;
      case pv1::TimerTask::TYPE_ACTIVITY_RETRY:
        RetryActivity(ms, task);
        break;
      case pv1::TimerTask::TYPE_WORKFLOW_TASK_TIMEOUT:
        TimeoutWorkflowTaskTimer(ms, task);
        break;
      case pv1::TimerTask::TYPE_WORKFLOW_RUN_TIMEOUT:
      case pv1::TimerTask::TYPE_WORKFLOW_EXECUTION_TIMEOUT:
        return TimeoutWorkflow(engine, shard, ms, task);
      case pv1::TimerTask::TYPE_WORKFLOW_BACKOFF:
        StartDelayedWorkflowTask(ms);
        break;
      default:
        break;
    }
    return absl::OkStatus();
  });
  // The run is gone (deleted): nothing to do.
  if (absl::IsNotFound(status)) return absl::OkStatus();
  return status;
}

}  // namespace tern::history::tasks
