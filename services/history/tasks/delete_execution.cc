// TYPE_DELETE_EXECUTION: written by DeleteWorkflowExecution (and retention) with the run's
// termination; removes the run under its lock, dropping it from the cache.
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "services/history/tasks/tasks.h"

namespace tern::history::tasks {

absl::Status DeleteExecution(EngineContext& engine, Shard& shard, const pv1::TimerTask& task) {
  ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
  auto context = shard.Context(key);
  std::lock_guard lock(context->mu);
  auto deleted = shard.executions().DeleteClosedExecution(shard.id(), key.namespace_id,
                                                          key.workflow_id, key.run_id);
  if (!deleted.ok()) return deleted.status();
  context->record.reset();  // later loads find nothing
  if (auto* visibility = shard.visibility()) {
    RETURN_IF_ERROR(visibility->Delete(key.namespace_id, key.run_id));
  }
  if (*deleted) {
    metrics::kDeletedExecutions.With({task.delete_reason()}).Increment();
    std::string name = engine.NamespaceForLogs(key.namespace_id);
    Log(spdlog::level::info,
        {.namespace_name = name,
         .workflow_id = key.workflow_id,
         .run_id = key.run_id,
         .shard_id = shard.id()},
        "history: workflow execution deleted ({})", task.delete_reason());
  }
  return absl::OkStatus();
}
}  // namespace tern::history::tasks
