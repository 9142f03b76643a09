// `tern workflow start|execute|result`: start a workflow (and wait for its outcome), with the
// Temporal CLI's flags.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/output.h"
#include "cli/workflow_support.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "temporal/api/enums/v1/workflow.pb.h"

namespace tern::cli {
namespace {

namespace enums = temporal::api::enums::v1;

constexpr char kTypeFlag[] = "type";
constexpr char kTaskQueueFlag[] = "task-queue";
constexpr char kSearchAttributeFlag[] = "search-attribute";
constexpr char kMemoFlag[] = "memo";

}  // namespace

absl::StatusOr<wf::StartWorkflowExecutionRequest> StartRequest(const ParsedFlags& flags,
                                                               bool workflow_cron) {
  wf::StartWorkflowExecutionRequest request;
  request.set_namespace_(flags.Get(kNamespaceFlag));
  request.set_workflow_id(flags.Has(kWorkflowIdFlag) ? flags.Get(kWorkflowIdFlag) : NewUuid());
  request.mutable_workflow_type()->set_name(flags.Get(kTypeFlag));
  request.mutable_task_queue()->set_name(flags.Get(kTaskQueueFlag));
  ASSIGN_OR_RETURN(std::optional<common::Payloads> input, InputPayloads(flags));
  if (input) *request.mutable_input() = *std::move(input);
  auto set_duration = [&](const char* flag, google::protobuf::Duration* out) {
    if (flags.Has(flag)) *out = ToProtoDuration(flags.GetDuration(flag));
  };
  set_duration("execution-timeout", request.mutable_workflow_execution_timeout());
  set_duration("run-timeout", request.mutable_workflow_run_timeout());
  set_duration("task-timeout", request.mutable_workflow_task_timeout());
  set_duration("start-delay", request.mutable_workflow_start_delay());
  request.set_identity(Identity());
  request.set_request_id(NewUuid());
  if (flags.Has("id-reuse-policy")) {
    int policy = *EnumFromDisplayName(*enums::WorkflowIdReusePolicy_descriptor(),
                                      flags.Get("id-reuse-policy"));
    request.set_workflow_id_reuse_policy(static_cast<enums::WorkflowIdReusePolicy>(policy));
  }
  if (flags.Has("id-conflict-policy")) {
    int policy = *EnumFromDisplayName(*enums::WorkflowIdConflictPolicy_descriptor(),
                                      flags.Get("id-conflict-policy"));
    request.set_workflow_id_conflict_policy(static_cast<enums::WorkflowIdConflictPolicy>(policy));
  }
  if (workflow_cron) request.set_cron_schedule(flags.Get("cron"));
  RETURN_IF_ERROR(KeyedPayloads(flags, kMemoFlag, request.mutable_memo()->mutable_fields()));
  RETURN_IF_ERROR(KeyedPayloads(flags, kSearchAttributeFlag,
                                request.mutable_search_attributes()->mutable_indexed_fields()));
  return request;
}

namespace {

// Starts the workflow the flags describe and prints what was started (as JSON only when
// `json_ids`: `execute` prints one JSON object at the end). Returns the execution.
absl::StatusOr<common::WorkflowExecution> StartAndPrint(const Invocation& inv,
                                                        const WorkflowClient& client,
                                                        bool json_ids) {
  ASSIGN_OR_RETURN(wf::StartWorkflowExecutionRequest request, StartRequest(inv.flags));
  wf::StartWorkflowExecutionResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::StartWorkflowExecution, request,
                              &response,
                              absl::StrCat("failed to start workflow ", request.workflow_id())));
  common::WorkflowExecution execution;
  execution.set_workflow_id(request.workflow_id());
  execution.set_run_id(response.run_id());
  if (JsonOutput(inv.flags)) {
    if (json_ids) PrintJson(inv.out, execution);
  } else {
    PrintFields(inv.out, {{"WorkflowId", execution.workflow_id()},
                          {"RunId", execution.run_id()},
                          {"Type", request.workflow_type().name()},
                          {"Namespace", request.namespace_()},
                          {"TaskQueue", request.task_queue().name()},
                          {"Started", response.started() ? "true" : "false (already running)"}});
  }
  return execution;
}

// Waits for the outcome and prints it; a workflow that did not complete fails the command.
absl::Status AwaitAndPrintOutcome(const Invocation& inv, const WorkflowClient& client,
                                  const common::WorkflowExecution& execution) {
  ASSIGN_OR_RETURN(ClosedRun closed, AwaitClose(client, inv.flags.Get(kNamespaceFlag), execution));
  Outcome outcome = OutcomeOf(closed.close_event);
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, OutcomeJson(closed.execution, outcome));
  } else {
    std::vector<std::pair<std::string, std::string>> fields = {{"Status", outcome.status}};
    if (outcome.result) fields.emplace_back("Result", PayloadsText(*outcome.result));
    if (!outcome.detail.empty()) fields.emplace_back("Reason", outcome.detail);
    PrintFields(inv.out, fields);
  }
  if (outcome.completed()) return absl::OkStatus();
  std::string message = absl::StrCat(ExecutionName(closed.execution), " ended ", outcome.status);
  if (!outcome.detail.empty()) absl::StrAppend(&message, ": ", outcome.detail);
  return absl::AbortedError(message);
}

absl::Status Start(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  return StartAndPrint(inv, client, /*json_ids=*/true).status();
}

absl::Status Execute(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  ASSIGN_OR_RETURN(common::WorkflowExecution execution,
                   StartAndPrint(inv, client, /*json_ids=*/false));
  return AwaitAndPrintOutcome(inv, client, execution);
}

absl::Status Result(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  return AwaitAndPrintOutcome(inv, client, TargetExecution(inv.flags));
}

}  // namespace

Command& AddStartFlags(Command& command, bool workflow_cron) {
  auto duration = [](const char* name, const char* help) {
    return FlagSpec{
        .name = name, .type = FlagType::kDuration, .value_name = "DURATION", .help = help};
  };
  command
      .AddFlag({.name = kTypeFlag,
                .value_name = "TYPE",
                .help = "Workflow type (the name the worker registered)",
                .required = true})
      .AddFlag({.name = kTaskQueueFlag,
                .short_name = 't',
                .value_name = "NAME",
                .help = "Task queue a worker of this type polls",
                .required = true})
      .AddFlag({.name = kWorkflowIdFlag,
                .short_name = 'w',
                .value_name = "ID",
                .help = "Workflow ID; a random UUID when absent"})
      .AddFlag(duration("execution-timeout", "Limit on the whole execution, retries included"))
      .AddFlag(duration("run-timeout", "Limit on one run"))
      .AddFlag(duration("task-timeout", "Limit on one workflow task (default 10s)"))
      .AddFlag(duration("start-delay", "Wait this long before the first workflow task"))
      .AddFlag({.name = "id-reuse-policy",
                .type = FlagType::kChoice,
                .value_name = "POLICY",
                .help = "When a closed workflow has this ID",
                .choices = {"AllowDuplicate", "AllowDuplicateFailedOnly", "RejectDuplicate",
                            "TerminateIfRunning"}})
      .AddFlag({.name = "id-conflict-policy",
                .type = FlagType::kChoice,
                .value_name = "POLICY",
                .help = "When a running workflow has this ID",
                .choices = {"Fail", "UseExisting", "TerminateExisting"}})
      .AddFlag({.name = kSearchAttributeFlag,
                .value_name = "KEY=JSON",
                .help = "Search attribute value; repeatable",
                .repeated = true})
      .AddFlag({.name = kMemoFlag,
                .value_name = "KEY=JSON",
                .help = "Memo field; repeatable",
                .repeated = true});
  if (workflow_cron) {
    command.AddFlag(
        {.name = "cron", .value_name = "SPEC", .help = "Cron schedule, e.g. \"0 * * * *\""});
  }
  return AddInputFlags(command, "Workflow");
}

void AddWorkflowStartCommands(Command& workflow) {
  AddStartFlags(workflow.AddSubcommand("start", "Start a workflow and print its IDs"))
      .SetHandler(Start);
  AddStartFlags(workflow.AddSubcommand(
                    "execute", "Start a workflow, wait for it to close and print its result"))
      .SetHandler(Execute);
  AddExecutionFlags(
      workflow.AddSubcommand("result", "Wait for a workflow to close and print its result"))
      .SetHandler(Result);
}

}  // namespace tern::cli
