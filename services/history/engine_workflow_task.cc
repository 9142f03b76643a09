// Workflow tasks: start (from matching), completion with commands, failure, timeout.
#include <spdlog/spdlog.h>

#include "common/errors.h"
#include "common/task_token.h"
#include "services/history/history_engine.h"
#include "services/history/retry.h"

namespace tern::history {
namespace {
absl::Status WorkflowTaskNotFound() { return NotFoundError("Workflow task not found."); }

// Whether a worker's token names the workflow task now started (not a stale attempt).
bool IsCurrentWorkflowTask(const MutableStateBuilder& ms, const pv1::TaskToken& token) {
  const auto& wft = ms.state().workflow_task();
  return ms.IsRunning() && wft.started_event_id() != 0 &&
         wft.scheduled_event_id() == token.scheduled_event_id() &&
         wft.started_event_id() == token.started_event_id() && wft.attempt() == token.attempt();
}

temporal::api::failure::v1::Failure ServerFailure(const std::string& message) {
  temporal::api::failure::v1::Failure failure;
  failure.set_message(message);
  failure.mutable_server_failure_info();
  return failure;
}

// Name of a failed-task cause the way the reference server spells it in error messages
// ("BadScheduleActivityAttributes").
std::string CauseName(enums::WorkflowTaskFailedCause cause) {
  std::string name = enums::WorkflowTaskFailedCause_Name(cause);
  const std::string prefix = "WORKFLOW_TASK_FAILED_CAUSE_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? c : static_cast<char>(std::tolower(c)));
    upper = false;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<hv1::HistoryEvent>> HistoryEngine::ReadAllEvents(
    Shard& shard, const pv1::MutableState& state) {
  return shard.executions().ReadHistory(shard.id(), state.namespace_id(), state.workflow_id(),
                                        state.run_id(), 1, state.next_event_id(),
                                        std::numeric_limits<int>::max());
}

absl::StatusOr<ws::PollWorkflowTaskQueueResponse> HistoryEngine::BuildWorkflowTaskResponse(
    Shard& shard, const pv1::MutableState& state,
    const std::vector<hv1::HistoryEvent>& transient_events, bool partial) {
  const auto& wft = state.workflow_task();
  ws::PollWorkflowTaskQueueResponse response;
  pv1::TaskToken token;
  token.set_namespace_id(state.namespace_id());
  token.set_workflow_id(state.workflow_id());
  token.set_run_id(state.run_id());
  token.set_scheduled_event_id(wft.scheduled_event_id());
  token.set_started_event_id(wft.started_event_id());
  token.set_attempt(wft.attempt());
  *token.mutable_started_time() = wft.started_time();
  response.set_task_token(EncodeTaskToken(token));
  response.mutable_workflow_execution()->set_workflow_id(state.workflow_id());
  response.mutable_workflow_execution()->set_run_id(state.run_id());
  *response.mutable_workflow_type() = state.workflow_type();
  response.set_previous_started_event_id(state.last_completed_workflow_task_started_event_id());
  response.set_started_event_id(wft.started_event_id());
  response.set_attempt(wft.attempt());
  response.mutable_workflow_execution_task_queue()->set_name(state.task_queue());
  response.mutable_workflow_execution_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  *response.mutable_scheduled_time() = wft.scheduled_time();
  *response.mutable_started_time() = wft.started_time();
  int64_t first = partial ? state.last_completed_workflow_task_started_event_id() + 1 : 1;
  auto events = shard.executions().ReadHistory(shard.id(), state.namespace_id(), state.workflow_id(),
                                               state.run_id(), first, state.next_event_id(),
                                               std::numeric_limits<int>::max());
  if (!events.ok()) return events.status();
  auto* history = response.mutable_history();
  for (auto& e : *events) {
    if (e.event_id() >= first) *history->add_events() = std::move(e);
  }
  for (const auto& e : transient_events) *history->add_events() = e;
  return response;
}

absl::StatusOr<ws::PollWorkflowTaskQueueResponse> HistoryEngine::RecordWorkflowTaskStarted(
    const hs::RecordWorkflowTaskStartedRequest& request) {
  const auto& execution = request.workflow_execution();
  auto shard = ShardFor(request.namespace_id(), execution.workflow_id());
  if (!shard.ok()) return shard.status();
  ExecutionKey key{request.namespace_id(), execution.workflow_id(), execution.run_id()};
  pv1::MutableState snapshot;
  std::vector<hv1::HistoryEvent> transient;
  ws::PollWorkflowTaskQueueResponse messages;
  std::map<std::string, temporal::api::query::v1::WorkflowQuery> queries;
  bool partial = false;
  auto status = MutateWithContext(**shard, key, [&](MutableStateBuilder& ms,
                                                    ExecutionContext& ctx) -> absl::Status {
    auto& wft = *ms.state().mutable_workflow_task();
    if (!ms.IsRunning() || wft.scheduled_event_id() != request.scheduled_event_id()) {
      return WorkflowTaskNotFound();
    }
    if (wft.started_event_id() != 0) {
      if (wft.request_id() != request.request_id()) {
        return NotFoundError("Workflow task already started.");
      }
    } else {
      wft.set_request_id(request.request_id());
      wft.set_identity(request.poll_request().identity());
      *wft.mutable_started_time() = ToProto(ms.now());
      if (wft.type() == pv1::WORKFLOW_TASK_TYPE_TRANSIENT) {
        wft.set_started_event_id(wft.scheduled_event_id() + 1);
        ms.MarkDirty();
      } else {
        auto* started = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_STARTED);
        auto* attrs = started->mutable_workflow_task_started_event_attributes();
        attrs->set_scheduled_event_id(wft.scheduled_event_id());
        attrs->set_identity(request.poll_request().identity());
        attrs->set_request_id(request.request_id());
        attrs->set_history_size_bytes(ms.state().history_size_bytes());
        const auto& limits = config_.dynamic_config;
        if (started->event_id() >= limits.history_count_suggest_continue_as_new) {
          attrs->set_suggest_continue_as_new(true);
          attrs->add_suggest_continue_as_new_reasons(
              enums::SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS);
        }
        if (ms.state().history_size_bytes() >= limits.history_size_suggest_continue_as_new) {
          attrs->set_suggest_continue_as_new(true);
          attrs->add_suggest_continue_as_new_reasons(
              enums::SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE);
        }
        ms.state().mutable_workflow_task()->set_started_event_id(started->event_id());
      }
      const auto& started_wft = ms.state().workflow_task();
      auto timer = NewTimerTask(ms.state(), pv1::TimerTask::TYPE_WORKFLOW_TASK_TIMEOUT,
                                ms.now() + std::chrono::duration_cast<TimePoint::duration>(
                                               FromProto(started_wft.start_to_close_timeout())));
      timer.set_event_id(started_wft.scheduled_event_id());
      timer.set_attempt(started_wft.attempt());
      timer.set_timeout_type(enums::TIMEOUT_TYPE_START_TO_CLOSE);
      ms.AddTimerTask(std::move(timer));
    }
    transient = ms.TransientWorkflowTaskEvents();
    // A worker polling the run's sticky queue has the run cached: send only the new events.
    partial = wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY &&
              request.poll_request().task_queue().name() == ms.state().sticky_task_queue();
    snapshot = ms.state();
    messages.clear_messages();
    const int64_t started_id = ms.state().workflow_task().started_event_id();
    AddUpdateMessages(ctx, started_id, &messages);
    // Queries waiting for a workflow task ride on this one.
    queries.clear();
    for (auto& [id, query] : ctx.queries) {
      if (query.started_event_id == 0) query.started_event_id = started_id;
      if (query.started_event_id == started_id) queries[id] = query.query;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  auto response = BuildWorkflowTaskResponse(**shard, snapshot, transient, partial);
  if (response.ok()) {
    *response->mutable_messages() = messages.messages();
    response->mutable_queries()->insert(queries.begin(), queries.end());
  }
  return response;
}

void HistoryEngine::FailWorkflowTask(MutableStateBuilder& ms, enums::WorkflowTaskFailedCause cause,
                                     const temporal::api::failure::v1::Failure& failure,
                                     const std::string& identity) {
  const auto wft = ms.state().workflow_task();
  // The worker may have lost the run: the next task goes to the normal queue, full history.
  bool was_sticky = wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY;
  ms.state().clear_sticky_task_queue();
  if (wft.type() == pv1::WORKFLOW_TASK_TYPE_NORMAL || cause == enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND ||
      ms.HasBufferedEvents()) {
    // The failure is recorded in history; a transient task's events are written first.
    ms.PersistTransientWorkflowTask();
    auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
    auto* attrs = event->mutable_workflow_task_failed_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_started_event_id(wft.started_event_id());
    attrs->set_cause(cause);
    *attrs->mutable_failure() = failure;
    attrs->set_identity(identity);
  }
  ms.ClearWorkflowTask();
  bool had_buffered = ms.HasBufferedEvents();
  ms.FlushBufferedEvents();
  // New events or an unhandled command restart the attempt count; otherwise the next attempt is
  // transient (its events appear only in the poll response).
  bool reset_attempts =
      had_buffered || was_sticky || cause == enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  ms.ScheduleWorkflowTask(reset_attempts ? 1 : wft.attempt() + 1);
  ms.MarkDirty();
}

void HistoryEngine::TimeoutWorkflowTask(MutableStateBuilder& ms) {
  const auto wft = ms.state().workflow_task();
  bool was_sticky = wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY;
  ms.state().clear_sticky_task_queue();
  if (wft.type() == pv1::WORKFLOW_TASK_TYPE_NORMAL || ms.HasBufferedEvents()) {
    ms.PersistTransientWorkflowTask();
    auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    auto* attrs = event->mutable_workflow_task_timed_out_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_started_event_id(wft.started_event_id());
    attrs->set_timeout_type(enums::TIMEOUT_TYPE_START_TO_CLOSE);
  }
  ms.ClearWorkflowTask();
  bool had_buffered = ms.HasBufferedEvents();
  ms.FlushBufferedEvents();
  ms.ScheduleWorkflowTask(had_buffered || was_sticky ? 1 : wft.attempt() + 1);
  ms.MarkDirty();
}

absl::StatusOr<ws::RespondWorkflowTaskCompletedResponse> HistoryEngine::RespondWorkflowTaskCompleted(
    const hs::RespondWorkflowTaskCompletedRequest& internal) {
  const auto& request = internal.request();
  auto token = DecodeTaskToken(request.task_token());
  if (!token.ok()) return token.status();
  auto shard = ShardFor(token->namespace_id(), token->workflow_id());
  if (!shard.ok()) return shard.status();
  ExecutionKey key{token->namespace_id(), token->workflow_id(), token->run_id()};
  // Answers to the queries that rode on this task, delivered once the run's lock is released.
  std::vector<std::pair<std::function<void(ExecutionContext::PendingQuery::Result)>,
                        absl::StatusOr<ws::QueryWorkflowResponse>>>
      answers;
  auto status = MutateWithContext(**shard, key, [&](MutableStateBuilder& ms,
                                                    ExecutionContext& ctx) -> absl::Status {
    if (!IsCurrentWorkflowTask(ms, *token)) return WorkflowTaskNotFound();
    const auto wft = ms.state().workflow_task();
    for (const auto& [id, result] : request.query_results()) {
      auto it = ctx.queries.find(id);
      if (it == ctx.queries.end() || it->second.started_event_id != wft.started_event_id()) {
        continue;
      }
      answers.emplace_back(
          std::move(it->second.resolve),
          QueryOutcome(result.result_type(), result.has_answer() ? &result.answer() : nullptr,
                       result.error_message(), result.has_failure() ? &result.failure() : nullptr));
      ctx.queries.erase(it);
    }
    // Commands are applied to a copy; if one is invalid, the copy is dropped and the task fails.
    MutableStateBuilder attempt = ms;
    // The worker's cache: the next task goes to its sticky queue, or (without) the normal one.
    if (request.has_sticky_attributes() &&
        !request.sticky_attributes().worker_task_queue().name().empty()) {
      attempt.state().set_sticky_task_queue(request.sticky_attributes().worker_task_queue().name());
      *attempt.state().mutable_sticky_schedule_to_start_timeout() =
          request.sticky_attributes().schedule_to_start_timeout();
    } else {
      attempt.state().clear_sticky_task_queue();
    }
    attempt.PersistTransientWorkflowTask();
    auto* completed = attempt.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    auto* attrs = completed->mutable_workflow_task_completed_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_started_event_id(wft.started_event_id());
    attrs->set_identity(request.identity());
    if (request.has_sdk_metadata()) *attrs->mutable_sdk_metadata() = request.sdk_metadata();
    if (request.has_metering_metadata()) {
      *attrs->mutable_metering_metadata() = request.metering_metadata();
    }
    int64_t completed_id = completed->event_id();
    attempt.state().set_last_completed_workflow_task_started_event_id(wft.started_event_id());
    attempt.ClearWorkflowTask();

    bool closed = false;
    if (auto failure = HandleCommands(**shard, ctx, attempt, request, completed_id, &closed)) {
      // The workflow keeps its previous state: only the task's failure is recorded.
      FailWorkflowTask(ms, failure->cause, ServerFailure(failure->message), request.identity());
      ms.FailAfterWrite(absl::InvalidArgumentError(
          failure->cause == enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
              ? std::string("UnhandledCommand")
              : CauseName(failure->cause) + ": " + failure->message));
      return absl::OkStatus();
    }
    ms = std::move(attempt);
    if (!closed) {
      bool had_buffered = ms.HasBufferedEvents();
      ms.FlushBufferedEvents();
      bool updates_waiting = false;
      for (const auto& [id, pending] : ctx.updates) updates_waiting |= !pending.rejected;
      if (had_buffered || updates_waiting || request.force_create_new_workflow_task()) {
        ms.ScheduleWorkflowTask(1);
      }
      // A run past the hard history limits cannot go on (reference behaviour: terminate).
      const auto& limits = config_.dynamic_config;
      if (ms.state().next_event_id() - 1 > limits.history_count_limit_error) {
        TerminateRun(ms, "Workflow history count exceeds limit.", nullptr, "history-service");
      } else if (ms.state().history_size_bytes() > limits.history_size_limit_error) {
        TerminateRun(ms, "Workflow history size exceeds limit.", nullptr, "history-service");
      }
    }
    return absl::OkStatus();
  });
  for (auto& [resolve, answer] : answers) resolve(std::move(answer));
  if (!status.ok()) return status;
  return ws::RespondWorkflowTaskCompletedResponse();
}

absl::StatusOr<ws::RespondWorkflowTaskFailedResponse> HistoryEngine::RespondWorkflowTaskFailed(
    const hs::RespondWorkflowTaskFailedRequest& internal) {
  const auto& request = internal.request();
  auto token = DecodeTaskToken(request.task_token());
  if (!token.ok()) return token.status();
  auto shard = ShardFor(token->namespace_id(), token->workflow_id());
  if (!shard.ok()) return shard.status();
  ExecutionKey key{token->namespace_id(), token->workflow_id(), token->run_id()};
  auto status = Mutate(**shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!IsCurrentWorkflowTask(ms, *token)) return WorkflowTaskNotFound();
    FailWorkflowTask(ms, request.cause(), request.failure(), request.identity());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return ws::RespondWorkflowTaskFailedResponse();
}

absl::StatusOr<ws::ResetStickyTaskQueueResponse> HistoryEngine::ResetStickyTaskQueue(
    const hs::ResetStickyTaskQueueRequest& internal) {
  const auto& execution = internal.request().execution();
  auto target = ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  auto status = Mutate(*target->shard, target->key,
                       [](MutableStateBuilder& ms) -> absl::Status {
                         if (!ms.IsRunning()) {
                           return NotFoundError("workflow execution already completed");
                         }
                         if (ms.state().sticky_task_queue().empty()) return absl::OkStatus();
                         ms.state().clear_sticky_task_queue();
                         ms.MarkDirty();
                         return absl::OkStatus();
                       });
  if (!status.ok()) return status;
  return ws::ResetStickyTaskQueueResponse();
}

}  // namespace tern::history
