// ContinueAsNewWorkflowExecution: the run closes and a new run of the same workflow id takes
// over in the same transaction (contract §3.5.6).
#include "services/history/commands/commands.h"
#include "services/history/runs.h"

namespace tern::history::commands {

Result ContinueAsNewWorkflowExecution(Scope& s, const Command& command) {
  auto& engine = s.engine;
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  auto& shard = s.shard;
  const auto& a = command.continue_as_new_workflow_execution_command_attributes();
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES;
  if (!IsValidDuration(a.workflow_run_timeout()) || !IsValidDuration(a.workflow_task_timeout()) ||
      !IsValidDuration(a.backoff_start_interval())) {
    return CommandFailure{kBad, "A valid timeout may not be negative."};
  }
  const auto& state = ms.state();
  if (auto failure = CheckSearchAttributes(engine, state.namespace_id(), a.search_attributes(),
                                           "ContinueAsNewWorkflowExecutionCommand")) {
    return failure;
  }
  auto started = engine.StartedAttributes(shard, state);
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

}  // namespace tern::history::commands
