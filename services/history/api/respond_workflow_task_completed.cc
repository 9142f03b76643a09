#include "common/ids.h"
#include "common/status_macros.h"
#include "services/history/activities.h"
#include "services/history/api/api.h"
#include "services/history/commands/commands.h"
#include "services/history/queries.h"
#include "services/history/runs.h"
#include "services/history/updates.h"
#include "services/history/workflow_task.h"

namespace tern::history::api {

namespace {
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

absl::StatusOr<ws::RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompleted(
    EngineContext& engine, const hs::RespondWorkflowTaskCompletedRequest& internal) {
  const auto& request = internal.request();
  ASSIGN_OR_RETURN(auto target, engine.ResolveTaskToken(request.task_token()));
  Shard& shard = *target.shard;
  const pv1::TaskToken& token = target.token;
  // Answers to the queries that rode on this task, delivered once the run's lock is released.
  std::vector<std::pair<std::function<void(ExecutionContext::PendingQuery::Result)>,
                        absl::StatusOr<ws::QueryWorkflowResponse>>>
      answers;
  ws::RespondWorkflowTaskCompletedResponse response;
  // The next task, when handed back in the response (return_new_workflow_task).
  bool hand_back = false;
  struct {
    WorkflowTaskStart start;
    ws::PollWorkflowTaskQueueResponse extras;
  } next_task;
  // Why the task's commands were refused (then the first mutation is abandoned).
  commands::Result rejected;
  auto status = engine.MutateWithContext(
      shard, target.key, [&](MutableStateBuilder& ms, ExecutionContext& ctx) -> absl::Status {
        if (!IsCurrentWorkflowTask(ms, token)) return WorkflowTaskNotFound();
        const auto wft = ms.state().workflow_task();
        for (const auto& [id, result] : request.query_results()) {
          auto it = ctx.queries.find(id);
          if (it == ctx.queries.end() || it->second.started_event_id != wft.started_event_id()) {
            continue;
          }
          answers.emplace_back(
              std::move(it->second.resolve),
              QueryOutcome(result.result_type(), result.has_answer() ? &result.answer() : nullptr,
                           result.error_message(),
                           result.has_failure() ? &result.failure() : nullptr));
          ctx.queries.erase(it);
        }
        // Commands are applied to the run's state itself. If one is invalid, the mutation is
        // abandoned (its state dropped, not written) and the task's failure is recorded on the
        // state read back, below: no copy of the state for the task that succeeds.
        // A speculative task that changed nothing vanishes: the worker rolls back to its last
        // completed task.
        const bool discard = DiscardsSpeculativeWorkflowTask(ms, request);
        // The worker's cache: the next task goes to its sticky queue, or (without) the normal one.
        if (request.has_sticky_attributes() &&
            !request.sticky_attributes().worker_task_queue().name().empty()) {
          ms.state().set_sticky_task_queue(request.sticky_attributes().worker_task_queue().name());
          *ms.state().mutable_sticky_schedule_to_start_timeout() =
              request.sticky_attributes().schedule_to_start_timeout();
        } else {
          ms.state().clear_sticky_task_queue();
        }
        int64_t completed_id = 0;
        if (discard) {
          response.set_reset_history_event_id(
              ms.state().last_completed_workflow_task_started_event_id());
        } else {
          ms.WriteWorkflowTaskEvents();
          auto* completed = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
          auto* attrs = completed->mutable_workflow_task_completed_event_attributes();
          attrs->set_scheduled_event_id(wft.scheduled_event_id());
          attrs->set_started_event_id(wft.started_event_id());
          attrs->set_identity(request.identity());
          if (request.has_sdk_metadata()) *attrs->mutable_sdk_metadata() = request.sdk_metadata();
          if (request.has_metering_metadata()) {
            *attrs->mutable_metering_metadata() = request.metering_metadata();
          }
          completed_id = completed->event_id();
          ms.state().set_last_completed_workflow_task_started_event_id(wft.started_event_id());
        }
        ms.ClearWorkflowTask();

        commands::Applied applied;
        if (auto failure =
                commands::HandleCommands(engine, shard, ctx, ms, request, completed_id, &applied)) {
          rejected = std::move(*failure);
          return absl::AbortedError("the task's commands are rejected");  // never returned
        }
        ms.MarkDirty();
        response.clear_activity_tasks();
        for (int64_t id : applied.eager_activities) {
          *response.add_activity_tasks() =
              ActivityTaskFor(ms.state(), ms.state().activities().at(id), request.namespace_());
        }
        if (applied.closed) return absl::OkStatus();
        bool had_buffered = ms.HasBufferedEvents();
        ms.FlushBufferedEvents();
        bool updates_waiting = false;
        for (const auto& [id, pending] : ctx.updates) updates_waiting |= !pending.rejected;
        const auto limits = engine.options(ms.state().namespace_id());
        if (discard) {
          // Updates that came while the task ran get a task of their own, speculative again.
          if (updates_waiting) ms.ScheduleSpeculativeWorkflowTask();
        } else if (had_buffered || updates_waiting || request.force_create_new_workflow_task()) {
          // A sticky worker may take the next task in this response, started already (the
          // history it gets is partial, which only a worker with the run cached can use).
          hand_back = request.return_new_workflow_task() && !ms.state().sticky_task_queue().empty();
          ms.ScheduleWorkflowTask(1, /*dispatch=*/!hand_back);
        }
        // A run past the hard history limits cannot go on (reference behaviour: terminate).
        if (ms.state().next_event_id() - 1 > limits.history_count_limit_error) {
          TerminateRun(ms, "Workflow history count exceeds limit.", nullptr, "history-service");
          hand_back = false;
        } else if (ms.state().history_size_bytes() > limits.history_size_limit_error) {
          TerminateRun(ms, "Workflow history size exceeds limit.", nullptr, "history-service");
          hand_back = false;
        }
        if (hand_back) {
          MarkWorkflowTaskStarted(ms, limits, request.identity(), NewUuid());
          next_task.start = StartWorkflowTaskResponse(ms.state(), /*partial=*/true);
          next_task.extras = PendingWorkForTask(ctx, ms.state().workflow_task().started_event_id());
        }
        return absl::OkStatus();
      });
  if (rejected) {
    // The workflow keeps its previous state: only the task's failure is recorded.
    status = engine.Mutate(shard, target.key, [&](MutableStateBuilder& ms) -> absl::Status {
      if (!IsCurrentWorkflowTask(ms, token)) return WorkflowTaskNotFound();
      FailWorkflowTask(ms, rejected->cause, ServerFailure(rejected->message), request.identity());
      ms.FailAfterWrite(absl::InvalidArgumentError(
          rejected->cause == enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
              ? std::string("UnhandledCommand")
              : CauseName(rejected->cause) + ": " + rejected->message));
      return absl::OkStatus();
    });
  }
  for (auto& [resolve, answer] : answers) resolve(std::move(answer));
  if (!status.ok()) return status;
  if (hand_back) {
    // Once the task is started, a failure here only delays it: it times out and goes to
    // matching.
    auto task = WorkflowTaskResponse(shard, std::move(next_task.start));
    if (task.ok()) {
      task->MergeFrom(next_task.extras);
      *response.mutable_workflow_task() = *std::move(task);
    }
  }
  return response;
}

}  // namespace tern::history::api
