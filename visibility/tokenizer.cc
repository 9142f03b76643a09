#include "visibility/tokenizer.h"

#include <cctype>

#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "visibility/errors.h"

namespace tern::visibility {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsWordPart(char c) { return IsWordStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Length of the UTF-8 sequence starting at text[pos], or 0 when it is not well-formed.
size_t Utf8SequenceLength(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  if (byte(pos + 1) < min_second || byte(pos + 1) > max_second) return 0;
  for (size_t i = 2; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Token>> Run() {
    RETURN_IF_ERROR(Validate());
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      ASSIGN_OR_RETURN(Token token, Next());
      bool end = token.kind == Token::Kind::kEnd;
      tokens.push_back(std::move(token));
      if (end) return tokens;
    }
  }

 private:
  // Rejects invalid UTF-8 and NUL up front, so every later step (and the JSON and SQL built from
  // the values) only ever sees well-formed text.
  absl::Status Validate() {
    for (size_t pos = 0; pos < text_.size();) {
      if (text_[pos] == '\0') {
        return QueryErrorAt(kMalformedQuery, "NUL character", ColumnAt(pos));
      }
      size_t length = Utf8SequenceLength(text_, pos);
      if (length == 0) return QueryErrorAt(kMalformedQuery, "invalid UTF-8", ColumnAt(pos));
      pos += length;
    }
    return absl::OkStatus();
  }

  // 1-based column of byte offset `pos`, counting characters (UTF-8 sequence starts).
  int ColumnAt(size_t pos) {
    for (; column_pos_ < pos; ++column_pos_) {
      if ((static_cast<unsigned char>(text_[column_pos_]) & 0xC0) != 0x80) ++column_;
    }
    return column_ + 1;
  }

  Token Make(Token::Kind kind, size_t start, std::string value) {
    Token token;
    token.kind = kind;
    token.raw = std::string(text_.substr(start, pos_ - start));
    token.value = std::move(value);
    token.column = ColumnAt(start);
    return token;
  }

  absl::StatusOr<Token> Next() {
    size_t start = pos_;
    if (pos_ == text_.size()) return Make(Token::Kind::kEnd, start, "");
    char c = text_[pos_];
    if (IsWordStart(c)) {
      while (pos_ < text_.size() && IsWordPart(text_[pos_])) ++pos_;
      return Make(Token::Kind::kWord, start, std::string(text_.substr(start, pos_ - start)));
    }
    if (c == '\'' || c == '"') return QuotedString();
    if (c == '`') return QuotedName();
    if (StartsNumber(pos_)) return Number();
    switch (c) {
      case '(':
        ++pos_;
        return Make(Token::Kind::kLeftParen, start, "(");
      case ')':
        ++pos_;
        return Make(Token::Kind::kRightParen, start, ")");
      case ',':
        ++pos_;
        return Make(Token::Kind::kComma, start, ",");
      case '=':
        ++pos_;
        return Make(Token::Kind::kOperator, start, "=");
      case '<':
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '=' || text_[pos_] == '>')) ++pos_;
        return Make(Token::Kind::kOperator, start, std::string(text_.substr(start, pos_ - start)));
      case '>':
        ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '=') ++pos_;
        return Make(Token::Kind::kOperator, start, std::string(text_.substr(start, pos_ - start)));
      case '!':
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '=') {
          pos_ += 2;
          return Make(Token::Kind::kOperator, start, "!=");
        }
        break;
      default:
        break;
    }
    std::string character(text_.substr(pos_, Utf8SequenceLength(text_, pos_)));
    return QueryErrorAt(kMalformedQuery, "unexpected character " + Quote(character),
                        ColumnAt(start));
  }

  bool StartsNumber(size_t pos) const {
    if (pos < text_.size() && (text_[pos] == '-' || text_[pos] == '+')) ++pos;
    if (pos < text_.size() && text_[pos] == '.') ++pos;
    return pos < text_.size() && IsDigit(text_[pos]);
  }

  void SkipDigits() {
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  }

  Token Number() {
    size_t start = pos_;
    bool is_float = false;
    if (text_[pos_] == '-' || text_[pos_] == '+') ++pos_;
    SkipDigits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_float = true;
      ++pos_;
      SkipDigits();
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t exponent = pos_ + 1;
      if (exponent < text_.size() && (text_[exponent] == '-' || text_[exponent] == '+')) {
        ++exponent;
      }
      if (exponent < text_.size() && IsDigit(text_[exponent])) {
        is_float = true;
        pos_ = exponent;
        SkipDigits();
      }
    }
    std::string raw(text_.substr(start, pos_ - start));
    return Make(is_float ? Token::Kind::kFloat : Token::Kind::kInteger, start, raw);
  }

  // A quoted string: the quote character doubled, or a backslash escape (\n, \t, \r, \b; any
  // other escaped character stands for itself).
  absl::StatusOr<Token> QuotedString() {
    size_t start = pos_;
    char quote = text_[pos_++];
    std::string value;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == quote) {
        if (pos_ < text_.size() && text_[pos_] == quote) {
          value += quote;
          ++pos_;
          continue;
        }
        return Make(Token::Kind::kString, start, std::move(value));
      }
      if (c == '\\' && pos_ < text_.size()) {
        char escaped = text_[pos_++];
        switch (escaped) {
          case 'n':
            value += '\n';
            break;
          case 't':
            value += '\t';
            break;
          case 'r':
            value += '\r';
            break;
          case 'b':
            value += '\b';
            break;
          default:
            value += escaped;
        }
        continue;
      }
      value += c;
    }
    return QueryErrorAt(kMalformedQuery, "unterminated string", ColumnAt(start));
  }

  // A back-quoted name; a doubled back-quote stands for one.
  absl::StatusOr<Token> QuotedName() {
    size_t start = pos_++;
    std::string value;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c != '`') {
        value += c;
      } else if (pos_ < text_.size() && text_[pos_] == '`') {
        value += '`';
        ++pos_;
      } else if (value.empty()) {
        return QueryErrorAt(kMalformedQuery, "empty back-quoted name", ColumnAt(start));
      } else {
        return Make(Token::Kind::kQuotedName, start, std::move(value));
      }
    }
    return QueryErrorAt(kMalformedQuery, "unterminated back-quoted name", ColumnAt(start));
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t column_pos_ = 0;
  int column_ = 0;
};

}  // namespace

bool Token::Is(std::string_view keyword) const {
  return kind == Kind::kWord &&
         absl::EqualsIgnoreCase(absl::string_view(value.data(), value.size()),
                                absl::string_view(keyword.data(), keyword.size()));
}

std::string Token::Describe() const {
  if (kind == Kind::kEnd) return "end of query";
  if (kind == Kind::kString) return raw;
  return Quote(raw);
}

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text) { return Tokenizer(text).Run(); }

}  // namespace tern::visibility
