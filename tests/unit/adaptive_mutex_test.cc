// AdaptiveMutex and AdaptiveCondVar (common/adaptive_mutex.h): mutual exclusion, and waits that
// end on a notify with the predicate true, or at the deadline.
#include "common/adaptive_mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace tern {
namespace {

TEST(AdaptiveMutexTest, ThreadsIncrementingUnderTheLockLoseNoIncrement) {
  AdaptiveMutex mu;
  long counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        std::lock_guard lock(mu);
        ++counter;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter, 400000);
}

TEST(AdaptiveCondVarTest, AWaitEndsOnceANotifyFindsThePredicateTrue) {
  AdaptiveMutex mu;
  AdaptiveCondVar cv;
  bool ready = false;
  std::thread notifier([&] {
    {
      std::lock_guard lock(mu);
      ready = true;
    }
    cv.notify_one();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return ready; });
  EXPECT_TRUE(ready);
  lock.unlock();
  notifier.join();
}

TEST(AdaptiveCondVarTest, ATimedWaitReturnsFalseAtItsDeadlineAndTrueWhenReady) {
  AdaptiveMutex mu;
  AdaptiveCondVar cv;
  std::unique_lock lock(mu);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  EXPECT_FALSE(cv.wait_until(lock, deadline, [] { return false; }));
  EXPECT_GE(std::chrono::steady_clock::now(), deadline) << "returned before its deadline";
  bool ready = false;
  std::thread notifier([&] {
    {
      std::lock_guard notify_lock(mu);
      ready = true;
    }
    cv.notify_one();
  });
  EXPECT_TRUE(cv.wait_until(lock, std::chrono::steady_clock::now() + std::chrono::hours(1),
                            [&] { return ready; }));
  lock.unlock();
  notifier.join();
}

}  // namespace
}  // namespace tern
