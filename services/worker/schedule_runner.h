// ScheduleRunner: tern-worker's side of the Schedule API. It leases the schedules whose wake-up
// time has come (persistence/schedule_store.h), and for each one:
//   1. asks history how the workflows it started are doing, and records those that closed;
//   2. queues what has come due (triggers, backfills, spec times; services/scheduler/planner.h);
//   3. applies the overlap policy: cancels or terminates running workflows, starts workflows;
//   4. writes the record back under the version it read, with its next wake-up, and refreshes
//      the schedule's visibility row.
// A start is idempotent (its request id comes from its nominal time), so a worker that dies
// between starting a workflow and writing the record back loses nothing and starts nothing
// twice: the next worker to lease the schedule (after the lease expires) repeats the start and
// history answers with the run already started. If the frontend changed the schedule in
// between, the write back fails and the schedule is simply processed again.
//
// Several workers share the work through leases; one lease query runs every second, and at once
// again while schedules are due.
//
// Threading: passes run one at a time on the blocking executor (common/periodic_task.h).
#pragma once

#include <string>

#include "client/history_client.h"
#include "common/clock.h"
#include "common/executor.h"
#include "common/periodic_task.h"
#include "persistence/schedule_store.h"
#include "persistence/store.h"

namespace tern::worker {

class ScheduleRunner {
 public:
  // `owner` names this worker in leases.
  ScheduleRunner(persistence::Stores stores, client::HistoryClient& history, Executor& blocking,
                 Executor& timers, Clock& clock, std::string owner);

  void Start() { task_.Start(); }
  // Returns once no pass is running.
  void Stop() { task_.Stop(); }

 private:
  // Leases and processes one batch; returns the pause before the next pass.
  std::chrono::milliseconds RunPass();
  void Process(persistence::ScheduleRow row);

  persistence::Stores stores_;
  client::HistoryClient& history_;
  Clock& clock_;
  const std::string owner_;
  PeriodicTask task_;
};

}  // namespace tern::worker
