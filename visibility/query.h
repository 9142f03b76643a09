// The visibility list filter language (SERVER-CONTRACT §7.1): parsed once into an AST whose
// predicates are resolved against the search-attribute catalog and whose values are normalized,
// then translated to PostgreSQL (postgres.h) or Elasticsearch (elasticsearch.h).
//
//   WorkflowType = 'Order' AND (ExecutionStatus = 'Running' OR CloseTime > '2024-05-01T00:00:00Z')
//   ORDER BY StartTime DESC
//
// Errors are INVALID_ARGUMENT "invalid query: <reason>" where the reason starts with "malformed
// SQL query", "operation is not supported" or "invalid expression" and ends with the offending
// token and its 1-based column (in characters), e.g.
//   invalid query: malformed SQL query: unexpected 'AND' at column 17
//
// Parsing is a pure function of its arguments: safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "visibility/search_attributes.h"

namespace tern::visibility {

enum class Op {
  kEq,             // =
  kNe,             // != or <>
  kLt,             // <
  kLe,             // <=
  kGt,             // >
  kGe,             // >=
  kIn,             // IN (v1, ...)
  kNotIn,          // NOT IN (v1, ...)
  kBetween,        // BETWEEN a AND b
  kNotBetween,     // NOT BETWEEN a AND b
  kStartsWith,     // STARTS_WITH 'prefix'
  kNotStartsWith,  // NOT STARTS_WITH 'prefix'
  kIsNull,         // IS NULL
  kIsNotNull,      // IS NOT NULL
};

// The operator as written in queries and error messages ("=", "NOT IN", "IS NULL", ...).
std::string_view OpName(Op op);

// A normalized value. Which alternative holds follows from the attribute:
//   Keyword, Text, KeywordList      -> std::string
//   Int, ExecutionDuration          -> int64_t (ExecutionDuration in nanoseconds)
//   ExecutionStatus                 -> int64_t (a WorkflowExecutionStatus value)
//   Datetime                        -> int64_t (microseconds since the Unix epoch, UTC)
//   Double                          -> double
//   Bool                            -> bool
using Value = std::variant<std::string, int64_t, double, bool>;

struct Predicate {
  ResolvedAttribute attribute;
  Op op = Op::kEq;
  // None for IS [NOT] NULL, two for [NOT] BETWEEN, one or more for [NOT] IN, one otherwise.
  std::vector<Value> values;
  int column = 0;  // where the attribute name starts in the query (1-based)
};

struct Expr {
  enum class Kind { kAnd, kOr, kNot, kPredicate };
  Kind kind = Kind::kPredicate;
  // kAnd / kOr: two or more operands (a chain like a AND b AND c is one node); kNot: one.
  std::vector<std::unique_ptr<Expr>> operands;
  Predicate predicate;  // kPredicate only
};

struct OrderBy {
  ResolvedAttribute attribute;
  bool descending = false;
  int column = 0;  // of the attribute name
};

struct Query {
  std::unique_ptr<Expr> where;  // null when the query has no predicate
  std::vector<OrderBy> order_by;
  int order_by_column = 0;  // of the ORDER keyword when order_by is not empty
  // Canonical name of the GROUP BY attribute (only ever "ExecutionStatus").
  std::optional<std::string> group_by;
};

struct ParseOptions {
  // GROUP BY is accepted only for CountWorkflowExecutions.
  bool for_count = false;
};

// Parses `text` (empty means "every execution"). Attribute names are resolved with
// ResolveSearchAttribute against `custom`; values are checked against the attribute's type and
// normalized (see Value). Operators allowed per type (others: "operation is not supported"):
//   Keyword          = != < <= > >= IN NOT IN BETWEEN NOT BETWEEN STARTS_WITH NOT STARTS_WITH
//   ExecutionStatus  = != IN NOT IN
//   Text             = !=
//   KeywordList      = != IN NOT IN
//   Int, Double, Datetime  = != < <= > >= IN NOT IN BETWEEN NOT BETWEEN
//   Bool             = != < <= > >=
// and IS NULL / IS NOT NULL for every type.
absl::StatusOr<Query> ParseQuery(std::string_view text, const CustomSearchAttributes& custom,
                                 const ParseOptions& options = {});

// True when a predicate of `query` names the attribute with this canonical name (aliases are
// already resolved, so "ScheduleId = 'x'" mentions "WorkflowId"). The server uses it to decide
// whether to add "TemporalNamespaceDivision IS NULL".
bool MentionsAttribute(const Query& query, std::string_view canonical_name);

// A stable one-line rendering for tests and logs ("TRUE" without a predicate), e.g.
//   (AND (= WorkflowType:Keyword "Order") (> StartTime:Datetime 2024-05-01T00:00:00.000000Z))
//   ORDER BY StartTime DESC
std::string DebugString(const Query& query);
std::string DebugString(const Expr& expr);

}  // namespace tern::visibility
