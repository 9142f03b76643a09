// ScheduleActivityTask and RequestCancelActivityTask.
#include "common/ids.h"
#include "services/history/activities.h"
#include "services/history/commands/commands.h"
#include "services/history/event_state.h"
#include "services/history/retry.h"

namespace tern::history::commands {
namespace {
using std::chrono::nanoseconds;

bool IsNegative(const google::protobuf::Duration& d) { return !IsValidDuration(d); }
}  // namespace

Result ScheduleActivityTask(Scope& s, const Command& command) {
  auto& engine = s.engine;
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.schedule_activity_task_command_attributes();
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES;
  if (!command.has_schedule_activity_task_command_attributes()) {
    return CommandFailure{kBad, "ScheduleActivityTaskCommandAttributes is not set on command."};
  }
  if (a.activity_id().empty()) return CommandFailure{kBad, "ActivityId is not set on command."};
  if (a.activity_type().name().empty()) {
    return CommandFailure{kBad, "ActivityType is not set on command."};
  }
  if (static_cast<int>(a.activity_id().size()) >
      engine.options(ms.state().namespace_id()).max_id_length) {
    return CommandFailure{kBad, "ActivityId exceeds length limit."};
  }
  for (const auto& [id, info] : ms.state().activities()) {
    if (info.activity_id() == a.activity_id()) {
      return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
                            "Activity with ID " + a.activity_id() + " is already pending."};
    }
  }
  if (IsNegative(a.schedule_to_close_timeout()) || IsNegative(a.schedule_to_start_timeout()) ||
      IsNegative(a.start_to_close_timeout()) || IsNegative(a.heartbeat_timeout())) {
    return CommandFailure{kBad, "A valid timeout may not be negative."};
  }
  nanoseconds run = FromProto(ms.state().workflow_run_timeout());
  nanoseconds s2c = FromProto(a.schedule_to_close_timeout());
  nanoseconds s2s = FromProto(a.schedule_to_start_timeout());
  nanoseconds stc = FromProto(a.start_to_close_timeout());
  nanoseconds hb = FromProto(a.heartbeat_timeout());
  if (s2c.count() > 0) {
    s2s = s2s.count() > 0 ? std::min(s2s, s2c) : s2c;
    stc = stc.count() > 0 ? std::min(stc, s2c) : s2c;
  } else if (stc.count() > 0) {
    s2c = run;
    if (s2s.count() == 0) s2s = run;
  } else {
    return CommandFailure{kBad,
                          "A valid StartToClose or ScheduleToCloseTimeout is not set on "
                          "ScheduleActivityTaskCommand."};
  }
  if (run.count() > 0) {
    auto cap = [&](nanoseconds& d) { d = d.count() == 0 ? run : std::min(d, run); };
    cap(s2c);
    cap(s2s);
    cap(stc);
  }
  if (hb > stc && stc.count() > 0) hb = stc;
  auto retry = a.retry_policy();
  NormalizeRetryPolicy(&retry);
  if (retry.maximum_attempts() < 0 || retry.backoff_coefficient() < 1) {
    return CommandFailure{kBad,
                          "Invalid RetryPolicy: maximum attempts must be >= 0 and "
                          "the backoff coefficient >= 1."};
  }
  std::string task_queue =
      a.task_queue().name().empty() ? ms.state().task_queue() : a.task_queue().name();

  auto* event = ms.AddEvent(enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  auto* attrs = event->mutable_activity_task_scheduled_event_attributes();
  attrs->set_activity_id(a.activity_id());
  *attrs->mutable_activity_type() = a.activity_type();
  attrs->mutable_task_queue()->set_name(task_queue);
  attrs->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  if (a.has_header()) *attrs->mutable_header() = a.header();
  if (a.has_input()) *attrs->mutable_input() = a.input();
  *attrs->mutable_schedule_to_close_timeout() = ToProtoDuration(s2c);
  *attrs->mutable_schedule_to_start_timeout() = ToProtoDuration(s2s);
  *attrs->mutable_start_to_close_timeout() = ToProtoDuration(stc);
  *attrs->mutable_heartbeat_timeout() = ToProtoDuration(hb);
  attrs->set_workflow_task_completed_event_id(wtc);
  *attrs->mutable_retry_policy() = retry;
  if (a.has_priority()) *attrs->mutable_priority() = a.priority();

  const auto& stored = RecordActivityScheduled(ms.state(), *event);
  if (a.request_eager_execution() && task_queue == ms.state().task_queue()) {
    // Eager dispatch: the worker completing this task asked to run the activity itself (it has
    // a free slot), so it starts now and goes back in the response instead of through matching.
    auto& activity = (*ms.state().mutable_activities())[stored.scheduled_event_id()];
    ArmScheduleToClose(ms, activity);
    MarkActivityStarted(ms, activity, s.request.identity(), NewUuid());
    s.eager_activities.push_back(activity.scheduled_event_id());
  } else {
    DispatchActivity(ms, stored);
  }
  return std::nullopt;
}

Result RequestCancelActivityTask(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.request_cancel_activity_task_command_attributes();
  auto& activities = *ms.state().mutable_activities();
  auto it = activities.find(a.scheduled_event_id());
  if (it == activities.end()) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
                          "No pending activity with scheduled event id " +
                              std::to_string(a.scheduled_event_id()) + "."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
  auto* attrs = event->mutable_activity_task_cancel_requested_event_attributes();
  attrs->set_scheduled_event_id(a.scheduled_event_id());
  attrs->set_workflow_task_completed_event_id(wtc);
  if (!it->second.started()) {
    // Never started: cancelled at once, reported after the command events.
    auto* canceled = ms.state().add_buffered_events();
    canceled->set_event_type(enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED);
    *canceled->mutable_event_time() = ToProto(ms.now());
    auto* c = canceled->mutable_activity_task_canceled_event_attributes();
    c->set_scheduled_event_id(a.scheduled_event_id());
    c->set_latest_cancel_requested_event_id(event->event_id());
    auto* detail = c->mutable_details()->add_payloads();
    (*detail->mutable_metadata())["encoding"] = "json/plain";
    detail->set_data("\"ACTIVITY_ID_NOT_STARTED\"");
    activities.erase(it);
  } else {
    it->second.set_cancel_requested(true);
    it->second.set_cancel_requested_event_id(event->event_id());
  }
  return std::nullopt;
}

}  // namespace tern::history::commands
