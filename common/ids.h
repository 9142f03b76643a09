// Identifiers: random UUIDs (v4, lowercase, hyphenated) for run ids, request ids and hosts.
#pragma once

#include <string>
#include <string_view>

namespace tern {

std::string NewUuid();
bool IsUuid(std::string_view text);

}  // namespace tern
