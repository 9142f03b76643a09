// Internal: a VisibilityRecord as a document of the visibility index and back. Field names are
// those of schema/elasticsearch/visibility/index_template_v1.json.
#pragma once

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "persistence/visibility_store.h"

namespace tern::persistence::elasticsearch {

// The document: the system fields (ExecutionStatus as its name, datetimes as
// FormatDatetimeMicros strings clamped to what date_nanos holds, 1970 to 2262), NamespaceId,
// Memo as base64 of the serialized proto with MemoEncoding "proto3", and every search attribute
// of search_attributes_json as a top-level field. Absent: CloseTime and ExecutionDuration while
// running, the parent fields without a parent, Memo when empty. InvalidArgument when an
// identifying field is empty, search_attributes_json is not a JSON object, or one of its keys is
// a field the document already has.
absl::StatusOr<nlohmann::json> RecordToDocument(const VisibilityRecord& record);

// The inverse for a hit's _source: fields that are not document fields go back into
// search_attributes_json. Internal when the document was not written by RecordToDocument.
absl::StatusOr<VisibilityRecord> DocumentToRecord(const nlohmann::json& source);

}  // namespace tern::persistence::elasticsearch
