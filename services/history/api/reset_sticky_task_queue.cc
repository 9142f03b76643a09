#include "common/errors.h"
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::ResetStickyTaskQueueResponse> ResetStickyTaskQueue(
    EngineContext& engine, const hs::ResetStickyTaskQueueRequest& internal) {
  const auto& execution = internal.request().execution();
  auto target = engine.ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  auto status =
      engine.Mutate(*target->shard, target->key, [](MutableStateBuilder& ms) -> absl::Status {
        if (!ms.IsRunning()) {
          return NotFoundError("workflow execution already completed");
        }
        if (ms.state().sticky_task_queue().empty()) return absl::OkStatus();
        ms.state().clear_sticky_task_queue();
        ms.MarkDirty();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return ws::ResetStickyTaskQueueResponse();
}

}  // namespace tern::history::api
