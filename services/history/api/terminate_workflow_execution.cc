#include "common/errors.h"
#include "services/history/api/api.h"
#include "services/history/runs.h"

namespace tern::history::api {

absl::StatusOr<ws::TerminateWorkflowExecutionResponse> TerminateWorkflowExecution(
    EngineContext& engine, const hs::TerminateWorkflowExecutionRequest& internal) {
  const auto& request = internal.request();
  auto target = engine.ResolveTarget(internal.namespace_id(), request.workflow_execution());
  if (!target.ok()) return target.status();
  const ExecutionKey& key = target->key;
  auto status = engine.Mutate(*target->shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!request.first_execution_run_id().empty() &&
        request.first_execution_run_id() != ms.state().first_execution_run_id()) {
      return WorkflowNotFound(key);
    }
    if (!ms.IsRunning()) return NotFoundError("workflow execution already completed");
    TerminateRun(ms, request.reason(), request.has_details() ? &request.details() : nullptr,
                 request.identity());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::TerminateWorkflowExecutionResponse();
}

}  // namespace tern::history::api
