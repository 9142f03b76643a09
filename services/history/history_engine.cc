#include "services/history/history_engine.h"

#include <spdlog/spdlog.h>

#include "common/errors.h"
#include "common/ids.h"
#include "services/history/cron.h"
#include "services/history/visibility_record.h"

namespace tern::history {
namespace {
constexpr int kMaxConflictRetries = 5;
constexpr auto kMaxWorkflowTaskTimeout = std::chrono::seconds(120);
constexpr auto kDefaultWorkflowTaskTimeout = std::chrono::seconds(10);

absl::Status WorkflowNotFound(const ExecutionKey& key) {
  return NotFoundError("workflow execution not found for workflow id \"" + key.workflow_id +
                       "\"" + (key.run_id.empty() ? "" : ", run id \"" + key.run_id + "\""));
}
}  // namespace

HistoryEngine::HistoryEngine(const Config& config, ShardController& shards,
                             client::MatchingClient& matching, client::HistoryClient& history,
                             Executor& blocking, Clock& clock,
                             std::shared_ptr<persistence::VisibilityStore> visibility,
                             std::shared_ptr<persistence::NamespaceCache> namespaces)
    : config_(config),
      shards_(shards),
      matching_(matching),
      history_client_(&history),
      blocking_(blocking),
      clock_(clock),
      visibility_(std::move(visibility)),
      namespaces_(std::move(namespaces)) {}

absl::StatusOr<std::shared_ptr<Shard>> HistoryEngine::ShardFor(const std::string& namespace_id,
                                                               const std::string& workflow_id) {
  return shards_.GetShard(ShardForWorkflow(namespace_id, workflow_id, shards_.num_shards()));
}

absl::StatusOr<std::string> HistoryEngine::ResolveRunId(Shard& shard,
                                                        const std::string& namespace_id,
                                                        const std::string& workflow_id,
                                                        const std::string& run_id) {
  if (!run_id.empty()) return run_id;
  auto current = shard.executions().GetCurrentExecution(shard.id(), namespace_id, workflow_id);
  if (absl::IsNotFound(current.status())) {
    return WorkflowNotFound({namespace_id, workflow_id, ""});
  }
  if (!current.ok()) return current.status();
  return current->run_id;
}

absl::StatusOr<HistoryEngine::Target> HistoryEngine::ResolveTarget(
    const std::string& namespace_id, const temporal::api::common::v1::WorkflowExecution& execution) {
  auto shard = ShardFor(namespace_id, execution.workflow_id());
  if (!shard.ok()) return shard.status();
  auto run_id = ResolveRunId(**shard, namespace_id, execution.workflow_id(), execution.run_id());
  if (!run_id.ok()) return run_id.status();
  return Target{*shard, {namespace_id, execution.workflow_id(), *run_id}};
}

absl::StatusOr<persistence::ExecutionRecord> HistoryEngine::LoadRecord(Shard& shard,
                                                                      const ExecutionKey& key) {
  auto record =
      shard.executions().GetExecution(shard.id(), key.namespace_id, key.workflow_id, key.run_id);
  if (absl::IsNotFound(record.status())) return WorkflowNotFound(key);
  return record;
}

persistence::WorkflowWrite HistoryEngine::BuildWrite(MutableStateBuilder& ms,
                                                     int64_t expected_version, bool was_running,
                                                     const pv1::MutableState* previous) {
  persistence::WorkflowWrite write;
  if (was_running && !ms.IsRunning()) AddCloseTasks(ms);
  if (VisibilityChanged(previous, ms.state())) {
    ms.AddTransferTask(NewTransferTask(ms.state(), pv1::TransferTask::TYPE_UPSERT_VISIBILITY));
  }
  write.new_events = ms.TakeNewEvents();
  write.transfer_tasks = ms.TakeTransferTasks();
  write.timer_tasks = ms.TakeTimerTasks();
  ms.state().set_state_transition_count(ms.state().state_transition_count() + 1);
  write.expected_db_record_version = expected_version;
  if (was_running && !ms.IsRunning()) {
    write.current_mode = persistence::CurrentMode::kUpdateState;
    write.run_state = persistence::RunState::kCompleted;
  } else {
    write.run_state = ms.IsRunning() ? persistence::RunState::kRunning
                                     : persistence::RunState::kCompleted;
  }
  write.state = ms.state();
  return write;
}

absl::Status HistoryEngine::Mutate(Shard& shard, const ExecutionKey& key, const Mutation& fn) {
  return MutateWithContext(shard, key, [&fn](MutableStateBuilder& ms, ExecutionContext&) {
    return fn(ms);
  });
}

absl::Status HistoryEngine::MutateWithContext(Shard& shard, const ExecutionKey& key,
                                              const ContextMutation& fn) {
  auto context = shard.Context(key);
  std::lock_guard lock(context->mu);
  for (int attempt = 0;; ++attempt) {
    if (!context->record) {
      auto loaded = LoadRecord(shard, key);
      if (!loaded.ok()) return loaded.status();
      context->record = std::move(*loaded);
    }
    MutableStateBuilder ms(context->record->state, clock_.Now(), [&shard] { return shard.NextTaskId(); });
    bool was_running = ms.IsRunning();
    if (auto st = fn(ms, *context); !st.ok()) return st;
    if (!ms.HasChanges()) return ms.after_write();
    std::vector<persistence::WorkflowWrite> writes{
        BuildWrite(ms, context->record->db_record_version, was_running, &context->record->state)};
    if (const auto& next = ms.continued_run()) {
      // The new run takes over the workflow id in the same transaction.
      writes[0].current_mode = persistence::CurrentMode::kNone;
      auto next_write = BuildWrite(*next, 0, true, nullptr);
      next_write.current_mode = persistence::CurrentMode::kReplace;
      next_write.previous_run_id = key.run_id;
      next_write.run_state = persistence::RunState::kRunning;
      writes.push_back(std::move(next_write));
    }
    auto& write = writes[0];
    auto status = shard.Persist(writes);
    if (status.ok()) {
      context->record->state = std::move(write.state);
      context->record->db_record_version += 1;
      // Updates the run can no longer accept end with it (waiters see it closed).
      if (context->record->state.status() != enums::WORKFLOW_EXECUTION_STATUS_RUNNING) {
        context->updates.clear();
      }
      return ms.after_write();
    }
    context->record.reset();
    if (!persistence::IsConditionFailed(status) || attempt >= kMaxConflictRetries) return status;
  }
}

absl::StatusOr<ws::StartWorkflowExecutionResponse> HistoryEngine::StartWorkflowExecution(
    const hs::StartWorkflowExecutionRequest& internal) {
  return StartRun(internal.namespace_id(), internal.request(), nullptr, nullptr, internal.parent());
}

absl::StatusOr<ws::StartWorkflowExecutionResponse> HistoryEngine::StartRun(
    const std::string& namespace_id, const ws::StartWorkflowExecutionRequest& request,
    const StartHook& after_started, const Mutation* on_running, const pv1::ParentInfo& parent) {
  auto shard_or = ShardFor(namespace_id, request.workflow_id());
  if (!shard_or.ok()) return shard_or.status();
  Shard& shard = **shard_or;

  // Serializes starts of one workflow id on this host; the current_executions insert guards
  // against everything else.
  auto id_lock = shard.Context({namespace_id, request.workflow_id(), ""});
  std::lock_guard lock(id_lock->mu);

  for (int attempt = 0;; ++attempt) {
    auto now = clock_.Now();
    std::vector<persistence::WorkflowWrite> writes;
    std::optional<ExecutionKey> terminated_key;  // a run this start terminates (TerminateExisting)
    persistence::CurrentMode mode = persistence::CurrentMode::kCreate;
    std::string previous_run_id;

    auto current =
        shard.executions().GetCurrentExecution(shard.id(), namespace_id, request.workflow_id());
    if (!current.ok() && !absl::IsNotFound(current.status())) return current.status();
    if (current.ok()) {
      if (current->create_request_id == request.request_id()) {
        ws::StartWorkflowExecutionResponse response;
        response.set_run_id(current->run_id);
        response.set_started(true);
        return response;
      }
      previous_run_id = current->run_id;
      mode = persistence::CurrentMode::kReplace;
      bool running = current->state != persistence::RunState::kCompleted;
      auto already_started = [&] {
        return WorkflowAlreadyStartedError(
            "Workflow execution is already running. WorkflowId: " + request.workflow_id() +
                ", RunId: " + current->run_id + ".",
            current->create_request_id, current->run_id);
      };
      if (running && on_running) {
        auto status = Mutate(shard, {namespace_id, request.workflow_id(), current->run_id}, *on_running);
        if (!status.ok()) return status;
        ws::StartWorkflowExecutionResponse response;
        response.set_run_id(current->run_id);
        response.set_started(false);
        return response;
      }
      if (running) {
        switch (request.workflow_id_conflict_policy()) {
          case enums::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING: {
            ws::StartWorkflowExecutionResponse response;
            response.set_run_id(current->run_id);
            response.set_started(false);
            return response;
          }
          case enums::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING: {
            ExecutionKey old_key{namespace_id, request.workflow_id(), current->run_id};
            auto record = LoadRecord(shard, old_key);
            if (!record.ok()) return record.status();
            MutableStateBuilder old(record->state, now, [&shard] { return shard.NextTaskId(); });
            TerminateRun(old, "terminated by a new start (TerminateExisting)", nullptr,
                         request.identity());
            auto write = BuildWrite(old, record->db_record_version, /*was_running=*/true,
                                    &record->state);
            write.current_mode = persistence::CurrentMode::kNone;  // replaced below
            writes.push_back(std::move(write));
            terminated_key = old_key;
            break;
          }
          default:
            return already_started();
        }
      } else {
        auto policy = request.workflow_id_reuse_policy();
        if (policy == enums::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
          return WorkflowAlreadyStartedError(
              "Workflow execution already finished and its WorkflowIdReusePolicy is "
              "RejectDuplicate. WorkflowId: " + request.workflow_id() + ", RunId: " +
                  current->run_id + ".",
              current->create_request_id, current->run_id);
        }
        if (policy == enums::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
            (current->status == enums::WORKFLOW_EXECUTION_STATUS_COMPLETED ||
             current->status == enums::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)) {
          return WorkflowAlreadyStartedError(
              "Workflow execution already completed successfully and its WorkflowIdReusePolicy "
              "is AllowDuplicateFailedOnly. WorkflowId: " + request.workflow_id() + ", RunId: " +
                  current->run_id + ".",
              current->create_request_id, current->run_id);
        }
      }
    }

    RunOrigin origin;
    origin.first_task_backoff = FromProto(request.workflow_start_delay());
    if (!request.cron_schedule().empty()) {
      // A cron workflow's first run waits for the schedule's first fire time.
      auto schedule = ParseCronSchedule(request.cron_schedule());
      if (!schedule.ok()) return schedule.status();
      origin.first_task_backoff = std::max<std::chrono::nanoseconds>(
          origin.first_task_backoff, BackoffToNext(*schedule, now, now));
    }
    origin.parent = parent;
    auto run = NewRun(namespace_id, request, origin, now,
                      [&shard] { return shard.NextTaskId(); }, after_started);
    MutableStateBuilder& ms = *run;
    std::string run_id = ms.state().run_id();
    auto write = BuildWrite(ms, 0, true, nullptr);
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
      ws::StartWorkflowExecutionResponse response;
      response.set_run_id(run_id);
      response.set_started(true);
      response.set_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
      return response;
    }
    if (!persistence::IsConditionFailed(status) || attempt >= kMaxConflictRetries) return status;
    // Another start won the race for the current-run pointer: decide again with fresh data.
  }
}

std::shared_ptr<MutableStateBuilder> HistoryEngine::NewRun(
    const std::string& namespace_id, const ws::StartWorkflowExecutionRequest& request,
    const RunOrigin& origin, TimePoint now, MutableStateBuilder::TaskIdSource task_ids,
    const StartHook& after_started) {
  pv1::MutableState state;
  std::string run_id = NewUuid();
  std::string first_run_id =
      origin.first_execution_run_id.empty() ? run_id : origin.first_execution_run_id;
  state.set_namespace_id(namespace_id);
  state.set_namespace_name(request.namespace_());
  if (!origin.parent.workflow_id().empty()) *state.mutable_parent() = origin.parent;
  state.set_workflow_id(request.workflow_id());
  state.set_run_id(run_id);
  state.set_first_execution_run_id(first_run_id);
  state.set_continued_execution_run_id(origin.continued_execution_run_id);
  *state.mutable_workflow_type() = request.workflow_type();
  state.set_task_queue(request.task_queue().name());
  state.set_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  state.set_create_request_id(request.request_id());
  state.set_next_event_id(1);
  state.set_attempt(origin.attempt);
  *state.mutable_start_time() = ToProto(now);
  auto backoff = std::chrono::duration_cast<TimePoint::duration>(origin.first_task_backoff);
  *state.mutable_execution_time() = ToProto(now + backoff);
  // Timeouts as the reference normalizes them: run <= execution; task <= 120 s and <= run.
  auto execution_timeout = FromProto(request.workflow_execution_timeout());
  auto run_timeout = FromProto(request.workflow_run_timeout());
  if (execution_timeout.count() > 0 &&
      (run_timeout.count() == 0 || run_timeout > execution_timeout)) {
    run_timeout = execution_timeout;
  }
  std::chrono::nanoseconds task_timeout = FromProto(request.workflow_task_timeout());
  if (task_timeout.count() == 0) task_timeout = kDefaultWorkflowTaskTimeout;
  task_timeout = std::min<std::chrono::nanoseconds>(task_timeout, kMaxWorkflowTaskTimeout);
  if (run_timeout.count() > 0) task_timeout = std::min(task_timeout, run_timeout);
  *state.mutable_workflow_execution_timeout() = ToProtoDuration(execution_timeout);
  *state.mutable_workflow_run_timeout() = ToProtoDuration(run_timeout);
  *state.mutable_default_workflow_task_timeout() = ToProtoDuration(task_timeout);
  if (origin.expiration_time) {
    *state.mutable_execution_expiration_time() = ToProto(*origin.expiration_time);
  } else if (execution_timeout.count() > 0) {
    *state.mutable_execution_expiration_time() =
        ToProto(now + std::chrono::duration_cast<TimePoint::duration>(execution_timeout));
  }
  if (request.has_retry_policy()) *state.mutable_retry_policy() = request.retry_policy();
  if (request.has_memo()) *state.mutable_memo() = request.memo();
  if (request.has_search_attributes()) *state.mutable_search_attributes() = request.search_attributes();
  state.set_cron_schedule(request.cron_schedule());

  auto run = std::make_shared<MutableStateBuilder>(std::move(state), now, std::move(task_ids));
  MutableStateBuilder& ms = *run;
  auto* started = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  auto* attrs = started->mutable_workflow_execution_started_event_attributes();
  *attrs->mutable_workflow_type() = request.workflow_type();
  attrs->mutable_task_queue()->set_name(request.task_queue().name());
  attrs->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  if (request.has_header()) *attrs->mutable_header() = request.header();
  if (request.has_input()) *attrs->mutable_input() = request.input();
  *attrs->mutable_workflow_execution_timeout() = ToProtoDuration(execution_timeout);
  *attrs->mutable_workflow_run_timeout() = ToProtoDuration(run_timeout);
  *attrs->mutable_workflow_task_timeout() = ToProtoDuration(task_timeout);
  attrs->set_continued_execution_run_id(origin.continued_execution_run_id);
  attrs->set_initiator(origin.initiator);
  attrs->set_original_execution_run_id(run_id);
  attrs->set_first_execution_run_id(first_run_id);
  attrs->set_identity(request.identity());
  attrs->set_attempt(origin.attempt);
  attrs->set_workflow_id(request.workflow_id());
  if (!origin.parent.workflow_id().empty()) {
    attrs->set_parent_workflow_namespace(origin.parent.namespace_());
    attrs->set_parent_workflow_namespace_id(origin.parent.namespace_id());
    attrs->mutable_parent_workflow_execution()->set_workflow_id(origin.parent.workflow_id());
    attrs->mutable_parent_workflow_execution()->set_run_id(origin.parent.run_id());
    attrs->set_parent_initiated_event_id(origin.parent.initiated_event_id());
  }
  if (request.has_retry_policy()) *attrs->mutable_retry_policy() = request.retry_policy();
  if (ms.state().has_execution_expiration_time()) {
    *attrs->mutable_workflow_execution_expiration_time() = ms.state().execution_expiration_time();
  }
  attrs->set_cron_schedule(request.cron_schedule());
  if (backoff.count() > 0) *attrs->mutable_first_workflow_task_backoff() = ToProtoDuration(backoff);
  if (request.has_memo()) *attrs->mutable_memo() = request.memo();
  if (request.has_search_attributes()) *attrs->mutable_search_attributes() = request.search_attributes();
  if (request.has_continued_failure()) *attrs->mutable_continued_failure() = request.continued_failure();
  if (request.has_last_completion_result()) {
    *attrs->mutable_last_completion_result() = request.last_completion_result();
  }
  if (request.has_priority()) *attrs->mutable_priority() = request.priority();
  if (after_started) after_started(ms);
  if (backoff.count() > 0) {
    // The first workflow task waits for the backoff (cron, retry, start delay).
    ms.AddTimerTask(NewTimerTask(ms.state(), pv1::TimerTask::TYPE_WORKFLOW_BACKOFF, now + backoff));
  } else {
    ms.ScheduleWorkflowTask(1);
  }
  ms.ArmWorkflowTimeouts(now + backoff);
  return run;
}

void HistoryEngine::TerminateRun(MutableStateBuilder& ms, const std::string& reason,
                                 const temporal::api::common::v1::Payloads* details,
                                 const std::string& identity) {
  const auto& wft = ms.state().workflow_task();
  if (ms.HasStartedWorkflowTask() && wft.type() == pv1::WORKFLOW_TASK_TYPE_NORMAL) {
    auto* failed = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
    auto* attrs = failed->mutable_workflow_task_failed_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_started_event_id(wft.started_event_id());
    attrs->set_cause(enums::WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND);
    attrs->set_identity(identity);
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  auto* attrs = event->mutable_workflow_execution_terminated_event_attributes();
  attrs->set_reason(reason);
  if (details) *attrs->mutable_details() = *details;
  attrs->set_identity(identity);
  ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_TERMINATED, event->event_id());
}

absl::StatusOr<ws::TerminateWorkflowExecutionResponse> HistoryEngine::TerminateWorkflowExecution(
    const hs::TerminateWorkflowExecutionRequest& internal) {
  const auto& request = internal.request();
  auto target = ResolveTarget(internal.namespace_id(), request.workflow_execution());
  if (!target.ok()) return target.status();
  const ExecutionKey& key = target->key;
  auto status = Mutate(*target->shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!request.first_execution_run_id().empty() &&
        request.first_execution_run_id() != ms.state().first_execution_run_id()) {
      return WorkflowNotFound(key);
    }
    if (!ms.IsRunning()) return NotFoundError("workflow execution already completed");
    TerminateRun(ms, request.reason(), request.has_details() ? &request.details() : nullptr,
                 request.identity());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::TerminateWorkflowExecutionResponse();
}

}  // namespace tern::history
