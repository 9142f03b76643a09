// Translation of a parsed visibility query to a PostgreSQL boolean expression over the
// executions_visibility table:
//
//   namespace_id TEXT, run_id TEXT, workflow_id TEXT, workflow_type TEXT, task_queue TEXT,
//   status INTEGER (WorkflowExecutionStatus), start_time TIMESTAMPTZ, execution_time TIMESTAMPTZ,
//   close_time TIMESTAMPTZ NULL, execution_duration BIGINT NULL (ns), history_length BIGINT,
//   history_size_bytes BIGINT, state_transition_count BIGINT, parent_workflow_id TEXT NULL,
//   parent_run_id TEXT NULL, root_workflow_id TEXT, root_run_id TEXT,
//   search_attributes JSONB NOT NULL
//
// search_attributes holds every predefined and custom attribute by name: Keyword and Text as JSON
// strings, Int as JSON integers, Double as JSON numbers, Bool as JSON booleans, Datetime as
// FormatDatetimeMicros strings ("2024-05-01T10:00:00.000000Z"), KeywordList as JSON arrays of
// strings. An attribute that is not set has no key (never a JSON null).
//
// Semantics (the Elasticsearch translation returns the same rows):
// - A predicate on an attribute the row does not have is false, except IS NULL. So
//   `A != 'x'`, `A NOT IN (...)`, `A NOT BETWEEN ...` and `A NOT STARTS_WITH ...` only match
//   rows that have A; `NOT (A = 'x')` also matches rows without A.
// - The SQL may evaluate to NULL where that semantics says false (SQL three-valued logic on an
//   absent attribute). That is harmless in WHERE or under AND; the translation negates with
//   `IS NOT TRUE` where needed, and a caller that negates the filter itself must do the same.
//
// Pure functions: safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "visibility/query.h"

namespace tern::visibility {

struct SqlFilter {
  // A boolean expression, "TRUE" when the query has no predicate. Placeholders are $N, numbered
  // from param_offset + 1 in order of appearance.
  std::string sql;
  // Text parameters, params[i] for placeholder $(param_offset + 1 + i). The SQL casts where the
  // column is not text ($3::bigint, $4::timestamptz, $5::jsonb).
  std::vector<std::string> params;
  // The column to GROUP BY when the query has GROUP BY ExecutionStatus: "status".
  std::optional<std::string> group_by_column;
};

// Translates the predicate (and GROUP BY) of `query`. `param_offset` is the number of
// parameters the caller already uses ($1 .. $param_offset), e.g. for namespace_id.
// ORDER BY is rejected ("operation is not supported"): SQL visibility lists in its fixed order.
absl::StatusOr<SqlFilter> ToPostgresWhere(const Query& query, int param_offset = 0);

}  // namespace tern::visibility
