// Signals (contract §2.5.3).
#include "common/errors.h"
#include "services/history/api/api.h"
#include "services/history/signals.h"

namespace tern::history::api {

absl::StatusOr<ws::SignalWorkflowExecutionResponse> SignalWorkflowExecution(
    EngineContext& engine, const hs::SignalWorkflowExecutionRequest& internal) {
  const auto& request = internal.request();
  const auto& execution = request.workflow_execution();
  auto target = engine.ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  auto status =
      engine.Mutate(*target->shard, target->key, [&](MutableStateBuilder& ms) -> absl::Status {
        if (!ms.IsRunning()) {
          return NotFoundError("workflow execution already completed");
        }
        for (const auto& id : ms.state().signal_request_ids()) {
          if (!request.request_id().empty() && id == request.request_id()) {
            return absl::OkStatus();  // a retried request: already applied
          }
        }
        auto* event =
            AddSignal(ms, request.signal_name(), request.has_input() ? &request.input() : nullptr,
                      request.identity(), request.has_header() ? &request.header() : nullptr,
                      request.request_id());
        if (internal.has_external_workflow_execution()) {
          *event->mutable_workflow_execution_signaled_event_attributes()
               ->mutable_external_workflow_execution() = internal.external_workflow_execution();
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return ws::SignalWorkflowExecutionResponse();
}

}  // namespace tern::history::api
