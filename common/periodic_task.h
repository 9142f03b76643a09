// PeriodicTask: runs a blocking pass over and over, one at a time, on a blocking executor, with
// the pause before each next pass chosen by the pass itself (re-armed on a timer executor).
// Stop() cancels the next pass and returns once none is running; the task may then be
// destroyed, and a timer that still fires finds it stopped without touching it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "common/executor.h"

namespace tern {

class PeriodicTask {
 public:
  // Returns how long to wait before the next pass.
  using Pass = std::function<std::chrono::milliseconds()>;

  PeriodicTask(Executor& blocking, Executor& timers, Pass pass);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // The first pass runs at once. Idempotent.
  void Start();
  // Idempotent.
  void Stop();

 private:
  // Shared with the timer and executor callbacks, which may run after Stop().
  struct State {
    std::mutex mu;
    std::condition_variable idle;
    bool stopped = true;
    bool running = false;
    std::shared_ptr<Executor::Timer> timer;
  };
  void ArmLocked(std::chrono::milliseconds delay);

  Executor& blocking_;
  Executor& timers_;
  Pass pass_;
  const std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace tern
