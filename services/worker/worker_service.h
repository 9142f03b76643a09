// tern-worker: the internal background service. It runs the cluster's housekeeping:
//
//   - Namespace deletion: a namespace that DeleteNamespace marked DELETED loses its executions
//     (mutable state, history, current-run pointers), its task queues and backlog, and its
//     visibility rows, in batches; then its record is removed. Every step is idempotent, so a
//     worker that crashes half-way simply starts over on its next pass.
//   - Retention: closed runs whose close time plus their namespace's retention has passed
//     (found through visibility) are deleted by their history shard (DeleteWorkflowExecution
//     with `retention`, which never touches an open run), so history's cache never outlives
//     the rows.
//
// With several workers, each namespace is handled by the worker that owns its id on the worker
// ring (membership), so the passes of different workers do not overlap.
//
//   - Schedules: the ScheduleRunner (schedule_runner.h) runs every schedule that is due.
//   - Batch operations: the BatchRunner (batch_runner.h) carries out StartBatchOperation jobs.
//
// Threading: one pass at a time runs on the blocking executor (it blocks on the database); the
// pass is re-armed on the timer executor every worker.scanInterval (common/periodic_task.h).
// Start/Stop from any thread; Stop returns once no pass is running.
#pragma once

#include <memory>
#include <string>

#include "client/history_client.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/executor.h"
#include "common/periodic_task.h"
#include "membership/membership.h"
#include "persistence/store.h"
#include "services/worker/batch_runner.h"
#include "services/worker/schedule_runner.h"

namespace tern::worker {

class WorkerService {
 public:
  WorkerService(const Config& config, persistence::Stores stores, Membership& membership,
                client::HistoryClient& history, Executor& blocking, Executor& timers, Clock& clock,
                std::string self_address);
  ~WorkerService();

  void Start();
  void Stop();

 private:
  // One pass over every namespace this worker owns (blocking).
  void RunPass();
  bool Owns(const std::string& namespace_id) const;
  // Deletes the data of a DELETED namespace, then its record; a failure leaves the rest to the
  // next pass.
  void PurgeNamespace(const persistence::v1::NamespaceRecord& record);
  void ApplyRetention(const persistence::v1::NamespaceRecord& record);

  const Config& config_;
  persistence::Stores stores_;
  Membership& membership_;
  client::HistoryClient& history_;
  Clock& clock_;
  const std::string self_address_;
  PeriodicTask housekeeping_;
  ScheduleRunner schedules_;
  BatchRunner batches_;
};

}  // namespace tern::worker
