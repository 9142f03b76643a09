// StartTimer and CancelTimer.
#include "services/history/commands/commands.h"
#include "services/history/event_state.h"

namespace tern::history::commands {

Result StartTimer(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.start_timer_command_attributes();
  if (a.timer_id().empty()) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
                          "TimerId is not set on command."};
  }
  if (!IsValidDuration(a.start_to_fire_timeout()) || IsZero(a.start_to_fire_timeout())) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
                          "A valid StartToFireTimeout is not set on command."};
  }
  if (ms.state().timers().contains(a.timer_id())) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
                          "Timer with ID " + a.timer_id() + " is already started."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_TIMER_STARTED);
  auto* attrs = event->mutable_timer_started_event_attributes();
  attrs->set_timer_id(a.timer_id());
  *attrs->mutable_start_to_fire_timeout() = a.start_to_fire_timeout();
  attrs->set_workflow_task_completed_event_id(wtc);
  auto fire = FromProto(RecordTimerStarted(ms.state(), *event).expiry_time());
  auto task = NewTimerTask(ms.state(), pv1::TimerTask::TYPE_USER_TIMER, fire);
  task.set_event_id(event->event_id());
  task.set_timer_id(a.timer_id());
  ms.AddTimerTask(std::move(task));
  return std::nullopt;
}

Result CancelTimer(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& request = s.request;
  const auto& a = command.cancel_timer_command_attributes();
  auto& timers = *ms.state().mutable_timers();
  auto it = timers.find(a.timer_id());
  if (it == timers.end()) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
                          "Timer with ID " + a.timer_id() + " is not started."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_TIMER_CANCELED);
  auto* attrs = event->mutable_timer_canceled_event_attributes();
  attrs->set_timer_id(a.timer_id());
  attrs->set_started_event_id(it->second.started_event_id());
  attrs->set_workflow_task_completed_event_id(wtc);
  attrs->set_identity(request.identity());
  timers.erase(it);
  return std::nullopt;
}

}  // namespace tern::history::commands
