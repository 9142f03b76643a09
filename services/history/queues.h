// Per-shard task queues. Tasks arrive in memory right after the transaction that produced them
// commits (no polling), and from the database: transfer tasks when the shard is acquired
// (recovery), timer tasks as their fire time comes near (TimerQueue). Executed tasks are deleted
// in batches; whatever a crash leaves behind runs again, so every task executor is idempotent
// (it checks the mutable state before acting).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/executor.h"
#include "persistence/store.h"

namespace tern::history {

namespace pv1 = tern::persistence::v1;

// What the queues report for metrics (the history service records them): every attempt of a
// task, and each queue's lag. The queues log failed attempts themselves, naming the namespace
// through `namespace_name` (by its id when that is unset or does not know it).
struct TaskObserver {
  struct Attempt {
    const std::string& namespace_name;  // "" when not known
    const std::string& task_type;       // TransferActivityTask, TimerUserTimer, ...
    int attempt;                        // 1 for the first
    std::chrono::duration<double> latency;
    bool ok;
  };
  std::function<void(const Attempt&)> attempt;
  std::function<std::string(const std::string& namespace_id)> namespace_name;
  // "transfer": tasks added but not yet done, at each completion; "timer": seconds a due task
  // waited past its fire time.
  std::function<void(const char* category, double lag)> lag;
};

// Deletes executed task rows in batches, off the hot path.
class TaskDeleter {
 public:
  using DeleteFn = std::function<absl::Status(const std::vector<int64_t>&)>;
  TaskDeleter(Executor& blocking, DeleteFn fn) : blocking_(blocking), delete_(std::move(fn)) {}
  void Completed(int64_t task_id);
  void Stop();

 private:
  void ScheduleFlushLocked();
  void Flush();
  Executor& blocking_;
  DeleteFn delete_;
  std::mutex mu_;
  std::vector<int64_t> pending_;
  bool flush_scheduled_ = false;
  bool stopped_ = false;
};

// Executes transfer tasks as soon as they arrive. `execute` is asynchronous: it calls `done`
// exactly once with the outcome; failures are retried with backoff.
class TransferQueue {
 public:
  using Done = std::function<void(absl::Status)>;
  // One copy of a task, shared by its attempts and the callbacks of each.
  using TaskRef = std::shared_ptr<const pv1::TransferTask>;
  using ExecuteFn = std::function<void(TaskRef, Done)>;
  TransferQueue(int32_t shard_id, Executor& blocking, ExecuteFn execute,
                TaskDeleter::DeleteFn delete_fn, TaskObserver observer = {});
  ~TransferQueue();
  void Add(const std::vector<pv1::TransferTask>& tasks);
  void Stop();

 private:
  void Run(TaskRef task, int attempt);
  const int32_t shard_id_;
  Executor& blocking_;
  ExecuteFn execute_;
  TaskDeleter deleter_;
  const TaskObserver observer_;
  std::atomic<int64_t> outstanding_{0};
  std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
};

// How much of its timers a TimerQueue reads ahead and holds.
struct TimerWindow {
  std::chrono::milliseconds lookahead{60000};
  int page = 1000;
  size_t max_loaded = 10000;
  std::chrono::milliseconds retry{1000};  // after a failed read
};

// Executes timer tasks when they are due, in (fire_time, task_id) order; `execute` runs on the
// blocking executor and may block. Only the timers due within `lookahead` are held in
// memory: the rest stay in the database and are read, page by page in (fire time, task id) order,
// as the window moves forward (every lookahead / 2), so a shard with a million timers hours away
// holds none of them, and a shard acquired with many overdue timers holds at most about
// `max_loaded` at a time.
class TimerQueue {
 public:
  using ExecuteFn = std::function<absl::Status(const pv1::TimerTask&)>;
  // ExecutionStore::LoadTimerTasks for this shard.
  using LoadFn = std::function<absl::StatusOr<std::vector<pv1::TimerTask>>(
      persistence::TimerKey after, int64_t until_micros, int limit)>;
  using Window = TimerWindow;

  TimerQueue(int32_t shard_id, Executor& blocking, const Clock& clock, ExecuteFn execute,
             LoadFn load, TaskDeleter::DeleteFn delete_fn, TaskObserver observer = {},
             Window window = {});
  ~TimerQueue();
  // Starts reading the timers due within the lookahead (on the blocking executor).
  void Start();
  // Timers of a committed write: held if due within the window read so far; later ones are read
  // from the database when the window reaches them.
  void Add(const std::vector<pv1::TimerTask>& tasks);
  void Stop();
  // The timers held in memory.
  size_t size();

 private:
  using Key = persistence::TimerKey;
  // Reads the next page if the window must move or rows of it are still unread (mu_ held).
  void MaybeLoadLocked();
  void OnLoaded(absl::StatusOr<std::vector<pv1::TimerTask>> tasks);
  // Runs MaybeLoadLocked after `delay` unless a wake-up is already set (mu_ held).
  void WakeLoaderLocked(std::chrono::nanoseconds delay);
  void Arm();
  void FireDue();
  void Run(pv1::TimerTask task, int attempt);

  const int32_t shard_id_;
  Executor& blocking_;
  const Clock& clock_;
  ExecuteFn execute_;
  LoadFn load_;
  TaskDeleter deleter_;
  const TaskObserver observer_;
  const Window window_;
  std::mutex mu_;
  std::map<Key, pv1::TimerTask> pending_;
  std::shared_ptr<Executor::Timer> timer_;
  TimePoint armed_for_ = TimePoint::max();
  // The window: every timer due by window_end_ is in pending_, already fired, or (when unread_)
  // in the database after read_to_, waiting for the next page.
  int64_t window_end_ = Key::kMinFireMicros;
  Key read_to_;
  bool unread_ = false;
  bool load_in_flight_ = false;
  std::shared_ptr<Executor::Timer> loader_wake_;
  bool stopped_ = false;
};

}  // namespace tern::history
