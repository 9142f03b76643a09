// BatchRunner: tern-worker's side of batch operations (StartBatchOperation). It leases the jobs
// whose wake-up time has come (persistence/batch_operation_store.h) and, for each one, for up to
// a second per pass:
//   1. lists the next page of its visibility query when it has no listed executions left (the
//      page token is kept in the job, so a successor resumes after the last page listed);
//   2. acts on the next execution (terminate, cancel, signal, delete or reset through history)
//      no sooner than the job's rate allows, and counts it completed or failed;
//   3. writes the job back after each execution under the version it read. A write that loses
//      means the frontend stopped the job: the runner leaves it at once.
// When nothing is left the job is COMPLETED, with total = completed + failed.
//
// Outcomes, as in Temporal's batcher: NOT_FOUND (the run closed or is gone) counts as completed;
// transient errors (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...) are retried with a growing
// pause, up to ten attempts; any other error counts as failed.
//
// Crash safety: each execution is written back right after it is acted on, so a worker that
// dies repeats at most the one execution in flight, and every operation tolerates that: the
// cancel, signal and reset requests carry a request id derived from (job, workflow, run), which
// history deduplicates; a second terminate or delete answers NOT_FOUND. Intermediate writes set
// next_wakeup a lease ahead, so no other worker takes the job while this one works on it; so a
// worker that dies mid-pass leaves its job for up to that long (30 s). The write at the end of a
// pass makes the job due a little before its next operation, so the next pass finds it due.
//
// Threading: passes run one at a time on the blocking executor (common/periodic_task.h); a pass
// sleeps between operations of a rate-limited job, for at most a second.
#pragma once

#include <string>

#include "client/history_client.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/executor.h"
#include "common/periodic_task.h"
#include "persistence/batch_operation_store.h"
#include "persistence/store.h"

namespace tern::worker {

class BatchRunner {
 public:
  // `owner` names this worker in leases.
  BatchRunner(persistence::Stores stores, client::HistoryClient& history, Executor& blocking,
              Executor& timers, Clock& clock, std::string owner);

  void Start() { task_.Start(); }
  // Returns once no pass is running.
  void Stop() { task_.Stop(); }

 private:
  // Leases and works on the due jobs; returns the pause before the next pass.
  std::chrono::milliseconds RunPass();
  // Works on one job for up to a second; returns when it wants to run next (nullopt: never).
  std::optional<TimePoint> Process(persistence::BatchOperationRow row);

  persistence::Stores stores_;
  client::HistoryClient& history_;
  Clock& clock_;
  const std::string owner_;
  PeriodicTask task_;
};

}  // namespace tern::worker
