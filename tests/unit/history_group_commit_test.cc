// Shard::Persist's group commit: callers that arrive while a transaction of the shard is in
// flight go together in the next transaction, and a member whose write conflicts fails alone.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "services/history/shard.h"
#include "tests/mocks/execution_store.h"
#include "tests/mocks/wait_for.h"

namespace tern::history {
namespace {

constexpr int32_t kShard = 1;

// Forwards to the fake store, holding the first Write until Release(); records the size of each
// Write (one per transaction).
class GatedExecutionStore final : public persistence::ExecutionStore {
 public:
  explicit GatedExecutionStore(std::shared_ptr<persistence::ExecutionStore> inner)
      : inner_(std::move(inner)) {}

  absl::Status Write(int32_t shard_id, int64_t range_id,
                     const std::vector<persistence::WorkflowWrite>& writes) override {
    {
      std::unique_lock lock(mu_);
      transactions_.push_back(writes.size());
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    }
    return inner_->Write(shard_id, range_id, writes);
  }
  void WaitEntered(int n) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(30), [&] { return entered_ >= n; }));
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<size_t> transactions() {
    std::lock_guard lock(mu_);
    return transactions_;
  }

  absl::StatusOr<persistence::CurrentExecution> GetCurrentExecution(
      int32_t shard_id, const std::string& namespace_id, const std::string& workflow_id) override {
    return inner_->GetCurrentExecution(shard_id, namespace_id, workflow_id);
  }
  absl::StatusOr<persistence::ExecutionRecord> GetExecution(int32_t shard_id,
                                                            const std::string& namespace_id,
                                                            const std::string& workflow_id,
                                                            const std::string& run_id) override {
    return inner_->GetExecution(shard_id, namespace_id, workflow_id, run_id);
  }
  absl::StatusOr<std::vector<temporal::api::history::v1::HistoryEvent>> ReadHistory(
      int32_t shard_id, const std::string& namespace_id, const std::string& workflow_id,
      const std::string& run_id, int64_t first_event_id, int64_t next_event_id,
      int max_events) override {
    return inner_->ReadHistory(shard_id, namespace_id, workflow_id, run_id, first_event_id,
                               next_event_id, max_events);
  }
  absl::StatusOr<std::vector<pv1::TransferTask>> LoadTransferTasks(int32_t shard_id,
                                                                   int64_t after_task_id,
                                                                   int limit) override {
    return inner_->LoadTransferTasks(shard_id, after_task_id, limit);
  }
  absl::Status DeleteTransferTasks(int32_t shard_id, const std::vector<int64_t>& ids) override {
    return inner_->DeleteTransferTasks(shard_id, ids);
  }
  absl::StatusOr<std::vector<pv1::TimerTask>> LoadTimerTasks(int32_t shard_id,
                                                             persistence::TimerKey after,
                                                             int64_t until_micros,
                                                             int limit) override {
    return inner_->LoadTimerTasks(shard_id, after, until_micros, limit);
  }
  absl::Status DeleteTimerTasks(int32_t shard_id, const std::vector<int64_t>& ids) override {
    return inner_->DeleteTimerTasks(shard_id, ids);
  }
  absl::StatusOr<bool> DeleteClosedExecution(int32_t shard_id, const std::string& namespace_id,
                                             const std::string& workflow_id,
                                             const std::string& run_id) override {
    return inner_->DeleteClosedExecution(shard_id, namespace_id, workflow_id, run_id);
  }
  absl::StatusOr<int> DeleteNamespaceExecutions(int32_t shard_id, const std::string& namespace_id,
                                                int limit) override {
    return inner_->DeleteNamespaceExecutions(shard_id, namespace_id, limit);
  }

 private:
  std::shared_ptr<persistence::ExecutionStore> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool released_ = false;
  std::vector<size_t> transactions_;
};

// A new run's first write (insert), or with `version` the next write of a run at that version.
std::vector<persistence::WorkflowWrite> RunWrite(const std::string& workflow_id,
                                                 int64_t version = 0) {
  persistence::WorkflowWrite w;
  w.state.set_namespace_id("ns");
  w.state.set_workflow_id(workflow_id);
  w.state.set_run_id("run-" + workflow_id);
  w.state.set_next_event_id(1);
  w.expected_db_record_version = version;
  return {w};
}

class GroupCommitTest : public ::testing::Test {
 protected:
  GroupCommitTest() {
    persistence::Stores stores;
    stores.shards = shard_store_;
    stores.executions = gated_;
    auto lease = shard_store_->AcquireShard(kShard, "self");
    EXPECT_TRUE(lease.ok());
    shard_ = std::make_unique<Shard>(
        kShard, *lease, stores, executor_, SystemClock::Instance(),
        [](Shard&, TransferQueue::TaskRef, TransferQueue::Done done) { done(absl::OkStatus()); },
        [](Shard&, const pv1::TimerTask&) { return absl::OkStatus(); });
    EXPECT_TRUE(shard_->Start().ok());
  }
  ~GroupCommitTest() override {
    shard_->Stop();
    executor_.Stop();
  }

  // Persists `writes` on a thread of its own.
  std::future<absl::Status> PersistAsync(std::vector<persistence::WorkflowWrite> writes) {
    return std::async(std::launch::async, [this, writes = std::move(writes)]() mutable {
      return shard_->Persist(writes);
    });
  }

  Executor executor_{2, "group-commit-test"};
  std::shared_ptr<mocks::FakeShardStore> shard_store_ = std::make_shared<mocks::FakeShardStore>();
  std::shared_ptr<mocks::FakeExecutionStore> executions_ =
      std::make_shared<mocks::FakeExecutionStore>(shard_store_);
  std::shared_ptr<GatedExecutionStore> gated_ = std::make_shared<GatedExecutionStore>(executions_);
  std::unique_ptr<Shard> shard_;
};

TEST_F(GroupCommitTest, CallersWaitingForATransactionShareTheNextOne) {
  auto first = PersistAsync(RunWrite("wf-1"));
  gated_->WaitEntered(1);
  auto second = PersistAsync(RunWrite("wf-2"));
  auto third = PersistAsync(RunWrite("wf-3"));
  ASSERT_TRUE(
      mocks::WaitFor([&] { return shard_->QueuedWriters() == 2; }, std::chrono::seconds(30)));
  gated_->Release();

  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
  EXPECT_TRUE(third.get().ok());
  EXPECT_EQ(gated_->transactions(), (std::vector<size_t>{1, 2}));
  for (const char* id : {"wf-1", "wf-2", "wf-3"}) {
    auto record = executions_->GetExecution(kShard, "ns", id, std::string("run-") + id);
    EXPECT_TRUE(record.ok()) << id << ": " << record.status();
  }
}

TEST_F(GroupCommitTest, AConflictFailsOnlyTheWriterWhoseWriteConflicts) {
  auto first = PersistAsync(RunWrite("wf-1"));
  gated_->WaitEntered(1);
  auto stale = PersistAsync(RunWrite("wf-missing", /*version=*/7));
  auto good = PersistAsync(RunWrite("wf-2"));
  ASSERT_TRUE(
      mocks::WaitFor([&] { return shard_->QueuedWriters() == 2; }, std::chrono::seconds(30)));
  gated_->Release();

  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(persistence::IsConditionFailed(stale.get()));
  EXPECT_TRUE(good.get().ok());
  // The group's transaction, then each member alone.
  EXPECT_EQ(gated_->transactions(), (std::vector<size_t>{1, 2, 1, 1}));
  EXPECT_TRUE(executions_->GetExecution(kShard, "ns", "wf-2", "run-wf-2").ok());
}

TEST_F(GroupCommitTest, GivesEachCallerItsOwnWritesBack) {
  auto first = PersistAsync(RunWrite("wf-1"));
  gated_->WaitEntered(1);
  std::vector<persistence::WorkflowWrite> mine = RunWrite("wf-2");
  auto second = std::async(std::launch::async, [&] { return shard_->Persist(mine); });
  auto third = PersistAsync(RunWrite("wf-3"));
  ASSERT_TRUE(
      mocks::WaitFor([&] { return shard_->QueuedWriters() == 2; }, std::chrono::seconds(30)));
  gated_->Release();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
  EXPECT_TRUE(third.get().ok());
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].state.workflow_id(), "wf-2");
}

}  // namespace
}  // namespace tern::history
