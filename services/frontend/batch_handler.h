// Batch operations of the WorkflowService as blocking functions over the BatchOperationStore:
// StartBatchOperation, DescribeBatchOperation, ListBatchOperations and StopBatchOperation.
// WorkflowHandler resolves the namespace and runs these on the blocking executor.
//
// The frontend only records the job (with the visibility query it will list, or the explicit
// executions, its rate and an estimate of its size) and stops it; tern-worker carries it out
// (services/worker/batch_runner.h). A job is no workflow: it has no history and no visibility
// row, so it shows in ListBatchOperations and nowhere in workflow lists.
//
// Supported operations: terminate, cancel, signal, delete and reset (to the first or last
// workflow task, or to a workflow task id). Errors as Temporal answers them:
//   - a missing job id, reason, operation or target, both a query and executions, a query that
//     does not parse, an operation Tern does not run: INVALID_ARGUMENT naming the field;
//   - more running jobs in the namespace than frontend.MaxConcurrentBatchOperationPerNamespace:
//     RESOURCE_EXHAUSTED (CONCURRENT_LIMIT, NAMESPACE) "Max concurrent batch operations is
//     reached";
//   - a job id in use in the namespace: ALREADY_EXISTS;
//   - describing or stopping an unknown job: NOT_FOUND; stopping a finished one: NOT_FOUND
//     "... already completed" (Temporal terminates the finished batch workflow).
// A stopped job reports BATCH_OPERATION_STATE_FAILED, as Temporal reports its terminated batch
// workflow.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/config.h"
#include "persistence/batch_operation_store.h"
#include "persistence/visibility_store.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"
#include "tern/persistence/v1/records.pb.h"

namespace tern::frontend {

namespace ws = temporal::api::workflowservice::v1;

class BatchHandler {
 public:
  using NamespaceRecord = persistence::v1::NamespaceRecord;

  // `store` null: every RPC answers UNIMPLEMENTED. `visibility` null: jobs by query do.
  BatchHandler(const Config& config, std::shared_ptr<persistence::BatchOperationStore> store,
               std::shared_ptr<persistence::VisibilityStore> visibility, const Clock& clock);

  absl::StatusOr<ws::StartBatchOperationResponse> Start(
      const NamespaceRecord& ns, const ws::StartBatchOperationRequest& request);
  absl::StatusOr<ws::DescribeBatchOperationResponse> Describe(
      const NamespaceRecord& ns, const ws::DescribeBatchOperationRequest& request);
  absl::StatusOr<ws::ListBatchOperationsResponse> List(
      const NamespaceRecord& ns, const ws::ListBatchOperationsRequest& request);
  absl::StatusOr<ws::StopBatchOperationResponse> Stop(const NamespaceRecord& ns,
                                                      const ws::StopBatchOperationRequest& request);

 private:
  const Config& config_;
  std::shared_ptr<persistence::BatchOperationStore> store_;
  std::shared_ptr<persistence::VisibilityStore> visibility_;
  const Clock& clock_;
};

}  // namespace tern::frontend
