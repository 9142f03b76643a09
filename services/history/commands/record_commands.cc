// Commands that record data on the run: markers, search attributes, memo.
#include "absl/strings/str_cat.h"
#include "services/history/commands/commands.h"
#include "services/history/event_state.h"
#include "visibility/payloads.h"

namespace tern::history::commands {

Result RecordMarker(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.record_marker_command_attributes();
  if (a.marker_name().empty()) {
    return CommandFailure{enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
                          "MarkerName is not set on command."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_MARKER_RECORDED);
  auto* attrs = event->mutable_marker_recorded_event_attributes();
  attrs->set_marker_name(a.marker_name());
  *attrs->mutable_details() = a.details();
  if (a.has_header()) *attrs->mutable_header() = a.header();
  if (a.has_failure()) *attrs->mutable_failure() = a.failure();
  attrs->set_workflow_task_completed_event_id(wtc);
  return std::nullopt;
}

Result UpsertWorkflowSearchAttributes(Scope& s, const Command& command) {
  auto& engine = s.engine;
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.upsert_workflow_search_attributes_command_attributes();
  if (auto failure = CheckSearchAttributes(engine, ms.state().namespace_id(), a.search_attributes(),
                                           "UpsertWorkflowSearchAttributesCommand")) {
    return failure;
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
  auto* attrs = event->mutable_upsert_workflow_search_attributes_event_attributes();
  *attrs->mutable_search_attributes() = a.search_attributes();
  attrs->set_workflow_task_completed_event_id(wtc);
  ApplySearchAttributeUpserts(ms.state(), a.search_attributes());
  return std::nullopt;
}

Result ModifyWorkflowProperties(Scope& s, const Command& command) {
  auto& ms = s.ms;
  const int64_t wtc = s.completed_event_id;
  const auto& a = command.modify_workflow_properties_command_attributes();
  auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED);
  auto* attrs = event->mutable_workflow_properties_modified_event_attributes();
  *attrs->mutable_upserted_memo() = a.upserted_memo();
  attrs->set_workflow_task_completed_event_id(wtc);
  ApplyMemoUpserts(ms.state(), a.upserted_memo());
  return std::nullopt;
}

Result CheckSearchAttributes(EngineContext& engine, const std::string& namespace_id,
                             const temporal::api::common::v1::SearchAttributes& attributes,
                             const char* command) {
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES;
  if (attributes.indexed_fields_size() == 0) return std::nullopt;
  absl::Status status;
  // A cached namespace may not have an attribute registered a moment ago: read it again before
  // failing the task.
  for (bool reload : {false, true}) {
    auto custom = engine.CustomSearchAttributesFor(namespace_id, reload);
    if (!custom.ok()) {
      return CommandFailure{kBad, absl::StrCat("unable to read the search attributes of the "
                                               "namespace: ",
                                               custom.status().message())};
    }
    status = visibility::ValidateSearchAttributes(attributes, *custom);
    if (status.ok() || !engine.namespaces()) break;
  }
  if (status.ok()) return std::nullopt;
  return CommandFailure{
      kBad, absl::StrCat("invalid SearchAttributes on ", command, ": ", status.message())};
}

}  // namespace tern::history::commands
