// Commands that reach other workflows: start a child, signal or cancel an external workflow.
// The transfer tasks they write carry them out (tasks/start_child.cc, tasks/external_requests.cc).
// Older SDKs still send the deprecated `namespace` and `control` fields; the reference server
// reads and copies them, so do we.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "services/history/commands/commands.h"
#include "services/history/event_state.h"

namespace tern::history::commands {
namespace {
bool SameNamespace(const std::string& requested, const pv1::MutableState& state) {
  return requested.empty() || requested == state.namespace_name();
}
}  // namespace

Result StartChildWorkflowExecution(Scope& s, const Command& command) {
  auto& engine = s.engine;
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.start_child_workflow_execution_command_attributes();
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES;
  if (a.workflow_id().empty()) return CommandFailure{kBad, "WorkflowId is not set on command."};
  if (a.workflow_type().name().empty()) {
    return CommandFailure{kBad, "WorkflowType is not set on command."};
  }
  if (!SameNamespace(a.namespace_(), ms.state())) {
    return CommandFailure{kBad, "Child workflows in another namespace are not supported."};
  }
  if (!IsValidDuration(a.workflow_execution_timeout()) ||
      !IsValidDuration(a.workflow_run_timeout()) || !IsValidDuration(a.workflow_task_timeout())) {
    return CommandFailure{kBad, "A valid timeout may not be negative."};
  }
  if (auto failure = CheckSearchAttributes(engine, ms.state().namespace_id(), a.search_attributes(),
                                           "StartChildWorkflowExecutionCommand")) {
    return failure;
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
  auto* attrs = event->mutable_start_child_workflow_execution_initiated_event_attributes();
  attrs->set_namespace_(ms.state().namespace_name());
  attrs->set_namespace_id(ms.state().namespace_id());
  attrs->set_workflow_id(a.workflow_id());
  *attrs->mutable_workflow_type() = a.workflow_type();
  attrs->mutable_task_queue()->set_name(a.task_queue().name().empty() ? ms.state().task_queue()
                                                                      : a.task_queue().name());
  attrs->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  if (a.has_input()) *attrs->mutable_input() = a.input();
  *attrs->mutable_workflow_execution_timeout() = a.workflow_execution_timeout();
  *attrs->mutable_workflow_run_timeout() = a.workflow_run_timeout();
  *attrs->mutable_workflow_task_timeout() = a.workflow_task_timeout();
  auto policy = a.parent_close_policy() == enums::PARENT_CLOSE_POLICY_UNSPECIFIED
                    ? enums::PARENT_CLOSE_POLICY_TERMINATE
                    : a.parent_close_policy();
  attrs->set_parent_close_policy(policy);
  attrs->set_workflow_task_completed_event_id(wtc);
  attrs->set_workflow_id_reuse_policy(a.workflow_id_reuse_policy());
  if (a.has_retry_policy()) *attrs->mutable_retry_policy() = a.retry_policy();
  attrs->set_cron_schedule(a.cron_schedule());
  if (a.has_header()) *attrs->mutable_header() = a.header();
  if (a.has_memo()) *attrs->mutable_memo() = a.memo();
  if (a.has_search_attributes()) *attrs->mutable_search_attributes() = a.search_attributes();
  if (a.has_priority()) *attrs->mutable_priority() = a.priority();

  RecordChildInitiated(ms.state(), *event);
  auto task = NewTransferTask(ms.state(), pv1::TransferTask::TYPE_START_CHILD);
  task.set_scheduled_event_id(event->event_id());
  ms.AddTransferTask(std::move(task));
  return std::nullopt;
}

Result SignalExternalWorkflowExecution(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.signal_external_workflow_execution_command_attributes();
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES;
  if (a.execution().workflow_id().empty()) {
    return CommandFailure{kBad, "WorkflowId is not set on command."};
  }
  if (a.signal_name().empty()) return CommandFailure{kBad, "SignalName is not set on command."};
  if (!SameNamespace(a.namespace_(), ms.state())) {
    return CommandFailure{kBad, "Signals to another namespace are not supported."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
  auto* attrs = event->mutable_signal_external_workflow_execution_initiated_event_attributes();
  attrs->set_workflow_task_completed_event_id(wtc);
  attrs->set_namespace_(ms.state().namespace_name());
  attrs->set_namespace_id(ms.state().namespace_id());
  *attrs->mutable_workflow_execution() = a.execution();
  attrs->set_signal_name(a.signal_name());
  if (a.has_input()) *attrs->mutable_input() = a.input();
  attrs->set_control(a.control());
  attrs->set_child_workflow_only(a.child_workflow_only());
  if (a.has_header()) *attrs->mutable_header() = a.header();
  RecordExternalRequestInitiated(ms.state(), *event);
  auto task = NewTransferTask(ms.state(), pv1::TransferTask::TYPE_SIGNAL_EXECUTION);
  task.set_scheduled_event_id(event->event_id());
  ms.AddTransferTask(std::move(task));
  return std::nullopt;
}

Result RequestCancelExternalWorkflowExecution(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.request_cancel_external_workflow_execution_command_attributes();
  constexpr auto kBad =
      enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES;
  if (a.workflow_id().empty()) return CommandFailure{kBad, "WorkflowId is not set on command."};
  if (!SameNamespace(a.namespace_(), ms.state())) {
    return CommandFailure{kBad, "Cancellation requests to another namespace are not supported."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
  auto* attrs =
      event->mutable_request_cancel_external_workflow_execution_initiated_event_attributes();
  attrs->set_workflow_task_completed_event_id(wtc);
  attrs->set_namespace_(ms.state().namespace_name());
  attrs->set_namespace_id(ms.state().namespace_id());
  attrs->mutable_workflow_execution()->set_workflow_id(a.workflow_id());
  attrs->mutable_workflow_execution()->set_run_id(a.run_id());
  attrs->set_control(a.control());
  attrs->set_child_workflow_only(a.child_workflow_only());
  attrs->set_reason(a.reason());
  RecordExternalRequestInitiated(ms.state(), *event);
  auto task = NewTransferTask(ms.state(), pv1::TransferTask::TYPE_CANCEL_EXECUTION);
  task.set_scheduled_event_id(event->event_id());
  ms.AddTransferTask(std::move(task));
  return std::nullopt;
}

}  // namespace tern::history::commands
