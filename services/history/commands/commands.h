// The commands of a completed workflow task (RespondWorkflowTaskCompleted), each turned into its
// events, state and tasks (contract §3.3). A handler either applies its command to the run's
// MutableStateBuilder or returns why the whole workflow task must fail instead (the caller then
// abandons the mutation, unwritten, and records only the failure on the state read back).
// Handlers run under the run's lock on the blocking executor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/history/engine_context.h"
#include "temporal/api/command/v1/message.pb.h"
#include "temporal/api/protocol/v1/message.pb.h"

namespace tern::history::commands {

struct CommandFailure {
  enums::WorkflowTaskFailedCause cause;
  std::string message;
};
using Result = std::optional<CommandFailure>;

// What a command handler works on.
struct Scope {
  EngineContext& engine;
  Shard& shard;
  ExecutionContext& execution;  // the run's in-memory context (pending updates)
  MutableStateBuilder& ms;
  const ws::RespondWorkflowTaskCompletedRequest& request;
  int64_t completed_event_id;  // the WorkflowTaskCompleted event the commands follow
  bool closed = false;         // set by the commands that close the run
  // Activities started for the completing worker (request_eager_execution), by scheduled event
  // id; the caller returns them in the response instead of sending them through matching.
  std::vector<int64_t> eager_activities = {};
};

// What applying a task's commands produced besides the state.
struct Applied {
  bool closed = false;                    // a command closed the run
  std::vector<int64_t> eager_activities;  // see Scope
};
// Applies the commands of a completed workflow task in order, then the protocol messages no
// command referred to. Returns why the task must fail instead (invalid attributes, unhandled
// events), leaving `ms` to be dropped.
Result HandleCommands(EngineContext& engine, Shard& shard, ExecutionContext& execution,
                      MutableStateBuilder& ms,
                      const ws::RespondWorkflowTaskCompletedRequest& request,
                      int64_t completed_event_id, Applied* applied);

using Command = temporal::api::command::v1::Command;
// activity_commands.cc
Result ScheduleActivityTask(Scope& s, const Command& command);
Result RequestCancelActivityTask(Scope& s, const Command& command);
// timer_commands.cc
Result StartTimer(Scope& s, const Command& command);
Result CancelTimer(Scope& s, const Command& command);
// close_commands.cc
Result CompleteWorkflowExecution(Scope& s, const Command& command);
Result FailWorkflowExecution(Scope& s, const Command& command);
Result CancelWorkflowExecution(Scope& s, const Command& command);
// continue_as_new.cc
Result ContinueAsNewWorkflowExecution(Scope& s, const Command& command);
// child_commands.cc
Result StartChildWorkflowExecution(Scope& s, const Command& command);
Result SignalExternalWorkflowExecution(Scope& s, const Command& command);
Result RequestCancelExternalWorkflowExecution(Scope& s, const Command& command);
// record_commands.cc
Result RecordMarker(Scope& s, const Command& command);
Result UpsertWorkflowSearchAttributes(Scope& s, const Command& command);
Result ModifyWorkflowProperties(Scope& s, const Command& command);
// update_messages.cc: acceptances and completions become events; rejections are remembered in
// memory only.
Result HandleUpdateMessage(MutableStateBuilder& ms, ExecutionContext& execution,
                           const temporal::api::protocol::v1::Message& message);

// BAD_SEARCH_ATTRIBUTES when `attributes` (of an upsert, continue-as-new or child start command)
// are not all writable attributes of the namespace with values of their type.
Result CheckSearchAttributes(EngineContext& engine, const std::string& namespace_id,
                             const temporal::api::common::v1::SearchAttributes& attributes,
                             const char* command);

}  // namespace tern::history::commands
