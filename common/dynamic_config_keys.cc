#include "common/dynamic_config_keys.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/config.h"

namespace tern::dynamicconfig {
namespace {

template <Type T>
KeyInfo MakeInfo(KeyId id, absl::string_view name, Scope scope, CppType<T> default_value,
                 std::optional<CppType<T>> min, std::optional<CppType<T>> max,
                 absl::string_view doc) {
  KeyInfo info{id,           name,         T,   scope,       ToValue(std::move(default_value)),
               std::nullopt, std::nullopt, doc, std::nullopt};
  if constexpr (T != Type::kBool && T != Type::kString) {
    if (min) info.min = ToValue(*min);
    if (max) info.max = ToValue(*max);
  }
  return info;
}

std::vector<KeyInfo> BuildTable() {
  std::vector<KeyInfo> keys = {
#define TERN_DC_INFO(id, name, type, scope, default_value, min, max, doc) \
  MakeInfo<Type::k##type>(KeyId::k##id, name, Scope::k##scope, default_value, min, max, doc),
      TERN_DYNAMIC_CONFIG_KEYS(TERN_DC_INFO)
#undef TERN_DC_INFO
  };
#define TERN_DC_FALLBACK(id, other)                                          \
  static_assert(std::is_same_v<decltype(k##id), decltype(k##other)>,         \
                #id " and its fallback " #other " differ in type or scope"); \
  keys[static_cast<int>(KeyId::k##id)].fallback = KeyId::k##other;
  TERN_DYNAMIC_CONFIG_FALLBACKS(TERN_DC_FALLBACK)
#undef TERN_DC_FALLBACK
  return keys;
}

std::string Range(const KeyInfo& key) {
  if (key.min && key.max) return absl::StrCat(FormatValue(*key.min), "..", FormatValue(*key.max));
  if (key.min) return absl::StrCat(">= ", FormatValue(*key.min));
  if (key.max) return absl::StrCat("<= ", FormatValue(*key.max));
  return "any";
}

}  // namespace

const std::vector<KeyInfo>& AllKeys() {
  static const std::vector<KeyInfo> keys = BuildTable();
  return keys;
}

const KeyInfo* FindKey(absl::string_view name) {
  for (const KeyInfo& key : AllKeys()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::kInt:
      return "int";
    case Type::kInt64:
      return "int64";
    case Type::kBool:
      return "bool";
    case Type::kFloat:
      return "float";
    case Type::kDuration:
      return "duration";
    case Type::kString:
      return "string";
  }
  return "?";
}

absl::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kGlobal:
      return "global";
    case Scope::kNamespace:
      return "namespace";
    case Scope::kTaskQueue:
      return "task queue";
  }
  return "?";
}

std::string FormatValue(const Value& value) {
  struct Formatter {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int64_t v) const { return absl::StrCat(v); }
    std::string operator()(double v) const { return absl::StrFormat("%g", v); }
    std::string operator()(std::chrono::milliseconds v) const { return FormatDuration(v); }
    std::string operator()(const std::string& v) const { return absl::StrCat("\"", v, "\""); }
  };
  return std::visit(Formatter{}, value);
}

std::string KeysMarkdown() {
  std::string out =
      "| key | type | scope | default | allowed | description |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const KeyInfo& key : AllKeys()) {
    std::string doc(key.doc);
    if (key.fallback) {
      absl::StrAppend(&doc, " Unset: the value of `", Info(*key.fallback).name, "`.");
    }
    absl::StrAppend(&out, "| `", key.name, "` | ", TypeName(key.type), " | ", ScopeName(key.scope),
                    " | `", FormatValue(key.default_value), "` | ", Range(key), " | ", doc, " |\n");
  }
  return out;
}

}  // namespace tern::dynamicconfig
