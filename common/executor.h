// A fixed pool of threads running posted work and delayed work.
//
// Post() and PostAfter() may be called from any thread. Work runs on one of the pool's threads,
// in no guaranteed order between different posts. A post wakes one sleeping thread, if any; a
// thread that finishes its work takes the next queued item itself, and wakes nobody for the rest
// (each wake-up is a context switch; the threads already awake, or the ones the posts woke, take
// the queue). Delayed work waits in one queue per pool, behind a single alarm set for the
// earliest: cancelling it (what happens to nearly every long-poll deadline) only takes it out of
// the queue and wakes no thread. Its captures are
// released on a pool thread: right after the canceller's work when that thread is the pool's,
// else with others in a batch, at the latest at the next alarm (within a second). Blocking work
// (database calls) belongs on an executor sized to the connection pool; never block a gRPC
// callback thread.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/adaptive_mutex.h"
#include "common/clock.h"

namespace tern {

class Executor {
 public:
  // Cancels delayed work that has not started. Cancel() after the work ran is a no-op.
  class Timer {
   public:
    virtual ~Timer() = default;
    virtual void Cancel() = 0;
  };

  Executor(int threads, std::string name);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Post(std::function<void()> fn);
  // From one of this executor's threads: runs `fn` on this same thread right after the work it
  // is running now returns, ahead of the pool's queue and without waking another thread; a
  // continuation, where Post would hand the work to a sleeping thread and put this one to
  // sleep. From any other thread it is Post.
  void Defer(std::function<void()> fn);
  std::shared_ptr<Timer> PostAfter(std::chrono::nanoseconds delay, std::function<void()> fn);
  // Stops accepting work, drops pending work, posted or delayed (releasing it), and joins the
  // threads. Idempotent.
  void Stop();
  // The executor whose thread is calling, or nullptr on any other thread.
  static Executor* Current();

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  class DelayedWork;
  struct Sleeper;

  void RunThread(Sleeper& me);
  // The delayed work's alarm: the pool runs DelayedWork::OnAlarm once `when` has come (and
  // forgets any earlier setting).
  void SetAlarm(SteadyTime when);
  // Takes a sleeping thread off the idle list to be woken (outside the lock), preferring one
  // that is not keeping the alarm; nullptr if every thread is busy.
  Sleeper* TakeSleeperLocked();

  AdaptiveMutex mu_;  // taken by every post and every thread between works: held briefly
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  std::vector<Sleeper*> idle_;               // guarded by mu_; the latest to sleep last
  Sleeper* timekeeper_ = nullptr;            // guarded by mu_; the sleeper waiting for alarm_
  std::optional<SteadyTime> alarm_;          // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::shared_ptr<DelayedWork> delayed_;
  std::vector<std::unique_ptr<Sleeper>> sleepers_;  // one per thread
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
};

}  // namespace tern
