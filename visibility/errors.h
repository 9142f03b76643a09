// Internal: the error format shared by the parser and the translators.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tern::visibility {

inline constexpr std::string_view kMalformedQuery = "malformed SQL query";
inline constexpr std::string_view kNotSupported = "operation is not supported";
inline constexpr std::string_view kInvalidExpression = "invalid expression";

// INVALID_ARGUMENT "invalid query: <category>: <detail>".
absl::Status QueryError(std::string_view category, std::string_view detail);

// "<detail> at column <column>".
absl::Status QueryErrorAt(std::string_view category, std::string_view detail, int column);

// Debian's abseil has its own string_view type; our interfaces use std::string_view.
inline absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

// `text` quoted for an error message: 'text'.
std::string Quote(std::string_view text);

}  // namespace tern::visibility
