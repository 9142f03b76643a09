#include "common/status_macros.h"
#include "services/history/api/api.h"
#include "services/history/workflow_task.h"

namespace tern::history::api {

absl::StatusOr<ws::RespondWorkflowTaskFailedResponse> RespondWorkflowTaskFailed(
    EngineContext& engine, const hs::RespondWorkflowTaskFailedRequest& internal) {
  const auto& request = internal.request();
  ASSIGN_OR_RETURN(auto target, engine.ResolveTaskToken(request.task_token()));
  Shard& shard = *target.shard;
  const pv1::TaskToken& token = target.token;
  auto status = engine.Mutate(shard, target.key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!IsCurrentWorkflowTask(ms, token)) return WorkflowTaskNotFound();
    FailWorkflowTask(ms, request.cause(), request.failure(), request.identity());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::RespondWorkflowTaskFailedResponse();
}

}  // namespace tern::history::api
