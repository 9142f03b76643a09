// The commands that close a run: complete, fail (with retry or cron), cancel.
#include "services/history/commands/commands.h"
#include "services/history/runs.h"

namespace tern::history::commands {

Result CompleteWorkflowExecution(Scope& s, const Command& command) {
  auto& engine = s.engine;
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  auto& shard = s.shard;
  const auto& a = command.complete_workflow_execution_command_attributes();
  auto next = CronRun(engine, shard, ms, a.has_result() ? &a.result() : nullptr, nullptr);
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
  s.closed = true;
  return std::nullopt;
}

Result FailWorkflowExecution(Scope& s, const Command& command) {
  auto& engine = s.engine;
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  auto& shard = s.shard;
  const auto& a = command.fail_workflow_execution_command_attributes();
  if (!a.has_failure()) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
                          "Failure is not set on command."};
  }
  enums::RetryState retry_state;
  auto retry = RetryRun(engine, shard, ms, a.failure(), &retry_state);
  if (retry.ok() && !*retry) retry = CronRun(engine, shard, ms, nullptr, &a.failure());
  if (!retry.ok()) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
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
  s.closed = true;
  return std::nullopt;
}

Result CancelWorkflowExecution(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
  auto* attrs = event->mutable_workflow_execution_canceled_event_attributes();
  const auto& a = command.cancel_workflow_execution_command_attributes();
  if (a.has_details()) *attrs->mutable_details() = a.details();
  attrs->set_workflow_task_completed_event_id(wtc);
  ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_CANCELED, event->event_id());
  s.closed = true;
  return std::nullopt;
}

}  // namespace tern::history::commands
