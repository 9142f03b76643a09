// MutableStateBuilder applies state transitions to one run's mutable state and collects what
// they produce — history events, transfer tasks, timer tasks — for ONE persistence write.
//
// Not thread-safe: the caller holds the execution's lock. The builder works on its own copy of
// the state, so an abandoned builder (validation failed, write lost a race) changes nothing.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "persistence/store.h"
#include "temporal/api/history/v1/message.pb.h"

namespace tern::history {

namespace pv1 = tern::persistence::v1;
namespace hv1 = temporal::api::history::v1;
namespace enums = temporal::api::enums::v1;

class MutableStateBuilder {
 public:
  using TaskIdSource = std::function<int64_t()>;

  MutableStateBuilder(pv1::MutableState state, TimePoint now, TaskIdSource next_task_id);

  pv1::MutableState& state() { return state_; }
  const pv1::MutableState& state() const { return state_; }
  TimePoint now() const { return now_; }
  bool IsRunning() const;

  // ---- events ----
  // Appends an event with the next event id. The pointer stays valid until Finish().
  hv1::HistoryEvent* AddEvent(enums::EventType type);
  // An event caused from outside the workflow task (activity outcome, timer fired, signal...):
  // buffered while a workflow task is started, appended otherwise. A transient or speculative
  // workflow task that is scheduled (not started) becomes a normal one scheduled after this
  // event; a started speculative one has its events written first (the run changed, so the task
  // can no longer vanish).
  hv1::HistoryEvent* AddExternalEvent(enums::EventType type);
  // Takes events copied from another run's history (reset): they keep their ids, which must
  // run up to just before state().next_event_id, and precede every event added after them.
  void AdoptEvents(std::vector<hv1::HistoryEvent> events);
  bool HasBufferedEvents() const { return state_.buffered_events_size() > 0; }
  // Appends buffered events (non-completion events first, then completions), wiring activity
  // started-event ids into the completion events.
  void FlushBufferedEvents();
  void DropBufferedEvents() { state_.clear_buffered_events(); }

  // ---- tasks ----
  void AddTransferTask(pv1::TransferTask task);
  void AddTimerTask(pv1::TimerTask task);

  // ---- workflow tasks ----
  bool HasPendingWorkflowTask() const { return state_.workflow_task().scheduled_event_id() != 0; }
  bool HasStartedWorkflowTask() const { return state_.workflow_task().started_event_id() != 0; }
  // Schedules a workflow task unless one is already pending: normal (with a Scheduled event)
  // when attempt is 1, transient (no events until it completes) otherwise.
  // `dispatch` false: no transfer task to matching (the caller starts the task itself and hands
  // it to a worker directly: eager workflow start).
  void ScheduleWorkflowTask(int32_t attempt = 1, bool dispatch = true);
  // Schedules a speculative workflow task (to deliver updates to an idle run) unless one is
  // pending: first attempt, but no events until it completes having changed the run.
  void ScheduleSpeculativeWorkflowTask();
  // Whether the pending task's Scheduled/Started events are in history (a normal task).
  bool WorkflowTaskEventsWritten() const {
    return state_.workflow_task().type() == pv1::WORKFLOW_TASK_TYPE_NORMAL;
  }
  // Sends the scheduled (not started) workflow task to the normal queue instead of the sticky one
  // (whose worker is gone) and forgets the sticky queue; the task will carry full history. No
  // event records the move.
  void MoveWorkflowTaskToNormalQueue();
  // Writes the Scheduled/Started events of a started transient or speculative task (when it
  // completes or fails in a way that needs them), turning it into a normal one.
  void WriteWorkflowTaskEvents();
  void ClearWorkflowTask() { state_.clear_workflow_task(); }

  // The run's timeout timers: the execution deadline (which spans the whole chain of runs) and,
  // unless that comes first, the run timeout counted from `run_start`.
  void ArmWorkflowTimeouts(TimePoint run_start);

  // ---- closing ----
  // Marks the run closed with `status`; the close event must already be added. Drops pending
  // activities, timers and buffered events.
  void CloseExecution(enums::WorkflowExecutionStatus status, int64_t completion_event_id);

  // The events added by this builder, in order.
  std::vector<hv1::HistoryEvent> TakeNewEvents();
  std::vector<pv1::TransferTask> TakeTransferTasks() { return std::move(transfer_tasks_); }
  std::vector<pv1::TimerTask> TakeTimerTasks() { return std::move(timer_tasks_); }
  bool HasChanges() const {
    return dirty_ || !new_events_.empty() || !transfer_tasks_.empty() || !timer_tasks_.empty();
  }
  void MarkDirty() { dirty_ = true; }
  // A handler that must both persist its changes and answer with an error (a workflow task
  // failed by the server, for example) records the error here.
  void FailAfterWrite(absl::Status status) { after_write_ = std::move(status); }
  const absl::Status& after_write() const { return after_write_; }
  // A run that continues this one (continue-as-new, retry, cron); written in the same
  // transaction, taking over the workflow id's current-run pointer.
  void SetContinuedRun(std::shared_ptr<MutableStateBuilder> run) {
    continued_run_ = std::move(run);
  }
  const std::shared_ptr<MutableStateBuilder>& continued_run() const { return continued_run_; }
  const TaskIdSource& task_id_source() const { return next_task_id_; }

  // History the poll response needs beyond the persisted events: the Scheduled/Started pair of a
  // started transient or speculative workflow task.
  std::vector<hv1::HistoryEvent> UnwrittenWorkflowTaskEvents() const;

 private:
  hv1::HistoryEvent NewEvent(enums::EventType type, int64_t event_id);
  hv1::HistoryEvent* AppendEvent(hv1::HistoryEvent event);
  void ScheduleTask(pv1::WorkflowTaskType type, int32_t attempt, bool dispatch);

  pv1::MutableState state_;
  TimePoint now_;
  TaskIdSource next_task_id_;
  std::deque<hv1::HistoryEvent> new_events_;
  std::vector<pv1::TransferTask> transfer_tasks_;
  std::vector<pv1::TimerTask> timer_tasks_;
  bool dirty_ = false;
  absl::Status after_write_;
  std::shared_ptr<MutableStateBuilder> continued_run_;
};

// Fills the standard fields of a workflow-scoped task from the state.
pv1::TransferTask NewTransferTask(const pv1::MutableState& state, pv1::TransferTask::Type type);
pv1::TimerTask NewTimerTask(const pv1::MutableState& state, pv1::TimerTask::Type type,
                            TimePoint fire_time);

bool IsCompletionEvent(enums::EventType type);

}  // namespace tern::history
