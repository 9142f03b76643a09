#include "visibility/errors.h"

#include "absl/strings/str_cat.h"

namespace tern::visibility {
absl::Status QueryError(std::string_view category, std::string_view detail) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid query: ", ToAbsl(category), ": ", ToAbsl(detail)));
}

absl::Status QueryErrorAt(std::string_view category, std::string_view detail, int column) {
  return QueryError(category, absl::StrCat(ToAbsl(detail), " at column ", column));
}

std::string Quote(std::string_view text) { return absl::StrCat("'", ToAbsl(text), "'"); }

}  // namespace tern::visibility
