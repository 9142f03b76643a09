// Process-wide structured logging on spdlog. Init once at start.
//
// In json format every line is one JSON object: {"ts","level","process","service","thread",
// "msg"} and, where the line is about them, "namespace", "workflow_id", "run_id", "shard_id",
// "task_queue" and "error" (`service` when given: the service the process runs, or "server").
// Strings are JSON-escaped. In text format the fields follow the message as key=value.
//
// Use: Log(spdlog::level::warn, {.shard_id = id, .error = status.ToString()}, "history: shard {}
// lost ownership", id); plain spdlog::info(...) for lines about none of those. Never log a
// secret (password, token, key): tests/sdk/log_secrets.test.js greps every line for one.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tern {

void InitLogging(const std::string& level, const std::string& format, const std::string& process,
                 const std::string& service = "");

// The fields a line carries besides its message; empty ones are left out. `namespace_name` is
// the namespace's name (not its id).
struct LogFields {
  std::string_view namespace_name;
  std::string_view workflow_id;
  std::string_view run_id;
  std::optional<int32_t> shard_id;
  std::string_view task_queue;
  std::string_view error;
};

// While alive, lines logged on this thread carry `fields` (over those of an enclosing scope,
// field by field). The views must outlive the scope.
class ScopedLogFields {
 public:
  explicit ScopedLogFields(const LogFields& fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  LogFields previous_;
};

// One line with `fields`.
template <typename... Args>
void Log(spdlog::level::level_enum level, const LogFields& fields,
         spdlog::format_string_t<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  ScopedLogFields scope(fields);
  spdlog::log(level, format, std::forward<Args>(args)...);
}

}  // namespace tern
