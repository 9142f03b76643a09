// Search attribute values on the wire and in the visibility store.
//
// On the wire (SearchAttributes.indexed_fields) a value is a Payload with metadata encoding
// "json/plain" and JSON data: a string for Keyword, Text and Datetime (RFC 3339), a number for
// Int and Double, true/false for Bool, an array of strings for KeywordList. SDKs that predate
// typed search attributes wrap every value in an array ("[\"x\"]"); a one-element array is
// accepted for every type. Empty data, `null`, `[]` and the "binary/null" encoding unset the
// attribute. Payloads the server returns carry metadata "type" (Keyword, Text, Int, ...), which
// the TypeScript SDK's typedSearchAttributes requires.
//
// In the store (visibility/postgres.h, persistence/visibility_store.h) the attributes of a run
// are one JSON object: Int as a JSON integer, Double as a number, Datetime as a
// FormatDatetimeMicros string, KeywordList as an array; an unset attribute has no key.
//
// The attributes a client or workflow may write are the namespace's custom ones and the
// predefined ones the reference server lets users set (IsSettablePredefinedAttribute); system
// attributes are maintained by the server only.
//
// Pure functions: safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "temporal/api/common/v1/message.pb.h"
#include "visibility/search_attributes.h"

namespace tern::visibility {

// TemporalChangeVersion, BinaryChecksums, BuildIds, BatcherNamespace, BatcherUser,
// TemporalScheduledStartTime, TemporalScheduledById, TemporalSchedulePaused,
// TemporalNamespaceDivision, TemporalPauseInfo, TemporalReportedProblems. The other predefined
// attributes are written by the server only.
bool IsSettablePredefinedAttribute(std::string_view name);

// The type a stored or returned attribute has: the namespace's custom attribute of that exact
// name, else the system or predefined one; nullopt for anything else (an attribute that was
// removed from the namespace, say). No alias resolution: stored names are canonical.
std::optional<IndexedValueType> StoredAttributeType(std::string_view name,
                                                    const CustomSearchAttributes& custom);

// Checks search attributes a client or workflow writes (start, signal-with-start, upsert,
// continue-as-new, child start). INVALID_ARGUMENT, worded as the reference server does, naming
// the first offending attribute in name order:
//   "<Name> attribute can't be set in SearchAttributes"   (system, or predefined but not
//                                                           settable)
//   "search attribute <Name> is not defined"               (not registered in the namespace)
//   "invalid value for search attribute <Name> of type <Type>: <data>"
absl::Status ValidateSearchAttributes(const temporal::api::common::v1::SearchAttributes& attributes,
                                      const CustomSearchAttributes& custom);

// The stored JSON text of one value of type `type`; nullopt when the payload unsets the
// attribute; INVALID_ARGUMENT (without the attribute name) when it does not decode as `type`.
absl::StatusOr<std::optional<std::string>> SearchAttributeValueJson(
    const temporal::api::common::v1::Payload& payload, IndexedValueType type);

// The stored JSON object of a run's attributes. Attributes without a stored type and values that
// do not decode are left out (their names are appended to `dropped` when given): the row must be
// written even if the namespace's attributes changed since the value was accepted.
std::string SearchAttributesJson(const temporal::api::common::v1::SearchAttributes& attributes,
                                 const CustomSearchAttributes& custom,
                                 std::vector<std::string>* dropped = nullptr);

// The reverse, for list results: one typed payload per key whose stored type is known (others
// are left out). INVALID_ARGUMENT if `json` is not a JSON object.
absl::StatusOr<temporal::api::common::v1::SearchAttributes> SearchAttributesFromJson(
    std::string_view json, const CustomSearchAttributes& custom);

// Sets metadata "type" on every payload whose attribute has a stored type (Describe responses).
void SetSearchAttributeTypes(temporal::api::common::v1::SearchAttributes& attributes,
                             const CustomSearchAttributes& custom);

// A "json/plain" payload holding `json` with metadata "type" = IndexedValueTypeName(type).
temporal::api::common::v1::Payload SearchAttributePayload(std::string json, IndexedValueType type);

}  // namespace tern::visibility
