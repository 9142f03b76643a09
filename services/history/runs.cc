#include "services/history/runs.h"

#include "common/ids.h"
#include "common/status_macros.h"
#include "services/history/cron.h"
#include "services/history/retry.h"

namespace tern::history {
namespace {
constexpr auto kMaxWorkflowTaskTimeout = std::chrono::seconds(120);
constexpr auto kDefaultWorkflowTaskTimeout = std::chrono::seconds(10);

// The start request that reproduces a run (same type, queue, input, timeouts, policies).
ws::StartWorkflowExecutionRequest RequestFrom(
    const pv1::MutableState& state, const hv1::WorkflowExecutionStartedEventAttributes& a) {
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
  if (state.has_search_attributes())
    *request.mutable_search_attributes() = state.search_attributes();
  if (a.has_priority()) *request.mutable_priority() = a.priority();
  request.set_identity(a.identity());
  return request;
}
}  // namespace

std::shared_ptr<MutableStateBuilder> NewRun(const std::string& namespace_id,
                                            const ws::StartWorkflowExecutionRequest& request,
                                            const RunOrigin& origin, TimePoint now,
                                            MutableStateBuilder::TaskIdSource task_ids,
                                            const StartHook& after_started) {
  pv1::MutableState state;
  std::string run_id = NewUuid();
  std::string first_run_id =
      origin.first_execution_run_id.empty() ? run_id : origin.first_execution_run_id;
  state.set_namespace_id(namespace_id);
  state.set_namespace_name(request.namespace_());
  if (!origin.parent.workflow_id().empty()) *state.mutable_parent() = origin.parent;
  state.set_workflow_id(request.workflow_id());
  state.set_run_id(run_id);
  state.set_first_execution_run_id(first_run_id);
  state.set_continued_execution_run_id(origin.continued_execution_run_id);
  *state.mutable_workflow_type() = request.workflow_type();
  state.set_task_queue(request.task_queue().name());
  state.set_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  state.set_create_request_id(request.request_id());
  state.set_next_event_id(1);
  state.set_attempt(origin.attempt);
  *state.mutable_start_time() = ToProto(now);
  const auto backoff = origin.first_task_backoff;
  *state.mutable_execution_time() = ToProto(AddSaturating(now, backoff));
  // Timeouts as the reference normalizes them: run <= execution; task <= 120 s and <= run.
  auto execution_timeout = FromProto(request.workflow_execution_timeout());
  auto run_timeout = FromProto(request.workflow_run_timeout());
  if (execution_timeout.count() > 0 &&
      (run_timeout.count() == 0 || run_timeout > execution_timeout)) {
    run_timeout = execution_timeout;
  }
  std::chrono::nanoseconds task_timeout = FromProto(request.workflow_task_timeout());
  if (task_timeout.count() == 0) task_timeout = kDefaultWorkflowTaskTimeout;
  task_timeout = std::min<std::chrono::nanoseconds>(task_timeout, kMaxWorkflowTaskTimeout);
  if (run_timeout.count() > 0) task_timeout = std::min(task_timeout, run_timeout);
  *state.mutable_workflow_execution_timeout() = ToProtoDuration(execution_timeout);
  *state.mutable_workflow_run_timeout() = ToProtoDuration(run_timeout);
  *state.mutable_default_workflow_task_timeout() = ToProtoDuration(task_timeout);
  if (origin.expiration_time) {
    *state.mutable_execution_expiration_time() = ToProto(*origin.expiration_time);
  } else if (execution_timeout.count() > 0) {
    *state.mutable_execution_expiration_time() = ToProto(AddSaturating(now, execution_timeout));
  }
  if (request.has_retry_policy()) *state.mutable_retry_policy() = request.retry_policy();
  if (request.has_memo()) *state.mutable_memo() = request.memo();
  if (request.has_search_attributes())
    *state.mutable_search_attributes() = request.search_attributes();
  state.set_cron_schedule(request.cron_schedule());

  auto run = std::make_shared<MutableStateBuilder>(std::move(state), now, std::move(task_ids));
  MutableStateBuilder& ms = *run;
  auto* started = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  auto* attrs = started->mutable_workflow_execution_started_event_attributes();
  *attrs->mutable_workflow_type() = request.workflow_type();
  attrs->mutable_task_queue()->set_name(request.task_queue().name());
  attrs->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  if (request.has_header()) *attrs->mutable_header() = request.header();
  if (request.has_input()) *attrs->mutable_input() = request.input();
  *attrs->mutable_workflow_execution_timeout() = ToProtoDuration(execution_timeout);
  *attrs->mutable_workflow_run_timeout() = ToProtoDuration(run_timeout);
  *attrs->mutable_workflow_task_timeout() = ToProtoDuration(task_timeout);
  attrs->set_continued_execution_run_id(origin.continued_execution_run_id);
  attrs->set_initiator(origin.initiator);
  attrs->set_original_execution_run_id(run_id);
  attrs->set_first_execution_run_id(first_run_id);
  attrs->set_identity(request.identity());
  attrs->set_attempt(origin.attempt);
  attrs->set_workflow_id(request.workflow_id());
  if (!origin.parent.workflow_id().empty()) {
    attrs->set_parent_workflow_namespace(origin.parent.namespace_());
    attrs->set_parent_workflow_namespace_id(origin.parent.namespace_id());
    attrs->mutable_parent_workflow_execution()->set_workflow_id(origin.parent.workflow_id());
    attrs->mutable_parent_workflow_execution()->set_run_id(origin.parent.run_id());
    attrs->set_parent_initiated_event_id(origin.parent.initiated_event_id());
  }
  if (request.has_retry_policy()) *attrs->mutable_retry_policy() = request.retry_policy();
  if (ms.state().has_execution_expiration_time()) {
    *attrs->mutable_workflow_execution_expiration_time() = ms.state().execution_expiration_time();
  }
  attrs->set_cron_schedule(request.cron_schedule());
  if (backoff.count() > 0) *attrs->mutable_first_workflow_task_backoff() = ToProtoDuration(backoff);
  if (request.has_memo()) *attrs->mutable_memo() = request.memo();
  if (request.has_search_attributes())
    *attrs->mutable_search_attributes() = request.search_attributes();
  if (request.has_continued_failure())
    *attrs->mutable_continued_failure() = request.continued_failure();
  if (request.has_last_completion_result()) {
    *attrs->mutable_last_completion_result() = request.last_completion_result();
  }
  if (request.has_priority()) *attrs->mutable_priority() = request.priority();
  if (after_started) after_started(ms);
  if (backoff.count() > 0) {
    // The first workflow task waits for the backoff (cron, retry, start delay).
    ms.AddTimerTask(NewTimerTask(ms.state(), pv1::TimerTask::TYPE_WORKFLOW_BACKOFF,
                                 AddSaturating(now, backoff)));
  } else {
    ms.ScheduleWorkflowTask(1, /*dispatch=*/!origin.eager_start);
  }
  ms.ArmWorkflowTimeouts(AddSaturating(now, backoff));
  return run;
}

absl::StatusOr<std::shared_ptr<MutableStateBuilder>> RetryRun(
    EngineContext& engine, Shard& shard, MutableStateBuilder& ms,
    const temporal::api::failure::v1::Failure& failure, enums::RetryState* retry_state) {
  const auto& state = ms.state();
  if (!state.has_retry_policy()) {
    *retry_state = enums::RETRY_STATE_RETRY_POLICY_NOT_SET;
    return std::shared_ptr<MutableStateBuilder>();
  }
  auto policy = state.retry_policy();
  NormalizeRetryPolicy(&policy);
  std::optional<TimePoint> expiration;
  if (state.has_execution_expiration_time())
    expiration = FromProto(state.execution_expiration_time());
  auto decision = DecideRetry(policy, state.attempt(), failure, expiration, ms.now());
  *retry_state = decision.state;
  if (!decision.retry) return std::shared_ptr<MutableStateBuilder>();
  auto started = engine.StartedAttributes(shard, state);
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

absl::StatusOr<std::shared_ptr<MutableStateBuilder>> CronRun(
    EngineContext& engine, Shard& shard, MutableStateBuilder& ms,
    const temporal::api::common::v1::Payloads* result,
    const temporal::api::failure::v1::Failure* failure) {
  const auto& state = ms.state();
  if (state.cron_schedule().empty()) return std::shared_ptr<MutableStateBuilder>();
  auto schedule = ParseCronSchedule(state.cron_schedule());
  if (!schedule.ok()) return schedule.status();
  auto started = engine.StartedAttributes(shard, state);
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

void FailStartedWorkflowTaskForClose(MutableStateBuilder& ms, const std::string& identity) {
  const auto& wft = ms.state().workflow_task();
  if (!ms.HasStartedWorkflowTask() || wft.type() == pv1::WORKFLOW_TASK_TYPE_TRANSIENT) return;
  ms.WriteWorkflowTaskEvents();  // a speculative task's
  auto* failed = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
  auto* attrs = failed->mutable_workflow_task_failed_event_attributes();
  attrs->set_scheduled_event_id(wft.scheduled_event_id());
  attrs->set_started_event_id(wft.started_event_id());
  attrs->set_cause(enums::WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND);
  attrs->set_identity(identity);
}

void TerminateRun(MutableStateBuilder& ms, const std::string& reason,
                  const temporal::api::common::v1::Payloads* details, const std::string& identity) {
  FailStartedWorkflowTaskForClose(ms, identity);
  auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  auto* attrs = event->mutable_workflow_execution_terminated_event_attributes();
  attrs->set_reason(reason);
  if (details) *attrs->mutable_details() = *details;
  attrs->set_identity(identity);
  ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_TERMINATED, event->event_id());
}

void AddCloseTasks(MutableStateBuilder& ms) {
  const auto& state = ms.state();
  if (state.has_parent() && !ms.continued_run()) {
    ms.AddTransferTask(NewTransferTask(state, pv1::TransferTask::TYPE_CLOSE_EXECUTION));
  }
  for (const auto& [id, child] : state.children()) {
    if (child.parent_close_policy() != enums::PARENT_CLOSE_POLICY_ABANDON) {
      ms.AddTransferTask(NewTransferTask(state, pv1::TransferTask::TYPE_PARENT_CLOSE_POLICY));
      break;
    }
  }
}

// ---- transfer tasks ----------------------------------------------------------------------------

}  // namespace tern::history
