// What only the PostgreSQL VisibilityStore promises, against a real database: page tokens,
// the page-size clamp, ORDER BY refused, and a default listing that reads an index range. The
// behaviour every store shares is the contract suite (visibility_store_contract.h).
#include "persistence/visibility_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "persistence/postgres/connection_pool.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/unit/visibility_test_util.h"
#include "visibility/query.h"

namespace tern::testing {
namespace {

using persistence::VisibilityRecord;
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

class VisibilityStoreTest : public PostgresTest {
 protected:
  void Upsert(const VisibilityRecord& record) {
    absl::Status status = stores_.visibility->Upsert(record);
    ASSERT_TRUE(status.ok()) << status;
  }

  absl::StatusOr<persistence::VisibilityPage> List(const std::string& query, int page_size = 0,
                                                   const std::string& token = "") {
    absl::StatusOr<visibility::Query> parsed = visibility::ParseQuery(query, Custom());
    if (!parsed.ok()) return parsed.status();
    return stores_.visibility->List(kNs, *parsed, page_size, token);
  }
};

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
