#include "services/scheduler/visibility_row.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/scheduler/planner.h"
#include "visibility/payloads.h"

namespace tern::scheduler {

namespace {

namespace sv1 = temporal::api::schedule::v1;

constexpr char kSchedulerWorkflowType[] = "temporal-sys-scheduler-workflow";
constexpr char kSchedulerTaskQueue[] = "temporal-sys-per-ns-tq";
constexpr char kBinaryProtobuf[] = "binary/protobuf";

sv1::ScheduleListInfo ListInfoOf(const pv1::ScheduleRecord& record, const CompiledSpec& spec,
                                 TimePoint now) {
  sv1::ScheduleListInfo info;
  *info.mutable_spec() = WithExplicitRanges(record.schedule().spec());
  *info.mutable_workflow_type() = record.schedule().action().start_workflow().workflow_type();
  info.set_notes(record.schedule().state().notes());
  info.set_paused(record.schedule().state().paused());
  *info.mutable_recent_actions() = record.info().recent_actions();
  for (TimePoint t : FutureActionTimes(record, spec, now, kListFutureActionTimes)) {
    *info.add_future_action_times() = ToProto(t);
  }
  return info;
}

}  // namespace

std::string ScheduleListQuery(const std::string& user_query) {
  std::string query = absl::StrCat("TemporalNamespaceDivision = '", kNamespaceDivision, "'");
  if (!user_query.empty()) absl::StrAppend(&query, " AND (", user_query, ")");
  return query;
}

persistence::VisibilityRecord VisibilityRowOf(const pv1::ScheduleRecord& record, int64_t version,
                                              const CompiledSpec& spec, TimePoint now,
                                              const visibility::CustomSearchAttributes& custom) {
  persistence::VisibilityRecord row;
  row.namespace_id = record.namespace_id();
  row.workflow_id = absl::StrCat(kWorkflowIdPrefix, record.schedule_id());
  row.run_id = row.workflow_id;
  row.workflow_type = kSchedulerWorkflowType;
  row.task_queue = kSchedulerTaskQueue;
  row.status = temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
  row.start_time = FromProto(record.info().create_time());
  row.execution_time = row.start_time;
  row.state_transition_count = version;
  row.root_workflow_id = row.workflow_id;
  row.root_run_id = row.run_id;

  temporal::api::common::v1::SearchAttributes attributes = record.search_attributes();
  auto& fields = *attributes.mutable_indexed_fields();
  fields["TemporalNamespaceDivision"] =
      visibility::SearchAttributePayload(absl::StrCat("\"", kNamespaceDivision, "\""),
                                         temporal::api::enums::v1::INDEXED_VALUE_TYPE_KEYWORD);
  fields["TemporalSchedulePaused"] =
      visibility::SearchAttributePayload(record.schedule().state().paused() ? "true" : "false",
                                         temporal::api::enums::v1::INDEXED_VALUE_TYPE_BOOL);
  row.search_attributes_json = visibility::SearchAttributesJson(attributes, custom);

  row.memo = record.memo();
  auto& info_payload = (*row.memo.mutable_fields())[kListInfoMemoField];
  (*info_payload.mutable_metadata())["encoding"] = kBinaryProtobuf;
  (*info_payload.mutable_metadata())["messageType"] =
      sv1::ScheduleListInfo::descriptor()->full_name();
  info_payload.set_data(ListInfoOf(record, spec, now).SerializeAsString());
  return row;
}

absl::StatusOr<sv1::ScheduleListEntry> ListEntryOf(
    const persistence::VisibilityRecord& row, const visibility::CustomSearchAttributes& custom) {
  sv1::ScheduleListEntry entry;
  if (!absl::StartsWith(row.workflow_id, kWorkflowIdPrefix)) {
    return absl::InternalError(
        absl::StrCat("visibility row ", row.workflow_id, " is not a schedule's"));
  }
  entry.set_schedule_id(row.workflow_id.substr(sizeof(kWorkflowIdPrefix) - 1));
  for (const auto& [name, payload] : row.memo.fields()) {
    if (name == kListInfoMemoField) {
      if (!entry.mutable_info()->ParseFromString(payload.data())) {
        return absl::DataLossError(
            absl::StrCat("schedule ", entry.schedule_id(), ": unreadable list info in visibility"));
      }
    } else {
      (*entry.mutable_memo()->mutable_fields())[name] = payload;
    }
  }
  auto attributes = visibility::SearchAttributesFromJson(row.search_attributes_json, custom);
  if (!attributes.ok()) return attributes.status();
  attributes->mutable_indexed_fields()->erase("TemporalNamespaceDivision");
  if (attributes->indexed_fields_size() > 0) *entry.mutable_search_attributes() = *attributes;
  return entry;
}

}  // namespace tern::scheduler
