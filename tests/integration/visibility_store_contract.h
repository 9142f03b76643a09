// The VisibilityStore contract (persistence/visibility_store.h) as a typed test suite, to be
// instantiated once per implementation:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, VisibilityStoreContractTest, PostgresHarness);
//
// A harness is default-constructible and has
//   void SetUp();     // a fresh, empty store; may GTEST_SKIP() when its backend is unavailable
//   void TearDown();  // removes what SetUp created (also after a skip)
//   persistence::VisibilityStore& store();
//   void Settle();    // makes every acknowledged write visible to List and Count (a no-op for a
//                     // transactional store, an index refresh for Elasticsearch)
// and registers the custom attributes of visibility::TestCustomAttributes() with their types.
//
// Include it in exactly one file of a test program: it defines the tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "persistence/visibility_store.h"
#include "tests/unit/visibility_test_util.h"
#include "visibility/query.h"

namespace tern::testing {

namespace contract {

namespace enums = temporal::api::enums::v1;
using persistence::VisibilityRecord;

inline constexpr char kNamespace[] = "ns-contract";

inline persistence::Timestamp SecondsAfterBase(int seconds) {
  // 2024-05-01T10:00:00Z
  return persistence::Timestamp(std::chrono::seconds(1714557600 + seconds));
}

inline VisibilityRecord RunningRun(const std::string& run_id, int start_second) {
  VisibilityRecord r;
  r.namespace_id = kNamespace;
  r.run_id = run_id;
  r.workflow_id = "wf-" + run_id;
  r.workflow_type = "OrderWorkflow";
  r.task_queue = "orders";
  r.status = enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
  r.start_time = SecondsAfterBase(start_second);
  r.execution_time = r.start_time;
  r.history_length = 3;
  r.history_size_bytes = 300;
  r.state_transition_count = 1;
  r.root_workflow_id = r.workflow_id;
  r.root_run_id = run_id;
  return r;
}

inline VisibilityRecord ClosedRun(const std::string& run_id, int start_second, int close_second,
                                  enums::WorkflowExecutionStatus status) {
  VisibilityRecord r = RunningRun(run_id, start_second);
  r.status = status;
  r.close_time = SecondsAfterBase(close_second);
  r.execution_duration_nanos = int64_t{close_second - start_second} * 1000000000;
  r.history_length = 11;
  r.state_transition_count = 7;
  return r;
}

}  // namespace contract

template <typename Harness>
class VisibilityStoreContractTest : public ::testing::Test {
 protected:
  using VisibilityRecord = persistence::VisibilityRecord;

  void SetUp() override { harness_.SetUp(); }
  void TearDown() override { harness_.TearDown(); }

  persistence::VisibilityStore& store() { return harness_.store(); }

  void Upsert(const persistence::VisibilityRecord& record) {
    absl::Status status = store().Upsert(record);
    ASSERT_TRUE(status.ok()) << status;
  }

  absl::StatusOr<persistence::VisibilityPage> List(const std::string& query, int page_size = 0,
                                                   const std::string& token = "",
                                                   const std::string& ns = contract::kNamespace) {
    absl::StatusOr<visibility::Query> parsed =
        visibility::ParseQuery(query, visibility::TestCustomAttributes());
    if (!parsed.ok()) return parsed.status();
    harness_.Settle();
    return store().List(ns, *parsed, page_size, token);
  }

  // The run ids of every page, in order.
  std::vector<std::string> RunIds(const std::string& query, int page_size = 0) {
    std::vector<std::string> ids;
    std::string token;
    do {
      absl::StatusOr<persistence::VisibilityPage> page = List(query, page_size, token);
      EXPECT_TRUE(page.ok()) << query << ": " << page.status();
      if (!page.ok()) break;
      for (const auto& r : page->records) ids.push_back(r.run_id);
      token = page->next_page_token;
    } while (!token.empty());
    return ids;
  }

  std::vector<std::string> SortedRunIds(const std::string& query) {
    std::vector<std::string> ids = RunIds(query);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  absl::StatusOr<persistence::VisibilityCount> Count(const std::string& query) {
    absl::StatusOr<visibility::Query> parsed =
        visibility::ParseQuery(query, visibility::TestCustomAttributes(), {.for_count = true});
    if (!parsed.ok()) return parsed.status();
    harness_.Settle();
    return store().Count(contract::kNamespace, *parsed);
  }

  // Closed: a and c (Completed, closed at 100; c started later), b (Failed, closed at 90).
  // Running: d (started 40) and e (started 50, task queue "payments").
  void UpsertFiveRuns() {
    using contract::ClosedRun;
    using contract::RunningRun;
    namespace enums = temporal::api::enums::v1;
    VisibilityRecord a = ClosedRun("a", 10, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
    a.search_attributes_json =
        R"({"CustomKeyword":"alpha","CustomInt":5,"CustomBool":true,)"
        R"("CustomList":["red","green"],"CustomText":"quick brown fox",)"
        R"("CustomDatetime":"2024-05-01T10:00:00.000000Z","CustomDouble":1.5})";
    VisibilityRecord b = ClosedRun("b", 20, 90, enums::WORKFLOW_EXECUTION_STATUS_FAILED);
    b.workflow_type = "PaymentWorkflow";
    b.search_attributes_json =
        R"({"CustomKeyword":"beta","CustomInt":50,"CustomBool":false,)"
        R"("CustomList":["blue"],"CustomDatetime":"2024-06-01T10:00:00.000000Z"})";
    VisibilityRecord c = ClosedRun("c", 30, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
    VisibilityRecord d = RunningRun("d", 40);
    d.search_attributes_json = R"({"CustomKeyword":"alpha","CustomInt":7})";
    VisibilityRecord e = RunningRun("e", 50);
    e.task_queue = "payments";
    for (const auto& r : {a, b, c, d, e}) Upsert(r);
  }

  Harness harness_;
};

TYPED_TEST_SUITE_P(VisibilityStoreContractTest);

TYPED_TEST_P(VisibilityStoreContractTest, RecordReadsBackWithEveryField) {
  using namespace contract;
  VisibilityRecord r = ClosedRun("r1", 10, 70, enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  r.start_time += std::chrono::microseconds(123456);
  r.execution_time = SecondsAfterBase(15);
  r.parent_workflow_id = "parent-wf";
  r.parent_run_id = "parent-run";
  r.root_workflow_id = "root-wf";
  r.root_run_id = "root-run";
  r.history_size_bytes = 4096;
  r.search_attributes_json = R"({"CustomKeyword":"x","CustomInt":3})";
  (*r.memo.mutable_fields())["note"].set_data("\"hello\"");
  this->Upsert(r);
  this->Upsert(RunningRun("r2", 5));

  auto page = this->List("RunId = 'r1'");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  const VisibilityRecord& got = page->records[0];
  EXPECT_EQ(got.namespace_id, kNamespace);
  EXPECT_EQ(got.workflow_id, "wf-r1");
  EXPECT_EQ(got.workflow_type, "OrderWorkflow");
  EXPECT_EQ(got.task_queue, "orders");
  EXPECT_EQ(got.status, enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  EXPECT_EQ(got.start_time, r.start_time);
  EXPECT_EQ(got.execution_time, SecondsAfterBase(15));
  EXPECT_EQ(got.close_time, SecondsAfterBase(70));
  EXPECT_EQ(got.execution_duration_nanos, int64_t{60} * 1000000000);
  EXPECT_EQ(got.history_length, 11);
  EXPECT_EQ(got.history_size_bytes, 4096);
  EXPECT_EQ(got.state_transition_count, 7);
  EXPECT_EQ(got.parent_workflow_id, "parent-wf");
  EXPECT_EQ(got.parent_run_id, "parent-run");
  EXPECT_EQ(got.root_workflow_id, "root-wf");
  EXPECT_EQ(got.root_run_id, "root-run");
  EXPECT_EQ(nlohmann::json::parse(got.search_attributes_json),
            nlohmann::json::parse(r.search_attributes_json));
  EXPECT_EQ(got.memo.fields().at("note").data(), "\"hello\"");

  page = this->List("RunId = 'r2'");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_FALSE(page->records[0].close_time.has_value());
  EXPECT_FALSE(page->records[0].execution_duration_nanos.has_value());
  EXPECT_EQ(page->records[0].parent_workflow_id, "");
  EXPECT_EQ(page->records[0].search_attributes_json, "{}");
  EXPECT_EQ(page->records[0].memo.fields_size(), 0);
}

TYPED_TEST_P(VisibilityStoreContractTest, NewestStateWinsWhateverTheOrder) {
  using namespace contract;
  VisibilityRecord closed = ClosedRun("r", 10, 20, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  this->Upsert(closed);
  this->Upsert(RunningRun("r", 10));  // late, older: ignored
  this->Upsert(closed);               // the same state again: harmless
  auto page = this->List("");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].status, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);

  closed.state_transition_count = 8;
  closed.search_attributes_json = R"({"CustomKeyword":"late"})";
  this->Upsert(closed);
  EXPECT_THAT(this->RunIds("CustomKeyword = 'late'"), ::testing::ElementsAre("r"));
  EXPECT_THAT(this->RunIds(""), ::testing::ElementsAre("r"));
}

// Upserts from many threads at once (which the stores batch), several states of each run among
// them: each run ends at its newest state, whatever text its fields hold.
TYPED_TEST_P(VisibilityStoreContractTest, ConcurrentUpsertsEachKeepTheirNewestState) {
  using namespace contract;
  constexpr int kThreads = 8;
  constexpr int kRuns = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kRuns; ++i) {
        VisibilityRecord r = RunningRun(absl::StrCat("run-", i), i);
        r.workflow_id = absl::StrCat("wf \"", i, "\" {a,b} \\ NULL");
        r.state_transition_count = 1 + (t + i) % kThreads;
        r.search_attributes_json = absl::StrCat(R"({"CustomInt":)", r.state_transition_count, "}");
        absl::Status status = this->store().Upsert(r);
        EXPECT_TRUE(status.ok()) << status;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(this->RunIds(absl::StrCat("CustomInt = ", kThreads)).size(), size_t{kRuns});
  auto page = this->List("RunId = 'run-7'");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].workflow_id, "wf \"7\" {a,b} \\ NULL");
  EXPECT_EQ(page->records[0].state_transition_count, kThreads);
}

TYPED_TEST_P(VisibilityStoreContractTest, RejectsRecordsItCannotStore) {
  using namespace contract;
  VisibilityRecord r = RunningRun("r", 1);
  r.search_attributes_json = "[1, 2]";
  EXPECT_EQ(this->store().Upsert(r).code(), absl::StatusCode::kInvalidArgument);
  r.search_attributes_json = "{not json";
  EXPECT_EQ(this->store().Upsert(r).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store().Upsert(RunningRun("", 1)).code(), absl::StatusCode::kInvalidArgument);
}

TYPED_TEST_P(VisibilityStoreContractTest, RunningFirstThenNewestClosedThenRunIdDescending) {
  using namespace contract;
  this->UpsertFiveRuns();
  EXPECT_THAT(this->RunIds(""), ::testing::ElementsAre("e", "d", "c", "a", "b"));
  this->Upsert(ClosedRun("x1", 30, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED));
  this->Upsert(ClosedRun("x2", 30, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED));
  EXPECT_THAT(this->RunIds(""), ::testing::ElementsAre("e", "d", "x2", "x1", "c", "a", "b"));
}

TYPED_TEST_P(VisibilityStoreContractTest, PagesCoverEveryRunOnceInOrder) {
  using namespace contract;
  for (int i = 0; i < 23; ++i) {
    // Some share start and close times, so the run id decides between them.
    std::string id = absl::StrCat("run-", i < 10 ? "0" : "", i);
    this->Upsert(
        i % 3 == 0 ? RunningRun(id, i / 2)
                   : ClosedRun(id, i / 2, 100 + i / 4, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED));
  }
  std::vector<std::string> all = this->RunIds("");
  ASSERT_EQ(all.size(), 23u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 23u);
  for (int page_size : {1, 4, 7, 22, 23, 24}) {
    EXPECT_EQ(this->RunIds("", page_size), all) << "page size " << page_size;
  }
  auto page = this->List("", 23);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->next_page_token.empty()) << "no empty trailing page";
  EXPECT_EQ(this->RunIds("ExecutionStatus = 'Running'", 2).size(), 8u);

  for (const std::string& token : {std::string("garbage\xff"), std::string("\x08\x01", 2)}) {
    auto bad = this->List("", 10, token);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
  }
}

TYPED_TEST_P(VisibilityStoreContractTest, FiltersOnSystemAndCustomAttributes) {
  using ::testing::ElementsAre;
  this->UpsertFiveRuns();
  EXPECT_THAT(this->SortedRunIds("WorkflowType = 'PaymentWorkflow'"), ElementsAre("b"));
  EXPECT_THAT(this->SortedRunIds("ExecutionStatus = 'Completed'"), ElementsAre("a", "c"));
  EXPECT_THAT(this->SortedRunIds("ExecutionStatus != 'Running' AND WorkflowType = 'OrderWorkflow'"),
              ElementsAre("a", "c"));
  EXPECT_THAT(this->SortedRunIds("TaskQueue = 'payments'"), ElementsAre("e"));
  EXPECT_THAT(this->SortedRunIds("CloseTime IS NULL"), ElementsAre("d", "e"));
  EXPECT_THAT(this->SortedRunIds(
                  "StartTime >= '2024-05-01T10:00:30Z' AND StartTime < '2024-05-01T10:00:50Z'"),
              ElementsAre("c", "d"));
  EXPECT_THAT(this->SortedRunIds("CloseTime < '2024-05-01T10:01:35Z'"), ElementsAre("b"));
  EXPECT_THAT(this->SortedRunIds("ExecutionDuration > '75s'"), ElementsAre("a"));
  EXPECT_THAT(this->SortedRunIds("CustomKeyword = 'alpha'"), ElementsAre("a", "d"));
  EXPECT_THAT(this->SortedRunIds("CustomKeyword != 'alpha'"), ElementsAre("b"));
  EXPECT_THAT(this->SortedRunIds("CustomKeyword IN ('beta', 'gamma')"), ElementsAre("b"));
  EXPECT_THAT(this->SortedRunIds("CustomKeyword STARTS_WITH 'al'"), ElementsAre("a", "d"));
  EXPECT_THAT(this->SortedRunIds("CustomInt > 5"), ElementsAre("b", "d"));
  EXPECT_THAT(this->SortedRunIds("CustomInt BETWEEN 5 AND 7"), ElementsAre("a", "d"));
  EXPECT_THAT(this->SortedRunIds("CustomDouble = 1.5"), ElementsAre("a"));
  EXPECT_THAT(this->SortedRunIds("CustomBool = false"), ElementsAre("b"));
  EXPECT_THAT(this->SortedRunIds("CustomList = 'green'"), ElementsAre("a"));
  EXPECT_THAT(this->SortedRunIds("CustomList IN ('blue', 'red')"), ElementsAre("a", "b"));
  EXPECT_THAT(this->SortedRunIds("CustomDatetime > '2024-05-15T00:00:00Z'"), ElementsAre("b"));
  EXPECT_THAT(this->SortedRunIds("CustomText = 'brown'"), ElementsAre("a"));
  EXPECT_THAT(this->SortedRunIds("CustomInt IS NULL"), ElementsAre("c", "e"));
  EXPECT_THAT(this->SortedRunIds("NOT (CustomKeyword = 'alpha')"), ElementsAre("b", "c", "e"));
  EXPECT_THAT(this->SortedRunIds("CustomKeyword = 'alpha' OR TaskQueue = 'payments'"),
              ElementsAre("a", "d", "e"));
}

TYPED_TEST_P(VisibilityStoreContractTest, NamespacesAreSeparateAndSystemWorkflowsHidden) {
  using namespace contract;
  this->UpsertFiveRuns();
  VisibilityRecord other = RunningRun("other", 1);
  other.namespace_id = "another-namespace";
  this->Upsert(other);
  VisibilityRecord scheduler = RunningRun("sched", 1);
  scheduler.search_attributes_json = R"({"TemporalNamespaceDivision":"TemporalScheduler"})";
  this->Upsert(scheduler);

  EXPECT_EQ(this->RunIds("").size(), 5u);
  auto page = this->List("", 0, "", "another-namespace");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].run_id, "other");
  EXPECT_THAT(this->RunIds("TemporalNamespaceDivision = 'TemporalScheduler'"),
              ::testing::ElementsAre("sched"));
  EXPECT_EQ(this->RunIds("TemporalNamespaceDivision IS NULL").size(), 5u);
  EXPECT_EQ(this->Count("")->count, 5);
}

TYPED_TEST_P(VisibilityStoreContractTest, CountsAndGroupsByExecutionStatus) {
  using namespace contract;
  this->UpsertFiveRuns();
  auto all = this->Count("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->count, 5);
  EXPECT_TRUE(all->groups.empty());
  EXPECT_EQ(this->Count("CustomKeyword = 'alpha'")->count, 2);

  auto grouped = this->Count("GROUP BY ExecutionStatus");
  ASSERT_TRUE(grouped.ok()) << grouped.status();
  EXPECT_EQ(grouped->count, 5);
  std::vector<std::pair<int64_t, int64_t>> groups;
  for (const auto& g : grouped->groups) groups.emplace_back(std::get<int64_t>(g.value), g.count);
  // Most frequent first, ties by status number.
  EXPECT_THAT(groups,
              ::testing::ElementsAre(
                  std::pair<int64_t, int64_t>{enums::WORKFLOW_EXECUTION_STATUS_RUNNING, 2},
                  std::pair<int64_t, int64_t>{enums::WORKFLOW_EXECUTION_STATUS_COMPLETED, 2},
                  std::pair<int64_t, int64_t>{enums::WORKFLOW_EXECUTION_STATUS_FAILED, 1}));

  auto filtered = this->Count("WorkflowType = 'OrderWorkflow' GROUP BY ExecutionStatus");
  ASSERT_TRUE(filtered.ok()) << filtered.status();
  EXPECT_EQ(filtered->count, 4);
  EXPECT_EQ(filtered->groups.size(), 2u);
}

TYPED_TEST_P(VisibilityStoreContractTest, DeleteRemovesTheRunAndIsIdempotent) {
  using namespace contract;
  this->UpsertFiveRuns();
  ASSERT_TRUE(this->store().Delete(kNamespace, "a").ok());
  ASSERT_TRUE(this->store().Delete(kNamespace, "a").ok());
  ASSERT_TRUE(this->store().Delete(kNamespace, "never-written").ok());
  EXPECT_THAT(this->RunIds(""), ::testing::ElementsAre("e", "d", "c", "b"));
  EXPECT_EQ(this->Count("")->count, 4);
}

REGISTER_TYPED_TEST_SUITE_P(VisibilityStoreContractTest, RecordReadsBackWithEveryField,
                            NewestStateWinsWhateverTheOrder,
                            ConcurrentUpsertsEachKeepTheirNewestState, RejectsRecordsItCannotStore,
                            RunningFirstThenNewestClosedThenRunIdDescending,
                            PagesCoverEveryRunOnceInOrder, FiltersOnSystemAndCustomAttributes,
                            NamespacesAreSeparateAndSystemWorkflowsHidden,
                            CountsAndGroupsByExecutionStatus, DeleteRemovesTheRunAndIsIdempotent);

}  // namespace tern::testing
