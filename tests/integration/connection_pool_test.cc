#include "persistence/postgres/connection_pool.h"

#include <gtest/gtest.h>

#include <future>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/escaping.h"
#include "google/protobuf/timestamp.pb.h"
#include "persistence/decorators/policies.h"
#include "persistence/postgres/sql_util.h"
#include "tests/integration/postgres_fixture.h"

namespace tern::testing {
namespace {

using persistence::postgres::ArrayLiteral;
using persistence::postgres::ByteaArray;
using persistence::postgres::ConnectionPool;
using persistence::postgres::ConnectionString;

class ConnectionPoolTest : public PostgresTest {
 protected:
  // The one column of `sql`'s rows, run with `param` as $1 on a fresh pool.
  template <typename Param>
  absl::StatusOr<std::vector<std::string>> ReadColumn(const std::string& sql, const Param& param) {
    auto pool = ConnectionPool::Open(ConnectionString(config_), {});
    if (!pool.ok()) return pool.status();
    return (*pool)->Run(
        "read back", [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<std::string>> {
          pqxx::read_transaction txn(conn);
          std::vector<std::string> read;
          for (const auto& row : txn.exec_params(sql, param)) {
            read.push_back(row[0].template as<std::string>());
          }
          return read;
        });
  }
};

// Kills every other session on the test database, as a server restart or network cut would.
void TerminateSessions(PostgresServer& server, const SqlStoreConfig& cfg) {
  ASSERT_TRUE(server
                  .Exec(cfg,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
}

TEST_F(ConnectionPoolTest, StoresReconnectAfterConnectionsAreKilled) {
  ASSERT_TRUE(stores_.namespaces->ListNamespaces(10, "").ok());
  auto lease = stores_.shards->AcquireShard(1, "host");
  ASSERT_TRUE(lease.ok());
  TerminateSessions(*server_, config_);
  // The pooled connections are dead; calls still succeed on fresh ones.
  auto page = stores_.namespaces->ListNamespaces(10, "");
  EXPECT_TRUE(page.ok()) << page.status();
  auto renewed = stores_.shards->RenewRange(1, lease->range_id);
  EXPECT_TRUE(renewed.ok()) << renewed.status();
}

TEST_F(ConnectionPoolTest, AcquireTimesOutWhenAllConnectionsAreBusy) {
  ConnectionPool::Options options;
  options.size = 1;
  options.acquire_timeout = std::chrono::milliseconds(200);
  auto pool = ConnectionPool::Open(ConnectionString(config_), options);
  ASSERT_TRUE(pool.ok()) << pool.status();

  std::promise<void> holding, release;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    absl::Status held = (*pool)->Run("hold", [&](pqxx::connection_base&) {
      holding.set_value();
      released.wait();
      return absl::OkStatus();
    });
    EXPECT_TRUE(held.ok()) << held;
  });
  holding.get_future().wait();
  absl::Status starved =
      (*pool)->Run("starved", [](pqxx::connection_base&) { return absl::OkStatus(); });
  EXPECT_EQ(starved.code(), absl::StatusCode::kUnavailable) << starved;
  release.set_value();
  holder.join();
  // The connection went back to the pool.
  auto value = (*pool)->Run("after", [](pqxx::connection_base& conn) -> absl::StatusOr<int> {
    pqxx::read_transaction txn(conn);
    return txn.exec1("SELECT 41 + 1")[0].as<int>();
  });
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 42);
}

TEST_F(ConnectionPoolTest, NonTransientErrorsAreNotRetried) {
  auto pool = ConnectionPool::Open(ConnectionString(config_), {});
  ASSERT_TRUE(pool.ok());
  int calls = 0;
  absl::Status status = (*pool)->Run("bad sql", [&](pqxx::connection_base& conn) {
    ++calls;
    pqxx::work txn(conn);
    txn.exec("SELECT * FROM no_such_table");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(calls, 1);
}

TEST_F(ConnectionPoolTest, SerializationFailuresAreRetried) {
  auto pool = ConnectionPool::Open(ConnectionString(config_), {});
  ASSERT_TRUE(pool.ok());
  // The pool reports a transient failure once; the store retry decorator repeats the call.
  persistence::RetryPolicy retry({}, SystemClock::Instance());
  int calls = 0;
  absl::Status status = retry("flaky", [&] {
    return (*pool)->Run("flaky", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      if (++calls < 3) {
        // Raise SQLSTATE 40001 from the server, as a concurrent serializable transaction would.
        txn.exec("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
      }
      return absl::OkStatus();
    });
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(calls, 3);

  calls = 0;
  status = retry("always failing", [&] {
    return (*pool)->Run("always failing", [&](pqxx::connection_base& conn) {
      ++calls;
      pqxx::work txn(conn);
      txn.exec("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$");
      return absl::OkStatus();
    });
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(calls, persistence::RetryOptions().max_attempts);
}

// The text[] literals that carry a column of many rows: PostgreSQL reads back exactly what was
// added, quotes, backslashes, commas, braces, empty strings and NULLs included.
TEST_F(ConnectionPoolTest, ArrayLiteralsReadBackElementForElement) {
  ArrayLiteral empty;
  EXPECT_EQ(empty.Finish(), "{}");
  ArrayLiteral column;
  const std::vector<std::string> texts = {"plain",
                                          "say \"hi\"",
                                          "back\\slash\\",
                                          "",
                                          "{a,b}",
                                          "NULL",
                                          "ends with \\\"",
                                          "\"",
                                          "\\\"\\\"\\",
                                          "\"\"quoted\"\" \\\\ twice",
                                          "{\"json\": [\"a\\\\b\", 1]}"};
  column.AddNull();
  for (const auto& text : texts) column.Add(text);
  column.Add(int64_t{-42});
  column.AddOrNull("");
  auto rows =
      ReadColumn("SELECT coalesce(e, '<null>') FROM unnest($1::text[]) AS e", column.Finish());
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> expected = {"<null>"};
  expected.insert(expected.end(), texts.begin(), texts.end());
  expected.push_back("-42");
  expected.push_back("<null>");
  EXPECT_EQ(*rows, expected);
}

// The bytea[] parameters in binary array format: PostgreSQL reads back each element byte for
// byte (NUL bytes, a serialized message, an element written in place), and an empty array as
// one with no elements; Finish() may be called again for a retried statement.
TEST_F(ConnectionPoolTest, ByteaArraysReadBackElementForElement) {
  auto read_back = [&](ByteaArray& array) {
    return ReadColumn("SELECT encode(e, 'hex') FROM unnest($1::bytea[]) AS e", array.Finish());
  };
  ByteaArray empty;
  auto none = read_back(empty);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());

  google::protobuf::Timestamp message;
  message.set_seconds(1700000000);
  message.set_nanos(5);
  ByteaArray array;
  array.Add(std::string("a\0b\xff", 4));
  array.Add("");
  array.AddMessage(message);
  array.AddWritten([](std::string& out) { out += "written"; });
  const std::vector<std::string> expected = {absl::BytesToHexString(std::string("a\0b\xff", 4)), "",
                                             absl::BytesToHexString(message.SerializeAsString()),
                                             absl::BytesToHexString("written")};
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto rows = read_back(array);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(*rows, expected);
  }
}

}  // namespace
}  // namespace tern::testing
