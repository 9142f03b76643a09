// The schema tool behind `tern schema setup|update|version` and the version check every service
// runs at start. The migrations (schema/postgresql/tern/vN/*.sql) are compiled into the binary,
// so the tool works from any directory.
//
// Each call opens its own short-lived connection (no pool) and blocks the calling thread.
// Concurrent setup/update runs are safe: each migration runs in its own transaction holding a
// transaction-scoped advisory lock, and re-reads the version under it.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"

namespace tern::persistence::postgres {

// The schema version this binary's code reads and writes: the highest embedded migration (the
// build fails if the two disagree).
inline constexpr int kSchemaVersion = 5;

// Creates the database if missing (through the `postgres` maintenance database), the
// schema_version / schema_update_history tables, then applies every pending migration.
// Idempotent. Refuses (FailedPrecondition) a database newer than kSchemaVersion.
absl::Status SetupSchema(const SqlStoreConfig& cfg);

// Applies the pending migrations in order, each in its own transaction together with its
// schema_version bump. FailedPrecondition if the database has no schema_version table (run
// setup) or is newer than kSchemaVersion (no downgrades); the message names both versions.
absl::Status UpdateSchema(const SqlStoreConfig& cfg);

// The database's schema version; 0 for a database without the schema_version table.
// NotFound if the database does not exist.
absl::StatusOr<int> GetSchemaVersion(const SqlStoreConfig& cfg);

// OK iff the database is at kSchemaVersion. Otherwise FailedPrecondition naming both versions
// and what to do, e.g. "database schema version 0 is not the version this binary expects (1);
// run `tern schema setup`". Services call this at start and refuse to start on error.
absl::Status CheckSchemaVersion(const SqlStoreConfig& cfg);

}  // namespace tern::persistence::postgres
