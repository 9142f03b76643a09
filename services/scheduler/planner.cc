#include "services/scheduler/planner.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "visibility/payloads.h"

namespace tern::scheduler {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kDefaultCatchupWindow = std::chrono::hours(24 * 365);
constexpr auto kMinCatchupWindow = seconds(10);
// How often a schedule with started workflows still running is looked at, to see them close.
constexpr auto kRunningPollInterval = seconds(2);

enums::ScheduleOverlapPolicy DefaultPolicy(const pv1::ScheduleRecord& record) {
  auto policy = record.schedule().policies().overlap_policy();
  return policy == enums::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED ? enums::SCHEDULE_OVERLAP_POLICY_SKIP
                                                              : policy;
}

enums::ScheduleOverlapPolicy PolicyOr(enums::ScheduleOverlapPolicy policy,
                                      const pv1::ScheduleRecord& record) {
  return policy == enums::SCHEDULE_OVERLAP_POLICY_UNSPECIFIED ? DefaultPolicy(record) : policy;
}

std::chrono::nanoseconds CatchupWindow(const pv1::ScheduleRecord& record) {
  const auto& policies = record.schedule().policies();
  if (!policies.has_catchup_window() || IsZero(policies.catchup_window())) {
    return kDefaultCatchupWindow;
  }
  return std::max<std::chrono::nanoseconds>(FromProto(policies.catchup_window()),
                                            kMinCatchupWindow);
}

bool OutOfActions(const pv1::ScheduleRecord& record, int64_t planned = 0) {
  const auto& state = record.schedule().state();
  return state.limited_actions() && state.remaining_actions() - planned <= 0;
}

void Queue(pv1::ScheduleRecord& record, TimePoint nominal, TimePoint actual,
           enums::ScheduleOverlapPolicy policy, bool manual) {
  if (record.buffered_starts_size() >= kMaxBufferedStarts) {
    record.mutable_info()->set_buffer_dropped(record.info().buffer_dropped() + 1);
    return;
  }
  pv1::ScheduledStart* start = record.add_buffered_starts();
  *start->mutable_nominal_time() = ToProto(nominal);
  *start->mutable_actual_time() = ToProto(actual);
  start->set_overlap_policy(policy);
  start->set_manual(manual);
}

bool SameExecution(const common::WorkflowExecution& a, const common::WorkflowExecution& b) {
  return a.workflow_id() == b.workflow_id() && a.run_id() == b.run_id();
}

// RFC 3339 in UTC to the second ("2026-12-06T10:00:00Z"), as Temporal appends it to ids.
std::string SecondsRfc3339(TimePoint t) {
  absl::Time time = absl::FromChrono(t);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace

std::optional<CompiledSpec::Fire> NextFire(const CompiledSpec& spec,
                                           const pv1::ScheduleRecord& record, TimePoint after) {
  auto next = spec.Next(after, absl::StrCat(record.namespace_id(), "-", record.schedule_id()));
  return next.ok() ? *next : std::nullopt;
}

void CollectDue(pv1::ScheduleRecord& record, const CompiledSpec& spec, TimePoint now) {
  for (const auto& trigger : record.pending_triggers()) {
    TimePoint nominal = trigger.has_scheduled_time() ? FromProto(trigger.scheduled_time()) : now;
    Queue(record, nominal, now, PolicyOr(trigger.overlap_policy(), record), /*manual=*/true);
  }
  record.clear_pending_triggers();
  for (const auto& backfill : record.pending_backfills()) {
    TimePoint end = FromProto(backfill.end_time());
    TimePoint after = AddSaturating(FromProto(backfill.start_time()), std::chrono::nanoseconds(-1));
    while (auto fire = NextFire(spec, record, after)) {
      if (fire->nominal > end) break;
      Queue(record, fire->nominal, now, PolicyOr(backfill.overlap_policy(), record),
            /*manual=*/true);
      after = fire->nominal;
    }
  }
  record.clear_pending_backfills();

  // The spec's times, from where the last pass stopped. Times older than the catch-up window
  // (plus the jitter that may delay them) are skipped at once rather than one by one.
  const auto window = CatchupWindow(record);
  TimePoint after = FromProto(record.last_processed_time());
  const auto& jitter = record.schedule().spec().jitter();
  TimePoint oldest_useful = AddSaturating(now, -(window + FromProto(jitter)));
  if (after < oldest_useful) after = oldest_useful;
  const bool paused = record.schedule().state().paused();
  while (auto fire = NextFire(spec, record, after)) {
    if (fire->actual > now) break;
    after = fire->nominal;
    if (paused || OutOfActions(record)) continue;
    if (now - fire->actual > window) {
      record.mutable_info()->set_missed_catchup_window(record.info().missed_catchup_window() + 1);
      continue;
    }
    Queue(record, fire->nominal, fire->actual, DefaultPolicy(record), /*manual=*/false);
  }
  *record.mutable_last_processed_time() =
      ToProto(std::max(after, FromProto(record.last_processed_time())));
}

Decision Decide(pv1::ScheduleRecord& record) {
  Decision decision;
  bool running = record.info().running_workflows_size() > 0;
  google::protobuf::RepeatedPtrField<pv1::ScheduledStart> waiting;
  auto* info = record.mutable_info();
  for (pv1::ScheduledStart& start : *record.mutable_buffered_starts()) {
    if (OutOfActions(record, static_cast<int64_t>(decision.starts.size()))) continue;
    auto policy = PolicyOr(start.overlap_policy(), record);
    if (!running || policy == enums::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
      decision.starts.push_back(std::move(start));
      running = true;
      continue;
    }
    switch (policy) {
      case enums::SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
        if (waiting.empty()) {
          *waiting.Add() = std::move(start);
        } else {
          info->set_overlap_skipped(info->overlap_skipped() + 1);
        }
        break;
      case enums::SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
        *waiting.Add() = std::move(start);
        break;
      case enums::SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
        decision.cancel_running = true;
        *waiting.Add() = std::move(start);
        break;
      case enums::SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
        decision.terminate_running = true;
        decision.starts.push_back(std::move(start));
        break;
      default:  // SKIP
        info->set_overlap_skipped(info->overlap_skipped() + 1);
    }
  }
  record.mutable_buffered_starts()->Swap(&waiting);
  info->set_buffer_size(record.buffered_starts_size());
  return decision;
}

void RecordStarted(pv1::ScheduleRecord& record, const pv1::ScheduledStart& start,
                   const common::WorkflowExecution& execution, TimePoint now) {
  auto* info = record.mutable_info();
  info->set_action_count(info->action_count() + 1);
  auto* state = record.mutable_schedule()->mutable_state();
  if (state->limited_actions()) state->set_remaining_actions(state->remaining_actions() - 1);
  auto* result = info->add_recent_actions();
  *result->mutable_schedule_time() = start.nominal_time();
  *result->mutable_actual_time() = ToProto(now);
  *result->mutable_start_workflow_result() = execution;
  result->set_start_workflow_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  auto* recent = info->mutable_recent_actions();
  if (recent->size() > kMaxRecentActions) {
    recent->DeleteSubrange(0, recent->size() - kMaxRecentActions);
  }
  *info->add_running_workflows() = execution;
}

void RecordClosed(pv1::ScheduleRecord& record, const common::WorkflowExecution& execution,
                  enums::WorkflowExecutionStatus status,
                  const temporal::api::history::v1::HistoryEvent* close_event) {
  std::string failure_message;
  if (close_event != nullptr && close_event->has_workflow_execution_completed_event_attributes()) {
    *record.mutable_last_completion_result() =
        close_event->workflow_execution_completed_event_attributes().result();
    record.clear_continued_failure();
  } else if (close_event != nullptr &&
             close_event->has_workflow_execution_failed_event_attributes()) {
    const auto& failure = close_event->workflow_execution_failed_event_attributes().failure();
    *record.mutable_continued_failure() = failure;
    failure_message = failure.message();
  }
  auto* info = record.mutable_info();
  auto* running = info->mutable_running_workflows();
  for (int i = running->size() - 1; i >= 0; --i) {
    if (SameExecution(running->Get(i), execution)) running->DeleteSubrange(i, 1);
  }
  for (auto& action : *info->mutable_recent_actions()) {
    if (SameExecution(action.start_workflow_result(), execution)) {
      action.set_start_workflow_status(status);
    }
  }
  auto* state = record.mutable_schedule()->mutable_state();
  if (!record.schedule().policies().pause_on_failure() || state->paused()) return;
  if (status == enums::WORKFLOW_EXECUTION_STATUS_FAILED) {
    state->set_paused(true);
    state->set_notes(absl::StrCat("paused due to workflow failure: ", execution.workflow_id(),
                                  failure_message.empty() ? "" : ": ", failure_message));
  } else if (status == enums::WORKFLOW_EXECUTION_STATUS_TIMED_OUT) {
    state->set_paused(true);
    state->set_notes(absl::StrCat("paused due to workflow timeout: ", execution.workflow_id()));
  }
}

temporal::api::workflowservice::v1::StartWorkflowExecutionRequest StartRequest(
    const pv1::ScheduleRecord& record, const pv1::ScheduledStart& start) {
  const auto& action = record.schedule().action().start_workflow();
  const TimePoint nominal = FromProto(start.nominal_time());
  temporal::api::workflowservice::v1::StartWorkflowExecutionRequest request;
  request.set_namespace_(record.namespace_name());
  request.set_workflow_id(absl::StrCat(action.workflow_id(), "-", SecondsRfc3339(nominal)));
  *request.mutable_workflow_type() = action.workflow_type();
  *request.mutable_task_queue() = action.task_queue();
  if (action.has_input()) *request.mutable_input() = action.input();
  if (action.has_workflow_execution_timeout()) {
    *request.mutable_workflow_execution_timeout() = action.workflow_execution_timeout();
  }
  if (action.has_workflow_run_timeout()) {
    *request.mutable_workflow_run_timeout() = action.workflow_run_timeout();
  }
  if (action.has_workflow_task_timeout()) {
    *request.mutable_workflow_task_timeout() = action.workflow_task_timeout();
  }
  request.set_workflow_id_reuse_policy(action.workflow_id_reuse_policy());
  if (action.has_retry_policy()) *request.mutable_retry_policy() = action.retry_policy();
  request.set_cron_schedule(action.cron_schedule());
  if (action.has_memo()) *request.mutable_memo() = action.memo();
  if (action.has_header()) *request.mutable_header() = action.header();
  if (action.has_user_metadata()) *request.mutable_user_metadata() = action.user_metadata();
  if (action.has_priority()) *request.mutable_priority() = action.priority();
  auto* attributes = request.mutable_search_attributes()->mutable_indexed_fields();
  *attributes = action.search_attributes().indexed_fields();
  (*attributes)["TemporalScheduledStartTime"] = visibility::SearchAttributePayload(
      absl::StrCat(
          "\"",
          absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromChrono(nominal), absl::UTCTimeZone()),
          "\""),
      temporal::api::enums::v1::INDEXED_VALUE_TYPE_DATETIME);
  (*attributes)["TemporalScheduledById"] =
      visibility::SearchAttributePayload(absl::StrCat("\"", record.schedule_id(), "\""),
                                         temporal::api::enums::v1::INDEXED_VALUE_TYPE_KEYWORD);
  request.set_identity(absl::StrCat("tern-scheduler:", record.schedule_id()));
  if (start.overlap_policy() != enums::SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
    if (record.has_last_completion_result()) {
      *request.mutable_last_completion_result() = record.last_completion_result();
    }
    if (record.has_continued_failure()) {
      *request.mutable_continued_failure() = record.continued_failure();
    }
  }
  // The same start always carries the same request id (a trigger's nominal time is stamped
  // when the frontend accepts it): history answers a repeat with the run the first one started.
  request.set_request_id(
      absl::StrCat("schedule-", ToMicros(nominal), start.manual() ? "-manual" : ""));
  return request;
}

std::vector<TimePoint> FutureActionTimes(const pv1::ScheduleRecord& record,
                                         const CompiledSpec& spec, TimePoint now, int count) {
  std::vector<TimePoint> times;
  const auto& state = record.schedule().state();
  if (state.paused()) return times;
  int64_t left = state.limited_actions() ? state.remaining_actions() : count;
  TimePoint after = std::max(now, FromProto(record.last_processed_time()));
  while (static_cast<int>(times.size()) < std::min<int64_t>(count, left)) {
    auto fire = NextFire(spec, record, after);
    if (!fire) break;
    times.push_back(fire->actual);
    after = fire->nominal;
  }
  return times;
}

std::optional<TimePoint> NextWakeup(const pv1::ScheduleRecord& record, const CompiledSpec& spec,
                                    TimePoint now) {
  if (record.pending_triggers_size() > 0 || record.pending_backfills_size() > 0) return now;
  std::optional<TimePoint> wakeup;
  auto sooner = [&](TimePoint t) { wakeup = wakeup ? std::min(*wakeup, t) : t; };
  if (record.info().running_workflows_size() > 0) sooner(now + kRunningPollInterval);
  if (record.buffered_starts_size() > 0 && record.info().running_workflows_size() == 0) {
    sooner(now);
  }
  if (!record.schedule().state().paused() && !OutOfActions(record)) {
    TimePoint after =
        std::max(FromProto(record.last_processed_time()), now - CatchupWindow(record));
    if (auto fire = NextFire(spec, record, after)) sooner(std::max(fire->actual, now));
  }
  return wakeup;
}

}  // namespace tern::scheduler
