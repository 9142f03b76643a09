#include "persistence/postgres/postgres_stores.h"

#include "absl/strings/str_cat.h"
#include "persistence/postgres/connection_pool.h"
#include "persistence/postgres/store_impls.h"

namespace tern::persistence::postgres {

absl::StatusOr<Stores> OpenPostgresStores(const tern::SqlStoreConfig& cfg) {
  if (cfg.plugin_name != "postgres") {
    return absl::InvalidArgumentError(absl::StrCat("persistence plugin '", cfg.plugin_name,
                                                   "' is not supported (only 'postgres')"));
  }
  ConnectionPool::Options options;
  options.size = cfg.max_conns;
  for (auto statements : {NamespaceStatements(), ClusterStatements(), ShardStatements(),
                          ExecutionStatements(), TaskStatements(), VisibilityStatements(),
                          ScheduleStatements(), BatchOperationStatements()}) {
    options.statements.insert(options.statements.end(), statements.begin(), statements.end());
  }
  absl::StatusOr<std::shared_ptr<ConnectionPool>> pool =
      ConnectionPool::Open(ConnectionString(cfg), std::move(options));
  if (!pool.ok()) {
    return absl::Status(pool.status().code(),
                        absl::StrCat("database \"", cfg.database_name, "\" at ", cfg.connect_addr,
                                     ": ", pool.status().message()));
  }
  Stores stores;
  stores.namespaces = NewNamespaceStore(*pool);
  stores.cluster_metadata = NewClusterMetadataStore(*pool);
  stores.membership = NewMembershipStore(*pool);
  stores.shards = NewShardStore(*pool);
  stores.executions = NewExecutionStore(*pool);
  stores.tasks = NewTaskStore(*pool);
  stores.visibility = NewVisibilityStore(*pool);
  stores.schedules = NewScheduleStore(*pool);
  stores.batch_operations = NewBatchOperationStore(*pool);
  stores.visibility_in_executions = true;
  return stores;
}

}  // namespace tern::persistence::postgres
