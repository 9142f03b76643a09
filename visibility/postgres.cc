#include "visibility/postgres.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "visibility/errors.h"
#include "visibility/value_format.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;

struct SystemColumn {
  std::string_view attribute;
  std::string_view column;
  std::string_view cast;  // appended to placeholders: "" (text) or "::bigint", ...
};

constexpr std::array<SystemColumn, 16> kSystemColumns = {{
    {"WorkflowId", "workflow_id", ""},
    {"RunId", "run_id", ""},
    {"WorkflowType", "workflow_type", ""},
    {"TaskQueue", "task_queue", ""},
    {"ExecutionStatus", "status", "::integer"},
    {"StartTime", "start_time", "::timestamptz"},
    {"ExecutionTime", "execution_time", "::timestamptz"},
    {"CloseTime", "close_time", "::timestamptz"},
    {"ExecutionDuration", "execution_duration", "::bigint"},
    {"HistoryLength", "history_length", "::bigint"},
    {"HistorySizeBytes", "history_size_bytes", "::bigint"},
    {"StateTransitionCount", "state_transition_count", "::bigint"},
    {"ParentWorkflowId", "parent_workflow_id", ""},
    {"ParentRunId", "parent_run_id", ""},
    {"RootWorkflowId", "root_workflow_id", ""},
    {"RootRunId", "root_run_id", ""},
}};

const SystemColumn* FindSystemColumn(const ResolvedAttribute& attribute) {
  if (attribute.kind != AttributeKind::kSystem) return nullptr;
  for (const SystemColumn& column : kSystemColumns) {
    if (column.attribute == attribute.name) return &column;
  }
  return nullptr;
}

// A piece of SQL. `parenthesized`: the whole text is one parenthesized group. `may_be_null`: it
// can evaluate to NULL (only ever where the semantics say false).
struct Fragment {
  std::string sql;
  bool may_be_null = false;
  bool parenthesized = false;
};

std::string SqlStringLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

// "prefix%" for LIKE ... ESCAPE '!'.
std::string LikePrefix(std::string_view prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '!' || c == '%' || c == '_') out += '!';
    out += c;
  }
  out += '%';
  return out;
}

// 'word1' | 'word2' | ... for to_tsquery: any word matches.
std::string TsQueryAnyWord(std::string_view text) {
  std::vector<std::string> words;
  size_t pos = 0;
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  while ((pos = text.find_first_not_of(kSpace, pos)) != std::string_view::npos) {
    size_t end = std::min(text.find_first_of(kSpace, pos), text.size());
    std::string word = "'";
    for (char c : text.substr(pos, end - pos)) {
      if (c == '\'' || c == '\\') word += c;
      word += c;
    }
    word += '\'';
    words.push_back(std::move(word));
    pos = end;
  }
  return absl::StrJoin(words, " | ");
}

bool IsOrdering(Op op) {
  return op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe || op == Op::kBetween ||
         op == Op::kNotBetween;
}

class Translator {
 public:
  explicit Translator(int param_offset) : param_offset_(param_offset) {}

  Fragment Translate(const Expr& expr) {
    switch (expr.kind) {
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr: {
        Fragment out{"(", false, true};
        std::string_view separator = expr.kind == Expr::Kind::kAnd ? " AND " : " OR ";
        for (size_t i = 0; i < expr.operands.size(); ++i) {
          Fragment operand = Translate(*expr.operands[i]);
          if (i > 0) out.sql += separator;
          out.sql += operand.sql;
          out.may_be_null = out.may_be_null || operand.may_be_null;
        }
        out.sql += ")";
        return out;
      }
      case Expr::Kind::kNot: {
        Fragment operand = Translate(*expr.operands.front());
        std::string group = operand.parenthesized ? operand.sql : "(" + operand.sql + ")";
        // NOT NULL is NULL, but "not (absent attribute matches)" must be true.
        if (operand.may_be_null) return {group + " IS NOT TRUE", false, false};
        return {"NOT " + group, false, false};
      }
      case Expr::Kind::kPredicate:
        return TranslatePredicate(expr.predicate);
    }
    return {};
  }

  std::vector<std::string> TakeParams() { return std::move(params_); }

 private:
  std::string Param(std::string value, std::string_view cast = "") {
    params_.push_back(std::move(value));
    return absl::StrCat("$", param_offset_ + static_cast<int>(params_.size()), ToAbsl(cast));
  }

  std::string ValueParam(const Predicate& predicate, size_t index, std::string_view cast) {
    return Param(ValueToText(predicate.attribute, predicate.values[index]), cast);
  }

  // search_attributes @> {"Name": value} (a KeywordList value goes in a one-element array).
  std::string Contains(const Predicate& predicate, size_t index) {
    nlohmann::json value = ValueToJson(predicate.attribute, predicate.values[index]);
    if (predicate.attribute.type == enums::INDEXED_VALUE_TYPE_KEYWORD_LIST) {
      value = nlohmann::json::array({value});
    }
    nlohmann::json object = {{predicate.attribute.name, value}};
    return "search_attributes @> " + Param(object.dump(), "::jsonb");
  }

  // Contains() for every value, OR-ed: "equals any" / "list contains any".
  Fragment ContainsAny(const Predicate& predicate) {
    if (predicate.values.size() == 1) return {Contains(predicate, 0)};
    std::vector<std::string> parts;
    for (size_t i = 0; i < predicate.values.size(); ++i) parts.push_back(Contains(predicate, i));
    return {"(" + absl::StrJoin(parts, " OR ") + ")", false, true};
  }

  std::string ParamList(const Predicate& predicate, std::string_view cast) {
    std::vector<std::string> parts;
    for (size_t i = 0; i < predicate.values.size(); ++i) {
      parts.push_back(ValueParam(predicate, i, cast));
    }
    return "(" + absl::StrJoin(parts, ", ") + ")";
  }

  // A predicate on `lhs`, an expression that is NULL when the attribute is absent, compared to
  // parameters cast with `cast`.
  Fragment Compare(const Predicate& predicate, const std::string& lhs, std::string_view cast) {
    switch (predicate.op) {
      case Op::kIn:
        return {lhs + " IN " + ParamList(predicate, cast), true};
      case Op::kNotIn:
        return {lhs + " NOT IN " + ParamList(predicate, cast), true};
      case Op::kBetween:
      case Op::kNotBetween: {
        // Two statements: the placeholders must be numbered in order.
        std::string low = ValueParam(predicate, 0, cast);
        std::string high = ValueParam(predicate, 1, cast);
        return {absl::StrCat(lhs, predicate.op == Op::kNotBetween ? " NOT" : "", " BETWEEN ", low,
                             " AND ", high),
                true};
      }
      case Op::kStartsWith:
      case Op::kNotStartsWith:
        return {absl::StrCat(lhs, predicate.op == Op::kNotStartsWith ? " NOT" : "", " LIKE ",
                             Param(LikePrefix(std::get<std::string>(predicate.values[0]))),
                             " ESCAPE '!'"),
                true};
      case Op::kIsNull:
        return {lhs + " IS NULL"};
      case Op::kIsNotNull:
        return {lhs + " IS NOT NULL"};
      default:
        return {absl::StrCat(lhs, " ", ToAbsl(OpName(predicate.op)), " ",
                             ValueParam(predicate, 0, cast)),
                true};
    }
  }

  Fragment SystemPredicate(const Predicate& predicate, const SystemColumn& column) {
    Fragment out = Compare(predicate, std::string(column.column), column.cast);
    out.may_be_null = out.may_be_null && predicate.attribute.nullable;
    return out;
  }

  Fragment TextPredicate(const Predicate& predicate, const std::string& key) {
    std::string match = absl::StrCat(
        "to_tsvector('simple', search_attributes->>", key, ") @@ to_tsquery('simple', ",
        Param(TsQueryAnyWord(std::get<std::string>(predicate.values[0]))), ")");
    if (predicate.op == Op::kNe) return {"NOT (" + match + ")", true};
    return {match, true};
  }

  Fragment KeywordListPredicate(const Predicate& predicate, const std::string& key) {
    Fragment any = ContainsAny(predicate);
    if (predicate.op == Op::kEq || predicate.op == Op::kIn) return any;
    std::string negated = any.parenthesized ? "NOT " + any.sql : "NOT (" + any.sql + ")";
    return {absl::StrCat("(search_attributes ? ", key, " AND ", negated, ")"), false, true};
  }

  Fragment TranslatePredicate(const Predicate& predicate) {
    const ResolvedAttribute& attribute = predicate.attribute;
    if (const SystemColumn* column = FindSystemColumn(attribute)) {
      return SystemPredicate(predicate, *column);
    }
    std::string key = SqlStringLiteral(attribute.name);
    if (predicate.op == Op::kIsNull) return {"NOT (search_attributes ? " + key + ")"};
    if (predicate.op == Op::kIsNotNull) return {"search_attributes ? " + key};
    switch (attribute.type) {
      case enums::INDEXED_VALUE_TYPE_TEXT:
        return TextPredicate(predicate, key);
      case enums::INDEXED_VALUE_TYPE_KEYWORD_LIST:
        return KeywordListPredicate(predicate, key);
      default:
        break;
    }
    if (predicate.op == Op::kEq || predicate.op == Op::kIn) return ContainsAny(predicate);
    std::string_view cast;
    std::string lhs;
    switch (attribute.type) {
      case enums::INDEXED_VALUE_TYPE_INT:
        cast = "::bigint";
        lhs = "(search_attributes->" + key + ")::bigint";
        break;
      case enums::INDEXED_VALUE_TYPE_DOUBLE:
        cast = "::numeric";
        lhs = "(search_attributes->" + key + ")::numeric";
        break;
      case enums::INDEXED_VALUE_TYPE_BOOL:
        cast = "::boolean";
        lhs = "(search_attributes->" + key + ")::boolean";
        break;
      default:
        // Keyword and Datetime compare as text; ordering in byte order (as Elasticsearch does),
        // which for FormatDatetimeMicros strings is time order.
        lhs = "(search_attributes->>" + key + ")";
        if (IsOrdering(predicate.op)) lhs += " COLLATE \"C\"";
        break;
    }
    return Compare(predicate, lhs, cast);
  }

  int param_offset_;
  std::vector<std::string> params_;
};

}  // namespace

absl::StatusOr<SqlFilter> ToPostgresWhere(const Query& query, int param_offset) {
  if (!query.order_by.empty()) {
    return QueryErrorAt(kNotSupported, "ORDER BY with SQL visibility", query.order_by_column);
  }
  SqlFilter filter;
  if (query.where == nullptr) {
    filter.sql = "TRUE";
  } else {
    Translator translator(param_offset);
    filter.sql = translator.Translate(*query.where).sql;
    filter.params = translator.TakeParams();
  }
  if (query.group_by.has_value()) filter.group_by_column = "status";
  return filter;
}

}  // namespace tern::visibility
