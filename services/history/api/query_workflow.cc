// Queries (contract §2.5.5, §3.5.13). A query to a run whose workflow task is pending or running
// rides on the next workflow task that starts (PollWorkflowTaskQueueResponse.queries) and is
// answered by that task's completion (query_results). A query to an idle or closed run goes to
// the workflow's task queue as a legacy query task with the full history. Nothing is written.
#include "common/errors.h"
#include "common/ids.h"
#include "common/task_token.h"
#include "services/history/api/api.h"
#include "services/history/queries.h"
#include "temporal/api/errordetails/v1/message.pb.h"

namespace tern::history::api {

namespace {
using QueryDone = std::function<void(absl::StatusOr<ws::QueryWorkflowResponse>)>;
// A workflow whose task keeps failing cannot answer; say so instead of waiting out the deadline.
constexpr int kFailingTaskAttempts = 3;

// Whether the task a query rides on (or waits for) is still there to carry it.
bool StillRiding(const pv1::MutableState& state, const ExecutionContext::PendingQuery& query) {
  if (state.status() != enums::WORKFLOW_EXECUTION_STATUS_RUNNING) return false;
  const auto& wft = state.workflow_task();
  if (query.started_event_id != 0) return wft.started_event_id() == query.started_event_id;
  return wft.scheduled_event_id() != 0;
}

absl::Status NotReadyError(absl::StatusCode code, std::string message) {
  return WithDetail(absl::Status(code, std::move(message)),
                    temporal::api::errordetails::v1::WorkflowNotReadyFailure());
}

bool Rejects(enums::QueryRejectCondition condition, enums::WorkflowExecutionStatus status) {
  if (status == enums::WORKFLOW_EXECUTION_STATUS_RUNNING) return false;
  switch (condition) {
    case enums::QUERY_REJECT_CONDITION_NOT_OPEN:
      return true;
    case enums::QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY:
      return status != enums::WORKFLOW_EXECUTION_STATUS_COMPLETED;
    default:
      return false;
  }
}

// Parks a query on the run's context until a workflow task carries and answers it (see
// ExecutionContext::PendingQuery); `done` runs once.
void RideOnWorkflowTask(EngineContext& engine, std::shared_ptr<Shard> shard, ExecutionKey key,
                        hs::QueryWorkflowRequest internal, TimePoint deadline, QueryDone done) {
  using Result = ExecutionContext::PendingQuery::Result;
  auto ctx = shard->Context(key);
  const std::string id = NewUuid();
  auto wait = std::make_shared<ParkedPoll>();
  {
    std::lock_guard lock(ctx->mu);
    auto& pending = ctx->queries[id];
    pending.query = internal.request().query();
    pending.resolve = [&engine, shard, key, wait, internal, deadline, done](Result result) {
      if (wait->done.exchange(true)) return;
      shard->Unwatch(key, wait->watch_id);
      if (wait->timer) wait->timer->Cancel();
      if (result) return done(std::move(*result));
      engine.blocking().Post([=, &engine] { QueryWorkflow(engine, internal, deadline, done); });
    };
  }
  // Claims the query for one ending; null if another ending (the answer) came first.
  auto take = [ctx, id]() -> std::function<void(Result)> {
    std::lock_guard lock(ctx->mu);
    auto it = ctx->queries.find(id);
    if (it == ctx->queries.end()) return nullptr;
    auto resolve = std::move(it->second.resolve);
    ctx->queries.erase(it);
    return resolve;
  };
  // Back to QueryWorkflow once no task is left to carry the query. Runs on the blocking
  // executor once the committing thread's work returns: change notifications come while the
  // run's lock is held.
  auto check = [&engine, ctx, id, take] {
    engine.blocking().Defer([ctx, id, take] {
      {
        std::lock_guard lock(ctx->mu);
        auto it = ctx->queries.find(id);
        if (it == ctx->queries.end()) return;
        if (ctx->record && StillRiding(ctx->record->state, it->second)) return;
      }
      if (auto resolve = take()) resolve(std::nullopt);
    });
  };
  wait->watch_id = shard->Watch(key, [check](ExecutionChange) { check(); });
  wait->timer = engine.blocking().PostAfter(deadline - engine.clock().Now(), [take] {
    if (auto resolve = take()) {
      resolve(NotReadyError(absl::StatusCode::kDeadlineExceeded,
                            "no workflow task answered the query in time"));
    }
  });
  check();  // the run may have changed before the watch was in place
}
}  // namespace

void QueryWorkflow(EngineContext& engine, const hs::QueryWorkflowRequest& internal,
                   TimePoint deadline, QueryDone done) {
  engine.blocking().Post([&engine, internal, deadline, done = std::move(done)] {
    auto target = engine.ResolveTarget(internal.namespace_id(), internal.request().execution());
    if (!target.ok()) return done(target.status());
    std::shared_ptr<Shard> shard = target->shard;
    const ExecutionKey key = target->key;

    auto wait = std::make_shared<ParkedPoll>();
    auto retry = [&engine, internal, deadline, done, wait, shard, key]() {
      if (wait->done.exchange(true)) return;
      shard->Unwatch(key, wait->watch_id);
      if (wait->timer) wait->timer->Cancel();
      engine.blocking().Defer([=, &engine] { QueryWorkflow(engine, internal, deadline, done); });
    };
    wait->watch_id = shard->Watch(key, [retry](ExecutionChange) { retry(); });
    auto finish = [&](absl::StatusOr<ws::QueryWorkflowResponse> result) {
      if (wait->done.exchange(true)) return;
      shard->Unwatch(key, wait->watch_id);
      done(std::move(result));
    };

    auto state = engine.Snapshot(*shard, key);
    if (!state.ok()) return finish(state.status());
    if (Rejects(internal.request().query_reject_condition(), state->status())) {
      ws::QueryWorkflowResponse response;
      response.mutable_query_rejected()->set_status(state->status());
      return finish(std::move(response));
    }
    bool running = state->status() == enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
    const auto& wft = state->workflow_task();
    if (running && wft.attempt() >= kFailingTaskAttempts) {
      return finish(NotReadyError(absl::StatusCode::kFailedPrecondition,
                                  "the workflow's task is failing; it cannot answer queries"));
    }
    bool idle = state->last_completed_workflow_task_started_event_id() != 0 &&
                wft.scheduled_event_id() == 0;
    if (running && !idle && state->last_completed_workflow_task_started_event_id() != 0) {
      // A workflow task is pending or running: the query rides on the next one to start, so it
      // sees the signals and updates that task delivers.
      if (wait->done.exchange(true)) return;
      shard->Unwatch(key, wait->watch_id);
      return RideOnWorkflowTask(engine, shard, key, internal, deadline, done);
    }
    if (running && !idle) {
      // Wait for the first workflow task to complete.
      if (engine.clock().Now() >= deadline) {
        return finish(NotReadyError(absl::StatusCode::kDeadlineExceeded,
                                    "the workflow did not become ready to answer the query"));
      }
      wait->timer = engine.blocking().PostAfter(deadline - engine.clock().Now(), retry);
      return;
    }
    // Ready: stop watching and dispatch.
    if (wait->done.exchange(true)) return;
    shard->Unwatch(key, wait->watch_id);

    std::string query_id = NewUuid();
    const std::string& task_queue = state->task_queue();
    pv1::TaskToken token;
    token.set_namespace_id(state->namespace_id());
    token.set_workflow_id(state->workflow_id());
    token.set_run_id(state->run_id());
    token.set_query_id(query_id);
    token.set_query_task_queue(task_queue);
    ws::PollWorkflowTaskQueueResponse task;
    task.set_task_token(EncodeTaskToken(token));
    task.mutable_workflow_execution()->set_workflow_id(state->workflow_id());
    task.mutable_workflow_execution()->set_run_id(state->run_id());
    *task.mutable_workflow_type() = state->workflow_type();
    task.set_previous_started_event_id(state->last_completed_workflow_task_started_event_id());
    task.set_attempt(1);
    *task.mutable_query() = internal.request().query();
    task.mutable_workflow_execution_task_queue()->set_name(task_queue);
    task.mutable_workflow_execution_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
    auto events = engine.ReadAllEvents(*shard, *state);
    if (!events.ok()) return done(events.status());
    for (auto& e : *events) *task.mutable_history()->add_events() = std::move(e);

    tern::matchingservice::v1::QueryWorkflowRequest request;
    request.set_namespace_id(state->namespace_id());
    request.mutable_task_queue()->set_name(task_queue);  // the root partition
    request.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
    *request.mutable_task() = std::move(task);
    request.set_query_id(query_id);
    client::CallOptions options;
    options.deadline = deadline;
    engine.matching().QueryWorkflow(request, options, [done](auto result) {
      if (!result.ok()) return done(result.status());
      done(QueryOutcome(
          result->completed_type(), result->has_query_result() ? &result->query_result() : nullptr,
          result->error_message(), result->has_failure() ? &result->failure() : nullptr));
    });
  });
}

}  // namespace tern::history::api
