// The run a reset creates: it replays the base run's history up to a workflow task, fails that
// task with RESET_WORKFLOW and re-applies the signals that came after it.
// reset_reapply_type is deprecated in favour of reset_reapply_exclude_types, but clients still
// send it; both are honoured.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "common/errors.h"
#include "common/ids.h"
#include "services/history/activities.h"
#include "services/history/event_state.h"
#include "services/history/runs.h"

namespace tern::history {
namespace {

constexpr char kHistoryServiceIdentity[] = "history-service";

bool ReappliesSignals(const ws::ResetWorkflowExecutionRequest& request) {
  if (request.reset_reapply_type() == enums::RESET_REAPPLY_TYPE_NONE) return false;
  for (int i = 0; i < request.reset_reapply_exclude_types_size(); ++i) {
    if (request.reset_reapply_exclude_types(i) == enums::RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL) {
      return false;
    }
  }
  return true;
}

// Timers and tasks for the work a replayed run has pending: activities start over on attempt 1,
// timers keep their original expiry, unstarted children and requests to other workflows are sent
// (again), and the run gets its own run timeout.
void RearmPendingWork(MutableStateBuilder& run,
                      const std::function<void(const pv1::ActivityInfo&)>& dispatch_activity) {
  auto& state = run.state();
  for (auto& [id, activity] : *state.mutable_activities()) {
    *activity.mutable_scheduled_time() = ToProto(run.now());
    *activity.mutable_current_attempt_scheduled_time() = ToProto(run.now());
    dispatch_activity(activity);
  }
  for (const auto& [id, timer] : state.timers()) {
    auto task =
        NewTimerTask(state, pv1::TimerTask::TYPE_USER_TIMER, FromProto(timer.expiry_time()));
    task.set_event_id(timer.started_event_id());
    task.set_timer_id(timer.timer_id());
    run.AddTimerTask(std::move(task));
  }
  for (const auto& [id, child] : state.children()) {
    if (child.started()) continue;
    auto task = NewTransferTask(state, pv1::TransferTask::TYPE_START_CHILD);
    task.set_scheduled_event_id(id);
    run.AddTransferTask(std::move(task));
  }
  for (const auto& [id, request] : state.external_requests()) {
    auto task = NewTransferTask(state, request.type() == pv1::ExternalRequestInfo::TYPE_SIGNAL
                                           ? pv1::TransferTask::TYPE_SIGNAL_EXECUTION
                                           : pv1::TransferTask::TYPE_CANCEL_EXECUTION);
    task.set_scheduled_event_id(id);
    run.AddTransferTask(std::move(task));
  }
  run.ArmWorkflowTimeouts(run.now());
}

}  // namespace

absl::StatusOr<std::shared_ptr<MutableStateBuilder>> ResetRun(
    const pv1::MutableState& base, const std::vector<hv1::HistoryEvent>& base_events,
    const ws::ResetWorkflowExecutionRequest& request, const std::string& new_run_id,
    MutableStateBuilder& current) {
  const int64_t finish_id = request.workflow_task_finish_event_id();
  if (finish_id <= 1 || finish_id >= base.next_event_id()) {
    return absl::InvalidArgumentError(
        "Workflow task finish ID must be > 1 && <= workflow last event ID.");
  }
  std::vector<hv1::HistoryEvent> prefix;
  std::vector<const hv1::HistoryEvent*> signals_after;
  for (const auto& e : base_events) {
    if (e.event_id() < finish_id) {
      prefix.push_back(e);
    } else if (e.event_type() == enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) {
      signals_after.push_back(&e);
    }
  }
  // Signals the base run holds back for its running workflow task came after the reset point too.
  for (const auto& e : base.buffered_events()) {
    if (e.event_type() == enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
      signals_after.push_back(&e);
  }

  pv1::MutableState state = ReplayHistory(base, prefix);
  if (state.workflow_task().scheduled_event_id() == 0) {
    return absl::InvalidArgumentError(
        "Event " + std::to_string(finish_id) +
        " does not end a workflow task: reset to the id of a WorkflowTaskCompleted, "
        "WorkflowTaskFailed or WorkflowTaskTimedOut event (or of the event after a "
        "WorkflowTaskScheduled/Started).");
  }
  state.set_run_id(new_run_id);
  state.set_create_request_id(request.request_id().empty() ? NewUuid() : request.request_id());
  auto run = std::make_shared<MutableStateBuilder>(std::move(state), current.now(),
                                                   current.task_id_source());
  run->AdoptEvents(std::move(prefix));

  // The workflow task in flight at the reset point fails with RESET_WORKFLOW; the SDK reseeds
  // its randomness from new_run_id when it replays this event.
  if (!run->HasStartedWorkflowTask()) {
    auto* started = run->AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_STARTED);
    auto* attrs = started->mutable_workflow_task_started_event_attributes();
    attrs->set_scheduled_event_id(run->state().workflow_task().scheduled_event_id());
    attrs->set_identity(kHistoryServiceIdentity);
    attrs->set_request_id(NewUuid());
    run->state().mutable_workflow_task()->set_started_event_id(started->event_id());
  }
  const auto& wft = run->state().workflow_task();
  auto* failed = run->AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
  auto* attrs = failed->mutable_workflow_task_failed_event_attributes();
  attrs->set_scheduled_event_id(wft.scheduled_event_id());
  attrs->set_started_event_id(wft.started_event_id());
  attrs->set_cause(enums::WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
  attrs->mutable_failure()->set_message(request.reason());
  attrs->mutable_failure()->mutable_reset_workflow_failure_info();
  attrs->set_identity(kHistoryServiceIdentity);
  attrs->set_base_run_id(base.run_id());
  attrs->set_new_run_id(new_run_id);
  run->ClearWorkflowTask();

  if (ReappliesSignals(request)) {
    for (const auto* signal : signals_after) {
      auto* event = run->AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      *event->mutable_workflow_execution_signaled_event_attributes() =
          signal->workflow_execution_signaled_event_attributes();
    }
  }
  run->ScheduleWorkflowTask(1);
  RearmPendingWork(*run, [&](const pv1::ActivityInfo& a) { DispatchActivity(*run, a); });
  return run;
}

}  // namespace tern::history
