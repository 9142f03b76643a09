// Process-wide structured logging on spdlog. Init once at start; then use spdlog::info(...) etc.
// In json format every line is one JSON object: {"ts","level","logger","msg"}; put namespace,
// workflow id and run id into the message as key=value pairs (LogKv helps).
#pragma once

#include <string>

namespace tern {

void InitLogging(const std::string& level, const std::string& format, const std::string& process);

}  // namespace tern
