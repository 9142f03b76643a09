// The parent's side of a child's close (contract §3.5.5).
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<hs::RecordChildExecutionCompletedResponse> RecordChildExecutionCompleted(
    EngineContext& engine, const hs::RecordChildExecutionCompletedRequest& request) {
  const auto& parent = request.parent_execution();
  auto shard = engine.ShardFor(request.namespace_id(), parent.workflow_id());
  if (!shard.ok()) return shard.status();
  auto status = engine.Mutate(
      **shard, {request.namespace_id(), parent.workflow_id(), parent.run_id()},
      [&](MutableStateBuilder& ms) -> absl::Status {
        auto& children = *ms.state().mutable_children();
        auto it = children.find(request.parent_initiated_event_id());
        if (!ms.IsRunning() || it == children.end()) return absl::OkStatus();
        if (!it->second.started()) {
          // The child closed before the parent recorded its start; the child's task retries.
          return absl::UnavailableError("the parent has not recorded the child's start yet");
        }
        const auto& child = it->second;
        const auto& completion = request.completion_event();
        // The first run of the child's chain, as the parent knows it.
        temporal::api::common::v1::WorkflowExecution execution;
        execution.set_workflow_id(child.workflow_id());
        execution.set_run_id(child.run_id());
        auto fill = [&](auto* attrs) {
          attrs->set_namespace_(child.namespace_());
          attrs->set_namespace_id(child.namespace_id());
          *attrs->mutable_workflow_execution() = execution;
          *attrs->mutable_workflow_type() = child.workflow_type();
          attrs->set_initiated_event_id(child.initiated_event_id());
          attrs->set_started_event_id(child.started_event_id());
        };
        switch (completion.event_type()) {
          case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
            auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
                              ->mutable_child_workflow_execution_completed_event_attributes();
            fill(attrs);
            const auto& c = completion.workflow_execution_completed_event_attributes();
            if (c.has_result()) *attrs->mutable_result() = c.result();
            break;
          }
          case enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
            auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED)
                              ->mutable_child_workflow_execution_failed_event_attributes();
            fill(attrs);
            const auto& c = completion.workflow_execution_failed_event_attributes();
            *attrs->mutable_failure() = c.failure();
            attrs->set_retry_state(c.retry_state());
            break;
          }
          case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: {
            auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED)
                              ->mutable_child_workflow_execution_canceled_event_attributes();
            fill(attrs);
            const auto& c = completion.workflow_execution_canceled_event_attributes();
            if (c.has_details()) *attrs->mutable_details() = c.details();
            break;
          }
          case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: {
            auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT)
                              ->mutable_child_workflow_execution_timed_out_event_attributes();
            fill(attrs);
            attrs->set_retry_state(
                completion.workflow_execution_timed_out_event_attributes().retry_state());
            break;
          }
          case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
            fill(ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED)
                     ->mutable_child_workflow_execution_terminated_event_attributes());
            break;
          }
          default:
            return absl::InvalidArgumentError("not a close event: " +
                                              enums::EventType_Name(completion.event_type()));
        }
        children.erase(it);
        ms.ScheduleWorkflowTask();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return hs::RecordChildExecutionCompletedResponse();
}

}  // namespace tern::history::api
