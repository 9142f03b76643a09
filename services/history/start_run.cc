// StartRun inserts the new run first (CurrentMode::kCreate) and reads nothing when the workflow id
// is free; only when the store reports the current run (CurrentExecutionExistsError) do the
// request-id dedupe and the id reuse/conflict policies decide what happens next.
#include <optional>

#include "common/errors.h"
#include "common/status_macros.h"
#include "services/history/cron.h"
#include "services/history/runs.h"
#include "services/history/workflow_task.h"

namespace tern::history {
namespace {
constexpr int kMaxConflictRetries = 5;

ws::StartWorkflowExecutionResponse Response(const std::string& run_id, bool started) {
  ws::StartWorkflowExecutionResponse response;
  response.set_run_id(run_id);
  response.set_started(started);
  return response;
}

absl::Status AlreadyStarted(const std::string& message,
                            const ws::StartWorkflowExecutionRequest& request,
                            const persistence::CurrentExecution& current) {
  return WorkflowAlreadyStartedError(
      message + " WorkflowId: " + request.workflow_id() + ", RunId: " + current.run_id + ".",
      current.create_request_id, current.run_id);
}

// Why the id reuse policy refuses a new run after the closed run `current`; OK if it allows one.
absl::Status CheckReusePolicy(const ws::StartWorkflowExecutionRequest& request,
                              const persistence::CurrentExecution& current) {
  auto policy = request.workflow_id_reuse_policy();
  if (policy == enums::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
    return AlreadyStarted(
        "Workflow execution already finished and its WorkflowIdReusePolicy is RejectDuplicate.",
        request, current);
  }
  if (policy == enums::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
      (current.status == enums::WORKFLOW_EXECUTION_STATUS_COMPLETED ||
       current.status == enums::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)) {
    return AlreadyStarted(
        "Workflow execution already completed successfully and its WorkflowIdReusePolicy is "
        "AllowDuplicateFailedOnly.",
        request, current);
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<ws::StartWorkflowExecutionResponse> StartRun(
    EngineContext& engine, const std::string& namespace_id,
    const ws::StartWorkflowExecutionRequest& request, const StartHook& after_started,
    const EngineContext::Mutation* on_running, const pv1::ParentInfo& parent) {
  ASSIGN_OR_RETURN(auto shard_ptr, engine.ShardFor(namespace_id, request.workflow_id()));
  Shard& shard = *shard_ptr;

  // Serializes starts of one workflow id on this host; the current_executions insert guards
  // against everything else.
  auto id_lock = shard.Context({namespace_id, request.workflow_id(), ""});
  std::lock_guard lock(id_lock->mu);

  // The current run as the last conflicting write reported it; none before the first write.
  std::optional<persistence::CurrentExecution> current;
  for (int attempt = 0;; ++attempt) {
    auto now = engine.clock().Now();
    std::vector<persistence::WorkflowWrite> writes;
    std::optional<ExecutionKey> terminated_key;  // a run this start terminates (TerminateExisting)
    persistence::CurrentMode mode = persistence::CurrentMode::kCreate;
    std::string previous_run_id;

    if (current) {
      if (current->create_request_id == request.request_id()) {
        return Response(current->run_id, true);  // a retried request: that run is the answer
      }
      previous_run_id = current->run_id;
      mode = persistence::CurrentMode::kReplace;
      bool running = current->state != persistence::RunState::kCompleted;
      if (running && on_running) {
        RETURN_IF_ERROR(engine.Mutate(shard, {namespace_id, request.workflow_id(), current->run_id},
                                      *on_running));
        return Response(current->run_id, false);
      }
      if (running) {
        switch (request.workflow_id_conflict_policy()) {
          case enums::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
            return Response(current->run_id, false);
          case enums::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING: {
            ExecutionKey old_key{namespace_id, request.workflow_id(), current->run_id};
            ASSIGN_OR_RETURN(auto record, engine.LoadRecord(shard, old_key));
            MutableStateBuilder old(record.state, now, [&shard] { return shard.NextTaskId(); });
            TerminateRun(old, "terminated by a new start (TerminateExisting)", nullptr,
                         request.identity());
            auto write = engine.BuildWrite(shard, old, record.db_record_version,
                                           /*was_running=*/true, &record.state);
            write.current_mode = persistence::CurrentMode::kNone;  // replaced below
            writes.push_back(std::move(write));
            terminated_key = old_key;
            break;
          }
          default:
            return AlreadyStarted("Workflow execution is already running.", request, *current);
        }
      } else {
        RETURN_IF_ERROR(CheckReusePolicy(request, *current));
      }
    }

    RunOrigin origin;
    origin.first_task_backoff = FromProto(request.workflow_start_delay());
    if (!request.cron_schedule().empty()) {
      // A cron workflow's first run waits for the schedule's first fire time.
      ASSIGN_OR_RETURN(auto schedule, ParseCronSchedule(request.cron_schedule()));
      origin.first_task_backoff = std::max<std::chrono::nanoseconds>(
          origin.first_task_backoff, BackoffToNext(schedule, now, now));
    }
    origin.parent = parent;
    // Eager start, as Temporal allows it: a plain start (no delay, no cron) whose client has a
    // local worker with a free slot gets the first workflow task in the response.
    origin.eager_start = request.request_eager_execution() && on_running == nullptr &&
                         origin.first_task_backoff.count() == 0;
    auto run = NewRun(
        namespace_id, request, origin, now, [&shard] { return shard.NextTaskId(); }, after_started);
    if (origin.eager_start) {
      MarkWorkflowTaskStarted(*run, engine.options(namespace_id), request.identity(),
                              request.request_id());
    }
    std::string run_id = run->state().run_id();
    auto write = engine.BuildWrite(shard, *run, 0, true, nullptr);
    write.current_mode = mode;
    write.previous_run_id = previous_run_id;
    write.run_state = persistence::RunState::kRunning;
    writes.push_back(std::move(write));
    auto status = shard.Persist(writes);
    if (terminated_key) {
      // Written behind the terminated run's lock: drop whatever it cached meanwhile.
      auto context = shard.Context(*terminated_key);
      std::lock_guard old_lock(context->mu);
      context->record.reset();
    }
    if (status.ok()) {
      // The eager task's history is read once the run's events are cached (below).
      std::optional<WorkflowTaskStart> eager_task;
      if (origin.eager_start) {
        eager_task = StartWorkflowTaskResponse(writes.back().state, /*partial=*/false);
      }
      // The run's next transition finds its state cached instead of reading it back.
      auto run_context = shard.Context({namespace_id, request.workflow_id(), run_id});
      {
        std::lock_guard run_lock(run_context->mu);
        if (!run_context->record) {
          run_context->record = persistence::ExecutionRecord{std::move(writes.back().state), 1};
          run_context->tail.Append(std::move(writes.back().new_events), 1);
        }
      }
      auto response = Response(run_id, true);
      response.set_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
      if (eager_task) {
        // Without it the started task times out (start-to-close) and is retried through matching.
        auto task = WorkflowTaskResponse(shard, *std::move(eager_task));
        if (task.ok()) *response.mutable_eager_workflow_task() = *std::move(task);
      }
      return response;
    }
    if (!persistence::IsConditionFailed(status) || attempt >= kMaxConflictRetries) return status;
    // An insert reports the current run; a replace that lost a race reports nothing, so the next
    // attempt inserts again and learns the current run from that.
    current = persistence::GetExistingCurrentExecution(status);
  }
}

}  // namespace tern::history
