// The visibility RPCs of the WorkflowService (SERVER-CONTRACT §2.5.11-2.5.12, §7) as blocking
// functions over the VisibilityStore: ListWorkflowExecutions, ScanWorkflowExecutions,
// CountWorkflowExecutions, the legacy ListOpen/ListClosedWorkflowExecutions, and
// GetSearchAttributes. WorkflowHandler resolves the namespace, runs these on the blocking
// executor and finishes the call with the result.
//
// - The query is parsed against the namespace's custom search attributes; a malformed query or
//   an unknown attribute is INVALID_ARGUMENT with the parser's message ("invalid query: ...",
//   naming the offending token and its column).
// - page_size <= 0 means 1000 and larger values are clamped to 1000; a next_page_token that is
//   not one this list returned is INVALID_ARGUMENT.
// - Rows come in the store's order: running workflows first, then newest closed first. Scan is
//   List (any order is allowed for Scan).
// - Search attribute payloads carry metadata "type" (the TypeScript SDK's typedSearchAttributes
//   needs it); attributes the namespace no longer defines are left out.
// - Visibility is eventually consistent: a row follows its workflow's state change shortly
//   after the change commits (history writes it from a transfer task).
//
// Thread-safe; every method but GetSearchAttributes blocks on the database.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "persistence/namespace_cache.h"
#include "persistence/visibility_store.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace tern::frontend {

namespace ws = temporal::api::workflowservice::v1;

// The WorkflowExecutionInfo of a stored row, search attributes typed with `custom`.
temporal::api::workflow::v1::WorkflowExecutionInfo ExecutionInfoOf(
    const persistence::VisibilityRecord& record, const visibility::CustomSearchAttributes& custom);

class VisibilityHandler {
 public:
  using NamespaceRecord = persistence::v1::NamespaceRecord;

  // `store` may be null: every RPC then answers UNIMPLEMENTED. `cache` serves
  // GetSearchAttributes, whose request names no namespace.
  VisibilityHandler(std::shared_ptr<persistence::VisibilityStore> store,
                    std::shared_ptr<persistence::NamespaceCache> cache);

  absl::StatusOr<ws::ListWorkflowExecutionsResponse> List(
      const NamespaceRecord& ns, const ws::ListWorkflowExecutionsRequest& request);
  absl::StatusOr<ws::ScanWorkflowExecutionsResponse> Scan(
      const NamespaceRecord& ns, const ws::ScanWorkflowExecutionsRequest& request);
  // With GROUP BY ExecutionStatus, one group per status: group_values holds the status name
  // ("Running", ...) as a Keyword payload, as the reference server answers.
  absl::StatusOr<ws::CountWorkflowExecutionsResponse> Count(
      const NamespaceRecord& ns, const ws::CountWorkflowExecutionsRequest& request);
  // Running workflows; start_time_filter bounds StartTime.
  absl::StatusOr<ws::ListOpenWorkflowExecutionsResponse> ListOpen(
      const NamespaceRecord& ns, const ws::ListOpenWorkflowExecutionsRequest& request);
  // Closed workflows; start_time_filter bounds CloseTime (as in the reference).
  absl::StatusOr<ws::ListClosedWorkflowExecutionsResponse> ListClosed(
      const NamespaceRecord& ns, const ws::ListClosedWorkflowExecutionsRequest& request);
  // Every system and predefined attribute, plus the custom attributes of every namespace (the
  // request names none; where two namespaces give one name different types, the namespace
  // first by name wins).
  ws::GetSearchAttributesResponse GetSearchAttributes() const;

 private:
  // One page of `query` in the namespace, as WorkflowExecutionInfo rows.
  struct Page {
    google::protobuf::RepeatedPtrField<temporal::api::workflow::v1::WorkflowExecutionInfo> rows;
    std::string next_page_token;
  };
  absl::StatusOr<Page> ListQuery(const NamespaceRecord& ns, const visibility::Query& query,
                                 int page_size, const std::string& page_token);
  absl::StatusOr<Page> ListText(const NamespaceRecord& ns, const std::string& query, int page_size,
                                const std::string& page_token);
  // A list response (List, Scan, ListOpen, ListClosed) holding `page`.
  template <typename Response>
  static absl::StatusOr<Response> Respond(absl::StatusOr<Page> page);

  std::shared_ptr<persistence::VisibilityStore> store_;
  std::shared_ptr<persistence::NamespaceCache> cache_;
};

}  // namespace tern::frontend
