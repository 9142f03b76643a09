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
// Threading: one pass at a time runs on the blocking executor (it blocks on the database); the
// pass is re-armed on the timer executor every `interval`. Start/Stop from any thread; Stop
// returns once no pass is running.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "client/history_client.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/executor.h"
#include "membership/membership.h"
#include "persistence/store.h"

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
  // Start/Stop state, shared with the timer and executor callbacks so that a callback that runs
  // after Stop() finds `stopped` without touching the (possibly destroyed) service.
  struct Lifecycle {
    std::mutex mu;
    std::condition_variable idle;
    bool stopped = true;
    bool running = false;  // a pass is in progress
    std::shared_ptr<Executor::Timer> timer;
  };

  // Schedules the next pass after `delay`; life_->mu is held and the service is not stopped.
  void ArmLocked(std::chrono::milliseconds delay);
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
  Executor& blocking_;
  Executor& timers_;
  Clock& clock_;
  const std::string self_address_;

  const std::shared_ptr<Lifecycle> life_ = std::make_shared<Lifecycle>();
};

}  // namespace tern::worker
