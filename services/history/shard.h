// One history shard owned by this host: its fencing token (range_id), task-id allocation, the
// per-execution locks and cache, its transfer/timer queues and history long-poll watchers.
//
// Threading: any thread may call any method. Persist() and NextTaskId() block on the database,
// so they run on the blocking executor. A shard that lost ownership stays in memory (stopped)
// until the process exits, so late callbacks never touch freed memory.
#pragma once

#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/group_commit.h"
#include "persistence/store.h"
#include "services/history/event_tail.h"
#include "services/history/queues.h"
#include "temporal/api/query/v1/message.pb.h"
#include "temporal/api/update/v1/message.pb.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace tern::history {

// The lock and cached mutable state of one run (or, with an empty run id, the lock that
// serializes changes of a workflow id's current run).
struct ExecutionContext {
  // An update the workflow has not accepted yet: admitted (waiting for a workflow task) or
  // rejected by the workflow's validator. Accepted updates are in the mutable state.
  struct PendingUpdate {
    temporal::api::update::v1::Request request;
    bool rejected = false;
    temporal::api::failure::v1::Failure rejection;
  };

  // A query riding on a workflow task: attached to the next task that starts, answered by that
  // task's completion. `resolve` gets the answer, or nullopt when the query must go back to
  // QueryWorkflow (the task ended without answering, or the run became idle or closed). Whoever
  // erases the entry (under mu) calls `resolve`, after releasing mu.
  struct PendingQuery {
    using Result =
        std::optional<absl::StatusOr<temporal::api::workflowservice::v1::QueryWorkflowResponse>>;
    temporal::api::query::v1::WorkflowQuery query;
    int64_t started_event_id = 0;  // of the task carrying it; 0 until one starts
    std::function<void(Result)> resolve;
  };

  std::mutex mu;
  std::optional<persistence::ExecutionRecord> record;
  EventTail tail;                                // the run's newest committed events; guarded by mu
  std::map<std::string, PendingUpdate> updates;  // by update id; guarded by mu
  std::map<std::string, PendingQuery> queries;   // by query id; guarded by mu
};

struct ExecutionKey {
  std::string namespace_id;
  std::string workflow_id;
  std::string run_id;
  bool operator==(const ExecutionKey&) const = default;
};

// For maps keyed by run in this process (no string built per lookup).
struct ExecutionKeyHash {
  size_t operator()(const ExecutionKey& key) const {
    std::hash<std::string_view> hash;
    size_t h = hash(key.namespace_id);
    for (const std::string* part : {&key.workflow_id, &key.run_id}) {
      h ^= hash(*part) + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2);
    }
    return h;
  }
};

// Fired after a commit that changed a run (history long polls wait on it), and to every watcher
// when the shard stops.
struct ExecutionChange {
  int64_t next_event_id = 0;
  bool closed = false;
  bool shard_stopped = false;
};

// A parked long poll on a run (history, update stage, query readiness): it ends exactly once,
// from a change notification or its expiry timer, whichever claims `done` first.
struct ParkedPoll {
  std::atomic<bool> done{false};
  int64_t watch_id = 0;
  std::shared_ptr<Executor::Timer> timer;
};

class Shard {
 public:
  using TransferExecutor = std::function<void(Shard&, TransferQueue::TaskRef, TransferQueue::Done)>;
  using TimerExecutor = std::function<absl::Status(Shard&, const pv1::TimerTask&)>;

  Shard(int32_t shard_id, persistence::ShardLease lease, persistence::Stores stores,
        Executor& blocking, const Clock& clock, TransferExecutor transfer, TimerExecutor timer,
        TaskObserver observer = {});
  ~Shard();

  int32_t id() const { return shard_id_; }
  bool stopped() const { return stopped_; }

  // Loads the shard's outstanding tasks into the queues.
  absl::Status Start();
  void Stop();
  // `lost` runs once, on the thread that found out, when a write or range renewal shows another
  // host took the shard (the shard has stopped itself). Set before Start().
  void OnOwnershipLost(std::function<void()> lost) { on_lost_ = std::move(lost); }

  // Next task id from the current range; renews the range when it runs out.
  int64_t NextTaskId();

  std::shared_ptr<ExecutionContext> Context(const ExecutionKey& key);

  // Writes in one transaction fenced by the shard's range_id; after the commit hands the new
  // tasks to the queues and wakes watchers. A fencing failure stops the shard and returns
  // ShardOwnershipLost.
  //
  // Group commit: while a transaction of this shard is in flight, the writes of other callers
  // wait and then go together in the next one (one commit, one fence check for all). A group
  // that fails for any other reason than fencing is written again one caller at a time, so each
  // caller gets the outcome of its own writes. `writes` are moved into the group's transaction
  // and back: on return they hold what they held before.
  absl::Status Persist(std::vector<persistence::WorkflowWrite>& writes);

  // Watches a run for changes; returns an id for Unwatch. `fn` runs on the committing thread.
  int64_t Watch(const ExecutionKey& key, std::function<void(ExecutionChange)> fn);
  void Unwatch(const ExecutionKey& key, int64_t watch_id);

  // Events [first, next) of a run: from the run's cached tail when it holds them all, else from
  // the database (`max_events` at most). The caller must not hold the run's context lock.
  absl::StatusOr<std::vector<temporal::api::history::v1::HistoryEvent>> ReadEvents(
      const ExecutionKey& key, int64_t first, int64_t next,
      int max_events = std::numeric_limits<int>::max());

  // Callers of Persist() waiting for the next group transaction (introspection for tests).
  size_t QueuedWriters();

  persistence::ExecutionStore& executions() { return *stores_.executions; }
  // Whether executions() writes WorkflowWrite::visibility (Stores::visibility_in_executions).
  bool visibility_in_executions() const { return stores_.visibility_in_executions; }
  // Null when the process has no visibility store (unit tests).
  persistence::VisibilityStore* visibility() { return stores_.visibility.get(); }

 private:
  void Notify(const ExecutionKey& key, ExecutionChange change);
  // Hands the write's transfer and timer tasks to the shard's queues.
  void QueueTasks(const persistence::WorkflowWrite& write);

  using WriteBatch = std::vector<persistence::WorkflowWrite>;
  // Writes the callers' writes in one transaction (see Persist).
  std::vector<absl::Status> CommitGroup(const std::vector<WriteBatch*>& group);

  const int32_t shard_id_;
  persistence::Stores stores_;
  Executor& blocking_;
  std::atomic<bool> stopped_{false};
  std::function<void()> on_lost_;
  std::atomic<bool> lost_reported_{false};
  void ReportLost();

  std::shared_mutex range_mu_;  // exclusive while renewing the range; shared while writing
  int64_t range_id_;
  std::atomic<int64_t> next_task_seq_{0};

  std::mutex contexts_mu_;
  std::unordered_map<ExecutionKey, std::shared_ptr<ExecutionContext>, ExecutionKeyHash> contexts_;

  std::mutex watch_mu_;
  int64_t next_watch_id_ = 1;
  std::unordered_map<ExecutionKey,
                     std::unordered_map<int64_t, std::function<void(ExecutionChange)>>,
                     ExecutionKeyHash>
      watchers_;

  TransferQueue transfer_queue_;
  TimerQueue timer_queue_;
  GroupCommit<WriteBatch> group_commit_;
};

}  // namespace tern::history
