#include "visibility/value_format.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "visibility/values.h"

namespace tern::visibility {
namespace {

bool IsDatetime(const ResolvedAttribute& attribute) {
  return attribute.type == temporal::api::enums::v1::INDEXED_VALUE_TYPE_DATETIME;
}

bool IsExecutionStatus(const ResolvedAttribute& attribute) {
  return attribute.kind == AttributeKind::kSystem && attribute.name == "ExecutionStatus";
}

}  // namespace

std::string ValueToText(const ResolvedAttribute& attribute, const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* number = std::get_if<int64_t>(&value)) {
    return IsDatetime(attribute) ? FormatDatetimeMicros(*number) : absl::StrCat(*number);
  }
  if (const auto* real = std::get_if<double>(&value)) {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), *real);
    return std::string(buffer, result.ptr);
  }
  return std::get<bool>(value) ? "true" : "false";
}

nlohmann::json ValueToJson(const ResolvedAttribute& attribute, const Value& value) {
  if (const auto* number = std::get_if<int64_t>(&value)) {
    if (IsExecutionStatus(attribute)) return std::string(ExecutionStatusName(*number));
    if (IsDatetime(attribute)) return FormatDatetimeMicros(*number);
    return *number;
  }
  if (const auto* real = std::get_if<double>(&value)) return *real;
  if (const auto* flag = std::get_if<bool>(&value)) return *flag;
  return std::get<std::string>(value);
}

}  // namespace tern::visibility
