// Commands of a completed workflow task -> history events (contract §3.3).
#include "common/errors.h"
#include "services/history/event_state.h"
#include "services/history/history_engine.h"
#include "services/history/retry.h"
#include <set>

#include "temporal/api/command/v1/message.pb.h"

namespace tern::history {
namespace {
namespace cmd = temporal::api::command::v1;
using std::chrono::nanoseconds;

bool IsNegative(const google::protobuf::Duration& d) { return !IsValidDuration(d); }

bool IsTerminal(enums::CommandType type) {
  return type == enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION ||
         type == enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION ||
         type == enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION ||
         type == enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION;
}

enums::WorkflowTaskFailedCause BadAttributesCause(enums::CommandType type) {
  switch (type) {
    case enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      return enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES;
    case enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      return enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES;
    case enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      return enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES;
    default:
      return enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES;
  }
}
}  // namespace

std::optional<HistoryEngine::CommandFailure> HistoryEngine::HandleCommands(
    Shard& shard, ExecutionContext& ctx, MutableStateBuilder& ms, const ws::RespondWorkflowTaskCompletedRequest& request,
    int64_t wtc, bool* closed) {
  *closed = false;
  // Only events that arrived while the task ran make a closing command premature; events the
  // commands themselves produce (a cancelled, never-started activity) do not.
  const bool events_arrived = ms.HasBufferedEvents();
  std::set<std::string> handled_messages;
  auto find_message = [&](const std::string& id) -> const temporal::api::protocol::v1::Message* {
    for (const auto& m : request.messages()) {
      if (m.id() == id) return &m;
    }
    return nullptr;
  };
  const int n = request.commands_size();
  for (int i = 0; i < n; ++i) {
    const cmd::Command& command = request.commands(i);
    const auto type = command.command_type();
    if (IsTerminal(type)) {
      if (events_arrived) {
        return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "UnhandledCommand"};
      }
      if (i != n - 1) {
        return CommandFailure{BadAttributesCause(type),
                              "a command that closes the workflow must be the last command"};
      }
    }
    switch (type) {
      case enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const auto& a = command.schedule_activity_task_command_attributes();
        constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES;
        if (!command.has_schedule_activity_task_command_attributes()) {
          return CommandFailure{kBad, "ScheduleActivityTaskCommandAttributes is not set on command."};
        }
        if (a.activity_id().empty()) return CommandFailure{kBad, "ActivityId is not set on command."};
        if (a.activity_type().name().empty()) {
          return CommandFailure{kBad, "ActivityType is not set on command."};
        }
        if (static_cast<int>(a.activity_id().size()) > config_.dynamic_config.max_id_length) {
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
          return CommandFailure{kBad, "Invalid RetryPolicy: maximum attempts must be >= 0 and "
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
        DispatchActivity(ms, stored);
        break;
      }
      case enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        const auto& a = command.request_cancel_activity_task_command_attributes();
        auto& activities = *ms.state().mutable_activities();
        auto it = activities.find(a.scheduled_event_id());
        if (it == activities.end()) {
          return CommandFailure{
              enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
              "No pending activity with scheduled event id " + std::to_string(a.scheduled_event_id()) +
                  "."};
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
        break;
      }
      case enums::COMMAND_TYPE_START_TIMER: {
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
        break;
      }
      case enums::COMMAND_TYPE_CANCEL_TIMER: {
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
        break;
      }
      case enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
        const auto& a = command.complete_workflow_execution_command_attributes();
        auto next = CronRun(shard, ms, a.has_result() ? &a.result() : nullptr, nullptr);
        if (!next.ok()) {
          return CommandFailure{
              enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
              std::string(next.status().message())};
        }
        auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
        auto* attrs = event->mutable_workflow_execution_completed_event_attributes();
        if (a.has_result()) *attrs->mutable_result() = a.result();
        attrs->set_workflow_task_completed_event_id(wtc);
        if (*next) attrs->set_new_execution_run_id((*next)->state().run_id());
        ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_COMPLETED, event->event_id());
        if (*next) ms.SetContinuedRun(std::move(*next));
        *closed = true;
        break;
      }
      case enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
        const auto& a = command.fail_workflow_execution_command_attributes();
        if (!a.has_failure()) {
          return CommandFailure{
              enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
              "Failure is not set on command."};
        }
        enums::RetryState retry_state;
        auto retry = RetryRun(shard, ms, a.failure(), &retry_state);
        if (retry.ok() && !*retry) retry = CronRun(shard, ms, nullptr, &a.failure());
        if (!retry.ok()) {
          return CommandFailure{
              enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
              std::string(retry.status().message())};
        }
        auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
        auto* attrs = event->mutable_workflow_execution_failed_event_attributes();
        *attrs->mutable_failure() = a.failure();
        attrs->set_retry_state(retry_state);
        attrs->set_workflow_task_completed_event_id(wtc);
        if (*retry) attrs->set_new_execution_run_id((*retry)->state().run_id());
        ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_FAILED, event->event_id());
        if (*retry) ms.SetContinuedRun(std::move(*retry));
        *closed = true;
        break;
      }
      case enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        if (auto failure = ContinueAsNew(shard, ms,
                                         command.continue_as_new_workflow_execution_command_attributes(),
                                         wtc)) {
          return failure;
        }
        *closed = true;
        break;
      }
      case enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: {
        auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
        auto* attrs = event->mutable_workflow_execution_canceled_event_attributes();
        const auto& a = command.cancel_workflow_execution_command_attributes();
        if (a.has_details()) *attrs->mutable_details() = a.details();
        attrs->set_workflow_task_completed_event_id(wtc);
        ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_CANCELED, event->event_id());
        *closed = true;
        break;
      }
      case enums::COMMAND_TYPE_RECORD_MARKER: {
        const auto& a = command.record_marker_command_attributes();
        if (a.marker_name().empty()) {
          return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
                                "MarkerName is not set on command."};
        }
        auto* event = ms.AddEvent(enums::EVENT_TYPE_MARKER_RECORDED);
        auto* attrs = event->mutable_marker_recorded_event_attributes();
        attrs->set_marker_name(a.marker_name());
        *attrs->mutable_details() = a.details();
        if (a.has_header()) *attrs->mutable_header() = a.header();
        if (a.has_failure()) *attrs->mutable_failure() = a.failure();
        attrs->set_workflow_task_completed_event_id(wtc);
        break;
      }
      case enums::COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const auto& a = command.upsert_workflow_search_attributes_command_attributes();
        if (auto failure = CheckSearchAttributes(ms.state().namespace_id(), a.search_attributes(),
                                                 "UpsertWorkflowSearchAttributesCommand")) {
          return failure;
        }
        auto* event = ms.AddEvent(enums::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
        auto* attrs = event->mutable_upsert_workflow_search_attributes_event_attributes();
        *attrs->mutable_search_attributes() = a.search_attributes();
        attrs->set_workflow_task_completed_event_id(wtc);
        ApplySearchAttributeUpserts(ms.state(), a.search_attributes());
        break;
      }
      case enums::COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
        const auto& a = command.modify_workflow_properties_command_attributes();
        auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED);
        auto* attrs = event->mutable_workflow_properties_modified_event_attributes();
        *attrs->mutable_upserted_memo() = a.upserted_memo();
        attrs->set_workflow_task_completed_event_id(wtc);
        ApplyMemoUpserts(ms.state(), a.upserted_memo());
        break;
      }
      case enums::COMMAND_TYPE_PROTOCOL_MESSAGE: {
        const auto& id = command.protocol_message_command_attributes().message_id();
        const auto* message = find_message(id);
        if (message == nullptr) {
          return CommandFailure{
              enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
              "ProtocolMessageCommand refers to message " + id + ", which is not in the request."};
        }
        if (auto failure = HandleUpdateMessage(ms, ctx, *message)) return failure;
        handled_messages.insert(id);
        break;
      }
      case enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        if (auto failure = StartChildCommand(
                ms, command.start_child_workflow_execution_command_attributes(), wtc)) {
          return failure;
        }
        break;
      case enums::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        if (auto failure = SignalExternalCommand(
                ms, command.signal_external_workflow_execution_command_attributes(), wtc)) {
          return failure;
        }
        break;
      case enums::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        if (auto failure = CancelExternalCommand(
                ms, command.request_cancel_external_workflow_execution_command_attributes(), wtc)) {
          return failure;
        }
        break;
      default:
        return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED,
                              "Command " + enums::CommandType_Name(type) +
                                  " is not supported by this server yet."};
    }
  }
  // Messages no command referred to follow the commands, in arrival order. After a closing
  // command only rejections can still apply (they write nothing).
  for (const auto& message : request.messages()) {
    if (handled_messages.contains(message.id())) continue;
    if (*closed && !message.body().Is<temporal::api::update::v1::Rejection>()) continue;
    if (auto failure = HandleUpdateMessage(ms, ctx, message)) return failure;
  }
  return std::nullopt;
}

}  // namespace tern::history
