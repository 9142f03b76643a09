// How runs come to be and end: a new run (first start, continue-as-new, retry, cron, reset), the
// start of a workflow id under its id reuse/conflict policies, and termination.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/history/engine_context.h"

namespace tern::history {

// Adds events to a new run between WorkflowExecutionStarted and the first workflow task.
using StartHook = std::function<void(MutableStateBuilder&)>;

// How a run came to be: first start, continue-as-new, retry or cron.
struct RunOrigin {
  std::string continued_execution_run_id;
  std::string first_execution_run_id;  // empty: the new run starts a chain
  enums::ContinueAsNewInitiator initiator = enums::CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED;
  int32_t attempt = 1;
  std::optional<TimePoint> expiration_time;  // inherited execution deadline
  std::chrono::nanoseconds first_task_backoff{0};
  pv1::ParentInfo parent;  // empty unless the run is (part of) a child workflow
  // The first workflow task is not sent to matching: the caller starts it and hands it to the
  // starting client's worker (eager workflow start).
  bool eager_start = false;
};

// A new run with its WorkflowExecutionStarted event, run-timeout timer and first workflow task
// (or the backoff timer that schedules it). `after_started` adds events before the task.
std::shared_ptr<MutableStateBuilder> NewRun(const std::string& namespace_id,
                                            const ws::StartWorkflowExecutionRequest& request,
                                            const RunOrigin& origin, TimePoint now,
                                            MutableStateBuilder::TaskIdSource task_ids,
                                            const StartHook& after_started);

// The run that replaces `ms` after it failed or timed out, if its retry policy allows one (sets
// *retry_state either way); null otherwise. `failure` becomes the new run's continued_failure.
absl::StatusOr<std::shared_ptr<MutableStateBuilder>> RetryRun(
    EngineContext& engine, Shard& shard, MutableStateBuilder& ms,
    const temporal::api::failure::v1::Failure& failure, enums::RetryState* retry_state);

// The next run of a cron workflow after `ms` completed (`result`) or failed (`failure`); null
// when the run has no cron schedule.
absl::StatusOr<std::shared_ptr<MutableStateBuilder>> CronRun(
    EngineContext& engine, Shard& shard, MutableStateBuilder& ms,
    const temporal::api::common::v1::Payloads* result,
    const temporal::api::failure::v1::Failure* failure);

// The run a reset creates from `base` (whose history is `base_events`), to be written with
// `current`, the workflow's current run (reset_run.cc).
absl::StatusOr<std::shared_ptr<MutableStateBuilder>> ResetRun(
    const pv1::MutableState& base, const std::vector<hv1::HistoryEvent>& base_events,
    const ws::ResetWorkflowExecutionRequest& request, const std::string& new_run_id,
    MutableStateBuilder& current);

// Starts a run of request.workflow_id() applying the id reuse/conflict policies (start_run.cc).
// When a run is open and `on_running` is set, it is applied to that run instead
// (signal-with-start) and the response says started=false. A retried request (same request id
// as the current run's) answers with that run.
absl::StatusOr<ws::StartWorkflowExecutionResponse> StartRun(
    EngineContext& engine, const std::string& namespace_id,
    const ws::StartWorkflowExecutionRequest& request, const StartHook& after_started,
    const EngineContext::Mutation* on_running, const pv1::ParentInfo& parent = pv1::ParentInfo());

// Fails the started (normal) workflow task with FORCE_CLOSE_COMMAND: the run closes under it.
void FailStartedWorkflowTaskForClose(MutableStateBuilder& ms, const std::string& identity);
void TerminateRun(MutableStateBuilder& ms, const std::string& reason,
                  const temporal::api::common::v1::Payloads* details, const std::string& identity);
// Tasks a run's closing produces: notify the parent, apply the parent close policy.
void AddCloseTasks(MutableStateBuilder& ms);

}  // namespace tern::history
