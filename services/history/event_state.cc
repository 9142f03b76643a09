#include "services/history/event_state.h"

#include "common/clock.h"

namespace tern::history {

namespace enums = temporal::api::enums::v1;

pv1::ActivityInfo& RecordActivityScheduled(pv1::MutableState& state,
                                           const hv1::HistoryEvent& scheduled) {
  const auto& a = scheduled.activity_task_scheduled_event_attributes();
  pv1::ActivityInfo info;
  info.set_scheduled_event_id(scheduled.event_id());
  info.set_activity_id(a.activity_id());
  *info.mutable_activity_type() = a.activity_type();
  info.set_task_queue(a.task_queue().name());
  *info.mutable_schedule_to_close_timeout() = a.schedule_to_close_timeout();
  *info.mutable_schedule_to_start_timeout() = a.schedule_to_start_timeout();
  *info.mutable_start_to_close_timeout() = a.start_to_close_timeout();
  *info.mutable_heartbeat_timeout() = a.heartbeat_timeout();
  *info.mutable_retry_policy() = a.retry_policy();
  *info.mutable_scheduled_time() = scheduled.event_time();
  *info.mutable_current_attempt_scheduled_time() = scheduled.event_time();
  info.set_attempt(1);
  if (a.has_header()) *info.mutable_header() = a.header();
  if (a.has_input()) *info.mutable_input() = a.input();
  return (*state.mutable_activities())[scheduled.event_id()] = std::move(info);
}

pv1::TimerInfo& RecordTimerStarted(pv1::MutableState& state, const hv1::HistoryEvent& started) {
  const auto& a = started.timer_started_event_attributes();
  pv1::TimerInfo info;
  info.set_timer_id(a.timer_id());
  info.set_started_event_id(started.event_id());
  auto fire = AddSaturating(FromProto(started.event_time()), a.start_to_fire_timeout());
  *info.mutable_expiry_time() = ToProto(fire);
  return (*state.mutable_timers())[a.timer_id()] = std::move(info);
}

pv1::ChildInfo& RecordChildInitiated(pv1::MutableState& state, const hv1::HistoryEvent& initiated) {
  const auto& a = initiated.start_child_workflow_execution_initiated_event_attributes();
  pv1::ChildInfo child;
  child.set_initiated_event_id(initiated.event_id());
  child.set_namespace_(a.namespace_());
  child.set_namespace_id(a.namespace_id());
  child.set_workflow_id(a.workflow_id());
  *child.mutable_workflow_type() = a.workflow_type();
  child.set_parent_close_policy(a.parent_close_policy());
  return (*state.mutable_children())[initiated.event_id()] = std::move(child);
}

pv1::ExternalRequestInfo& RecordExternalRequestInitiated(pv1::MutableState& state,
                                                         const hv1::HistoryEvent& initiated) {
  pv1::ExternalRequestInfo info;
  info.set_initiated_event_id(initiated.event_id());
  info.set_type(initiated.event_type() ==
                        enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
                    ? pv1::ExternalRequestInfo::TYPE_SIGNAL
                    : pv1::ExternalRequestInfo::TYPE_CANCEL);
  return (*state.mutable_external_requests())[initiated.event_id()] = std::move(info);
}

void ApplySearchAttributeUpserts(pv1::MutableState& state,
                                 const temporal::api::common::v1::SearchAttributes& upserts) {
  auto& fields = *state.mutable_search_attributes()->mutable_indexed_fields();
  for (const auto& [name, value] : upserts.indexed_fields()) {
    if (value.data().empty() || value.data() == "null" || value.data() == "[]") {
      fields.erase(name);
    } else {
      fields[name] = value;
    }
  }
}

void ApplyMemoUpserts(pv1::MutableState& state, const temporal::api::common::v1::Memo& upserts) {
  auto& fields = *state.mutable_memo()->mutable_fields();
  for (const auto& [name, value] : upserts.fields()) {
    if (value.data().empty() || value.data() == "null") {
      fields.erase(name);
    } else {
      fields[name] = value;
    }
  }
}

namespace {

// Copies what no event carries: identity, configuration and links of the run (chain).
pv1::MutableState StaticPart(const pv1::MutableState& base) {
  pv1::MutableState state;
  state.set_namespace_id(base.namespace_id());
  state.set_namespace_name(base.namespace_name());
  state.set_workflow_id(base.workflow_id());
  state.set_run_id(base.run_id());
  state.set_first_execution_run_id(base.first_execution_run_id());
  *state.mutable_workflow_type() = base.workflow_type();
  state.set_task_queue(base.task_queue());
  *state.mutable_workflow_execution_timeout() = base.workflow_execution_timeout();
  *state.mutable_workflow_run_timeout() = base.workflow_run_timeout();
  *state.mutable_default_workflow_task_timeout() = base.default_workflow_task_timeout();
  *state.mutable_start_time() = base.start_time();
  *state.mutable_execution_time() = base.execution_time();
  if (base.has_execution_expiration_time()) {
    *state.mutable_execution_expiration_time() = base.execution_expiration_time();
  }
  state.set_create_request_id(base.create_request_id());
  *state.mutable_retry_policy() = base.retry_policy();
  state.set_attempt(base.attempt());
  state.set_continued_execution_run_id(base.continued_execution_run_id());
  state.set_cron_schedule(base.cron_schedule());
  if (base.has_parent()) *state.mutable_parent() = base.parent();
  state.set_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  return state;
}

}  // namespace

pv1::MutableState ReplayHistory(const pv1::MutableState& base,
                                const std::vector<hv1::HistoryEvent>& events) {
  pv1::MutableState state = StaticPart(base);
  auto& activities = *state.mutable_activities();
  auto& children = *state.mutable_children();
  auto& requests = *state.mutable_external_requests();
  for (const auto& e : events) {
    switch (e.event_type()) {
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const auto& a = e.workflow_execution_started_event_attributes();
        if (a.has_memo()) *state.mutable_memo() = a.memo();
        if (a.has_search_attributes()) *state.mutable_search_attributes() = a.search_attributes();
        break;
      }
      case enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: {
        const auto& a = e.workflow_task_scheduled_event_attributes();
        auto& wft = *state.mutable_workflow_task();
        wft.Clear();
        wft.set_scheduled_event_id(e.event_id());
        wft.set_attempt(a.attempt());
        wft.set_type(pv1::WORKFLOW_TASK_TYPE_NORMAL);
        wft.set_task_queue(a.task_queue().name());
        wft.set_task_queue_kind(a.task_queue().kind());
        *wft.mutable_start_to_close_timeout() = a.start_to_close_timeout();
        *wft.mutable_scheduled_time() = e.event_time();
        break;
      }
      case enums::EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const auto& a = e.workflow_task_started_event_attributes();
        auto& wft = *state.mutable_workflow_task();
        wft.set_started_event_id(e.event_id());
        *wft.mutable_started_time() = e.event_time();
        wft.set_request_id(a.request_id());
        wft.set_identity(a.identity());
        break;
      }
      case enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        state.set_last_completed_workflow_task_started_event_id(
            e.workflow_task_completed_event_attributes().started_event_id());
        state.clear_workflow_task();
        break;
      case enums::EVENT_TYPE_WORKFLOW_TASK_FAILED:
      case enums::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        state.clear_workflow_task();
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        RecordActivityScheduled(state, e);
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: {
        const auto& a = e.activity_task_cancel_requested_event_attributes();
        if (auto it = activities.find(a.scheduled_event_id()); it != activities.end()) {
          it->second.set_cancel_requested(true);
          it->second.set_cancel_requested_event_id(e.event_id());
        }
        break;
      }
      case enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        activities.erase(e.activity_task_completed_event_attributes().scheduled_event_id());
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_FAILED:
        activities.erase(e.activity_task_failed_event_attributes().scheduled_event_id());
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        activities.erase(e.activity_task_timed_out_event_attributes().scheduled_event_id());
        break;
      case enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        activities.erase(e.activity_task_canceled_event_attributes().scheduled_event_id());
        break;
      case enums::EVENT_TYPE_TIMER_STARTED:
        RecordTimerStarted(state, e);
        break;
      case enums::EVENT_TYPE_TIMER_FIRED:
        state.mutable_timers()->erase(e.timer_fired_event_attributes().timer_id());
        break;
      case enums::EVENT_TYPE_TIMER_CANCELED:
        state.mutable_timers()->erase(e.timer_canceled_event_attributes().timer_id());
        break;
      case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        RecordChildInitiated(state, e);
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const auto& a = e.child_workflow_execution_started_event_attributes();
        if (auto it = children.find(a.initiated_event_id()); it != children.end()) {
          it->second.set_started(true);
          it->second.set_started_event_id(e.event_id());
          it->second.set_run_id(a.workflow_execution().run_id());
        }
        break;
      }
      case enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        children.erase(
            e.start_child_workflow_execution_failed_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        children.erase(
            e.child_workflow_execution_completed_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
        children.erase(e.child_workflow_execution_failed_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        children.erase(e.child_workflow_execution_canceled_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
        children.erase(
            e.child_workflow_execution_timed_out_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        children.erase(
            e.child_workflow_execution_terminated_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      case enums::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        RecordExternalRequestInitiated(state, e);
        break;
      case enums::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        requests.erase(
            e.external_workflow_execution_signaled_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        requests.erase(
            e.signal_external_workflow_execution_failed_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        requests.erase(
            e.external_workflow_execution_cancel_requested_event_attributes().initiated_event_id());
        break;
      case enums::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        requests.erase(e.request_cancel_external_workflow_execution_failed_event_attributes()
                           .initiated_event_id());
        break;
      case enums::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        ApplySearchAttributeUpserts(
            state, e.upsert_workflow_search_attributes_event_attributes().search_attributes());
        break;
      case enums::EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        ApplyMemoUpserts(state, e.workflow_properties_modified_event_attributes().upserted_memo());
        break;
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        state.set_cancel_requested(true);
        break;
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        (*state.mutable_updates())[e.workflow_execution_update_accepted_event_attributes()
                                       .protocol_instance_id()]
            .set_accepted_event_id(e.event_id());
        break;
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
        const auto& a = e.workflow_execution_update_completed_event_attributes();
        (*state.mutable_updates())[a.meta().update_id()].set_completed_event_id(e.event_id());
        break;
      }
      default:
        // Signals, markers and the like leave nothing pending.
        break;
    }
    state.set_next_event_id(e.event_id() + 1);
  }
  return state;
}

}  // namespace tern::history
