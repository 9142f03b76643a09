// TimerQueue (services/history/queues.h): only the timers due within the lookahead are held in
// memory; later ones are read from the database as the window reaches them, page by page in
// fire-time order, and every timer fires once. The "database" is a map read the way
// ExecutionStore::LoadTimerTasks reads timer_tasks (its contract suite checks the real one).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "services/history/queues.h"

namespace tern::history {
namespace {

using namespace std::chrono_literals;
using persistence::TimerKey;

template <typename Fn>
bool WaitFor(Fn condition, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class TimerQueueTest : public ::testing::Test {
 protected:
  ~TimerQueueTest() override {
    if (queue_) queue_->Stop();
    blocking_.Stop();
  }

  // A timer due `from_now` from now (negative: overdue), stored as a committed write stores it.
  pv1::TimerTask Store(int64_t task_id, std::chrono::milliseconds from_now) {
    pv1::TimerTask task;
    task.set_task_id(task_id);
    task.set_type(pv1::TimerTask::TYPE_USER_TIMER);
    *task.mutable_fire_time() = ToProto(clock_.Now() + from_now);
    std::lock_guard lock(mu_);
    stored_[TimerKey::Of(task)] = task;
    return task;
  }

  void StartQueue(TimerQueue::Window window) {
    queue_ = std::make_unique<TimerQueue>(
        1, blocking_, clock_,
        [this](const pv1::TimerTask& task) {
          std::lock_guard lock(mu_);
          ++fired_[task.task_id()];
          return absl::OkStatus();
        },
        [this](TimerKey after, int64_t until_micros, int limit) {
          return Load(after, until_micros, limit);
        },
        [this](const std::vector<int64_t>& ids) {
          std::lock_guard lock(mu_);
          std::erase_if(stored_, [&](const auto& e) {
            return std::find(ids.begin(), ids.end(), e.first.task_id) != ids.end();
          });
          return absl::OkStatus();
        },
        TaskObserver{}, window);
    queue_->Start();
  }

  absl::StatusOr<std::vector<pv1::TimerTask>> Load(TimerKey after, int64_t until_micros,
                                                   int limit) {
    std::lock_guard lock(mu_);
    latest_until_ = std::max(latest_until_, until_micros);
    if (failing_loads_ > 0) {
      --failing_loads_;
      return absl::UnavailableError("the database is away");
    }
    ++loads_;
    std::vector<pv1::TimerTask> page;
    for (auto it = stored_.upper_bound(after);
         it != stored_.end() && it->first.fire_micros <= until_micros &&
         static_cast<int>(page.size()) < limit;
         ++it) {
      page.push_back(it->second);
    }
    return page;
  }

  int Fired(int64_t task_id) {
    std::lock_guard lock(mu_);
    return fired_.count(task_id) ? fired_[task_id] : 0;
  }
  size_t FiredCount() {
    std::lock_guard lock(mu_);
    return fired_.size();
  }

  SystemClock clock_;
  Executor blocking_{2, "test-blocking"};
  std::mutex mu_;
  std::map<TimerKey, pv1::TimerTask> stored_;
  std::map<int64_t, int> fired_;
  int failing_loads_ = 0;
  int loads_ = 0;
  int64_t latest_until_ = TimerKey::kMinFireMicros;
  std::unique_ptr<TimerQueue> queue_;
};

TEST_F(TimerQueueTest, TimersBeyondTheLookaheadStayInTheDatabaseUntilTheWindowReachesThem) {
  Store(1, -1s);  // overdue
  Store(2, 300ms);
  Store(3, 1500ms);  // beyond the first window
  Store(4, 10min);   // far beyond any window this test sees
  StartQueue({.lookahead = 1s});

  ASSERT_TRUE(WaitFor([&] { return Fired(1) == 1 && Fired(2) == 1; }));
  ASSERT_TRUE(WaitFor([&] { return Fired(3) == 1; })) << "a timer read when the window moved";
  EXPECT_EQ(Fired(4), 0);
  EXPECT_EQ(queue_->size(), 0u) << "the far timer is held in memory";
  std::lock_guard lock(mu_);
  EXPECT_LT(latest_until_, TimerKey::Of(stored_.rbegin()->second).fire_micros)
      << "a read reached ten minutes ahead";
}

TEST_F(TimerQueueTest, ManyOverdueTimersAreReadInPagesAndEachFiresOnce) {
  // Task ids against fire order: paging by task id would skip most of them.
  constexpr int kTimers = 2500;
  for (int i = 0; i < kTimers; ++i) Store(kTimers - i, -std::chrono::milliseconds(kTimers - i));
  StartQueue({.lookahead = 60s, .page = 100, .max_loaded = 300});

  size_t most_held = 0;
  ASSERT_TRUE(WaitFor([&] {
    most_held = std::max(most_held, queue_->size());
    return FiredCount() == static_cast<size_t>(kTimers);
  })) << FiredCount()
      << " of " << kTimers << " fired";
  for (int id = 1; id <= kTimers; ++id) EXPECT_EQ(Fired(id), 1) << "timer " << id;
  EXPECT_LE(most_held, 400u) << "the queue held more than max_loaded plus a page";
  std::lock_guard lock(mu_);
  EXPECT_GE(loads_, kTimers / 100);
}

TEST_F(TimerQueueTest, AWriteDueSoonIsHeldAndALaterOneIsReadWhenItsTimeComes) {
  StartQueue({.lookahead = 1s});
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu_);
    return loads_ > 0;
  }));
  queue_->Add({Store(1, 200ms), Store(2, 1800ms)});
  EXPECT_EQ(queue_->size(), 1u) << "only the timer inside the window is held";
  ASSERT_TRUE(WaitFor([&] { return Fired(1) == 1; }));
  ASSERT_TRUE(WaitFor([&] { return Fired(2) == 1; })) << "the later timer was never read";
}

TEST_F(TimerQueueTest, AFailedReadIsRetried) {
  Store(1, -10ms);
  {
    std::lock_guard lock(mu_);
    failing_loads_ = 2;
  }
  StartQueue({.lookahead = 60s, .retry = 50ms});
  ASSERT_TRUE(WaitFor([&] { return Fired(1) == 1; }));
}

}  // namespace
}  // namespace tern::history
