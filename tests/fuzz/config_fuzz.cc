// libFuzzer target for the configuration readers (common/config.h, common/dynamic_config_file.h);
// `scripts/fuzz config` builds and runs it, tests/fuzz/README.md says how.
//
// An input is a main config file, optionally followed by a NUL and a dynamic-config file (without
// the NUL the whole input is tried as both). The main file goes through ParseConfig as
// tern-server's LoadConfig reads it, and when it names a dynamicConfigClient file the second
// part is merged in the way LoadConfig merges that file. A short input is also tried as a
// duration. Beyond the sanitizers (and any yaml-cpp exception escaping, which libFuzzer reports
// as a crash) it aborts when
//   - an error is not INVALID_ARGUMENT;
//   - an accepted config breaks a promise of config.h: a power-of-two shard count, a default
//     store that is a sql datastore, a visibility store that exists, at least one service, each
//     with a host:port broadcast address, a heartbeat age above the interval;
//   - a duration does not survive FormatDuration and ParseDuration;
//   - a dynamic-config value read through Collection::Get is not of its key's type or lies
//     outside its range, or the values written back as a dynamic-config file parse differently.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/config.h"
#include "common/dynamic_config_file.h"

namespace tern {
namespace {

using dynamicconfig::KeyInfo;
using dynamicconfig::Type;
using dynamicconfig::Value;
using dynamicconfig::Values;

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "config_fuzz: %.*s\n  %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void CheckError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument || status.message().empty()) {
    Fail("error is not INVALID_ARGUMENT with a message", status.ToString());
  }
}

void CheckDurationRoundTrip(std::chrono::milliseconds duration, const std::string& where) {
  if (duration.count() < 0) Fail("negative duration", where);
  const std::string text = FormatDuration(duration);
  absl::StatusOr<std::chrono::milliseconds> again = ParseDuration(text);
  if (!again.ok() || *again != duration) {
    Fail("duration does not survive FormatDuration and ParseDuration",
         absl::StrCat(where, ": ", duration.count(), "ms -> \"", text, "\" -> ",
                      again.ok() ? absl::StrCat(again->count(), "ms") : again.status().ToString()));
  }
}

// The index of Value's alternative that each type stores.
size_t Alternative(Type type) {
  switch (type) {
    case Type::kBool:
      return 0;
    case Type::kInt:
    case Type::kInt64:
      return 1;
    case Type::kFloat:
      return 2;
    case Type::kDuration:
      return 3;
    case Type::kString:
      return 4;
  }
  return 5;
}

void CheckValue(const KeyInfo& key, const Value& value, const std::string& where) {
  if (value.index() != Alternative(key.type)) Fail("value of the wrong type", where);
  const auto outside = [&](const std::optional<Value>& bound, bool is_min) {
    return bound.has_value() && (is_min ? value < *bound : *bound < value);
  };
  if (outside(key.min, true) || outside(key.max, false)) {
    Fail("value outside its key's range",
         absl::StrCat(where, " = ", dynamicconfig::FormatValue(value)));
  }
  if (const auto* duration = std::get_if<std::chrono::milliseconds>(&value)) {
    CheckDurationRoundTrip(*duration, where);
  }
  if (key.type == Type::kInt &&
      (std::get<int64_t>(value) < INT32_MIN || std::get<int64_t>(value) > INT32_MAX)) {
    Fail("int value outside int32", where);
  }
}

// ---- writing values back as a dynamic-config file

std::string YamlString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += absl::StrFormat("\\x%02x", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string YamlValue(const Value& value) {
  if (const auto* real = std::get_if<double>(&value)) {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), *real);
    return std::string(buffer, result.ptr);
  }
  if (const auto* text = std::get_if<std::string>(&value)) return YamlString(*text);
  return dynamicconfig::FormatValue(value);
}

std::string Render(const Values& values) {
  std::string out;
  for (const KeyInfo& key : dynamicconfig::AllKeys()) {
    const auto& entries = values.EntriesOf(key.id);
    if (entries.empty()) continue;
    absl::StrAppend(&out, key.name, ":\n");
    for (const dynamicconfig::Entry& entry : entries) {
      absl::StrAppend(&out, "  - value: ", YamlValue(entry.value), "\n    constraints: {");
      if (!entry.constraints.namespace_name.empty()) {
        absl::StrAppend(&out, "namespace: ", YamlString(entry.constraints.namespace_name));
      }
      if (!entry.constraints.task_queue.empty()) {
        absl::StrAppend(&out, entry.constraints.namespace_name.empty() ? "" : ", ",
                        "taskQueueName: ", YamlString(entry.constraints.task_queue));
      }
      out += "}\n";
    }
  }
  return out;
}

bool SameEntries(const Values& a, const Values& b) {
  for (const KeyInfo& key : dynamicconfig::AllKeys()) {
    const auto& left = a.EntriesOf(key.id);
    const auto& right = b.EntriesOf(key.id);
    if (left.size() != right.size()) return false;
    for (size_t i = 0; i < left.size(); ++i) {
      if (!(left[i].constraints == right[i].constraints) || left[i].value != right[i].value) {
        return false;
      }
    }
  }
  return true;
}

void CheckValues(const Values& values, const std::string& what) {
  for (const KeyInfo& key : dynamicconfig::AllKeys()) {
    for (const dynamicconfig::Entry& entry : values.EntriesOf(key.id)) {
      const std::string where =
          absl::StrCat(what, " ", key.name, "{", entry.constraints.namespace_name, "/",
                       entry.constraints.task_queue, "}");
      CheckValue(key, entry.value, where);
      if (key.scope == dynamicconfig::Scope::kGlobal &&
          !(entry.constraints == dynamicconfig::Constraints{})) {
        Fail("a global key has constraints", where);
      }
      if (key.scope == dynamicconfig::Scope::kNamespace && !entry.constraints.task_queue.empty()) {
        Fail("a namespace key has a task queue", where);
      }
    }
  }
  const std::string text = Render(values);
  absl::StatusOr<Values> again = dynamicconfig::ParseValuesFile(text, "rendered.yaml");
  if (!again.ok()) {
    Fail("the values written back do not parse",
         absl::StrCat(text, "\n  ", again.status().ToString()));
  }
  if (!SameEntries(values, *again)) Fail("the values written back parse differently", text);
}

// Every key read through the Collection the way services read it.
void CheckLookups(const dynamicconfig::Collection& collection) {
  const std::shared_ptr<const Values> current = collection.Current();
  for (const KeyInfo& key : dynamicconfig::AllKeys()) {
    for (std::string_view ns : {"", "default", "orders"}) {
      for (std::string_view queue : {"", "checkout"}) {
        CheckValue(key, current->Lookup(key.id, ns, queue), std::string(key.name));
      }
    }
  }
}

bool IsPort(std::string_view text) {
  int port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  return error == std::errc() && end == text.data() + text.size() && port >= 0 && port <= 65535;
}

void CheckConfig(const Config& config) {
  const PersistenceConfig& p = config.persistence;
  if (p.num_history_shards < 1 || (p.num_history_shards & (p.num_history_shards - 1)) != 0) {
    Fail("numHistoryShards is not a power of two", absl::StrCat(p.num_history_shards));
  }
  if (!p.datastores.contains(p.default_store)) Fail("no default store", p.default_store);
  if (!p.datastores.contains(p.visibility_store) && p.VisibilityElasticsearch() == nullptr) {
    Fail("no visibility store", p.visibility_store);
  }
  if (config.services.empty()) Fail("no service", "");
  for (const auto& [name, service] : config.services) {
    const std::string& address = service.broadcast_address;
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 ||
        !IsPort(std::string_view(address).substr(colon + 1))) {
      Fail("broadcast address is not host:port", name + ": " + address);
    }
  }
  if (config.membership.max_heartbeat_age <= config.membership.heartbeat_interval) {
    Fail("maxHeartbeatAge is not above heartbeatInterval", "");
  }
  CheckDurationRoundTrip(config.membership.heartbeat_interval, "heartbeatInterval");
  CheckDurationRoundTrip(config.membership.max_heartbeat_age, "maxHeartbeatAge");
  CheckDurationRoundTrip(config.tls.refresh_interval, "tls.refreshInterval");
  CheckDurationRoundTrip(config.authorization.key_refresh_interval, "key refreshInterval");
  CheckDurationRoundTrip(config.dynamic_config_client.poll_interval, "pollInterval");
  CheckValues(config.dynamic_config_values, "dynamicConfig");
  CheckLookups(config.dynamic);
}

}  // namespace
}  // namespace tern

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Seeds refer to it as ${TERN_FUZZ_PORT}; other variables stay unset.
  setenv("TERN_FUZZ_PORT", "7233", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tern;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string main_text(input.substr(0, nul));
  const std::string dynamic_text(nul == std::string_view::npos ? input : input.substr(nul + 1));

  if (size <= 64) {
    if (absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(std::string(input)); d.ok()) {
      CheckDurationRoundTrip(*d, "ParseDuration");
    }
  }

  absl::StatusOr<dynamicconfig::Values> file =
      dynamicconfig::ParseValuesFile(dynamic_text, "dynamic.yaml");
  if (file.ok()) {
    CheckValues(*file, "file");
  } else {
    CheckError(file.status());
  }

  absl::StatusOr<Config> config = ParseConfig(main_text, "config.yaml");
  if (!config.ok()) {
    CheckError(config.status());
    return 0;
  }
  CheckConfig(*config);
  if (!config->dynamic_config_client.filepath.empty() && file.ok()) {
    // What LoadConfig does with the file it names.
    config->dynamic.Update(config->dynamic_config_values.OverriddenBy(*file));
    CheckLookups(config->dynamic);
  }
  return 0;
}
