#include "visibility/search_attributes.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;

constexpr std::string_view kTemporalPrefix = "Temporal";

constexpr BuiltInAttribute System(std::string_view name, IndexedValueType type,
                                  bool nullable = false) {
  return {name, type, AttributeKind::kSystem, nullable};
}
constexpr BuiltInAttribute Predefined(std::string_view name, IndexedValueType type) {
  return {name, type, AttributeKind::kPredefined, true};
}

constexpr auto kKeyword = enums::INDEXED_VALUE_TYPE_KEYWORD;
constexpr auto kKeywordList = enums::INDEXED_VALUE_TYPE_KEYWORD_LIST;
constexpr auto kInt = enums::INDEXED_VALUE_TYPE_INT;
constexpr auto kDatetime = enums::INDEXED_VALUE_TYPE_DATETIME;
constexpr auto kBool = enums::INDEXED_VALUE_TYPE_BOOL;

constexpr std::array kBuiltIns = {
    System("WorkflowId", kKeyword),
    System("RunId", kKeyword),
    System("WorkflowType", kKeyword),
    System("TaskQueue", kKeyword),
    System("ExecutionStatus", kKeyword),
    System("StartTime", kDatetime),
    System("ExecutionTime", kDatetime),
    System("CloseTime", kDatetime, /*nullable=*/true),
    System("ExecutionDuration", kInt, /*nullable=*/true),
    System("HistoryLength", kInt),
    System("HistorySizeBytes", kInt),
    System("StateTransitionCount", kInt),
    System("ParentWorkflowId", kKeyword, /*nullable=*/true),
    System("ParentRunId", kKeyword, /*nullable=*/true),
    System("RootWorkflowId", kKeyword),
    System("RootRunId", kKeyword),
    Predefined("TemporalChangeVersion", kKeywordList),
    Predefined("BinaryChecksums", kKeywordList),
    Predefined("BuildIds", kKeywordList),
    Predefined("BatcherNamespace", kKeyword),
    Predefined("BatcherUser", kKeyword),
    Predefined("TemporalScheduledStartTime", kDatetime),
    Predefined("TemporalScheduledById", kKeyword),
    Predefined("TemporalSchedulePaused", kBool),
    Predefined("TemporalNamespaceDivision", kKeyword),
    Predefined("TemporalPauseInfo", kKeywordList),
    Predefined("TemporalReportedProblems", kKeywordList),
    Predefined("TemporalWorkerDeploymentVersion", kKeyword),
    Predefined("TemporalWorkflowVersioningBehavior", kKeyword),
    Predefined("TemporalWorkerDeployment", kKeyword),
    Predefined("TemporalUsedWorkerDeploymentVersions", kKeywordList),
    Predefined("TemporalExternalPayloadCount", kInt),
    Predefined("TemporalExternalPayloadSizeBytes", kInt),
};

// Names that are neither system nor predefined attributes but still cannot be registered:
// they are fields of the visibility record itself.
constexpr std::array<std::string_view, 4> kReservedFields = {"NamespaceId", "Memo", "MemoEncoding",
                                                             "VisibilityTaskKey"};

struct TypeName {
  IndexedValueType type;
  std::string_view name;
};
constexpr std::array<TypeName, 7> kTypeNames = {{
    {enums::INDEXED_VALUE_TYPE_TEXT, "Text"},
    {enums::INDEXED_VALUE_TYPE_KEYWORD, "Keyword"},
    {enums::INDEXED_VALUE_TYPE_INT, "Int"},
    {enums::INDEXED_VALUE_TYPE_DOUBLE, "Double"},
    {enums::INDEXED_VALUE_TYPE_BOOL, "Bool"},
    {enums::INDEXED_VALUE_TYPE_DATETIME, "Datetime"},
    {enums::INDEXED_VALUE_TYPE_KEYWORD_LIST, "KeywordList"},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

ResolvedAttribute FromBuiltIn(const BuiltInAttribute& attribute) {
  return {std::string(attribute.name), attribute.type, attribute.kind, attribute.nullable};
}

const BuiltInAttribute* FindPredefined(std::string_view name) {
  const BuiltInAttribute* found = FindBuiltInAttribute(name);
  return found != nullptr && found->kind == AttributeKind::kPredefined ? found : nullptr;
}

}  // namespace

std::span<const BuiltInAttribute> BuiltInAttributes() { return kBuiltIns; }

const BuiltInAttribute* FindBuiltInAttribute(std::string_view name) {
  for (const BuiltInAttribute& attribute : kBuiltIns) {
    if (attribute.name == name) return &attribute;
  }
  return nullptr;
}

std::optional<IndexedValueType> BuiltInAttributeType(std::string_view name) {
  const BuiltInAttribute* found = FindBuiltInAttribute(name);
  if (found == nullptr) return std::nullopt;
  return found->type;
}

bool IsReservedSearchAttributeName(std::string_view name) {
  return name.starts_with(kTemporalPrefix) || FindBuiltInAttribute(name) != nullptr ||
         std::find(kReservedFields.begin(), kReservedFields.end(), name) != kReservedFields.end();
}

std::optional<ResolvedAttribute> ResolveSearchAttribute(std::string_view name,
                                                        const CustomSearchAttributes& custom) {
  if (auto it = custom.find(std::string(name)); it != custom.end()) {
    return ResolvedAttribute{it->first, it->second, AttributeKind::kCustom, true};
  }
  if (const BuiltInAttribute* found = FindBuiltInAttribute(name)) return FromBuiltIn(*found);
  if (name.starts_with(kTemporalPrefix)) {
    if (const BuiltInAttribute* found = FindPredefined(name.substr(kTemporalPrefix.size()))) {
      return FromBuiltIn(*found);
    }
  } else if (const BuiltInAttribute* found =
                 FindPredefined(std::string(kTemporalPrefix) + std::string(name))) {
    return FromBuiltIn(*found);
  }
  if (name == "ScheduleId" || name == "TemporalScheduleId") {
    return FromBuiltIn(*FindBuiltInAttribute("WorkflowId"));
  }
  return std::nullopt;
}

std::string_view IndexedValueTypeName(IndexedValueType type) {
  for (const TypeName& entry : kTypeNames) {
    if (entry.type == type) return entry.name;
  }
  return "";
}

std::optional<IndexedValueType> ParseIndexedValueTypeName(std::string_view name) {
  for (const TypeName& entry : kTypeNames) {
    if (EqualsIgnoreCase(name, entry.name) ||
        EqualsIgnoreCase(name, enums::IndexedValueType_Name(entry.type))) {
      return entry.type;
    }
  }
  return std::nullopt;
}

}  // namespace tern::visibility
