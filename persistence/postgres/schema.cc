#include "persistence/postgres/schema.h"

#include <functional>
#include <memory>
#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "persistence/postgres/connection_pool.h"
#include "persistence/postgres/migrations.h"
#include "spdlog/spdlog.h"

namespace tern::persistence::postgres {
namespace {

// Serializes concurrent schema tools on one database ("tern" in ASCII).
constexpr int64_t kSchemaLockKey = 0x7465726e;

constexpr const char* kVersionTablesSql = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  version_partition INTEGER NOT NULL DEFAULT 0 PRIMARY KEY CHECK (version_partition = 0),
  curr_version INTEGER NOT NULL,
  update_time TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO schema_version (version_partition, curr_version) VALUES (0, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS schema_update_history (
  version INTEGER NOT NULL PRIMARY KEY,
  files TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql";

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool IsMissingDatabase(const std::string& message) {
  return message.find("does not exist") != std::string::npos;
}

// Opens one connection to `database` and runs `body` with it, turning exceptions into statuses.
// No retries: the schema tool is run by a person or once at start.
absl::Status WithConnection(const SqlStoreConfig& cfg, const std::string& database,
                            const std::function<absl::Status(pqxx::connection&)>& body) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(ConnectionString(cfg, database));
  } catch (const pqxx::broken_connection& e) {
    std::string message = Trimmed(e.what());
    if (IsMissingDatabase(message)) {
      return absl::NotFoundError(absl::StrCat("database \"", database, "\" does not exist"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL at ", cfg.connect_addr, ": ", message));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL at ", cfg.connect_addr,
                                               ": ", Trimmed(e.what())));
  }
  try {
    return body(*conn);
  } catch (const pqxx::sql_error& e) {
    return absl::InternalError(
        absl::StrCat("database \"", database, "\": ", e.sqlstate(), ": ", Trimmed(e.what())));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("database \"", database, "\": ", Trimmed(e.what())));
  }
}

absl::Status CreateDatabaseIfMissing(const SqlStoreConfig& cfg) {
  absl::Status probe =
      WithConnection(cfg, cfg.database_name, [](pqxx::connection&) { return absl::OkStatus(); });
  if (!absl::IsNotFound(probe)) return probe;
  return WithConnection(cfg, "postgres", [&](pqxx::connection& conn) {
    pqxx::nontransaction txn(conn);
    try {
      txn.exec0("CREATE DATABASE " + txn.quote_name(cfg.database_name));
      spdlog::info("schema: created database {}", cfg.database_name);
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != "42P04") throw;  // duplicate_database: a concurrent setup won
    }
    return absl::OkStatus();
  });
}

// Version of the open database; 0 without the schema_version table.
int ReadVersion(pqxx::transaction_base& txn) {
  if (txn.exec1("SELECT to_regclass('schema_version') IS NULL")[0].as<bool>()) return 0;
  pqxx::result rows = txn.exec("SELECT curr_version FROM schema_version");
  return rows.empty() ? 0 : rows[0][0].as<int>();
}

absl::Status TooNewError(int db_version) {
  return absl::FailedPreconditionError(absl::StrCat(
      "database schema version ", db_version, " is newer than the version this binary knows (",
      kSchemaVersion, "); refusing to downgrade, run a newer tern"));
}

// Applies migrations above the database's version, one transaction each.
absl::Status ApplyMigrations(pqxx::connection& conn, const std::string& database) {
  for (const Migration& migration : EmbeddedMigrations()) {
    pqxx::work txn(conn);
    txn.exec_params("SELECT pg_advisory_xact_lock($1)", kSchemaLockKey);
    pqxx::result rows = txn.exec("SELECT curr_version FROM schema_version FOR UPDATE");
    if (rows.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("database \"", database,
                       "\" has an empty schema_version table; run `tern schema setup`"));
    }
    int current = rows[0][0].as<int>();
    if (current > kSchemaVersion) return TooNewError(current);
    if (current >= migration.version) continue;
    if (current != migration.version - 1) {
      return absl::InternalError(absl::StrCat("database schema version ", current,
                                              " cannot take migration v", migration.version));
    }
    txn.exec(std::string(migration.sql));
    txn.exec_params("UPDATE schema_version SET curr_version = $1, update_time = now()",
                    migration.version);
    txn.exec_params("INSERT INTO schema_update_history (version, files) VALUES ($1, $2)",
                    migration.version, std::string(migration.files));
    txn.commit();
    spdlog::info("schema: database {} updated to version {} ({})", database, migration.version,
                 migration.files);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SetupSchema(const SqlStoreConfig& cfg) {
  RETURN_IF_ERROR(CreateDatabaseIfMissing(cfg));
  return WithConnection(cfg, cfg.database_name, [&](pqxx::connection& conn) {
    {
      pqxx::work txn(conn);
      txn.exec_params("SELECT pg_advisory_xact_lock($1)", kSchemaLockKey);
      txn.exec(kVersionTablesSql);
      txn.commit();
    }
    return ApplyMigrations(conn, cfg.database_name);
  });
}

absl::Status UpdateSchema(const SqlStoreConfig& cfg) {
  return WithConnection(cfg, cfg.database_name, [&](pqxx::connection& conn) {
    {
      pqxx::read_transaction txn(conn);
      if (txn.exec1("SELECT to_regclass('schema_version') IS NULL")[0].as<bool>()) {
        return absl::FailedPreconditionError(
            absl::StrCat("database \"", cfg.database_name,
                         "\" has no schema_version table; run `tern schema setup` first"));
      }
    }
    return ApplyMigrations(conn, cfg.database_name);
  });
}

absl::StatusOr<int> GetSchemaVersion(const SqlStoreConfig& cfg) {
  int version = 0;
  absl::Status status = WithConnection(cfg, cfg.database_name, [&](pqxx::connection& conn) {
    pqxx::read_transaction txn(conn);
    version = ReadVersion(txn);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return version;
}

absl::Status CheckSchemaVersion(const SqlStoreConfig& cfg) {
  absl::StatusOr<int> version = GetSchemaVersion(cfg);
  if (absl::IsNotFound(version.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat(version.status().message(), "; run `tern schema setup`"));
  }
  if (!version.ok()) return version.status();
  if (*version == kSchemaVersion) return absl::OkStatus();
  std::string hint = *version == 0               ? "run `tern schema setup`"
                     : *version < kSchemaVersion ? "run `tern schema update`"
                                                 : "run a tern binary that knows this version";
  return absl::FailedPreconditionError(absl::StrCat("database schema version ", *version,
                                                    " is not the version this binary expects (",
                                                    kSchemaVersion, "); ", hint));
}

}  // namespace tern::persistence::postgres
