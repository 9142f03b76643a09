#include "persistence/elasticsearch/document.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "visibility/values.h"

namespace tern::persistence::elasticsearch {
namespace {

using nlohmann::json;

constexpr char kMemoEncoding[] = "proto3";
// date_nanos holds 1970-01-01 to 2262-04-11T23:47:16.854775807Z.
constexpr int64_t kMaxDateNanosMicros = 9223372036854775;

// Every field of a document that is not a search attribute.
constexpr std::string_view kDocumentFields[] = {
    "NamespaceId",
    "RunId",
    "WorkflowId",
    "WorkflowType",
    "TaskQueue",
    "ExecutionStatus",
    "StartTime",
    "ExecutionTime",
    "CloseTime",
    "ExecutionDuration",
    "HistoryLength",
    "HistorySizeBytes",
    "StateTransitionCount",
    "ParentWorkflowId",
    "ParentRunId",
    "RootWorkflowId",
    "RootRunId",
    "Memo",
    "MemoEncoding",
    "VisibilityTaskKey",
};

bool IsDocumentField(std::string_view name) {
  return std::find(std::begin(kDocumentFields), std::end(kDocumentFields), name) !=
         std::end(kDocumentFields);
}

std::string Datetime(Timestamp t) {
  int64_t micros = std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
  return visibility::FormatDatetimeMicros(std::clamp<int64_t>(micros, 0, kMaxDateNanosMicros));
}

absl::Status Malformed(const json& source, const char* field, const char* expected) {
  std::string run_id = source.contains("RunId") && source["RunId"].is_string()
                           ? source["RunId"].get<std::string>()
                           : std::string("?");
  return absl::InternalError(
      absl::StrCat("elasticsearch document of run ", run_id, ": ", field, " is not ", expected));
}

// Reads the optional string `field` into *out; an error if it is present and not a string.
absl::Status ReadString(const json& source, const char* field, std::string* out) {
  auto it = source.find(field);
  if (it == source.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return Malformed(source, field, "a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

// `Int` is int64_t or std::optional<int64_t>.
template <typename Int>
absl::Status ReadInt(const json& source, const char* field, Int* out) {
  auto it = source.find(field);
  if (it == source.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_integer()) return Malformed(source, field, "an integer");
  *out = it->get<int64_t>();
  return absl::OkStatus();
}

absl::Status ReadDatetime(const json& source, const char* field, std::optional<Timestamp>* out) {
  std::string text;
  RETURN_IF_ERROR(ReadString(source, field, &text));
  if (text.empty()) return absl::OkStatus();
  std::optional<int64_t> micros = visibility::ParseDatetimeMicros(text);
  if (!micros) return Malformed(source, field, "an RFC 3339 datetime");
  *out = Timestamp(std::chrono::microseconds(*micros));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<json> RecordToDocument(const VisibilityRecord& r) {
  if (r.namespace_id.empty() || r.run_id.empty() || r.workflow_id.empty()) {
    return absl::InvalidArgumentError(
        "visibility record needs namespace_id, run_id and workflow_id");
  }
  json doc = json::parse(r.search_attributes_json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("search attributes of run '", r.run_id, "' are not a JSON object"));
  }
  for (const auto& [name, unused] : doc.items()) {
    if (IsDocumentField(name)) {
      return absl::InvalidArgumentError(absl::StrCat("search attributes of run '", r.run_id,
                                                     "' set '", name,
                                                     "', a field the server maintains"));
    }
  }
  doc["NamespaceId"] = r.namespace_id;
  doc["RunId"] = r.run_id;
  doc["WorkflowId"] = r.workflow_id;
  doc["WorkflowType"] = r.workflow_type;
  doc["TaskQueue"] = r.task_queue;
  doc["ExecutionStatus"] = visibility::ExecutionStatusName(r.status);
  doc["StartTime"] = Datetime(r.start_time);
  doc["ExecutionTime"] = Datetime(r.execution_time);
  if (r.close_time) doc["CloseTime"] = Datetime(*r.close_time);
  if (r.execution_duration_nanos) doc["ExecutionDuration"] = *r.execution_duration_nanos;
  doc["HistoryLength"] = r.history_length;
  doc["HistorySizeBytes"] = r.history_size_bytes;
  doc["StateTransitionCount"] = r.state_transition_count;
  if (!r.parent_workflow_id.empty()) doc["ParentWorkflowId"] = r.parent_workflow_id;
  if (!r.parent_run_id.empty()) doc["ParentRunId"] = r.parent_run_id;
  doc["RootWorkflowId"] = r.root_workflow_id;
  doc["RootRunId"] = r.root_run_id;
  if (r.memo.fields_size() > 0) {
    doc["Memo"] = absl::Base64Escape(r.memo.SerializeAsString());
    doc["MemoEncoding"] = kMemoEncoding;
  }
  return doc;
}

absl::StatusOr<VisibilityRecord> DocumentToRecord(const json& source) {
  if (!source.is_object()) return absl::InternalError("elasticsearch hit without a _source");
  VisibilityRecord r;
  std::string status_name, memo, memo_encoding;
  std::optional<Timestamp> start_time, execution_time;
  for (absl::Status status : {
           ReadString(source, "NamespaceId", &r.namespace_id),
           ReadString(source, "RunId", &r.run_id),
           ReadString(source, "WorkflowId", &r.workflow_id),
           ReadString(source, "WorkflowType", &r.workflow_type),
           ReadString(source, "TaskQueue", &r.task_queue),
           ReadString(source, "ExecutionStatus", &status_name),
           ReadDatetime(source, "StartTime", &start_time),
           ReadDatetime(source, "ExecutionTime", &execution_time),
           ReadDatetime(source, "CloseTime", &r.close_time),
           ReadInt(source, "ExecutionDuration", &r.execution_duration_nanos),
           ReadInt(source, "HistoryLength", &r.history_length),
           ReadInt(source, "HistorySizeBytes", &r.history_size_bytes),
           ReadInt(source, "StateTransitionCount", &r.state_transition_count),
           ReadString(source, "ParentWorkflowId", &r.parent_workflow_id),
           ReadString(source, "ParentRunId", &r.parent_run_id),
           ReadString(source, "RootWorkflowId", &r.root_workflow_id),
           ReadString(source, "RootRunId", &r.root_run_id),
           ReadString(source, "Memo", &memo),
           ReadString(source, "MemoEncoding", &memo_encoding),
       }) {
    if (!status.ok()) return status;
  }
  if (r.run_id.empty()) return Malformed(source, "RunId", "set");
  if (!start_time) return Malformed(source, "StartTime", "set");
  r.start_time = *start_time;
  r.execution_time = execution_time.value_or(*start_time);
  r.status = visibility::ParseExecutionStatus(status_name)
                 .value_or(temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED);
  if (!memo.empty()) {
    std::string bytes;
    if (memo_encoding != kMemoEncoding || !absl::Base64Unescape(memo, &bytes) ||
        !r.memo.ParseFromString(bytes)) {
      return Malformed(source, "Memo", "a base64 proto3 Memo");
    }
  }
  json attributes = json::object();
  for (const auto& [name, value] : source.items()) {
    if (!IsDocumentField(name)) attributes[name] = value;
  }
  r.search_attributes_json = attributes.dump();
  return r;
}

}  // namespace tern::persistence::elasticsearch
