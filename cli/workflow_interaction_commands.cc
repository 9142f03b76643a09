// `tern workflow query|stack|update|reset`: talk to a running workflow, or rewind one, with the
// Temporal CLI's names and flags.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/output.h"
#include "cli/workflow_support.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/enums/v1/query.pb.h"
#include "temporal/api/enums/v1/reset.pb.h"
#include "temporal/api/enums/v1/update.pb.h"

namespace tern::cli {
namespace {

namespace enums = temporal::api::enums::v1;
namespace history = temporal::api::history::v1;

constexpr char kNameFlag[] = "name";
constexpr char kUpdateIdFlag[] = "update-id";
constexpr char kStackTraceQuery[] = "__stack_trace";

// ---- query and stack ---------------------------------------------------------------------

absl::StatusOr<common::Payloads> RunQuery(const Invocation& inv, const std::string& query_type) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  wf::QueryWorkflowRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  *request.mutable_execution() = TargetExecution(inv.flags);
  request.mutable_query()->set_query_type(query_type);
  if (inv.flags.Has(kInputFlag) || inv.flags.Has(kInputFileFlag)) {
    ASSIGN_OR_RETURN(std::optional<common::Payloads> args, InputPayloads(inv.flags));
    *request.mutable_query()->mutable_query_args() = *std::move(args);
  }
  if (inv.flags.Has("reject-condition")) {
    int condition = *EnumFromDisplayName(*enums::QueryRejectCondition_descriptor(),
                                         inv.flags.Get("reject-condition"));
    request.set_query_reject_condition(static_cast<enums::QueryRejectCondition>(condition));
  }
  const std::string what =
      absl::StrCat("failed to query ", ExecutionName(request.execution()), " for ", query_type);
  wf::QueryWorkflowResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::QueryWorkflow, request, &response, what));
  if (response.has_query_rejected()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": rejected, the workflow is ", EnumDisplayName(response.query_rejected().status())));
  }
  return response.query_result();
}

absl::Status Query(const Invocation& inv) {
  ASSIGN_OR_RETURN(common::Payloads result, RunQuery(inv, inv.flags.Get(kNameFlag)));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, PayloadsJson(result));
  } else {
    inv.out << PayloadsText(result) << "\n";
  }
  return absl::OkStatus();
}

// The SDKs answer `__stack_trace` with one string: print it as lines, not as a JSON string.
absl::Status Stack(const Invocation& inv) {
  ASSIGN_OR_RETURN(common::Payloads result, RunQuery(inv, kStackTraceQuery));
  google::protobuf::Value value = PayloadsJson(result);
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, value);
  } else if (value.kind_case() == google::protobuf::Value::kStringValue) {
    inv.out << value.string_value() << "\n";
  } else {
    inv.out << PayloadsText(result) << "\n";
  }
  return absl::OkStatus();
}

// ---- update ------------------------------------------------------------------------------

// Polls an accepted update until it has an outcome.
absl::StatusOr<temporal::api::update::v1::Outcome> AwaitUpdate(
    const WorkflowClient& client, const std::string& namespace_name,
    const temporal::api::update::v1::UpdateRef& ref) {
  const std::string what = absl::StrCat("failed to wait for update ", ref.update_id(), " of ",
                                        ExecutionName(ref.workflow_execution()));
  while (true) {
    wf::PollWorkflowExecutionUpdateRequest request;
    request.set_namespace_(namespace_name);
    *request.mutable_update_ref() = ref;
    request.set_identity(Identity());
    request.mutable_wait_policy()->set_lifecycle_stage(
        enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    wf::PollWorkflowExecutionUpdateResponse response;
    RETURN_IF_ERROR(client.LongPoll(&wf::WorkflowService::Stub::PollWorkflowExecutionUpdate,
                                    request, &response, what, kResultPollTimeout));
    if (response.has_outcome()) return response.outcome();
  }
}

// Prints an update's outcome; a failed update fails the command with its message.
absl::Status PrintUpdateOutcome(const Invocation& inv, const std::string& update_id,
                                const temporal::api::update::v1::Outcome& outcome) {
  if (outcome.has_failure()) {
    return absl::AbortedError(
        absl::StrCat("update ", update_id, " failed: ", outcome.failure().message()));
  }
  if (JsonOutput(inv.flags)) {
    google::protobuf::Struct json;
    (*json.mutable_fields())["updateId"].set_string_value(update_id);
    (*json.mutable_fields())["result"] = PayloadsJson(outcome.success());
    PrintJson(inv.out, json);
  } else {
    PrintFields(inv.out, {{"UpdateId", update_id}, {"Result", PayloadsText(outcome.success())}});
  }
  return absl::OkStatus();
}

// Sends the update the flags describe and waits for `stage`; returns the server's answer.
absl::StatusOr<wf::UpdateWorkflowExecutionResponse> SendUpdate(
    const Invocation& inv, const WorkflowClient& client,
    enums::UpdateWorkflowExecutionLifecycleStage stage) {
  wf::UpdateWorkflowExecutionRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  *request.mutable_workflow_execution() = TargetExecution(inv.flags);
  request.set_first_execution_run_id(inv.flags.Get("first-execution-run-id"));
  request.mutable_wait_policy()->set_lifecycle_stage(stage);
  auto* meta = request.mutable_request()->mutable_meta();
  meta->set_update_id(inv.flags.Has(kUpdateIdFlag) ? inv.flags.Get(kUpdateIdFlag) : NewUuid());
  meta->set_identity(Identity());
  auto* input = request.mutable_request()->mutable_input();
  input->set_name(inv.flags.Get(kNameFlag));
  ASSIGN_OR_RETURN(std::optional<common::Payloads> args, InputPayloads(inv.flags));
  if (args) *input->mutable_args() = *std::move(args);
  wf::UpdateWorkflowExecutionResponse response;
  // The server holds the call until the stage is reached or its own wait ends (then the update
  // is polled for), so the call gets the long-poll deadline.
  RETURN_IF_ERROR(
      client.LongPoll(&wf::WorkflowService::Stub::UpdateWorkflowExecution, request, &response,
                      absl::StrCat("failed to update ", ExecutionName(request.workflow_execution()),
                                   " with ", input->name()),
                      kResultPollTimeout));
  if (!response.update_ref().has_workflow_execution()) {
    *response.mutable_update_ref()->mutable_workflow_execution() = request.workflow_execution();
  }
  if (response.update_ref().update_id().empty()) {
    response.mutable_update_ref()->set_update_id(meta->update_id());
  }
  return response;
}

absl::Status UpdateExecute(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  ASSIGN_OR_RETURN(
      wf::UpdateWorkflowExecutionResponse response,
      SendUpdate(inv, client, enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED));
  temporal::api::update::v1::Outcome outcome = response.outcome();
  if (!response.has_outcome()) {
    ASSIGN_OR_RETURN(outcome,
                     AwaitUpdate(client, inv.flags.Get(kNamespaceFlag), response.update_ref()));
  }
  return PrintUpdateOutcome(inv, response.update_ref().update_id(), outcome);
}

absl::Status UpdateStart(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  ASSIGN_OR_RETURN(
      wf::UpdateWorkflowExecutionResponse response,
      SendUpdate(inv, client, enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED));
  if (response.outcome().has_failure()) {
    // Rejected by the workflow's validator: the update never ran.
    return PrintUpdateOutcome(inv, response.update_ref().update_id(), response.outcome());
  }
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response.update_ref());
  } else {
    PrintFields(inv.out, {{"UpdateId", response.update_ref().update_id()},
                          {"Stage", EnumDisplayName(response.stage())}});
  }
  return absl::OkStatus();
}

absl::Status UpdateResult(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  temporal::api::update::v1::UpdateRef ref;
  *ref.mutable_workflow_execution() = TargetExecution(inv.flags);
  ref.set_update_id(inv.flags.Get(kUpdateIdFlag));
  ASSIGN_OR_RETURN(auto outcome, AwaitUpdate(client, inv.flags.Get(kNamespaceFlag), ref));
  return PrintUpdateOutcome(inv, ref.update_id(), outcome);
}

// ---- reset -------------------------------------------------------------------------------

// Reads a run's history, every page, handing each event to `visit`.
absl::Status ForEachEvent(const WorkflowClient& client, const std::string& namespace_name,
                          const common::WorkflowExecution& execution,
                          const std::function<void(const history::HistoryEvent&)>& visit) {
  const std::string what = absl::StrCat("failed to read the history of ", ExecutionName(execution));
  return FetchPages(what, [&](const std::string& token) -> absl::StatusOr<std::string> {
    wf::GetWorkflowExecutionHistoryRequest request;
    request.set_namespace_(namespace_name);
    *request.mutable_execution() = execution;
    request.set_next_page_token(token);
    wf::GetWorkflowExecutionHistoryResponse page;
    RETURN_IF_ERROR(
        client.Call(&wf::WorkflowService::Stub::GetWorkflowExecutionHistory, request, &page, what));
    for (const auto& event : page.history().events()) visit(event);
    return page.next_page_token();
  });
}

// The event a reset of --type goes back to, as the Temporal CLI picks it: the first or last
// WorkflowTaskCompleted (or, when no task completed yet, the event after the first or last
// WorkflowTaskScheduled); LastContinuedAsNew resets the previous run at its last completed task.
// May change `execution` to the run to reset.
absl::StatusOr<int64_t> ResetPoint(const WorkflowClient& client, const std::string& namespace_name,
                                   const std::string& type, common::WorkflowExecution& execution) {
  if (type == "LastContinuedAsNew") {
    std::string previous_run;
    RETURN_IF_ERROR(ForEachEvent(client, namespace_name, execution, [&](const auto& event) {
      if (event.event_type() == enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
        previous_run =
            event.workflow_execution_started_event_attributes().continued_execution_run_id();
      }
    }));
    if (previous_run.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          ExecutionName(execution), " did not continue another run: nothing to reset to"));
    }
    execution.set_run_id(previous_run);
  }
  const bool first = type == "FirstWorkflowTask";
  int64_t completed = 0;
  int64_t after_scheduled = 0;
  RETURN_IF_ERROR(ForEachEvent(client, namespace_name, execution, [&](const auto& event) {
    if (event.event_type() == enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      if (!first || completed == 0) completed = event.event_id();
    } else if (event.event_type() == enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
      if (!first || after_scheduled == 0) after_scheduled = event.event_id() + 1;
    }
  }));
  if (completed != 0) return completed;
  if (after_scheduled != 0 && type != "LastContinuedAsNew") return after_scheduled;
  return absl::FailedPreconditionError(
      absl::StrCat(ExecutionName(execution), " has no workflow task to reset to (", type, ")"));
}

// The batch form: every workflow --query matches, reset to its first or last workflow task.
absl::Status BatchReset(const Invocation& inv) {
  const std::string& type = inv.flags.Get("type");
  if (inv.flags.Has("event-id") || (type != "FirstWorkflowTask" && type != "LastWorkflowTask")) {
    return absl::InvalidArgumentError(
        "with --query, give --type FirstWorkflowTask or LastWorkflowTask");
  }
  wf::StartBatchOperationRequest start;
  auto* reset = start.mutable_reset_operation();
  reset->set_identity(Identity());
  auto* options = reset->mutable_options();
  if (type == "FirstWorkflowTask") {
    options->mutable_first_workflow_task();
  } else {
    options->mutable_last_workflow_task();
  }
  for (const std::string& kind : inv.flags.GetAll("reapply-exclude")) {
    if (kind == "All" || kind == "Signal") {
      options->add_reset_reapply_exclude_types(enums::RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
    }
    if (kind == "All" || kind == "Update") {
      options->add_reset_reapply_exclude_types(enums::RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
    }
  }
  return StartBatch(inv, std::move(start));
}

absl::Status Reset(const Invocation& inv) {
  ASSIGN_OR_RETURN(bool batch, IsBatch(inv.flags));
  if (batch) return BatchReset(inv);
  const bool by_event = inv.flags.Has("event-id");
  const bool by_type = inv.flags.Has("type");
  if (by_event == by_type) {
    return absl::InvalidArgumentError("give exactly one of --event-id and --type");
  }
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  wf::ResetWorkflowExecutionRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  common::WorkflowExecution execution = TargetExecution(inv.flags);
  if (by_event) {
    request.set_workflow_task_finish_event_id(inv.flags.GetInt("event-id"));
  } else {
    ASSIGN_OR_RETURN(int64_t event_id,
                     ResetPoint(client, request.namespace_(), inv.flags.Get("type"), execution));
    request.set_workflow_task_finish_event_id(event_id);
  }
  *request.mutable_workflow_execution() = execution;
  request.set_reason(inv.flags.Get("reason"));
  request.set_request_id(NewUuid());
  request.set_identity(Identity());
  if (inv.flags.Has("reapply-exclude")) {
    for (const std::string& kind : inv.flags.GetAll("reapply-exclude")) {
      if (kind == "All" || kind == "Signal") {
        request.add_reset_reapply_exclude_types(enums::RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
      }
      if (kind == "All" || kind == "Update") {
        request.add_reset_reapply_exclude_types(enums::RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
      }
    }
  }
  wf::ResetWorkflowExecutionResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::ResetWorkflowExecution, request,
                              &response,
                              absl::StrCat("failed to reset ", ExecutionName(execution),
                                           " to event ", request.workflow_task_finish_event_id())));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
  } else {
    PrintFields(inv.out,
                {{"RunId", response.run_id()},
                 {"ResetToEventId", absl::StrCat(request.workflow_task_finish_event_id())}});
  }
  return absl::OkStatus();
}

FlagSpec UpdateIdFlag(bool required) {
  return {.name = kUpdateIdFlag,
          .value_name = "ID",
          .help = required ? "Update ID" : "Update ID, for idempotence; a random UUID when absent",
          .required = required};
}

Command& AddUpdateFlags(Command& command) {
  AddExecutionFlags(command)
      .AddFlag({.name = kNameFlag, .value_name = "NAME", .help = "Update name", .required = true})
      .AddFlag(UpdateIdFlag(false))
      .AddFlag({.name = "first-execution-run-id",
                .value_name = "ID",
                .help = "Only if the workflow's first run has this ID"});
  return AddInputFlags(command, "Update");
}

}  // namespace

void AddWorkflowInteractionCommands(Command& workflow) {
  Command& query =
      AddExecutionFlags(
          workflow.AddSubcommand("query", "Ask a workflow a query; prints the answer"))
          .AddFlag({.name = kNameFlag,
                    .value_name = "NAME",
                    .help = "Query name (type)",
                    .required = true})
          .AddFlag({.name = "reject-condition",
                    .type = FlagType::kChoice,
                    .value_name = "CONDITION",
                    .help = "Refuse to query a closed workflow (NotOpen) or one that did not "
                            "complete (NotCompletedCleanly)",
                    .choices = {"NotOpen", "NotCompletedCleanly"}});
  AddInputFlags(query, "Query").SetHandler(Query);
  AddExecutionFlags(
      workflow.AddSubcommand("stack", "Print where a workflow's code is waiting (__stack_trace)"))
      .SetHandler(Stack);

  Command& update = workflow.AddSubcommand("update", "Send updates to a running workflow");
  AddUpdateFlags(update.AddSubcommand("execute", "Send an update and wait for its result"))
      .SetHandler(UpdateExecute);
  AddUpdateFlags(
      update.AddSubcommand("start", "Send an update; return once the workflow accepted it"))
      .AddFlag({.name = "wait-for-stage",
                .type = FlagType::kChoice,
                .value_name = "STAGE",
                .help = "The stage to wait for (only Accepted)",
                .default_value = "Accepted",
                .choices = {"Accepted"}})
      .SetHandler(UpdateStart);
  AddExecutionFlags(update.AddSubcommand("result", "Wait for an update's result"))
      .AddFlag(UpdateIdFlag(true))
      .SetHandler(UpdateResult);

  AddExecutionOrBatchFlags(
      workflow.AddSubcommand("reset", "Start a new run from a past workflow task of this one"))
      .AddFlag({.name = "event-id",
                .short_name = 'e',
                .type = FlagType::kInt,
                .value_name = "N",
                .help = "Reset to this WorkflowTaskCompleted (or later workflow-task) event"})
      .AddFlag({.name = "type",
                .type = FlagType::kChoice,
                .value_name = "TYPE",
                .help = "Reset to a point found in the history",
                .choices = {"FirstWorkflowTask", "LastWorkflowTask", "LastContinuedAsNew"}})
      .AddFlag({.name = "reason",
                .value_name = "TEXT",
                .help = "Why, kept in the history",
                .required = true})
      .AddFlag({.name = "reapply-exclude",
                .type = FlagType::kChoice,
                .value_name = "KIND",
                .help = "Do not re-apply these events after the reset point; repeatable",
                .choices = {"All", "Signal", "Update"},
                .repeated = true})
      .SetHandler(Reset);
}

}  // namespace tern::cli
