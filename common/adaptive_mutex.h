// A mutex whose lock() spins for a moment before it sleeps (glibc's adaptive mutex), and the
// condition variable that goes with it.
//
// For locks many threads take for a few instructions at a time, like an executor's queue: a
// thread that finds such a lock held sleeps in the kernel with std::mutex, and is woken at the
// unlock, two context switches for a wait shorter than either. Spinning first lets it take the
// lock once it is released. Not for locks held across slow work: a spinning thread burns its
// core.
#pragma once

#include <pthread.h>

#include <chrono>
#include <ctime>
#include <mutex>

namespace tern {

class AdaptiveMutex {
 public:
  AdaptiveMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&mu_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~AdaptiveMutex() { pthread_mutex_destroy(&mu_); }
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

  void lock() { pthread_mutex_lock(&mu_); }
  bool try_lock() { return pthread_mutex_trylock(&mu_) == 0; }
  void unlock() { pthread_mutex_unlock(&mu_); }
  pthread_mutex_t* native_handle() { return &mu_; }

 private:
  pthread_mutex_t mu_;
};

// std::condition_variable, for an AdaptiveMutex; deadlines on the steady clock.
class AdaptiveCondVar {
 public:
  AdaptiveCondVar() {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);  // std::chrono::steady_clock's
    pthread_cond_init(&cv_, &attr);
    pthread_condattr_destroy(&attr);
  }
  ~AdaptiveCondVar() { pthread_cond_destroy(&cv_); }
  AdaptiveCondVar(const AdaptiveCondVar&) = delete;
  AdaptiveCondVar& operator=(const AdaptiveCondVar&) = delete;

  void notify_one() { pthread_cond_signal(&cv_); }

  template <typename Pred>
  void wait(std::unique_lock<AdaptiveMutex>& lock, Pred ready) {
    while (!ready()) pthread_cond_wait(&cv_, lock.mutex()->native_handle());
  }

  // Returns ready(), once it holds or the deadline has passed.
  template <typename Pred>
  bool wait_until(std::unique_lock<AdaptiveMutex>& lock,
                  std::chrono::steady_clock::time_point deadline, Pred ready) {
    auto since_epoch =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch());
    timespec at{static_cast<time_t>(since_epoch.count() / 1'000'000'000),
                static_cast<long>(since_epoch.count() % 1'000'000'000)};
    while (!ready()) {
      if (pthread_cond_timedwait(&cv_, lock.mutex()->native_handle(), &at) != 0) return ready();
    }
    return true;
  }

 private:
  pthread_cond_t cv_;
};

}  // namespace tern
