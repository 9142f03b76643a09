// PostgreSQL translation of visibility queries: the SQL text and the parameters.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/visibility_test_util.h"
#include "visibility/postgres.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;

const CustomSearchAttributes& Custom() { return TestCustomAttributes(); }

struct Case {
  std::string query;
  std::string sql;
  std::vector<std::string> params;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.query; }

absl::StatusOr<SqlFilter> Translate(std::string_view text, int param_offset = 0) {
  absl::StatusOr<Query> query = ParseQuery(text, Custom(), {.for_count = true});
  if (!query.ok()) return query.status();
  return ToPostgresWhere(*query, param_offset);
}

class PostgresTranslationTest : public testing::TestWithParam<Case> {};

TEST_P(PostgresTranslationTest, ProducesExpectedSqlAndParams) {
  const Case& c = GetParam();
  absl::StatusOr<SqlFilter> filter = Translate(c.query);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->sql, c.sql);
  EXPECT_EQ(filter->params, c.params);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PostgresTranslationTest,
    testing::Values(
        Case{"", "TRUE", {}}, Case{"WorkflowId = 'wid'", "workflow_id = $1", {"wid"}},
        Case{"RunId != 'r'", "run_id != $1", {"r"}},
        Case{"WorkflowType IN ('a', 'b')", "workflow_type IN ($1, $2)", {"a", "b"}},
        Case{"TaskQueue NOT IN ('q')", "task_queue NOT IN ($1)", {"q"}},
        Case{"RootWorkflowId < 'm'", "root_workflow_id < $1", {"m"}},
        Case{"WorkflowId STARTS_WITH 'a_b%c!'", "workflow_id LIKE $1 ESCAPE '!'", {"a!_b!%c!!%"}},
        Case{"WorkflowId NOT STARTS_WITH 'x'", "workflow_id NOT LIKE $1 ESCAPE '!'", {"x%"}},
        Case{"ExecutionStatus = 'Running'", "status = $1::integer", {"1"}},
        Case{"ExecutionStatus IN ('Completed', 'Failed')",
             "status IN ($1::integer, $2::integer)",
             {"2", "3"}},
        Case{"StartTime > '2024-05-01T10:00:00Z'",
             "start_time > $1::timestamptz",
             {"2024-05-01T10:00:00.000000Z"}},
        Case{"CloseTime BETWEEN '2024-05-01T00:00:00Z' AND 1714557600000000000",
             "close_time BETWEEN $1::timestamptz AND $2::timestamptz",
             {"2024-05-01T00:00:00.000000Z", "2024-05-01T10:00:00.000000Z"}},
        Case{"CloseTime IS NULL", "close_time IS NULL", {}},
        Case{"ParentWorkflowId IS NOT NULL", "parent_workflow_id IS NOT NULL", {}},
        Case{"ExecutionDuration >= '1h'", "execution_duration >= $1::bigint", {"3600000000000"}},
        Case{"HistoryLength NOT BETWEEN 1 AND 5",
             "history_length NOT BETWEEN $1::bigint AND $2::bigint",
             {"1", "5"}},
        Case{"WorkflowId = 'a' AND RunId = 'b'", "(workflow_id = $1 AND run_id = $2)", {"a", "b"}},
        Case{"WorkflowId = 'a' OR (RunId = 'b' AND TaskQueue = 'q')",
             "(workflow_id = $1 OR (run_id = $2 AND task_queue = $3))",
             {"a", "b", "q"}},
        Case{"NOT WorkflowId = 'a'", "NOT (workflow_id = $1)", {"a"}},
        Case{"NOT (WorkflowId = 'a' OR RunId = 'b')",
             "NOT (workflow_id = $1 OR run_id = $2)",
             {"a", "b"}},
        Case{"NOT CloseTime > 0",
             "(close_time > $1::timestamptz) IS NOT TRUE",
             {"1970-01-01T00:00:00.000000Z"}},
        Case{"NOT (WorkflowId = 'a' AND ParentRunId = 'p')",
             "(workflow_id = $1 AND parent_run_id = $2) IS NOT TRUE",
             {"a", "p"}},
        Case{"NOT NOT CloseTime IS NULL", "NOT (NOT (close_time IS NULL))", {}},
        Case{"CustomKeyword = 'k'", "search_attributes @> $1::jsonb", {R"({"CustomKeyword":"k"})"}},
        Case{"CustomKeyword = 'a\"b\\\\c'",
             "search_attributes @> $1::jsonb",
             {R"({"CustomKeyword":"a\"b\\c"})"}},
        Case{"CustomKeyword = 'héllo'",
             "search_attributes @> $1::jsonb",
             {R"({"CustomKeyword":"héllo"})"}},
        Case{"CustomKeyword != 'k'", "(search_attributes->>'CustomKeyword') != $1", {"k"}},
        Case{"CustomKeyword > 'k'",
             "(search_attributes->>'CustomKeyword') COLLATE \"C\" > $1",
             {"k"}},
        Case{"CustomKeyword IN ('a', 'b')",
             "(search_attributes @> $1::jsonb OR search_attributes @> $2::jsonb)",
             {R"({"CustomKeyword":"a"})", R"({"CustomKeyword":"b"})"}},
        Case{"CustomKeyword NOT IN ('a')",
             "(search_attributes->>'CustomKeyword') NOT IN ($1)",
             {"a"}},
        Case{"CustomKeyword STARTS_WITH 'pre'",
             "(search_attributes->>'CustomKeyword') LIKE $1 ESCAPE '!'",
             {"pre%"}},
        Case{"CustomKeyword BETWEEN 'a' AND 'c'",
             "(search_attributes->>'CustomKeyword') COLLATE \"C\" BETWEEN $1 AND $2",
             {"a", "c"}},
        Case{"CustomKeyword IS NULL", "NOT (search_attributes ? 'CustomKeyword')", {}},
        Case{"CustomKeyword IS NOT NULL", "search_attributes ? 'CustomKeyword'", {}},
        Case{"`it's` != 'x'", "(search_attributes->>'it''s') != $1", {"x"}},
        Case{"CustomInt = 5", "search_attributes @> $1::jsonb", {R"({"CustomInt":5})"}},
        Case{"CustomInt > 5", "(search_attributes->'CustomInt')::bigint > $1::bigint", {"5"}},
        Case{"CustomInt NOT IN (1, -2)",
             "(search_attributes->'CustomInt')::bigint NOT IN ($1::bigint, $2::bigint)",
             {"1", "-2"}},
        Case{"CustomDouble <= 2.5",
             "(search_attributes->'CustomDouble')::numeric <= $1::numeric",
             {"2.5"}},
        Case{"CustomDouble = 0.1", "search_attributes @> $1::jsonb", {R"({"CustomDouble":0.1})"}},
        Case{"CustomBool = true", "search_attributes @> $1::jsonb", {R"({"CustomBool":true})"}},
        Case{"CustomBool != true",
             "(search_attributes->'CustomBool')::boolean != $1::boolean",
             {"true"}},
        Case{"CustomDatetime = '2024-05-01T10:00:00Z'",
             "search_attributes @> $1::jsonb",
             {R"({"CustomDatetime":"2024-05-01T10:00:00.000000Z"})"}},
        Case{"CustomDatetime < '2024-05-01T10:00:00Z'",
             "(search_attributes->>'CustomDatetime') COLLATE \"C\" < $1",
             {"2024-05-01T10:00:00.000000Z"}},
        Case{"CustomList = 'a'", "search_attributes @> $1::jsonb", {R"({"CustomList":["a"]})"}},
        Case{"CustomList IN ('a', 'b')",
             "(search_attributes @> $1::jsonb OR search_attributes @> $2::jsonb)",
             {R"({"CustomList":["a"]})", R"({"CustomList":["b"]})"}},
        Case{"CustomList != 'a'",
             "(search_attributes ? 'CustomList' AND NOT (search_attributes @> $1::jsonb))",
             {R"({"CustomList":["a"]})"}},
        Case{"CustomList NOT IN ('a', 'b')",
             "(search_attributes ? 'CustomList' AND NOT (search_attributes @> $1::jsonb OR "
             "search_attributes @> $2::jsonb))",
             {R"({"CustomList":["a"]})", R"({"CustomList":["b"]})"}},
        Case{"CustomText = ' hello  wo''rld '",
             "to_tsvector('simple', search_attributes->>'CustomText') @@ "
             "to_tsquery('simple', $1)",
             {"'hello' | 'wo''rld'"}},
        Case{"CustomText != 'a\\\\b'",
             "NOT (to_tsvector('simple', search_attributes->>'CustomText') @@ "
             "to_tsquery('simple', $1))",
             {"'a\\\\b'"}},
        Case{"NOT CustomKeyword = 'k'",
             "NOT (search_attributes @> $1::jsonb)",
             {R"({"CustomKeyword":"k"})"}},
        Case{"NOT CustomKeyword != 'k'",
             "((search_attributes->>'CustomKeyword') != $1) IS NOT TRUE",
             {"k"}},
        Case{"ChangeVersion = 'v1' AND BatcherUser = 'u'",
             "(search_attributes @> $1::jsonb AND search_attributes @> $2::jsonb)",
             {R"({"TemporalChangeVersion":["v1"]})", R"({"BatcherUser":"u"})"}},
        Case{"TemporalSchedulePaused IS NULL",
             "NOT (search_attributes ? 'TemporalSchedulePaused')",
             {}}));

TEST(PostgresTranslationTest, NumbersPlaceholdersAfterTheCallersParameters) {
  absl::StatusOr<SqlFilter> filter = Translate("WorkflowId = 'a' AND CustomInt > 3", 2);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->sql,
            "(workflow_id = $3 AND (search_attributes->'CustomInt')::bigint > $4::bigint)");
  EXPECT_EQ(filter->params, (std::vector<std::string>{"a", "3"}));
  EXPECT_EQ(filter->group_by_column, std::nullopt);
}

TEST(PostgresTranslationTest, GroupByExecutionStatusNamesTheStatusColumn) {
  absl::StatusOr<SqlFilter> filter = Translate("WorkflowType = 't' GROUP BY ExecutionStatus");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->sql, "workflow_type = $1");
  EXPECT_EQ(filter->group_by_column, "status");
}

TEST(PostgresTranslationTest, RejectsOrderBy) {
  absl::StatusOr<SqlFilter> filter = Translate("WorkflowId = 'a' ORDER BY StartTime DESC");
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(filter.status().message()),
            "invalid query: operation is not supported: ORDER BY with SQL visibility at column 18");
}

}  // namespace
}  // namespace tern::visibility
