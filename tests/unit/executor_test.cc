// Executor (common/executor.h): which thread runs posted and deferred work.
#include "common/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tern {
namespace {

TEST(ExecutorTest, CurrentNamesThePoolOfTheCallingThread) {
  Executor executor(2, "exec-test");
  EXPECT_EQ(Executor::Current(), nullptr) << "the test's own thread belongs to no pool";
  std::promise<Executor*> seen;
  executor.Post([&] { seen.set_value(Executor::Current()); });
  EXPECT_EQ(seen.get_future().get(), &executor);
}

TEST(ExecutorTest, DeferredWorkRunsOnTheSameThreadOnceTheCurrentWorkReturns) {
  Executor executor(4, "exec-test");
  std::atomic<bool> outer_returned{false};
  std::promise<std::thread::id> outer_thread;
  std::promise<std::pair<std::thread::id, bool>> deferred;
  executor.Post([&] {
    outer_thread.set_value(std::this_thread::get_id());
    executor.Defer([&] {
      deferred.set_value({std::this_thread::get_id(), outer_returned.load()});
    });
    outer_returned = true;  // the deferred work cannot have started: it waits for this return
  });
  auto [thread, after_return] = deferred.get_future().get();
  EXPECT_EQ(thread, outer_thread.get_future().get());
  EXPECT_TRUE(after_return);
}

// Deferred work does not go through the pool's queue (a thread that takes work from a queue
// holding more wakes another thread): it runs right after the work that deferred it, ahead of
// work posted earlier.
TEST(ExecutorTest, DeferredWorkRunsAheadOfWorkPostedBefore) {
  Executor executor(1, "exec-test");
  std::mutex mu;
  std::vector<std::string> order;
  std::promise<void> done;
  auto record = [&](const char* what) {
    std::lock_guard lock(mu);
    order.push_back(what);
  };
  executor.Post([&] {
    executor.Post([&] {
      record("posted");
      done.set_value();
    });
    executor.Defer([&] {
      record("deferred");
      executor.Defer([&] { record("deferred by deferred work"); });
    });
    record("current");
  });
  done.get_future().wait();
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<std::string>{"current", "deferred", "deferred by deferred work",
                                             "posted"}));
}

TEST(ExecutorTest, DeferFromOutsideThePoolIsAPost) {
  Executor executor(1, "exec-test");
  std::promise<Executor*> ran;
  executor.Defer([&] { ran.set_value(Executor::Current()); });
  EXPECT_EQ(ran.get_future().get(), &executor);
}

// Waits (up to 10 s) for `done` to hold.
template <typename Pred>
bool Eventually(Pred done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST(ExecutorTest, DelayedWorkAddedLaterWithAnEarlierDeadlineIsNotHeldBehindTheFirst) {
  Executor executor(2, "exec-test");
  std::atomic<bool> late{false}, early{false};
  auto far = executor.PostAfter(std::chrono::hours(1), [&] { late = true; });
  executor.PostAfter(std::chrono::milliseconds(5), [&] { early = true; });
  EXPECT_TRUE(Eventually([&] { return early.load(); }));
  EXPECT_FALSE(late);
  far->Cancel();
}

// Records the pool of the thread that destroys it.
class ReleasedOn {
 public:
  explicit ReleasedOn(std::promise<Executor*>* seen) : seen_(seen) {}
  ~ReleasedOn() { seen_->set_value(Executor::Current()); }

 private:
  std::promise<Executor*>* seen_;
};

TEST(ExecutorTest, CancelledDelayedWorkNeverRunsAndItsCapturesAreReleasedOnAPoolThread) {
  Executor executor(2, "exec-test");
  std::promise<Executor*> released;
  auto held = std::make_shared<ReleasedOn>(&released);
  std::atomic<bool> cancelled_ran{false}, later_ran{false};
  auto timer =
      executor.PostAfter(std::chrono::milliseconds(20), [&, held] { cancelled_ran = true; });
  executor.PostAfter(std::chrono::milliseconds(40), [&] { later_ran = true; });
  held.reset();
  timer->Cancel();
  // Not inside Cancel, on the canceller's stack (the captures may own whoever cancels), but
  // on one of the pool's threads, at its next alarm (within a second).
  EXPECT_EQ(released.get_future().get(), &executor);
  EXPECT_TRUE(Eventually([&] { return later_ran.load(); }));
  EXPECT_FALSE(cancelled_ran);
  timer->Cancel();  // a second Cancel is a no-op
}

// Many cancels from outside the pool (matching's threads ending long-poll deadlines) are
// released together, without waking a pool thread for each; all of them, on the pool.
TEST(ExecutorTest, WorkCancelledInBulkFromOutsideThePoolIsReleasedOnThePool) {
  Executor executor(2, "exec-test");
  constexpr int kItems = 300;  // more than one release batch, and a partial one after it
  std::mutex mu;
  std::vector<Executor*> released_on;
  class Release {
   public:
    Release(std::mutex* mu, std::vector<Executor*>* seen) : mu_(mu), seen_(seen) {}
    ~Release() {
      std::lock_guard lock(*mu_);
      seen_->push_back(Executor::Current());
    }

   private:
    std::mutex* mu_;
    std::vector<Executor*>* seen_;
  };
  std::atomic<int> ran{0};
  for (int i = 0; i < kItems; ++i) {
    auto held = std::make_shared<Release>(&mu, &released_on);  // the work holds the only ref
    executor.PostAfter(std::chrono::hours(1), [&ran, held = std::move(held)] { ++ran; })->Cancel();
  }
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return released_on.size() == kItems;
  }));
  std::lock_guard lock(mu);
  for (Executor* pool : released_on) EXPECT_EQ(pool, &executor);
  EXPECT_EQ(ran.load(), 0);
}

// A Cancel that comes after the work left the queue but before it started still stops it.
TEST(ExecutorTest, WorkCancelledAfterItCameDueButBeforeItStartedDoesNotRun) {
  Executor executor(1, "exec-test");
  std::promise<void> unblock, go;
  std::promise<void> first_running;
  std::atomic<bool> second_ran{false};
  executor.Post([&] { unblock.get_future().wait(); });  // the pool's only thread is busy
  auto due_by = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
  auto first = executor.PostAfter(std::chrono::milliseconds(1), [&] {
    first_running.set_value();
    go.get_future().wait();
  });
  auto second = executor.PostAfter(std::chrono::milliseconds(2), [&] { second_ran = true; });
  ASSERT_TRUE(Eventually([&] { return std::chrono::steady_clock::now() > due_by; }));
  unblock.set_value();  // the alarm takes both due items: runs the first, queues the second
  first_running.get_future().wait();
  second->Cancel();
  go.set_value();
  std::atomic<bool> after{false};
  executor.PostAfter(std::chrono::milliseconds(5), [&] { after = true; });
  EXPECT_TRUE(Eventually([&] { return after.load(); }));
  EXPECT_FALSE(second_ran);
}

TEST(ExecutorTest, OfManyDelayedItemsExactlyTheOnesNotCancelledRunEachOnce) {
  Executor executor(3, "exec-test");
  constexpr int kItems = 2000;
  std::vector<std::atomic<int>> runs(kItems);
  for (int i = 0; i < kItems; ++i) {
    // Deadlines interleave (10-59 ms, not in the order added) so the alarm is re-set often.
    auto timer = executor.PostAfter(std::chrono::milliseconds(10 + (i * 37) % 50),
                                    [&runs, i] { ++runs[i]; });
    if (i % 2 == 0) timer->Cancel();
  }
  std::atomic<int> ran_after{0};
  EXPECT_TRUE(Eventually([&] {
    int done = 0;
    for (int i = 1; i < kItems; i += 2) done += runs[i].load();
    return done == kItems / 2;
  }));
  executor.PostAfter(std::chrono::milliseconds(60), [&] { ++ran_after; });
  EXPECT_TRUE(Eventually([&] { return ran_after.load() == 1; }));
  for (int i = 0; i < kItems; ++i) EXPECT_EQ(runs[i].load(), i % 2) << "item " << i;
}

TEST(ExecutorTest, StopDropsPendingDelayedWorkAndReleasesIt) {
  auto held = std::make_shared<int>(0);
  std::atomic<bool> ran{false};
  Executor executor(1, "exec-test");
  auto timer = executor.PostAfter(std::chrono::hours(1), [&, held] { ran = true; });
  executor.Stop();
  EXPECT_EQ(held.use_count(), 1);
  EXPECT_FALSE(ran);
  timer->Cancel();  // after Stop: a no-op
  EXPECT_FALSE(executor.PostAfter(std::chrono::milliseconds(0), [&] { ran = true; }) == nullptr);
}

}  // namespace
}  // namespace tern
