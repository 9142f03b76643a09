// libFuzzer target for the visibility list filter language (visibility/query.h and the
// PostgreSQL and Elasticsearch translations); `scripts/fuzz query` builds and runs it,
// tests/fuzz/README.md says how.
//
// Each input is a query, parsed against the unit tests' custom attributes (one per type, plus
// names that need back-quotes) for List and for Count. Beyond the sanitizers it aborts when
//   - an error is not INVALID_ARGUMENT "invalid query: <category>: ..." with a column inside the
//     query;
//   - a query List accepts is refused by Count or parses to another tree there;
//   - an accepted query, written back as query text from its tree (canonical names in
//     back-quotes, normalized values), is refused or parses to another tree;
//   - the PostgreSQL filter does not number its placeholders $N in order, one per parameter, or
//     leaves a quoted literal open; the Elasticsearch body does not serialize.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/unit/visibility_test_util.h"
#include "visibility/elasticsearch.h"
#include "visibility/errors.h"
#include "visibility/postgres.h"
#include "visibility/query.h"
#include "visibility/value_format.h"
#include "visibility/values.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;

// The PostgreSQL placeholders start after the caller's own, like the store's namespace_id.
constexpr int kParamOffset = 2;

[[noreturn]] void Fail(std::string_view what, std::string_view input, std::string_view detail) {
  std::fprintf(stderr, "query_fuzz: %.*s\n  query: %.*s\n  %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(input.size()), input.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

size_t CharacterCount(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

void CheckError(const absl::Status& status, std::string_view input) {
  const std::string_view message(status.message().data(), status.message().size());
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Fail("error is not INVALID_ARGUMENT", input, message);
  }
  bool known = false;
  for (std::string_view category : {kMalformedQuery, kNotSupported, kInvalidExpression}) {
    known = known || message.starts_with(absl::StrCat("invalid query: ", ToAbsl(category), ": "));
  }
  if (!known) Fail("error has no known category", input, message);
  constexpr std::string_view kAt = " at column ";
  const size_t at = message.rfind(kAt);
  if (at == std::string_view::npos) return;
  const std::string_view digits = message.substr(at + kAt.size());
  size_t column = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), column);
  if (error != std::errc() || end != digits.data() + digits.size()) return;  // part of a value
  if (column < 1 || column > CharacterCount(input) + 1) {
    Fail("error column lies outside the query", input, message);
  }
}

// ---- writing a tree back as query text

std::string Name(const ResolvedAttribute& attribute) {
  std::string out = "`";
  for (char c : attribute.name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string StringLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string Literal(const ResolvedAttribute& attribute, const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return StringLiteral(*text);
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "TRUE" : "FALSE";
  if (std::holds_alternative<int64_t>(value) &&
      attribute.type == enums::INDEXED_VALUE_TYPE_DATETIME) {
    return StringLiteral(ValueToText(attribute, value));  // RFC 3339 with microseconds
  }
  return ValueToText(attribute, value);  // integers, and doubles in shortest round-trip form
}

std::string Render(const Expr& expr);

// An operand of `parent` in parentheses where precedence needs them; the original text had them
// there too, so the rendering is never nested deeper than the query it came from.
std::string Operand(const Expr& parent, const Expr& operand) {
  bool group = operand.kind == Expr::Kind::kOr ||
               (operand.kind == Expr::Kind::kAnd && parent.kind != Expr::Kind::kOr);
  return group ? "(" + Render(operand) + ")" : Render(operand);
}

std::string Render(const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      std::string out;
      for (const auto& operand : expr.operands) {
        if (!out.empty()) out += expr.kind == Expr::Kind::kAnd ? " AND " : " OR ";
        out += Operand(expr, *operand);
      }
      return out;
    }
    case Expr::Kind::kNot:
      return "NOT " + Operand(expr, *expr.operands.front());
    case Expr::Kind::kPredicate:
      break;
  }
  const Predicate& predicate = expr.predicate;
  std::string out = absl::StrCat(Name(predicate.attribute), " ", ToAbsl(OpName(predicate.op)));
  switch (predicate.op) {
    case Op::kIsNull:
    case Op::kIsNotNull:
      return out;
    case Op::kBetween:
    case Op::kNotBetween:
      return absl::StrCat(out, " ", Literal(predicate.attribute, predicate.values.at(0)), " AND ",
                          Literal(predicate.attribute, predicate.values.at(1)));
    case Op::kIn:
    case Op::kNotIn: {
      out += " (";
      for (size_t i = 0; i < predicate.values.size(); ++i) {
        if (i > 0) out += ", ";
        out += Literal(predicate.attribute, predicate.values[i]);
      }
      return out + ")";
    }
    default:
      return absl::StrCat(out, " ", Literal(predicate.attribute, predicate.values.at(0)));
  }
}

std::string Render(const Query& query) {
  std::string out = query.where != nullptr ? Render(*query.where) : "";
  if (query.group_by.has_value()) absl::StrAppend(&out, " GROUP BY `", *query.group_by, "`");
  for (size_t i = 0; i < query.order_by.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? " ORDER BY " : ", ", Name(query.order_by[i].attribute),
                    query.order_by[i].descending ? " DESC" : " ASC");
  }
  return out;
}

// ---- the translations

void CheckPostgres(const SqlFilter& filter, std::string_view input) {
  const std::string& sql = filter.sql;
  char quote = 0;  // the open ' or ", if any
  size_t placeholders = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    if (c != '$') continue;
    size_t number = 0;
    auto [end, error] = std::from_chars(sql.data() + i + 1, sql.data() + sql.size(), number);
    if (error != std::errc() || number != kParamOffset + placeholders + 1) {
      Fail("placeholder out of order", input, sql);
    }
    ++placeholders;
    i = static_cast<size_t>(end - sql.data()) - 1;
  }
  if (quote != 0) Fail("SQL leaves a quoted literal open", input, sql);
  if (placeholders != filter.params.size()) {
    Fail("placeholder count differs from the parameters", input,
         absl::StrCat(sql, " with ", filter.params.size(), " parameters"));
  }
}

void CheckTranslations(const Query& query, std::string_view input) {
  if (absl::StatusOr<SqlFilter> filter = ToPostgresWhere(query, kParamOffset); filter.ok()) {
    CheckPostgres(*filter, input);
  } else {
    CheckError(filter.status(), input);
  }
  // dump() throws on invalid UTF-8, which libFuzzer reports as a crash.
  if (absl::StatusOr<nlohmann::json> body = ToElasticsearch(query); body.ok()) {
    body->dump();
  } else {
    CheckError(body.status(), input);
  }
  if (absl::StatusOr<nlohmann::json> body = ToElasticsearchCount(query); body.ok()) {
    body->dump();
  } else {
    CheckError(body.status(), input);
  }
}

}  // namespace
}  // namespace tern::visibility

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tern::visibility;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const CustomSearchAttributes& custom = TestCustomAttributes();

  absl::StatusOr<Query> list = ParseQuery(input, custom);
  absl::StatusOr<Query> count = ParseQuery(input, custom, {.for_count = true});
  if (!list.ok()) CheckError(list.status(), input);
  if (!count.ok()) {
    CheckError(count.status(), input);
    if (list.ok()) Fail("Count refuses what List accepts", input, count.status().ToString());
    return 0;
  }
  const std::string tree = DebugString(*count);
  if (list.ok() && DebugString(*list) != tree) {
    Fail("List and Count parse to different trees", input, DebugString(*list) + "\n  " + tree);
  }

  const std::string rendered = Render(*count);
  absl::StatusOr<Query> again = ParseQuery(rendered, custom, {.for_count = true});
  if (!again.ok()) {
    Fail("the rendered query does not parse", input,
         absl::StrCat(rendered, "\n  ", again.status().message()));
  }
  if (DebugString(*again) != tree) {
    Fail("the rendered query parses to another tree", input,
         absl::StrCat(rendered, "\n  ", tree, "\n  ", DebugString(*again)));
  }
  CheckTranslations(*count, input);
  return 0;
}
