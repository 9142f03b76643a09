// The PostgreSQL VisibilityStore against a real database: upserts (newest wins), the default
// order, keyset paging, filters on system and custom attributes, counts with GROUP BY, delete.
#include "persistence/visibility_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "persistence/postgres/connection_pool.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/unit/visibility_test_util.h"
#include "visibility/query.h"

namespace tern::testing {
namespace {

using persistence::VisibilityRecord;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace enums = temporal::api::enums::v1;

constexpr char kNs[] = "ns-visibility";
const auto kBase = std::chrono::system_clock::time_point(std::chrono::seconds(1714557600));

persistence::Timestamp At(int seconds) { return kBase + std::chrono::seconds(seconds); }

const visibility::CustomSearchAttributes& Custom() { return visibility::TestCustomAttributes(); }

// A running run started at At(start_second).
VisibilityRecord Running(const std::string& run_id, int start_second) {
  VisibilityRecord r;
  r.namespace_id = kNs;
  r.run_id = run_id;
  r.workflow_id = "wf-" + run_id;
  r.workflow_type = "OrderWorkflow";
  r.task_queue = "orders";
  r.status = enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
  r.start_time = At(start_second);
  r.execution_time = At(start_second);
  r.history_length = 3;
  r.history_size_bytes = 300;
  r.state_transition_count = 1;
  r.root_workflow_id = r.workflow_id;
  r.root_run_id = run_id;
  return r;
}

VisibilityRecord Closed(const std::string& run_id, int start_second, int close_second,
                        enums::WorkflowExecutionStatus status) {
  VisibilityRecord r = Running(run_id, start_second);
  r.status = status;
  r.close_time = At(close_second);
  r.execution_duration_nanos = int64_t{close_second - start_second} * 1000000000;
  r.history_length = 11;
  r.state_transition_count = 7;
  return r;
}

class VisibilityStoreTest : public PostgresTest {
 protected:
  void Upsert(const VisibilityRecord& record) {
    absl::Status status = stores_.visibility->Upsert(record);
    ASSERT_TRUE(status.ok()) << status;
  }

  absl::StatusOr<persistence::VisibilityPage> List(const std::string& query, int page_size = 0,
                                                   const std::string& token = "",
                                                   const std::string& ns = kNs) {
    absl::StatusOr<visibility::Query> parsed = visibility::ParseQuery(query, Custom());
    if (!parsed.ok()) return parsed.status();
    return stores_.visibility->List(ns, *parsed, page_size, token);
  }

  // The run ids the query lists (every page), in order.
  std::vector<std::string> RunIds(const std::string& query, int page_size = 0) {
    std::vector<std::string> ids;
    std::string token;
    do {
      auto page = List(query, page_size, token);
      EXPECT_TRUE(page.ok()) << query << ": " << page.status();
      if (!page.ok()) break;
      for (const auto& r : page->records) ids.push_back(r.run_id);
      token = page->next_page_token;
    } while (!token.empty());
    return ids;
  }

  absl::StatusOr<persistence::VisibilityCount> Count(const std::string& query) {
    absl::StatusOr<visibility::Query> parsed =
        visibility::ParseQuery(query, Custom(), {.for_count = true});
    if (!parsed.ok()) return parsed.status();
    return stores_.visibility->Count(kNs, *parsed);
  }

  // Three closed and two running runs with a spread of attributes.
  void UpsertFixture() {
    VisibilityRecord a = Closed("a", 10, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
    a.search_attributes_json =
        R"({"CustomKeyword":"alpha","CustomInt":5,"CustomBool":true,)"
        R"("CustomList":["red","green"],"CustomText":"quick brown fox",)"
        R"("CustomDatetime":"2024-05-01T10:00:00.000000Z","CustomDouble":1.5})";
    VisibilityRecord b = Closed("b", 20, 90, enums::WORKFLOW_EXECUTION_STATUS_FAILED);
    b.workflow_type = "PaymentWorkflow";
    b.search_attributes_json =
        R"({"CustomKeyword":"beta","CustomInt":50,"CustomBool":false,)"
        R"("CustomList":["blue"],"CustomDatetime":"2024-06-01T10:00:00.000000Z"})";
    VisibilityRecord c = Closed("c", 30, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
    VisibilityRecord d = Running("d", 40);
    d.search_attributes_json = R"({"CustomKeyword":"alpha","CustomInt":7})";
    VisibilityRecord e = Running("e", 50);
    e.task_queue = "payments";
    for (const auto& r : {a, b, c, d, e}) Upsert(r);
  }
};

TEST_F(VisibilityStoreTest, UpsertedRecordReadsBackWithEveryField) {
  VisibilityRecord r = Closed("r1", 10, 70, enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  r.start_time += std::chrono::microseconds(123456);
  r.execution_time = At(15);
  r.parent_workflow_id = "parent-wf";
  r.parent_run_id = "parent-run";
  r.root_workflow_id = "root-wf";
  r.root_run_id = "root-run";
  r.history_size_bytes = 4096;
  r.search_attributes_json = R"({"CustomKeyword":"x","CustomInt":3})";
  (*r.memo.mutable_fields())["note"].set_data("\"hello\"");
  Upsert(r);

  auto page = List("");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_TRUE(page->next_page_token.empty());
  const VisibilityRecord& got = page->records[0];
  EXPECT_EQ(got.namespace_id, kNs);
  EXPECT_EQ(got.run_id, "r1");
  EXPECT_EQ(got.workflow_id, "wf-r1");
  EXPECT_EQ(got.workflow_type, "OrderWorkflow");
  EXPECT_EQ(got.task_queue, "orders");
  EXPECT_EQ(got.status, enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  EXPECT_EQ(got.start_time, r.start_time);
  EXPECT_EQ(got.execution_time, At(15));
  EXPECT_EQ(got.close_time, At(70));
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

  // A running run has no close time, duration, parent or memo.
  Upsert(Running("r2", 5));
  page = List("RunId = 'r2'");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_FALSE(page->records[0].close_time.has_value());
  EXPECT_FALSE(page->records[0].execution_duration_nanos.has_value());
  EXPECT_EQ(page->records[0].parent_workflow_id, "");
  EXPECT_EQ(page->records[0].search_attributes_json, "{}");
  EXPECT_EQ(page->records[0].memo.fields_size(), 0);
}

TEST_F(VisibilityStoreTest, NewestStateWinsWhateverTheOrderOfUpserts) {
  VisibilityRecord closed = Closed("r", 10, 20, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  Upsert(closed);
  // A late task carrying the started state does not bring the run back to life.
  Upsert(Running("r", 10));
  auto page = List("");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].status, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(page->records[0].state_transition_count, 7);

  // The same state again is harmless; a newer one replaces it.
  Upsert(closed);
  closed.state_transition_count = 8;
  closed.search_attributes_json = R"({"CustomKeyword":"late"})";
  Upsert(closed);
  EXPECT_THAT(RunIds("CustomKeyword = 'late'"), ElementsAre("r"));
  EXPECT_THAT(RunIds(""), ElementsAre("r"));
}

TEST_F(VisibilityStoreTest, RejectsRecordsItCannotStore) {
  VisibilityRecord r = Running("r", 1);
  r.search_attributes_json = "[1, 2]";
  EXPECT_EQ(stores_.visibility->Upsert(r).code(), absl::StatusCode::kInvalidArgument);
  r.search_attributes_json = "{not json";
  EXPECT_EQ(stores_.visibility->Upsert(r).code(), absl::StatusCode::kInvalidArgument);
  r = Running("", 1);
  EXPECT_EQ(stores_.visibility->Upsert(r).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(VisibilityStoreTest, ListsRunningFirstThenNewestClosedFirst) {
  UpsertFixture();
  // Running: e (start 50), d (40); closed: a and c closed at 100 (c started later), b at 90.
  EXPECT_THAT(RunIds(""), ElementsAre("e", "d", "c", "a", "b"));
  // Equal close and start times fall back to the run id, descending.
  Upsert(Closed("x1", 30, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED));
  Upsert(Closed("x2", 30, 100, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED));
  EXPECT_THAT(RunIds(""), ElementsAre("e", "d", "x2", "x1", "c", "a", "b"));
}

TEST_F(VisibilityStoreTest, PagesCoverEveryRowOnceInOrder) {
  std::vector<std::string> expected;
  for (int i = 0; i < 23; ++i) {
    // Some share start and close times, so the run id decides between them.
    std::string id = absl::StrCat("run-", i < 10 ? "0" : "", i);
    if (i % 3 == 0) {
      Upsert(Running(id, i / 2));
    } else {
      Upsert(Closed(id, i / 2, 100 + i / 4, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED));
    }
  }
  std::vector<std::string> all = RunIds("");
  ASSERT_EQ(all.size(), 23u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 23u);
  for (int page_size : {1, 4, 7, 22, 23, 24}) {
    EXPECT_EQ(RunIds("", page_size), all) << "page size " << page_size;
  }
  // A full last page has no token (no empty trailing page).
  auto page = List("", 23);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->next_page_token.empty());
  // A filtered list pages the same way.
  EXPECT_EQ(RunIds("ExecutionStatus = 'Running'", 2).size(), 8u);
}

TEST_F(VisibilityStoreTest, BadPageTokensAreInvalidArgument) {
  Upsert(Running("r", 1));
  for (const std::string& token : {std::string("garbage\xff"), std::string("\x08\x01", 2)}) {
    auto page = List("", 10, token);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << page.status();
    EXPECT_THAT(std::string(page.status().message()), HasSubstr("next_page_token"));
  }
}

TEST_F(VisibilityStoreTest, PageSizeIsClampedToTheMaximum) {
  ASSERT_TRUE(server_
                  ->Exec(config_,
                         absl::StrCat("INSERT INTO executions_visibility (namespace_id, run_id, "
                                      "workflow_id, workflow_type, task_queue, status, start_time, "
                                      "execution_time, history_length, history_size_bytes, "
                                      "state_transition_count, root_workflow_id, root_run_id) "
                                      "SELECT '",
                                      kNs,
                                      "', 'run-' || i, 'wf-' || i, 'T', 'q', 1, "
                                      "now() - i * interval '1 second', now(), 1, 1, 1, 'wf', 'r' "
                                      "FROM generate_series(1, 1005) AS i"))
                  .ok());
  for (int page_size : {0, 5000}) {
    auto page = List("", page_size);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->records.size(), 1000u);
    ASSERT_FALSE(page->next_page_token.empty());
    auto rest = List("", page_size, page->next_page_token);
    ASSERT_TRUE(rest.ok()) << rest.status();
    EXPECT_EQ(rest->records.size(), 5u);
  }
}

TEST_F(VisibilityStoreTest, FiltersOnSystemAndCustomAttributes) {
  UpsertFixture();
  auto ids = [&](const std::string& query) {
    std::vector<std::string> out = RunIds(query);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_THAT(ids("WorkflowType = 'PaymentWorkflow'"), ElementsAre("b"));
  EXPECT_THAT(ids("ExecutionStatus = 'Completed'"), ElementsAre("a", "c"));
  EXPECT_THAT(ids("ExecutionStatus != 'Running' AND WorkflowType = 'OrderWorkflow'"),
              ElementsAre("a", "c"));
  EXPECT_THAT(ids("WorkflowId = 'wf-d'"), ElementsAre("d"));
  EXPECT_THAT(ids("TaskQueue = 'payments'"), ElementsAre("e"));
  EXPECT_THAT(ids("CloseTime IS NULL"), ElementsAre("d", "e"));
  EXPECT_THAT(ids("StartTime >= '2024-05-01T10:00:30Z' AND StartTime < '2024-05-01T10:00:50Z'"),
              ElementsAre("c", "d"));
  EXPECT_THAT(ids("CloseTime < '2024-05-01T10:01:35Z'"), ElementsAre("b"));
  EXPECT_THAT(ids("ExecutionDuration > '75s'"), ElementsAre("a"));
  EXPECT_THAT(ids("CustomKeyword = 'alpha'"), ElementsAre("a", "d"));
  EXPECT_THAT(ids("CustomKeyword != 'alpha'"), ElementsAre("b"));
  EXPECT_THAT(ids("CustomKeyword IN ('beta', 'gamma')"), ElementsAre("b"));
  EXPECT_THAT(ids("CustomKeyword STARTS_WITH 'al'"), ElementsAre("a", "d"));
  EXPECT_THAT(ids("CustomInt > 5"), ElementsAre("b", "d"));
  EXPECT_THAT(ids("CustomInt BETWEEN 5 AND 7"), ElementsAre("a", "d"));
  EXPECT_THAT(ids("CustomDouble = 1.5"), ElementsAre("a"));
  EXPECT_THAT(ids("CustomBool = false"), ElementsAre("b"));
  EXPECT_THAT(ids("CustomList = 'green'"), ElementsAre("a"));
  EXPECT_THAT(ids("CustomList IN ('blue', 'red')"), ElementsAre("a", "b"));
  EXPECT_THAT(ids("CustomDatetime > '2024-05-15T00:00:00Z'"), ElementsAre("b"));
  EXPECT_THAT(ids("CustomText = 'brown'"), ElementsAre("a"));
  EXPECT_THAT(ids("CustomInt IS NULL"), ElementsAre("c", "e"));
  EXPECT_THAT(ids("NOT (CustomKeyword = 'alpha')"), ElementsAre("b", "c", "e"));
  EXPECT_THAT(ids("CustomKeyword = 'alpha' OR TaskQueue = 'payments'"), ElementsAre("a", "d", "e"));
}

TEST_F(VisibilityStoreTest, NamespacesAreSeparateAndSystemWorkflowsHiddenUnlessAsked) {
  UpsertFixture();
  VisibilityRecord other = Running("other", 1);
  other.namespace_id = "another-namespace";
  Upsert(other);
  VisibilityRecord scheduler = Running("sched", 1);
  scheduler.search_attributes_json = R"({"TemporalNamespaceDivision":"TemporalScheduler"})";
  Upsert(scheduler);

  EXPECT_EQ(RunIds("").size(), 5u);
  auto page = List("", 0, "", "another-namespace");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].run_id, "other");
  EXPECT_THAT(RunIds("TemporalNamespaceDivision = 'TemporalScheduler'"), ElementsAre("sched"));
  EXPECT_EQ(RunIds("TemporalNamespaceDivision IS NULL").size(), 5u);
  EXPECT_EQ(Count("")->count, 5);
}

TEST_F(VisibilityStoreTest, CountsAndGroupsByExecutionStatus) {
  UpsertFixture();
  auto all = Count("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->count, 5);
  EXPECT_TRUE(all->groups.empty());
  EXPECT_EQ(Count("CustomKeyword = 'alpha'")->count, 2);

  auto grouped = Count("GROUP BY ExecutionStatus");
  ASSERT_TRUE(grouped.ok()) << grouped.status();
  EXPECT_EQ(grouped->count, 5);
  std::map<int64_t, int64_t> by_status;
  for (const auto& g : grouped->groups) by_status[std::get<int64_t>(g.value)] = g.count;
  EXPECT_EQ(by_status, (std::map<int64_t, int64_t>{{enums::WORKFLOW_EXECUTION_STATUS_RUNNING, 2},
                                                   {enums::WORKFLOW_EXECUTION_STATUS_COMPLETED, 2},
                                                   {enums::WORKFLOW_EXECUTION_STATUS_FAILED, 1}}));
  // Most frequent first.
  EXPECT_EQ(grouped->groups.back().count, 1);

  auto filtered = Count("WorkflowType = 'OrderWorkflow' GROUP BY ExecutionStatus");
  ASSERT_TRUE(filtered.ok()) << filtered.status();
  EXPECT_EQ(filtered->count, 4);
  EXPECT_EQ(filtered->groups.size(), 2u);
}

TEST_F(VisibilityStoreTest, DeleteRemovesTheRowAndIsIdempotent) {
  UpsertFixture();
  ASSERT_TRUE(stores_.visibility->Delete(kNs, "a").ok());
  ASSERT_TRUE(stores_.visibility->Delete(kNs, "a").ok());
  ASSERT_TRUE(stores_.visibility->Delete("another-namespace", "b").ok());
  EXPECT_THAT(RunIds(""), ElementsAre("e", "d", "c", "b"));
  EXPECT_EQ(Count("")->count, 4);
}

TEST_F(VisibilityStoreTest, OrderByIsRejectedAsUnsupported) {
  auto page = List("ORDER BY StartTime DESC");
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(page.status().message()), HasSubstr("operation is not supported"));
}

// The default listing reads one page through the ordering index, never the whole table: with
// thousands of rows, listing ten reads a handful of index entries and no sequential scan.
TEST_F(VisibilityStoreTest, DefaultListingReadsAnIndexRangeNotTheTable) {
  ASSERT_TRUE(server_
                  ->Exec(config_,
                         absl::StrCat("INSERT INTO executions_visibility (namespace_id, run_id, "
                                      "workflow_id, workflow_type, task_queue, status, start_time, "
                                      "execution_time, close_time, history_length, "
                                      "history_size_bytes, state_transition_count, "
                                      "root_workflow_id, root_run_id) SELECT '",
                                      kNs,
                                      "', 'run-' || i, 'wf-' || i, 'T', 'q', 2, "
                                      "now() - i * interval '1 minute', now(), "
                                      "now() - i * interval '1 second', 1, 1, 1, 'wf', 'r' "
                                      "FROM generate_series(1, 20000) AS i; "
                                      "ANALYZE executions_visibility"))
                  .ok());
  pqxx::connection observer(persistence::postgres::ConnectionString(config_));
  auto scans = [&] {
    pqxx::nontransaction txn(observer);
    txn.exec("SELECT pg_stat_clear_snapshot()");
    pqxx::row row = txn.exec1(
        "SELECT seq_scan, idx_scan, idx_tup_fetch FROM pg_stat_user_tables "
        "WHERE relname = 'executions_visibility'");
    return std::array<int64_t, 3>{row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int64_t>()};
  };
  // Statistics reach the view when the writing backend flushes them (about once a second).
  auto settled = scans();
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = scans();
    if (now == settled && i >= 15) break;
    settled = now;
  }

  std::string token;
  for (int page = 0; page < 3; ++page) {
    auto listed = List("", 10, token);
    ASSERT_TRUE(listed.ok()) << listed.status();
    ASSERT_EQ(listed->records.size(), 10u);
    token = listed->next_page_token;
  }
  std::array<int64_t, 3> after{};
  for (int i = 0; i < 100; ++i) {
    after = scans();
    if (after[1] >= settled[1] + 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(after[0], settled[0]) << "a sequential scan of executions_visibility";
  EXPECT_GE(after[1], settled[1] + 3) << "three index scans";
  EXPECT_LE(after[2] - settled[2], 3 * 11 + 10) << "rows fetched through the index";
}

}  // namespace
}  // namespace tern::testing
