// The Elasticsearch VisibilityStore against an in-memory HttpClient: the exact requests it sends
// and how it reads responses and errors; and the libcurl client against a loopback socket.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "persistence/elasticsearch/http_client.h"
#include "persistence/elasticsearch/visibility_store.h"
#include "tests/unit/visibility_test_util.h"
#include "visibility/query.h"

namespace tern::persistence::elasticsearch {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace enums = temporal::api::enums::v1;

constexpr char kIndex[] = "tern_visibility_v1_test";
constexpr char kBaseUrl[] = "http://es.test:9200";

// Answers from a queue of canned responses (the default response when empty) and records every
// request.
class FakeHttpClient final : public HttpClient {
 public:
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)> handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      if (!responses_.empty()) {
        handler = std::move(responses_.front());
        responses_.pop_front();
      }
    }
    if (handler) return handler(request);
    std::lock_guard<std::mutex> lock(mu_);
    return default_response_;
  }
  std::string BaseUrl() const override { return kBaseUrl; }

  void Respond(int status, std::string body) {
    Then([status, body](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
      return HttpResponse{status, body};
    });
  }
  void RespondByDefault(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    default_response_ = HttpResponse{status, std::move(body)};
  }
  void Then(std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)> handler) {
    std::lock_guard<std::mutex> lock(mu_);
    responses_.push_back(std::move(handler));
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::deque<std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>> responses_;
  std::vector<HttpRequest> requests_;
  HttpResponse default_response_{200, "{}"};
};

// A _bulk response whose items have these statuses.
std::string BulkResponse(const std::vector<int>& statuses) {
  json items = json::array();
  for (size_t i = 0; i < statuses.size(); ++i) {
    json item = {{"_id", absl::StrCat("run-", i)}, {"status", statuses[i]}};
    if (statuses[i] == 409) {
      item["error"] = {{"type", "version_conflict_engine_exception"},
                       {"reason", "version conflict, current version [7] is higher"}};
    } else if (statuses[i] >= 300) {
      item["error"] = {{"type", statuses[i] == 400 ? "mapper_parsing_exception"
                                                   : "es_rejected_execution_exception"},
                       {"reason", "cannot take it"}};
    }
    items.push_back({{"index", item}});
  }
  return json{{"errors", true}, {"items", items}}.dump();
}

VisibilityRecord Running() {
  VisibilityRecord r;
  r.namespace_id = "ns-1";
  r.run_id = "run-1";
  r.workflow_id = "wf-1";
  r.workflow_type = "OrderWorkflow";
  r.task_queue = "orders";
  r.status = enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
  r.start_time = Timestamp(std::chrono::seconds(1714557600));
  r.execution_time = r.start_time;
  r.history_length = 3;
  r.history_size_bytes = 300;
  r.state_transition_count = 5;
  r.root_workflow_id = "wf-1";
  r.root_run_id = "run-1";
  r.search_attributes_json = R"({"CustomKeyword":"alpha"})";
  return r;
}

VisibilityRecord ClosedChild() {
  VisibilityRecord r = Running();
  r.status = enums::WORKFLOW_EXECUTION_STATUS_COMPLETED;
  r.start_time += std::chrono::microseconds(123456);
  r.close_time = r.start_time + std::chrono::seconds(60);
  r.execution_duration_nanos = int64_t{60} * 1000000000;
  r.state_transition_count = 9;
  r.parent_workflow_id = "parent-wf";
  r.parent_run_id = "parent-run";
  r.root_workflow_id = "root-wf";
  r.root_run_id = "root-run";
  r.search_attributes_json =
      R"({"CustomDatetime":"2024-06-01T10:00:00.000000Z","CustomInt":3,"CustomList":["a","b"]})";
  (*r.memo.mutable_fields())["note"].set_data("\"hello\"");
  return r;
}

class ElasticsearchVisibilityStoreTest : public ::testing::Test {
 protected:
  ElasticsearchVisibilityStoreTest() : store_(http_, VisibilityStoreOptions{.index = kIndex}) {}

  visibility::Query Parse(const std::string& text, bool for_count = false) {
    absl::StatusOr<visibility::Query> query =
        visibility::ParseQuery(text, visibility::TestCustomAttributes(), {.for_count = for_count});
    EXPECT_TRUE(query.ok()) << query.status();
    return *std::move(query);
  }

  HttpRequest OnlyRequest() {
    std::vector<HttpRequest> requests = http_->requests();
    EXPECT_EQ(requests.size(), 1u);
    return requests.empty() ? HttpRequest{} : requests.back();
  }

  // The document Upsert sends for `record` (the second line of its bulk body).
  json UpsertedDocument(const VisibilityRecord& record) {
    http_->Respond(200, BulkResponse({201}));
    EXPECT_TRUE(store_.Upsert(record).ok());
    std::vector<std::string> lines = absl::StrSplit(http_->requests().back().body, '\n');
    return json::parse(lines.at(1));
  }

  std::shared_ptr<FakeHttpClient> http_ = std::make_shared<FakeHttpClient>();
  ElasticsearchVisibilityStore store_;
};

// ---- Upsert ------------------------------------------------------------------------------------

TEST_F(ElasticsearchVisibilityStoreTest, UpsertIndexesOneBulkDocumentWithExternalVersion) {
  http_->Respond(200, BulkResponse({201}));
  ASSERT_TRUE(store_.Upsert(Running()).ok());
  HttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/tern_visibility_v1_test/_bulk");
  EXPECT_EQ(request.content_type, "application/x-ndjson");
  EXPECT_EQ(request.body,
            R"({"index":{"_id":"run-1","version":5,"version_type":"external"}})"
            "\n"
            R"({"CustomKeyword":"alpha","ExecutionStatus":"Running",)"
            R"("ExecutionTime":"2024-05-01T10:00:00.000000Z","HistoryLength":3,)"
            R"("HistorySizeBytes":300,"NamespaceId":"ns-1","RootRunId":"run-1",)"
            R"("RootWorkflowId":"wf-1","RunId":"run-1","StartTime":"2024-05-01T10:00:00.000000Z",)"
            R"("StateTransitionCount":5,"TaskQueue":"orders","WorkflowId":"wf-1",)"
            R"("WorkflowType":"OrderWorkflow"})"
            "\n");
}

TEST_F(ElasticsearchVisibilityStoreTest, ClosedChildDocumentHasEveryField) {
  json doc = UpsertedDocument(ClosedChild());
  EXPECT_EQ(doc, json::parse(R"({
    "CustomDatetime": "2024-06-01T10:00:00.000000Z", "CustomInt": 3, "CustomList": ["a", "b"],
    "NamespaceId": "ns-1", "RunId": "run-1", "WorkflowId": "wf-1",
    "WorkflowType": "OrderWorkflow", "TaskQueue": "orders", "ExecutionStatus": "Completed",
    "StartTime": "2024-05-01T10:00:00.123456Z", "ExecutionTime": "2024-05-01T10:00:00.000000Z",
    "CloseTime": "2024-05-01T10:01:00.123456Z", "ExecutionDuration": 60000000000,
    "HistoryLength": 3, "HistorySizeBytes": 300, "StateTransitionCount": 9,
    "ParentWorkflowId": "parent-wf", "ParentRunId": "parent-run",
    "RootWorkflowId": "root-wf", "RootRunId": "root-run",
    "Memo": "ChEKBG5vdGUSCRIHImhlbGxvIg==", "MemoEncoding": "proto3"})"))
      << doc.dump();
}

TEST_F(ElasticsearchVisibilityStoreTest, DatetimesAreClampedToWhatDateNanosHolds) {
  VisibilityRecord r = Running();
  r.execution_time = Timestamp(std::chrono::seconds(-5));
  r.close_time = Timestamp::max();
  json doc = UpsertedDocument(r);
  EXPECT_EQ(doc["ExecutionTime"], "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(doc["CloseTime"], "2262-04-11T23:47:16.854775Z");
}

TEST_F(ElasticsearchVisibilityStoreTest, VersionConflictMeansANewerDocumentIsStored) {
  http_->Respond(200, BulkResponse({409}));
  EXPECT_TRUE(store_.Upsert(Running()).ok());
}

TEST_F(ElasticsearchVisibilityStoreTest, UpsertErrors) {
  http_->Respond(200, BulkResponse({400}));
  absl::Status status = store_.Upsert(Running());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("rejected the document of run run-0: mapper_parsing_exception: "
                        "cannot take it"));

  http_->Respond(200, BulkResponse({429}));
  status = store_.Upsert(Running());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("http://es.test:9200/tern_visibility_v1_test/_bulk: item run-0: HTTP 429: "
                        "es_rejected_execution_exception"));

  http_->Respond(503,
                 R"({"error":{"type":"cluster_block_exception","reason":"blocked"},"status":503})");
  status = store_.Upsert(Running());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("elasticsearch POST http://es.test:9200/tern_visibility_v1_test/_bulk: "
                        "HTTP 503: cluster_block_exception: blocked"));

  http_->Then([](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    return absl::UnavailableError("elasticsearch POST http://es.test:9200/x: Connection refused");
  });
  status = store_.Upsert(Running());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("Connection refused"));

  http_->Respond(200, R"({"items": []})");
  status = store_.Upsert(Running());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("expected 1 bulk items"));
}

TEST_F(ElasticsearchVisibilityStoreTest, RejectsRecordsItCannotStoreWithoutARequest) {
  VisibilityRecord r = Running();
  r.search_attributes_json = "[1, 2]";
  EXPECT_EQ(store_.Upsert(r).code(), absl::StatusCode::kInvalidArgument);
  r.search_attributes_json = "{not json";
  EXPECT_EQ(store_.Upsert(r).code(), absl::StatusCode::kInvalidArgument);
  r.search_attributes_json = R"({"WorkflowId": "spoofed"})";
  EXPECT_THAT(std::string(store_.Upsert(r).message()), HasSubstr("'WorkflowId'"));
  r = Running();
  r.run_id = "";
  EXPECT_EQ(store_.Upsert(r).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(http_->requests().empty());
}

// Upserts that arrive while a bulk request is in flight go out together in the next one, and
// each returns only once its own item is acknowledged.
TEST_F(ElasticsearchVisibilityStoreTest, ConcurrentUpsertsShareABulkRequest) {
  ElasticsearchVisibilityStore store(
      http_, VisibilityStoreOptions{.index = kIndex, .max_concurrent_bulks = 1});
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  http_->Then([&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return HttpResponse{200, BulkResponse({201})};
  });
  http_->Respond(200, BulkResponse({201, 409, 400}));

  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = store.Upsert(Running()); });
  auto wait_for = [&](auto condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ASSERT_TRUE(condition());
  };
  wait_for([&] { return http_->requests().size() == 1; });
  for (int i = 1; i < 4; ++i) {
    threads.emplace_back([&, i] {
      VisibilityRecord r = Running();
      r.run_id = absl::StrCat("run-", i);
      results[i] = store.Upsert(r);
    });
  }
  wait_for([&] { return store.QueuedUpserts() == 3; });
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& thread : threads) thread.join();

  std::vector<HttpRequest> requests = http_->requests();
  ASSERT_EQ(requests.size(), 2u);
  std::vector<std::string> lines = absl::StrSplit(requests[1].body, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 6u);  // three actions and three documents
  EXPECT_TRUE(results[0].ok());
  // Items come back in the order they were sent, which is the order they were queued.
  int invalid = 0;
  for (int i = 1; i < 4; ++i) invalid += results[i].code() == absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(invalid, 1);
}

// ---- Delete ------------------------------------------------------------------------------------

TEST_F(ElasticsearchVisibilityStoreTest, DeleteIsByRunIdAndAMissingDocumentIsSuccess) {
  http_->Respond(200, R"({"result":"deleted"})");
  ASSERT_TRUE(store_.Delete("ns-1", "run/1").ok());
  EXPECT_EQ(OnlyRequest().method, "DELETE");
  EXPECT_EQ(OnlyRequest().path, "/tern_visibility_v1_test/_doc/run%2F1");
  EXPECT_EQ(OnlyRequest().body, "");

  http_->Respond(404, R"({"result":"not_found"})");
  EXPECT_TRUE(store_.Delete("ns-1", "run-1").ok());
  http_->Respond(500, "oops");
  absl::Status status = store_.Delete("ns-1", "run-1");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("elasticsearch DELETE http://es.test:9200/tern_visibility_v1_test/_doc/"
                        "run-1: HTTP 500: oops"));
}

// ---- List --------------------------------------------------------------------------------------

// A _search response with one hit per run id, sorted like running runs started one nanosecond
// apart.
std::string SearchResponse(const std::vector<std::string>& run_ids) {
  json hits = json::array();
  int64_t start = 1714557600000000000;
  for (const std::string& run_id : run_ids) {
    hits.push_back({{"_id", run_id},
                    {"_source",
                     {{"NamespaceId", "ns-1"},
                      {"RunId", run_id},
                      {"WorkflowId", "wf-" + run_id},
                      {"ExecutionStatus", "Running"},
                      {"StartTime", "2024-05-01T10:00:00.000000Z"}}},
                    {"sort", {int64_t{9223372036854775807}, start--, run_id}}});
  }
  return json{{"hits", {{"hits", hits}}}}.dump();
}

TEST_F(ElasticsearchVisibilityStoreTest, ListFirstPageThenASearchAfterPage) {
  http_->Respond(200, SearchResponse({"c", "b", "a"}));
  absl::StatusOr<VisibilityPage> page =
      store_.List("ns-1", Parse("WorkflowType = 'OrderWorkflow'"), 2, "");
  ASSERT_TRUE(page.ok()) << page.status();
  HttpRequest first = OnlyRequest();
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.path, "/tern_visibility_v1_test/_search");
  EXPECT_EQ(first.body,
            R"({"query":{"bool":{"filter":[{"term":{"NamespaceId":"ns-1"}},)"
            R"({"term":{"WorkflowType":"OrderWorkflow"}}],)"
            R"("must_not":[{"exists":{"field":"TemporalNamespaceDivision"}}]}},"size":3,)"
            R"("sort":[{"CloseTime":{"missing":"_first","order":"desc"}},)"
            R"({"StartTime":{"order":"desc"}},{"RunId":{"order":"desc"}}],)"
            R"("track_total_hits":false})");
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].run_id, "c");
  EXPECT_EQ(page->records[1].run_id, "b");
  // The token holds the sort values of the last record returned.
  EXPECT_EQ(page->next_page_token, R"([9223372036854775807,1714557599999999999,"b"])");

  http_->Respond(200, SearchResponse({"a"}));
  page = store_.List("ns-1", Parse("WorkflowType = 'OrderWorkflow'"), 2, page->next_page_token);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(http_->requests().back().body,
            R"({"query":{"bool":{"filter":[{"term":{"NamespaceId":"ns-1"}},)"
            R"({"term":{"WorkflowType":"OrderWorkflow"}}],)"
            R"("must_not":[{"exists":{"field":"TemporalNamespaceDivision"}}]}},)"
            R"("search_after":[9223372036854775807,1714557599999999999,"b"],"size":3,)"
            R"("sort":[{"CloseTime":{"missing":"_first","order":"desc"}},)"
            R"({"StartTime":{"order":"desc"}},{"RunId":{"order":"desc"}}],)"
            R"("track_total_hits":false})");
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].run_id, "a");
  EXPECT_EQ(page->next_page_token, "");
}

TEST_F(ElasticsearchVisibilityStoreTest, ListScopesAndSortsEveryQuery) {
  http_->RespondByDefault(200, SearchResponse({}));
  // No predicate: only the namespace filter; page size 0 is the maximum.
  ASSERT_TRUE(store_.List("ns-1", Parse(""), 0, "").ok());
  json body = json::parse(http_->requests().back().body);
  EXPECT_EQ(body["query"]["bool"]["filter"], json::parse(R"([{"term":{"NamespaceId":"ns-1"}}])"));
  EXPECT_EQ(body["size"], kMaxVisibilityPageSize + 1);
  ASSERT_TRUE(store_.List("ns-1", Parse(""), 5000, "").ok());
  EXPECT_EQ(json::parse(http_->requests().back().body)["size"], kMaxVisibilityPageSize + 1);

  // A query about TemporalNamespaceDivision sees system workflows.
  ASSERT_TRUE(
      store_.List("ns-1", Parse("TemporalNamespaceDivision = 'TemporalScheduler'"), 10, "").ok());
  body = json::parse(http_->requests().back().body);
  EXPECT_FALSE(body["query"]["bool"].contains("must_not"));

  // ORDER BY is the sort, with the run id as the last key so that search_after is exact.
  ASSERT_TRUE(store_.List("ns-1", Parse("ORDER BY StartTime"), 10, "").ok());
  body = json::parse(http_->requests().back().body);
  EXPECT_EQ(body["sort"], json::parse(R"([{"StartTime":{"missing":"_last","order":"asc"}},)"
                                      R"({"RunId":{"order":"desc"}}])"));
  ASSERT_TRUE(store_.List("ns-1", Parse("ORDER BY RunId"), 10, "").ok());
  body = json::parse(http_->requests().back().body);
  EXPECT_EQ(body["sort"], json::parse(R"([{"RunId":{"missing":"_last","order":"asc"}}])"));
}

TEST_F(ElasticsearchVisibilityStoreTest, ListReadsBackWhatUpsertWrote) {
  VisibilityRecord written = ClosedChild();
  json doc = UpsertedDocument(written);
  http_->Respond(200,
                 json{{"hits", {{"hits", {{{"_source", doc}, {"sort", {1, 2, "x"}}}}}}}}.dump());
  absl::StatusOr<VisibilityPage> page = store_.List("ns-1", Parse(""), 10, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  const VisibilityRecord& got = page->records[0];
  EXPECT_EQ(got.namespace_id, written.namespace_id);
  EXPECT_EQ(got.run_id, written.run_id);
  EXPECT_EQ(got.workflow_id, written.workflow_id);
  EXPECT_EQ(got.workflow_type, written.workflow_type);
  EXPECT_EQ(got.task_queue, written.task_queue);
  EXPECT_EQ(got.status, written.status);
  EXPECT_EQ(got.start_time, written.start_time);
  EXPECT_EQ(got.execution_time, written.execution_time);
  EXPECT_EQ(got.close_time, written.close_time);
  EXPECT_EQ(got.execution_duration_nanos, written.execution_duration_nanos);
  EXPECT_EQ(got.history_length, written.history_length);
  EXPECT_EQ(got.history_size_bytes, written.history_size_bytes);
  EXPECT_EQ(got.state_transition_count, written.state_transition_count);
  EXPECT_EQ(got.parent_workflow_id, written.parent_workflow_id);
  EXPECT_EQ(got.parent_run_id, written.parent_run_id);
  EXPECT_EQ(got.root_workflow_id, written.root_workflow_id);
  EXPECT_EQ(got.root_run_id, written.root_run_id);
  EXPECT_EQ(json::parse(got.search_attributes_json), json::parse(written.search_attributes_json));
  EXPECT_EQ(got.memo.fields().at("note").data(), "\"hello\"");
  EXPECT_TRUE(page->next_page_token.empty());
}

TEST_F(ElasticsearchVisibilityStoreTest, BadPageTokensAreInvalidArgumentWithoutARequest) {
  for (const std::string& token : {std::string("garbage\xff"), std::string("[1,2]"),
                                   std::string(R"({"a":1})"), std::string(R"([1,2,[3]])")}) {
    absl::StatusOr<VisibilityPage> page = store_.List("ns-1", Parse(""), 10, token);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_THAT(std::string(page.status().message()), HasSubstr("next_page_token"));
  }
  EXPECT_TRUE(http_->requests().empty());
}

TEST_F(ElasticsearchVisibilityStoreTest, ListErrors) {
  http_->Respond(400,
                 R"({"error":{"root_cause":[{"type":"query_shard_exception",)"
                 R"("reason":"failed to create query"}],"type":"search_phase_execution_exception",)"
                 R"("reason":"all shards failed"},"status":400})");
  absl::StatusOr<VisibilityPage> page = store_.List("ns-1", Parse(""), 10, "");
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(page.status().message(),
            "elasticsearch rejected the request: query_shard_exception: failed to create query");

  http_->Respond(404, R"({"error":{"type":"index_not_found_exception",)"
                      R"("reason":"no such index [tern_visibility_v1_test]"},"status":404})");
  page = store_.List("ns-1", Parse(""), 10, "");
  EXPECT_EQ(page.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(page.status().message(),
            "elasticsearch POST http://es.test:9200/tern_visibility_v1_test/_search: HTTP 404: "
            "index_not_found_exception: no such index [tern_visibility_v1_test]");

  // Responses of an unexpected shape are errors, never exceptions.
  for (const char* body :
       {"not json", "[]", R"({"hits": 5})", R"({"hits":{"hits":[{"_source":{"RunId":7}}]}})",
        R"({"hits":{"hits":[{"_source":{"RunId":"r"}}]}})"}) {
    http_->Respond(200, body);
    page = store_.List("ns-1", Parse(""), 10, "");
    EXPECT_FALSE(page.ok()) << body;
  }

  // The translator's own errors come first.
  absl::StatusOr<visibility::Query> order_by_text =
      visibility::ParseQuery("ORDER BY CustomText", visibility::TestCustomAttributes());
  ASSERT_TRUE(order_by_text.ok());
  page = store_.List("ns-1", *order_by_text, 10, "");
  EXPECT_THAT(std::string(page.status().message()), HasSubstr("operation is not supported"));
}

// ---- Count -------------------------------------------------------------------------------------

TEST_F(ElasticsearchVisibilityStoreTest, CountUsesTheCountApi) {
  http_->Respond(200, R"({"count":42,"_shards":{"total":1}})");
  absl::StatusOr<VisibilityCount> count =
      store_.Count("ns-1", Parse("ExecutionStatus = 'Running'", /*for_count=*/true));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(count->count, 42);
  EXPECT_TRUE(count->groups.empty());
  HttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/tern_visibility_v1_test/_count");
  EXPECT_EQ(request.body, R"({"query":{"bool":{"filter":[{"term":{"NamespaceId":"ns-1"}},)"
                          R"({"term":{"ExecutionStatus":"Running"}}],)"
                          R"("must_not":[{"exists":{"field":"TemporalNamespaceDivision"}}]}}})");
}

TEST_F(ElasticsearchVisibilityStoreTest, GroupByExecutionStatusIsATermsAggregation) {
  http_->Respond(200, R"({"aggregations":{"ExecutionStatus":{"buckets":[
      {"key":"Completed","doc_count":2},{"key":"Running","doc_count":2},
      {"key":"Failed","doc_count":5}]}}})");
  absl::StatusOr<VisibilityCount> count =
      store_.Count("ns-1", Parse("GROUP BY ExecutionStatus", /*for_count=*/true));
  ASSERT_TRUE(count.ok()) << count.status();
  HttpRequest request = OnlyRequest();
  EXPECT_EQ(request.path, "/tern_visibility_v1_test/_search");
  EXPECT_EQ(request.body,
            R"({"aggs":{"ExecutionStatus":{"terms":{"field":"ExecutionStatus"}}},)"
            R"("query":{"bool":{"filter":[{"term":{"NamespaceId":"ns-1"}}],)"
            R"("must_not":[{"exists":{"field":"TemporalNamespaceDivision"}}]}},"size":0,)"
            R"("track_total_hits":false})");
  EXPECT_EQ(count->count, 9);
  // Most frequent first, ties by status number (Running 1 before Completed 2).
  ASSERT_EQ(count->groups.size(), 3u);
  EXPECT_EQ(std::get<int64_t>(count->groups[0].value), enums::WORKFLOW_EXECUTION_STATUS_FAILED);
  EXPECT_EQ(count->groups[0].count, 5);
  EXPECT_EQ(std::get<int64_t>(count->groups[1].value), enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(std::get<int64_t>(count->groups[2].value), enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
}

// ---- Index setup and search attributes ---------------------------------------------------------

TEST_F(ElasticsearchVisibilityStoreTest, SetupInstallsTheTemplateAndCreatesTheIndex) {
  std::ifstream file(std::string(TERN_SOURCE_DIR) +
                     "/schema/elasticsearch/visibility/index_template_v1.json");
  std::stringstream text;
  text << file.rdbuf();
  json index_template = json::parse(text.str());

  http_->Respond(200, R"({"acknowledged":true})");
  http_->Respond(200, R"({"acknowledged":true})");
  ASSERT_TRUE(store_.SetupIndex().ok());
  std::vector<HttpRequest> requests = http_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].path, "/_index_template/tern_visibility_v1");
  EXPECT_EQ(json::parse(requests[0].body), index_template);
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].path, "/tern_visibility_v1_test");
  EXPECT_EQ(json::parse(requests[1].body), index_template["template"]);

  // Again: the index exists, which is fine.
  http_->Respond(200, R"({"acknowledged":true})");
  http_->Respond(400, R"({"error":{"type":"resource_already_exists_exception",)"
                      R"("reason":"index already exists"},"status":400})");
  EXPECT_TRUE(store_.SetupIndex().ok());

  http_->Respond(401, R"({"error":{"type":"security_exception","reason":"missing credentials"}})");
  absl::Status status = store_.SetupIndex();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("PUT http://es.test:9200/_index_template/tern_visibility_v1: HTTP 401: "
                        "security_exception: missing credentials"));
}

TEST_F(ElasticsearchVisibilityStoreTest, CheckIndexNamesTheSetupCommand) {
  http_->Respond(200, "");
  EXPECT_TRUE(store_.CheckIndex().ok());
  EXPECT_EQ(OnlyRequest().method, "HEAD");
  EXPECT_EQ(OnlyRequest().path, "/tern_visibility_v1_test");
  http_->Respond(404, "");
  absl::Status status = store_.CheckIndex();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("tern schema setup"));
}

TEST_F(ElasticsearchVisibilityStoreTest, SearchAttributeMappingsArePutOnTheIndex) {
  ASSERT_TRUE(store_.AddSearchAttributeMappings({}).ok());
  EXPECT_TRUE(http_->requests().empty());
  http_->Respond(200, R"({"acknowledged":true})");
  ASSERT_TRUE(
      store_
          .AddSearchAttributeMappings({{"CustomInt", enums::INDEXED_VALUE_TYPE_INT},
                                       {"CustomList", enums::INDEXED_VALUE_TYPE_KEYWORD_LIST},
                                       {"CustomText", enums::INDEXED_VALUE_TYPE_TEXT}})
          .ok());
  HttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.path, "/tern_visibility_v1_test/_mapping");
  EXPECT_EQ(request.body,
            R"({"properties":{"CustomInt":{"type":"long"},"CustomList":{"type":"keyword"},)"
            R"("CustomText":{"type":"text"}}})");

  http_->Respond(
      400, R"({"error":{"type":"illegal_argument_exception",)"
           R"("reason":"mapper [CustomInt] cannot be changed from type [long] to [keyword]"}})");
  absl::Status status =
      store_.AddSearchAttributeMappings({{"CustomInt", enums::INDEXED_VALUE_TYPE_KEYWORD}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot be changed from type [long]"));
}

// ---- the libcurl client ------------------------------------------------------------------------

// A TCP socket listening on 127.0.0.1 and a free port; closed on destruction.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_); }

  // Accepts one connection, reads one request (headers and Content-Length body) and answers
  // with `response`. Returns the raw request.
  std::string ServeOne(const std::string& response) {
    int conn = accept(fd_, nullptr, nullptr);
    if (conn < 0) return "";
    std::string request;
    char buffer[4096];
    size_t body_start = std::string::npos, length = 0;
    while (body_start == std::string::npos || request.size() < body_start + length) {
      ssize_t n = read(conn, buffer, sizeof(buffer));
      if (n <= 0) break;
      request.append(buffer, n);
      if (body_start == std::string::npos && request.find("\r\n\r\n") != std::string::npos) {
        body_start = request.find("\r\n\r\n") + 4;
        size_t header = request.find("Content-Length: ");
        if (header != std::string::npos && header < body_start) {
          length = std::stoul(request.substr(header + 16));
        }
      }
    }
    EXPECT_EQ(write(conn, response.data(), response.size()), static_cast<ssize_t>(response.size()));
    close(conn);
    return request;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(CurlHttpClientTest, SendsTheRequestWithBasicAuthAndReturnsAnyStatus) {
  Listener listener;
  std::unique_ptr<HttpClient> client = NewCurlHttpClient(
      {.base_url = listener.Url(), .username = "elastic", .password = "changeme"});
  std::string request;
  std::thread server([&] {
    request = listener.ServeOne(
        "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
        "Connection: close\r\n\r\n{\"a\":\"b\"}\r\n");
  });
  absl::StatusOr<HttpResponse> response =
      client->Send({.method = "PUT", .path = "/idx/_doc/r1?version=3", .body = R"({"x":1})"});
  server.join();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 409);
  EXPECT_EQ(response->body, "{\"a\":\"b\"}\r\n");
  EXPECT_THAT(request, HasSubstr("PUT /idx/_doc/r1?version=3 HTTP/1.1\r\n"));
  // base64("elastic:changeme")
  EXPECT_THAT(request, HasSubstr("Authorization: Basic ZWxhc3RpYzpjaGFuZ2VtZQ==\r\n"));
  EXPECT_THAT(request, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\n\r\n{\"x\":1}"));
}

TEST(CurlHttpClientTest, NoResponseIsUnavailableWithTheUrl) {
  std::string refused_url;
  {
    Listener closed;
    refused_url = closed.Url();
  }
  std::unique_ptr<HttpClient> client = NewCurlHttpClient({.base_url = refused_url});
  absl::StatusOr<HttpResponse> response = client->Send({.method = "GET", .path = "/"});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()),
              HasSubstr(absl::StrCat("elasticsearch GET ", refused_url, "/: ")));

  // A server that never answers: the request times out.
  Listener silent;
  client = NewCurlHttpClient(
      {.base_url = silent.Url(), .request_timeout = std::chrono::milliseconds(200)});
  auto start = std::chrono::steady_clock::now();
  response = client->Send({.method = "POST", .path = "/idx/_search", .body = "{}"});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("/idx/_search"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace tern::persistence::elasticsearch
