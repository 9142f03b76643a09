// Signal-with-start (contract §2.5.4): signals the open run, or starts one with the signal.
#include "common/errors.h"
#include "services/history/api/api.h"
#include "services/history/runs.h"
#include "services/history/signals.h"

namespace tern::history::api {

absl::StatusOr<ws::SignalWithStartWorkflowExecutionResponse> SignalWithStartWorkflowExecution(
    EngineContext& engine, const hs::SignalWithStartWorkflowExecutionRequest& internal) {
  const auto& r = internal.request();
  ws::StartWorkflowExecutionRequest start;
  start.set_namespace_(r.namespace_());
  start.set_workflow_id(r.workflow_id());
  *start.mutable_workflow_type() = r.workflow_type();
  *start.mutable_task_queue() = r.task_queue();
  if (r.has_input()) *start.mutable_input() = r.input();
  *start.mutable_workflow_execution_timeout() = r.workflow_execution_timeout();
  *start.mutable_workflow_run_timeout() = r.workflow_run_timeout();
  *start.mutable_workflow_task_timeout() = r.workflow_task_timeout();
  start.set_identity(r.identity());
  start.set_request_id(r.request_id());
  start.set_workflow_id_reuse_policy(r.workflow_id_reuse_policy());
  start.set_workflow_id_conflict_policy(r.workflow_id_conflict_policy());
  if (r.has_retry_policy()) *start.mutable_retry_policy() = r.retry_policy();
  start.set_cron_schedule(r.cron_schedule());
  if (r.has_memo()) *start.mutable_memo() = r.memo();
  if (r.has_search_attributes()) *start.mutable_search_attributes() = r.search_attributes();
  if (r.has_header()) *start.mutable_header() = r.header();
  if (r.has_workflow_start_delay())
    *start.mutable_workflow_start_delay() = r.workflow_start_delay();
  if (r.has_priority()) *start.mutable_priority() = r.priority();

  auto signal = [&](MutableStateBuilder& ms) {
    AddSignal(ms, r.signal_name(), r.has_signal_input() ? &r.signal_input() : nullptr, r.identity(),
              r.has_header() ? &r.header() : nullptr, "");
  };
  EngineContext::Mutation on_running = [&](MutableStateBuilder& ms) -> absl::Status {
    if (!ms.IsRunning()) return NotFoundError("workflow execution already completed");
    signal(ms);
    return absl::OkStatus();
  };
  // With TERMINATE_EXISTING the running run is replaced instead of signalled.
  bool signal_running =
      r.workflow_id_conflict_policy() != enums::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
  auto started = StartRun(engine, internal.namespace_id(), start, signal,
                          signal_running ? &on_running : nullptr);
  if (!started.ok()) return started.status();
  ws::SignalWithStartWorkflowExecutionResponse response;
  response.set_run_id(started->run_id());
  response.set_started(started->started());
  return response;
}

}  // namespace tern::history::api
