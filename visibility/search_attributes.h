// Search attributes: the built-in catalog (system and predefined attributes), name resolution
// for queries, reserved names, and the SDK metadata names of the value types.
//
// System attributes are maintained by the server and present on every execution (some only
// once it closes, or only for children); predefined ones are written by the SDKs and the server
// but cannot be registered by users. Custom attributes are registered per namespace and handed
// to the functions below as a CustomSearchAttributes map (name -> type).
//
// Everything here is a pure function over constant tables: safe from any thread.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "temporal/api/enums/v1/common.pb.h"

namespace tern::visibility {

using IndexedValueType = temporal::api::enums::v1::IndexedValueType;

// The custom search attributes of one namespace, by name.
using CustomSearchAttributes = std::map<std::string, IndexedValueType>;

enum class AttributeKind { kSystem, kPredefined, kCustom };

struct BuiltInAttribute {
  std::string_view name;
  IndexedValueType type;
  AttributeKind kind;  // kSystem or kPredefined
  // False for the system attributes every execution has (WorkflowId, StartTime, ...); true for
  // those an execution may lack (CloseTime while running, ParentWorkflowId of a root workflow,
  // every predefined attribute).
  bool nullable;
};

// Every system and predefined attribute, system ones first, in a fixed order.
std::span<const BuiltInAttribute> BuiltInAttributes();

// The system or predefined attribute with exactly this name, or nullptr.
const BuiltInAttribute* FindBuiltInAttribute(std::string_view name);

// The type of a system or predefined attribute, by exact name.
std::optional<IndexedValueType> BuiltInAttributeType(std::string_view name);

// True for names users may not register as custom attributes: every system and predefined
// name, NamespaceId, Memo, MemoEncoding, VisibilityTaskKey, and anything starting with
// "Temporal".
bool IsReservedSearchAttributeName(std::string_view name);

// A name as written in a query, resolved to the attribute it denotes.
struct ResolvedAttribute {
  std::string name;  // canonical name (the key in search_attributes / the Elasticsearch field)
  IndexedValueType type;
  AttributeKind kind;
  bool nullable;  // custom attributes are always nullable
};

// Resolution order: a custom attribute of that exact name; a system or predefined attribute of
// that exact name; a predefined attribute with a "Temporal" prefix added or dropped
// ("ChangeVersion" -> TemporalChangeVersion, "TemporalBuildIds" -> BuildIds); "ScheduleId" and
// "TemporalScheduleId" -> WorkflowId. nullopt when nothing matches.
std::optional<ResolvedAttribute> ResolveSearchAttribute(std::string_view name,
                                                        const CustomSearchAttributes& custom);

// The SDK metadata name of a type, as carried in Payload.metadata["type"]: "Keyword", "Text",
// "Int", "Double", "Bool", "Datetime" or "KeywordList"; "" for UNSPECIFIED or unknown values.
std::string_view IndexedValueTypeName(IndexedValueType type);

// Parses a type name, case-insensitively: the metadata names above or the enum names
// ("INDEXED_VALUE_TYPE_KEYWORD_LIST"). nullopt for anything else, UNSPECIFIED included.
std::optional<IndexedValueType> ParseIndexedValueTypeName(std::string_view name);

}  // namespace tern::visibility
