// The update protocol messages of a workflow task completion (see services/history/updates.h).
#include "services/history/commands/commands.h"

namespace tern::history::commands {
namespace {
namespace uv1 = temporal::api::update::v1;
}  // namespace

Result HandleUpdateMessage(MutableStateBuilder& ms, ExecutionContext& ctx,
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
    attrs->set_accepted_request_sequencing_event_id(
        acceptance.accepted_request_sequencing_event_id());
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

}  // namespace tern::history::commands
