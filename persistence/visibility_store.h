// The visibility store: one row per workflow run, for ListWorkflowExecutions,
// CountWorkflowExecutions and friends (SERVER-CONTRACT §2.5.11, §7).
//
// Who calls it:
//   - history's visibility transfer task Upserts the row of a run when the run starts, closes or
//     changes its memo or search attributes (built from the run's mutable state, so the row is
//     eventually the run's latest state);
//   - the frontend Lists and Counts;
//   - retention (worker) Deletes the rows of runs it removes.
// Like every store (store.h): thread-safe, every call blocks its thread on the database, errors
// are values and no driver exception crosses this interface.
//
// Queries are parsed ASTs (visibility/query.h), parsed by the caller against the namespace's
// custom search attributes. The store adds the implicit filters itself: the namespace, and
// `TemporalNamespaceDivision IS NULL` unless the query mentions TemporalNamespaceDivision (which
// hides system workflows such as schedules from ordinary lists). A query the store cannot run
// (ORDER BY on PostgreSQL) is InvalidArgument with the translator's "invalid query: ..." message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/store.h"
#include "temporal/api/common/v1/message.pb.h"
#include "visibility/query.h"

namespace tern::persistence {

// Page sizes above this are clamped; 0 or less means this.
inline constexpr int kMaxVisibilityPageSize = 1000;

struct VisibilityRecord {
  std::string namespace_id;
  std::string run_id;
  std::string workflow_id;
  std::string workflow_type;
  std::string task_queue;
  int32_t status = 0;  // temporal.api.enums.v1.WorkflowExecutionStatus
  // Stored with microsecond precision (truncated toward the past).
  Timestamp start_time;
  Timestamp execution_time;
  std::optional<Timestamp> close_time;              // unset while running
  std::optional<int64_t> execution_duration_nanos;  // close_time - execution_time, once closed
  int64_t history_length = 0;
  int64_t history_size_bytes = 0;
  // The version of the row: Upsert never replaces a row with a higher count.
  int64_t state_transition_count = 0;
  std::string parent_workflow_id;  // empty for a run without a parent
  std::string parent_run_id;
  std::string root_workflow_id;
  std::string root_run_id;
  // A JSON object: predefined and custom attribute name -> value in the stored form of
  // visibility/postgres.h (Datetime as FormatDatetimeMicros, Int as a JSON integer, KeywordList
  // as an array; no key for an attribute that is not set). "{}" when there is none.
  std::string search_attributes_json = "{}";
  temporal::api::common::v1::Memo memo;
};

struct VisibilityPage {
  // In the default order: running runs first, then by close time, newest first; ties by start
  // time, newest first, then by run id, descending.
  std::vector<VisibilityRecord> records;
  // Opaque; empty when there is no further page. Valid only for the same namespace and query.
  std::string next_page_token;
};

struct VisibilityCount {
  int64_t count = 0;
  // Filled for a query with GROUP BY (only ExecutionStatus is possible): one group per distinct
  // value, most frequent first; counts add up to `count`.
  struct Group {
    visibility::Value value;  // int64_t status for ExecutionStatus
    int64_t count = 0;
  };
  std::vector<Group> groups;
};

class VisibilityStore {
 public:
  virtual ~VisibilityStore() = default;

  // Inserts or replaces the row of (namespace_id, run_id), unless the stored row has a higher
  // state_transition_count (then nothing changes and the call still succeeds): idempotent, and
  // the newest state wins whatever order the calls arrive in. InvalidArgument if
  // search_attributes_json is not a JSON object or an identifying field is empty.
  virtual absl::Status Upsert(const VisibilityRecord& record) = 0;

  // Removes the row of the run; OK whether or not it existed.
  virtual absl::Status Delete(const std::string& namespace_id, const std::string& run_id) = 0;

  // One page of the rows of the namespace that match `query`, in the default order. page_size
  // <= 0 means kMaxVisibilityPageSize, larger values are clamped to it. `page_token` is "" for
  // the first page, else a next_page_token this store returned; anything else is
  // InvalidArgument. Rows that change between pages may be seen twice or not at all.
  virtual absl::StatusOr<VisibilityPage> List(const std::string& namespace_id,
                                              const visibility::Query& query, int page_size,
                                              const std::string& page_token) = 0;

  // How many rows of the namespace match `query`, and with GROUP BY ExecutionStatus, how many
  // per status.
  virtual absl::StatusOr<VisibilityCount> Count(const std::string& namespace_id,
                                                const visibility::Query& query) = 0;

  // Custom search attributes are being registered: a store with a schema (Elasticsearch) adds
  // their fields before the namespace records them. InvalidArgument when a field exists with
  // another type. Stores without a schema (PostgreSQL's JSONB) have nothing to do.
  virtual absl::Status AddSearchAttributeMappings(
      const visibility::CustomSearchAttributes& attributes) {
    return absl::OkStatus();
  }
};

}  // namespace tern::persistence
