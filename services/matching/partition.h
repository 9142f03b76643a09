// Internal to tern::matching: one loaded task-queue partition. It matches tasks to the polls
// parked on it (sync match of adds, dispatch of buffered backlog tasks, query hand-over) and
// owns three parts, each with its own state and mutex:
//   - Backlog (backlog.h): range lease, task ids, writer, reader, deleter;
//   - Forwarder (forwarder.h, child partitions only): adds, polls and backlog sent to the root;
//   - QueryDispatcher (query_dispatcher.h): legacy query tasks and their answers.
//
// Threading: the partition's mutex guards its own state and the mutable fields of the pollers
// attached to it. The parts are called with it held (lock order: partition, then part), and
// call back into the partition with no lock held. Nothing blocking and no outside callback runs
// under the mutex: work that calls out (history, forwarding, answering a poll or an add) is
// collected in a Deferred and runs after the mutex is released. The engine's mutex is never
// taken while a partition mutex is held.
#pragma once

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "services/matching/backlog.h"
#include "services/matching/core.h"
#include "services/matching/forwarder.h"
#include "services/matching/partition_metrics.h"
#include "services/matching/poller.h"
#include "services/matching/query_dispatcher.h"
#include "services/matching/rate_window.h"

namespace tern::matching {

class Partition : public std::enable_shared_from_this<Partition> {
 public:
  enum class Reason { kRingMoved, kFenced, kIdle, kReleased, kStopped, kLoadFailed };

  static std::shared_ptr<Partition> Create(std::shared_ptr<EngineCore> core,
                                           persistence::TaskQueueKey key, std::string placement_key,
                                           temporal::api::enums::v1::TaskQueueKind kind);

  // Leases the backlog range on the blocking executor.
  void Load();
  void Poll(std::shared_ptr<Poller> poller);
  void CancelPoll(const std::shared_ptr<Poller>& poller);
  void Add(AddOpPtr op);
  void Describe(client::Callback<ms::DescribeTaskQueuePartitionResponse> done);
  // Queries: see MatchingEngine::QueryWorkflow / RespondQueryTaskCompleted.
  void Query(std::shared_ptr<QueryOp> query);
  void RespondQuery(const ms::RespondQueryTaskCompletedRequest& request,
                    client::Callback<ms::RespondQueryTaskCompletedResponse> done);
  // Pending polls answer empty (or with `status` for kLoadFailed), queued writes fail with
  // ShardOwnershipLost, the in-memory backlog is dropped (it stays in the database).
  void Unload(Reason reason, absl::Status status = absl::OkStatus());
  void Maintain(TimePoint now);

  const std::string& placement_key() const { return placement_key_; }
  const persistence::TaskQueueKey& key() const { return key_; }
  bool loaded() const;
  size_t parked_polls() const;
  size_t pending_queries() const;

 private:
  enum class State { kLoading, kLoaded, kUnloaded };

  Partition(std::shared_ptr<EngineCore> core, persistence::TaskQueueKey key,
            std::string placement_key, temporal::api::enums::v1::TaskQueueKind kind);

  void OnLoaded(absl::Status status);
  // A poll got `task` from here (sync: straight from an add): metrics and rates. `count_add`:
  // the add counts here too (not for a task forwarded in, which counts where it was added).
  void MatchedLocked(bool sync, const Task& task, bool count_add);
  // Runs the matching loop (after a part changed).
  void Rematch();
  void OnPollTimeout(const std::shared_ptr<Poller>& poller);

  // The matching loop: hands waiting queries and buffered tasks to waiting polls, and forwards
  // idle polls and unclaimed backlog to the root.
  void MatchLocked(Deferred& after);
  std::shared_ptr<Poller> PopWaitingLocked();
  std::list<std::shared_ptr<Poller>>::iterator FindForwardableLocked();
  void MoveAwayLocked(const std::shared_ptr<Poller>& poller, Poller::State state);
  // Puts a poller that was away back in front of the queue (after a failed or stale
  // record-start, or an empty forward), or answers it empty if its time is up.
  void ReturnPollerLocked(const std::shared_ptr<Poller>& poller, Deferred& after);
  // Marks a detached poller done and answers it (after the mutex is released).
  void FinishLocked(const std::shared_ptr<Poller>& poller, Deferred& after,
                    std::function<void(Poller&)> finish);
  // Asks history to record `task` as started by `poller`; `on_done` runs under the mutex, then
  // the matching loop.
  void StartRecordLocked(const std::shared_ptr<Poller>& poller, const Task& task, Deferred& after,
                         std::function<void(absl::Status, Deferred&)> on_done);

  void DispatchQueriesLocked(Deferred& after);
  void OnDispatchDone(const std::shared_ptr<Poller>& poller, const Task& task, absl::Status status,
                      Deferred& after);
  // Sets the backlog gauges from the backlog's counts: when loaded, then at each maintenance
  // pass (off the matching path).
  void ReportBacklogLocked();

  void AddLocked(AddOpPtr op, Deferred& after);
  void OnSyncMatchDone(const std::shared_ptr<Poller>& poller, AddOpPtr op, absl::Status status,
                       Deferred& after);

  void StartForwardPollLocked(std::shared_ptr<Poller> poller, Deferred& after);
  void OnForwardPollDone(std::shared_ptr<Poller> poller, absl::Status status, bool has_task);
  void OnForwardBacklogDone(int64_t task_id, bool matched);

  // Pauses backlog dispatch after a history error; the pause ends with a matching loop.
  void PauseDispatchLocked();
  void UnloadLocked(Reason reason, absl::Status status, Deferred& after);

  const std::shared_ptr<EngineCore> core_;
  const persistence::TaskQueueKey key_;
  const std::string placement_key_;
  const std::string base_name_;
  const bool sticky_;
  const temporal::api::enums::v1::TaskQueueKind kind_;

  // Set by Create(), never changed afterwards; forwarder_ is null for roots and sticky queues.
  std::shared_ptr<Backlog> backlog_;
  std::shared_ptr<Forwarder> forwarder_;
  std::shared_ptr<QueryDispatcher> queries_;
  const std::shared_ptr<const PartitionLog> log_;
  const std::unique_ptr<PartitionMetrics> metrics_;

  mutable std::mutex mu_;
  State state_ = State::kLoading;
  absl::Status unload_status_;
  TimePoint last_activity_;
  struct PollerSeen {
    TimePoint last_access;
    double rate_per_second;
  };
  std::map<std::string, PollerSeen> pollers_seen_;  // by identity
  // Tasks added here (sync-matched, or written to the backlog; a task forwarded to the root
  // counts where it was first added) and tasks handed to a poller from here.
  RateWindow added_;
  RateWindow dispatched_;
  TimePoint last_poll_end_{};  // when a poll last arrived or was answered (epoch: never)

  // Polls parked here (FIFO) and those away (record-start or forward in flight).
  std::list<std::shared_ptr<Poller>> waiting_;
  std::list<std::shared_ptr<Poller>> away_;

  // Dispatch pause after history errors.
  std::shared_ptr<Executor::Timer> dispatch_backoff_timer_;
  bool dispatch_paused_ = false;
};

}  // namespace tern::matching
