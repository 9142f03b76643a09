// TYPE_PARENT_CLOSE_POLICY: what happens to the children of a run that closed.
#include <atomic>
#include <mutex>

#include "services/history/tasks/tasks.h"

namespace tern::history::tasks {

void ApplyParentClosePolicy(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                            TransferQueue::Done done) {
  engine.blocking().Post([&engine, &shard, task, done] {
    auto parent = engine.Snapshot(shard, {task.namespace_id(), task.workflow_id(), task.run_id()});
    if (absl::IsNotFound(parent.status())) return done(absl::OkStatus());
    if (!parent.ok()) return done(parent.status());
    struct Pending {
      std::atomic<int> remaining{1};
      std::mutex mu;
      absl::Status first_error;
    };
    auto pending = std::make_shared<Pending>();
    auto finish_one = [pending, done](absl::Status status) {
      // A child that is already gone needs nothing.
      if (!status.ok() && !absl::IsNotFound(status)) {
        std::lock_guard lock(pending->mu);
        if (pending->first_error.ok()) pending->first_error = status;
      }
      if (--pending->remaining == 0) done(pending->first_error);
    };
    for (const auto& [id, child] : parent->children()) {
      if (!child.started() || child.parent_close_policy() == enums::PARENT_CLOSE_POLICY_ABANDON) {
        continue;
      }
      temporal::api::common::v1::WorkflowExecution execution;
      execution.set_workflow_id(child.workflow_id());
      ++pending->remaining;
      if (child.parent_close_policy() == enums::PARENT_CLOSE_POLICY_TERMINATE) {
        hs::TerminateWorkflowExecutionRequest request;
        request.set_namespace_id(child.namespace_id());
        auto* r = request.mutable_request();
        r->set_namespace_(child.namespace_());
        *r->mutable_workflow_execution() = execution;
        r->set_reason("by parent close policy");
        r->set_first_execution_run_id(child.run_id());
        engine.history().TerminateWorkflowExecution(
            request, engine.CallDeadline(kCrossWorkflowCallTimeout),
            [finish_one](auto result) { finish_one(result.status()); });
      } else {
        hs::RequestCancelWorkflowExecutionRequest request;
        request.set_namespace_id(child.namespace_id());
        auto* r = request.mutable_request();
        r->set_namespace_(child.namespace_());
        *r->mutable_workflow_execution() = execution;
        r->set_reason("by parent close policy");
        r->set_first_execution_run_id(child.run_id());
        r->set_request_id(DerivedRequestId(*parent, child.initiated_event_id()) + ":close");
        engine.history().RequestCancelWorkflowExecution(
            request, engine.CallDeadline(kCrossWorkflowCallTimeout),
            [finish_one](auto result) { finish_one(result.status()); });
      }
    }
    finish_one(absl::OkStatus());
  });
}
}  // namespace tern::history::tasks
