#include "services/history/api/api.h"
#include "services/history/runs.h"

namespace tern::history::api {

absl::StatusOr<ws::StartWorkflowExecutionResponse> StartWorkflowExecution(
    EngineContext& engine, const hs::StartWorkflowExecutionRequest& internal) {
  return StartRun(engine, internal.namespace_id(), internal.request(), nullptr, nullptr,
                  internal.parent());
}

}  // namespace tern::history::api
