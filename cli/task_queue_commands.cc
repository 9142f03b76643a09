// `tern task-queue describe`: the pollers, backlog and task rates of a task queue
// (DescribeTaskQueue with report_stats), for its workflow and activity types, as
// `temporal task-queue describe` shows them; `tern task-queue list-partition`: its partitions and
// the matching host that owns each (ListTaskQueuePartitions), as `temporal task-queue
// list-partition` does.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// A rate with at most two decimals ("0.33", "100000").
std::string RateText(double rate) { return absl::StrFormat("%.2f", rate); }

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
    const auto& stats = response.stats();
    backlog.push_back({name, absl::StrCat(stats.approximate_backlog_count()),
                       AgeText(stats.approximate_backlog_age()),
                       RateText(stats.tasks_add_rate() - stats.tasks_dispatch_rate()),
                       RateText(stats.tasks_add_rate()), RateText(stats.tasks_dispatch_rate())});
    for (const auto& poller : response.pollers()) {
      pollers.push_back({name, poller.identity(), FormatTimestamp(poller.last_access_time()),
                         RateText(poller.rate_per_second())});
    }
  }
  inv.out << "Task Queue Statistics:\n";
  PrintTable(inv.out,
             {"TaskQueueType", "ApproximateBacklogCount", "ApproximateBacklogAge",
              "BacklogIncreaseRate", "TasksAddRate", "TasksDispatchRate"},
             backlog);
  inv.out << "\nPollers:\n";
  PrintTable(inv.out, {"TaskQueueType", "Identity", "LastAccessTime", "RatePerSecond"}, pollers);
  return absl::OkStatus();
}

absl::Status ListPartitions(const Invocation& inv) {
  ASSIGN_OR_RETURN(WorkflowClient client, WorkflowClient::Open(inv.flags));
  wf::ListTaskQueuePartitionsRequest request;
  request.set_namespace_(inv.flags.Get(kNamespaceFlag));
  request.mutable_task_queue()->set_name(inv.flags.Get(kTaskQueueFlag));
  wf::ListTaskQueuePartitionsResponse response;
  RETURN_IF_ERROR(client.Call(
      &wf::WorkflowService::Stub::ListTaskQueuePartitions, request, &response,
      absl::StrCat("failed to list the partitions of task queue ", request.task_queue().name())));
  if (JsonOutput(inv.flags)) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(response, &json);
    inv.out << json << "\n";
    return absl::OkStatus();
  }
  auto rows = [](const auto& partitions) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : partitions) rows.push_back({p.key(), p.owner_host_name()});
    return rows;
  };
  inv.out << "Workflow Task Queue Partitions:\n";
  PrintTable(inv.out, {"Partition", "OwnerHost"}, rows(response.workflow_task_queue_partitions()));
  inv.out << "\nActivity Task Queue Partitions:\n";
  PrintTable(inv.out, {"Partition", "OwnerHost"}, rows(response.activity_task_queue_partitions()));
  return absl::OkStatus();
}

}  // namespace

void AddTaskQueueCommands(Command& root) {
  Command& task_queue = root.AddSubcommand("task-queue", "Inspect task queues");
  task_queue.AddSubcommand("describe", "Show a task queue's pollers, backlog and task rates")
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
  task_queue
      .AddSubcommand("list-partition", "Show a task queue's partitions and their matching hosts")
      .AddFlag({.name = kTaskQueueFlag,
                .short_name = 't',
                .value_name = "NAME",
                .help = "Task queue name",
                .required = true})
      .SetHandler(ListPartitions);
}

}  // namespace tern::cli
