// A fixed-size pool of libpqxx connections. Internal to persistence/postgres.
//
// Thread-safe. Run() blocks the calling thread: it waits (up to acquire_timeout) for a free
// connection, opening one if fewer than `size` exist, then calls the body with it. The body
// owns the connection for the duration of the call and must do all its work in one transaction
// it opens itself; returning a non-OK status before commit rolls that transaction back.
//
// A connection found broken (the server restarted or cut the session) is dropped with every
// idle one and the body runs once more on a fresh connection. Other transient failures
// (serialization failure 40001, deadlock 40P01, the server shutting down, a second broken
// connection) return Unavailable (IsTransientError): repeating the call with backoff is the
// retry decorator's job (persistence/decorators). A commit whose outcome is unknown
// (connection lost during COMMIT) and a timed-out acquire are FinalUnavailableError, which is
// not repeated. Every other libpqxx or std exception becomes Internal. No exception leaves Run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/connection>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/config.h"

namespace tern::persistence::postgres {

// A libpq connection string for `cfg`, connecting to `database` (cfg.database_name if empty).
// connect_addr is "host:port", or a unix socket directory (starts with '/').
std::string ConnectionString(const SqlStoreConfig& cfg, std::string_view database = {});

// A statement prepared on every connection of a pool (lazily, on first use).
struct PreparedStatement {
  const char* name;
  const char* sql;
};

class ConnectionPool {
 public:
  struct Options {
    int size = 16;
    std::chrono::milliseconds acquire_timeout{10000};
    std::vector<PreparedStatement> statements;
  };

  // Opens one connection eagerly, so a wrong address or credentials fail here.
  static absl::StatusOr<std::shared_ptr<ConnectionPool>> Open(std::string connection_string,
                                                              Options options);
  ~ConnectionPool();

  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs `body(pqxx::connection_base&)`, which returns absl::Status or absl::StatusOr<T>.
  // `what` names the operation in error messages.
  template <typename Body>
  auto Run(absl::string_view what, Body&& body)
      -> std::invoke_result_t<Body&, pqxx::connection_base&> {
    using Result = std::invoke_result_t<Body&, pqxx::connection_base&>;
    if constexpr (std::is_same_v<Result, absl::Status>) {
      return RunImpl(what, body);
    } else {
      std::optional<Result> out;
      absl::Status status = RunImpl(what, [&](pqxx::connection_base& conn) -> absl::Status {
        out.emplace(body(conn));
        return out->status();
      });
      if (!status.ok()) return status;
      return *std::move(out);
    }
  }

 private:
  using Connection = std::unique_ptr<pqxx::connection>;

  ConnectionPool(std::string connection_string, Options options);

  absl::Status RunImpl(absl::string_view what,
                       const std::function<absl::Status(pqxx::connection_base&)>& body);
  // A free connection (opened if needed), nullptr on timeout (status says why).
  Connection Acquire(absl::Status& status);
  // Returns `conn` to the pool, or closes it if it broke.
  void Release(Connection conn, bool broken);
  // Closes every idle connection (after one was found broken, the others likely are too).
  void DropIdle();
  Connection Connect();  // throws pqxx::broken_connection

  const std::string connection_string_;
  const Options options_;

  std::mutex mu_;
  std::condition_variable available_;
  std::deque<Connection> idle_;
  int open_ = 0;  // connections that exist: idle or handed out
};

}  // namespace tern::persistence::postgres
