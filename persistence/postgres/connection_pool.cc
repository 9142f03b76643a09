#include "persistence/postgres/connection_pool.h"

#include <map>
#include <pqxx/except>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "common/status_macros.h"
#include "persistence/store.h"

namespace tern::persistence::postgres {
namespace {

// libpq conninfo values are single-quoted with \ and ' escaped.
std::string Quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

// SQLSTATE classes that mean "try again on another connection": connection exceptions (08)
// and the server going away (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
// now).
bool IsTransientSqlState(const std::string& state) {
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "40001" || state == "40P01";
}

}  // namespace

std::string ConnectionString(const SqlStoreConfig& cfg, std::string_view database) {
  std::map<std::string, std::string> keywords;
  keywords["connect_timeout"] = "10";
  keywords["application_name"] = "tern";
  // A host cut off from the database mid-transaction must neither hang nor keep its locks: TCP
  // keepalives and a send timeout fail its connections within about 15 s, and the server ends a
  // transaction left idle for 10 s (ours run statement after statement), releasing the shard row
  // a new owner is waiting to fence. connectAttributes override any of these.
  keywords["keepalives"] = "1";
  keywords["keepalives_idle"] = "5";
  keywords["keepalives_interval"] = "2";
  keywords["keepalives_count"] = "3";
  keywords["tcp_user_timeout"] = "15000";
  keywords["options"] = "-c idle_in_transaction_session_timeout=10000";
  const std::string& addr = cfg.connect_addr;
  if (!addr.empty() && addr.front() == '/') {
    keywords["host"] = addr;  // unix socket directory
  } else if (!addr.empty()) {
    std::string host = addr;
    std::string port;
    size_t colon = addr.rfind(':');
    size_t bracket = addr.rfind(']');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
      host = addr.substr(0, colon);
      port = addr.substr(colon + 1);
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    keywords["host"] = host;
    if (!port.empty()) keywords["port"] = port;
  }
  keywords["dbname"] = database.empty() ? cfg.database_name : std::string(database);
  if (!cfg.user.empty()) keywords["user"] = cfg.user;
  if (!cfg.password.empty()) keywords["password"] = cfg.password;
  for (const auto& [key, value] : cfg.connect_attributes) keywords[key] = value;

  std::string out;
  for (const auto& [key, value] : keywords) {
    if (!out.empty()) out += ' ';
    absl::StrAppend(&out, key, "=", Quote(value));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<ConnectionPool>> ConnectionPool::Open(std::string connection_string,
                                                                     Options options) {
  if (options.size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("connection pool size must be at least 1, got ", options.size));
  }
  std::shared_ptr<ConnectionPool> pool(
      new ConnectionPool(std::move(connection_string), std::move(options)));
  RETURN_IF_ERROR(pool->Run("connect", [](pqxx::connection_base&) { return absl::OkStatus(); }));
  return pool;
}

ConnectionPool::ConnectionPool(std::string connection_string, Options options)
    : connection_string_(std::move(connection_string)), options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Connection ConnectionPool::Connect() {
  auto conn = std::make_unique<pqxx::connection>(connection_string_);
  for (const PreparedStatement& statement : options_.statements) {
    conn->prepare(statement.name, statement.sql);
  }
  return conn;
}

ConnectionPool::Connection ConnectionPool::Acquire(absl::Status& status) {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  while (idle_.empty() && open_ >= options_.size) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      status = absl::UnavailableError(
          absl::StrCat("timed out after ", options_.acquire_timeout.count(),
                       "ms waiting for one of ", options_.size, " database connections"));
      return nullptr;
    }
  }
  if (!idle_.empty()) {
    Connection conn = std::move(idle_.front());
    idle_.pop_front();
    return conn;
  }
  ++open_;  // reserve the slot, connect without holding the lock
  lock.unlock();
  try {
    return Connect();
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void ConnectionPool::Release(Connection conn, bool broken) {
  std::lock_guard lock(mu_);
  if (broken || !conn->is_open()) {
    --open_;
    conn.reset();
  } else {
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

void ConnectionPool::DropIdle() {
  std::lock_guard lock(mu_);
  open_ -= static_cast<int>(idle_.size());
  idle_.clear();
  available_.notify_all();
}

absl::Status ConnectionPool::RunImpl(
    absl::string_view what, const std::function<absl::Status(pqxx::connection_base&)>& body) {
  // A connection found broken is reopened once at once (the server restarted or cut the pooled
  // sessions); repeating the call after any other transient failure is the retry decorator's job.
  for (bool reopened = false;; reopened = true) {
    Connection conn;
    std::string error;
    try {
      absl::Status acquire_status;
      conn = Acquire(acquire_status);
      if (conn == nullptr) return FinalUnavailableError(std::string(acquire_status.message()));
      absl::Status status = body(*conn);
      Release(std::move(conn), false);
      return status;
    } catch (const pqxx::in_doubt_error& e) {
      if (conn != nullptr) Release(std::move(conn), true);
      return FinalUnavailableError(
          absl::StrCat(what,
                       ": the database connection was lost during commit, the outcome is "
                       "unknown: ",
                       e.what()));
    } catch (const pqxx::statement_completion_unknown& e) {
      if (conn != nullptr) Release(std::move(conn), true);
      return FinalUnavailableError(
          absl::StrCat(what, ": the statement's outcome is unknown: ", e.what()));
    } catch (const pqxx::broken_connection& e) {
      if (conn != nullptr) Release(std::move(conn), true);
      if (!reopened) {
        DropIdle();
        continue;
      }
      error = e.what();
    } catch (const pqxx::sql_error& e) {
      if (conn != nullptr) Release(std::move(conn), false);
      if (!IsTransientSqlState(e.sqlstate())) {
        return absl::InternalError(
            absl::StrCat(what, ": database error ", e.sqlstate(), ": ", e.what()));
      }
      error = absl::StrCat(e.sqlstate(), ": ", e.what());
    } catch (const pqxx::transaction_rollback& e) {
      if (conn != nullptr) Release(std::move(conn), false);
      error = e.what();
    } catch (const std::exception& e) {
      if (conn != nullptr) Release(std::move(conn), true);
      return absl::InternalError(absl::StrCat(what, ": ", e.what()));
    }
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    return DependencyUnavailableError("database",
                                      absl::StrCat(what, ": database unavailable: ", error));
  }
}

}  // namespace tern::persistence::postgres
