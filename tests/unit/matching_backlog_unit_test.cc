// Backlog (services/matching/backlog.h) alone, against the in-memory TaskStore: lease, writes,
// reading back in id order, fencing, ack/delete, release, expiry.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>

#include "services/matching/backlog.h"
#include "tests/unit/matching_test_util.h"

namespace tern::matching {
namespace {

using namespace testing;  // NOLINT: the test doubles
using ::testing::Test;
namespace enums = temporal::api::enums::v1;

constexpr int kWorkflow = enums::TASK_QUEUE_TYPE_WORKFLOW;
constexpr char kNs[] = "ns-1";
constexpr char kQueue[] = "queue";

class BacklogTest : public Test {
 protected:
  BacklogTest()
      : blocking_(2, "test-blocking"),
        timers_(1, "test-timers"),
        store_(std::make_shared<InMemoryTaskStore>()) {
    options_.lease_check_interval = std::chrono::milliseconds(0);
  }

  ~BacklogTest() override {
    for (auto& b : backlogs_) {
      Deferred after;
      b->Close(absl::CancelledError("test over"), after);
    }
    blocking_.Stop();
    timers_.Stop();
  }

  struct Events {
    std::atomic<int> loaded{0};
    std::atomic<int> load_failed{0};
    std::atomic<int> tasks_available{0};
    std::atomic<int> fenced{0};
  };

  // Hooks may run until the executors stop, so the fixture owns what they record.
  Events& NewEvents() { return events_.emplace_back(); }

  std::shared_ptr<Backlog> NewBacklog(Events& events) {
    auto env =
        std::make_shared<BacklogEnv>(BacklogEnv{options_, store_, blocking_, timers_, clock_});
    Backlog::Hooks hooks{
        .loaded = [&events](absl::Status st) { ++(st.ok() ? events.loaded : events.load_failed); },
        .tasks_available = [&events] { ++events.tasks_available; },
        .fenced = [&events] { ++events.fenced; },
    };
    persistence::TaskQueueKey key{kNs, kQueue, kWorkflow};
    auto backlog = std::make_shared<Backlog>(env, key, std::make_shared<PartitionLog>(nullptr, key),
                                             enums::TASK_QUEUE_KIND_NORMAL, std::move(hooks));
    backlogs_.push_back(backlog);
    return backlog;
  }

  std::shared_ptr<Backlog> LoadedBacklog(Events& events) {
    auto backlog = NewBacklog(events);
    backlog->Load();
    EXPECT_TRUE(WaitFor([&] { return events.loaded == 1; })) << "the lease was not taken";
    return backlog;
  }

  // Writes a task for `workflow_id`; the result holds the write's answer.
  std::shared_ptr<Result<bool>> Write(Backlog& backlog, const std::string& workflow_id,
                                      TimePoint expiry = {}) {
    auto result = NewResult<bool>();
    auto op = std::make_shared<AddOp>();
    op->task.info.set_namespace_id(kNs);
    op->task.info.set_workflow_id(workflow_id);
    op->task.info.set_scheduled_event_id(2);
    if (expiry != TimePoint{}) *op->task.info.mutable_expiry_time() = ToProto(expiry);
    op->done = result->Callback();
    Deferred after;
    backlog.Write(op, after);
    return result;
  }

  static void ExpectWritten(const std::shared_ptr<Result<bool>>& result) {
    auto r = result->Wait();
    ASSERT_TRUE(r.has_value()) << "the write did not answer";
    ASSERT_TRUE(r->ok()) << r->status();
    EXPECT_FALSE(**r) << "a write answers matched=false";
  }

  // Claims every task the backlog hands out (waiting for reads), acking each.
  std::vector<Task> DrainInOrder(Backlog& backlog, size_t expected) {
    std::vector<Task> out;
    WaitFor([&] {
      while (auto task = backlog.Claim()) {
        out.push_back(*task);
        backlog.Ack(task->task_id);
      }
      return out.size() >= expected;
    });
    return out;
  }

  size_t Persisted() { return store_->Count(kNs, kQueue, kWorkflow); }

  EngineOptions options_;
  Executor blocking_;
  Executor timers_;
  ManualClock clock_;
  std::shared_ptr<InMemoryTaskStore> store_;
  std::deque<Events> events_;
  std::vector<std::shared_ptr<Backlog>> backlogs_;
};

TEST_F(BacklogTest, WritesAreHandedOutInOrderAndDeletedOnAck) {
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  for (int i = 0; i < 5; ++i) ExpectWritten(Write(*backlog, "wf-" + std::to_string(i)));
  EXPECT_EQ(Persisted(), 5u);
  EXPECT_GT(events.tasks_available.load(), 0);

  auto tasks = DrainInOrder(*backlog, 5);
  ASSERT_EQ(tasks.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(tasks[i].info.workflow_id(), "wf-" + std::to_string(i));
    if (i > 0) {
      EXPECT_GT(tasks[i].task_id, tasks[i - 1].task_id);
    }
  }
  EXPECT_TRUE(WaitFor([&] { return Persisted() == 0; })) << "acked tasks were not deleted";
  EXPECT_TRUE(WaitFor([&] { return backlog->Idle(); }));
}

TEST_F(BacklogTest, TheNextOwnerReadsBackEverythingNotDeletedInIdOrder) {
  options_.read_batch = 2;  // several reads
  auto& first_events = NewEvents();
  auto first = LoadedBacklog(first_events);
  for (int i = 0; i < 7; ++i) ExpectWritten(Write(*first, "wf-" + std::to_string(i)));
  auto taken = first->Claim();
  ASSERT_TRUE(taken.has_value());
  first->Ack(taken->task_id);
  ASSERT_TRUE(WaitFor([&] { return Persisted() == 6; }));

  auto& events = NewEvents();
  auto second = LoadedBacklog(events);
  auto tasks = DrainInOrder(*second, 6);
  ASSERT_EQ(tasks.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(tasks[i].info.workflow_id(), "wf-" + std::to_string(i + 1));
  EXPECT_TRUE(WaitFor([&] { return Persisted() == 0; }));
}

TEST_F(BacklogTest, ASmallBufferStillHandsOutEveryTaskInOrder) {
  options_.buffer_capacity = 4;
  options_.read_batch = 3;
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  for (int i = 0; i < 12; ++i) ExpectWritten(Write(*backlog, "wf-" + std::to_string(i)));

  auto tasks = DrainInOrder(*backlog, 12);
  ASSERT_EQ(tasks.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(tasks[i].info.workflow_id(), "wf-" + std::to_string(i));
}

TEST_F(BacklogTest, AWriteAfterTheRangeMovedFailsWithOwnershipLostAndFences) {
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  store_->StealLease(kNs, kQueue, kWorkflow);

  auto r = Write(*backlog, "wf-1")->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(IsShardOwnershipLost(r->status())) << r->status();
  EXPECT_TRUE(WaitFor([&] { return events.fenced == 1; }));
  EXPECT_EQ(Persisted(), 0u);

  // Closed now: later writes are refused the same way, and fenced is not reported again.
  auto later = Write(*backlog, "wf-2")->Wait();
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE(IsShardOwnershipLost(later->status())) << later->status();
  EXPECT_EQ(events.fenced.load(), 1);
  EXPECT_EQ(Persisted(), 0u);
}

TEST_F(BacklogTest, ALeaseCheckNoticesANewOwner) {
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  backlog->MaybeCheckLease(clock_.Now());
  ASSERT_TRUE(WaitFor([&] { return backlog->Idle(); }));
  EXPECT_EQ(events.fenced.load(), 0) << "our own lease is still valid";

  store_->StealLease(kNs, kQueue, kWorkflow);
  backlog->MaybeCheckLease(clock_.Now());
  EXPECT_TRUE(WaitFor([&] { return events.fenced == 1; }));
}

TEST_F(BacklogTest, WritesQueuedBeforeTheLeaseWaitForIt) {
  auto& events = NewEvents();
  auto backlog = NewBacklog(events);
  auto result = Write(*backlog, "wf-1");
  EXPECT_FALSE(result->Wait(std::chrono::milliseconds(50)).has_value())
      << "a write answered before the lease was taken";
  backlog->Load();
  ExpectWritten(result);
  EXPECT_EQ(Persisted(), 1u);
}

TEST_F(BacklogTest, CloseFailsQueuedWritesWithItsStatus) {
  auto& events = NewEvents();
  auto backlog = NewBacklog(events);  // never loaded: the write stays queued
  auto result = Write(*backlog, "wf-1");
  {
    Deferred after;
    backlog->Close(absl::UnavailableError("closing"), after);
  }
  auto r = result->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Persisted(), 0u);
}

TEST_F(BacklogTest, AReleasedTaskIsOfferedAgainAndAHeldOneIsSkipped) {
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  ExpectWritten(Write(*backlog, "wf-1"));
  ExpectWritten(Write(*backlog, "wf-2"));

  auto first = backlog->Claim();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->info.workflow_id(), "wf-1");
  auto second = backlog->Claim();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->info.workflow_id(), "wf-2") << "a held task was handed out twice";
  EXPECT_FALSE(backlog->Claim().has_value());

  backlog->Release(first->task_id, absl::UnavailableError("history is down"));
  auto again = backlog->Claim();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->task_id, first->task_id);
  EXPECT_EQ(Persisted(), 2u) << "a released task must stay in the database";
}

TEST_F(BacklogTest, ATaskRejectedFiveTimesIsDroppedButRetryableErrorsKeepIt) {
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  ExpectWritten(Write(*backlog, "wf-1"));

  for (int i = 0; i < 10; ++i) {
    auto task = backlog->Claim();
    ASSERT_TRUE(task.has_value());
    backlog->Release(task->task_id, absl::UnavailableError("retryable"));
  }
  for (int i = 0; i < 4; ++i) {
    auto task = backlog->Claim();
    ASSERT_TRUE(task.has_value()) << "dropped after " << i << " non-retryable failures";
    backlog->Release(task->task_id, absl::InvalidArgumentError("bad task"));
  }
  auto task = backlog->Claim();
  ASSERT_TRUE(task.has_value());
  backlog->Release(task->task_id, absl::InvalidArgumentError("bad task"));
  EXPECT_FALSE(backlog->Claim().has_value());
  EXPECT_TRUE(WaitFor([&] { return Persisted() == 0; })) << "the dropped task was not deleted";
}

TEST_F(BacklogTest, AFailedDeleteIsTriedAgainAndItsRowsAreNotCountedMeanwhile) {
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  for (int i = 0; i < 3; ++i) ExpectWritten(Write(*backlog, "wf-" + std::to_string(i)));
  store_->FailNextDeletes(2);  // the database is away for the first two tries
  ASSERT_EQ(DrainInOrder(*backlog, 3).size(), 3u);

  auto count = NewResult<int64_t>();
  backlog->CountTasks(count->Callback());
  auto counted = count->Wait();
  ASSERT_TRUE(counted.has_value() && counted->ok());
  EXPECT_EQ(**counted, 0) << "done tasks counted as backlog";
  EXPECT_TRUE(WaitFor([&] { return Persisted() == 0; }, std::chrono::seconds(10)))
      << "the rows of a failed delete stayed behind";
  EXPECT_TRUE(WaitFor([&] { return backlog->Idle(); }));
}

TEST_F(BacklogTest, ExpiredTasksAreDroppedAndDeleted) {
  auto& events = NewEvents();
  auto backlog = LoadedBacklog(events);
  ExpectWritten(Write(*backlog, "wf-expiring", clock_.Now() + std::chrono::seconds(5)));
  ExpectWritten(Write(*backlog, "wf-forever"));

  clock_.Advance(std::chrono::seconds(10));
  auto task = backlog->Claim();
  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->info.workflow_id(), "wf-forever");
  EXPECT_TRUE(WaitFor([&] { return Persisted() == 1; })) << "the expired task was not deleted";
}

}  // namespace
}  // namespace tern::matching
