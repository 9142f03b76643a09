// Runs that continue a closed run: continue-as-new, workflow retry (contract §3.5.6, §3.5.9).
#include "common/errors.h"
#include "services/history/history_engine.h"
#include "services/history/cron.h"
#include "services/history/retry.h"

namespace tern::history {

absl::StatusOr<hv1::WorkflowExecutionStartedEventAttributes> HistoryEngine::StartedAttributes(
    Shard& shard, const pv1::MutableState& state) {
  auto events = shard.executions().ReadHistory(shard.id(), state.namespace_id(),
                                               state.workflow_id(), state.run_id(), 1, 2, 1);
  if (!events.ok()) return events.status();
  if (events->empty() || !events->front().has_workflow_execution_started_event_attributes()) {
    return absl::InternalError("run " + state.run_id() + " has no WorkflowExecutionStarted event");
  }
  return events->front().workflow_execution_started_event_attributes();
}

namespace {
// The start request that reproduces a run (same type, queue, input, timeouts, policies).
ws::StartWorkflowExecutionRequest RequestFrom(const pv1::MutableState& state,
                                              const hv1::WorkflowExecutionStartedEventAttributes& a) {
  ws::StartWorkflowExecutionRequest request;
  request.set_namespace_(state.namespace_name());
  request.set_workflow_id(state.workflow_id());
  *request.mutable_workflow_type() = a.workflow_type();
  request.mutable_task_queue()->set_name(state.task_queue());
  request.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  if (a.has_input()) *request.mutable_input() = a.input();
  if (a.has_header()) *request.mutable_header() = a.header();
  *request.mutable_workflow_execution_timeout() = a.workflow_execution_timeout();
  *request.mutable_workflow_run_timeout() = a.workflow_run_timeout();
  *request.mutable_workflow_task_timeout() = a.workflow_task_timeout();
  if (a.has_retry_policy()) *request.mutable_retry_policy() = a.retry_policy();
  request.set_cron_schedule(a.cron_schedule());
  if (state.has_memo()) *request.mutable_memo() = state.memo();
  if (state.has_search_attributes()) *request.mutable_search_attributes() = state.search_attributes();
  if (a.has_priority()) *request.mutable_priority() = a.priority();
  request.set_identity(a.identity());
  return request;
}
}  // namespace

absl::StatusOr<std::shared_ptr<MutableStateBuilder>> HistoryEngine::RetryRun(
    Shard& shard, MutableStateBuilder& ms, const temporal::api::failure::v1::Failure& failure,
    enums::RetryState* retry_state) {
  const auto& state = ms.state();
  if (!state.has_retry_policy()) {
    *retry_state = enums::RETRY_STATE_RETRY_POLICY_NOT_SET;
    return std::shared_ptr<MutableStateBuilder>();
  }
  auto policy = state.retry_policy();
  NormalizeRetryPolicy(&policy);
  std::optional<TimePoint> expiration;
  if (state.has_execution_expiration_time()) expiration = FromProto(state.execution_expiration_time());
  auto decision = DecideRetry(policy, state.attempt(), failure, expiration, ms.now());
  *retry_state = decision.state;
  if (!decision.retry) return std::shared_ptr<MutableStateBuilder>();
  auto started = StartedAttributes(shard, state);
  if (!started.ok()) return started.status();
  auto request = RequestFrom(state, *started);
  request.set_request_id(state.create_request_id());
  *request.mutable_continued_failure() = failure;
  RunOrigin origin;
  origin.continued_execution_run_id = state.run_id();
  origin.first_execution_run_id = state.first_execution_run_id();
  origin.initiator = enums::CONTINUE_AS_NEW_INITIATOR_RETRY;
  origin.attempt = state.attempt() + 1;
  origin.expiration_time = expiration;
  origin.first_task_backoff = decision.backoff;
  origin.parent = state.parent();
  return NewRun(state.namespace_id(), request, origin, ms.now(), ms.task_id_source(), nullptr);
}

absl::StatusOr<std::shared_ptr<MutableStateBuilder>> HistoryEngine::CronRun(
    Shard& shard, MutableStateBuilder& ms, const temporal::api::common::v1::Payloads* result,
    const temporal::api::failure::v1::Failure* failure) {
  const auto& state = ms.state();
  if (state.cron_schedule().empty()) return std::shared_ptr<MutableStateBuilder>();
  auto schedule = ParseCronSchedule(state.cron_schedule());
  if (!schedule.ok()) return schedule.status();
  auto started = StartedAttributes(shard, state);
  if (!started.ok()) return started.status();
  auto request = RequestFrom(state, *started);
  request.set_request_id(state.create_request_id());
  if (result) *request.mutable_last_completion_result() = *result;
  if (failure) *request.mutable_continued_failure() = *failure;
  RunOrigin origin;
  origin.continued_execution_run_id = state.run_id();
  origin.first_execution_run_id = state.first_execution_run_id();
  origin.initiator = enums::CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE;
  origin.attempt = 1;
  origin.first_task_backoff = BackoffToNext(*schedule, FromProto(state.execution_time()), ms.now());
  origin.parent = state.parent();
  return NewRun(state.namespace_id(), request, origin, ms.now(), ms.task_id_source(), nullptr);
}

std::optional<HistoryEngine::CommandFailure> HistoryEngine::ContinueAsNew(
    Shard& shard, MutableStateBuilder& ms,
    const temporal::api::command::v1::ContinueAsNewWorkflowExecutionCommandAttributes& a,
    int64_t wtc) {
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES;
  if (!IsValidDuration(a.workflow_run_timeout()) || !IsValidDuration(a.workflow_task_timeout()) ||
      !IsValidDuration(a.backoff_start_interval())) {
    return CommandFailure{kBad, "A valid timeout may not be negative."};
  }
  const auto& state = ms.state();
  if (auto failure = CheckSearchAttributes(state.namespace_id(), a.search_attributes(),
                                           "ContinueAsNewWorkflowExecutionCommand")) {
    return failure;
  }
  auto started = StartedAttributes(shard, state);
  if (!started.ok()) return CommandFailure{kBad, std::string(started.status().message())};
  // Omitted fields keep the current run's values; memo, search attributes and policies come
  // from the command (the SDK copies the current ones in when the user sets none).
  ws::StartWorkflowExecutionRequest request;
  request.set_namespace_(state.namespace_name());
  request.set_workflow_id(state.workflow_id());
  *request.mutable_workflow_type() =
      a.workflow_type().name().empty() ? state.workflow_type() : a.workflow_type();
  request.mutable_task_queue()->set_name(a.task_queue().name().empty() ? state.task_queue()
                                                                        : a.task_queue().name());
  if (a.has_input()) *request.mutable_input() = a.input();
  if (a.has_header()) *request.mutable_header() = a.header();
  *request.mutable_workflow_execution_timeout() = state.workflow_execution_timeout();
  *request.mutable_workflow_run_timeout() =
      IsZero(a.workflow_run_timeout()) ? state.workflow_run_timeout() : a.workflow_run_timeout();
  *request.mutable_workflow_task_timeout() = IsZero(a.workflow_task_timeout())
                                                 ? state.default_workflow_task_timeout()
                                                 : a.workflow_task_timeout();
  if (a.has_retry_policy()) *request.mutable_retry_policy() = a.retry_policy();
  request.set_cron_schedule(a.cron_schedule());
  if (a.has_memo()) *request.mutable_memo() = a.memo();
  if (a.has_search_attributes()) *request.mutable_search_attributes() = a.search_attributes();
  if (a.has_last_completion_result()) {
    *request.mutable_last_completion_result() = a.last_completion_result();
  }
  if (a.has_failure()) *request.mutable_continued_failure() = a.failure();
  if (started->has_priority()) *request.mutable_priority() = started->priority();
  request.set_identity(started->identity());
  request.set_request_id(state.create_request_id());

  RunOrigin origin;
  origin.continued_execution_run_id = state.run_id();
  origin.first_execution_run_id = state.first_execution_run_id();
  origin.initiator = a.initiator() == enums::CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED
                         ? enums::CONTINUE_AS_NEW_INITIATOR_WORKFLOW
                         : a.initiator();
  origin.attempt = 1;
  if (state.has_execution_expiration_time()) {
    origin.expiration_time = FromProto(state.execution_expiration_time());
  }
  origin.first_task_backoff = FromProto(a.backoff_start_interval());
  origin.parent = state.parent();
  auto next = NewRun(state.namespace_id(), request, origin, ms.now(), ms.task_id_source(), nullptr);

  auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
  auto* attrs = event->mutable_workflow_execution_continued_as_new_event_attributes();
  attrs->set_new_execution_run_id(next->state().run_id());
  *attrs->mutable_workflow_type() = request.workflow_type();
  *attrs->mutable_task_queue() = request.task_queue();
  if (a.has_input()) *attrs->mutable_input() = a.input();
  *attrs->mutable_workflow_run_timeout() = next->state().workflow_run_timeout();
  *attrs->mutable_workflow_task_timeout() = next->state().default_workflow_task_timeout();
  attrs->set_workflow_task_completed_event_id(wtc);
  *attrs->mutable_backoff_start_interval() = a.backoff_start_interval();
  attrs->set_initiator(origin.initiator);
  if (a.has_last_completion_result()) {
    *attrs->mutable_last_completion_result() = a.last_completion_result();
  }
  if (a.has_header()) *attrs->mutable_header() = a.header();
  if (a.has_memo()) *attrs->mutable_memo() = a.memo();
  if (a.has_search_attributes()) *attrs->mutable_search_attributes() = a.search_attributes();
  ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, event->event_id());
  ms.SetContinuedRun(std::move(next));
  return std::nullopt;
}

}  // namespace tern::history
