// Internal to tern::matching: the persisted backlog of one partition. It owns the range lease
// and task-id allocation, the writer (CreateTasks in batches), the reader (GetTasks in id order
// into an in-memory buffer) and the deleter (DeleteTasks of handed-over, stale and expired
// tasks). Its owner (the partition) decides who gets the buffered tasks.
//
// Contract:
//   - Fencing: Load() leases the partition (LeaseTaskQueue bumps range_id). Every write and
//     lease check carries that range_id; a FencingError (another host leased it since) closes
//     the backlog and calls hooks.fenced once. Task ids are (range_id << 20) + seq; when a lease's
//     ids are used up the writer checks its lease and leases again.
//   - Threading: every method may be called from any thread and never blocks. The backlog has
//     its own mutex; no store call, hook or callback runs under it. Callers may hold their own
//     mutex while calling in (lock order: owner, then backlog); hooks run with no lock held.
//     Store calls run on the blocking executor, the read-retry timer on the timer executor.
//   - Write(op): op->done runs exactly once, outside every lock: OK(false) once CreateTasks
//     committed, the close status after Close() (ShardOwnershipLost when fenced), the store's
//     error otherwise. Writes queued before the lease is taken wait for it.
//   - Claim() hands out the oldest buffered task nobody holds (expired ones are deleted on the
//     way); each claim ends with exactly one Ack() (delete it) or Release() (offer it again).
//   - After a restart the next owner reads every task not deleted: a crash loses nothing.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/matching/core.h"
#include "services/matching/partition_log.h"

namespace tern::matching {

class Backlog : public std::enable_shared_from_this<Backlog> {
 public:
  struct Hooks {
    // Once per Load(): OK when the lease is taken, else the store's error.
    std::function<void(absl::Status)> loaded;
    // Tasks were buffered (written or read back): the owner may Claim() them.
    std::function<void()> tasks_available;
    // Another host leased the partition: the backlog is closed. At most once.
    std::function<void()> fenced;
  };

  // `log` writes the partition's log lines.
  Backlog(std::shared_ptr<const BacklogEnv> env, persistence::TaskQueueKey key,
          std::shared_ptr<const PartitionLog> log, temporal::api::enums::v1::TaskQueueKind kind,
          Hooks hooks);

  // Leases the partition on the blocking executor, then reads the backlog left behind.
  void Load();
  // Queues `op->task` for the writer; op->task.task_id is assigned when its batch is written.
  // A closed backlog answers through `after`.
  void Write(AddOpPtr op, Deferred& after);

  // The oldest buffered task nobody holds, now held by the caller; nullopt if none.
  std::optional<Task> Claim();
  // Whether Claim() would return a task (drops expired tasks like Claim()).
  bool HasUnclaimed();
  // The held task was handed over, dropped as stale or matched elsewhere: delete it.
  void Ack(int64_t task_id);
  // The held task stays in the backlog and is offered again. `failure` is the error that made
  // the hand-over fail (OK: just not taken); a task failing five times with a non-retryable
  // error is dropped with an error log rather than blocking the queue forever.
  void Release(int64_t task_id, const absl::Status& failure);

  // Re-checks the lease (UpdateTaskQueue with our range_id) if `lease_check_interval` passed
  // since the last check and the writer is free.
  void MaybeCheckLease(TimePoint now);
  // Nothing buffered, queued, unread or in flight.
  bool Idle() const;
  // The approximate backlog for metrics: the persisted tasks (counted at load, then kept up to
  // date by this host's writes and deletes) and when the oldest buffered one was created.
  struct Stats {
    int64_t count = 0;
    std::optional<TimePoint> oldest_created;
  };
  Stats GetStats() const;
  // Counts the persisted tasks that are not done yet (rows waiting for their batched delete
  // left out) on the blocking executor; `done` runs once there.
  void CountTasks(client::Callback<int64_t> done);
  // Fails queued writes with `status` (through `after`) and drops the buffer; tasks stay in the
  // database. Deletes already decided still run. Idempotent.
  void Close(absl::Status status, Deferred& after);

 private:
  enum class State { kLoading, kLoaded, kClosed };
  struct Buffered {
    Task task;
    bool held = false;  // claimed by the owner right now
    int failures = 0;
  };
  using BufferIt = std::map<int64_t, Buffered>::iterator;

  void OnLeased(absl::StatusOr<persistence::TaskQueueLease> lease, int64_t persisted);
  // Queues a buffered task's row for deletion.
  void DeleteLocked(int64_t task_id);
  BufferIt NextUnclaimedLocked();
  // Starts the writer, reader and deleter if they have work.
  void PumpLocked();
  void MaybeWriteLocked();
  void AssignIdsLocked(const std::vector<AddOpPtr>& batch);
  void WriteBatch(std::vector<AddOpPtr> batch, bool renew, int64_t range_id);
  void OnWriteDone(std::vector<AddOpPtr> batch, absl::Status status);
  void MaybeReadLocked();
  void OnReadDone(absl::StatusOr<std::vector<persistence::BacklogTask>> tasks);
  void MaybeDeleteLocked();
  void OnDeleteDone(std::vector<int64_t> ids, absl::Status status);
  void OnLeaseChecked(absl::Status status);
  void CloseLocked(absl::Status status, Deferred& after);
  // After a fencing error: calls hooks_.fenced, fails `batch`, closes (all through `after`).
  void FencedLocked(const std::vector<AddOpPtr>& batch, Deferred& after);

  const std::shared_ptr<const BacklogEnv> env_;
  const persistence::TaskQueueKey key_;
  const std::shared_ptr<const PartitionLog> log_;
  const temporal::api::enums::v1::TaskQueueKind kind_;
  const Hooks hooks_;

  mutable std::mutex mu_;
  State state_ = State::kLoading;
  absl::Status close_status_;

  // Lease and task-id allocation.
  int64_t range_id_ = 0;
  int64_t next_seq_ = 0;
  persistence::v1::TaskQueueInfo info_;
  TimePoint last_lease_check_;

  // Writer: one CreateTasks (or lease check) at a time, batching the writes queued meanwhile.
  std::deque<AddOpPtr> pending_writes_;
  bool write_in_flight_ = false;

  // Reader: tasks with id <= read_level_ are in buffer_ or done.
  std::map<int64_t, Buffered> buffer_;
  int64_t read_level_ = 0;
  bool unread_in_db_ = false;
  bool read_in_flight_ = false;
  bool read_paused_ = false;
  std::shared_ptr<Executor::Timer> read_retry_timer_;

  // Deleter: done tasks are deleted in batches, once kDeleteBatch are pending or the oldest has
  // waited kDeleteLinger (a row deleted late is harmless: a task offered again is dropped as
  // already started), and at once when the backlog closes.
  std::vector<int64_t> pending_deletes_;
  int64_t approximate_count_ = 0;
  bool delete_in_flight_ = false;
  int64_t deleting_ = 0;  // ids of the delete in flight
  bool delete_due_ = false;
  bool delete_failed_ = false;  // the last delete failed: wait kDeleteLinger before the next
  std::shared_ptr<Executor::Timer> delete_timer_;
};

}  // namespace tern::matching
