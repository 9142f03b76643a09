// DeleteWorkflowExecution: the run is terminated (if running) and a delete task is written in
// the same transaction (tasks/delete_execution.cc). tern-worker's retention uses the same path
// for closed runs only.
#include "services/history/api/api.h"
#include "services/history/runs.h"

namespace tern::history::api {

absl::StatusOr<ws::DeleteWorkflowExecutionResponse> DeleteWorkflowExecution(
    EngineContext& engine, const hs::DeleteWorkflowExecutionRequest& internal) {
  auto target =
      engine.ResolveTarget(internal.namespace_id(), internal.request().workflow_execution());
  if (!target.ok()) return target.status();
  auto status = engine.Mutate(*target->shard, target->key, [&](MutableStateBuilder& ms) {
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

}  // namespace tern::history::api
