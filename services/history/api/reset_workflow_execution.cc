// ResetWorkflowExecution: a new run (runs.h ResetRun) takes over the workflow id; the current
// run, if still running, is terminated in the same transaction.
#include "common/errors.h"
#include "common/ids.h"
#include "services/history/api/api.h"
#include "services/history/runs.h"

namespace tern::history::api {

namespace {
constexpr char kResetterIdentity[] = "history-resetter";
}  // namespace

absl::StatusOr<ws::ResetWorkflowExecutionResponse> ResetWorkflowExecution(
    EngineContext& engine, const hs::ResetWorkflowExecutionRequest& internal) {
  const auto& request = internal.request();
  auto target = engine.ResolveTarget(internal.namespace_id(), request.workflow_execution());
  if (!target.ok()) return target.status();
  Shard& shard = *target->shard;
  const ExecutionKey& base_key = target->key;
  auto current = shard.executions().GetCurrentExecution(shard.id(), base_key.namespace_id,
                                                        base_key.workflow_id);
  if (!current.ok()) return current.status();
  ws::ResetWorkflowExecutionResponse response;
  if (!request.request_id().empty() && current->create_request_id == request.request_id()) {
    response.set_run_id(current->run_id);  // this reset was applied already
    return response;
  }
  const bool base_is_current = current->run_id == base_key.run_id;
  std::optional<pv1::MutableState> base_snapshot;
  if (!base_is_current) {
    auto snapshot = engine.Snapshot(shard, base_key);
    if (!snapshot.ok()) return snapshot.status();
    base_snapshot = std::move(*snapshot);
  }

  const std::string new_run_id = NewUuid();
  ExecutionKey current_key{base_key.namespace_id, base_key.workflow_id, current->run_id};
  auto status = engine.Mutate(shard, current_key, [&](MutableStateBuilder& ms) -> absl::Status {
    // Read under the current run's lock so no signal to it slips between the read and the reset.
    const pv1::MutableState& base = base_is_current ? ms.state() : *base_snapshot;
    auto events = engine.ReadAllEvents(shard, base);
    if (!events.ok()) return events.status();
    auto run = ResetRun(base, *events, request, new_run_id, ms);
    if (!run.ok()) return run.status();
    if (ms.IsRunning()) {
      // The reset run carries the children on; the close policy must not touch them.
      ms.state().clear_children();
      TerminateRun(ms, request.reason(), nullptr, kResetterIdentity);
    }
    ms.MarkDirty();
    ms.SetContinuedRun(std::move(*run));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  response.set_run_id(new_run_id);
  return response;
}

}  // namespace tern::history::api
