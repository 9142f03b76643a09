// Signals, signal-with-start and cancellation requests (contract §2.5.3, §2.5.4, §2.5.7).
#include "common/errors.h"
#include "services/history/history_engine.h"

namespace tern::history {
namespace {
// Signal request ids kept per run for deduplication; older ones are forgotten.
constexpr int kMaxRememberedSignalRequests = 100;
}  // namespace

hv1::HistoryEvent* HistoryEngine::AddSignal(MutableStateBuilder& ms, const std::string& signal_name,
                              const temporal::api::common::v1::Payloads* input,
                              const std::string& identity,
                              const temporal::api::common::v1::Header* header,
                              const std::string& request_id) {
  auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  auto* attrs = event->mutable_workflow_execution_signaled_event_attributes();
  attrs->set_signal_name(signal_name);
  if (input) *attrs->mutable_input() = *input;
  attrs->set_identity(identity);
  if (header) *attrs->mutable_header() = *header;
  attrs->set_request_id(request_id);
  if (!request_id.empty()) {
    auto* ids = ms.state().mutable_signal_request_ids();
    ids->Add(std::string(request_id));
    if (ids->size() > kMaxRememberedSignalRequests) ids->DeleteSubrange(0, 1);
  }
  ms.ScheduleWorkflowTask();
  return event;
}

absl::StatusOr<ws::SignalWorkflowExecutionResponse> HistoryEngine::SignalWorkflowExecution(
    const hs::SignalWorkflowExecutionRequest& internal) {
  const auto& request = internal.request();
  const auto& execution = request.workflow_execution();
  auto target = ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  auto status = Mutate(*target->shard, target->key,
                       [&](MutableStateBuilder& ms) -> absl::Status {
                         if (!ms.IsRunning()) {
                           return NotFoundError("workflow execution already completed");
                         }
                         for (const auto& id : ms.state().signal_request_ids()) {
                           if (!request.request_id().empty() && id == request.request_id()) {
                             return absl::OkStatus();  // a retried request: already applied
                           }
                         }
                         auto* event = AddSignal(
                             ms, request.signal_name(),
                             request.has_input() ? &request.input() : nullptr, request.identity(),
                             request.has_header() ? &request.header() : nullptr,
                             request.request_id());
                         if (internal.has_external_workflow_execution()) {
                           *event->mutable_workflow_execution_signaled_event_attributes()
                                ->mutable_external_workflow_execution() =
                               internal.external_workflow_execution();
                         }
                         return absl::OkStatus();
                       });
  if (!status.ok()) return status;
  return ws::SignalWorkflowExecutionResponse();
}

absl::StatusOr<ws::SignalWithStartWorkflowExecutionResponse>
HistoryEngine::SignalWithStartWorkflowExecution(
    const hs::SignalWithStartWorkflowExecutionRequest& internal) {
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
  if (r.has_workflow_start_delay()) *start.mutable_workflow_start_delay() = r.workflow_start_delay();
  if (r.has_priority()) *start.mutable_priority() = r.priority();

  auto signal = [&](MutableStateBuilder& ms) {
    AddSignal(ms, r.signal_name(), r.has_signal_input() ? &r.signal_input() : nullptr,
              r.identity(), r.has_header() ? &r.header() : nullptr, "");
  };
  Mutation on_running = [&](MutableStateBuilder& ms) -> absl::Status {
    if (!ms.IsRunning()) return NotFoundError("workflow execution already completed");
    signal(ms);
    return absl::OkStatus();
  };
  // With TERMINATE_EXISTING the running run is replaced instead of signalled.
  bool signal_running =
      r.workflow_id_conflict_policy() != enums::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
  auto started = StartRun(internal.namespace_id(), start, signal, signal_running ? &on_running : nullptr);
  if (!started.ok()) return started.status();
  ws::SignalWithStartWorkflowExecutionResponse response;
  response.set_run_id(started->run_id());
  response.set_started(started->started());
  return response;
}

absl::StatusOr<ws::RequestCancelWorkflowExecutionResponse>
HistoryEngine::RequestCancelWorkflowExecution(
    const hs::RequestCancelWorkflowExecutionRequest& internal) {
  const auto& request = internal.request();
  const auto& execution = request.workflow_execution();
  auto target = ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  const ExecutionKey& key = target->key;
  auto status = Mutate(*target->shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!request.first_execution_run_id().empty() &&
        request.first_execution_run_id() != ms.state().first_execution_run_id()) {
      return NotFoundError("workflow execution not found for workflow id \"" +
                           execution.workflow_id() + "\" and the given first execution run id");
    }
    // Cancelling a closed run, or asking twice, succeeds without doing anything (reference).
    if (!ms.IsRunning() || ms.state().cancel_requested()) return absl::OkStatus();
    ms.state().set_cancel_requested(true);
    auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    auto* attrs = event->mutable_workflow_execution_cancel_requested_event_attributes();
    attrs->set_cause(request.reason());
    attrs->set_identity(request.identity());
    if (internal.has_external_workflow_execution()) {
      *attrs->mutable_external_workflow_execution() = internal.external_workflow_execution();
      attrs->set_external_initiated_event_id(internal.external_initiated_event_id());
    }
    ms.ScheduleWorkflowTask();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::RequestCancelWorkflowExecutionResponse();
}

}  // namespace tern::history
