// TYPE_START_CHILD: the parent's side of starting a child workflow (contract §3.5.5).
#include "services/history/event_state.h"
#include "services/history/tasks/tasks.h"
#include "services/history/visibility_record.h"

namespace tern::history::tasks {

void StartChild(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                TransferQueue::Done done) {
  engine.blocking().Post([&engine, &shard, task, done] {
    ExecutionKey parent_key{task.namespace_id(), task.workflow_id(), task.run_id()};
    auto parent = engine.Snapshot(shard, parent_key);
    if (absl::IsNotFound(parent.status())) return done(absl::OkStatus());
    if (!parent.ok()) return done(parent.status());
    auto it = parent->children().find(task.scheduled_event_id());
    if (parent->status() != enums::WORKFLOW_EXECUTION_STATUS_RUNNING ||
        it == parent->children().end() || it->second.started()) {
      return done(absl::OkStatus());  // already handled, or the parent is gone
    }
    auto initiated = engine.ReadEvent(shard, *parent, task.scheduled_event_id());
    if (!initiated.ok()) return done(initiated.status());
    const auto& a = initiated->start_child_workflow_execution_initiated_event_attributes();
    hs::StartWorkflowExecutionRequest request;
    request.set_namespace_id(parent->namespace_id());
    auto* r = request.mutable_request();
    r->set_namespace_(parent->namespace_name());
    r->set_workflow_id(a.workflow_id());
    *r->mutable_workflow_type() = a.workflow_type();
    *r->mutable_task_queue() = a.task_queue();
    if (a.has_input()) *r->mutable_input() = a.input();
    *r->mutable_workflow_execution_timeout() = a.workflow_execution_timeout();
    *r->mutable_workflow_run_timeout() = a.workflow_run_timeout();
    *r->mutable_workflow_task_timeout() = a.workflow_task_timeout();
    r->set_request_id(DerivedRequestId(*parent, task.scheduled_event_id()));
    r->set_workflow_id_reuse_policy(a.workflow_id_reuse_policy());
    if (a.has_retry_policy()) *r->mutable_retry_policy() = a.retry_policy();
    r->set_cron_schedule(a.cron_schedule());
    if (a.has_memo()) *r->mutable_memo() = a.memo();
    if (a.has_search_attributes()) *r->mutable_search_attributes() = a.search_attributes();
    if (a.has_header()) *r->mutable_header() = a.header();
    if (a.has_priority()) *r->mutable_priority() = a.priority();
    auto* p = request.mutable_parent();
    p->set_namespace_id(parent->namespace_id());
    p->set_namespace_(parent->namespace_name());
    p->set_workflow_id(parent->workflow_id());
    p->set_run_id(parent->run_id());
    p->set_initiated_event_id(task.scheduled_event_id());
    auto root = RootExecution(*parent);
    p->set_root_workflow_id(root.workflow_id());
    p->set_root_run_id(root.run_id());
    engine.history().StartWorkflowExecution(
        request, engine.CallDeadline(kCrossWorkflowCallTimeout),
        [&engine, &shard, task, parent_key, a, done](auto result) {
          engine.blocking().Post([&engine, &shard, task, parent_key, a, done,
                                  result = std::move(result)] {
            if (!result.ok() && result.status().code() != absl::StatusCode::kAlreadyExists) {
              return done(result.status());
            }
            auto status =
                engine.Mutate(shard, parent_key, [&](MutableStateBuilder& ms) -> absl::Status {
                  auto& children = *ms.state().mutable_children();
                  auto it = children.find(task.scheduled_event_id());
                  if (!ms.IsRunning() || it == children.end() || it->second.started()) {
                    return absl::OkStatus();
                  }
                  if (result.ok()) {
                    auto* event =
                        ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
                    auto* attrs =
                        event->mutable_child_workflow_execution_started_event_attributes();
                    attrs->set_namespace_(a.namespace_());
                    attrs->set_namespace_id(a.namespace_id());
                    attrs->set_initiated_event_id(task.scheduled_event_id());
                    attrs->mutable_workflow_execution()->set_workflow_id(a.workflow_id());
                    attrs->mutable_workflow_execution()->set_run_id(result->run_id());
                    *attrs->mutable_workflow_type() = a.workflow_type();
                    if (a.has_header()) *attrs->mutable_header() = a.header();
                    it->second.set_started(true);
                    it->second.set_started_event_id(event->event_id());
                    it->second.set_run_id(result->run_id());
                  } else {
                    auto* event = ms.AddExternalEvent(
                        enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED);
                    auto* attrs =
                        event->mutable_start_child_workflow_execution_failed_event_attributes();
                    attrs->set_namespace_(a.namespace_());
                    attrs->set_namespace_id(a.namespace_id());
                    attrs->set_workflow_id(a.workflow_id());
                    *attrs->mutable_workflow_type() = a.workflow_type();
                    attrs->set_cause(
                        enums::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
                    attrs->set_initiated_event_id(task.scheduled_event_id());
                    attrs->set_workflow_task_completed_event_id(
                        a.workflow_task_completed_event_id());
                    children.erase(it);
                  }
                  ms.ScheduleWorkflowTask();
                  return absl::OkStatus();
                });
            done(absl::IsNotFound(status) ? absl::OkStatus() : status);
          });
        });
  });
}
}  // namespace tern::history::tasks
