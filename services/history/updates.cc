#include "services/history/updates.h"

#include "common/errors.h"
#include "common/status_macros.h"

namespace tern::history {
namespace {
namespace uv1 = temporal::api::update::v1;
constexpr auto kAdmitted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
constexpr auto kAccepted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
constexpr auto kCompleted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;

}  // namespace

absl::StatusOr<UpdateStatus> CheckUpdate(EngineContext& engine, Shard& shard,
                                         const ExecutionKey& key, const std::string& update_id,
                                         const uv1::Request* admit) {
  UpdateStatus status;
  bool schedule_task = false;
  int64_t completed_event_id = 0;
  pv1::MutableState snapshot;
  {
    auto context = shard.Context(key);
    std::lock_guard lock(context->mu);
    RETURN_IF_ERROR(engine.LoadInto(shard, key, *context));
    const auto& state = context->record->state;
    bool running = state.status() == enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
    if (auto it = state.updates().find(update_id); it != state.updates().end()) {
      status.stage = it->second.completed_event_id() != 0 ? kCompleted : kAccepted;
      completed_event_id = it->second.completed_event_id();
      if (!running && completed_event_id == 0) {
        // Accepted but the run closed first: the update can never complete.
        uv1::Outcome outcome;
        outcome.mutable_failure()->set_message(
            "workflow execution closed before the update completed");
        status.stage = kCompleted;
        status.outcome = outcome;
      }
      snapshot = state;
    } else if (auto pending = context->updates.find(update_id); pending != context->updates.end()) {
      status.stage = pending->second.rejected ? kCompleted : kAdmitted;
      if (pending->second.rejected) {
        uv1::Outcome outcome;
        *outcome.mutable_failure() = pending->second.rejection;
        status.outcome = outcome;
      }
    } else if (!running) {
      return NotFoundError("workflow execution already completed");
    } else if (admit == nullptr) {
      return NotFoundError("update " + update_id + " not found");
    } else {
      context->updates[update_id].request = *admit;
      status.stage = kAdmitted;
      schedule_task = !context->record->state.workflow_task().scheduled_event_id();
    }
  }
  if (schedule_task) {
    // A workflow task delivers the update; one that is already pending or running will do.
    // A new one is speculative: if the workflow rejects the update, history keeps no trace.
    auto st = engine.Mutate(shard, key, [](MutableStateBuilder& ms) {
      ms.ScheduleSpeculativeWorkflowTask();
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
  }
  if (completed_event_id != 0) {
    auto event = engine.ReadEvent(shard, snapshot, completed_event_id);
    if (!event.ok()) return event.status();
    status.outcome = event->workflow_execution_update_completed_event_attributes().outcome();
  }
  return status;
}

void WaitForUpdate(EngineContext& engine, std::shared_ptr<Shard> shard, ExecutionKey key,
                   std::string update_id, std::optional<uv1::Request> admit,
                   enums::UpdateWorkflowExecutionLifecycleStage wanted, TimePoint deadline,
                   UpdateDone done) {
  if (shard->stopped()) return done(ShardOwnershipLostError(shard->id(), ""));
  auto poll = std::make_shared<ParkedPoll>();
  auto rerun = [=, &engine]() {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    if (poll->timer) poll->timer->Cancel();
    // The watch starts before the first pass admits the update, so a change can rerun the
    // check before that admission: pass the request on (admitting a known update is a no-op).
    // Deferred: a change notification runs on the committing thread, which runs this once its
    // work returns, instead of waking another thread.
    engine.blocking().Defer([=, &engine] {
      WaitForUpdate(engine, shard, key, update_id, admit, wanted, deadline, done);
    });
  };
  poll->watch_id = shard->Watch(key, [rerun](ExecutionChange) { rerun(); });
  auto status = CheckUpdate(engine, *shard, key, update_id, admit ? &*admit : nullptr);
  if (!status.ok() || status->stage >= wanted || engine.clock().Now() >= deadline) {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    return done(std::move(status));
  }
  poll->timer = engine.blocking().PostAfter(deadline - engine.clock().Now(), [=, &engine] {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    engine.blocking().Post(
        [=, &engine] { done(CheckUpdate(engine, *shard, key, update_id, nullptr)); });
  });
}

enums::UpdateWorkflowExecutionLifecycleStage WantedStage(const uv1::WaitPolicy& policy) {
  auto wanted = policy.lifecycle_stage();
  return wanted == enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED ? kAccepted
                                                                                : wanted;
}

void AddUpdateMessages(const ExecutionContext& context, int64_t started_event_id,
                       ws::PollWorkflowTaskQueueResponse* response) {
  for (const auto& [update_id, pending] : context.updates) {
    if (pending.rejected) continue;
    auto* message = response->add_messages();
    message->set_id(update_id + "/request");
    message->set_protocol_instance_id(update_id);
    message->set_event_id(started_event_id - 1);
    message->mutable_body()->PackFrom(pending.request);
  }
}

}  // namespace tern::history
