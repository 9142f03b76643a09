#include "visibility/query.h"

#include <array>
#include <charconv>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "visibility/errors.h"
#include "visibility/tokenizer.h"
#include "visibility/value_format.h"
#include "visibility/values.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;
using TokenKind = Token::Kind;

// Parentheses and NOTs deeper than this are rejected, which bounds the parser's recursion.
constexpr int kMaxDepth = 64;

constexpr std::array<std::string_view, 17> kKeywords = {
    "AND",   "OR",    "NOT",   "IN", "BETWEEN", "STARTS_WITH", "IS",    "NULL", "TRUE",
    "FALSE", "ORDER", "GROUP", "BY", "ASC",     "DESC",        "LIMIT", "LIKE",
};

bool IsKeyword(const Token& token) {
  for (std::string_view keyword : kKeywords) {
    if (token.Is(keyword)) return true;
  }
  return false;
}

// How values of an attribute are written and normalized; two system attributes have their own.
enum class ValueKind {
  kKeyword,
  kText,
  kKeywordList,
  kInt,
  kDouble,
  kBool,
  kDatetime,
  kExecutionStatus,
  kExecutionDuration
};

ValueKind ValueKindOf(const ResolvedAttribute& attribute) {
  if (attribute.kind == AttributeKind::kSystem) {
    if (attribute.name == "ExecutionStatus") return ValueKind::kExecutionStatus;
    if (attribute.name == "ExecutionDuration") return ValueKind::kExecutionDuration;
  }
  switch (attribute.type) {
    case enums::INDEXED_VALUE_TYPE_TEXT:
      return ValueKind::kText;
    case enums::INDEXED_VALUE_TYPE_KEYWORD_LIST:
      return ValueKind::kKeywordList;
    case enums::INDEXED_VALUE_TYPE_INT:
      return ValueKind::kInt;
    case enums::INDEXED_VALUE_TYPE_DOUBLE:
      return ValueKind::kDouble;
    case enums::INDEXED_VALUE_TYPE_BOOL:
      return ValueKind::kBool;
    case enums::INDEXED_VALUE_TYPE_DATETIME:
      return ValueKind::kDatetime;
    default:
      return ValueKind::kKeyword;
  }
}

bool OpAllowed(ValueKind kind, Op op) {
  if (op == Op::kIsNull || op == Op::kIsNotNull || op == Op::kEq || op == Op::kNe) return true;
  bool ordering = op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
  bool membership = op == Op::kIn || op == Op::kNotIn;
  bool range = op == Op::kBetween || op == Op::kNotBetween;
  switch (kind) {
    case ValueKind::kKeyword:
      return true;
    case ValueKind::kText:
      return false;
    case ValueKind::kKeywordList:
    case ValueKind::kExecutionStatus:
      return membership;
    case ValueKind::kBool:
      return ordering;
    case ValueKind::kInt:
    case ValueKind::kDouble:
    case ValueKind::kDatetime:
    case ValueKind::kExecutionDuration:
      return ordering || membership || range;
  }
  return false;
}

std::string AttributeLabel(const ResolvedAttribute& attribute) {
  return absl::StrCat(ToAbsl(IndexedValueTypeName(attribute.type)), " attribute ",
                      Quote(attribute.name));
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// An integer from an integer literal, an integral float literal ("5.0", "1e3") or a string
// holding an integer.
std::optional<int64_t> IntegerOf(const Token& token) {
  if (token.kind == TokenKind::kInteger || token.kind == TokenKind::kString) {
    return ParseInt64(token.value);
  }
  if (token.kind != TokenKind::kFloat) return std::nullopt;
  std::optional<double> value = ParseDouble(token.value);
  // 2^63 itself is out of range; every double below it converts exactly.
  if (!value.has_value() || std::trunc(*value) != *value || *value < -9223372036854775808.0 ||
      *value >= 9223372036854775808.0) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*value);
}

std::optional<double> NumberOf(const Token& token) {
  if (token.kind == TokenKind::kInteger || token.kind == TokenKind::kFloat ||
      token.kind == TokenKind::kString) {
    return ParseDouble(token.value);
  }
  return std::nullopt;
}

std::optional<bool> BoolOf(const Token& token) {
  if (token.Is("TRUE")) return true;
  if (token.Is("FALSE")) return false;
  if (token.kind == TokenKind::kString) {
    if (absl::EqualsIgnoreCase(token.value, "true")) return true;
    if (absl::EqualsIgnoreCase(token.value, "false")) return false;
  }
  return std::nullopt;
}

bool HasWord(std::string_view text) {
  return text.find_first_not_of(" \t\n\r\f\v") != std::string_view::npos;
}

absl::StatusOr<Value> NormalizeValue(const ResolvedAttribute& attribute, const Token& token) {
  auto invalid = [&](std::string_view needs) {
    return QueryErrorAt(kInvalidExpression,
                        absl::StrCat(AttributeLabel(attribute), " needs ", ToAbsl(needs), ", not ",
                                     token.Describe()),
                        token.column);
  };
  bool is_string = token.kind == TokenKind::kString;
  switch (ValueKindOf(attribute)) {
    case ValueKind::kKeyword:
    case ValueKind::kKeywordList:
      if (!is_string) return invalid("a string value");
      return Value(token.value);
    case ValueKind::kText:
      if (!is_string) return invalid("a string value");
      if (!HasWord(token.value)) return invalid("at least one word");
      return Value(token.value);
    case ValueKind::kInt:
      if (std::optional<int64_t> value = IntegerOf(token)) return Value(*value);
      return invalid("an integer value");
    case ValueKind::kDouble:
      if (std::optional<double> value = NumberOf(token)) return Value(*value);
      return invalid("a numeric value");
    case ValueKind::kBool:
      if (std::optional<bool> value = BoolOf(token)) return Value(*value);
      return invalid("true or false");
    case ValueKind::kDatetime: {
      std::optional<int64_t> micros;
      if (is_string) {
        micros = ParseDatetimeMicros(token.value);
      } else if (token.kind == TokenKind::kInteger) {
        if (std::optional<int64_t> nanos = ParseInt64(token.value)) {
          micros = UnixNanosToMicros(*nanos);
        }
      }
      if (micros.has_value()) return Value(*micros);
      return invalid("an RFC 3339 timestamp or Unix nanoseconds");
    }
    case ValueKind::kExecutionDuration: {
      std::optional<int64_t> nanos = is_string ? ParseDurationNanos(token.value) : IntegerOf(token);
      if (nanos.has_value()) return Value(*nanos);
      return invalid("nanoseconds or a duration such as '1h30m' or '01:30:00'");
    }
    case ValueKind::kExecutionStatus: {
      std::optional<enums::WorkflowExecutionStatus> status;
      if (is_string) {
        status = ParseExecutionStatus(token.value);
      } else if (std::optional<int64_t> number = IntegerOf(token);
                 number.has_value() && *number > 0 &&
                 enums::WorkflowExecutionStatus_IsValid(static_cast<int>(*number))) {
        status = static_cast<enums::WorkflowExecutionStatus>(*number);
      }
      if (status.has_value()) return Value(static_cast<int64_t>(*status));
      return invalid("an execution status such as 'Running'");
    }
  }
  return invalid("a value");
}

std::unique_ptr<Expr> MakeNode(Expr::Kind kind, std::vector<std::unique_ptr<Expr>> operands) {
  auto node = std::make_unique<Expr>();
  node->kind = kind;
  node->operands = std::move(operands);
  return node;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const CustomSearchAttributes& custom,
         const ParseOptions& options)
      : tokens_(std::move(tokens)), custom_(custom), options_(options) {}

  absl::StatusOr<Query> Parse() {
    Query query;
    if (!AtClauseEnd()) {
      ASSIGN_OR_RETURN(std::unique_ptr<Expr> where, ParseOr(0));
      query.where = std::move(where);
    }
    bool seen_order = false;
    bool seen_group = false;
    while (true) {
      absl::Status status;
      if (Peek().Is("ORDER") && !seen_order) {
        seen_order = true;
        status = ParseOrderBy(query);
      } else if (Peek().Is("GROUP") && !seen_group) {
        seen_group = true;
        status = ParseGroupBy(query);
      } else {
        break;
      }
      if (!status.ok()) return status;
    }
    if (Peek().kind != TokenKind::kEnd) {
      if (Peek().Is("LIMIT")) return QueryErrorAt(kNotSupported, "LIMIT", Peek().column);
      return Unexpected(Peek());
    }
    return query;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Advance() {
    const Token& token = Peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  bool AtClauseEnd() const {
    return Peek().kind == TokenKind::kEnd || Peek().Is("ORDER") || Peek().Is("GROUP");
  }

  static absl::Status Unexpected(const Token& token) {
    return QueryErrorAt(kMalformedQuery, "unexpected " + token.Describe(), token.column);
  }

  absl::Status ExpectKeyword(std::string_view keyword) {
    if (!Peek().Is(keyword)) return Unexpected(Peek());
    Advance();
    return absl::OkStatus();
  }

  absl::Status ExpectKind(TokenKind kind) {
    if (Peek().kind != kind) return Unexpected(Peek());
    Advance();
    return absl::OkStatus();
  }

  absl::Status CheckDepth(int depth) const {
    if (depth <= kMaxDepth) return absl::OkStatus();
    return QueryErrorAt(kMalformedQuery, "expression nested too deeply", Peek().column);
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseChain(int depth, std::string_view keyword,
                                                   Expr::Kind kind) {
    std::vector<std::unique_ptr<Expr>> operands;
    do {
      if (!operands.empty()) Advance();
      ASSIGN_OR_RETURN(
          std::unique_ptr<Expr> operand,
          kind == Expr::Kind::kOr ? ParseChain(depth, "AND", Expr::Kind::kAnd) : ParseNot(depth));
      operands.push_back(std::move(operand));
    } while (Peek().Is(keyword));
    if (operands.size() == 1) return std::move(operands.front());
    return MakeNode(kind, std::move(operands));
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseOr(int depth) {
    return ParseChain(depth, "OR", Expr::Kind::kOr);
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseNot(int depth) {
    if (!Peek().Is("NOT")) return ParsePrimary(depth);
    Advance();
    RETURN_IF_ERROR(CheckDepth(depth + 1));
    ASSIGN_OR_RETURN(std::unique_ptr<Expr> operand, ParseNot(depth + 1));
    std::vector<std::unique_ptr<Expr>> operands;
    operands.push_back(std::move(operand));
    return MakeNode(Expr::Kind::kNot, std::move(operands));
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParsePrimary(int depth) {
    if (Peek().kind != TokenKind::kLeftParen) return ParsePredicate();
    Advance();
    RETURN_IF_ERROR(CheckDepth(depth + 1));
    ASSIGN_OR_RETURN(std::unique_ptr<Expr> inner, ParseOr(depth + 1));
    RETURN_IF_ERROR(ExpectKind(TokenKind::kRightParen));
    return inner;
  }

  // An attribute name: a word that is not a keyword, or a back-quoted name.
  absl::StatusOr<ResolvedAttribute> ParseAttributeName() {
    const Token& token = Peek();
    bool is_word = token.kind == TokenKind::kWord && !IsKeyword(token);
    if (!is_word && token.kind != TokenKind::kQuotedName) return Unexpected(token);
    if (is_word && Peek(1).kind == TokenKind::kLeftParen) {
      return QueryErrorAt(kNotSupported, "function call " + Quote(token.value), token.column);
    }
    Advance();
    std::optional<ResolvedAttribute> attribute = ResolveSearchAttribute(token.value, custom_);
    if (!attribute.has_value()) {
      return QueryErrorAt(kInvalidExpression, "unknown search attribute " + Quote(token.value),
                          token.column);
    }
    return *std::move(attribute);
  }

  // The operator after an attribute name; `column` is where it starts.
  absl::StatusOr<Op> ParseOperator(int* column) {
    const Token& token = Advance();
    *column = token.column;
    if (token.kind == TokenKind::kOperator) {
      if (token.value == "=") return Op::kEq;
      if (token.value == "!=" || token.value == "<>") return Op::kNe;
      if (token.value == "<") return Op::kLt;
      if (token.value == "<=") return Op::kLe;
      if (token.value == ">") return Op::kGt;
      return Op::kGe;
    }
    if (token.Is("IN")) return Op::kIn;
    if (token.Is("BETWEEN")) return Op::kBetween;
    if (token.Is("STARTS_WITH")) return Op::kStartsWith;
    if (token.Is("LIKE")) return QueryErrorAt(kNotSupported, "LIKE", token.column);
    if (token.Is("IS")) {
      bool negated = Peek().Is("NOT");
      if (negated) Advance();
      RETURN_IF_ERROR(ExpectKeyword("NULL"));
      return negated ? Op::kIsNotNull : Op::kIsNull;
    }
    if (token.Is("NOT")) {
      const Token& next = Advance();
      if (next.Is("IN")) return Op::kNotIn;
      if (next.Is("BETWEEN")) return Op::kNotBetween;
      if (next.Is("STARTS_WITH")) return Op::kNotStartsWith;
      return Unexpected(next);
    }
    return Unexpected(token);
  }

  absl::StatusOr<Value> ParseValue(const ResolvedAttribute& attribute) {
    const Token& token = Advance();
    switch (token.kind) {
      case TokenKind::kString:
      case TokenKind::kInteger:
      case TokenKind::kFloat:
        return NormalizeValue(attribute, token);
      case TokenKind::kWord:
        if (token.Is("TRUE") || token.Is("FALSE")) return NormalizeValue(attribute, token);
        if (token.Is("NULL")) {
          return QueryErrorAt(kInvalidExpression, "NULL is not a value, use IS NULL or IS NOT NULL",
                              token.column);
        }
        if (IsKeyword(token)) return Unexpected(token);
        [[fallthrough]];
      case TokenKind::kQuotedName:
        return QueryErrorAt(kInvalidExpression,
                            absl::StrCat("column name ", Quote(token.value),
                                         " on the right-hand side (did you forget to quote ",
                                         Quote(token.value), "?)"),
                            token.column);
      default:
        return Unexpected(token);
    }
  }

  absl::Status ParseValues(Predicate& predicate) {
    auto add = [&]() {
      ASSIGN_OR_RETURN(Value value, ParseValue(predicate.attribute));
      predicate.values.push_back(std::move(value));
      return absl::OkStatus();
    };
    switch (predicate.op) {
      case Op::kIsNull:
      case Op::kIsNotNull:
        return absl::OkStatus();
      case Op::kBetween:
      case Op::kNotBetween: {
        absl::Status status = add();
        if (status.ok()) status = ExpectKeyword("AND");
        if (status.ok()) status = add();
        return status;
      }
      case Op::kIn:
      case Op::kNotIn: {
        absl::Status status = ExpectKind(TokenKind::kLeftParen);
        while (status.ok()) {
          status = add();
          if (!status.ok() || Peek().kind != TokenKind::kComma) break;
          Advance();
        }
        if (status.ok()) status = ExpectKind(TokenKind::kRightParen);
        return status;
      }
      default:
        return add();
    }
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParsePredicate() {
    auto node = std::make_unique<Expr>();
    Predicate& predicate = node->predicate;
    predicate.column = Peek().column;
    ASSIGN_OR_RETURN(ResolvedAttribute attribute, ParseAttributeName());
    predicate.attribute = std::move(attribute);
    int op_column = 0;
    ASSIGN_OR_RETURN(Op op, ParseOperator(&op_column));
    predicate.op = op;
    if (!OpAllowed(ValueKindOf(predicate.attribute), predicate.op)) {
      return QueryErrorAt(
          kNotSupported,
          absl::StrCat("operator ", Quote(OpName(predicate.op)), " cannot be used with ",
                       AttributeLabel(predicate.attribute)),
          op_column);
    }
    RETURN_IF_ERROR(ParseValues(predicate));
    return node;
  }

  absl::Status ParseOrderBy(Query& query) {
    query.order_by_column = Advance().column;
    RETURN_IF_ERROR(ExpectKeyword("BY"));
    while (true) {
      OrderBy order;
      order.column = Peek().column;
      ASSIGN_OR_RETURN(ResolvedAttribute attribute, ParseAttributeName());
      order.attribute = std::move(attribute);
      if (Peek().Is("ASC") || Peek().Is("DESC")) order.descending = Advance().Is("DESC");
      query.order_by.push_back(std::move(order));
      if (Peek().kind != TokenKind::kComma) return absl::OkStatus();
      Advance();
    }
  }

  absl::Status ParseGroupBy(Query& query) {
    int group_column = Advance().column;
    RETURN_IF_ERROR(ExpectKeyword("BY"));
    if (!options_.for_count) {
      return QueryErrorAt(kNotSupported, "GROUP BY outside CountWorkflowExecutions", group_column);
    }
    int column = Peek().column;
    ASSIGN_OR_RETURN(ResolvedAttribute attribute, ParseAttributeName());
    if (attribute.kind != AttributeKind::kSystem || attribute.name != "ExecutionStatus") {
      return QueryErrorAt(
          kNotSupported,
          absl::StrCat("GROUP BY ", Quote(attribute.name), " (only ExecutionStatus)"), column);
    }
    if (Peek().kind == TokenKind::kComma) {
      return QueryErrorAt(kNotSupported, "GROUP BY more than one field", Peek().column);
    }
    query.group_by = attribute.name;
    return absl::OkStatus();
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const CustomSearchAttributes& custom_;
  const ParseOptions& options_;
};

void AppendValue(std::string& out, const ResolvedAttribute& attribute, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  if (text == nullptr) {
    out += ValueToText(attribute, value);
    return;
  }
  out += '"';
  for (char c : *text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendExpr(std::string& out, const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr:
    case Expr::Kind::kNot:
      out += expr.kind == Expr::Kind::kAnd ? "(AND" : expr.kind == Expr::Kind::kOr ? "(OR" : "(NOT";
      for (const auto& operand : expr.operands) {
        out += ' ';
        AppendExpr(out, *operand);
      }
      out += ')';
      return;
    case Expr::Kind::kPredicate: {
      const Predicate& predicate = expr.predicate;
      absl::StrAppend(&out, "(", ToAbsl(OpName(predicate.op)), " ", predicate.attribute.name, ":",
                      ToAbsl(IndexedValueTypeName(predicate.attribute.type)));
      for (const Value& value : predicate.values) {
        out += ' ';
        AppendValue(out, predicate.attribute, value);
      }
      out += ')';
      return;
    }
  }
}

bool ExprMentions(const Expr& expr, std::string_view name) {
  if (expr.kind == Expr::Kind::kPredicate) return expr.predicate.attribute.name == name;
  for (const auto& operand : expr.operands) {
    if (ExprMentions(*operand, name)) return true;
  }
  return false;
}

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIn:
      return "IN";
    case Op::kNotIn:
      return "NOT IN";
    case Op::kBetween:
      return "BETWEEN";
    case Op::kNotBetween:
      return "NOT BETWEEN";
    case Op::kStartsWith:
      return "STARTS_WITH";
    case Op::kNotStartsWith:
      return "NOT STARTS_WITH";
    case Op::kIsNull:
      return "IS NULL";
    case Op::kIsNotNull:
      return "IS NOT NULL";
  }
  return "?";
}

absl::StatusOr<Query> ParseQuery(std::string_view text, const CustomSearchAttributes& custom,
                                 const ParseOptions& options) {
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  return Parser(std::move(tokens), custom, options).Parse();
}

bool MentionsAttribute(const Query& query, std::string_view canonical_name) {
  return query.where != nullptr && ExprMentions(*query.where, canonical_name);
}

std::string DebugString(const Expr& expr) {
  std::string out;
  AppendExpr(out, expr);
  return out;
}

std::string DebugString(const Query& query) {
  std::string out = query.where != nullptr ? DebugString(*query.where) : "TRUE";
  if (query.group_by.has_value()) absl::StrAppend(&out, " GROUP BY ", *query.group_by);
  if (!query.order_by.empty()) {
    out += " ORDER BY ";
    out += absl::StrJoin(query.order_by, ", ", [](std::string* joined, const OrderBy& order) {
      absl::StrAppend(joined, order.attribute.name, order.descending ? " DESC" : " ASC");
    });
  }
  return out;
}

}  // namespace tern::visibility
