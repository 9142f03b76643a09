// `tern workflow describe|show|signal|cancel|terminate|delete|list|count`, over
// WorkflowService. A single execution is named by -w/--workflow-id and, optionally,
// -r/--run-id (without it the server picks the current run); signal, cancel, terminate and
// delete also take --query instead, which starts a batch operation (StartBatch).
#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/app.h"
#include "cli/connection.h"
#include "cli/output.h"
#include "cli/workflow_support.h"
#include "common/status_macros.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/enums/v1/workflow.pb.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::cli {
namespace {

constexpr char kReasonFlag[] = "reason";
constexpr char kQueryFlag[] = "query";
constexpr int kListPageSize = 100;

// Sends `request` to the execution named by -w/-r (namespace and workflow_execution are filled
// in here) and acknowledges with `done`. `action` is the verb for the error message.
template <typename Request, typename Response>
absl::Status ActOnExecution(const Invocation& inv, WorkflowClient::Rpc<Request, Response> rpc,
                            Request request, absl::string_view action, absl::string_view done) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  *request.mutable_workflow_execution() = TargetExecution(inv.flags);
  Response response;
  RETURN_IF_ERROR(client.Call(
      rpc, request, &response,
      absl::StrCat("failed to ", action, " ", ExecutionName(request.workflow_execution()))));
  PrintDone(inv, response, done);
  return absl::OkStatus();
}

absl::Status Describe(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  wf::DescribeWorkflowExecutionRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  *request.mutable_execution() = TargetExecution(inv.flags);
  wf::DescribeWorkflowExecutionResponse response;
  RETURN_IF_ERROR(
      client.Call(&wf::WorkflowService::Stub::DescribeWorkflowExecution, request, &response,
                  absl::StrCat("failed to describe ", ExecutionName(request.execution()))));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
    return absl::OkStatus();
  }
  const auto& info = response.workflow_execution_info();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"WorkflowId", info.execution().workflow_id()},
      {"RunId", info.execution().run_id()},
      {"Type", info.type().name()},
      {"TaskQueue", info.task_queue()},
      {"Status", EnumDisplayName(info.status())},
      {"StartTime", FormatTimestamp(info.start_time())},
  };
  if (info.has_close_time()) fields.emplace_back("CloseTime", FormatTimestamp(info.close_time()));
  fields.emplace_back("HistoryLength", absl::StrCat(info.history_length()));
  if (info.has_parent_execution()) {
    fields.emplace_back("Parent", absl::StrCat(info.parent_execution().workflow_id(), " ",
                                               info.parent_execution().run_id()));
  }
  if (response.pending_activities_size() > 0) {
    fields.emplace_back("PendingActivities", absl::StrCat(response.pending_activities_size()));
  }
  if (response.pending_children_size() > 0) {
    fields.emplace_back("PendingChildren", absl::StrCat(response.pending_children_size()));
  }
  PrintFields(inv.out, fields);
  return absl::OkStatus();
}

absl::Status Show(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  const common::WorkflowExecution execution = TargetExecution(inv.flags);
  const std::string what = absl::StrCat("failed to read the history of ", ExecutionName(execution));

  temporal::api::history::v1::History history;
  absl::Status read =
      FetchPages(what, [&](const std::string& token) -> absl::StatusOr<std::string> {
        wf::GetWorkflowExecutionHistoryRequest request;
        request.set_namespace_(inv.flags.Get(kNamespaceFlag));
        *request.mutable_execution() = execution;
        request.set_next_page_token(token);
        wf::GetWorkflowExecutionHistoryResponse page;
        RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::GetWorkflowExecutionHistory,
                                    request, &page, what));
        for (auto& event : *page.mutable_history()->mutable_events()) {
          *history.add_events() = std::move(event);
        }
        return page.next_page_token();
      });
  if (!read.ok()) return read;

  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, history);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& event : history.events()) {
    rows.push_back({absl::StrCat(event.event_id()), FormatTimestamp(event.event_time()),
                    EnumDisplayName(event.event_type())});
  }
  PrintTable(inv.out, {"ID", "TIME", "TYPE"}, rows);
  return absl::OkStatus();
}

absl::Status Signal(const Invocation& inv) {
  ASSIGN_OR_RETURN(bool batch, IsBatch(inv.flags));
  ASSIGN_OR_RETURN(std::optional<common::Payloads> input, InputPayloads(inv.flags));
  if (batch) {
    wf::StartBatchOperationRequest start;
    auto* signal = start.mutable_signal_operation();
    signal->set_signal(inv.flags.Get("name"));
    signal->set_identity(Identity());
    if (input) *signal->mutable_input() = *std::move(input);
    return StartBatch(inv, std::move(start));
  }
  wf::SignalWorkflowExecutionRequest request;
  request.set_signal_name(inv.flags.Get("name"));
  request.set_identity(Identity());
  if (input) *request.mutable_input() = *std::move(input);
  return ActOnExecution(inv, &wf::WorkflowService::Stub::SignalWorkflowExecution,
                        std::move(request), "signal", "Signal sent.");
}

// cancel and terminate: the same flags, different RPCs; `to_batch` sets the batch form's
// operation.
template <typename Request, typename Response>
Handler StopHandler(WorkflowClient::Rpc<Request, Response> rpc, std::string action,
                    std::string done,
                    std::function<void(wf::StartBatchOperationRequest&)> to_batch) {
  return [=](const Invocation& inv) -> absl::Status {
    ASSIGN_OR_RETURN(bool batch, IsBatch(inv.flags));
    if (batch) {
      wf::StartBatchOperationRequest start;
      to_batch(start);
      return StartBatch(inv, std::move(start));
    }
    Request request;
    request.set_reason(inv.flags.Get(kReasonFlag));
    request.set_identity(Identity());
    return ActOnExecution(inv, rpc, std::move(request), action, done);
  };
}

absl::Status Delete(const Invocation& inv) {
  ASSIGN_OR_RETURN(bool batch, IsBatch(inv.flags));
  if (batch) {
    wf::StartBatchOperationRequest start;
    start.mutable_deletion_operation()->set_identity(Identity());
    return StartBatch(inv, std::move(start));
  }
  return ActOnExecution(inv, &wf::WorkflowService::Stub::DeleteWorkflowExecution,
                        wf::DeleteWorkflowExecutionRequest(), "delete", "Workflow deleted.");
}

absl::Status List(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  const int64_t limit = inv.flags.GetInt("limit");  // 0: no limit

  constexpr absl::string_view kWhat = "failed to list workflows";
  wf::ListWorkflowExecutionsResponse all;
  absl::Status listed =
      FetchPages(kWhat, [&](const std::string& token) -> absl::StatusOr<std::string> {
        int64_t wanted = limit == 0 ? kListPageSize : limit - all.executions_size();
        wf::ListWorkflowExecutionsRequest request;
        request.set_namespace_(inv.flags.Get(kNamespaceFlag));
        request.set_query(inv.flags.Get(kQueryFlag));
        request.set_page_size(static_cast<int>(std::min<int64_t>(wanted, kListPageSize)));
        request.set_next_page_token(token);
        wf::ListWorkflowExecutionsResponse page;
        RETURN_IF_ERROR(
            client.Call(&wf::WorkflowService::Stub::ListWorkflowExecutions, request, &page, kWhat));
        for (auto& execution : *page.mutable_executions()) {
          if (limit != 0 && all.executions_size() >= limit) break;
          *all.add_executions() = std::move(execution);
        }
        bool enough = limit != 0 && all.executions_size() >= limit;
        return enough ? std::string() : page.next_page_token();
      });
  if (!listed.ok()) return listed;

  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, all);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& info : all.executions()) {
    rows.push_back({EnumDisplayName(info.status()), info.execution().workflow_id(),
                    info.execution().run_id(), info.type().name(),
                    FormatTimestamp(info.start_time())});
  }
  PrintTable(inv.out, {"Status", "WorkflowId", "RunId", "Type", "StartTime"}, rows);
  return absl::OkStatus();
}

absl::Status Count(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  wf::CountWorkflowExecutionsRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_query(inv.flags.Get(kQueryFlag));
  wf::CountWorkflowExecutionsResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::CountWorkflowExecutions, request,
                              &response, "failed to count workflows"));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
    return absl::OkStatus();
  }
  inv.out << "Total: " << response.count() << "\n";
  if (response.groups_size() == 0) return absl::OkStatus();
  std::vector<std::vector<std::string>> rows;
  for (const auto& group : response.groups()) {
    std::vector<std::string> values;
    for (const common::Payload& value : group.group_values()) values.push_back(PayloadText(value));
    rows.push_back({absl::StrCat(group.count()), absl::StrJoin(values, ", ")});
  }
  PrintTable(inv.out, {"Count", "Group"}, rows);
  return absl::OkStatus();
}

FlagSpec ReasonFlag() {
  return {.name = kReasonFlag,
          .value_name = "TEXT",
          .help = "Reason, kept in the history; required with --query"};
}

FlagSpec QueryFlag() {
  return {.name = kQueryFlag,
          .short_name = 'q',
          .value_name = "QUERY",
          .help =
              "Visibility query, e.g. \"WorkflowType = 'Order' AND ExecutionStatus = "
              "'Running'\"; all workflows when absent"};
}

}  // namespace

void AddWorkflowCommands(Command& root) {
  Command& workflow = root.AddSubcommand("workflow", "Inspect and operate on workflow executions");
  AddExecutionFlags(workflow.AddSubcommand("describe", "Show a workflow execution's state"))
      .SetHandler(Describe);
  AddExecutionFlags(workflow.AddSubcommand("show", "Print a workflow execution's event history"))
      .SetHandler(Show);
  Command& signal =
      AddExecutionOrBatchFlags(
          workflow.AddSubcommand("signal", "Send a signal to a running workflow"))
          .AddFlag({.name = "name", .value_name = "NAME", .help = "Signal name", .required = true})
          .AddFlag(ReasonFlag());
  AddInputFlags(signal, "Signal").SetHandler(Signal);
  AddExecutionOrBatchFlags(
      workflow.AddSubcommand("cancel", "Ask a workflow to cancel; its code decides how to stop"))
      .AddFlag(ReasonFlag())
      .SetHandler(StopHandler(&wf::WorkflowService::Stub::RequestCancelWorkflowExecution, "cancel",
                              "Cancellation requested.", [](wf::StartBatchOperationRequest& start) {
                                start.mutable_cancellation_operation()->set_identity(Identity());
                              }));
  AddExecutionOrBatchFlags(
      workflow.AddSubcommand("terminate", "Stop a workflow at once; its code does not get to run"))
      .AddFlag(ReasonFlag())
      .SetHandler(StopHandler(&wf::WorkflowService::Stub::TerminateWorkflowExecution, "terminate",
                              "Workflow terminated.", [](wf::StartBatchOperationRequest& start) {
                                start.mutable_termination_operation()->set_identity(Identity());
                              }));
  AddExecutionOrBatchFlags(
      workflow.AddSubcommand("delete", "Delete a workflow execution and its history"))
      .AddFlag(ReasonFlag())
      .SetHandler(Delete);
  workflow.AddSubcommand("list", "List workflow executions that match a query")
      .AddFlag(QueryFlag())
      .AddFlag({.name = "limit",
                .type = FlagType::kInt,
                .value_name = "N",
                .help = "Stop after N executions; 0 for all",
                .default_value = "0"})
      .SetHandler(List);
  workflow.AddSubcommand("count", "Count workflow executions that match a query (GROUP BY too)")
      .AddFlag(QueryFlag())
      .SetHandler(Count);
  AddWorkflowStartCommands(workflow);
  AddWorkflowInteractionCommands(workflow);
}

}  // namespace tern::cli
