#include "common/periodic_task.h"

#include <utility>

namespace tern {

PeriodicTask::PeriodicTask(Executor& blocking, Executor& timers, Pass pass)
    : blocking_(blocking), timers_(timers), pass_(std::move(pass)) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  std::lock_guard lock(state_->mu);
  if (!state_->stopped) return;
  state_->stopped = false;
  ArmLocked(std::chrono::milliseconds(0));
}

void PeriodicTask::Stop() {
  std::unique_lock lock(state_->mu);
  state_->stopped = true;
  if (state_->timer) state_->timer->Cancel();
  state_->idle.wait(lock, [this] { return !state_->running; });
}

void PeriodicTask::ArmLocked(std::chrono::milliseconds delay) {
  // The callbacks touch `this` only while not stopped: Stop() cannot return meanwhile.
  auto state = state_;
  state->timer = timers_.PostAfter(delay, [this, state] {
    blocking_.Post([this, state] {
      {
        std::lock_guard lock(state->mu);
        if (state->stopped || state->running) return;
        state->running = true;
      }
      std::chrono::milliseconds next = pass_();
      std::lock_guard lock(state->mu);
      state->running = false;
      if (!state->stopped) ArmLocked(next);
      state->idle.notify_all();
    });
  });
}

}  // namespace tern
