// A fixed pool of threads running posted work and delayed work (boost::asio underneath).
//
// Post() and PostAfter() may be called from any thread. Work runs on one of the pool's threads,
// in no guaranteed order between different posts. Delayed work waits in one queue per pool,
// behind a single alarm set for the earliest: cancelling it (what happens to nearly every
// long-poll deadline) only takes it out of the queue and wakes no thread. Its captures are
// released on a pool thread: right after the canceller's work when that thread is the pool's,
// else with others in a batch, at the latest at the next alarm (within a second). Blocking work
// (database calls) belongs on an executor sized to the connection pool; never block a gRPC
// callback thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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
  // Stops accepting work, drops pending delayed work (releasing it) and joins the threads.
  // Idempotent.
  void Stop();
  boost::asio::io_context& io_context() { return io_; }

  // The executor whose thread is calling, or nullptr on any other thread.
  static Executor* Current();

 private:
  class DelayedWork;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::shared_ptr<DelayedWork> delayed_;  // after io_: its alarm is destroyed first
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
};

}  // namespace tern
