#include "services/history/engine_context.h"

#include <limits>
#include <optional>

#include "absl/strings/str_join.h"
#include "common/errors.h"
#include "common/hashing.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/task_token.h"
#include "services/history/activities.h"
#include "services/history/runs.h"
#include "services/history/visibility_record.h"

namespace tern::history {
namespace {
constexpr int kMaxConflictRetries = 5;

// The workflow_* counter of a closing status (common/metrics.h), or null for a running one.
const metrics::CounterDef* ClosedCounter(enums::WorkflowExecutionStatus status) {
  switch (status) {
    case enums::WORKFLOW_EXECUTION_STATUS_COMPLETED:
      return &metrics::kWorkflowSuccess;
    case enums::WORKFLOW_EXECUTION_STATUS_FAILED:
      return &metrics::kWorkflowFailed;
    case enums::WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
      return &metrics::kWorkflowTimeout;
    case enums::WORKFLOW_EXECUTION_STATUS_TERMINATED:
      return &metrics::kWorkflowTerminate;
    case enums::WORKFLOW_EXECUTION_STATUS_CANCELED:
      return &metrics::kWorkflowCancel;
    case enums::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
      return &metrics::kWorkflowContinuedAsNew;
    default:
      return nullptr;
  }
}

double SecondsSince(TimePoint start, const Clock& clock) {
  return std::chrono::duration<double>(clock.Now() - start).count();
}

}  // namespace

HistoryOptions HistoryOptions::For(const dynamicconfig::Collection& dynamic,
                                   const std::string& namespace_name) {
  namespace dc = dynamicconfig;
  HistoryOptions options;
  options.max_id_length = dynamic.Get(dc::kLimitMaxIDLength);
  options.history_long_poll_expiration =
      dynamic.Get(dc::kHistoryLongPollExpirationInterval, namespace_name);
  options.history_page_size = dynamic.Get(dc::kHistoryDefaultPageSize, namespace_name);
  options.history_count_suggest_continue_as_new =
      dynamic.Get(dc::kLimitHistoryCountSuggestContinueAsNew, namespace_name);
  options.history_size_suggest_continue_as_new =
      dynamic.Get(dc::kLimitHistorySizeSuggestContinueAsNew, namespace_name);
  options.history_count_limit_error = dynamic.Get(dc::kLimitHistoryCountError, namespace_name);
  options.history_size_limit_error = dynamic.Get(dc::kLimitHistorySizeError, namespace_name);
  return options;
}

absl::Status WorkflowNotFound(const ExecutionKey& key) {
  return NotFoundError("workflow execution not found for workflow id \"" + key.workflow_id + "\"" +
                       (key.run_id.empty() ? "" : ", run id \"" + key.run_id + "\""));
}

EngineContext::EngineContext(const Config& config, ShardController& shards,
                             client::MatchingClient& matching, client::HistoryClient& history,
                             Executor& blocking, Clock& clock,
                             std::shared_ptr<persistence::VisibilityStore> visibility,
                             std::shared_ptr<persistence::NamespaceCache> namespaces)
    : dynamic_(config.dynamic),
      shards_(shards),
      matching_(matching),
      history_(history),
      blocking_(blocking),
      clock_(clock),
      visibility_(std::move(visibility)),
      namespaces_(std::move(namespaces)) {}

client::CallOptions EngineContext::CallDeadline(std::chrono::nanoseconds timeout) const {
  client::CallOptions options;
  options.deadline = clock_.Now() + std::chrono::duration_cast<TimePoint::duration>(timeout);
  return options;
}

void EngineContext::RecordCommitted(const pv1::MutableState& state, bool closed) const {
  std::string name = NamespaceName(state.namespace_id());
  if (name.empty() && namespaces_) {
    // A namespace registered a moment ago: the cache has not refreshed yet (we run on the
    // blocking executor, so a load is allowed).
    auto loaded = namespaces_->LoadById(state.namespace_id());
    if (loaded.ok()) name = (*loaded)->info().name();
  }
  if (name.empty()) name = metrics::kUnknownNamespace;
  metrics::kStateTransitionCount.With({name}).Observe(
      static_cast<double>(state.state_transition_count()));
  if (!closed) return;
  if (const metrics::CounterDef* counter = ClosedCounter(state.status())) {
    counter->With({name, state.workflow_type().name(), "CompletionStats"}).Increment();
  }
}

std::string EngineContext::NamespaceName(const std::string& namespace_id) const {
  return namespaces_ ? namespaces_->NameOf(namespace_id) : "";
}

HistoryOptions EngineContext::options(const std::string& namespace_id) const {
  return HistoryOptions::For(dynamic_, NamespaceName(namespace_id));
}

int EngineContext::WritePartitions(const std::string& namespace_id,
                                   const std::string& task_queue) const {
  return dynamic_.Get(dynamicconfig::kMatchingNumTaskqueueWritePartitions,
                      NamespaceName(namespace_id), task_queue);
}

TimePoint EngineContext::LongPollDeadline(const std::string& namespace_id,
                                          const google::protobuf::Duration* requested) const {
  auto timeout = requested
                     ? FromProto(*requested)
                     : std::chrono::nanoseconds(options(namespace_id).history_long_poll_expiration);
  return clock_.Now() + std::chrono::duration_cast<TimePoint::duration>(timeout);
}

absl::StatusOr<std::shared_ptr<Shard>> EngineContext::ShardFor(const std::string& namespace_id,
                                                               const std::string& workflow_id) {
  return shards_.GetShard(ShardForWorkflow(namespace_id, workflow_id, shards_.num_shards()));
}

absl::StatusOr<std::string> EngineContext::ResolveRunId(Shard& shard,
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

absl::StatusOr<EngineContext::Target> EngineContext::ResolveTarget(
    const std::string& namespace_id,
    const temporal::api::common::v1::WorkflowExecution& execution) {
  ASSIGN_OR_RETURN(auto shard, ShardFor(namespace_id, execution.workflow_id()));
  ASSIGN_OR_RETURN(auto run_id,
                   ResolveRunId(*shard, namespace_id, execution.workflow_id(), execution.run_id()));
  return Target{shard, {namespace_id, execution.workflow_id(), run_id}};
}

absl::StatusOr<EngineContext::TokenTarget> EngineContext::ResolveTaskToken(
    const std::string& task_token) {
  ASSIGN_OR_RETURN(auto token, DecodeTaskToken(task_token));
  temporal::api::common::v1::WorkflowExecution execution;
  execution.set_workflow_id(token.workflow_id());
  execution.set_run_id(token.run_id());
  ASSIGN_OR_RETURN(auto target, ResolveTarget(token.namespace_id(), execution));
  return TokenTarget{std::move(target.shard), std::move(target.key), std::move(token)};
}

absl::StatusOr<persistence::ExecutionRecord> EngineContext::LoadRecord(Shard& shard,
                                                                       const ExecutionKey& key) {
  auto record =
      shard.executions().GetExecution(shard.id(), key.namespace_id, key.workflow_id, key.run_id);
  if (absl::IsNotFound(record.status())) return WorkflowNotFound(key);
  return record;
}

absl::Status EngineContext::LoadInto(Shard& shard, const ExecutionKey& key,
                                     ExecutionContext& context) {
  if (context.record) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto loaded, LoadRecord(shard, key));
  context.record = std::move(loaded);
  return absl::OkStatus();
}

absl::StatusOr<pv1::MutableState> EngineContext::Snapshot(Shard& shard, const ExecutionKey& key) {
  auto context = shard.Context(key);
  std::lock_guard lock(context->mu);
  RETURN_IF_ERROR(LoadInto(shard, key, *context));
  return context->record->state;
}

absl::StatusOr<hv1::HistoryEvent> EngineContext::ReadEvent(Shard& shard,
                                                           const pv1::MutableState& state,
                                                           int64_t event_id) {
  ASSIGN_OR_RETURN(auto events, shard.executions().ReadHistory(shard.id(), state.namespace_id(),
                                                               state.workflow_id(), state.run_id(),
                                                               event_id, event_id + 1, 1));
  for (auto& e : events) {
    if (e.event_id() == event_id) return std::move(e);
  }
  return absl::InternalError("event " + std::to_string(event_id) + " of run " + state.run_id() +
                             " is missing");
}

absl::StatusOr<std::vector<hv1::HistoryEvent>> EngineContext::ReadAllEvents(
    Shard& shard, const pv1::MutableState& state) {
  return shard.executions().ReadHistory(shard.id(), state.namespace_id(), state.workflow_id(),
                                        state.run_id(), 1, state.next_event_id(),
                                        std::numeric_limits<int>::max());
}

absl::StatusOr<hv1::WorkflowExecutionStartedEventAttributes> EngineContext::StartedAttributes(
    Shard& shard, const pv1::MutableState& state) {
  ASSIGN_OR_RETURN(auto events,
                   shard.executions().ReadHistory(shard.id(), state.namespace_id(),
                                                  state.workflow_id(), state.run_id(), 1, 2, 1));
  if (events.empty() || !events.front().has_workflow_execution_started_event_attributes()) {
    return absl::InternalError("run " + state.run_id() + " has no WorkflowExecutionStarted event");
  }
  return events.front().workflow_execution_started_event_attributes();
}

absl::StatusOr<std::optional<persistence::VisibilityRecord>> EngineContext::VisibilityRecordFor(
    int32_t shard_id, const pv1::MutableState& state) {
  auto custom = CustomSearchAttributesFor(state.namespace_id(), /*reload=*/false);
  if (absl::IsNotFound(custom.status())) return std::nullopt;  // namespace deleted
  if (!custom.ok()) return custom.status();
  std::vector<std::string> dropped;
  persistence::VisibilityRecord record = BuildVisibilityRecord(state, *custom, &dropped);
  if (!dropped.empty() && namespaces_) {
    // The cache may predate an attribute registered a moment ago: the store decides.
    custom = CustomSearchAttributesFor(state.namespace_id(), /*reload=*/true);
    if (!custom.ok()) return custom.status();
    dropped.clear();
    record = BuildVisibilityRecord(state, *custom, &dropped);
  }
  if (!dropped.empty()) {
    Log(spdlog::level::warn,
        {.namespace_name = NamespaceForLogs(state.namespace_id()),
         .workflow_id = state.workflow_id(),
         .run_id = state.run_id(),
         .shard_id = shard_id},
        "history: the visibility row leaves out search attributes the namespace does not "
        "define (any more): {}",
        absl::StrJoin(dropped, ", "));
  }
  return record;
}

persistence::WorkflowWrite EngineContext::BuildWrite(Shard& shard, MutableStateBuilder& ms,
                                                     int64_t expected_version, bool was_running,
                                                     const pv1::MutableState* previous) {
  persistence::WorkflowWrite write;
  if (was_running && !ms.IsRunning()) AddCloseTasks(ms);
  if (VisibilityChanged(previous, ms.state())) {
    bool row_in_write = false;
    if (shard.visibility_in_executions()) {
      auto row = VisibilityRecordFor(shard.id(), ms.state());
      if (row.ok()) {
        row_in_write = true;
        if (*row) {  // nullopt: the namespace is gone, there is no row to write
          // The row of the state written below, whose transition count is one more.
          (*row)->state_transition_count += 1;
          write.visibility =
              std::make_shared<const persistence::VisibilityRecord>(*std::move(*row));
        }
      }
    }
    if (!row_in_write) {
      // A separate visibility store, or the namespace's attributes cannot be read now: the
      // visibility task writes the row later.
      ms.AddTransferTask(NewTransferTask(ms.state(), pv1::TransferTask::TYPE_UPSERT_VISIBILITY));
    }
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
    write.run_state =
        ms.IsRunning() ? persistence::RunState::kRunning : persistence::RunState::kCompleted;
  }
  write.state = std::move(ms.state());
  return write;
}

absl::Status EngineContext::Mutate(Shard& shard, const ExecutionKey& key, const Mutation& fn) {
  return MutateWithContext(shard, key,
                           [&fn](MutableStateBuilder& ms, ExecutionContext&) { return fn(ms); });
}

absl::Status EngineContext::MutateWithContext(Shard& shard, const ExecutionKey& key,
                                              const ContextMutation& fn) {
  TimePoint start = clock_.Now();
  auto context = shard.Context(key);
  std::lock_guard lock(context->mu);
  metrics::kLockLatency.With({"Mutate"}).Observe(SecondsSince(start, clock_));
  for (int attempt = 0;; ++attempt) {
    TimePoint load_start = clock_.Now();
    RETURN_IF_ERROR(LoadInto(shard, key, *context));
    metrics::kCacheLatency.With({"Mutate"}).Observe(SecondsSince(load_start, clock_));
    // The builder takes the cached state rather than a copy of it. A mutation with nothing to
    // write hands it back unchanged (timer and transfer tasks that find their work done, often);
    // one that failed may have changed it half-way, so the run is read back next time.
    pv1::MutableState before = VisibilityFieldsOf(context->record->state);
    MutableStateBuilder ms(std::move(context->record->state), clock_.Now(),
                           [&shard] { return shard.NextTaskId(); });
    bool was_running = ms.IsRunning();
    if (absl::Status st = fn(ms, *context); !st.ok()) {
      context->record.reset();
      return st;
    }
    if (!ms.HasChanges()) {
      context->record->state = std::move(ms.state());
      return ms.after_write();
    }
    // Not a braced list: that would copy the write (state, events, tasks).
    std::vector<persistence::WorkflowWrite> writes;
    writes.reserve(2);
    writes.push_back(
        BuildWrite(shard, ms, context->record->db_record_version, was_running, &before));
    if (const auto& next = ms.continued_run()) {
      // The new run takes over the workflow id in the same transaction.
      writes[0].current_mode = persistence::CurrentMode::kNone;
      auto next_write = BuildWrite(shard, *next, 0, true, nullptr);
      next_write.current_mode = persistence::CurrentMode::kReplace;
      next_write.previous_run_id = key.run_id;
      next_write.run_state = persistence::RunState::kRunning;
      writes.push_back(std::move(next_write));
    }
    auto& write = writes[0];
    auto status = shard.Persist(writes);
    if (status.ok()) {
      bool running = write.state.status() == enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
      RecordCommitted(write.state, was_running && !running);
      // A closed run starts no more workflow tasks: keep only its close event (what callers
      // waiting for the result read).
      context->tail.Append(std::move(write.new_events),
                           running ? write.state.last_completed_workflow_task_started_event_id() + 1
                                   : write.state.completion_event_id());
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

absl::Status EngineContext::MutateActivity(const std::string& task_token,
                                           const ActivityMutation& fn) {
  ASSIGN_OR_RETURN(auto target, ResolveTaskToken(task_token));
  return Mutate(*target.shard, target.key, [&](MutableStateBuilder& ms) -> absl::Status {
    ASSIGN_OR_RETURN(auto* activity, FindStartedActivity(ms, target.token));
    return fn(ms, *activity);
  });
}

absl::StatusOr<visibility::CustomSearchAttributes> EngineContext::CustomSearchAttributesFor(
    const std::string& namespace_id, bool reload) {
  if (!namespaces_) return visibility::CustomSearchAttributes();
  persistence::NamespaceCache::Entry entry = reload ? nullptr : namespaces_->FindById(namespace_id);
  if (!entry) {
    ASSIGN_OR_RETURN(entry, namespaces_->LoadById(namespace_id));
  }
  return persistence::CustomSearchAttributesOf(*entry);
}

}  // namespace tern::history
