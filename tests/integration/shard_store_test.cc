// The PostgreSQL shard store beyond what the execution store contract
// (execution_store_contract.h) covers.
#include <gtest/gtest.h>

#include "tests/integration/postgres_fixture.h"

namespace tern::testing {
namespace {

constexpr int32_t kShard = 3;

class ExecutionStoreTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    auto lease = stores_.shards->AcquireShard(kShard, "host-a");
    ASSERT_TRUE(lease.ok()) << lease.status();
    range_id_ = lease->range_id;
  }
  int64_t range_id_ = 0;
};

TEST_F(ExecutionStoreTest, ShardInfoPersistsAcrossAcquire) {
  persistence::v1::ShardInfo info;
  info.set_shard_id(kShard);
  info.set_transfer_ack_level(42);
  ASSERT_TRUE(stores_.shards->UpdateShardInfo(kShard, range_id_, info).ok());
  auto next = stores_.shards->AcquireShard(kShard, "host-b");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->info.transfer_ack_level(), 42);
  EXPECT_EQ(next->info.owner_host(), "host-b");
  EXPECT_EQ(next->range_id, range_id_ + 1);
}

// The pool repeats a statement whose connection broke; a group of writes that was committed the
// first time (its answer lost) must succeed again without writing twice (schema v5).
TEST_F(ExecutionStoreTest, AWriteRepeatedAfterItsAnswerWasLostIsAppliedOnce) {
  persistence::WorkflowWrite start;
  start.state.set_namespace_id("ns-id");
  start.state.set_workflow_id("wf");
  start.state.set_run_id("run-1");
  start.state.set_next_event_id(2);
  start.current_mode = persistence::CurrentMode::kCreate;
  start.new_events.emplace_back().set_event_id(1);
  start.transfer_tasks.emplace_back().set_task_id(10);
  start.timer_tasks.emplace_back().set_task_id(11);
  auto& store = *stores_.executions;
  ASSERT_TRUE(store.Write(kShard, range_id_, {start}).ok());
  absl::Status repeated = store.Write(kShard, range_id_, {start});
  EXPECT_TRUE(repeated.ok()) << repeated;

  persistence::WorkflowWrite next;
  next.state = start.state;
  next.state.set_next_event_id(3);
  next.expected_db_record_version = 1;
  next.new_events.emplace_back().set_event_id(2);
  next.transfer_tasks.emplace_back().set_task_id(12);
  ASSERT_TRUE(store.Write(kShard, range_id_, {next}).ok());
  repeated = store.Write(kShard, range_id_, {next});
  EXPECT_TRUE(repeated.ok()) << repeated;

  EXPECT_EQ(store.GetExecution(kShard, "ns-id", "wf", "run-1")->db_record_version, 2);
  EXPECT_EQ(store.ReadHistory(kShard, "ns-id", "wf", "run-1", 1, 100, 100)->size(), 2u);
  EXPECT_EQ(store.LoadTransferTasks(kShard, 0, 100)->size(), 2u);
  EXPECT_EQ(store.LoadTimerTasks(kShard, 0, 100)->size(), 1u);

  // Another write from the same version is a conflict, not a repeat.
  next.state.set_next_event_id(4);
  EXPECT_TRUE(persistence::IsConditionFailed(store.Write(kShard, range_id_, {next})));
}

}  // namespace
}  // namespace tern::testing
