// The reset's deprecated reset_type and reset_reapply_type are still sent by clients; honoured.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "services/worker/batch_runner.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/hashing.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "persistence/namespace_cache.h"
#include "persistence/visibility_store.h"
#include "services/worker/await.h"
#include "visibility/query.h"

namespace tern::worker {
namespace {

namespace cv1 = temporal::api::common::v1;
namespace enums = temporal::api::enums::v1;
namespace hs = tern::historyservice::v1;
namespace pv1 = persistence::v1;
namespace ws = temporal::api::workflowservice::v1;
using std::chrono::milliseconds;

constexpr int kLeaseBatch = 10;
constexpr milliseconds kLease{30'000};
constexpr milliseconds kPollInterval{1'000};
// How long one pass works on one job before writing it back and moving on.
constexpr milliseconds kPassBudget{1'000};
// A pause this long before an operation is followed by a check that the job was not stopped.
constexpr milliseconds kRecheckAfter{100};
// A job that goes on in a later pass is due this long before its next operation, and the worker
// comes back half of it before: the pass that leases it waits for the slot. Due exactly at the
// slot, a pass that came back on time could find the row not yet due by the database's clock
// and leave the job a whole poll interval (5 operations per 2.2 s at 5 per second).
constexpr milliseconds kDueEarly{250};
constexpr milliseconds kListRetryPause{5'000};
constexpr int kListPageSize = 100;
constexpr int kMaxAttempts = 10;
constexpr auto kHistoryCallTimeout = std::chrono::seconds(10);

enum class Outcome { kCompleted, kFailed, kRetry };

Outcome Classify(const absl::Status& status) {
  if (status.ok() || absl::IsNotFound(status)) return Outcome::kCompleted;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:
      return Outcome::kRetry;
    default:
      return Outcome::kFailed;
  }
}

const char* OperationName(enums::BatchOperationType type) {
  switch (type) {
    case enums::BATCH_OPERATION_TYPE_TERMINATE_WORKFLOW:
      return "terminate";
    case enums::BATCH_OPERATION_TYPE_CANCEL_WORKFLOW:
      return "cancel";
    case enums::BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW:
      return "signal";
    case enums::BATCH_OPERATION_TYPE_DELETE_WORKFLOW:
      return "delete";
    case enums::BATCH_OPERATION_TYPE_RESET_WORKFLOW:
      return "reset";
    default:
      return "unknown";
  }
}

// A request id in UUID form that is the same for every attempt at one operation of one job on
// one run, so history recognises a repeat.
std::string RequestId(const pv1::BatchOperationRecord& record, const cv1::WorkflowExecution& run) {
  const std::string key = absl::StrCat(record.namespace_id(), "\n", record.job_id(), "\n",
                                       OperationName(record.operation_type()), "\n",
                                       run.workflow_id(), "\n", run.run_id());
  const uint64_t high = StableHash64(key);
  const uint64_t low = StableHash64(absl::StrCat(key, "\n2"));
  char out[37];
  std::snprintf(out, sizeof(out),
                "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, high >> 32,
                (high >> 16) & 0xffff, high & 0xffff, low >> 48, low & uint64_t{0xffffffffffff});
  return out;
}

}  // namespace

BatchRunner::BatchRunner(persistence::Stores stores, client::HistoryClient& history,
                         Executor& blocking, Executor& timers, Clock& clock, std::string owner)
    : stores_(std::move(stores)),
      history_(history),
      clock_(clock),
      owner_(std::move(owner)),
      task_(blocking, timers, [this] { return RunPass(); }) {}

namespace {

// The workflow task a reset of `run` goes back to, as Temporal's batcher finds it: the first or
// the last WorkflowTaskCompleted, else the event after the first WorkflowTaskScheduled.
absl::StatusOr<int64_t> ResetEventId(client::HistoryClient& history, const Clock& clock,
                                     const pv1::BatchOperationRecord& record,
                                     const cv1::WorkflowExecution& run, bool last) {
  auto request = ToHistory<hs::GetWorkflowExecutionHistoryRequest>(record);
  *request.mutable_request()->mutable_execution() = run;
  request.mutable_request()->set_maximum_page_size(1000);
  int64_t first_completed = 0, last_completed = 0, first_scheduled = 0;
  do {
    auto page = Await(history, &client::HistoryClient::GetWorkflowExecutionHistory, request, clock,
                      kHistoryCallTimeout);
    if (!page.ok()) return page.status();
    for (const auto& event : page->history().events()) {
      if (event.event_type() == enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
        if (first_completed == 0) first_completed = event.event_id();
        last_completed = event.event_id();
      } else if (event.event_type() == enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED &&
                 first_scheduled == 0) {
        first_scheduled = event.event_id();
      }
    }
    if (!last && first_completed != 0) return first_completed;
    request.mutable_request()->set_next_page_token(page->next_page_token());
  } while (!request.request().next_page_token().empty());
  if (last && last_completed != 0) return last_completed;
  if (first_scheduled != 0) return first_scheduled + 1;
  return absl::FailedPreconditionError("unable to find any scheduled or completed task");
}

// Carries the job's operation out on one run.
absl::Status Operate(client::HistoryClient& history, const Clock& clock,
                     const pv1::BatchOperationRecord& record, const cv1::WorkflowExecution& run) {
  const ws::StartBatchOperationRequest& job = record.request();
  switch (job.operation_case()) {
    case ws::StartBatchOperationRequest::kTerminationOperation: {
      auto request = ToHistory<hs::TerminateWorkflowExecutionRequest>(record);
      auto& r = *request.mutable_request();
      *r.mutable_workflow_execution() = run;
      r.set_reason(job.reason());
      if (job.termination_operation().has_details()) {
        *r.mutable_details() = job.termination_operation().details();
      }
      r.set_identity(job.termination_operation().identity());
      return Await(history, &client::HistoryClient::TerminateWorkflowExecution, request, clock,
                   kHistoryCallTimeout)
          .status();
    }
    case ws::StartBatchOperationRequest::kCancellationOperation: {
      auto request = ToHistory<hs::RequestCancelWorkflowExecutionRequest>(record);
      auto& r = *request.mutable_request();
      *r.mutable_workflow_execution() = run;
      r.set_reason(job.reason());
      r.set_identity(job.cancellation_operation().identity());
      r.set_request_id(RequestId(record, run));
      return Await(history, &client::HistoryClient::RequestCancelWorkflowExecution, request, clock,
                   kHistoryCallTimeout)
          .status();
    }
    case ws::StartBatchOperationRequest::kSignalOperation: {
      const auto& signal = job.signal_operation();
      auto request = ToHistory<hs::SignalWorkflowExecutionRequest>(record);
      auto& r = *request.mutable_request();
      *r.mutable_workflow_execution() = run;
      r.set_signal_name(signal.signal());
      if (signal.has_input()) *r.mutable_input() = signal.input();
      if (signal.has_header()) *r.mutable_header() = signal.header();
      r.set_identity(signal.identity());
      r.set_request_id(RequestId(record, run));
      return Await(history, &client::HistoryClient::SignalWorkflowExecution, request, clock,
                   kHistoryCallTimeout)
          .status();
    }
    case ws::StartBatchOperationRequest::kDeletionOperation: {
      auto request = ToHistory<hs::DeleteWorkflowExecutionRequest>(record);
      *request.mutable_request()->mutable_workflow_execution() = run;
      return Await(history, &client::HistoryClient::DeleteWorkflowExecution, request, clock,
                   kHistoryCallTimeout)
          .status();
    }
    case ws::StartBatchOperationRequest::kResetOperation: {
      const auto& reset = job.reset_operation();
      int64_t event_id = 0;
      enums::ResetReapplyType reapply = reset.reset_reapply_type();
      if (reset.has_options()) {
        reapply = reset.options().reset_reapply_type();
        if (reset.options().has_workflow_task_id()) {
          event_id = reset.options().workflow_task_id();
        } else {
          auto found =
              ResetEventId(history, clock, record, run, reset.options().has_last_workflow_task());
          if (!found.ok()) return found.status();
          event_id = *found;
        }
      } else {
        auto found = ResetEventId(history, clock, record, run,
                                  reset.reset_type() == enums::RESET_TYPE_LAST_WORKFLOW_TASK);
        if (!found.ok()) return found.status();
        event_id = *found;
      }
      auto request = ToHistory<hs::ResetWorkflowExecutionRequest>(record);
      auto& r = *request.mutable_request();
      *r.mutable_workflow_execution() = run;
      r.set_reason(job.reason());
      r.set_workflow_task_finish_event_id(event_id);
      r.set_request_id(RequestId(record, run));
      r.set_reset_reapply_type(reapply);
      if (reset.has_options()) {
        *r.mutable_reset_reapply_exclude_types() = reset.options().reset_reapply_exclude_types();
      }
      *r.mutable_post_reset_operations() = reset.post_reset_operations();
      r.set_identity(reset.identity());
      return Await(history, &client::HistoryClient::ResetWorkflowExecution, request, clock,
                   kHistoryCallTimeout)
          .status();
    }
    default:
      // The frontend accepts no other operation.
      return absl::InvalidArgumentError("unsupported batch operation");
  }
}

// The next page of the job's query (the namespace gone: NOT_FOUND).
absl::StatusOr<persistence::VisibilityPage> ListNext(const persistence::Stores& stores,
                                                     const pv1::BatchOperationRecord& record) {
  if (!stores.visibility) return absl::FailedPreconditionError("no visibility store");
  auto ns = stores.namespaces->GetNamespaceById(record.namespace_id());
  if (!ns.ok()) return ns.status();
  auto query =
      visibility::ParseQuery(record.effective_query(), persistence::CustomSearchAttributesOf(*ns));
  if (!query.ok()) return query.status();
  return stores.visibility->List(record.namespace_id(), *query, kListPageSize, record.page_token());
}

}  // namespace

milliseconds BatchRunner::RunPass() {
  if (!stores_.batch_operations) return kPollInterval;
  auto due = stores_.batch_operations->LeaseDueBatchOperations(owner_, kLeaseBatch, kLease);
  if (!due.ok()) {
    Log(spdlog::level::warn, {.error = due.status().ToString()},
        "worker: leasing due batch operations failed");
    return kPollInterval;
  }
  std::optional<TimePoint> soonest;
  for (auto& row : *due) {
    auto next = Process(std::move(row));
    if (next && (!soonest || *next < *soonest)) soonest = next;
  }
  if (!soonest) return kPollInterval;
  auto pause = std::chrono::ceil<milliseconds>(*soonest - clock_.Now());
  return std::clamp(pause, milliseconds(0), kPollInterval);
}

std::optional<TimePoint> BatchRunner::Process(persistence::BatchOperationRow row) {
  pv1::BatchOperationRecord& record = row.record;
  int64_t version = row.version;
  ScopedLogFields fields({.namespace_name = record.namespace_name()});
  if (record.state() != enums::BATCH_OPERATION_STATE_RUNNING) return std::nullopt;
  auto& store = *stores_.batch_operations;
  const char* operation = OperationName(record.operation_type());
  // Writes the job back; false when the frontend changed it meanwhile (stopped it).
  auto write = [&](std::optional<TimePoint> wakeup) {
    auto written = store.UpdateBatchOperation(record, version, wakeup);
    if (written.ok()) {
      version = *written;
      return true;
    }
    if (!persistence::IsConditionFailed(written.status()) && !absl::IsNotFound(written.status())) {
      Log(spdlog::level::warn, {.error = written.status().ToString()},
          "worker: writing batch operation {} back failed", record.job_id());
    }
    return false;
  };
  auto finish = [&](enums::BatchOperationState state, std::string_view why) {
    record.set_state(state);
    *record.mutable_close_time() = ToProto(clock_.Now());
    if (state == enums::BATCH_OPERATION_STATE_COMPLETED) {
      record.set_total_operation_count(record.complete_operation_count() +
                                       record.failure_operation_count());
    }
    if (write(std::nullopt)) {
      Log(state == enums::BATCH_OPERATION_STATE_COMPLETED ? spdlog::level::info
                                                          : spdlog::level::warn,
          {}, "worker: batch operation {} {}: {} completed, {} failed{}", record.job_id(),
          enums::BatchOperationState_Name(state), record.complete_operation_count(),
          record.failure_operation_count(), why);
    }
    return std::optional<TimePoint>();
  };
  const auto spacing = std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::duration<double>(1.0 / std::max(record.operations_per_second(), 0.001)));
  const TimePoint deadline = clock_.Now() + kPassBudget;

  for (;;) {
    TimePoint now = clock_.Now();
    if (record.pending().empty()) {
      if (record.listing_done()) return finish(enums::BATCH_OPERATION_STATE_COMPLETED, "");
      if (now >= deadline) break;
      auto page = ListNext(stores_, record);
      if (absl::IsInvalidArgument(page.status()) || absl::IsNotFound(page.status()) ||
          absl::IsFailedPrecondition(page.status())) {
        return finish(enums::BATCH_OPERATION_STATE_FAILED,
                      absl::StrCat("; listing failed: ", page.status().message()));
      }
      if (!page.ok()) {
        Log(spdlog::level::warn, {.error = page.status().ToString()},
            "worker: batch operation {}: listing executions failed; will retry", record.job_id());
        TimePoint retry = now + kListRetryPause;
        return write(retry) ? std::optional(retry) : std::nullopt;
      }
      for (const auto& found : page->records) {
        auto* run = record.add_pending();
        run->set_workflow_id(found.workflow_id);
        run->set_run_id(found.run_id);
      }
      record.set_page_token(page->next_page_token);
      record.set_listing_done(page->next_page_token.empty());
      if (!write(clock_.Now() + kLease)) return std::nullopt;
      continue;
    }

    const TimePoint slot = std::max(FromProto(record.next_operation_time()), now);
    if (slot > deadline) break;
    if (slot > now) {
      std::this_thread::sleep_for(slot - now);
      if (slot - now >= kRecheckAfter) {
        auto current = store.GetBatchOperation(record.namespace_id(), record.job_id());
        if (!current.ok() || current->version != version) return std::nullopt;
      }
    }
    const cv1::WorkflowExecution run = record.pending(0);
    absl::Status status = Operate(history_, clock_, record, run);
    Outcome outcome = Classify(status);
    if (outcome == Outcome::kRetry && record.head_attempts() + 1 >= kMaxAttempts) {
      outcome = Outcome::kFailed;
    }
    TimePoint next = slot + spacing;
    switch (outcome) {
      case Outcome::kCompleted:
        record.set_complete_operation_count(record.complete_operation_count() + 1);
        break;
      case Outcome::kFailed:
        record.set_failure_operation_count(record.failure_operation_count() + 1);
        Log(spdlog::level::warn,
            {.workflow_id = run.workflow_id(), .run_id = run.run_id(), .error = status.ToString()},
            "worker: batch operation {}: {} failed", record.job_id(), operation);
        break;
      case Outcome::kRetry:
        record.set_head_attempts(record.head_attempts() + 1);
        next = clock_.Now() + std::chrono::seconds(record.head_attempts());
        Log(spdlog::level::info,
            {.workflow_id = run.workflow_id(), .run_id = run.run_id(), .error = status.ToString()},
            "worker: batch operation {}: {} will be retried", record.job_id(), operation);
        break;
    }
    if (outcome != Outcome::kRetry) {
      metrics::kBatchOperationExecutions
          .With({operation, outcome == Outcome::kCompleted ? "completed" : "failed"})
          .Increment();
      record.mutable_pending()->DeleteSubrange(0, 1);
      record.set_head_attempts(0);
    }
    *record.mutable_next_operation_time() = ToProto(next);
    if (!write(clock_.Now() + kLease)) return std::nullopt;
  }

  // Out of time for this pass: the next one continues where this one stopped.
  const TimePoint slot = std::max(FromProto(record.next_operation_time()), clock_.Now());
  if (!write(slot - kDueEarly)) return std::nullopt;
  return std::max(slot - kDueEarly / 2, clock_.Now());
}

}  // namespace tern::worker
