// DeleteWorkflowExecution: the run is terminated (if running) and a delete task is written in
// the same transaction; the task removes the run's state, history, current-run pointer and
// visibility row under the run's lock, dropping it from the cache. tern-worker's retention uses
// the same path for closed runs only.
#include "common/metrics.h"
#include "persistence/visibility_store.h"
#include "services/history/history_engine.h"

namespace tern::history {

absl::StatusOr<ws::DeleteWorkflowExecutionResponse> HistoryEngine::DeleteWorkflowExecution(
    const hs::DeleteWorkflowExecutionRequest& internal) {
  auto target = ResolveTarget(internal.namespace_id(), internal.request().workflow_execution());
  if (!target.ok()) return target.status();
  auto status = Mutate(*target->shard, target->key, [&](MutableStateBuilder& ms) {
    if (ms.IsRunning()) {
      if (internal.retention()) return absl::OkStatus();  // retention never touches open runs
      TerminateRun(ms, "Delete workflow execution", nullptr, "history-service");
    }
    auto task = NewTimerTask(ms.state(), pv1::TimerTask::TYPE_DELETE_EXECUTION, ms.now());
    task.set_delete_reason(internal.retention() ? "retention" : "request");
    ms.AddTimerTask(std::move(task));
    ms.MarkDirty();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::DeleteWorkflowExecutionResponse();
}

absl::Status HistoryEngine::DeleteExecution(Shard& shard, const pv1::TimerTask& task) {
  ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
  auto context = shard.Context(key);
  std::lock_guard lock(context->mu);
  auto deleted = shard.executions().DeleteClosedExecution(shard.id(), key.namespace_id,
                                                          key.workflow_id, key.run_id);
  if (!deleted.ok()) return deleted.status();
  context->record.reset();  // later loads find nothing
  if (auto* visibility = shard.visibility()) {
    if (auto st = visibility->Delete(key.namespace_id, key.run_id); !st.ok()) return st;
  }
  if (*deleted) DeletedExecutions(task.delete_reason()).Increment();
  return absl::OkStatus();
}

}  // namespace tern::history
