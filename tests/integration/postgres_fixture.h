// A real, throwaway PostgreSQL for integration tests.
//
// PostgresServer::Start() runs initdb (as the `postgres` user when we are root, since initdb
// refuses root) in a fresh temporary directory, then `pg_ctl start -w` on 127.0.0.1 and a free
// port, with fsync off. The destructor runs `pg_ctl stop -m fast` and deletes the directory. A
// watchdog process also stops the server and deletes the directory if the test process dies
// without running the destructor (crash, SIGKILL), so no test leaves a postgres behind.
//
// PostgresTest is the gtest fixture: one server per test program (started on first use, stopped
// after the last test), and a fresh database with the current schema and open stores for every
// test.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"
#include "persistence/store.h"

namespace tern::testing {

class PostgresServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // Config for `database` on this server (the database may not exist yet).
  SqlStoreConfig ConfigFor(const std::string& database) const;
  // A new empty database with a unique name.
  absl::StatusOr<SqlStoreConfig> CreateDatabase();
  // Runs `sql` on the database of `cfg` in one transaction (test set-up and fault injection).
  absl::Status Exec(const SqlStoreConfig& cfg, const std::string& sql);

 private:
  PostgresServer() = default;
  void Stop();

  std::string root_dir_;  // temporary directory owned by the postgres user
  std::string data_dir_;
  std::string bin_dir_;
  int port_ = 0;
  bool running_ = false;
  pid_t watchdog_pid_ = -1;
  int watchdog_fd_ = -1;  // closing it tells the watchdog we are gone
  int next_database_ = 0;
};

// The server shared by every test of this program; started on first call. Stopped by a gtest
// environment after the last test.
absl::StatusOr<PostgresServer*> SharedPostgresServer();

// A fresh database with the current schema on the shared server, in *config; fails the calling
// test (fatally) if it cannot.
void CreateDatabaseWithSchema(SqlStoreConfig* config);

class PostgresTest : public ::testing::Test {
 protected:
  // Creates a fresh database with the schema applied (config_) and opens stores_ on it,
  // failing the test if it cannot.
  void SetUp() override;

  PostgresServer* server_ = nullptr;
  SqlStoreConfig config_;
  persistence::Stores stores_;
};

}  // namespace tern::testing
