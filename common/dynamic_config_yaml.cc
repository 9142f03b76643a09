// Reading dynamic-config values: the main file's dynamicConfig section and dynamic-config files
// share one reader, so both accept a plain value or Temporal's list of constrained values.
#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config_internal.h"
#include "common/dynamic_config_file.h"
#include "common/status_macros.h"

namespace tern {
namespace config_internal {
namespace {

using dynamicconfig::Constraints;
using dynamicconfig::KeyInfo;
using dynamicconfig::Scope;
using dynamicconfig::Type;
using dynamicconfig::Value;

template <typename T>
std::optional<T> Bound(const std::optional<Value>& bound) {
  if (!bound) return std::nullopt;
  return std::get<T>(*bound);
}

std::optional<Value> ReadValue(Reader& r, const KeyInfo& key, const YAML::Node& node,
                               const std::string& path) {
  switch (key.type) {
    case Type::kInt:
    case Type::kInt64: {
      const bool is_int = key.type == Type::kInt;
      int64_t value = 0;
      int64_t min = Bound<int64_t>(key.min).value_or(is_int ? std::numeric_limits<int32_t>::min()
                                                            : std::numeric_limits<int64_t>::min());
      int64_t max = Bound<int64_t>(key.max).value_or(is_int ? std::numeric_limits<int32_t>::max()
                                                            : std::numeric_limits<int64_t>::max());
      if (r.Int64(node, path, min, max, &value)) return value;
      return std::nullopt;
    }
    case Type::kBool: {
      bool value = false;
      if (r.Bool(node, path, &value)) return value;
      return std::nullopt;
    }
    case Type::kFloat: {
      double value = 0;
      if (r.Float(node, path, Bound<double>(key.min), Bound<double>(key.max), &value)) {
        return value;
      }
      return std::nullopt;
    }
    case Type::kDuration: {
      std::chrono::milliseconds value{0};
      if (r.Duration(node, path, Bound<std::chrono::milliseconds>(key.min).value_or(value), &value,
                     Bound<std::chrono::milliseconds>(key.max).value_or(
                         std::chrono::milliseconds::max()))) {
        return value;
      }
      return std::nullopt;
    }
    case Type::kString: {
      std::optional<std::string> text = r.Scalar(node, path);
      if (text) return *text;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// The constraints of one list entry, checked against the key's scope.
std::optional<Constraints> ReadConstraints(Reader& r, const KeyInfo& key, const YAML::Node& node,
                                           const std::string& path) {
  Constraints c;
  if (!Reader::Present(node)) return c;
  const size_t errors = r.errors().size();
  if (!r.CheckMap(node, path, {"namespace", "taskQueueName"})) return std::nullopt;
  YAML::Node task_queue = Reader::Child(node, "taskQueueName");
  r.String(Reader::Child(node, "namespace"), path + ".namespace", &c.namespace_name,
           /*allow_empty=*/false);
  r.String(task_queue, path + ".taskQueueName", &c.task_queue, /*allow_empty=*/false);
  if (key.scope == Scope::kGlobal && (!c.namespace_name.empty() || !c.task_queue.empty())) {
    r.Fail(node, path, absl::StrCat("not allowed: ", key.name, " is a global key"));
  } else if (key.scope == Scope::kNamespace && !c.task_queue.empty()) {
    r.Fail(task_queue, path + ".taskQueueName",
           absl::StrCat("not allowed: ", key.name, " is a namespace key (namespace only)"));
  }
  if (r.errors().size() != errors) return std::nullopt;
  return c;
}

void ReadEntries(Reader& r, const KeyInfo& key, const YAML::Node& list, const std::string& path,
                 dynamicconfig::Values* out) {
  std::vector<Constraints> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    if (!entry.IsMap()) {
      r.Fail(entry, path,
             absl::StrCat("must be a single value or a list of {value, constraints} maps; entry ",
                          i, " is not a map"));
      continue;
    }
    const std::string entry_path = absl::StrCat(path, "[", i, "]");
    r.CheckMap(entry, entry_path, {"value", "constraints"});
    YAML::Node value_node = Reader::Child(entry, "value");
    if (!Reader::Present(value_node)) {
      r.Fail(entry, entry_path + ".value", "is required");
      continue;
    }
    std::optional<Value> value = ReadValue(r, key, value_node, entry_path + ".value");
    std::optional<Constraints> constraints =
        ReadConstraints(r, key, Reader::Child(entry, "constraints"), entry_path + ".constraints");
    if (!value || !constraints) continue;
    if (std::find(seen.begin(), seen.end(), *constraints) != seen.end()) {
      r.Fail(entry, entry_path, "has the same constraints as an earlier entry");
      continue;
    }
    seen.push_back(*constraints);
    out->Add(key.id, {*constraints, *value});
  }
}

}  // namespace

void ReadDynamicValues(Reader& r, const YAML::Node& node, const std::string& prefix,
                       dynamicconfig::Values* out) {
  std::vector<absl::string_view> names;
  for (const KeyInfo& key : dynamicconfig::AllKeys()) names.push_back(key.name);
  std::string section = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
  if (!r.CheckMap(node, section, names) || !Reader::Present(node)) return;
  for (const auto& item : node) {
    const KeyInfo* key =
        item.first.IsScalar() ? dynamicconfig::FindKey(item.first.Scalar()) : nullptr;
    if (key == nullptr || !Reader::Present(item.second)) continue;  // reported, or the default
    const std::string path = prefix + std::string(key->name);
    if (item.second.IsSequence()) {
      ReadEntries(r, *key, item.second, path, out);
    } else if (std::optional<Value> value = ReadValue(r, *key, item.second, path)) {
      out->Add(key->id, {{}, *value});
    }
  }
}

}  // namespace config_internal

namespace dynamicconfig {

absl::StatusOr<Values> ParseValuesFile(const std::string& text, const std::string& source) {
  using config_internal::Reader;
  ASSIGN_OR_RETURN(YAML::Node root, config_internal::LoadYaml(text, source));
  if (Reader::Present(root) && !root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the top level must be a map from dynamic-config keys to values"));
  }
  Values values;
  Reader r(source);
  try {
    config_internal::ReadDynamicValues(r, root, "", &values);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
  RETURN_IF_ERROR(r.Result());
  return values;
}

absl::StatusOr<Values> LoadValuesFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, config_internal::ReadTextFile(path, "dynamic config file"));
  return ParseValuesFile(text, path);
}

}  // namespace dynamicconfig
}  // namespace tern
