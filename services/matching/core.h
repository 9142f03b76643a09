// Internal to tern::matching: what the engine shares with its partitions and their parts
// (backlog, forwarder, query dispatcher), and the small types they pass around.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "services/matching/matching_engine.h"

namespace tern::matching {

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

// What a backlog needs: the store and the executors. The executors and the clock outlive the
// engine and every call it has in flight (MatchingEngine::Create).
struct BacklogEnv {
  EngineOptions options;
  std::shared_ptr<persistence::TaskStore> store;
  Executor& blocking;
  Executor& timers;
  const Clock& clock;
  std::shared_ptr<OpTracker> tracker = std::make_shared<OpTracker>();

  // Runs `fn` on the blocking executor; Stop() waits for it.
  void RunBlocking(std::function<void()> fn) const {
    blocking.Post([token = tracker->Begin(), fn = std::move(fn)] { fn(); });
  }
};

// What the engine shares with its partitions: the backlog's needs plus the RPC clients.
struct EngineCore : BacklogEnv {
  client::HistoryClient& history;
  client::MatchingClient& matching;
  // Called (outside partition locks) after a partition unloaded.
  std::function<void(Partition*, bool fenced)> on_unloaded;
};

// Work to run once a mutex is released: declare it before the lock_guard.
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

// The task's schedule-to-start deadline is set.
bool HasExpiry(const persistence::v1::MatchingTask& task);

// ShardOwnershipLost without an owner hint: the caller refreshes the ring and retries.
absl::Status OwnershipLost();

}  // namespace tern::matching
