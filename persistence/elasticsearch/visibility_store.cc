#include "persistence/elasticsearch/visibility_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "persistence/elasticsearch/document.h"
#include "persistence/elasticsearch/index_template.h"
#include "visibility/elasticsearch.h"
#include "visibility/values.h"

namespace tern::persistence::elasticsearch {
namespace {

using nlohmann::json;

// A path segment with everything but unreserved characters percent-encoded.
std::string EncodeSegment(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out.append({'%', kHex[c >> 4], kHex[c & 15]});
    }
  }
  return out;
}

// Safe accessors: responses are read without trusting their shape (nlohmann's own accessors
// throw on a mismatch, and no exception may leave the store).
const json& Field(const json& object, std::string_view key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}
std::string Text(const json& value) { return value.is_string() ? value.get<std::string>() : ""; }
int64_t Integer(const json& value) { return value.is_number_integer() ? value.get<int64_t>() : 0; }
// Invalid UTF-8 is replaced rather than thrown about.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "type: reason" of an Elasticsearch error object ({"type": ..., "reason": ...}, or the error of
// a response, whose root_cause is the most specific); the text itself for older string errors.
std::string ErrorReason(const json& error) {
  if (error.is_string()) return error.get<std::string>();
  if (!error.is_object()) return "";
  if (const json& causes = Field(error, "root_cause"); causes.is_array() && !causes.empty()) {
    return ErrorReason(causes.front());
  }
  std::string type = Text(Field(error, "type"));
  std::string reason = Text(Field(error, "reason"));
  return type.empty() ? reason : absl::StrCat(type, ": ", reason);
}

std::string ErrorType(const json& body) { return Text(Field(Field(body, "error"), "type")); }

// The error of a response with status `status` and (parsed or raw) body.
absl::Status HttpError(const HttpClient& http, const HttpRequest& request, int status,
                       const json& body, const std::string& raw_body) {
  std::string reason = ErrorReason(Field(body, "error"));
  if (reason.empty()) reason = raw_body.substr(0, 200);
  if (status == 400) {
    return absl::InvalidArgumentError(absl::StrCat("elasticsearch rejected the request: ", reason));
  }
  return absl::UnavailableError(absl::StrCat("elasticsearch ", request.method, " ", http.BaseUrl(),
                                             request.path, ": HTTP ", status,
                                             reason.empty() ? "" : ": ", reason));
}

absl::Status InvalidPageToken() {
  return absl::InvalidArgumentError("invalid next_page_token: not a token of this list");
}

// The translated query restricted to the namespace, and without system workflows unless the
// query asks about them.
json ScopedQuery(const std::string& namespace_id, const visibility::Query& query, json filter) {
  json bool_query = {{"filter", json::array({{{"term", {{"NamespaceId", namespace_id}}}}})}};
  if (!filter.contains("match_all")) bool_query["filter"].push_back(std::move(filter));
  if (!visibility::MentionsAttribute(query, "TemporalNamespaceDivision")) {
    bool_query["must_not"] = json::array({{{"exists", {{"field", "TemporalNamespaceDivision"}}}}});
  }
  return {{"bool", std::move(bool_query)}};
}

}  // namespace

ElasticsearchVisibilityStore::ElasticsearchVisibilityStore(std::shared_ptr<HttpClient> http,
                                                           VisibilityStoreOptions options)
    : http_(std::move(http)),
      options_(std::move(options)),
      bulks_([this](const std::vector<std::string*>& batch) { return SendBulk(batch); },
             {.max_in_flight = options_.max_concurrent_bulks,
              .max_items = options_.max_bulk_documents,
              .max_weight = options_.max_bulk_bytes,
              .weight = [](const std::string& lines) { return lines.size(); }}) {}

absl::StatusOr<json> ElasticsearchVisibilityStore::Call(const HttpRequest& request) {
  ASSIGN_OR_RETURN(HttpResponse response, http_->Send(request));
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (response.status < 200 || response.status > 299) {
    return HttpError(*http_, request, response.status, body, response.body);
  }
  if (body.is_discarded()) {
    return absl::UnavailableError(absl::StrCat("elasticsearch ", request.method, " ",
                                               http_->BaseUrl(), request.path,
                                               ": the response is not JSON"));
  }
  return body;
}

absl::Status ElasticsearchVisibilityStore::Upsert(const VisibilityRecord& record) {
  ASSIGN_OR_RETURN(json document, RecordToDocument(record));
  json action = {{"index",
                  {{"_id", record.run_id},
                   {"version", record.state_transition_count},
                   {"version_type", "external"}}}};
  std::string lines = absl::StrCat(Dump(action), "\n", Dump(document), "\n");
  // Whoever finds a free bulk slot sends what is queued, its own and others'.
  return bulks_.Submit(lines);
}

std::vector<absl::Status> ElasticsearchVisibilityStore::SendBulk(
    const std::vector<std::string*>& batch) {
  HttpRequest request{.method = "POST",
                      .path = absl::StrCat("/", options_.index, "/_bulk"),
                      .content_type = "application/x-ndjson"};
  for (const std::string* lines : batch) request.body += *lines;
  absl::StatusOr<json> response = Call(request);
  if (!response.ok()) return {response.status()};
  const json& items = Field(*response, "items");
  if (!items.is_array() || items.size() != batch.size()) {
    return {absl::UnavailableError(absl::StrCat("elasticsearch POST ", http_->BaseUrl(),
                                                request.path, ": expected ", batch.size(),
                                                " bulk items in the response"))};
  }
  std::vector<absl::Status> outcomes(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const json& item = Field(items[i], "index");
    int64_t status = Integer(Field(item, "status"));
    // 409: the stored document has this version or a newer one, which is what we want.
    if ((status >= 200 && status <= 299) || status == 409) continue;
    std::string reason = ErrorReason(Field(item, "error"));
    std::string run_id = Text(Field(item, "_id"));
    if (status == 400) {
      outcomes[i] = absl::InvalidArgumentError(
          absl::StrCat("elasticsearch rejected the document of run ", run_id, ": ", reason));
    } else {
      outcomes[i] =
          absl::UnavailableError(absl::StrCat("elasticsearch POST ", http_->BaseUrl(), request.path,
                                              ": item ", run_id, ": HTTP ", status, ": ", reason));
    }
  }
  return outcomes;
}

size_t ElasticsearchVisibilityStore::QueuedUpserts() const { return bulks_.Queued(); }

absl::Status ElasticsearchVisibilityStore::Delete(const std::string& namespace_id,
                                                  const std::string& run_id) {
  HttpRequest request{.method = "DELETE",
                      .path = absl::StrCat("/", options_.index, "/_doc/", EncodeSegment(run_id))};
  ASSIGN_OR_RETURN(HttpResponse response, http_->Send(request));
  if (response.status == 404 || (response.status >= 200 && response.status <= 299)) {
    return absl::OkStatus();
  }
  return HttpError(*http_, request, response.status,
                   json::parse(response.body, nullptr, /*allow_exceptions=*/false), response.body);
}

absl::StatusOr<VisibilityPage> ElasticsearchVisibilityStore::List(const std::string& namespace_id,
                                                                  const visibility::Query& query,
                                                                  int page_size,
                                                                  const std::string& page_token) {
  if (page_size <= 0 || page_size > kMaxVisibilityPageSize) page_size = kMaxVisibilityPageSize;
  ASSIGN_OR_RETURN(json body, visibility::ToElasticsearch(query));
  json& sort = body["sort"];
  // search_after needs a total order: an ORDER BY gets the run id as the last key.
  if (std::none_of(query.order_by.begin(), query.order_by.end(),
                   [](const visibility::OrderBy& o) { return o.attribute.name == "RunId"; }) &&
      !query.order_by.empty()) {
    sort.push_back({{"RunId", {{"order", "desc"}}}});
  }
  body["query"] = ScopedQuery(namespace_id, query, std::move(body["query"]));
  // One hit more than asked tells whether another page exists.
  body["size"] = page_size + 1;
  body["track_total_hits"] = false;
  if (!page_token.empty()) {
    json after = json::parse(page_token, nullptr, /*allow_exceptions=*/false);
    if (!after.is_array() || after.size() != sort.size() ||
        !std::all_of(after.begin(), after.end(), [](const json& value) {
          return value.is_primitive() && !value.is_binary();
        })) {
      return InvalidPageToken();
    }
    body["search_after"] = std::move(after);
  }
  HttpRequest request{
      .method = "POST", .path = absl::StrCat("/", options_.index, "/_search"), .body = Dump(body)};
  ASSIGN_OR_RETURN(json response, Call(request));
  const json& hits = Field(Field(response, "hits"), "hits");
  if (!hits.is_array()) {
    return absl::UnavailableError(absl::StrCat("elasticsearch POST ", http_->BaseUrl(),
                                               request.path, ": no hits in the response"));
  }
  VisibilityPage page;
  for (size_t i = 0; i < hits.size() && i < static_cast<size_t>(page_size); ++i) {
    ASSIGN_OR_RETURN(VisibilityRecord record, DocumentToRecord(Field(hits[i], "_source")));
    page.records.push_back(std::move(record));
  }
  if (hits.size() > static_cast<size_t>(page_size)) {
    page.next_page_token = Dump(Field(hits[page_size - 1], "sort"));
  }
  return page;
}

absl::StatusOr<VisibilityCount> ElasticsearchVisibilityStore::Count(
    const std::string& namespace_id, const visibility::Query& query) {
  ASSIGN_OR_RETURN(json body, visibility::ToElasticsearchCount(query));
  body["query"] = ScopedQuery(namespace_id, query, std::move(body["query"]));
  VisibilityCount out;
  if (!query.group_by) {
    ASSIGN_OR_RETURN(json response, Call({.method = "POST",
                                          .path = absl::StrCat("/", options_.index, "/_count"),
                                          .body = Dump(body)}));
    out.count = Integer(Field(response, "count"));
    return out;
  }
  body["track_total_hits"] = false;
  ASSIGN_OR_RETURN(json response, Call({.method = "POST",
                                        .path = absl::StrCat("/", options_.index, "/_search"),
                                        .body = Dump(body)}));
  const json& buckets = Field(Field(Field(response, "aggregations"), *query.group_by), "buckets");
  for (const json& bucket : buckets) {
    // The only possible group is ExecutionStatus, keyed by the status name.
    auto& group = out.groups.emplace_back();
    group.value =
        int64_t{visibility::ParseExecutionStatus(Text(Field(bucket, "key")))
                    .value_or(temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_UNSPECIFIED)};
    group.count = Integer(Field(bucket, "doc_count"));
    out.count += group.count;
  }
  // Like the PostgreSQL store: most frequent first, ties by status number.
  std::sort(out.groups.begin(), out.groups.end(), [](const auto& a, const auto& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  });
  return out;
}

absl::Status ElasticsearchVisibilityStore::SetupIndex() {
  json index_template = json::parse(IndexTemplateJson(), nullptr, /*allow_exceptions=*/false);
  if (!index_template.is_object())
    return absl::InternalError("the embedded index template is not JSON");
  ASSIGN_OR_RETURN(json installed,
                   Call({.method = "PUT",
                         .path = absl::StrCat("/_index_template/", kIndexTemplateName),
                         .body = Dump(index_template)}));

  HttpRequest create{.method = "PUT",
                     .path = absl::StrCat("/", options_.index),
                     .body = Dump(index_template["template"])};
  ASSIGN_OR_RETURN(HttpResponse response, http_->Send(create));
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if ((response.status >= 200 && response.status <= 299) ||
      (response.status == 400 && ErrorType(body) == "resource_already_exists_exception")) {
    return absl::OkStatus();
  }
  return HttpError(*http_, create, response.status, body, response.body);
}

absl::Status ElasticsearchVisibilityStore::CheckIndex() {
  HttpRequest request{.method = "HEAD", .path = absl::StrCat("/", options_.index)};
  ASSIGN_OR_RETURN(HttpResponse response, http_->Send(request));
  if (response.status == 404) {
    return absl::FailedPreconditionError(absl::StrCat("elasticsearch index ", options_.index,
                                                      " does not exist at ", http_->BaseUrl(),
                                                      "; create it with `tern schema setup`"));
  }
  if (response.status != 200) {
    return HttpError(*http_, request, response.status, json(), response.body);
  }
  return absl::OkStatus();
}

absl::Status ElasticsearchVisibilityStore::AddSearchAttributeMappings(
    const visibility::CustomSearchAttributes& attributes) {
  if (attributes.empty()) return absl::OkStatus();
  json properties = json::object();
  for (const auto& [name, type] : attributes) {
    properties[name] = visibility::ElasticsearchFieldMapping(type);
  }
  return Call({.method = "PUT",
               .path = absl::StrCat("/", options_.index, "/_mapping"),
               .body = Dump(json{{"properties", std::move(properties)}})})
      .status();
}

std::shared_ptr<ElasticsearchVisibilityStore> NewElasticsearchVisibilityStore(
    const ElasticsearchConfig& config) {
  CurlHttpClientOptions http{.base_url = config.Url(),
                             .username = config.username,
                             .password = config.password,
                             .ca_file = config.tls_ca_file,
                             .cert_file = config.tls_cert_file,
                             .key_file = config.tls_key_file};
  return std::make_shared<ElasticsearchVisibilityStore>(
      NewCurlHttpClient(std::move(http)), VisibilityStoreOptions{.index = config.visibility_index});
}

absl::StatusOr<std::shared_ptr<ElasticsearchVisibilityStore>> OpenElasticsearchVisibilityStore(
    const ElasticsearchConfig& config) {
  std::shared_ptr<ElasticsearchVisibilityStore> store = NewElasticsearchVisibilityStore(config);
  RETURN_IF_ERROR(store->CheckIndex());
  return store;
}

}  // namespace tern::persistence::elasticsearch
