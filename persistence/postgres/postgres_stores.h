// Opens the PostgreSQL implementation of every store in persistence/store.h.
#pragma once

#include "absl/status/statusor.h"
#include "common/config.h"
#include "persistence/store.h"

namespace tern::persistence::postgres {

// Connects a pool of cfg.max_conns connections to cfg.database_name (one connection is opened
// now, so a wrong address or credentials fail here with Unavailable) and returns stores that
// share it. Does not check the schema version: call CheckSchemaVersion (schema.h) first.
// The pool closes when the last store is destroyed.
absl::StatusOr<Stores> OpenPostgresStores(const tern::SqlStoreConfig& cfg);

}  // namespace tern::persistence::postgres
