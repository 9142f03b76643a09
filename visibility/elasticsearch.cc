#include "visibility/elasticsearch.h"

#include <algorithm>
#include <initializer_list>

#include "visibility/errors.h"
#include "visibility/value_format.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;
using nlohmann::json;

json Exists(const std::string& field) { return {{"exists", {{"field", field}}}}; }

json MustNot(json clause) { return {{"bool", {{"must_not", json::array({std::move(clause)})}}}}; }

// True when `clause` is {"bool": {...}} with keys only from `allowed`, so its clauses can be
// merged into an enclosing bool of the same kind.
bool IsMergeableBool(const json& clause, std::initializer_list<std::string_view> allowed) {
  if (clause.size() != 1 || !clause.contains("bool")) return false;
  for (const auto& [key, unused] : clause["bool"].items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) return false;
  }
  return true;
}

void Append(json& bool_query, const std::string& key, const json& clauses) {
  for (const json& clause : clauses) bool_query[key].push_back(clause);
}

json TranslateAnd(std::vector<json> operands) {
  json bool_query = json::object();
  for (json& operand : operands) {
    if (IsMergeableBool(operand, {"filter", "must_not"})) {
      for (const auto& [key, clauses] : operand["bool"].items()) Append(bool_query, key, clauses);
    } else {
      bool_query["filter"].push_back(std::move(operand));
    }
  }
  return {{"bool", std::move(bool_query)}};
}

json TranslateOr(std::vector<json> operands) {
  json should = json::array();
  for (json& operand : operands) {
    if (IsMergeableBool(operand, {"should", "minimum_should_match"})) {
      for (const json& clause : operand["bool"]["should"]) should.push_back(clause);
    } else {
      should.push_back(std::move(operand));
    }
  }
  return {{"bool", {{"should", std::move(should)}, {"minimum_should_match", 1}}}};
}

json TranslateNot(json operand) {
  // NOT (must_not x) is x.
  if (IsMergeableBool(operand, {"must_not"}) && operand["bool"]["must_not"].size() == 1) {
    return operand["bool"]["must_not"][0];
  }
  return MustNot(std::move(operand));
}

json TranslatePredicate(const Predicate& predicate) {
  const ResolvedAttribute& attribute = predicate.attribute;
  const std::string& field = attribute.name;
  auto value = [&](size_t index) { return ValueToJson(attribute, predicate.values[index]); };
  auto all_values = [&]() {
    json values = json::array();
    for (size_t i = 0; i < predicate.values.size(); ++i) values.push_back(value(i));
    return values;
  };
  // The attribute is present and `clause` does not match it.
  auto present_and_not = [&](json clause) {
    json bool_query = {{"must_not", json::array({std::move(clause)})}};
    if (attribute.nullable) bool_query["filter"] = json::array({Exists(field)});
    return json{{"bool", std::move(bool_query)}};
  };
  auto range = [&](std::string_view bound) {
    return json{{"range", {{field, {{std::string(bound), value(0)}}}}}};
  };
  auto between = [&]() {
    return json{{"range", {{field, {{"gte", value(0)}, {"lte", value(1)}}}}}};
  };
  auto equals = [&]() {
    bool text = attribute.type == enums::INDEXED_VALUE_TYPE_TEXT;
    return json{{text ? "match" : "term", {{field, value(0)}}}};
  };
  switch (predicate.op) {
    case Op::kEq:
      return equals();
    case Op::kNe:
      return present_and_not(equals());
    case Op::kLt:
      return range("lt");
    case Op::kLe:
      return range("lte");
    case Op::kGt:
      return range("gt");
    case Op::kGe:
      return range("gte");
    case Op::kIn:
      return {{"terms", {{field, all_values()}}}};
    case Op::kNotIn:
      return present_and_not({{"terms", {{field, all_values()}}}});
    case Op::kBetween:
      return between();
    case Op::kNotBetween:
      return present_and_not(between());
    case Op::kStartsWith:
      return {{"prefix", {{field, value(0)}}}};
    case Op::kNotStartsWith:
      return present_and_not({{"prefix", {{field, value(0)}}}});
    case Op::kIsNull:
      return MustNot(Exists(field));
    case Op::kIsNotNull:
      return Exists(field);
  }
  return json();
}

json TranslateExpr(const Expr& expr) {
  if (expr.kind == Expr::Kind::kPredicate) return TranslatePredicate(expr.predicate);
  std::vector<json> operands;
  for (const auto& operand : expr.operands) operands.push_back(TranslateExpr(*operand));
  switch (expr.kind) {
    case Expr::Kind::kAnd:
      return TranslateAnd(std::move(operands));
    case Expr::Kind::kOr:
      return TranslateOr(std::move(operands));
    default:
      return TranslateNot(std::move(operands.front()));
  }
}

json QueryPart(const Query& query) {
  if (query.where == nullptr) return {{"match_all", json::object()}};
  return TranslateExpr(*query.where);
}

}  // namespace

absl::StatusOr<json> ToElasticsearch(const Query& query) {
  json sort = json::array();
  for (const OrderBy& order : query.order_by) {
    if (order.attribute.type == enums::INDEXED_VALUE_TYPE_TEXT) {
      return QueryErrorAt(kNotSupported, "ORDER BY Text attribute " + Quote(order.attribute.name),
                          order.column);
    }
    // "missing": "_last" is Elasticsearch's default, spelled out: without it OpenSearch 2.19
    // (with track_total_hits false) answers a search_after that lies among the runs without the
    // attribute with no hits, so paging lost all but the first page of them.
    sort.push_back(json{{order.attribute.name,
                         {{"order", order.descending ? "desc" : "asc"}, {"missing", "_last"}}}});
  }
  if (sort.empty()) {
    sort = json::array({{{"CloseTime", {{"order", "desc"}, {"missing", "_first"}}}},
                        {{"StartTime", {{"order", "desc"}}}},
                        {{"RunId", {{"order", "desc"}}}}});
  }
  return json{{"query", QueryPart(query)}, {"sort", std::move(sort)}};
}

absl::StatusOr<json> ToElasticsearchCount(const Query& query) {
  json body = {{"query", QueryPart(query)}};
  if (query.group_by.has_value()) {
    body["size"] = 0;
    body["aggs"] = {{*query.group_by, {{"terms", {{"field", *query.group_by}}}}}};
  }
  return body;
}

json ElasticsearchFieldMapping(IndexedValueType type) {
  switch (type) {
    case enums::INDEXED_VALUE_TYPE_TEXT:
      return {{"type", "text"}};
    case enums::INDEXED_VALUE_TYPE_INT:
      return {{"type", "long"}};
    case enums::INDEXED_VALUE_TYPE_DOUBLE:
      return {{"type", "double"}};
    case enums::INDEXED_VALUE_TYPE_BOOL:
      return {{"type", "boolean"}};
    case enums::INDEXED_VALUE_TYPE_DATETIME:
      return {{"type", "date_nanos"}};
    default:
      return {{"type", "keyword"}};
  }
}

}  // namespace tern::visibility
