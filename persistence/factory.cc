#include "persistence/factory.h"

#include "persistence/decorators/store_decorators.h"

namespace tern::persistence {
namespace {

template <template <typename> class Decorated, typename Interface>
std::shared_ptr<Interface> Decorate(
    std::shared_ptr<Interface> store, const Clock& clock, const RetryOptions& retry,
    OperationMetrics::Families families = OperationMetrics::kPersistence) {
  if (!store) return store;
  auto measured =
      std::make_shared<Decorated<MetricsPolicy>>(std::move(store), MetricsPolicy(families, clock));
  return std::make_shared<Decorated<RetryPolicy>>(std::move(measured), RetryPolicy(retry, clock));
}

}  // namespace

Stores DecorateStores(const Stores& stores, const Clock& clock, RetryOptions retry) {
  Stores out;
  out.namespaces = Decorate<DecoratedNamespaceStore>(stores.namespaces, clock, retry);
  out.cluster_metadata =
      Decorate<DecoratedClusterMetadataStore>(stores.cluster_metadata, clock, retry);
  out.membership = Decorate<DecoratedMembershipStore>(stores.membership, clock, retry);
  out.shards = Decorate<DecoratedShardStore>(stores.shards, clock, retry);
  out.executions = Decorate<DecoratedExecutionStore>(stores.executions, clock, retry);
  out.tasks = Decorate<DecoratedTaskStore>(stores.tasks, clock, retry);
  out.visibility = Decorate<DecoratedVisibilityStore>(stores.visibility, clock, retry,
                                                      OperationMetrics::kVisibility);
  out.schedules = Decorate<DecoratedScheduleStore>(stores.schedules, clock, retry);
  out.batch_operations =
      Decorate<DecoratedBatchOperationStore>(stores.batch_operations, clock, retry);
  out.visibility_in_executions = stores.visibility_in_executions;
  return out;
}

}  // namespace tern::persistence
