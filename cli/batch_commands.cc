// `tern batch describe|list|terminate` (the Temporal CLI's names) over the WorkflowService's
// batch operation RPCs, and StartBatch, the batch form of `tern workflow signal|cancel|
// terminate|delete|reset --query`.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/connection.h"
#include "cli/output.h"
#include "cli/workflow_support.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "temporal/api/enums/v1/batch_operation.pb.h"

namespace tern::cli {

namespace {

constexpr char kJobIdFlag[] = "job-id";
constexpr int kListPageSize = 100;

FlagSpec JobIdFlag() {
  return {.name = kJobIdFlag, .value_name = "ID", .help = "Batch job ID", .required = true};
}

absl::Status Describe(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  wf::DescribeBatchOperationRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_job_id(inv.flags.Get(kJobIdFlag));
  wf::DescribeBatchOperationResponse response;
  RETURN_IF_ERROR(
      client.Call(&wf::WorkflowService::Stub::DescribeBatchOperation, request, &response,
                  absl::StrCat("failed to describe batch operation ", request.job_id())));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"JobId", response.job_id()},
      {"Type", EnumDisplayName(response.operation_type())},
      {"State", EnumDisplayName(response.state())},
      {"StartTime", FormatTimestamp(response.start_time())},
  };
  if (response.has_close_time()) {
    fields.emplace_back("CloseTime", FormatTimestamp(response.close_time()));
  }
  fields.emplace_back("Total", absl::StrCat(response.total_operation_count()));
  fields.emplace_back("Completed", absl::StrCat(response.complete_operation_count()));
  fields.emplace_back("Failed", absl::StrCat(response.failure_operation_count()));
  fields.emplace_back("Reason", response.reason());
  if (!response.query().empty()) fields.emplace_back("Query", response.query());
  if (!response.identity().empty()) fields.emplace_back("Identity", response.identity());
  PrintFields(inv.out, fields);
  return absl::OkStatus();
}

absl::Status List(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  const int64_t limit = inv.flags.GetInt("limit");  // 0: no limit
  constexpr absl::string_view kWhat = "failed to list batch operations";
  wf::ListBatchOperationsResponse all;
  RETURN_IF_ERROR(FetchPages(kWhat, [&](const std::string& token) -> absl::StatusOr<std::string> {
    wf::ListBatchOperationsRequest request;
    request.set_namespace_(inv.flags.Get(kNamespaceFlag));
    request.set_page_size(kListPageSize);
    request.set_next_page_token(token);
    wf::ListBatchOperationsResponse page;
    RETURN_IF_ERROR(
        client.Call(&wf::WorkflowService::Stub::ListBatchOperations, request, &page, kWhat));
    for (auto& info : *page.mutable_operation_info()) {
      if (limit != 0 && all.operation_info_size() >= limit) break;
      *all.add_operation_info() = std::move(info);
    }
    bool enough = limit != 0 && all.operation_info_size() >= limit;
    return enough ? std::string() : page.next_page_token();
  }));
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, all);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& info : all.operation_info()) {
    rows.push_back({EnumDisplayName(info.state()), info.job_id(),
                    EnumDisplayName(info.operation_type()), FormatTimestamp(info.start_time()),
                    FormatTimestamp(info.close_time())});
  }
  PrintTable(inv.out, {"State", "JobId", "Type", "StartTime", "CloseTime"}, rows);
  return absl::OkStatus();
}

absl::Status Terminate(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  wf::StopBatchOperationRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_job_id(inv.flags.Get(kJobIdFlag));
  request.set_reason(inv.flags.Get("reason"));
  request.set_identity(Identity());
  wf::StopBatchOperationResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::StopBatchOperation, request, &response,
                              absl::StrCat("failed to stop batch operation ", request.job_id())));
  PrintDone(inv, response, "Batch operation terminated.");
  return absl::OkStatus();
}

}  // namespace

absl::Status StartBatch(const Invocation& inv, wf::StartBatchOperationRequest request) {
  const std::string& reason = inv.flags.Get("reason");
  if (reason.empty()) return absl::InvalidArgumentError("--reason is required with --query");
  double rps = 0;
  if (const std::string& text = inv.flags.Get("rps");
      !text.empty() && (!absl::SimpleAtod(text, &rps) || rps <= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rps must be a positive number, not '", text, "'"));
  }
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  const std::string& query = inv.flags.Get(kBatchQueryFlag);
  wf::CountWorkflowExecutionsRequest count_request;
  count_request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  count_request.set_query(query);
  wf::CountWorkflowExecutionsResponse count;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::CountWorkflowExecutions, count_request,
                              &count, "failed to count the workflows the query matches"));
  RETURN_IF_ERROR(Confirm(
      inv, absl::StrCat("start a batch against approximately ", count.count(), " workflow(s)")));

  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.set_job_id(NewUuid());
  request.set_reason(reason);
  request.set_visibility_query(query);
  request.set_max_operations_per_second(static_cast<float>(rps));
  wf::StartBatchOperationResponse response;
  RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::StartBatchOperation, request, &response,
                              "failed to start the batch operation"));
  if (JsonOutput(inv.flags)) {
    google::protobuf::Struct out;
    (*out.mutable_fields())["jobId"].set_string_value(request.job_id());
    PrintJson(inv.out, out);
  } else {
    PrintFields(inv.out, {{"JobId", request.job_id()}});
  }
  return absl::OkStatus();
}

void AddBatchCommands(Command& root) {
  Command& batch = root.AddSubcommand("batch", "Inspect and stop batch operations");
  batch.AddSubcommand("describe", "Show a batch operation's state and progress")
      .AddFlag(JobIdFlag())
      .SetHandler(Describe);
  batch.AddSubcommand("list", "List the namespace's batch operations, newest first")
      .AddFlag({.name = "limit",
                .type = FlagType::kInt,
                .value_name = "N",
                .help = "Stop after N operations; 0 for all",
                .default_value = "0"})
      .SetHandler(List);
  batch.AddSubcommand("terminate", "Stop a running batch operation")
      .AddFlag(JobIdFlag())
      .AddFlag({.name = "reason",
                .value_name = "TEXT",
                .help = "Why the operation is stopped",
                .required = true})
      .SetHandler(Terminate);
}

}  // namespace tern::cli
