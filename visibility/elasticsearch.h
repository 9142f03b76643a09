// Translation of a parsed visibility query to an Elasticsearch search body, for an index created
// from schema/elasticsearch/visibility/index_template_v1.json: one document per run, fields named
// like the attributes (NamespaceId, WorkflowId, ..., ExecutionStatus holding the status name
// "Running", Datetime fields as date_nanos, custom attributes by name).
//
// Same semantics as the PostgreSQL translation (see postgres.h): a predicate on an absent field
// is false except IS NULL, so `A != 'x'` becomes "A exists and is not x" while `NOT (A = 'x')`
// also matches documents without A.
//
// The caller adds the implicit filters (NamespaceId, TemporalNamespaceDivision) by wrapping the
// returned "query" in {"bool": {"filter": [..., query]}}, and adds paging (size, search_after).
//
// Pure functions: safe from any thread.
#pragma once

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "visibility/query.h"

namespace tern::visibility {

// {"query": <bool/term/terms/range/prefix/exists/match tree, or match_all>,
//  "sort": [...]}. The sort is the query's ORDER BY (rejected on Text attributes; runs without
// the attribute come last in either direction), or by default CloseTime desc (running first),
// StartTime desc, RunId desc, which matches the index sort.
absl::StatusOr<nlohmann::json> ToElasticsearch(const Query& query);

// For CountWorkflowExecutions. Without GROUP BY: {"query": ...}, a body for the _count API.
// With GROUP BY ExecutionStatus: {"query": ..., "size": 0,
// "aggs": {"ExecutionStatus": {"terms": {"field": "ExecutionStatus"}}}}, a body for _search whose
// buckets are keyed by status name. ORDER BY is ignored.
absl::StatusOr<nlohmann::json> ToElasticsearchCount(const Query& query);

// The field mapping for an attribute of this type, as in the index template and as the server
// puts it (PUT <index>/_mapping {"properties": {name: mapping}}) when a custom attribute is
// added: keyword, text, long, double, boolean or date_nanos.
nlohmann::json ElasticsearchFieldMapping(IndexedValueType type);

}  // namespace tern::visibility
