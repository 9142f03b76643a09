// Process-wide structured logging on spdlog. Init once at start; then use spdlog::info(...) etc.
// In json format every line is one JSON object {"ts","level","process","service","thread","msg"}
// (`service` when given: the service the process runs, or "server"); the message is
// JSON-escaped. Put namespace, workflow id and run id into the message as key=value pairs.
#pragma once

#include <string>

namespace tern {

void InitLogging(const std::string& level, const std::string& format, const std::string& process,
                 const std::string& service = "");

}  // namespace tern
