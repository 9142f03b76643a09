// `tern workflow describe|show|signal|cancel|terminate|delete|list|count`, over
// WorkflowService. A single execution is named by -w/--workflow-id and, optionally,
// -r/--run-id (without it the server picks the current run).
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/app.h"
#include "cli/connection.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/enums/v1/workflow.pb.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::cli {
namespace {

namespace wf = temporal::api::workflowservice::v1;
namespace common = temporal::api::common::v1;
using WorkflowClient = ServiceClient<wf::WorkflowService>;

constexpr char kWorkflowIdFlag[] = "workflow-id";
constexpr char kRunIdFlag[] = "run-id";
constexpr char kReasonFlag[] = "reason";
constexpr char kQueryFlag[] = "query";
constexpr int kListPageSize = 100;
constexpr char kJsonEncoding[] = "json/plain";

// The execution named by -w and -r.
common::WorkflowExecution TargetExecution(const ParsedFlags& flags) {
  common::WorkflowExecution execution;
  execution.set_workflow_id(flags.Get(kWorkflowIdFlag));
  execution.set_run_id(flags.Get(kRunIdFlag));
  return execution;
}

// "workflow order-7" or "workflow order-7 run 0191...", for error messages.
std::string ExecutionName(const common::WorkflowExecution& execution) {
  std::string name = absl::StrCat("workflow ", execution.workflow_id());
  if (!execution.run_id().empty()) absl::StrAppend(&name, " run ", execution.run_id());
  return name;
}

// Who sent a signal, cancellation or termination, as recorded in the history.
std::string Identity() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "tern-cli";
  return absl::StrCat("tern-cli@", host);
}

// `json` (any JSON value) as the one payload of a Payloads, encoded the way the SDKs' default
// data converter encodes JSON, so workflow code receives the value itself.
absl::StatusOr<common::Payloads> JsonPayloads(const std::string& json, absl::string_view flag) {
  google::protobuf::Value parsed;
  auto valid = google::protobuf::util::JsonStringToMessage(json, &parsed);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " is not valid JSON: ", std::string(valid.message())));
  }
  common::Payloads payloads;
  common::Payload* payload = payloads.add_payloads();
  (*payload->mutable_metadata())["encoding"] = kJsonEncoding;
  // The text as given: re-printing the parsed value would turn large integers into doubles.
  payload->set_data(json);
  return payloads;
}

// A payload for a table cell: the JSON text of json/plain payloads, else its size and encoding.
std::string PayloadText(const common::Payload& payload) {
  auto encoding = payload.metadata().find("encoding");
  if (encoding != payload.metadata().end() && encoding->second == kJsonEncoding) {
    return payload.data();
  }
  return absl::StrCat("<", payload.data().size(), " bytes",
                      encoding == payload.metadata().end() ? "" : " " + encoding->second, ">");
}

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
  wf::SignalWorkflowExecutionRequest request;
  request.set_signal_name(inv.flags.Get("name"));
  request.set_identity(Identity());
  if (inv.flags.Has("input")) {
    ASSIGN_OR_RETURN(common::Payloads input, JsonPayloads(inv.flags.Get("input"), "input"));
    *request.mutable_input() = std::move(input);
  }
  return ActOnExecution(inv, &wf::WorkflowService::Stub::SignalWorkflowExecution,
                        std::move(request), "signal", "Signal sent.");
}

// cancel and terminate: the same flags, different RPCs.
template <typename Request, typename Response>
Handler StopHandler(WorkflowClient::Rpc<Request, Response> rpc, std::string action,
                    std::string done) {
  return [=](const Invocation& inv) {
    Request request;
    request.set_reason(inv.flags.Get(kReasonFlag));
    request.set_identity(Identity());
    return ActOnExecution(inv, rpc, std::move(request), action, done);
  };
}

absl::Status Delete(const Invocation& inv) {
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

// -w (required) and -r, for the commands that act on one execution.
Command& AddExecutionFlags(Command& command) {
  return command
      .AddFlag({.name = kWorkflowIdFlag,
                .short_name = 'w',
                .value_name = "ID",
                .help = "Workflow ID",
                .required = true})
      .AddFlag({.name = kRunIdFlag,
                .short_name = 'r',
                .value_name = "ID",
                .help = "Run ID; the current run when absent"});
}

FlagSpec ReasonFlag() {
  return {.name = kReasonFlag, .value_name = "TEXT", .help = "Reason, kept in the history"};
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
  AddExecutionFlags(workflow.AddSubcommand("signal", "Send a signal to a running workflow"))
      .AddFlag({.name = "name", .value_name = "NAME", .help = "Signal name", .required = true})
      .AddFlag({.name = "input",
                .short_name = 'i',
                .value_name = "JSON",
                .help = "Signal argument, a JSON value such as '{\"qty\": 2}' or '\"text\"'"})
      .SetHandler(Signal);
  AddExecutionFlags(
      workflow.AddSubcommand("cancel", "Ask a workflow to cancel; its code decides how to stop"))
      .AddFlag(ReasonFlag())
      .SetHandler(StopHandler(&wf::WorkflowService::Stub::RequestCancelWorkflowExecution, "cancel",
                              "Cancellation requested."));
  AddExecutionFlags(
      workflow.AddSubcommand("terminate", "Stop a workflow at once; its code does not get to run"))
      .AddFlag(ReasonFlag())
      .SetHandler(StopHandler(&wf::WorkflowService::Stub::TerminateWorkflowExecution, "terminate",
                              "Workflow terminated."));
  AddExecutionFlags(workflow.AddSubcommand("delete", "Delete a workflow execution and its history"))
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
}

}  // namespace tern::cli
