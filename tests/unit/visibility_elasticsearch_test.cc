// Elasticsearch translation of visibility queries, and the index template that goes with it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/visibility_test_util.h"
#include "visibility/elasticsearch.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;
using nlohmann::json;

const CustomSearchAttributes& Custom() { return TestCustomAttributes(); }

struct Case {
  std::string query;
  std::string expected_query;  // JSON of the "query" part
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.query; }

absl::StatusOr<json> Translate(std::string_view text) {
  absl::StatusOr<Query> query = ParseQuery(text, Custom());
  if (!query.ok()) return query.status();
  return ToElasticsearch(*query);
}

class ElasticsearchTranslationTest : public testing::TestWithParam<Case> {};

TEST_P(ElasticsearchTranslationTest, ProducesExpectedQuery) {
  const Case& c = GetParam();
  absl::StatusOr<json> body = Translate(c.query);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ((*body)["query"], json::parse(c.expected_query)) << (*body)["query"].dump();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ElasticsearchTranslationTest,
    testing::Values(
        Case{"", R"({"match_all": {}})"},
        Case{"WorkflowId = 'wid'", R"({"term": {"WorkflowId": "wid"}})"},
        Case{"WorkflowId != 'wid'", R"({"bool": {"must_not": [{"term": {"WorkflowId": "wid"}}]}})"},
        Case{"ParentWorkflowId != 'p'",
             R"({"bool": {"filter": [{"exists": {"field": "ParentWorkflowId"}}],
                          "must_not": [{"term": {"ParentWorkflowId": "p"}}]}})"},
        Case{"ExecutionStatus = 'Running'", R"({"term": {"ExecutionStatus": "Running"}})"},
        Case{"ExecutionStatus IN (2, 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW')",
             R"({"terms": {"ExecutionStatus": ["Completed", "ContinuedAsNew"]}})"},
        Case{"ExecutionStatus NOT IN ('Failed')",
             R"({"bool": {"must_not": [{"terms": {"ExecutionStatus": ["Failed"]}}]}})"},
        Case{"StartTime > '2024-05-01T12:00:00+02:00'",
             R"({"range": {"StartTime": {"gt": "2024-05-01T10:00:00.000000Z"}}})"},
        Case{"CloseTime <= 1714557600000000000",
             R"({"range": {"CloseTime": {"lte": "2024-05-01T10:00:00.000000Z"}}})"},
        Case{"ExecutionTime >= 0",
             R"({"range": {"ExecutionTime": {"gte": "1970-01-01T00:00:00.000000Z"}}})"},
        Case{"HistoryLength < 10", R"({"range": {"HistoryLength": {"lt": 10}}})"},
        Case{"ExecutionDuration BETWEEN '1m' AND '1h'",
             R"({"range": {"ExecutionDuration": {"gte": 60000000000, "lte": 3600000000000}}})"},
        Case{"CloseTime NOT BETWEEN 0 AND 1000",
             R"({"bool": {"filter": [{"exists": {"field": "CloseTime"}}],
                          "must_not": [{"range": {"CloseTime": {
                              "gte": "1970-01-01T00:00:00.000000Z",
                              "lte": "1970-01-01T00:00:00.000001Z"}}}]}})"},
        Case{"WorkflowType STARTS_WITH 'order_'", R"({"prefix": {"WorkflowType": "order_"}})"},
        Case{"CustomKeyword NOT STARTS_WITH 'x'",
             R"({"bool": {"filter": [{"exists": {"field": "CustomKeyword"}}],
                          "must_not": [{"prefix": {"CustomKeyword": "x"}}]}})"},
        Case{"CloseTime IS NULL",
             R"({"bool": {"must_not": [{"exists": {"field": "CloseTime"}}]}})"},
        Case{"CloseTime IS NOT NULL", R"({"exists": {"field": "CloseTime"}})"},
        Case{"CustomText = 'hello world'", R"({"match": {"CustomText": "hello world"}})"},
        Case{"CustomText != 'hello'",
             R"({"bool": {"filter": [{"exists": {"field": "CustomText"}}],
                          "must_not": [{"match": {"CustomText": "hello"}}]}})"},
        Case{"CustomList = 'a'", R"({"term": {"CustomList": "a"}})"},
        Case{"CustomList NOT IN ('a', 'b')",
             R"({"bool": {"filter": [{"exists": {"field": "CustomList"}}],
                          "must_not": [{"terms": {"CustomList": ["a", "b"]}}]}})"},
        Case{"CustomInt IN (1, 2)", R"({"terms": {"CustomInt": [1, 2]}})"},
        Case{"CustomDouble > 2.5", R"({"range": {"CustomDouble": {"gt": 2.5}}})"},
        Case{"CustomBool = false", R"({"term": {"CustomBool": false}})"},
        Case{"CustomDatetime = '2024-05-01T10:00:00.5Z'",
             R"({"term": {"CustomDatetime": "2024-05-01T10:00:00.500000Z"}})"},
        Case{"ChangeVersion = 'v1'", R"({"term": {"TemporalChangeVersion": "v1"}})"},
        Case{"WorkflowId = 'a' AND RunId = 'b' AND TaskQueue = 'q'",
             R"({"bool": {"filter": [{"term": {"WorkflowId": "a"}}, {"term": {"RunId": "b"}},
                                     {"term": {"TaskQueue": "q"}}]}})"},
        Case{"WorkflowId = 'a' OR RunId = 'b'",
             R"({"bool": {"should": [{"term": {"WorkflowId": "a"}}, {"term": {"RunId": "b"}}],
                          "minimum_should_match": 1}})"},
        Case{"(WorkflowId = 'a' OR RunId = 'b') OR TaskQueue = 'q'",
             R"({"bool": {"should": [{"term": {"WorkflowId": "a"}}, {"term": {"RunId": "b"}},
                                     {"term": {"TaskQueue": "q"}}],
                          "minimum_should_match": 1}})"},
        Case{"WorkflowType = 't' AND (CloseTime IS NULL OR HistoryLength > 5)",
             R"({"bool": {"filter": [
                  {"term": {"WorkflowType": "t"}},
                  {"bool": {"should": [
                      {"bool": {"must_not": [{"exists": {"field": "CloseTime"}}]}},
                      {"range": {"HistoryLength": {"gt": 5}}}],
                   "minimum_should_match": 1}}]}})"},
        Case{"WorkflowType = 't' AND CustomKeyword != 'k' AND CloseTime IS NULL",
             R"({"bool": {"filter": [{"term": {"WorkflowType": "t"}},
                                     {"exists": {"field": "CustomKeyword"}}],
                          "must_not": [{"term": {"CustomKeyword": "k"}},
                                       {"exists": {"field": "CloseTime"}}]}})"},
        Case{"NOT WorkflowId = 'a'", R"({"bool": {"must_not": [{"term": {"WorkflowId": "a"}}]}})"},
        Case{"NOT CloseTime IS NULL", R"({"exists": {"field": "CloseTime"}})"},
        Case{"NOT (WorkflowId = 'a' OR RunId = 'b')",
             R"({"bool": {"must_not": [{"bool": {
                  "should": [{"term": {"WorkflowId": "a"}}, {"term": {"RunId": "b"}}],
                  "minimum_should_match": 1}}]}})"},
        Case{"NOT CustomKeyword != 'k'",
             R"({"bool": {"must_not": [{"bool": {
                  "filter": [{"exists": {"field": "CustomKeyword"}}],
                  "must_not": [{"term": {"CustomKeyword": "k"}}]}}]}})"}));

TEST(ElasticsearchTranslationTest, DefaultSortPutsRunningFirstThenNewest) {
  absl::StatusOr<json> body = Translate("WorkflowId = 'a'");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ((*body)["sort"], json::parse(R"([
      {"CloseTime": {"order": "desc", "missing": "_first"}},
      {"StartTime": {"order": "desc"}},
      {"RunId": {"order": "desc"}}])"));
}

TEST(ElasticsearchTranslationTest, OrderByBecomesSort) {
  absl::StatusOr<json> body = Translate("ORDER BY StartTime DESC, CustomInt, WorkflowId asc");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, json::parse(R"({
      "query": {"match_all": {}},
      "sort": [{"StartTime": {"order": "desc", "missing": "_last"}},
               {"CustomInt": {"order": "asc", "missing": "_last"}},
               {"WorkflowId": {"order": "asc", "missing": "_last"}}]})"));
}

TEST(ElasticsearchTranslationTest, RejectsOrderByText) {
  absl::StatusOr<json> body = Translate("WorkflowId = 'a' ORDER BY StartTime, CustomText DESC");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(body.status().message()),
            "invalid query: operation is not supported: ORDER BY Text attribute 'CustomText' at "
            "column 38");
}

TEST(ElasticsearchTranslationTest, CountWithoutGroupByIsAPlainQuery) {
  absl::StatusOr<Query> query = ParseQuery("WorkflowType = 't' ORDER BY StartTime", Custom());
  ASSERT_TRUE(query.ok()) << query.status();
  absl::StatusOr<json> body = ToElasticsearchCount(*query);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, json::parse(R"({"query": {"term": {"WorkflowType": "t"}}})"));
}

TEST(ElasticsearchTranslationTest, CountGroupByExecutionStatusIsATermsAggregation) {
  absl::StatusOr<Query> query =
      ParseQuery("CustomBool = true GROUP BY ExecutionStatus", Custom(), {.for_count = true});
  ASSERT_TRUE(query.ok()) << query.status();
  absl::StatusOr<json> body = ToElasticsearchCount(*query);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, json::parse(R"({
      "query": {"term": {"CustomBool": true}},
      "size": 0,
      "aggs": {"ExecutionStatus": {"terms": {"field": "ExecutionStatus"}}}})"));
}

TEST(ElasticsearchTranslationTest, FieldMappingPerType) {
  EXPECT_EQ(ElasticsearchFieldMapping(enums::INDEXED_VALUE_TYPE_KEYWORD)["type"], "keyword");
  EXPECT_EQ(ElasticsearchFieldMapping(enums::INDEXED_VALUE_TYPE_KEYWORD_LIST)["type"], "keyword");
  EXPECT_EQ(ElasticsearchFieldMapping(enums::INDEXED_VALUE_TYPE_TEXT)["type"], "text");
  EXPECT_EQ(ElasticsearchFieldMapping(enums::INDEXED_VALUE_TYPE_INT)["type"], "long");
  EXPECT_EQ(ElasticsearchFieldMapping(enums::INDEXED_VALUE_TYPE_DOUBLE)["type"], "double");
  EXPECT_EQ(ElasticsearchFieldMapping(enums::INDEXED_VALUE_TYPE_BOOL)["type"], "boolean");
  EXPECT_EQ(ElasticsearchFieldMapping(enums::INDEXED_VALUE_TYPE_DATETIME)["type"], "date_nanos");
}

// The checked-in index template maps every built-in attribute the way the translation and
// ElasticsearchFieldMapping expect, and sorts the index like the default sort.
TEST(ElasticsearchIndexTemplateTest, MapsEveryBuiltInAttribute) {
  std::ifstream file(std::string(TERN_SOURCE_DIR) +
                     "/schema/elasticsearch/visibility/index_template_v1.json");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  json index_template = json::parse(text.str());
  const json& properties = index_template["template"]["mappings"]["properties"];
  for (const BuiltInAttribute& attribute : BuiltInAttributes()) {
    std::string name(attribute.name);
    ASSERT_TRUE(properties.contains(name)) << name;
    EXPECT_EQ(properties[name], ElasticsearchFieldMapping(attribute.type)) << name;
  }
  EXPECT_EQ(properties["NamespaceId"], json::parse(R"({"type": "keyword"})"));
  EXPECT_EQ(index_template["template"]["mappings"]["dynamic"], false);
  const json& settings = index_template["template"]["settings"]["index"];
  EXPECT_EQ(settings["sort.field"], json::parse(R"(["CloseTime", "StartTime", "RunId"])"));
  EXPECT_EQ(settings["sort.order"], json::parse(R"(["desc", "desc", "desc"])"));
  EXPECT_EQ(settings["sort.missing"], json::parse(R"(["_first", "_last", "_last"])"));
}

}  // namespace
}  // namespace tern::visibility
