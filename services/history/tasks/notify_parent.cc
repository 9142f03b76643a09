// TYPE_CLOSE_EXECUTION: a closed child tells its parent how it closed.
#include "services/history/tasks/tasks.h"

namespace tern::history::tasks {

void NotifyParent(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                  TransferQueue::Done done) {
  engine.blocking().Post([&engine, &shard, task, done] {
    auto child = engine.Snapshot(shard, {task.namespace_id(), task.workflow_id(), task.run_id()});
    if (absl::IsNotFound(child.status())) return done(absl::OkStatus());
    if (!child.ok()) return done(child.status());
    auto completion = engine.ReadEvent(shard, *child, child->completion_event_id());
    if (!completion.ok()) return done(completion.status());
    hs::RecordChildExecutionCompletedRequest request;
    request.set_namespace_id(child->parent().namespace_id());
    request.mutable_parent_execution()->set_workflow_id(child->parent().workflow_id());
    request.mutable_parent_execution()->set_run_id(child->parent().run_id());
    request.set_parent_initiated_event_id(child->parent().initiated_event_id());
    request.mutable_child_execution()->set_workflow_id(child->workflow_id());
    request.mutable_child_execution()->set_run_id(child->run_id());
    *request.mutable_completion_event() = std::move(*completion);
    engine.history().RecordChildExecutionCompleted(
        request, engine.CallDeadline(kCrossWorkflowCallTimeout), [done](auto result) {
          // A parent that is gone no longer cares.
          done(absl::IsNotFound(result.status()) ? absl::OkStatus() : result.status());
        });
  });
}
}  // namespace tern::history::tasks
