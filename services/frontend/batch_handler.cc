// `executions` and the reset's `reset_type` are deprecated in favour of `target_executions` and
// `options`, but clients (the Temporal CLI among them) still send them; both are honoured.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "services/frontend/batch_handler.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "persistence/namespace_cache.h"
#include "services/frontend/validation.h"
#include "visibility/query.h"
#include "visibility/values.h"

namespace tern::frontend {

namespace {

namespace enums = temporal::api::enums::v1;
namespace cv1 = temporal::api::common::v1;
namespace pv1 = persistence::v1;
using Request = ws::StartBatchOperationRequest;

// Reads and writes of a stop retried while the worker writes its progress in between.
constexpr int kWriteAttempts = 20;

absl::Status NoStore() {
  return absl::UnimplementedError("this server has no batch operation store");
}

absl::Status JobNotFound(const std::string& job_id) {
  return NotFoundError(absl::StrCat("batch operation ", job_id, " not found"));
}

// The operation's type (Temporal's non-deprecated values) and identity; INVALID_ARGUMENT for an
// operation Tern does not run or one that lacks what it needs.
absl::StatusOr<std::pair<enums::BatchOperationType, std::string>> OperationOf(
    const Request& request) {
  switch (request.operation_case()) {
    case Request::kTerminationOperation:
      return std::pair(enums::BATCH_OPERATION_TYPE_TERMINATE_WORKFLOW,
                       request.termination_operation().identity());
    case Request::kCancellationOperation:
      return std::pair(enums::BATCH_OPERATION_TYPE_CANCEL_WORKFLOW,
                       request.cancellation_operation().identity());
    case Request::kSignalOperation:
      if (request.signal_operation().signal().empty()) {
        return absl::InvalidArgumentError("must provide signal name");
      }
      return std::pair(enums::BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW,
                       request.signal_operation().identity());
    case Request::kDeletionOperation:
      return std::pair(enums::BATCH_OPERATION_TYPE_DELETE_WORKFLOW,
                       request.deletion_operation().identity());
    case Request::kResetOperation: {
      const auto& reset = request.reset_operation();
      if (reset.has_options()) {
        switch (reset.options().target_case()) {
          case cv1::ResetOptions::kFirstWorkflowTask:
          case cv1::ResetOptions::kLastWorkflowTask:
          case cv1::ResetOptions::kWorkflowTaskId:
            break;
          case cv1::ResetOptions::TARGET_NOT_SET:
            return absl::InvalidArgumentError("batch reset missing target");
          default:
            return absl::InvalidArgumentError(
                "batch reset to a build id is not supported by this server");
        }
      } else if (reset.reset_type() != enums::RESET_TYPE_FIRST_WORKFLOW_TASK &&
                 reset.reset_type() != enums::RESET_TYPE_LAST_WORKFLOW_TASK) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown batch reset type ", enums::ResetType_Name(reset.reset_type())));
      }
      return std::pair(enums::BATCH_OPERATION_TYPE_RESET_WORKFLOW, reset.identity());
    }
    case Request::OPERATION_NOT_SET:
      return absl::InvalidArgumentError("Batch operation is not set on request.");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("The operation type ",
                       Request::descriptor()->FindFieldByNumber(request.operation_case())->name(),
                       " is not supported"));
  }
}

// The explicit targets of the request (executions or target_executions), in order.
absl::StatusOr<std::vector<cv1::WorkflowExecution>> ExplicitTargets(const Request& request) {
  std::vector<cv1::WorkflowExecution> targets(request.executions().begin(),
                                              request.executions().end());
  for (int i = 0; i < request.target_executions_size(); ++i) {
    const auto& target = request.target_executions(i);
    if (target.type() != enums::EXECUTION_TYPE_WORKFLOW &&
        target.type() != enums::EXECUTION_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target_executions[", i, "] has type ", enums::ExecutionType_Name(target.type()),
          ", but the operation requires EXECUTION_TYPE_WORKFLOW"));
    }
    auto& execution = targets.emplace_back();
    execution.set_workflow_id(target.business_id());
    execution.set_run_id(target.run_id());
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].workflow_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Executions[", i, "].WorkflowId is not set on request."));
    }
  }
  return targets;
}

// The query the worker lists. Like Temporal's batcher, terminate, cancel and signal only reach
// running workflows. A reset closes the run it resets, which would then sort again among the
// closed runs after the listing position; runs closed since the job started are left out so
// no run is reset twice.
std::string EffectiveQuery(const std::string& query, enums::BatchOperationType type,
                           TimePoint start) {
  switch (type) {
    case enums::BATCH_OPERATION_TYPE_TERMINATE_WORKFLOW:
    case enums::BATCH_OPERATION_TYPE_CANCEL_WORKFLOW:
    case enums::BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW:
      return absl::StrCat("(", query, ") AND ExecutionStatus = 'Running'");
    case enums::BATCH_OPERATION_TYPE_RESET_WORKFLOW: {
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(start.time_since_epoch());
      return absl::StrCat("(", query, ") AND (ExecutionStatus = 'Running' OR CloseTime < '",
                          visibility::FormatDatetimeMicros(micros.count()), "')");
    }
    default:
      return query;
  }
}

}  // namespace

BatchHandler::BatchHandler(const Config& config,
                           std::shared_ptr<persistence::BatchOperationStore> store,
                           std::shared_ptr<persistence::VisibilityStore> visibility,
                           const Clock& clock)
    : config_(config),
      store_(std::move(store)),
      visibility_(std::move(visibility)),
      clock_(clock) {}

absl::StatusOr<ws::StartBatchOperationResponse> BatchHandler::Start(const NamespaceRecord& ns,
                                                                    const Request& request) {
  if (!store_) return NoStore();
  const RequestLimits limits = LimitsFor(config_.dynamic, ns.info().name());
  RETURN_IF_ERROR(CheckId("JobId", request.job_id(), limits.max_id_length, true));
  if (request.reason().empty()) return absl::InvalidArgumentError("Reason is not set on request.");
  ASSIGN_OR_RETURN(auto operation, OperationOf(request));
  const int selectors = (request.visibility_query().empty() ? 0 : 1) +
                        (request.executions().empty() ? 0 : 1) +
                        (request.target_executions().empty() ? 0 : 1);
  if (selectors == 0) {
    return absl::InvalidArgumentError(
        "VisibilityQuery, Executions, or TargetExecutions must be set on request.");
  }
  if (selectors > 1) {
    return absl::InvalidArgumentError(
        "visibility query, executions, and target executions are mutually exclusive");
  }
  ASSIGN_OR_RETURN(std::vector<cv1::WorkflowExecution> targets, ExplicitTargets(request));

  const TimePoint now = clock_.Now();
  pv1::BatchOperationRecord record;
  record.set_namespace_id(ns.info().id());
  record.set_namespace_name(ns.info().name());
  record.set_job_id(request.job_id());
  *record.mutable_request() = request;
  record.set_operation_type(operation.first);
  record.set_identity(operation.second);
  record.set_state(enums::BATCH_OPERATION_STATE_RUNNING);
  *record.mutable_start_time() = ToProto(now);
  *record.mutable_next_operation_time() = ToProto(now);
  const double cap = config_.dynamic.Get(dynamicconfig::kWorkerBatcherRPS, ns.info().name());
  const double asked = request.max_operations_per_second();
  record.set_operations_per_second(asked > 0 && asked < cap ? asked : cap);

  if (!request.visibility_query().empty()) {
    if (!visibility_) return absl::UnimplementedError("this server has no visibility store");
    const auto custom = persistence::CustomSearchAttributesOf(ns);
    if (auto user = visibility::ParseQuery(request.visibility_query(), custom); !user.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid visibility query: ", user.status().message()));
    }
    record.set_effective_query(EffectiveQuery(request.visibility_query(), operation.first, now));
    auto query = visibility::ParseQuery(record.effective_query(), custom);
    if (!query.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid visibility query: ", query.status().message()));
    }
    ASSIGN_OR_RETURN(auto count, visibility_->Count(ns.info().id(), *query));
    record.set_total_operation_count(count.count);
  } else {
    for (auto& target : targets) *record.add_pending() = std::move(target);
    record.set_listing_done(true);
    record.set_total_operation_count(record.pending_size());
  }

  const int max_running = config_.dynamic.Get(
      dynamicconfig::kFrontendMaxConcurrentBatchOperationPerNamespace, ns.info().name());
  auto created = store_->CreateBatchOperation(record, now, max_running);
  if (absl::IsResourceExhausted(created)) {
    return ResourceExhaustedError(enums::RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
                                  "Max concurrent batch operations is reached",
                                  enums::RESOURCE_EXHAUSTED_SCOPE_NAMESPACE);
  }
  if (absl::IsAlreadyExists(created)) {
    return absl::AlreadyExistsError(
        absl::StrCat("batch operation ", request.job_id(), " already exists"));
  }
  RETURN_IF_ERROR(created);
  Log(spdlog::level::info, {.namespace_name = ns.info().name()},
      "batch operation {} started: {} of {} executions at most {}/s", request.job_id(),
      enums::BatchOperationType_Name(operation.first), record.total_operation_count(),
      record.operations_per_second());
  return ws::StartBatchOperationResponse();
}

absl::StatusOr<ws::DescribeBatchOperationResponse> BatchHandler::Describe(
    const NamespaceRecord& ns, const ws::DescribeBatchOperationRequest& request) {
  if (!store_) return NoStore();
  if (request.job_id().empty()) return absl::InvalidArgumentError("JobId is not set on request.");
  auto row = store_->GetBatchOperation(ns.info().id(), request.job_id());
  if (absl::IsNotFound(row.status())) return JobNotFound(request.job_id());
  if (!row.ok()) return row.status();
  const pv1::BatchOperationRecord& record = row->record;
  ws::DescribeBatchOperationResponse response;
  response.set_operation_type(record.operation_type());
  response.set_job_id(record.job_id());
  response.set_state(record.state());
  *response.mutable_start_time() = record.start_time();
  if (record.has_close_time()) *response.mutable_close_time() = record.close_time();
  response.set_total_operation_count(record.total_operation_count());
  response.set_complete_operation_count(record.complete_operation_count());
  response.set_failure_operation_count(record.failure_operation_count());
  response.set_identity(record.identity());
  response.set_reason(record.request().reason());
  response.set_query(record.request().visibility_query());
  for (const auto& execution : record.request().executions()) {
    auto* out = response.add_executions();
    out->set_type(enums::EXECUTION_TYPE_WORKFLOW);
    out->set_business_id(execution.workflow_id());
    out->set_run_id(execution.run_id());
  }
  for (const auto& target : record.request().target_executions()) {
    *response.add_executions() = target;
  }
  return response;
}

absl::StatusOr<ws::ListBatchOperationsResponse> BatchHandler::List(
    const NamespaceRecord& ns, const ws::ListBatchOperationsRequest& request) {
  if (!store_) return NoStore();
  ASSIGN_OR_RETURN(auto page, store_->ListBatchOperations(ns.info().id(), request.page_size(),
                                                          request.next_page_token()));
  ws::ListBatchOperationsResponse response;
  for (const auto& row : page.rows) {
    auto* info = response.add_operation_info();
    info->set_job_id(row.record.job_id());
    info->set_state(row.record.state());
    *info->mutable_start_time() = row.record.start_time();
    if (row.record.has_close_time()) *info->mutable_close_time() = row.record.close_time();
    info->set_operation_type(row.record.operation_type());
  }
  response.set_next_page_token(page.next_page_token);
  return response;
}

absl::StatusOr<ws::StopBatchOperationResponse> BatchHandler::Stop(
    const NamespaceRecord& ns, const ws::StopBatchOperationRequest& request) {
  if (!store_) return NoStore();
  if (request.job_id().empty()) return absl::InvalidArgumentError("JobId is not set on request.");
  if (request.reason().empty()) return absl::InvalidArgumentError("Reason is not set on request.");
  for (int attempt = 1;; ++attempt) {
    auto row = store_->GetBatchOperation(ns.info().id(), request.job_id());
    if (absl::IsNotFound(row.status())) return JobNotFound(request.job_id());
    if (!row.ok()) return row.status();
    pv1::BatchOperationRecord& record = row->record;
    if (record.state() != enums::BATCH_OPERATION_STATE_RUNNING) {
      return NotFoundError(
          absl::StrCat("batch operation ", request.job_id(), " already completed"));
    }
    record.set_state(enums::BATCH_OPERATION_STATE_FAILED);
    *record.mutable_close_time() = ToProto(clock_.Now());
    record.set_stop_reason(request.reason());
    auto version = store_->UpdateBatchOperation(record, row->version, std::nullopt);
    if (version.ok()) {
      Log(spdlog::level::info, {.namespace_name = ns.info().name()},
          "batch operation {} stopped by {}: {}", request.job_id(), request.identity(),
          request.reason());
      return ws::StopBatchOperationResponse();
    }
    if (absl::IsNotFound(version.status())) return JobNotFound(request.job_id());
    if (!persistence::IsConditionFailed(version.status()) || attempt == kWriteAttempts) {
      return version.status();
    }
  }
}

}  // namespace tern::frontend
