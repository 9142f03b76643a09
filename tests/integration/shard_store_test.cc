// The PostgreSQL shard store beyond what the execution store contract
// (execution_store_contract.h) covers.
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "persistence/visibility_store.h"
#include "tests/integration/postgres_fixture.h"
#include "visibility/query.h"

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

// The first write of run "run-1" of workflow "wf": its row, current pointer and first event.
persistence::WorkflowWrite StartOfRunOne() {
  persistence::WorkflowWrite start;
  start.state.set_namespace_id("ns-id");
  start.state.set_workflow_id("wf");
  start.state.set_run_id("run-1");
  start.state.set_next_event_id(2);
  start.current_mode = persistence::CurrentMode::kCreate;
  start.new_events.emplace_back().set_event_id(1);
  return start;
}

// The pool repeats a statement whose connection broke; a group of writes that was committed the
// first time (its answer lost) must succeed again without writing twice (schema v5).
TEST_F(ExecutionStoreTest, AWriteRepeatedAfterItsAnswerWasLostIsAppliedOnce) {
  persistence::WorkflowWrite start = StartOfRunOne();
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
  EXPECT_EQ(store.LoadTimerTasks(kShard, {}, persistence::TimerKey::kMaxFireMicros, 100)->size(),
            1u);

  // Another write from the same version is a conflict, not a repeat.
  next.state.set_next_event_id(4);
  EXPECT_TRUE(persistence::IsConditionFailed(store.Write(kShard, range_id_, {next})));
}

// With PostgreSQL visibility, a write carries its run's visibility row into the same statement;
// a row with an older transition count never replaces a newer one.
TEST_F(ExecutionStoreTest, AWriteUpsertsTheVisibilityRowItCarries) {
  ASSERT_TRUE(stores_.visibility_in_executions);
  auto row = [](int64_t transitions, int32_t status) {
    auto r = std::make_shared<persistence::VisibilityRecord>();
    r->namespace_id = "ns-id";
    r->run_id = "run-1";
    r->workflow_id = "wf";
    r->workflow_type = "Order";
    r->task_queue = "orders";
    r->status = status;
    r->state_transition_count = transitions;
    r->root_workflow_id = "wf";
    r->root_run_id = "run-1";
    r->search_attributes_json = R"({"CustomKeywordField":"it's \"quoted\""})";
    return r;
  };
  persistence::WorkflowWrite start = StartOfRunOne();
  start.visibility = row(5, temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  auto& store = *stores_.executions;
  ASSERT_TRUE(store.Write(kShard, range_id_, {start}).ok());

  persistence::WorkflowWrite next;
  next.state = start.state;
  next.expected_db_record_version = 1;
  next.visibility = row(4, temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  ASSERT_TRUE(store.Write(kShard, range_id_, {next}).ok());

  auto query = visibility::ParseQuery("", {});
  ASSERT_TRUE(query.ok());
  auto page = stores_.visibility->List("ns-id", *query, 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].state_transition_count, 5);
  EXPECT_EQ(page->records[0].status, temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(nlohmann::json::parse(page->records[0].search_attributes_json),
            nlohmann::json::parse(start.visibility->search_attributes_json));

  // A row for another run is refused, and nothing is written.
  next.expected_db_record_version = 2;
  auto other = row(6, temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  other->run_id = "run-2";
  next.visibility = other;
  EXPECT_EQ(store.Write(kShard, range_id_, {next}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tern::testing
