// The VisibilityStore on Elasticsearch (7.10+, 8.x) or OpenSearch, over HTTP.
//
// One index per cluster (indices.visibility in the config), one document per run with the run
// id as document id; the namespace is a field (NamespaceId) that every query filters on. The
// index is created by SetupIndex (`tern schema setup`) from the embedded
// schema/elasticsearch/visibility/index_template_v1.json.
//
// Differences from the PostgreSQL store, all following from Elasticsearch:
//   - Reads are near real-time: a document is searchable after the index's next refresh (by
//     default within a second of Upsert returning), not at once.
//   - Upsert uses external versioning (version = state_transition_count): a write with a
//     version lower than or equal to the stored one is a version conflict, which is success.
//     A Delete leaves a tombstone for index.gc_deletes (60 s by default); a stale Upsert that
//     arrives later than that re-creates the document.
//   - Delete is by run id alone: run ids are unique across namespaces.
//   - ORDER BY is supported (except on Text attributes); paging then breaks ties by RunId.
//   - Datetimes are date_nanos: system times are clamped to 1970..2262; a custom Datetime
//     attribute outside that range makes Upsert fail with InvalidArgument.
//
// Errors: no response, or an HTTP status other than those documented per method, is
// Unavailable with the method, URL, status and Elasticsearch's reason; a 400 (a query or
// document Elasticsearch rejects) is InvalidArgument with Elasticsearch's reason.
//
// Thread-safe; every call blocks its thread on HTTP like the other stores block on the database.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"
#include "common/group_commit.h"
#include "nlohmann/json.hpp"
#include "persistence/elasticsearch/http_client.h"
#include "persistence/visibility_store.h"
#include "visibility/search_attributes.h"

namespace tern::persistence::elasticsearch {

// The name the index template is installed under (PUT _index_template/<name>).
inline constexpr char kIndexTemplateName[] = "tern_visibility_v1";

struct VisibilityStoreOptions {
  std::string index;  // the visibility index
  // Upserts that arrive while earlier ones are in flight are sent together in one _bulk request
  // of at most this many documents and about this many bytes.
  size_t max_bulk_documents = 500;
  size_t max_bulk_bytes = 5 << 20;
  // _bulk requests in flight at once; an Upsert beyond them waits and joins the next batch.
  int max_concurrent_bulks = 4;
};

class ElasticsearchVisibilityStore final : public VisibilityStore {
 public:
  ElasticsearchVisibilityStore(std::shared_ptr<HttpClient> http, VisibilityStoreOptions options);

  // Indexes the document through POST <index>/_bulk with version_type=external. Returns only
  // once Elasticsearch acknowledged this document (its bulk item is 200/201, or 409 for an
  // older or equal version); the caller acks its task on OK.
  absl::Status Upsert(const VisibilityRecord& record) override;

  // DELETE <index>/_doc/<run_id>; 404 is success.
  absl::Status Delete(const std::string& namespace_id, const std::string& run_id) override;

  // POST <index>/_search with the translated query inside a filter on NamespaceId (and a
  // must_not on TemporalNamespaceDivision unless the query names it), the default sort or the
  // query's ORDER BY, size page_size + 1, and search_after from the page token, which holds
  // the sort values of the previous page's last hit.
  absl::StatusOr<VisibilityPage> List(const std::string& namespace_id,
                                      const visibility::Query& query, int page_size,
                                      const std::string& page_token) override;

  // POST <index>/_count; with GROUP BY ExecutionStatus, POST <index>/_search with size 0 and a
  // terms aggregation.
  absl::StatusOr<VisibilityCount> Count(const std::string& namespace_id,
                                        const visibility::Query& query) override;

  // Installs the index template (PUT _index_template/tern_visibility_v1) and creates the index
  // with the template's settings and mappings when it does not exist yet (so any index name
  // works, not only names matching the template's pattern). Idempotent; `tern schema setup` and
  // `tern schema update` call it.
  absl::Status SetupIndex();

  // OK when the index exists; FailedPrecondition naming `tern schema setup` when it does not.
  absl::Status CheckIndex();

  // Adds the field mappings of custom search attributes (PUT <index>/_mapping, the type from
  // visibility::ElasticsearchFieldMapping). Call it when attributes are registered, before
  // storing them in the namespace: values written before are in _source but not searchable.
  // Idempotent for the same types; InvalidArgument when a field exists with another type.
  absl::Status AddSearchAttributeMappings(
      const visibility::CustomSearchAttributes& attributes) override;

  // Upserts waiting for a _bulk slot (for tests and diagnostics).
  size_t QueuedUpserts() const;

 private:
  absl::StatusOr<nlohmann::json> Call(const HttpRequest& request);
  // Each item is a bulk action and its document, newline-terminated.
  std::vector<absl::Status> SendBulk(const std::vector<std::string*>& batch);

  const std::shared_ptr<HttpClient> http_;
  const VisibilityStoreOptions options_;
  GroupCommit<std::string> bulks_;
};

// A store for `config` over libcurl, without any request (for `tern schema setup`).
std::shared_ptr<ElasticsearchVisibilityStore> NewElasticsearchVisibilityStore(
    const ElasticsearchConfig& config);

// The same, after checking that the index exists (CheckIndex): for the server at start.
absl::StatusOr<std::shared_ptr<ElasticsearchVisibilityStore>> OpenElasticsearchVisibilityStore(
    const ElasticsearchConfig& config);

}  // namespace tern::persistence::elasticsearch
