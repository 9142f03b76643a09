// Workflow updates (contract §2.5.6, §3.5.12). An update is admitted in memory, delivered to the
// worker as a protocol message on the next workflow task, and recorded in history when the
// workflow accepts it (UpdateAccepted) and completes it (UpdateCompleted). Rejections write
// nothing. Callers long-poll for the stage they want.
#include "common/errors.h"
#include "services/history/history_engine.h"

namespace tern::history {
namespace {
namespace uv1 = temporal::api::update::v1;
constexpr auto kAdmitted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
constexpr auto kAccepted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
constexpr auto kCompleted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;

}  // namespace

absl::StatusOr<HistoryEngine::UpdateStatus> HistoryEngine::CheckUpdate(
    Shard& shard, const ExecutionKey& key, const std::string& update_id,
    const uv1::Request* admit) {
  UpdateStatus status;
  bool schedule_task = false;
  int64_t completed_event_id = 0;
  pv1::MutableState snapshot;
  {
    auto context = shard.Context(key);
    std::lock_guard lock(context->mu);
    if (!context->record) {
      auto loaded = LoadRecord(shard, key);
      if (!loaded.ok()) return loaded.status();
      context->record = std::move(*loaded);
    }
    const auto& state = context->record->state;
    bool running = state.status() == enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
    if (auto it = state.updates().find(update_id); it != state.updates().end()) {
      status.stage = it->second.completed_event_id() != 0 ? kCompleted : kAccepted;
      completed_event_id = it->second.completed_event_id();
      if (!running && completed_event_id == 0) {
        // Accepted but the run closed first: the update can never complete.
        uv1::Outcome outcome;
        outcome.mutable_failure()->set_message("workflow execution closed before the update completed");
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
    auto st = Mutate(shard, key, [](MutableStateBuilder& ms) {
      if (ms.IsRunning()) ms.ScheduleWorkflowTask();
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
  }
  if (completed_event_id != 0) {
    auto event = ReadEvent(shard, snapshot, completed_event_id);
    if (!event.ok()) return event.status();
    status.outcome = event->workflow_execution_update_completed_event_attributes().outcome();
  }
  return status;
}

void HistoryEngine::WaitForUpdate(std::shared_ptr<Shard> shard, ExecutionKey key,
                                  std::string update_id, std::optional<uv1::Request> admit,
                                  enums::UpdateWorkflowExecutionLifecycleStage wanted,
                                  TimePoint deadline, UpdateDone done) {
  if (shard->stopped()) return done(ShardOwnershipLostError(shard->id(), ""));
  auto poll = std::make_shared<ParkedPoll>();
  auto rerun = [=, this]() {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    if (poll->timer) poll->timer->Cancel();
    // Admission happened on the first pass; later passes only observe.
    blocking_.Post([=, this] { WaitForUpdate(shard, key, update_id, std::nullopt, wanted, deadline, done); });
  };
  poll->watch_id = shard->Watch(key, [rerun](ExecutionChange) { rerun(); });
  auto status = CheckUpdate(*shard, key, update_id, admit ? &*admit : nullptr);
  if (!status.ok() || status->stage >= wanted || clock_.Now() >= deadline) {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    return done(std::move(status));
  }
  poll->timer = blocking_.PostAfter(deadline - clock_.Now(), [=, this] {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    blocking_.Post([=, this] { done(CheckUpdate(*shard, key, update_id, nullptr)); });
  });
}

void HistoryEngine::UpdateWorkflowExecution(
    const hs::UpdateWorkflowExecutionRequest& internal,
    std::function<void(absl::StatusOr<ws::UpdateWorkflowExecutionResponse>)> done) {
  blocking_.Post([this, internal, done = std::move(done)] {
    const auto& request = internal.request();
    const auto& execution = request.workflow_execution();
    auto shard = ShardFor(internal.namespace_id(), execution.workflow_id());
    if (!shard.ok()) return done(shard.status());
    auto run_id = ResolveRunId(**shard, internal.namespace_id(), execution.workflow_id(),
                               execution.run_id());
    if (!run_id.ok()) return done(run_id.status());
    ExecutionKey key{internal.namespace_id(), execution.workflow_id(), *run_id};
    if (!request.first_execution_run_id().empty()) {
      auto state = Snapshot(**shard, key);
      if (!state.ok()) return done(state.status());
      if (state->first_execution_run_id() != request.first_execution_run_id()) {
        return done(NotFoundError("workflow execution not found for the given first execution run id"));
      }
    }
    auto wanted = request.wait_policy().lifecycle_stage();
    if (wanted == enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED) wanted = kAccepted;
    auto timeout = std::chrono::duration_cast<TimePoint::duration>(
        internal.has_long_poll_timeout() ? FromProto(internal.long_poll_timeout())
                                         : config_.dynamic_config.history_long_poll_expiration);
    std::string update_id = request.request().meta().update_id();
    WaitForUpdate(*shard, key, update_id, request.request(), wanted, clock_.Now() + timeout,
                  [done, key, update_id](absl::StatusOr<UpdateStatus> status) {
                    if (!status.ok()) return done(status.status());
                    ws::UpdateWorkflowExecutionResponse response;
                    auto* ref = response.mutable_update_ref();
                    ref->mutable_workflow_execution()->set_workflow_id(key.workflow_id);
                    ref->mutable_workflow_execution()->set_run_id(key.run_id);
                    ref->set_update_id(update_id);
                    response.set_stage(status->stage);
                    if (status->outcome) *response.mutable_outcome() = *status->outcome;
                    done(std::move(response));
                  });
  });
}

void HistoryEngine::PollWorkflowExecutionUpdate(
    const hs::PollWorkflowExecutionUpdateRequest& internal,
    std::function<void(absl::StatusOr<ws::PollWorkflowExecutionUpdateResponse>)> done) {
  blocking_.Post([this, internal, done = std::move(done)] {
    const auto& ref = internal.request().update_ref();
    const auto& execution = ref.workflow_execution();
    auto shard = ShardFor(internal.namespace_id(), execution.workflow_id());
    if (!shard.ok()) return done(shard.status());
    auto run_id = ResolveRunId(**shard, internal.namespace_id(), execution.workflow_id(),
                               execution.run_id());
    if (!run_id.ok()) return done(run_id.status());
    ExecutionKey key{internal.namespace_id(), execution.workflow_id(), *run_id};
    auto wanted = internal.request().wait_policy().lifecycle_stage();
    if (wanted == enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED) wanted = kAccepted;
    auto timeout = std::chrono::duration_cast<TimePoint::duration>(
        internal.has_long_poll_timeout() ? FromProto(internal.long_poll_timeout())
                                         : config_.dynamic_config.history_long_poll_expiration);
    WaitForUpdate(*shard, key, ref.update_id(), std::nullopt, wanted, clock_.Now() + timeout,
                  [done, key, ref](absl::StatusOr<UpdateStatus> status) {
                    if (!status.ok()) return done(status.status());
                    ws::PollWorkflowExecutionUpdateResponse response;
                    *response.mutable_update_ref() = ref;
                    response.mutable_update_ref()->mutable_workflow_execution()->set_run_id(key.run_id);
                    response.set_stage(status->stage);
                    if (status->outcome) *response.mutable_outcome() = *status->outcome;
                    done(std::move(response));
                  });
  });
}

void HistoryEngine::AddUpdateMessages(const ExecutionContext& context, int64_t started_event_id,
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

std::optional<HistoryEngine::CommandFailure> HistoryEngine::HandleUpdateMessage(
    MutableStateBuilder& ms, ExecutionContext& ctx,
    const temporal::api::protocol::v1::Message& message) {
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE;
  const std::string& update_id = message.protocol_instance_id();
  auto& updates = *ms.state().mutable_updates();
  uv1::Acceptance acceptance;
  uv1::Rejection rejection;
  uv1::Response completion;
  if (message.body().UnpackTo(&acceptance)) {
    if (updates.contains(update_id)) return std::nullopt;  // accepted before: nothing new
    auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    auto* attrs = event->mutable_workflow_execution_update_accepted_event_attributes();
    attrs->set_protocol_instance_id(update_id);
    attrs->set_accepted_request_message_id(acceptance.accepted_request_message_id());
    attrs->set_accepted_request_sequencing_event_id(acceptance.accepted_request_sequencing_event_id());
    if (acceptance.has_accepted_request()) {
      *attrs->mutable_accepted_request() = acceptance.accepted_request();
    } else if (auto it = ctx.updates.find(update_id); it != ctx.updates.end()) {
      *attrs->mutable_accepted_request() = it->second.request;
    }
    updates[update_id].set_accepted_event_id(event->event_id());
    ctx.updates.erase(update_id);
    return std::nullopt;
  }
  if (message.body().UnpackTo(&rejection)) {
    auto& pending = ctx.updates[update_id];
    if (rejection.has_rejected_request()) pending.request = rejection.rejected_request();
    pending.rejected = true;
    pending.rejection = rejection.failure();
    return std::nullopt;
  }
  if (message.body().UnpackTo(&completion)) {
    auto it = updates.find(update_id);
    if (it == updates.end()) {
      return CommandFailure{kBad, "update " + update_id + " completed before it was accepted"};
    }
    if (it->second.completed_event_id() != 0) return std::nullopt;
    auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
    auto* attrs = event->mutable_workflow_execution_update_completed_event_attributes();
    *attrs->mutable_meta() = completion.meta();
    attrs->set_accepted_event_id(it->second.accepted_event_id());
    *attrs->mutable_outcome() = completion.outcome();
    it->second.set_completed_event_id(event->event_id());
    return std::nullopt;
  }
  return CommandFailure{kBad, "unknown protocol message body " + message.body().type_url()};
}

}  // namespace tern::history
