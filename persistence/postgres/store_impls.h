// Constructors of the individual PostgreSQL stores. Internal to persistence/postgres: others
// call OpenPostgresStores (postgres_stores.h).
#pragma once

#include <memory>
#include <vector>

#include "persistence/batch_operation_store.h"
#include "persistence/postgres/connection_pool.h"
#include "persistence/schedule_store.h"
#include "persistence/store.h"
#include "persistence/visibility_store.h"

namespace tern::persistence::postgres {

// The statements each store prepares on every pooled connection.
std::vector<PreparedStatement> NamespaceStatements();
std::vector<PreparedStatement> ClusterStatements();  // metadata + membership
std::vector<PreparedStatement> ShardStatements();
std::vector<PreparedStatement> ExecutionStatements();
std::vector<PreparedStatement> TaskStatements();
std::vector<PreparedStatement> VisibilityStatements();

// The 20 array parameters of tern_upsert_visibility (schema v5) for `records`, in its order.
std::vector<std::string> VisibilityColumns(const std::vector<const VisibilityRecord*>& records);
std::vector<PreparedStatement> ScheduleStatements();
std::vector<PreparedStatement> BatchOperationStatements();

std::shared_ptr<NamespaceStore> NewNamespaceStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<ClusterMetadataStore> NewClusterMetadataStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<MembershipStore> NewMembershipStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<ShardStore> NewShardStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<ExecutionStore> NewExecutionStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<TaskStore> NewTaskStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<VisibilityStore> NewVisibilityStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<ScheduleStore> NewScheduleStore(std::shared_ptr<ConnectionPool> pool);
std::shared_ptr<BatchOperationStore> NewBatchOperationStore(std::shared_ptr<ConnectionPool> pool);

}  // namespace tern::persistence::postgres
