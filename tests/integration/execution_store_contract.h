// The ExecutionStore contract (persistence/store.h) as a typed test suite, instantiated once per
// implementation (execution_store_contract_test.cc: the fake of tests/mocks and PostgreSQL):
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, ExecutionStoreContractTest, PostgresHarness);
//
// A harness is default-constructible and has
//   void SetUp();     // fresh, empty stores; fails the test (ASSERT) when it cannot make them
//   void TearDown();
//   persistence::ExecutionStore& executions();
//   persistence::ShardStore& shards();  // the shard rows executions() is fenced by
//   void Restart();   // what a process restart does to the stores (PostgreSQL: close the pool
//                     // and open new stores on the same database; the fake: nothing)
//
// It covers creating, replacing and conflicting on the current-run pointer (a conflicting
// create carries the existing row), db_record_version conditions, range_id fencing, history
// append and read, task load and delete, and retention deletes. Include it in exactly one file
// of a test program: it defines the tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "persistence/store.h"

namespace tern::testing {

namespace execution_contract {

using persistence::CurrentMode;
using persistence::RunState;
using persistence::WorkflowWrite;
using temporal::api::history::v1::HistoryEvent;

inline constexpr int32_t kShard = 3;
// Every timer a Timestamp can hold is due by then.
inline constexpr int64_t kAllTimers = persistence::TimerKey::kMaxFireMicros;
inline constexpr char kNamespace[] = "ns-id";

inline persistence::v1::MutableState State(const std::string& workflow_id,
                                           const std::string& run_id, int64_t next_event_id) {
  persistence::v1::MutableState s;
  s.set_namespace_id(kNamespace);
  s.set_workflow_id(workflow_id);
  s.set_run_id(run_id);
  s.set_create_request_id("request-" + run_id);
  s.set_next_event_id(next_event_id);
  s.set_status(temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  return s;
}

inline std::vector<HistoryEvent> Events(int64_t first, int64_t last) {
  std::vector<HistoryEvent> events;
  for (int64_t id = first; id <= last; ++id) {
    HistoryEvent& e = events.emplace_back();
    e.set_event_id(id);
    e.set_event_type(temporal::api::enums::v1::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  }
  return events;
}

inline persistence::v1::TransferTask Transfer(int64_t task_id, const std::string& run_id) {
  persistence::v1::TransferTask t;
  t.set_task_id(task_id);
  t.set_type(persistence::v1::TransferTask::TYPE_WORKFLOW_TASK);
  t.set_namespace_id(kNamespace);
  t.set_run_id(run_id);
  return t;
}

inline persistence::v1::TimerTask Timer(int64_t task_id, int64_t fire_seconds) {
  persistence::v1::TimerTask t;
  t.set_task_id(task_id);
  t.set_type(persistence::v1::TimerTask::TYPE_USER_TIMER);
  t.mutable_fire_time()->set_seconds(fire_seconds);
  t.set_timer_id(absl::StrCat("timer-", task_id));
  return t;
}

// A first write of a run: inserts the execution, points the workflow id at it, events 1..3.
inline WorkflowWrite StartWrite(const std::string& workflow_id, const std::string& run_id) {
  WorkflowWrite w;
  w.state = State(workflow_id, run_id, 4);
  w.current_mode = CurrentMode::kCreate;
  w.new_events = Events(1, 3);
  return w;
}

inline std::vector<int64_t> Ids(const std::vector<HistoryEvent>& events) {
  std::vector<int64_t> ids;
  for (const auto& e : events) ids.push_back(e.event_id());
  return ids;
}

// A write that closes `run_id` (started by StartWrite) with its close event.
inline WorkflowWrite CloseWrite(const std::string& workflow_id, const std::string& run_id) {
  WorkflowWrite close;
  close.state = State(workflow_id, run_id, 5);
  close.state.set_status(temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  close.expected_db_record_version = 1;
  close.current_mode = CurrentMode::kUpdateState;
  close.run_state = RunState::kCompleted;
  close.new_events = Events(4, 4);
  return close;
}

}  // namespace execution_contract

template <typename Harness>
class ExecutionStoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.SetUp();
    if (HasFatalFailure()) return;
    auto lease = shards().AcquireShard(execution_contract::kShard, "host-a");
    ASSERT_TRUE(lease.ok()) << lease.status();
    range_id_ = lease->range_id;
  }
  void TearDown() override { harness_.TearDown(); }

  persistence::ExecutionStore& executions() { return harness_.executions(); }
  persistence::ShardStore& shards() { return harness_.shards(); }

  Harness harness_;
  int64_t range_id_ = 0;
};

TYPED_TEST_SUITE_P(ExecutionStoreContractTest);

using namespace execution_contract;
using ::testing::HasSubstr;

TYPED_TEST_P(ExecutionStoreContractTest, WriteThenReadBack) {
  WorkflowWrite w = StartWrite("wf", "run-1");
  w.transfer_tasks = {Transfer(10, "run-1")};
  absl::Status written = this->executions().Write(kShard, this->range_id_, {w});
  ASSERT_TRUE(written.ok()) << written;

  auto current = this->executions().GetCurrentExecution(kShard, kNamespace, "wf");
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->run_id, "run-1");
  EXPECT_EQ(current->create_request_id, "request-run-1");
  EXPECT_EQ(current->state, RunState::kRunning);
  EXPECT_EQ(current->status, temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_RUNNING);

  auto record = this->executions().GetExecution(kShard, kNamespace, "wf", "run-1");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->db_record_version, 1);
  EXPECT_EQ(record->state.next_event_id(), 4);

  EXPECT_EQ(this->executions().GetExecution(kShard, kNamespace, "wf", "other").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->executions().GetCurrentExecution(kShard, kNamespace, "nope").status().code(),
            absl::StatusCode::kNotFound);
  // Rows are per shard.
  EXPECT_EQ(this->executions().GetExecution(kShard + 1, kNamespace, "wf", "run-1").status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST_P(ExecutionStoreContractTest, StaleRangeIdIsFencedAndWritesNothing) {
  auto second = this->shards().AcquireShard(kShard, "host-b");
  ASSERT_TRUE(second.ok());
  ASSERT_GT(second->range_id, this->range_id_);
  EXPECT_EQ(second->info.owner_host(), "host-b");

  WorkflowWrite w = StartWrite("wf", "run-1");
  w.transfer_tasks = {Transfer(10, "run-1")};
  w.timer_tasks = {Timer(11, 1000)};
  absl::Status stale = this->executions().Write(kShard, this->range_id_, {w});
  EXPECT_TRUE(persistence::IsFencingError(stale)) << stale;
  EXPECT_FALSE(persistence::IsConditionFailed(stale));

  EXPECT_EQ(this->executions().GetExecution(kShard, kNamespace, "wf", "run-1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->executions().GetCurrentExecution(kShard, kNamespace, "wf").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(
      this->executions().ReadHistory(kShard, kNamespace, "wf", "run-1", 1, 100, 100)->empty());
  EXPECT_TRUE(this->executions().LoadTransferTasks(kShard, 0, 100)->empty());
  EXPECT_TRUE(this->executions().LoadTimerTasks(kShard, {}, kAllTimers, 100)->empty());

  // The shard's other fenced operations refuse the old owner too; the new owner proceeds.
  EXPECT_TRUE(
      persistence::IsFencingError(this->shards().RenewRange(kShard, this->range_id_).status()));
  EXPECT_TRUE(persistence::IsFencingError(
      this->shards().UpdateShardInfo(kShard, this->range_id_, persistence::v1::ShardInfo())));
  EXPECT_TRUE(this->executions().Write(kShard, second->range_id, {w}).ok());
  auto renewed = this->shards().RenewRange(kShard, second->range_id);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*renewed, second->range_id + 1);
}

TYPED_TEST_P(ExecutionStoreContractTest, ConditionalUpdateDetectsConflict) {
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {StartWrite("wf", "run-1")}).ok());

  // Two writers both read version 1; the first wins, the second conflicts and writes nothing.
  WorkflowWrite first;
  first.state = State("wf", "run-1", 5);
  first.expected_db_record_version = 1;
  first.new_events = Events(4, 4);
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {first}).ok());

  WorkflowWrite second;
  second.state = State("wf", "run-1", 6);
  second.expected_db_record_version = 1;
  second.new_events = Events(5, 5);
  second.transfer_tasks = {Transfer(20, "run-1")};
  absl::Status conflict = this->executions().Write(kShard, this->range_id_, {second});
  EXPECT_TRUE(persistence::IsConditionFailed(conflict)) << conflict;
  EXPECT_FALSE(persistence::IsFencingError(conflict));

  auto record = this->executions().GetExecution(kShard, kNamespace, "wf", "run-1");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->db_record_version, 2);
  EXPECT_EQ(record->state.next_event_id(), 5);
  auto history = this->executions().ReadHistory(kShard, kNamespace, "wf", "run-1", 1, 100, 100);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(Ids(*history), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(this->executions().LoadTransferTasks(kShard, 0, 100)->empty());

  // Inserting a run that exists is a conflict too.
  WorkflowWrite again = StartWrite("wf", "run-1");
  again.current_mode = CurrentMode::kNone;
  EXPECT_TRUE(
      persistence::IsConditionFailed(this->executions().Write(kShard, this->range_id_, {again})));
}

TYPED_TEST_P(ExecutionStoreContractTest, CurrentExecutionCreateConflictCarriesTheExistingRun) {
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {StartWrite("wf", "run-1")}).ok());

  WorkflowWrite dup = StartWrite("wf", "run-2");
  dup.transfer_tasks = {Transfer(30, "run-2")};
  absl::Status conflict = this->executions().Write(kShard, this->range_id_, {dup});
  ASSERT_TRUE(persistence::IsConditionFailed(conflict)) << conflict;
  EXPECT_THAT(std::string(conflict.message()), HasSubstr("run-1"));
  EXPECT_THAT(std::string(conflict.message()), HasSubstr("request-run-1"));
  auto existing = persistence::GetExistingCurrentExecution(conflict);
  ASSERT_TRUE(existing.has_value());
  EXPECT_EQ(existing->run_id, "run-1");
  EXPECT_EQ(existing->create_request_id, "request-run-1");
  EXPECT_EQ(existing->state, RunState::kRunning);

  // The whole transaction rolled back, including the run-2 execution row written before it.
  EXPECT_EQ(this->executions().GetExecution(kShard, kNamespace, "wf", "run-2").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(this->executions().LoadTransferTasks(kShard, 0, 100)->empty());
  EXPECT_EQ(this->executions().GetCurrentExecution(kShard, kNamespace, "wf")->run_id, "run-1");
  EXPECT_FALSE(persistence::GetExistingCurrentExecution(absl::NotFoundError("x")).has_value());
}

TYPED_TEST_P(ExecutionStoreContractTest, CurrentPointerReplaceAndUpdateState) {
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {StartWrite("wf", "run-1")}).ok());

  // Close run-1.
  WorkflowWrite close;
  close.state = State("wf", "run-1", 5);
  close.state.set_status(temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  close.expected_db_record_version = 1;
  close.current_mode = CurrentMode::kUpdateState;
  close.run_state = RunState::kCompleted;
  close.new_events = Events(4, 4);
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {close}).ok());
  auto current = this->executions().GetCurrentExecution(kShard, kNamespace, "wf");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->state, RunState::kCompleted);
  EXPECT_EQ(current->status, temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);

  // A replace that expects the wrong previous run fails; the right one moves the pointer.
  WorkflowWrite next = StartWrite("wf", "run-2");
  next.current_mode = CurrentMode::kReplace;
  next.previous_run_id = "run-0";
  EXPECT_TRUE(
      persistence::IsConditionFailed(this->executions().Write(kShard, this->range_id_, {next})));
  next.previous_run_id = "run-1";
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {next}).ok());
  current = this->executions().GetCurrentExecution(kShard, kNamespace, "wf");
  EXPECT_EQ(current->run_id, "run-2");
  EXPECT_EQ(current->create_request_id, "request-run-2");
  EXPECT_EQ(current->state, RunState::kRunning);

  // run-1 is no longer current: updating the pointer's state through it fails.
  WorkflowWrite stale;
  stale.state = State("wf", "run-1", 5);
  stale.expected_db_record_version = 2;
  stale.current_mode = CurrentMode::kUpdateState;
  EXPECT_TRUE(
      persistence::IsConditionFailed(this->executions().Write(kShard, this->range_id_, {stale})));
  EXPECT_EQ(this->executions().GetExecution(kShard, kNamespace, "wf", "run-1")->db_record_version,
            2);
}

TYPED_TEST_P(ExecutionStoreContractTest, DeleteClosedExecutionRemovesRunHistoryAndPointerOnly) {
  auto& store = this->executions();
  ASSERT_TRUE(store.Write(kShard, this->range_id_, {StartWrite("done", "run-1")}).ok());
  ASSERT_TRUE(store.Write(kShard, this->range_id_, {CloseWrite("done", "run-1")}).ok());
  ASSERT_TRUE(store.Write(kShard, this->range_id_, {StartWrite("busy", "run-2")}).ok());

  // A running run is left alone.
  EXPECT_EQ(store.DeleteClosedExecution(kShard, kNamespace, "busy", "run-2").value_or(true), false);
  EXPECT_TRUE(store.GetExecution(kShard, kNamespace, "busy", "run-2").ok());
  EXPECT_TRUE(store.GetCurrentExecution(kShard, kNamespace, "busy").ok());

  EXPECT_EQ(store.DeleteClosedExecution(kShard, kNamespace, "done", "run-1").value_or(false), true);
  EXPECT_EQ(store.GetExecution(kShard, kNamespace, "done", "run-1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store.GetCurrentExecution(kShard, kNamespace, "done").status().code(),
            absl::StatusCode::kNotFound);
  auto history = store.ReadHistory(kShard, kNamespace, "done", "run-1", 1, 100, 100);
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
  // Idempotent.
  EXPECT_EQ(store.DeleteClosedExecution(kShard, kNamespace, "done", "run-1").value_or(true), false);
}

TYPED_TEST_P(ExecutionStoreContractTest, DeleteNamespaceExecutionsWorksInBatchesPerShard) {
  auto& store = this->executions();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        store.Write(kShard, this->range_id_, {StartWrite(absl::StrCat("wf-", i), "run")}).ok());
  }
  WorkflowWrite other = StartWrite("keep", "run");
  other.state.set_namespace_id("other-ns");
  ASSERT_TRUE(store.Write(kShard, this->range_id_, {other}).ok());

  auto first = store.DeleteNamespaceExecutions(kShard, kNamespace, 3);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 3);
  EXPECT_EQ(*store.DeleteNamespaceExecutions(kShard, kNamespace, 3), 2);
  EXPECT_EQ(*store.DeleteNamespaceExecutions(kShard, kNamespace, 3), 0);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(store.GetCurrentExecution(kShard, kNamespace, absl::StrCat("wf-", i)).status().code(),
              absl::StatusCode::kNotFound);
  }
  auto history = store.ReadHistory(kShard, kNamespace, "wf-0", "run", 1, 100, 100);
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
  EXPECT_TRUE(store.GetExecution(kShard, "other-ns", "keep", "run").ok())
      << "other namespaces stay";
}

TYPED_TEST_P(ExecutionStoreContractTest, HistoryReadsAcrossBatchesWithLimits) {
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {StartWrite("wf", "run-1")}).ok());
  int64_t version = 1;
  for (auto [first, last] : std::vector<std::pair<int, int>>{{4, 5}, {6, 6}, {7, 10}}) {
    WorkflowWrite w;
    w.state = State("wf", "run-1", last + 1);
    w.expected_db_record_version = version++;
    w.new_events = Events(first, last);
    ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {w}).ok());
  }
  auto read = [&](int64_t first, int64_t next, int max) {
    auto events =
        this->executions().ReadHistory(kShard, kNamespace, "wf", "run-1", first, next, max);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? Ids(*events) : std::vector<int64_t>{};
  };
  EXPECT_EQ(read(1, 11, 100), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  // Whole batches: a limit of 2 inside the first batch still returns the batch of 3.
  EXPECT_EQ(read(1, 11, 2), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(read(1, 11, 4), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  // Ranges cut batches at both ends; next_event_id is exclusive.
  EXPECT_EQ(read(5, 8, 100), (std::vector<int64_t>{5, 6, 7}));
  // Paging: continue after the last event returned.
  EXPECT_EQ(read(6, 11, 1), (std::vector<int64_t>{6}));
  EXPECT_EQ(read(7, 11, 1), (std::vector<int64_t>{7, 8, 9, 10}));
  EXPECT_EQ(read(11, 20, 100), std::vector<int64_t>{});
  EXPECT_EQ(
      this->executions().ReadHistory(kShard, kNamespace, "wf", "run-1", 1, 11, 0).status().code(),
      absl::StatusCode::kInvalidArgument);

  // A batch starting at an event id that is already stored is refused.
  WorkflowWrite dup;
  dup.state = State("wf", "run-1", 12);
  dup.expected_db_record_version = version;
  dup.new_events = Events(7, 11);
  EXPECT_TRUE(
      persistence::IsConditionFailed(this->executions().Write(kShard, this->range_id_, {dup})));
  // A batch with a gap is invalid and writes nothing.
  dup.new_events = {Events(11, 11)[0], Events(13, 13)[0]};
  EXPECT_EQ(this->executions().Write(kShard, this->range_id_, {dup}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(read(1, 100, 100).size(), 10u);
}

TYPED_TEST_P(ExecutionStoreContractTest, TasksAreRecoveredAfterRestartAndDeleted) {
  WorkflowWrite w = StartWrite("wf", "run-1");
  w.transfer_tasks = {Transfer(101, "run-1"), Transfer(102, "run-1"), Transfer(103, "run-1")};
  // Fire times deliberately out of task id order.
  w.timer_tasks = {Timer(104, 3000), Timer(105, 1000), Timer(106, 2000)};
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {w}).ok());

  this->harness_.Restart();
  if (this->HasFatalFailure()) return;
  auto& executions = this->executions();

  auto transfer = executions.LoadTransferTasks(kShard, 0, 100);
  ASSERT_TRUE(transfer.ok()) << transfer.status();
  ASSERT_EQ(transfer->size(), 3u);
  EXPECT_EQ((*transfer)[0].task_id(), 101);
  EXPECT_EQ((*transfer)[0].type(), persistence::v1::TransferTask::TYPE_WORKFLOW_TASK);
  EXPECT_EQ((*transfer)[0].run_id(), "run-1");
  EXPECT_EQ((*transfer)[2].task_id(), 103);
  auto after = executions.LoadTransferTasks(kShard, 101, 1);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].task_id(), 102);
  EXPECT_TRUE(executions.LoadTransferTasks(kShard + 1, 0, 100)->empty());

  auto timers = executions.LoadTimerTasks(kShard, {}, kAllTimers, 100);
  ASSERT_TRUE(timers.ok()) << timers.status();
  ASSERT_EQ(timers->size(), 3u);
  EXPECT_EQ((*timers)[0].task_id(), 105);  // fire time order
  EXPECT_EQ((*timers)[1].task_id(), 106);
  EXPECT_EQ((*timers)[2].task_id(), 104);
  EXPECT_EQ((*timers)[0].timer_id(), "timer-105");
  EXPECT_EQ((*timers)[0].fire_time().seconds(), 1000);

  ASSERT_TRUE(executions.DeleteTransferTasks(kShard, {101, 103}).ok());
  ASSERT_TRUE(executions.DeleteTimerTasks(kShard, {105}).ok());
  ASSERT_TRUE(executions.DeleteTimerTasks(kShard, {}).ok());
  transfer = executions.LoadTransferTasks(kShard, 0, 100);
  ASSERT_EQ(transfer->size(), 1u);
  EXPECT_EQ((*transfer)[0].task_id(), 102);
  timers = executions.LoadTimerTasks(kShard, {}, kAllTimers, 100);
  ASSERT_EQ(timers->size(), 2u);
  EXPECT_EQ((*timers)[0].task_id(), 106);
}

TYPED_TEST_P(ExecutionStoreContractTest, TimersAreReadInFireTimeOrderPageByPageUpToAWindowEnd) {
  WorkflowWrite w = StartWrite("wf", "run-1");
  // Task ids against fire order, two timers at the same second, one at a microsecond, and the
  // range's ends.
  w.timer_tasks = {Timer(201, 5000),         Timer(202, 4000),        Timer(203, 3000),
                   Timer(204, 3000),         Timer(205, 2000),        Timer(206, 1000),
                   Timer(207, -62135596800), Timer(208, 253402300799)};
  w.timer_tasks[2].mutable_fire_time()->set_nanos(1000);  // 203: 3000 s + 1 µs, after 204
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {w}).ok());
  auto& executions = this->executions();

  std::vector<int64_t> order;
  persistence::TimerKey after;  // before every timer, even 207 at the earliest time there is
  while (true) {
    auto page = executions.LoadTimerTasks(kShard, after, kAllTimers, 3);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& t : *page) order.push_back(t.task_id());
    if (page->size() < 3) break;
    after = persistence::TimerKey::Of(page->back());
  }
  EXPECT_EQ(order, (std::vector<int64_t>{207, 206, 205, 204, 203, 202, 201, 208}));

  // Up to a window end (inclusive), from a key in the middle of a second's timers.
  auto window = executions.LoadTimerTasks(kShard, {3000000000, 204}, 4000000000, 100);
  ASSERT_TRUE(window.ok()) << window.status();
  std::vector<int64_t> ids;
  for (const auto& t : *window) ids.push_back(t.task_id());
  EXPECT_EQ(ids, (std::vector<int64_t>{203, 202}));
  EXPECT_TRUE(executions.LoadTimerTasks(kShard + 1, {}, kAllTimers, 100)->empty());
}

TYPED_TEST_P(ExecutionStoreContractTest, SeveralWorkflowsInOneTransaction) {
  WorkflowWrite a = StartWrite("wf-a", "run-a");
  WorkflowWrite b = StartWrite("wf-b", "run-b");
  ASSERT_TRUE(this->executions().Write(kShard, this->range_id_, {a, b}).ok());
  EXPECT_EQ(this->executions().GetCurrentExecution(kShard, kNamespace, "wf-b")->run_id, "run-b");

  // The second write conflicts (wf-a already has a current run): the first is rolled back too.
  WorkflowWrite c = StartWrite("wf-c", "run-c");
  WorkflowWrite a2 = StartWrite("wf-a", "run-a2");
  EXPECT_TRUE(
      persistence::IsConditionFailed(this->executions().Write(kShard, this->range_id_, {c, a2})));
  EXPECT_EQ(this->executions().GetCurrentExecution(kShard, kNamespace, "wf-c").status().code(),
            absl::StatusCode::kNotFound);
}

REGISTER_TYPED_TEST_SUITE_P(
    ExecutionStoreContractTest, WriteThenReadBack, StaleRangeIdIsFencedAndWritesNothing,
    ConditionalUpdateDetectsConflict, CurrentExecutionCreateConflictCarriesTheExistingRun,
    CurrentPointerReplaceAndUpdateState, DeleteClosedExecutionRemovesRunHistoryAndPointerOnly,
    DeleteNamespaceExecutionsWorksInBatchesPerShard, HistoryReadsAcrossBatchesWithLimits,
    TasksAreRecoveredAfterRestartAndDeleted, TimersAreReadInFireTimeOrderPageByPageUpToAWindowEnd,
    SeveralWorkflowsInOneTransaction);

}  // namespace tern::testing
