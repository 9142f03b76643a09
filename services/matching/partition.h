// Internal to tern::matching: one loaded task-queue partition and the parked polls it serves.
//
// Threading: each Partition has one mutex guarding all of its state and the mutable fields of
// the pollers attached to it. Nothing blocking and no outside callback runs under that mutex:
// work that calls out (history, matching forwarding, the store on the blocking executor,
// answering a poll or an add) is collected in a Deferred and runs after the mutex is released.
// The engine's mutex is never taken while a partition mutex is held.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/matching/matching_engine.h"
#include "tern/historyservice/v1/service.pb.h"

namespace tern::matching {

namespace hs = tern::historyservice::v1;

// Counts calls in flight (database, RPC) so Stop() can wait for them: an operation holds a
// token from Begin() until its callback has run.
class OpTracker : public std::enable_shared_from_this<OpTracker> {
 public:
  std::shared_ptr<void> Begin();
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  int in_flight_ = 0;
};

// What the engine shares with its partitions.
struct EngineCore {
  EngineOptions options;
  std::shared_ptr<persistence::TaskStore> store;
  client::HistoryClient& history;
  client::MatchingClient& matching;
  Executor& blocking;
  Executor& timers;
  const Clock& clock;
  std::shared_ptr<OpTracker> tracker = std::make_shared<OpTracker>();
  // Called (outside partition locks) after a partition unloaded.
  std::function<void(Partition*, bool fenced)> on_unloaded;
};

// Work to run once the partition mutex is released: declare it before the lock_guard.
class Deferred {
 public:
  Deferred() = default;
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  ~Deferred() {
    for (auto& fn : work_) fn();
  }
  void operator()(std::function<void()> fn) { work_.push_back(std::move(fn)); }

 private:
  std::vector<std::function<void()>> work_;
};

// A task as matching moves it. task_id is 0 for a task that was never persisted (sync match).
struct Task {
  int64_t task_id = 0;
  persistence::v1::MatchingTask info;
};

// One parked poll. Type-specific parts (request/response types, which history and matching
// methods to call) live in TypedPoller (partition.cc).
class Poller : public PollHandle, public std::enable_shared_from_this<Poller> {
 public:
  enum class State { kNew, kWaiting, kMatching, kForwarded, kDone };

  Poller(std::string poller_id, std::string identity, bool forwarded_in, TimePoint timeout_at,
         TimePoint rpc_deadline)
      : poller_id(std::move(poller_id)),
        identity(std::move(identity)),
        forwarded_in(forwarded_in),
        timeout_at(timeout_at),
        rpc_deadline(rpc_deadline) {}

  void Cancel() override;

  // Asks history to record `task` as started by this poll; on OK the response to deliver is
  // stored in the poller. `done` runs once on a client thread.
  virtual void RecordStart(client::HistoryClient& history, const Task& task,
                           client::CallOptions options, std::function<void(absl::Status)> done) = 0;
  // Forwards this poll to `root_name`; on OK with has_task the response is stored.
  virtual void Forward(client::MatchingClient& matching, const std::string& root_name,
                       const std::string& from_name, client::CallOptions options,
                       std::function<void(absl::Status, bool has_task)> done) = 0;
  // Answer the RPC. The partition's state machine calls exactly one of them, exactly once,
  // outside its mutex.
  virtual void FinishWithTask() = 0;
  // Delivers a prebuilt query task (workflow pollers only) without any history call.
  virtual void FinishWithQuery(const ws::PollWorkflowTaskQueueResponse& task) = 0;
  virtual void FinishEmpty() = 0;
  virtual void FinishError(absl::Status status) = 0;

  const std::string poller_id;
  const std::string identity;
  const bool forwarded_in;  // arrived from a child partition
  const TimePoint timeout_at;
  const TimePoint rpc_deadline;

  // Guarded by the partition's mutex.
  std::weak_ptr<Partition> partition;
  State state = State::kNew;
  bool timed_out = false;   // the timeout passed while a record-start or forward was in flight
  bool no_forward = false;  // a forward came back empty: wait locally from now on
  // Position in the partition's waiting_ list (kWaiting) or away_ list (kMatching, kForwarded).
  std::list<std::shared_ptr<Poller>>::iterator list_pos;
  std::shared_ptr<Executor::Timer> timer;
  std::shared_ptr<client::CallHandle> call;  // in-flight record-start or forwarded poll
};

// An add waiting for a match, a forward or a backlog write.
struct AddOp {
  Task task;
  bool forwarded = false;  // from a child: sync match only
  TimePoint deadline;
  // OK(true): handed over or dropped as stale; OK(false): persisted (or, for a forwarded add,
  // not matched).
  std::function<void(absl::StatusOr<bool>)> done;
  bool forward_tried = false;
  int sync_attempts = 0;
};
using AddOpPtr = std::shared_ptr<AddOp>;

// A query task: waits for a poller (kWaiting), then for the worker's answer (kDispatched). Never
// persisted; finished exactly once, by the answer, the deadline, Cancel() or an unload.
class QueryOp : public PollHandle, public std::enable_shared_from_this<QueryOp> {
 public:
  enum class State { kNew, kWaiting, kDispatched, kDone };

  QueryOp(std::string query_id, ws::PollWorkflowTaskQueueResponse task, TimePoint answer_by,
          client::Callback<ms::QueryWorkflowResponse> done)
      : query_id(std::move(query_id)),
        task(std::move(task)),
        answer_by(answer_by),
        done(std::move(done)) {}

  void Cancel() override;

  const std::string query_id;
  const ws::PollWorkflowTaskQueueResponse task;
  const TimePoint answer_by;  // time_point::max(): no deadline
  const client::Callback<ms::QueryWorkflowResponse> done;

  // Guarded by the partition's mutex.
  std::weak_ptr<Partition> partition;
  State state = State::kNew;
  std::list<std::shared_ptr<QueryOp>>::iterator list_pos;  // in unclaimed_queries_ (kWaiting)
  std::shared_ptr<Executor::Timer> timer;
};

class Partition : public std::enable_shared_from_this<Partition> {
 public:
  enum class Reason { kRingMoved, kFenced, kIdle, kReleased, kStopped, kLoadFailed };

  Partition(std::shared_ptr<EngineCore> core, persistence::TaskQueueKey key,
            std::string placement_key, temporal::api::enums::v1::TaskQueueKind kind);

  // Leases the backlog range on the blocking executor.
  void Load();
  void Poll(std::shared_ptr<Poller> poller);
  void CancelPoll(const std::shared_ptr<Poller>& poller);
  void Add(AddOpPtr op);
  void Describe(client::Callback<ms::DescribeTaskQueuePartitionResponse> done);
  // Queries: see MatchingEngine::QueryWorkflow / RespondQueryTaskCompleted.
  void Query(std::shared_ptr<QueryOp> query);
  void CancelQuery(const std::shared_ptr<QueryOp>& query);
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
  struct Buffered {
    Task task;
    bool busy = false;  // offered to a poller or forwarded to the root right now
    int failures = 0;
  };
  using BufferIt = std::map<int64_t, Buffered>::iterator;

  bool CanForward() const { return partition_index_ > 0 && !sticky_; }
  void RunBlocking(std::function<void()> fn);

  void OnLeased(absl::StatusOr<persistence::TaskQueueLease> lease);
  void OnPollTimeout(const std::shared_ptr<Poller>& poller);

  // The matching loop: pairs waiting pollers with buffered tasks, forwards idle polls and
  // unclaimed backlog to the root, and keeps the writer, reader and deleter going.
  void MatchLocked(Deferred& after);
  BufferIt NextAvailableLocked();
  std::shared_ptr<Poller> PopWaitingLocked();
  std::shared_ptr<Poller> PopForwardableLocked();
  void MoveAwayLocked(const std::shared_ptr<Poller>& poller, Poller::State state);
  // Puts a poller that was away back in front of the queue (after a failed or stale
  // record-start, or an empty forward), or answers it empty if its time is up.
  void ReturnPollerLocked(const std::shared_ptr<Poller>& poller, Deferred& after);
  // Marks a detached poller done and answers it (after the mutex is released).
  void FinishLocked(const std::shared_ptr<Poller>& poller, Deferred& after,
                    std::function<void(Poller&)> finish);

  // Hands waiting queries to waiting pollers (before any backlog task).
  void DispatchQueriesLocked(Deferred& after);
  void OnQueryTimeout(const std::shared_ptr<QueryOp>& query);
  // Detaches a live query and answers it with `result` (after the mutex is released). Takes
  // `query` by value: the caller's reference may point into queries_, which this erases.
  void FinishQueryLocked(std::shared_ptr<QueryOp> query, Deferred& after,
                         absl::StatusOr<ms::QueryWorkflowResponse> result);

  void StartDispatchLocked(std::shared_ptr<Poller> poller, BufferIt it, Deferred& after);
  void OnDispatchDone(std::shared_ptr<Poller> poller, int64_t task_id, absl::Status status);

  void AddLocked(AddOpPtr op, Deferred& after);
  void StartSyncMatchLocked(std::shared_ptr<Poller> poller, AddOpPtr op, Deferred& after);
  void OnSyncMatchDone(std::shared_ptr<Poller> poller, AddOpPtr op, absl::Status status);

  void StartForwardPollLocked(std::shared_ptr<Poller> poller, Deferred& after);
  void OnForwardPollDone(std::shared_ptr<Poller> poller, absl::Status status, bool has_task);
  // Offers `task` to the root's pollers; done(matched) on a client thread.
  void ForwardTask(const Task& task, TimePoint deadline,
                   std::function<void(absl::StatusOr<bool>)> done);
  void StartForwardBacklogLocked(BufferIt it, Deferred& after);
  void OnForwardBacklogDone(int64_t task_id, absl::StatusOr<bool> matched);

  void MaybeWriteLocked(Deferred& after);
  void WriteBatch(std::vector<AddOpPtr> batch, bool renew, int64_t range_id);
  void OnWriteDone(std::vector<AddOpPtr> batch, absl::Status status);
  void MaybeReadLocked(Deferred& after);
  void OnReadDone(absl::StatusOr<std::vector<persistence::BacklogTask>> tasks);
  void MaybeDeleteLocked(Deferred& after);
  void OnLeaseChecked(absl::Status status);
  void AssignIdsLocked(const std::vector<AddOpPtr>& batch);
  // Sets *paused and clears it (then runs the matching loop) after `delay`.
  void PauseLocked(std::shared_ptr<Executor::Timer>* timer, bool* paused,
                   std::chrono::milliseconds delay);
  void UnloadLocked(Reason reason, absl::Status status, Deferred& after);

  const std::shared_ptr<EngineCore> core_;
  const persistence::TaskQueueKey key_;
  const std::string placement_key_;
  const std::string base_name_;
  const int partition_index_;
  const bool sticky_;
  const temporal::api::enums::v1::TaskQueueKind kind_;

  mutable std::mutex mu_;
  State state_ = State::kLoading;
  absl::Status unload_status_;
  TimePoint last_activity_;
  std::map<std::string, TimePoint> pollers_seen_;  // identity -> last poll
  TimePoint last_poll_end_{};  // when a poll last arrived or was answered (epoch: never)

  // Polls parked here (FIFO) and those away (record-start or forward in flight).
  std::list<std::shared_ptr<Poller>> waiting_;
  std::list<std::shared_ptr<Poller>> away_;
  int forwarded_polls_ = 0;

  // Live queries by id (waiting for a poller or for the answer), and those waiting (FIFO).
  std::unordered_map<std::string, std::shared_ptr<QueryOp>> queries_;
  std::list<std::shared_ptr<QueryOp>> unclaimed_queries_;

  // Backlog lease and task-id allocation.
  int64_t range_id_ = 0;
  int64_t next_seq_ = 0;
  persistence::v1::TaskQueueInfo info_;
  TimePoint last_lease_check_;

  // Writer: one CreateTasks (or lease check) at a time, batching the adds queued meanwhile.
  std::deque<AddOpPtr> pending_writes_;
  bool write_in_flight_ = false;

  // Reader: backlog tasks with id <= read_level_ are in buffer_ or done.
  std::map<int64_t, Buffered> buffer_;
  int64_t read_level_ = 0;
  bool unread_in_db_ = false;
  bool read_in_flight_ = false;
  bool read_paused_ = false;
  std::shared_ptr<Executor::Timer> read_retry_timer_;

  // Deleter: handed-over, stale and expired backlog tasks.
  std::vector<int64_t> pending_deletes_;
  bool delete_in_flight_ = false;

  // Dispatch pause after history errors; backlog forwarding to the root with backoff.
  std::shared_ptr<Executor::Timer> dispatch_backoff_timer_;
  bool dispatch_paused_ = false;
  bool backlog_forward_in_flight_ = false;
  bool backlog_forward_paused_ = false;
  std::chrono::milliseconds backlog_forward_backoff_{0};
  std::shared_ptr<Executor::Timer> backlog_forward_timer_;
};

// NOT_FOUND for RespondQueryTaskCompleted of a query that is not (or no longer) pending.
absl::Status QueryNotFoundError();

// Creates the poller of a poll request; TypedPoller lives in partition.cc.
std::shared_ptr<Poller> NewWorkflowPoller(const ms::PollWorkflowTaskQueueRequest& request,
                                          TimePoint timeout_at, TimePoint rpc_deadline,
                                          client::Callback<ws::PollWorkflowTaskQueueResponse> done);
std::shared_ptr<Poller> NewActivityPoller(const ms::PollActivityTaskQueueRequest& request,
                                          TimePoint timeout_at, TimePoint rpc_deadline,
                                          client::Callback<ws::PollActivityTaskQueueResponse> done);

}  // namespace tern::matching
