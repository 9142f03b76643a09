#include "visibility/payloads.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "visibility/values.h"

namespace tern::visibility {
namespace {

namespace common = temporal::api::common::v1;
namespace enums = temporal::api::enums::v1;
using nlohmann::json;

constexpr std::array<std::string_view, 11> kSettablePredefined = {
    "TemporalChangeVersion",
    "BinaryChecksums",
    "BuildIds",
    "BatcherNamespace",
    "BatcherUser",
    "TemporalScheduledStartTime",
    "TemporalScheduledById",
    "TemporalSchedulePaused",
    "TemporalNamespaceDivision",
    "TemporalPauseInfo",
    "TemporalReportedProblems",
};

constexpr char kEncodingKey[] = "encoding";
constexpr char kJsonEncoding[] = "json/plain";
constexpr char kNullEncoding[] = "binary/null";
constexpr size_t kMaxQuotedData = 100;

absl::Status NotOfType(std::string_view why) {
  return absl::InvalidArgumentError(std::string(why));
}

// One scalar of `type` in its stored form; `value` is not null and not an array.
absl::StatusOr<json> StoredScalar(const json& value, IndexedValueType type) {
  switch (type) {
    case enums::INDEXED_VALUE_TYPE_KEYWORD:
    case enums::INDEXED_VALUE_TYPE_TEXT:
    case enums::INDEXED_VALUE_TYPE_KEYWORD_LIST:
      if (!value.is_string()) return NotOfType("not a string");
      return value;
    case enums::INDEXED_VALUE_TYPE_INT:
      if (value.is_number_unsigned() &&
          value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return NotOfType("out of the range of a 64-bit integer");
      }
      if (!value.is_number_integer()) return NotOfType("not an integer");
      return json(value.get<int64_t>());
    case enums::INDEXED_VALUE_TYPE_DOUBLE:
      if (!value.is_number()) return NotOfType("not a number");
      return json(value.get<double>());
    case enums::INDEXED_VALUE_TYPE_BOOL:
      if (!value.is_boolean()) return NotOfType("not a boolean");
      return value;
    case enums::INDEXED_VALUE_TYPE_DATETIME: {
      if (!value.is_string()) return NotOfType("not an RFC 3339 string");
      std::optional<int64_t> micros = ParseDatetimeMicros(value.get<std::string>());
      if (!micros) return NotOfType("not an RFC 3339 datetime");
      return json(FormatDatetimeMicros(*micros));
    }
    default:
      return NotOfType("unknown type");
  }
}

std::string TypeLabel(IndexedValueType type) {
  std::string_view name = IndexedValueTypeName(type);
  return name.empty() ? std::to_string(static_cast<int>(type)) : std::string(name);
}

// The attribute names in a stable order, so that errors name the same attribute every time.
std::vector<std::string> SortedNames(const common::SearchAttributes& attributes) {
  std::vector<std::string> names;
  names.reserve(attributes.indexed_fields_size());
  for (const auto& [name, _] : attributes.indexed_fields()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

bool IsSettablePredefinedAttribute(std::string_view name) {
  return std::find(kSettablePredefined.begin(), kSettablePredefined.end(), name) !=
         kSettablePredefined.end();
}

std::optional<IndexedValueType> StoredAttributeType(std::string_view name,
                                                    const CustomSearchAttributes& custom) {
  if (auto it = custom.find(std::string(name)); it != custom.end()) return it->second;
  return BuiltInAttributeType(name);
}

absl::Status ValidateSearchAttributes(const common::SearchAttributes& attributes,
                                      const CustomSearchAttributes& custom) {
  for (const std::string& name : SortedNames(attributes)) {
    std::optional<IndexedValueType> type;
    if (auto it = custom.find(name); it != custom.end()) {
      type = it->second;
    } else if (const BuiltInAttribute* builtin = FindBuiltInAttribute(name)) {
      if (builtin->kind == AttributeKind::kSystem || !IsSettablePredefinedAttribute(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " attribute can't be set in SearchAttributes"));
      }
      type = builtin->type;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("search attribute ", name, " is not defined"));
    }
    const common::Payload& payload = attributes.indexed_fields().at(name);
    if (!SearchAttributeValueJson(payload, *type).ok()) {
      std::string data = payload.data().substr(0, kMaxQuotedData);
      if (payload.data().size() > kMaxQuotedData) data += "...";
      return absl::InvalidArgumentError(absl::StrCat("invalid value for search attribute ", name,
                                                     " of type ", TypeLabel(*type), ": ", data));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> SearchAttributeValueJson(const common::Payload& payload,
                                                                    IndexedValueType type) {
  if (auto it = payload.metadata().find(kEncodingKey); it != payload.metadata().end()) {
    if (it->second == kNullEncoding) return std::nullopt;
    if (it->second != kJsonEncoding) {
      return NotOfType(absl::StrCat("encoding '", it->second, "' is not ", kJsonEncoding));
    }
  }
  if (payload.data().empty()) return std::nullopt;
  json value = json::parse(payload.data(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return NotOfType("not JSON");
  if (value.is_null()) return std::nullopt;
  if (type == enums::INDEXED_VALUE_TYPE_KEYWORD_LIST) {
    if (!value.is_array()) return NotOfType("not an array of strings");
    if (value.empty()) return std::nullopt;
    for (const json& item : value) {
      if (!item.is_string()) return NotOfType("not an array of strings");
    }
    return value.dump();
  }
  if (value.is_array()) {
    if (value.empty()) return std::nullopt;
    if (value.size() > 1) return NotOfType("a list of values for a single-valued type");
    value = json(value[0]);
  }
  ASSIGN_OR_RETURN(json stored, StoredScalar(value, type));
  return stored.dump();
}

std::string SearchAttributesJson(const common::SearchAttributes& attributes,
                                 const CustomSearchAttributes& custom,
                                 std::vector<std::string>* dropped) {
  json out = json::object();
  for (const std::string& name : SortedNames(attributes)) {
    std::optional<IndexedValueType> type = StoredAttributeType(name, custom);
    absl::StatusOr<std::optional<std::string>> value =
        type ? SearchAttributeValueJson(attributes.indexed_fields().at(name), *type)
             : absl::InvalidArgumentError("no type");
    if (!value.ok()) {
      if (dropped != nullptr) dropped->push_back(name);
      continue;
    }
    if (*value) out[name] = json::parse(**value);
  }
  return out.dump();
}

absl::StatusOr<common::SearchAttributes> SearchAttributesFromJson(
    std::string_view text, const CustomSearchAttributes& custom) {
  json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) {
    return absl::InvalidArgumentError("stored search attributes are not a JSON object");
  }
  common::SearchAttributes out;
  for (const auto& [name, value] : object.items()) {
    std::optional<IndexedValueType> type = StoredAttributeType(name, custom);
    if (!type) continue;
    (*out.mutable_indexed_fields())[name] = SearchAttributePayload(value.dump(), *type);
  }
  return out;
}

void SetSearchAttributeTypes(common::SearchAttributes& attributes,
                             const CustomSearchAttributes& custom) {
  for (auto& [name, payload] : *attributes.mutable_indexed_fields()) {
    if (std::optional<IndexedValueType> type = StoredAttributeType(name, custom)) {
      (*payload.mutable_metadata())["type"] = std::string(IndexedValueTypeName(*type));
    }
  }
}

common::Payload SearchAttributePayload(std::string json_text, IndexedValueType type) {
  common::Payload payload;
  (*payload.mutable_metadata())[kEncodingKey] = kJsonEncoding;
  (*payload.mutable_metadata())["type"] = std::string(IndexedValueTypeName(type));
  payload.set_data(std::move(json_text));
  return payload;
}

}  // namespace tern::visibility
