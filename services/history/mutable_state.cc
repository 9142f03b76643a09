#include "services/history/mutable_state.h"

#include <cassert>
#include <map>
#include <optional>

namespace tern::history {

MutableStateBuilder::MutableStateBuilder(pv1::MutableState state, TimePoint now,
                                         TaskIdSource next_task_id)
    : state_(std::move(state)), now_(now), next_task_id_(std::move(next_task_id)) {}

bool MutableStateBuilder::IsRunning() const {
  return state_.status() == enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
}

hv1::HistoryEvent MutableStateBuilder::NewEvent(enums::EventType type, int64_t event_id) {
  hv1::HistoryEvent event;
  event.set_event_id(event_id);
  event.set_event_type(type);
  *event.mutable_event_time() = ToProto(now_);
  return event;
}

hv1::HistoryEvent* MutableStateBuilder::AppendEvent(hv1::HistoryEvent event) {
  event.set_event_id(state_.next_event_id());
  event.set_task_id(next_task_id_());
  state_.set_next_event_id(state_.next_event_id() + 1);
  new_events_.push_back(std::move(event));
  return &new_events_.back();
}

hv1::HistoryEvent* MutableStateBuilder::AddEvent(enums::EventType type) {
  return AppendEvent(NewEvent(type, 0));
}

hv1::HistoryEvent* MutableStateBuilder::AddExternalEvent(enums::EventType type) {
  if (HasStartedWorkflowTask()) {
    if (state_.workflow_task().type() == pv1::WORKFLOW_TASK_TYPE_SPECULATIVE) {
      WriteWorkflowTaskEvents();
    }
    auto* buffered = state_.add_buffered_events();
    *buffered = NewEvent(type, 0);
    MarkDirty();
    return buffered;
  }
  auto* event = AddEvent(type);
  if (HasPendingWorkflowTask() && !WorkflowTaskEventsWritten()) {
    // The id the transient or speculative task reserved is taken now: schedule it as a normal
    // task after this event. Its old transfer task becomes stale and is dropped when matching
    // tries to start it.
    ClearWorkflowTask();
    ScheduleWorkflowTask(1);
  }
  return event;
}

void MutableStateBuilder::AdoptEvents(std::vector<hv1::HistoryEvent> events) {
  assert(new_events_.empty());
  assert(events.empty() || events.back().event_id() + 1 == state_.next_event_id());
  for (auto& e : events) new_events_.push_back(std::move(e));
}

bool IsCompletionEvent(enums::EventType type) {
  switch (type) {
    case enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
    case enums::EVENT_TYPE_ACTIVITY_TASK_FAILED:
    case enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
    case enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
    case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
      return true;
    default:
      return false;
  }
}

void MutableStateBuilder::FlushBufferedEvents() {
  if (!HasBufferedEvents()) return;
  std::vector<hv1::HistoryEvent> ordinary, completions;
  for (auto& e : *state_.mutable_buffered_events()) {
    (IsCompletionEvent(e.event_type()) ? completions : ordinary).push_back(std::move(e));
  }
  state_.clear_buffered_events();
  // Started events get their ids now; the completions that follow them refer to those ids.
  std::map<int64_t, int64_t> started_by_scheduled;  // activities
  std::map<int64_t, int64_t> started_by_initiated;  // child workflows
  for (auto& e : ordinary) {
    auto* added = AppendEvent(std::move(e));
    if (added->event_type() == enums::EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      started_by_scheduled[added->activity_task_started_event_attributes().scheduled_event_id()] =
          added->event_id();
    } else if (added->event_type() == enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
      int64_t initiated =
          added->child_workflow_execution_started_event_attributes().initiated_event_id();
      started_by_initiated[initiated] = added->event_id();
      auto& children = *state_.mutable_children();
      if (auto it = children.find(initiated); it != children.end()) {
        it->second.set_started_event_id(added->event_id());
      }
    }
  }
  for (auto& e : completions) {
    auto wire = [&](auto* attrs) {
      auto it = started_by_scheduled.find(attrs->scheduled_event_id());
      if (attrs->started_event_id() == 0 && it != started_by_scheduled.end()) {
        attrs->set_started_event_id(it->second);
      }
    };
    auto wire_child = [&](auto* attrs) {
      auto it = started_by_initiated.find(attrs->initiated_event_id());
      if (attrs->started_event_id() == 0 && it != started_by_initiated.end()) {
        attrs->set_started_event_id(it->second);
      }
    };
    switch (e.event_type()) {
      case enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        wire(e.mutable_activity_task_completed_event_attributes());
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_FAILED:
        wire(e.mutable_activity_task_failed_event_attributes());
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        wire(e.mutable_activity_task_timed_out_event_attributes());
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        wire(e.mutable_activity_task_canceled_event_attributes());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        wire_child(e.mutable_child_workflow_execution_completed_event_attributes());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
        wire_child(e.mutable_child_workflow_execution_failed_event_attributes());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        wire_child(e.mutable_child_workflow_execution_canceled_event_attributes());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
        wire_child(e.mutable_child_workflow_execution_timed_out_event_attributes());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        wire_child(e.mutable_child_workflow_execution_terminated_event_attributes());
        break;
      default:
        break;
    }
    AppendEvent(std::move(e));
  }
}

void MutableStateBuilder::AddTransferTask(pv1::TransferTask task) {
  task.set_task_id(next_task_id_());
  *task.mutable_visibility_time() = ToProto(now_);
  transfer_tasks_.push_back(std::move(task));
}

void MutableStateBuilder::AddTimerTask(pv1::TimerTask task) {
  task.set_task_id(next_task_id_());
  timer_tasks_.push_back(std::move(task));
}

void MutableStateBuilder::ScheduleWorkflowTask(int32_t attempt, bool dispatch) {
  ScheduleTask(attempt <= 1 ? pv1::WORKFLOW_TASK_TYPE_NORMAL : pv1::WORKFLOW_TASK_TYPE_TRANSIENT,
               attempt, dispatch);
}

void MutableStateBuilder::ScheduleSpeculativeWorkflowTask() {
  ScheduleTask(pv1::WORKFLOW_TASK_TYPE_SPECULATIVE, 1, true);
}

void MutableStateBuilder::ScheduleTask(pv1::WorkflowTaskType type, int32_t attempt, bool dispatch) {
  if (HasPendingWorkflowTask() || !IsRunning()) return;
  auto& wft = *state_.mutable_workflow_task();
  wft.Clear();
  wft.set_attempt(attempt);
  // A worker that has the run cached gets the task on its sticky queue (first attempt only:
  // a retry goes to the normal queue with full history).
  bool sticky = !state_.sticky_task_queue().empty() && attempt <= 1;
  const std::string& queue = sticky ? state_.sticky_task_queue() : state_.task_queue();
  auto kind = sticky ? enums::TASK_QUEUE_KIND_STICKY : enums::TASK_QUEUE_KIND_NORMAL;
  wft.set_task_queue(queue);
  wft.set_task_queue_kind(kind);
  *wft.mutable_start_to_close_timeout() = state_.default_workflow_task_timeout();
  *wft.mutable_scheduled_time() = ToProto(now_);
  wft.set_type(type);
  if (type == pv1::WORKFLOW_TASK_TYPE_NORMAL) {
    auto* event = AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    auto* attrs = event->mutable_workflow_task_scheduled_event_attributes();
    attrs->mutable_task_queue()->set_name(queue);
    attrs->mutable_task_queue()->set_kind(kind);
    if (sticky) attrs->mutable_task_queue()->set_normal_name(state_.task_queue());
    *attrs->mutable_start_to_close_timeout() = state_.default_workflow_task_timeout();
    attrs->set_attempt(attempt);
    state_.mutable_workflow_task()->set_scheduled_event_id(event->event_id());
  } else {
    wft.set_scheduled_event_id(state_.next_event_id());
  }
  if (!dispatch) {
    MarkDirty();
    return;
  }
  auto task = NewTransferTask(state_, pv1::TransferTask::TYPE_WORKFLOW_TASK);
  task.set_scheduled_event_id(state_.workflow_task().scheduled_event_id());
  task.set_task_queue(queue);
  task.set_task_queue_kind(kind);
  AddTransferTask(std::move(task));
  if (sticky) {
    // If the sticky worker does not take the task in time, it moves to the normal queue.
    auto timeout = NewTimerTask(state_, pv1::TimerTask::TYPE_WORKFLOW_TASK_TIMEOUT,
                                AddSaturating(now_, state_.sticky_schedule_to_start_timeout()));
    timeout.set_event_id(state_.workflow_task().scheduled_event_id());
    timeout.set_attempt(attempt);
    timeout.set_timeout_type(enums::TIMEOUT_TYPE_SCHEDULE_TO_START);
    AddTimerTask(std::move(timeout));
  }
  MarkDirty();
}

void MutableStateBuilder::MoveWorkflowTaskToNormalQueue() {
  auto& wft = *state_.mutable_workflow_task();
  state_.clear_sticky_task_queue();
  wft.set_task_queue(state_.task_queue());
  wft.set_task_queue_kind(enums::TASK_QUEUE_KIND_NORMAL);
  auto task = NewTransferTask(state_, pv1::TransferTask::TYPE_WORKFLOW_TASK);
  task.set_scheduled_event_id(wft.scheduled_event_id());
  task.set_task_queue(state_.task_queue());
  task.set_task_queue_kind(enums::TASK_QUEUE_KIND_NORMAL);
  AddTransferTask(std::move(task));
  MarkDirty();
}

std::vector<hv1::HistoryEvent> MutableStateBuilder::UnwrittenWorkflowTaskEvents() const {
  const auto& wft = state_.workflow_task();
  std::vector<hv1::HistoryEvent> events;
  if (WorkflowTaskEventsWritten() || wft.scheduled_event_id() == 0) return events;
  hv1::HistoryEvent scheduled;
  scheduled.set_event_id(wft.scheduled_event_id());
  scheduled.set_event_type(enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  *scheduled.mutable_event_time() = wft.scheduled_time();
  auto* sattrs = scheduled.mutable_workflow_task_scheduled_event_attributes();
  sattrs->mutable_task_queue()->set_name(wft.task_queue());
  sattrs->mutable_task_queue()->set_kind(wft.task_queue_kind());
  if (wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY) {
    sattrs->mutable_task_queue()->set_normal_name(state_.task_queue());
  }
  *sattrs->mutable_start_to_close_timeout() = wft.start_to_close_timeout();
  sattrs->set_attempt(wft.attempt());
  events.push_back(std::move(scheduled));
  if (wft.started_event_id() != 0) {
    hv1::HistoryEvent started;
    started.set_event_id(wft.started_event_id());
    started.set_event_type(enums::EVENT_TYPE_WORKFLOW_TASK_STARTED);
    *started.mutable_event_time() = wft.started_time();
    auto* attrs = started.mutable_workflow_task_started_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_identity(wft.identity());
    attrs->set_request_id(wft.request_id());
    attrs->set_history_size_bytes(state_.history_size_bytes());
    events.push_back(std::move(started));
  }
  return events;
}

void MutableStateBuilder::WriteWorkflowTaskEvents() {
  if (!HasPendingWorkflowTask() || WorkflowTaskEventsWritten()) return;
  auto events = UnwrittenWorkflowTaskEvents();
  for (auto& e : events) {
    assert(e.event_id() == state_.next_event_id());
    AppendEvent(std::move(e));
  }
  state_.mutable_workflow_task()->set_type(pv1::WORKFLOW_TASK_TYPE_NORMAL);
}

void MutableStateBuilder::ArmWorkflowTimeouts(TimePoint run_start) {
  std::optional<TimePoint> expiration;
  if (state_.has_execution_expiration_time()) {
    expiration = FromProto(state_.execution_expiration_time());
    AddTimerTask(
        NewTimerTask(state_, pv1::TimerTask::TYPE_WORKFLOW_EXECUTION_TIMEOUT, *expiration));
  }
  if (IsZero(state_.workflow_run_timeout())) return;
  auto deadline = AddSaturating(run_start, state_.workflow_run_timeout());
  if (!expiration || deadline < *expiration) {
    AddTimerTask(NewTimerTask(state_, pv1::TimerTask::TYPE_WORKFLOW_RUN_TIMEOUT, deadline));
  }
}

void MutableStateBuilder::CloseExecution(enums::WorkflowExecutionStatus status,
                                         int64_t completion_event_id) {
  state_.set_status(status);
  *state_.mutable_close_time() = ToProto(now_);
  state_.set_completion_event_id(completion_event_id);
  state_.clear_activities();
  state_.clear_timers();
  state_.clear_buffered_events();
  state_.clear_workflow_task();
  MarkDirty();
}

std::vector<hv1::HistoryEvent> MutableStateBuilder::TakeNewEvents() {
  std::vector<hv1::HistoryEvent> events;
  events.reserve(new_events_.size());
  int64_t bytes = 0;
  for (auto& e : new_events_) {
    bytes += static_cast<int64_t>(e.ByteSizeLong());
    events.push_back(std::move(e));
  }
  new_events_.clear();
  state_.set_history_size_bytes(state_.history_size_bytes() + bytes);
  return events;
}

pv1::TransferTask NewTransferTask(const pv1::MutableState& state, pv1::TransferTask::Type type) {
  pv1::TransferTask task;
  task.set_type(type);
  task.set_namespace_id(state.namespace_id());
  task.set_workflow_id(state.workflow_id());
  task.set_run_id(state.run_id());
  return task;
}

pv1::TimerTask NewTimerTask(const pv1::MutableState& state, pv1::TimerTask::Type type,
                            TimePoint fire_time) {
  pv1::TimerTask task;
  task.set_type(type);
  task.set_namespace_id(state.namespace_id());
  task.set_workflow_id(state.workflow_id());
  task.set_run_id(state.run_id());
  *task.mutable_fire_time() = ToProto(fire_time);
  return task;
}

}  // namespace tern::history
