#include "services/history/api/api.h"
#include "services/history/updates.h"

namespace tern::history::api {

void PollWorkflowExecutionUpdate(EngineContext& engine,
                                 const hs::PollWorkflowExecutionUpdateRequest& internal,
                                 Done<ws::PollWorkflowExecutionUpdateResponse> done) {
  engine.blocking().Post([&engine, internal, done = std::move(done)] {
    const auto& ref = internal.request().update_ref();
    auto target = engine.ResolveTarget(internal.namespace_id(), ref.workflow_execution());
    if (!target.ok()) return done(target.status());
    const ExecutionKey key = target->key;
    WaitForUpdate(
        engine, target->shard, key, ref.update_id(), std::nullopt,
        WantedStage(internal.request().wait_policy()),
        engine.LongPollDeadline(target->key.namespace_id, internal.has_long_poll_timeout()
                                                              ? &internal.long_poll_timeout()
                                                              : nullptr),
        [done, key, ref](absl::StatusOr<UpdateStatus> status) {
          if (!status.ok()) return done(status.status());
          ws::PollWorkflowExecutionUpdateResponse response;
          *response.mutable_update_ref() = ref;
          response.mutable_update_ref()->mutable_workflow_execution()->set_run_id(key.run_id);
          response.set_stage(status->stage);
          if (status->outcome) *response.mutable_outcome() = *status->outcome;
          done(std::move(response));
        });
  });
}

}  // namespace tern::history::api
