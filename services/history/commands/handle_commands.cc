// The loop over a completed workflow task's commands: order rules, then one handler per type.
#include <map>
#include <set>

#include "services/history/commands/commands.h"

namespace tern::history::commands {
namespace {
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

using Handler = Result (*)(Scope&, const Command&);

Handler HandlerFor(enums::CommandType type) {
  static const std::map<enums::CommandType, Handler> handlers = {
      {enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, ScheduleActivityTask},
      {enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK, RequestCancelActivityTask},
      {enums::COMMAND_TYPE_START_TIMER, StartTimer},
      {enums::COMMAND_TYPE_CANCEL_TIMER, CancelTimer},
      {enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, CompleteWorkflowExecution},
      {enums::COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, FailWorkflowExecution},
      {enums::COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, CancelWorkflowExecution},
      {enums::COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, ContinueAsNewWorkflowExecution},
      {enums::COMMAND_TYPE_RECORD_MARKER, RecordMarker},
      {enums::COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, UpsertWorkflowSearchAttributes},
      {enums::COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES, ModifyWorkflowProperties},
      {enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, StartChildWorkflowExecution},
      {enums::COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION, SignalExternalWorkflowExecution},
      {enums::COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
       RequestCancelExternalWorkflowExecution},
  };
  auto it = handlers.find(type);
  return it == handlers.end() ? nullptr : it->second;
}
}  // namespace

Result HandleCommands(EngineContext& engine, Shard& shard, ExecutionContext& ctx,
                      MutableStateBuilder& ms,
                      const ws::RespondWorkflowTaskCompletedRequest& request,
                      int64_t completed_event_id, Applied* applied) {
  Scope scope{engine, shard, ctx, ms, request, completed_event_id};
  *applied = Applied();
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
    const Command& command = request.commands(i);
    const auto type = command.command_type();
    if (IsTerminal(type)) {
      if (events_arrived) {
        return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
                              "UnhandledCommand"};
      }
      if (i != n - 1) {
        return CommandFailure{BadAttributesCause(type),
                              "a command that closes the workflow must be the last command"};
      }
    }
    if (type == enums::COMMAND_TYPE_PROTOCOL_MESSAGE) {
      const auto& id = command.protocol_message_command_attributes().message_id();
      const auto* message = find_message(id);
      if (message == nullptr) {
        return CommandFailure{
            enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
            "ProtocolMessageCommand refers to message " + id + ", which is not in the request."};
      }
      if (auto failure = HandleUpdateMessage(ms, ctx, *message)) return failure;
      handled_messages.insert(id);
      continue;
    }
    Handler handler = HandlerFor(type);
    if (handler == nullptr) {
      return CommandFailure{
          enums::WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED,
          "Command " + enums::CommandType_Name(type) + " is not supported by this server yet."};
    }
    if (auto failure = handler(scope, command)) return failure;
    applied->closed = scope.closed;
  }
  // Messages no command referred to follow the commands, in arrival order. After a closing
  // command only rejections can still apply (they write nothing).
  for (const auto& message : request.messages()) {
    if (handled_messages.contains(message.id())) continue;
    if (applied->closed && !message.body().Is<temporal::api::update::v1::Rejection>()) continue;
    if (auto failure = HandleUpdateMessage(ms, ctx, message)) return failure;
  }
  applied->eager_activities = std::move(scope.eager_activities);
  return std::nullopt;
}

}  // namespace tern::history::commands
