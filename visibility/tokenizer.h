// Internal: splits a list filter into tokens for the parser in query.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tern::visibility {

struct Token {
  enum class Kind {
    kWord,        // identifier or keyword: [A-Za-z_][A-Za-z0-9_]*
    kQuotedName,  // `back-quoted identifier`
    kString,      // 'single' or "double" quoted
    kInteger,     // [+-]?digits
    kFloat,       // [+-]?digits.digits, with optional exponent
    kOperator,    // = != <> < <= > >=
    kLeftParen,
    kRightParen,
    kComma,
    kEnd,  // after the last token
  };
  Kind kind = Kind::kEnd;
  std::string raw;    // the source text, as shown in error messages
  std::string value;  // decoded: name without back-quotes, string without quotes and escapes
  int column = 0;     // 1-based, in characters

  // Case-insensitive keyword test for kWord tokens.
  bool Is(std::string_view keyword) const;
  // How error messages name this token: 'raw' (strings keep their own quotes), or
  // "end of query".
  std::string Describe() const;
};

// Tokenizes the whole query; the last token is kEnd. Fails on invalid UTF-8, NUL characters,
// unterminated strings or names, and characters that start no token.
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text);

}  // namespace tern::visibility
