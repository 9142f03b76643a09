#include "common/errors.h"
#include "services/history/api/api.h"
#include "services/history/updates.h"

namespace tern::history::api {

void UpdateWorkflowExecution(EngineContext& engine,
                             const hs::UpdateWorkflowExecutionRequest& internal,
                             Done<ws::UpdateWorkflowExecutionResponse> done) {
  engine.blocking().Post([&engine, internal, done = std::move(done)] {
    const auto& request = internal.request();
    auto target = engine.ResolveTarget(internal.namespace_id(), request.workflow_execution());
    if (!target.ok()) return done(target.status());
    const ExecutionKey key = target->key;
    if (!request.first_execution_run_id().empty()) {
      auto state = engine.Snapshot(*target->shard, key);
      if (!state.ok()) return done(state.status());
      if (state->first_execution_run_id() != request.first_execution_run_id()) {
        return done(
            NotFoundError("workflow execution not found for the given first execution run id"));
      }
    }
    std::string update_id = request.request().meta().update_id();
    WaitForUpdate(engine, target->shard, key, update_id, request.request(),
                  WantedStage(request.wait_policy()),
                  engine.LongPollDeadline(
                      target->key.namespace_id,
                      internal.has_long_poll_timeout() ? &internal.long_poll_timeout() : nullptr),
                  [done, key, update_id](absl::StatusOr<UpdateStatus> status) {
                    if (!status.ok()) return done(status.status());
                    ws::UpdateWorkflowExecutionResponse response;
                    auto* ref = response.mutable_update_ref();
                    ref->mutable_workflow_execution()->set_workflow_id(key.workflow_id);
                    ref->mutable_workflow_execution()->set_run_id(key.run_id);
                    ref->set_update_id(update_id);
                    response.set_stage(status->stage);
                    if (status->outcome) *response.mutable_outcome() = *status->outcome;
                    done(std::move(response));
                  });
  });
}

}  // namespace tern::history::api
