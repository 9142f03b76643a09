// `tern task-queue describe`: the pollers and backlog of a task queue (DescribeTaskQueue with
// report_stats), for its workflow and activity types, as `temporal task-queue describe` shows
// them.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/connection.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::cli {
namespace {

namespace wf = temporal::api::workflowservice::v1;
namespace enums = temporal::api::enums::v1;
using WorkflowClient = ServiceClient<wf::WorkflowService>;

constexpr char kTaskQueueFlag[] = "task-queue";
constexpr char kTypeFlag[] = "task-queue-type";

// "1m30s"-style text of a backlog age; "0s" when nothing waits.
std::string AgeText(const google::protobuf::Duration& age) {
  int64_t seconds = age.seconds();
  if (seconds >= 3600) return absl::StrCat(seconds / 3600, "h", (seconds % 3600) / 60, "m");
  if (seconds >= 60) return absl::StrCat(seconds / 60, "m", seconds % 60, "s");
  return absl::StrCat(seconds, ".", age.nanos() / 100'000'000, "s");
}

absl::Status Describe(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  std::vector<enums::TaskQueueType> types;
  const std::string type = inv.flags.Get(kTypeFlag);
  if (type.empty() || type == "workflow") types.push_back(enums::TASK_QUEUE_TYPE_WORKFLOW);
  if (type.empty() || type == "activity") types.push_back(enums::TASK_QUEUE_TYPE_ACTIVITY);

  std::vector<std::pair<enums::TaskQueueType, wf::DescribeTaskQueueResponse>> answers;
  for (auto queue_type : types) {
    wf::DescribeTaskQueueRequest request;
    request.set_namespace_(inv.flags.Get(kNamespaceFlag));
    request.mutable_task_queue()->set_name(inv.flags.Get(kTaskQueueFlag));
    request.set_task_queue_type(queue_type);
    request.set_report_stats(true);
    wf::DescribeTaskQueueResponse response;
    RETURN_IF_ERROR(
        client.Call(&wf::WorkflowService::Stub::DescribeTaskQueue, request, &response,
                    absl::StrCat("failed to describe task queue ", request.task_queue().name())));
    answers.emplace_back(queue_type, std::move(response));
  }

  if (JsonOutput(inv.flags)) {
    // One object: {"workflow": DescribeTaskQueueResponse, "activity": ...}.
    std::string json = "{";
    for (const auto& [queue_type, response] : answers) {
      std::string part;
      (void)google::protobuf::util::MessageToJsonString(response, &part);
      absl::StrAppend(&json, json.size() > 1 ? ", " : "", "\"",
                      queue_type == enums::TASK_QUEUE_TYPE_WORKFLOW ? "workflow" : "activity",
                      "\": ", part);
    }
    inv.out << json << "}\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> backlog;
  std::vector<std::vector<std::string>> pollers;
  for (const auto& [queue_type, response] : answers) {
    const std::string name = EnumDisplayName(queue_type);
    backlog.push_back({name, absl::StrCat(response.stats().approximate_backlog_count()),
                       AgeText(response.stats().approximate_backlog_age())});
    for (const auto& poller : response.pollers()) {
      pollers.push_back({name, poller.identity(), FormatTimestamp(poller.last_access_time())});
    }
  }
  inv.out << "Backlog:\n";
  PrintTable(inv.out, {"TaskQueueType", "ApproximateBacklogCount", "ApproximateBacklogAge"},
             backlog);
  inv.out << "\nPollers:\n";
  PrintTable(inv.out, {"TaskQueueType", "Identity", "LastAccessTime"}, pollers);
  return absl::OkStatus();
}

}  // namespace

void AddTaskQueueCommands(Command& root) {
  Command& task_queue = root.AddSubcommand("task-queue", "Inspect task queues");
  task_queue.AddSubcommand("describe", "Show a task queue's pollers and backlog")
      .AddFlag({.name = kTaskQueueFlag,
                .short_name = 't',
                .value_name = "NAME",
                .help = "Task queue name",
                .required = true})
      .AddFlag({.name = kTypeFlag,
                .type = FlagType::kChoice,
                .value_name = "TYPE",
                .help = "workflow or activity; both when absent",
                .choices = {"workflow", "activity"}})
      .SetHandler(Describe);
}

}  // namespace tern::cli
