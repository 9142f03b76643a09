#include "services/worker/schedule_runner.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "persistence/namespace_cache.h"
#include "persistence/visibility_store.h"
#include "services/scheduler/planner.h"
#include "services/scheduler/visibility_row.h"
#include "services/worker/await.h"

namespace tern::worker {
namespace {

namespace enums = temporal::api::enums::v1;
namespace hs = tern::historyservice::v1;
namespace pv1 = persistence::v1;
using std::chrono::milliseconds;

constexpr int kLeaseBatch = 20;
constexpr milliseconds kLease{30'000};
constexpr milliseconds kPollInterval{1'000};
constexpr char kOverlapReason[] = "terminated by its schedule's overlap policy";

bool IsClosed(enums::WorkflowExecutionStatus status) {
  return status != enums::WORKFLOW_EXECUTION_STATUS_RUNNING &&
         status != enums::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED;
}

}  // namespace

ScheduleRunner::ScheduleRunner(persistence::Stores stores, client::HistoryClient& history,
                               Executor& blocking, Executor& timers, Clock& clock,
                               std::string owner)
    : stores_(std::move(stores)),
      history_(history),
      clock_(clock),
      owner_(std::move(owner)),
      task_(blocking, timers, [this] { return RunPass(); }) {}

milliseconds ScheduleRunner::RunPass() {
  if (!stores_.schedules) return kPollInterval;
  auto due = stores_.schedules->LeaseDueSchedules(owner_, kLeaseBatch, kLease);
  if (!due.ok()) {
    Log(spdlog::level::warn, {.error = due.status().ToString()},
        "worker: leasing due schedules failed");
    return kPollInterval;
  }
  for (auto& row : *due) Process(std::move(row));
  // A full batch means more may be due now.
  return static_cast<int>(due->size()) == kLeaseBatch ? milliseconds(0) : kPollInterval;
}

void ScheduleRunner::Process(persistence::ScheduleRow row) {
  pv1::ScheduleRecord& record = row.record;
  ScopedLogFields fields({.namespace_name = record.namespace_name()});
  auto spec = scheduler::CompiledSpec::Compile(record.schedule().spec());
  if (!spec.ok()) {
    Log(spdlog::level::err, {.error = spec.status().ToString()},
        "worker: schedule {} has a spec that does not compile", record.schedule_id());
    return;  // the lease expires and the schedule is tried again
  }

  // 1. The started workflows that closed since the last look.
  const auto running = record.info().running_workflows();
  for (const auto& execution : running) {
    auto request = ToHistory<hs::DescribeWorkflowExecutionRequest>(record);
    *request.mutable_request()->mutable_execution() = execution;
    auto described =
        Await(history_, &client::HistoryClient::DescribeWorkflowExecution, request, clock_);
    if (absl::IsNotFound(described.status())) {
      scheduler::RecordClosed(record, execution, enums::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED);
    } else if (described.ok() && IsClosed(described->workflow_execution_info().status())) {
      // Its close event carries the result (or failure) later starts pass on.
      auto request = ToHistory<hs::GetWorkflowExecutionHistoryRequest>(record);
      *request.mutable_request()->mutable_execution() = execution;
      request.mutable_request()->set_history_event_filter_type(
          enums::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
      auto history =
          Await(history_, &client::HistoryClient::GetWorkflowExecutionHistory, request, clock_);
      const bool found = history.ok() && history->history().events_size() > 0;
      scheduler::RecordClosed(
          record, execution, described->workflow_execution_info().status(),
          found ? &history->history().events(history->history().events_size() - 1) : nullptr);
    }
  }

  // 2-3. What is due, and what the overlap policy makes of it.
  const TimePoint now = clock_.Now();
  scheduler::CollectDue(record, *spec, now);
  scheduler::Decision decision = scheduler::Decide(record);
  if (decision.terminate_running || decision.cancel_running) {
    const auto still_running = record.info().running_workflows();
    for (const auto& execution : still_running) {
      if (decision.terminate_running) {
        auto request = ToHistory<hs::TerminateWorkflowExecutionRequest>(record);
        *request.mutable_request()->mutable_workflow_execution() = execution;
        request.mutable_request()->set_reason(kOverlapReason);
        auto done =
            Await(history_, &client::HistoryClient::TerminateWorkflowExecution, request, clock_);
        if (done.ok() || absl::IsNotFound(done.status())) {
          scheduler::RecordClosed(record, execution, enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
        }
      } else {
        auto request = ToHistory<hs::RequestCancelWorkflowExecutionRequest>(record);
        *request.mutable_request()->mutable_workflow_execution() = execution;
        request.mutable_request()->set_request_id(
            absl::StrCat("schedule-cancel-", execution.run_id()));
        (void)Await(history_, &client::HistoryClient::RequestCancelWorkflowExecution, request,
                    clock_);
      }
    }
  }
  bool start_failed = false;
  for (size_t i = 0; i < decision.starts.size(); ++i) {
    const pv1::ScheduledStart& start = decision.starts[i];
    hs::StartWorkflowExecutionRequest request;
    request.set_namespace_id(record.namespace_id());
    *request.mutable_request() = scheduler::StartRequest(record, start);
    auto started = Await(history_, &client::HistoryClient::StartWorkflowExecution, request, clock_);
    if (started.ok()) {
      temporal::api::common::v1::WorkflowExecution execution;
      execution.set_workflow_id(request.request().workflow_id());
      execution.set_run_id(started->run_id());
      scheduler::RecordStarted(record, start, execution, now);
      continue;
    }
    if (absl::IsAlreadyExists(started.status())) {
      // Another workflow holds the id: this action cannot happen (Temporal drops it too).
      Log(spdlog::level::warn,
          {.workflow_id = request.request().workflow_id(), .error = started.status().ToString()},
          "worker: schedule {} could not start its workflow", record.schedule_id());
      continue;
    }
    // Try this start and the rest again on the next pass.
    Log(spdlog::level::warn, {.error = started.status().ToString()},
        "worker: schedule {}: starting a workflow failed; will retry", record.schedule_id());
    google::protobuf::RepeatedPtrField<pv1::ScheduledStart> retry;
    for (size_t j = i; j < decision.starts.size(); ++j) *retry.Add() = decision.starts[j];
    for (auto& waiting : *record.mutable_buffered_starts()) *retry.Add() = std::move(waiting);
    record.mutable_buffered_starts()->Swap(&retry);
    start_failed = true;
    break;
  }

  // 4. Write back, then show it in lists.
  auto wakeup = scheduler::NextWakeup(record, *spec, clock_.Now());
  if (start_failed) wakeup = clock_.Now() + kPollInterval;  // retry, without spinning
  auto version = stores_.schedules->UpdateSchedule(record, row.version, wakeup);
  if (!version.ok()) {
    // The frontend changed or deleted the schedule meanwhile: the next pass starts from its
    // version (repeated starts are answered with the runs already started).
    if (!persistence::IsConditionFailed(version.status()) && !absl::IsNotFound(version.status())) {
      Log(spdlog::level::warn, {.error = version.status().ToString()},
          "worker: writing schedule {} back failed", record.schedule_id());
    }
    return;
  }
  if (!stores_.visibility) return;
  auto ns = stores_.namespaces->GetNamespaceById(record.namespace_id());
  if (!ns.ok()) return;
  auto upserted = stores_.visibility->Upsert(scheduler::VisibilityRowOf(
      record, *version, *spec, clock_.Now(), persistence::CustomSearchAttributesOf(*ns)));
  if (!upserted.ok()) {
    Log(spdlog::level::warn, {.error = upserted.ToString()},
        "worker: the visibility row of schedule {} was not written", record.schedule_id());
  }
}

}  // namespace tern::worker
