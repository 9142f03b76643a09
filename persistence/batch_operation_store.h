// The batch operation store: one row per batch job (StartBatchOperation and friends).
//
// Who calls it:
//   - the frontend creates jobs (refusing one when its namespace already runs as many as allowed),
//     reads and lists them, and stops them;
//   - tern-worker leases the jobs that are due (next_wakeup has come), acts on their next
//     executions, and writes each back under the version it read.
// Every write bumps the row's version; a write that names an older version fails with
// ConditionFailed (store.h), so a worker never overwrites a stop the frontend wrote meanwhile.
// Like every store (store.h): thread-safe, blocking, errors are values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/store.h"
#include "tern/persistence/v1/batch_operations.pb.h"

namespace tern::persistence {

struct BatchOperationRow {
  v1::BatchOperationRecord record;
  int64_t version = 0;
  std::optional<Timestamp> next_wakeup;  // nullopt: the worker has nothing to do
};

struct BatchOperationPage {
  // Newest start time first; ties by job id, descending.
  std::vector<BatchOperationRow> rows;
  // Opaque; empty when there is no further page.
  std::string next_page_token;
};

class BatchOperationStore {
 public:
  virtual ~BatchOperationStore() = default;

  // Inserts the row with version 1, unless the namespace already has `max_running` rows whose
  // record is RUNNING (ResourceExhausted) or a row with this job id (AlreadyExists). The check
  // and the insert are atomic: concurrent creates cannot exceed the limit together.
  virtual absl::Status CreateBatchOperation(const v1::BatchOperationRecord& record,
                                            std::optional<Timestamp> next_wakeup,
                                            int max_running) = 0;

  // NotFound if the namespace has no job with this id.
  virtual absl::StatusOr<BatchOperationRow> GetBatchOperation(const std::string& namespace_id,
                                                              const std::string& job_id) = 0;

  // Replaces the row if its version is still `expected_version`, and ends any lease. Returns the
  // new version. NotFound if the row is gone, ConditionFailed if another write came first.
  virtual absl::StatusOr<int64_t> UpdateBatchOperation(const v1::BatchOperationRecord& record,
                                                       int64_t expected_version,
                                                       std::optional<Timestamp> next_wakeup) = 0;

  // One page of the namespace's jobs. `page_size` <= 0 means 100. `page_token` is "" or a
  // next_page_token from this method for the same namespace; anything else is InvalidArgument.
  virtual absl::StatusOr<BatchOperationPage> ListBatchOperations(const std::string& namespace_id,
                                                                 int page_size,
                                                                 const std::string& page_token) = 0;

  // Leases to `owner`, for `lease`, up to `limit` rows whose next_wakeup is at or before the
  // database's now and whose lease is free or has expired, earliest first, and returns them in
  // that order. A lease is not a write: it leaves the version as it was, so a worker that
  // outlived its lease and the one that took the row over hold the same version, and whichever
  // writes second gets ConditionFailed.
  virtual absl::StatusOr<std::vector<BatchOperationRow>> LeaseDueBatchOperations(
      const std::string& owner, int limit, std::chrono::milliseconds lease) = 0;

  // Namespace deletion: removes up to `limit` of the namespace's jobs; returns how many.
  virtual absl::StatusOr<int> DeleteNamespaceBatchOperations(const std::string& namespace_id,
                                                             int limit) = 0;
};

}  // namespace tern::persistence
