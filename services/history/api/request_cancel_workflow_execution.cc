// Cancellation requests (contract §2.5.7).
#include "common/errors.h"
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::RequestCancelWorkflowExecutionResponse> RequestCancelWorkflowExecution(
    EngineContext& engine, const hs::RequestCancelWorkflowExecutionRequest& internal) {
  const auto& request = internal.request();
  const auto& execution = request.workflow_execution();
  auto target = engine.ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  const ExecutionKey& key = target->key;
  auto status = engine.Mutate(*target->shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!request.first_execution_run_id().empty() &&
        request.first_execution_run_id() != ms.state().first_execution_run_id()) {
      return NotFoundError("workflow execution not found for workflow id \"" +
                           execution.workflow_id() + "\" and the given first execution run id");
    }
    // Cancelling a closed run, or asking twice, succeeds without doing anything (reference).
    if (!ms.IsRunning() || ms.state().cancel_requested()) return absl::OkStatus();
    ms.state().set_cancel_requested(true);
    auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    auto* attrs = event->mutable_workflow_execution_cancel_requested_event_attributes();
    attrs->set_cause(request.reason());
    attrs->set_identity(request.identity());
    if (internal.has_external_workflow_execution()) {
      *attrs->mutable_external_workflow_execution() = internal.external_workflow_execution();
      attrs->set_external_initiated_event_id(internal.external_initiated_event_id());
    }
    ms.ScheduleWorkflowTask();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::RequestCancelWorkflowExecutionResponse();
}

}  // namespace tern::history::api
