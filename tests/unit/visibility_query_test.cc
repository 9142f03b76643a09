// Parser of the visibility list filter language: AST shape (via DebugString) for valid queries,
// exact messages and columns for invalid ones, name resolution and value formats.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/visibility_test_util.h"
#include "visibility/query.h"
#include "visibility/search_attributes.h"
#include "visibility/values.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;

const CustomSearchAttributes& Custom() { return TestCustomAttributes(); }

struct Case {
  std::string query;
  std::string expected;  // DebugString for valid queries, the status message for invalid ones
  bool for_count = false;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.query; }

class ValidQueryTest : public testing::TestWithParam<Case> {};

TEST_P(ValidQueryTest, ParsesToExpectedTree) {
  const Case& c = GetParam();
  absl::StatusOr<Query> query = ParseQuery(c.query, Custom(), {.for_count = c.for_count});
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(DebugString(*query), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidQueryTest,
    testing::Values(
        Case{"", "TRUE"}, Case{"  \n\t ", "TRUE"},
        Case{"WorkflowId = 'wid'", R"((= WorkflowId:Keyword "wid"))"},
        Case{R"(WorkflowId = "double")", R"((= WorkflowId:Keyword "double"))"},
        Case{"WorkflowId = 'it''s'", R"((= WorkflowId:Keyword "it's"))"},
        Case{R"(WorkflowId = "say ""hi""")", R"((= WorkflowId:Keyword "say \"hi\""))"},
        Case{R"(WorkflowId = 'a\'b\\c')", R"((= WorkflowId:Keyword "a'b\\c"))"},
        Case{"WorkflowId = 'héllo'", R"((= WorkflowId:Keyword "héllo"))"},
        Case{"WorkflowId != 'x'", R"((!= WorkflowId:Keyword "x"))"},
        Case{"WorkflowId <> 'x'", R"((!= WorkflowId:Keyword "x"))"},
        Case{"WorkflowType < 'm'", R"((< WorkflowType:Keyword "m"))"},
        Case{"WorkflowType <= 'm'", R"((<= WorkflowType:Keyword "m"))"},
        Case{"WorkflowType > 'm'", R"((> WorkflowType:Keyword "m"))"},
        Case{"WorkflowType >= 'm'", R"((>= WorkflowType:Keyword "m"))"},
        Case{"WorkflowId STARTS_WITH 'order-'", R"((STARTS_WITH WorkflowId:Keyword "order-"))"},
        Case{"WorkflowId not starts_with 'x_'", R"((NOT STARTS_WITH WorkflowId:Keyword "x_"))"},
        Case{"ExecutionStatus = 'Running'", "(= ExecutionStatus:Keyword 1)"},
        Case{"ExecutionStatus = 'timedout'", "(= ExecutionStatus:Keyword 7)"},
        Case{"ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW'",
             "(= ExecutionStatus:Keyword 6)"},
        Case{"ExecutionStatus != 3", "(!= ExecutionStatus:Keyword 3)"},
        Case{"ExecutionStatus IN ('Completed', 'Failed', 'Canceled', 'Terminated')",
             "(IN ExecutionStatus:Keyword 2 3 4 5)"},
        Case{"ExecutionStatus NOT IN ('Paused')", "(NOT IN ExecutionStatus:Keyword 8)"},
        Case{"StartTime > '2024-05-01T10:00:00Z'",
             "(> StartTime:Datetime 2024-05-01T10:00:00.000000Z)"},
        Case{"StartTime >= '2024-05-01T12:00:00.123456789+02:00'",
             "(>= StartTime:Datetime 2024-05-01T10:00:00.123456Z)"},
        Case{"CloseTime < 1714557600000000999",
             "(< CloseTime:Datetime 2024-05-01T10:00:00.000000Z)"},
        Case{"StartTime BETWEEN '2024-01-01T00:00:00Z' AND '2024-02-01T00:00:00.5Z'",
             "(BETWEEN StartTime:Datetime 2024-01-01T00:00:00.000000Z "
             "2024-02-01T00:00:00.500000Z)"},
        Case{"ExecutionTime NOT BETWEEN 0 AND 1000",
             "(NOT BETWEEN ExecutionTime:Datetime 1970-01-01T00:00:00.000000Z "
             "1970-01-01T00:00:00.000001Z)"},
        Case{"CloseTime IS NULL", "(IS NULL CloseTime:Datetime)"},
        Case{"CloseTime is not null", "(IS NOT NULL CloseTime:Datetime)"},
        Case{"ExecutionDuration > '300ms'", "(> ExecutionDuration:Int 300000000)"},
        Case{"ExecutionDuration < '2h45m'", "(< ExecutionDuration:Int 9900000000000)"},
        Case{"ExecutionDuration >= '1d'", "(>= ExecutionDuration:Int 86400000000000)"},
        Case{"ExecutionDuration <= '01:30:00'", "(<= ExecutionDuration:Int 5400000000000)"},
        Case{"ExecutionDuration = 1500", "(= ExecutionDuration:Int 1500)"},
        Case{"ExecutionDuration IN ('1.5s', '2us')", "(IN ExecutionDuration:Int 1500000000 2000)"},
        Case{"HistoryLength > 10", "(> HistoryLength:Int 10)"},
        Case{"HistoryLength = 5.0", "(= HistoryLength:Int 5)"},
        Case{"HistorySizeBytes BETWEEN 1e3 AND 2048", "(BETWEEN HistorySizeBytes:Int 1000 2048)"},
        Case{"StateTransitionCount IN (1, 2, 3)", "(IN StateTransitionCount:Int 1 2 3)"},
        Case{"WorkflowId = 'a' AND RunId = 'b' AND TaskQueue = 'q'",
             R"((AND (= WorkflowId:Keyword "a") (= RunId:Keyword "b") (= TaskQueue:Keyword "q")))"},
        Case{"WorkflowId = 'a' OR RunId = 'b' AND TaskQueue = 'q'",
             R"((OR (= WorkflowId:Keyword "a") (AND (= RunId:Keyword "b") )"
             R"((= TaskQueue:Keyword "q"))))"},
        Case{"(WorkflowId = 'a' OR RunId = 'b') AND TaskQueue = 'q'",
             R"((AND (OR (= WorkflowId:Keyword "a") (= RunId:Keyword "b")) )"
             R"((= TaskQueue:Keyword "q")))"},
        Case{"NOT WorkflowId = 'x'", R"((NOT (= WorkflowId:Keyword "x")))"},
        Case{"NOT (WorkflowId = 'x' OR CloseTime IS NULL)",
             R"((NOT (OR (= WorkflowId:Keyword "x") (IS NULL CloseTime:Datetime))))"},
        Case{"not not ((RunId = 'r'))", R"((NOT (NOT (= RunId:Keyword "r"))))"},
        Case{"WorkflowId='a'AND\nRunId='b'or TaskQueue in('q')",
             R"((OR (AND (= WorkflowId:Keyword "a") (= RunId:Keyword "b")) )"
             R"((IN TaskQueue:Keyword "q")))"},
        Case{"ORDER BY StartTime", "TRUE ORDER BY StartTime ASC"},
        Case{"WorkflowType = 'x' order by StartTime desc, `WorkflowId` asc",
             R"((= WorkflowType:Keyword "x") ORDER BY StartTime DESC, WorkflowId ASC)"},
        Case{"GROUP BY ExecutionStatus", "TRUE GROUP BY ExecutionStatus", true},
        Case{"WorkflowType = 'x' group by ExecutionStatus order by StartTime",
             R"((= WorkflowType:Keyword "x") GROUP BY ExecutionStatus ORDER BY StartTime ASC)",
             true},
        Case{"CustomKeyword = 'k'", R"((= CustomKeyword:Keyword "k"))"},
        Case{"CustomText = 'hello world'", R"((= CustomText:Text "hello world"))"},
        Case{"CustomText != 'foo'", R"((!= CustomText:Text "foo"))"},
        Case{"CustomInt >= -5 AND CustomInt < +7 AND CustomInt != '42'",
             "(AND (>= CustomInt:Int -5) (< CustomInt:Int 7) (!= CustomInt:Int 42))"},
        Case{"CustomDouble < 2.5 OR CustomDouble = 3",
             "(OR (< CustomDouble:Double 2.5) "
             "(= CustomDouble:Double 3))"},
        Case{"CustomDouble BETWEEN -1.5 AND .25", "(BETWEEN CustomDouble:Double -1.5 0.25)"},
        Case{"CustomBool = true AND CustomBool != FALSE AND CustomBool = 'True'",
             "(AND (= CustomBool:Bool true) (!= CustomBool:Bool false) (= CustomBool:Bool true))"},
        Case{"CustomDatetime < '2024-05-01T10:00:00Z'",
             "(< CustomDatetime:Datetime 2024-05-01T10:00:00.000000Z)"},
        Case{"CustomList = 'a' OR CustomList IN ('b', 'c')",
             R"((OR (= CustomList:KeywordList "a") (IN CustomList:KeywordList "b" "c")))"},
        Case{"`odd name` = 'v'", R"((= odd name:Keyword "v"))"},
        Case{"ChangeVersion = 'v1'", R"((= TemporalChangeVersion:KeywordList "v1"))"},
        Case{"TemporalBuildIds = 'b1'", R"((= BuildIds:KeywordList "b1"))"},
        Case{"ScheduleId = 's'", R"((= WorkflowId:Keyword "s"))"},
        Case{"TemporalScheduleId = 's'", R"((= WorkflowId:Keyword "s"))"},
        Case{"ScheduledStartTime > 0",
             "(> TemporalScheduledStartTime:Datetime 1970-01-01T00:00:00.000000Z)"},
        Case{"TemporalSchedulePaused = false", "(= TemporalSchedulePaused:Bool false)"},
        Case{"TemporalNamespaceDivision IS NULL", "(IS NULL TemporalNamespaceDivision:Keyword)"}));

class InvalidQueryTest : public testing::TestWithParam<Case> {};

TEST_P(InvalidQueryTest, FailsWithExpectedMessage) {
  const Case& c = GetParam();
  absl::StatusOr<Query> query = ParseQuery(c.query, Custom(), {.for_count = c.for_count});
  ASSERT_FALSE(query.ok()) << DebugString(*query);
  EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(query.status().message()), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidQueryTest,
    testing::Values(
        Case{"WorkflowId = 'a' AND AND RunId = 'b'",
             "invalid query: malformed SQL query: unexpected 'AND' at column 22"},
        Case{"WorkflowId = ",
             "invalid query: malformed SQL query: unexpected end of query at "
             "column 14"},
        Case{"WorkflowId",
             "invalid query: malformed SQL query: unexpected end of query at "
             "column 11"},
        Case{"WorkflowId = 'abc",
             "invalid query: malformed SQL query: unterminated string at column 14"},
        Case{"WorkflowId = 'a' #",
             "invalid query: malformed SQL query: unexpected character '#' at column 18"},
        Case{"WorkflowId = 'é' AND §",
             "invalid query: malformed SQL query: unexpected character '§' at column 22"},
        Case{"WorkflowId = -",
             "invalid query: malformed SQL query: unexpected character '-' at column 14"},
        Case{"`abc = 'x'",
             "invalid query: malformed SQL query: unterminated back-quoted name at column 1"},
        Case{"WorkflowId = '\xff'",
             "invalid query: malformed SQL query: invalid UTF-8 at column 15"},
        Case{std::string("WorkflowId = 'a\0'", 18),
             "invalid query: malformed SQL query: NUL character at column 16"},
        Case{"(WorkflowId = 'a'",
             "invalid query: malformed SQL query: unexpected end of query at column 18"},
        Case{"WorkflowId = 'a')",
             "invalid query: malformed SQL query: unexpected ')' at column 17"},
        Case{"WorkflowId IN ()", "invalid query: malformed SQL query: unexpected ')' at column 16"},
        Case{"WorkflowId IN ('a' 'b')",
             "invalid query: malformed SQL query: unexpected 'b' at column 20"},
        Case{"WorkflowId BETWEEN 'a'",
             "invalid query: malformed SQL query: unexpected end of query at column 23"},
        Case{"WorkflowId NOT = 'a'",
             "invalid query: malformed SQL query: unexpected '=' at column 16"},
        Case{"CloseTime IS 'x'", "invalid query: malformed SQL query: unexpected 'x' at column 14"},
        Case{"ORDER BY", "invalid query: malformed SQL query: unexpected end of query at column 9"},
        Case{"WorkflowId = 'a' ORDER BY StartTime ORDER BY RunId",
             "invalid query: malformed SQL query: unexpected 'ORDER' at column 37"},
        Case{std::string(70, '(') + "WorkflowId = 'a'",
             "invalid query: malformed SQL query: expression nested too deeply at column 66"},
        Case{"Unknown = 'x'",
             "invalid query: invalid expression: unknown search attribute "
             "'Unknown' at column 1"},
        Case{"workflowid = 'x'",
             "invalid query: invalid expression: unknown search attribute "
             "'workflowid' at column 1"},
        Case{"ExecutionStatus = Running",
             "invalid query: invalid expression: column name 'Running' on the right-hand side "
             "(did you forget to quote 'Running'?) at column 19"},
        Case{"WorkflowId = `RunId`",
             "invalid query: invalid expression: column name 'RunId' on the right-hand side "
             "(did you forget to quote 'RunId'?) at column 14"},
        Case{"WorkflowId = NULL",
             "invalid query: invalid expression: NULL is not a value, use IS "
             "NULL or IS NOT NULL at column 14"},
        Case{"ExecutionStatus = 'Runing'",
             "invalid query: invalid expression: Keyword attribute 'ExecutionStatus' needs an "
             "execution status such as 'Running', not 'Runing' at column 19"},
        Case{"ExecutionStatus = 0",
             "invalid query: invalid expression: Keyword attribute 'ExecutionStatus' needs an "
             "execution status such as 'Running', not '0' at column 19"},
        Case{"HistoryLength = 1.5",
             "invalid query: invalid expression: Int attribute "
             "'HistoryLength' needs an integer value, not '1.5' at "
             "column 17"},
        Case{"CustomInt = 99999999999999999999",
             "invalid query: invalid expression: Int attribute 'CustomInt' needs an integer "
             "value, not '99999999999999999999' at column 13"},
        Case{"CustomDouble > 'abc'",
             "invalid query: invalid expression: Double attribute "
             "'CustomDouble' needs a numeric value, not 'abc' at "
             "column 16"},
        Case{"WorkflowId = 123",
             "invalid query: invalid expression: Keyword attribute "
             "'WorkflowId' needs a string value, not '123' at column 14"},
        Case{"CustomBool = 1",
             "invalid query: invalid expression: Bool attribute 'CustomBool' "
             "needs true or false, not '1' at column 14"},
        Case{"StartTime > '2024-13-01T00:00:00Z'",
             "invalid query: invalid expression: Datetime attribute 'StartTime' needs an RFC "
             "3339 timestamp or Unix nanoseconds, not '2024-13-01T00:00:00Z' at column 13"},
        Case{"StartTime > '2024-05-01'",
             "invalid query: invalid expression: Datetime attribute 'StartTime' needs an RFC "
             "3339 timestamp or Unix nanoseconds, not '2024-05-01' at column 13"},
        Case{"ExecutionDuration > '5 minutes'",
             "invalid query: invalid expression: Int attribute 'ExecutionDuration' needs "
             "nanoseconds or a duration such as '1h30m' or '01:30:00', not '5 minutes' at "
             "column 21"},
        Case{"CustomText = '   '",
             "invalid query: invalid expression: Text attribute "
             "'CustomText' needs at least one word, not '   ' at column 14"},
        Case{"HistoryLength STARTS_WITH '1'",
             "invalid query: operation is not supported: operator 'STARTS_WITH' cannot be used "
             "with Int attribute 'HistoryLength' at column 15"},
        Case{"CustomText > 'a'",
             "invalid query: operation is not supported: operator '>' "
             "cannot be used with Text attribute 'CustomText' at column 12"},
        Case{"CustomList NOT BETWEEN 'a' AND 'b'",
             "invalid query: operation is not supported: operator 'NOT BETWEEN' cannot be used "
             "with KeywordList attribute 'CustomList' at column 12"},
        Case{"ExecutionStatus >= 'Running'",
             "invalid query: operation is not supported: operator '>=' cannot be used with "
             "Keyword attribute 'ExecutionStatus' at column 17"},
        Case{"CustomBool IN (true)",
             "invalid query: operation is not supported: operator 'IN' "
             "cannot be used with Bool attribute 'CustomBool' at column "
             "12"},
        Case{"WorkflowId = 'a' LIMIT 10",
             "invalid query: operation is not supported: LIMIT at column 18"},
        Case{"lower(WorkflowId) = 'a'",
             "invalid query: operation is not supported: function call 'lower' at column 1"},
        Case{"WorkflowId LIKE 'a%'",
             "invalid query: operation is not supported: LIKE at column 12"},
        Case{"GROUP BY ExecutionStatus",
             "invalid query: operation is not supported: GROUP BY "
             "outside CountWorkflowExecutions at column 1"},
        Case{"GROUP BY WorkflowType",
             "invalid query: operation is not supported: GROUP BY 'WorkflowType' (only "
             "ExecutionStatus) at column 10",
             true},
        Case{"GROUP BY ExecutionStatus, WorkflowType",
             "invalid query: operation is not supported: GROUP BY more than one field at column 25",
             true},
        Case{"ORDER BY Foo",
             "invalid query: invalid expression: unknown search attribute 'Foo' "
             "at column 10"}));

TEST(VisibilityQueryTest, CustomAttributeShadowsBuiltInNames) {
  CustomSearchAttributes custom = {{"ScheduleId", enums::INDEXED_VALUE_TYPE_KEYWORD}};
  absl::StatusOr<Query> query = ParseQuery("ScheduleId = 's'", custom);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->where->predicate.attribute.kind, AttributeKind::kCustom);
  EXPECT_EQ(DebugString(*query), R"((= ScheduleId:Keyword "s"))");
}

TEST(VisibilityQueryTest, PredicateRecordsAttributeColumnAndNullability) {
  absl::StatusOr<Query> query = ParseQuery("RunId = 'r' AND  CloseTime IS NULL", Custom());
  ASSERT_TRUE(query.ok()) << query.status();
  const Expr& close = *query->where->operands[1];
  EXPECT_EQ(close.predicate.column, 18);
  EXPECT_TRUE(close.predicate.attribute.nullable);
  EXPECT_FALSE(query->where->operands[0]->predicate.attribute.nullable);
}

TEST(VisibilityQueryTest, MentionsAttributeLooksAtResolvedNamesInPredicates) {
  absl::StatusOr<Query> query =
      ParseQuery("NOT (NamespaceDivision = 'x' OR ScheduleId = 's') ORDER BY RunId", Custom());
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_TRUE(MentionsAttribute(*query, "TemporalNamespaceDivision"));
  EXPECT_TRUE(MentionsAttribute(*query, "WorkflowId"));
  EXPECT_FALSE(MentionsAttribute(*query, "ScheduleId"));
  EXPECT_FALSE(MentionsAttribute(*query, "RunId"));  // ORDER BY is not a filter
  absl::StatusOr<Query> empty = ParseQuery("", Custom());
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(MentionsAttribute(*empty, "TemporalNamespaceDivision"));
}

TEST(VisibilitySearchAttributesTest, ReservedNames) {
  for (std::string_view name :
       {"WorkflowId", "ExecutionStatus", "BuildIds", "BatcherUser", "NamespaceId", "Memo",
        "MemoEncoding", "VisibilityTaskKey", "TemporalAnything", "TemporalChangeVersion"}) {
    EXPECT_TRUE(IsReservedSearchAttributeName(name)) << name;
  }
  for (std::string_view name : {"CustomerId", "workflowid", "Temporal_x", "MyTemporalField"}) {
    EXPECT_EQ(IsReservedSearchAttributeName(name), name == "Temporal_x") << name;
  }
}

TEST(VisibilitySearchAttributesTest, BuiltInTypes) {
  EXPECT_EQ(BuiltInAttributeType("ExecutionDuration"), enums::INDEXED_VALUE_TYPE_INT);
  EXPECT_EQ(BuiltInAttributeType("TemporalSchedulePaused"), enums::INDEXED_VALUE_TYPE_BOOL);
  EXPECT_EQ(BuiltInAttributeType("BinaryChecksums"), enums::INDEXED_VALUE_TYPE_KEYWORD_LIST);
  EXPECT_EQ(BuiltInAttributeType("CustomKeyword"), std::nullopt);
  EXPECT_EQ(BuiltInAttributes().size(), 33u);
  EXPECT_EQ(FindBuiltInAttribute("StartTime")->kind, AttributeKind::kSystem);
  EXPECT_EQ(FindBuiltInAttribute("BuildIds")->kind, AttributeKind::kPredefined);
}

TEST(VisibilitySearchAttributesTest, TypeNamesRoundTrip) {
  for (int value = 1; value <= 7; ++value) {
    auto type = static_cast<IndexedValueType>(value);
    std::string_view name = IndexedValueTypeName(type);
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(ParseIndexedValueTypeName(name), type) << name;
    EXPECT_EQ(ParseIndexedValueTypeName(enums::IndexedValueType_Name(type)), type);
  }
  EXPECT_EQ(IndexedValueTypeName(enums::INDEXED_VALUE_TYPE_KEYWORD_LIST), "KeywordList");
  EXPECT_EQ(ParseIndexedValueTypeName("keywordlist"), enums::INDEXED_VALUE_TYPE_KEYWORD_LIST);
  EXPECT_EQ(ParseIndexedValueTypeName("indexed_value_type_datetime"),
            enums::INDEXED_VALUE_TYPE_DATETIME);
  EXPECT_EQ(ParseIndexedValueTypeName("Unspecified"), std::nullopt);
  EXPECT_EQ(ParseIndexedValueTypeName("INDEXED_VALUE_TYPE_UNSPECIFIED"), std::nullopt);
  EXPECT_EQ(ParseIndexedValueTypeName("String"), std::nullopt);
  EXPECT_EQ(IndexedValueTypeName(enums::INDEXED_VALUE_TYPE_UNSPECIFIED), "");
}

TEST(VisibilityValuesTest, Durations) {
  EXPECT_EQ(ParseDurationNanos("0"), 0);
  EXPECT_EQ(ParseDurationNanos("42"), 42);
  EXPECT_EQ(ParseDurationNanos("-1h"), -3'600'000'000'000);
  EXPECT_EQ(ParseDurationNanos("1h2m3s4ms5us6ns"), 3'723'004'005'006);
  EXPECT_EQ(ParseDurationNanos("1.5h"), 5'400'000'000'000);
  EXPECT_EQ(ParseDurationNanos("2\xC2\xB5s"), 2'000);
  EXPECT_EQ(ParseDurationNanos("100:00:00.25"), 360'000'250'000'000);
  EXPECT_EQ(ParseDurationNanos("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseDurationNanos("-9223372036854775808"), INT64_MIN);
  for (std::string_view bad : {"", "h", "1x", "1h30", ".h", "1:00", "1:60:00", "01:00:00.",
                               "9223372036854775808", "3000000h", "1 h", "--1s"}) {
    EXPECT_EQ(ParseDurationNanos(bad), std::nullopt) << bad;
  }
}

TEST(VisibilityValuesTest, Datetimes) {
  EXPECT_EQ(ParseDatetimeMicros("1970-01-01T00:00:01.0000019Z"), 1'000'001);
  EXPECT_EQ(ParseDatetimeMicros("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(ParseDatetimeMicros("1969-12-31T23:59:59.9999995Z"), -1);
  EXPECT_EQ(ParseDatetimeMicros("0001-01-01T00:00:00Z"), kMinDatetimeMicros);
  EXPECT_EQ(ParseDatetimeMicros("9999-12-31T23:59:59.999999Z"), kMaxDatetimeMicros);
  EXPECT_EQ(ParseDatetimeMicros("2024-05-01 10:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseDatetimeMicros("2024-05-01T10:00:00"), std::nullopt);
  EXPECT_EQ(ParseDatetimeMicros("infinite-future"), std::nullopt);
  EXPECT_EQ(UnixNanosToMicros(-1), -1);
  EXPECT_EQ(UnixNanosToMicros(1999), 1);
  EXPECT_EQ(FormatDatetimeMicros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatDatetimeMicros(kMinDatetimeMicros), "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatDatetimeMicros(kMaxDatetimeMicros), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatDatetimeMicros(0), "1970-01-01T00:00:00.000000Z");
  // 2026-12-06T09:05:07.000042Z: zeros inside each field are kept.
  EXPECT_EQ(FormatDatetimeMicros(1796547907000042), "2026-12-06T09:05:07.000042Z");
}

TEST(VisibilityValuesTest, ExecutionStatusNames) {
  EXPECT_EQ(ParseExecutionStatus("ContinuedAsNew"),
            enums::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
  EXPECT_EQ(ParseExecutionStatus("workflow_execution_status_failed"),
            enums::WORKFLOW_EXECUTION_STATUS_FAILED);
  EXPECT_EQ(ParseExecutionStatus("Unspecified"), std::nullopt);
  EXPECT_EQ(ExecutionStatusName(enums::WORKFLOW_EXECUTION_STATUS_TIMED_OUT), "TimedOut");
  EXPECT_EQ(ExecutionStatusName(42), "Unspecified");
}

}  // namespace
}  // namespace tern::visibility
