#include "services/history/api/api.h"
#include "services/history/visibility_record.h"

namespace tern::history::api {

absl::StatusOr<ws::DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(
    EngineContext& engine, const hs::DescribeWorkflowExecutionRequest& internal) {
  const auto& execution = internal.request().execution();
  auto target = engine.ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  auto snapshot = engine.Snapshot(*target->shard, target->key);
  if (!snapshot.ok()) return snapshot.status();
  const pv1::MutableState& state = *snapshot;
  ws::DescribeWorkflowExecutionResponse response;
  auto* config = response.mutable_execution_config();
  config->mutable_task_queue()->set_name(state.task_queue());
  config->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  *config->mutable_workflow_execution_timeout() = state.workflow_execution_timeout();
  *config->mutable_workflow_run_timeout() = state.workflow_run_timeout();
  *config->mutable_default_workflow_task_timeout() = state.default_workflow_task_timeout();
  auto* info = response.mutable_workflow_execution_info();
  info->mutable_execution()->set_workflow_id(state.workflow_id());
  info->mutable_execution()->set_run_id(state.run_id());
  *info->mutable_type() = state.workflow_type();
  *info->mutable_start_time() = state.start_time();
  if (state.has_close_time()) {
    *info->mutable_close_time() = state.close_time();
    *info->mutable_execution_duration() =
        ToProtoDuration(FromProto(state.close_time()) - FromProto(state.start_time()));
  }
  info->set_status(state.status());
  info->set_history_length(state.next_event_id() - 1);
  *info->mutable_execution_time() = state.execution_time();
  if (state.has_memo()) *info->mutable_memo() = state.memo();
  if (state.has_search_attributes()) *info->mutable_search_attributes() = state.search_attributes();
  info->set_task_queue(state.task_queue());
  info->set_state_transition_count(state.state_transition_count());
  info->set_history_size_bytes(state.history_size_bytes());
  info->set_first_run_id(state.first_execution_run_id());
  if (state.has_parent()) {
    info->set_parent_namespace_id(state.parent().namespace_id());
    info->mutable_parent_execution()->set_workflow_id(state.parent().workflow_id());
    info->mutable_parent_execution()->set_run_id(state.parent().run_id());
  }
  *info->mutable_root_execution() = RootExecution(state);
  for (const auto& [id, child] : state.children()) {
    auto* pending = response.add_pending_children();
    pending->set_workflow_id(child.workflow_id());
    pending->set_run_id(child.run_id());
    pending->set_workflow_type_name(child.workflow_type().name());
    pending->set_initiated_id(child.initiated_event_id());
    pending->set_parent_close_policy(child.parent_close_policy());
  }
  for (const auto& [id, activity] : state.activities()) {
    auto* pending = response.add_pending_activities();
    pending->set_activity_id(activity.activity_id());
    *pending->mutable_activity_type() = activity.activity_type();
    pending->set_state(activity.cancel_requested() ? enums::PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
                       : activity.started()        ? enums::PENDING_ACTIVITY_STATE_STARTED
                                                   : enums::PENDING_ACTIVITY_STATE_SCHEDULED);
    if (activity.has_last_heartbeat_details()) {
      *pending->mutable_heartbeat_details() = activity.last_heartbeat_details();
    }
    if (activity.has_last_heartbeat_time()) {
      *pending->mutable_last_heartbeat_time() = activity.last_heartbeat_time();
    }
    if (activity.has_started_time())
      *pending->mutable_last_started_time() = activity.started_time();
    pending->set_attempt(activity.attempt());
    pending->set_maximum_attempts(activity.retry_policy().maximum_attempts());
    *pending->mutable_scheduled_time() = activity.scheduled_time();
    if (activity.has_last_failure()) *pending->mutable_last_failure() = activity.last_failure();
    pending->set_last_worker_identity(activity.started_identity());
  }
  const auto& wft = state.workflow_task();
  if (wft.scheduled_event_id() != 0) {
    auto* pending = response.mutable_pending_workflow_task();
    pending->set_state(wft.started_event_id() != 0 ? enums::PENDING_WORKFLOW_TASK_STATE_STARTED
                                                   : enums::PENDING_WORKFLOW_TASK_STATE_SCHEDULED);
    *pending->mutable_scheduled_time() = wft.scheduled_time();
    *pending->mutable_original_scheduled_time() = wft.scheduled_time();
    if (wft.has_started_time()) *pending->mutable_started_time() = wft.started_time();
    pending->set_attempt(wft.attempt());
  }
  return response;
}

}  // namespace tern::history::api
