// Search attribute payloads: validation of what clients write, the stored JSON form, and the
// typed payloads the server returns.
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "tests/unit/visibility_test_util.h"
#include "visibility/payloads.h"

namespace tern::visibility {
namespace {

namespace common = temporal::api::common::v1;
namespace enums = temporal::api::enums::v1;

common::Payload Json(std::string data) {
  common::Payload payload;
  (*payload.mutable_metadata())["encoding"] = "json/plain";
  payload.set_data(std::move(data));
  return payload;
}

common::SearchAttributes Attributes(
    std::initializer_list<std::pair<std::string, std::string>> fields) {
  common::SearchAttributes out;
  for (const auto& [name, data] : fields) (*out.mutable_indexed_fields())[name] = Json(data);
  return out;
}

std::string Stored(const std::string& data, IndexedValueType type) {
  auto value = SearchAttributeValueJson(Json(data), type);
  if (!value.ok()) return "error: " + std::string(value.status().message());
  return value->value_or("unset");
}

TEST(SearchAttributeValueTest, DecodesEachTypeToItsStoredForm) {
  EXPECT_EQ(Stored(R"("abc")", enums::INDEXED_VALUE_TYPE_KEYWORD), R"("abc")");
  EXPECT_EQ(Stored(R"("two words")", enums::INDEXED_VALUE_TYPE_TEXT), R"("two words")");
  EXPECT_EQ(Stored("42", enums::INDEXED_VALUE_TYPE_INT), "42");
  EXPECT_EQ(Stored("-7", enums::INDEXED_VALUE_TYPE_INT), "-7");
  EXPECT_EQ(Stored("1.5", enums::INDEXED_VALUE_TYPE_DOUBLE), "1.5");
  EXPECT_EQ(Stored("2", enums::INDEXED_VALUE_TYPE_DOUBLE), "2.0");
  EXPECT_EQ(Stored("true", enums::INDEXED_VALUE_TYPE_BOOL), "true");
  EXPECT_EQ(Stored(R"("2024-05-01T12:00:00.123+02:00")", enums::INDEXED_VALUE_TYPE_DATETIME),
            R"("2024-05-01T10:00:00.123000Z")");
  EXPECT_EQ(Stored(R"(["a","b"])", enums::INDEXED_VALUE_TYPE_KEYWORD_LIST), R"(["a","b"])");
  // Untyped SDK values come wrapped in a one-element array.
  EXPECT_EQ(Stored(R"(["abc"])", enums::INDEXED_VALUE_TYPE_KEYWORD), R"("abc")");
  EXPECT_EQ(Stored("[3]", enums::INDEXED_VALUE_TYPE_INT), "3");
  // Unset: null, empty list, empty data, binary/null.
  EXPECT_EQ(Stored("null", enums::INDEXED_VALUE_TYPE_KEYWORD), "unset");
  EXPECT_EQ(Stored("[]", enums::INDEXED_VALUE_TYPE_KEYWORD_LIST), "unset");
  EXPECT_EQ(Stored("", enums::INDEXED_VALUE_TYPE_INT), "unset");
  common::Payload null_payload;
  (*null_payload.mutable_metadata())["encoding"] = "binary/null";
  EXPECT_EQ(SearchAttributeValueJson(null_payload, enums::INDEXED_VALUE_TYPE_BOOL)->has_value(),
            false);
}

TEST(SearchAttributeValueTest, RejectsValuesOfAnotherType) {
  for (const auto& [data, type] : std::vector<std::pair<std::string, IndexedValueType>>{
           {"5", enums::INDEXED_VALUE_TYPE_KEYWORD},
           {R"("5")", enums::INDEXED_VALUE_TYPE_INT},
           {"1.5", enums::INDEXED_VALUE_TYPE_INT},
           {"18446744073709551615", enums::INDEXED_VALUE_TYPE_INT},
           {R"("yes")", enums::INDEXED_VALUE_TYPE_BOOL},
           {R"("yesterday")", enums::INDEXED_VALUE_TYPE_DATETIME},
           {R"("a")", enums::INDEXED_VALUE_TYPE_KEYWORD_LIST},
           {R"(["a", 1])", enums::INDEXED_VALUE_TYPE_KEYWORD_LIST},
           {R"(["a","b"])", enums::INDEXED_VALUE_TYPE_KEYWORD},
           {"{not json", enums::INDEXED_VALUE_TYPE_KEYWORD},
       }) {
    EXPECT_FALSE(SearchAttributeValueJson(Json(data), type).ok()) << data;
  }
  common::Payload proto = Json("x");
  (*proto.mutable_metadata())["encoding"] = "binary/protobuf";
  EXPECT_FALSE(SearchAttributeValueJson(proto, enums::INDEXED_VALUE_TYPE_KEYWORD).ok());
}

TEST(ValidateSearchAttributesTest, AcceptsCustomAndSettablePredefinedAttributes) {
  EXPECT_TRUE(ValidateSearchAttributes(Attributes({{"CustomKeyword", R"("a")"},
                                                   {"CustomInt", "1"},
                                                   {"TemporalChangeVersion", R"(["p1"])"},
                                                   {"BuildIds", "null"}}),
                                       TestCustomAttributes())
                  .ok());
}

TEST(ValidateSearchAttributesTest, NamesTheOffendingAttributeAsTheReferenceDoes) {
  auto message = [](common::SearchAttributes attributes) {
    return std::string(ValidateSearchAttributes(attributes, TestCustomAttributes()).message());
  };
  EXPECT_EQ(message(Attributes({{"Unknown", R"("x")"}})),
            "search attribute Unknown is not defined");
  EXPECT_EQ(message(Attributes({{"WorkflowType", R"("x")"}})),
            "WorkflowType attribute can't be set in SearchAttributes");
  EXPECT_EQ(message(Attributes({{"TemporalWorkerDeployment", R"("x")"}})),
            "TemporalWorkerDeployment attribute can't be set in SearchAttributes");
  EXPECT_EQ(message(Attributes({{"CustomInt", R"("seven")"}})),
            R"(invalid value for search attribute CustomInt of type Int: "seven")");
  // The first in name order.
  EXPECT_EQ(message(Attributes({{"Zeta", "1"}, {"Alpha", "1"}})),
            "search attribute Alpha is not defined");
  auto status = ValidateSearchAttributes(Attributes({{"Unknown", "1"}}), {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(SearchAttributesJsonTest, StoresKnownAttributesAndDropsTheRest) {
  std::vector<std::string> dropped;
  std::string stored =
      SearchAttributesJson(Attributes({{"CustomKeyword", R"(["a"])"},
                                       {"CustomDatetime", R"("2024-05-01T10:00:00Z")"},
                                       {"CustomList", R"(["x","y"])"},
                                       {"CustomBool", "null"},
                                       {"CustomInt", R"("not an int")"},
                                       {"Removed", R"("gone")"},
                                       {"TemporalChangeVersion", R"(["p"])"}}),
                           TestCustomAttributes(), &dropped);
  EXPECT_EQ(nlohmann::json::parse(stored), nlohmann::json::parse(R"({
      "CustomKeyword": "a", "CustomDatetime": "2024-05-01T10:00:00.000000Z",
      "CustomList": ["x", "y"], "TemporalChangeVersion": ["p"]})"));
  EXPECT_EQ(dropped, (std::vector<std::string>{"CustomInt", "Removed"}));
  EXPECT_EQ(SearchAttributesJson(common::SearchAttributes(), {}), "{}");
}

TEST(SearchAttributesJsonTest, ReadsBackAsTypedPayloads) {
  auto attributes = SearchAttributesFromJson(
      R"({"CustomInt": 5, "CustomDatetime": "2024-05-01T10:00:00.000000Z", "Removed": "x",
          "BuildIds": ["b1"]})",
      TestCustomAttributes());
  ASSERT_TRUE(attributes.ok()) << attributes.status();
  const auto& fields = attributes->indexed_fields();
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields.at("CustomInt").data(), "5");
  EXPECT_EQ(fields.at("CustomInt").metadata().at("type"), "Int");
  EXPECT_EQ(fields.at("CustomInt").metadata().at("encoding"), "json/plain");
  EXPECT_EQ(fields.at("CustomDatetime").data(), R"("2024-05-01T10:00:00.000000Z")");
  EXPECT_EQ(fields.at("CustomDatetime").metadata().at("type"), "Datetime");
  EXPECT_EQ(fields.at("BuildIds").metadata().at("type"), "KeywordList");
  EXPECT_FALSE(SearchAttributesFromJson("[1]", {}).ok());
}

TEST(SearchAttributesJsonTest, SetsTypesOnKnownAttributesOnly) {
  auto attributes = Attributes({{"CustomText", R"("t")"}, {"Removed", R"("x")"}});
  SetSearchAttributeTypes(attributes, TestCustomAttributes());
  EXPECT_EQ(attributes.indexed_fields().at("CustomText").metadata().at("type"), "Text");
  EXPECT_FALSE(attributes.indexed_fields().at("Removed").metadata().contains("type"));
  EXPECT_TRUE(IsSettablePredefinedAttribute("TemporalChangeVersion"));
  EXPECT_FALSE(IsSettablePredefinedAttribute("WorkflowId"));
  EXPECT_EQ(StoredAttributeType("CloseTime", {}), enums::INDEXED_VALUE_TYPE_DATETIME);
  EXPECT_EQ(StoredAttributeType("Nope", {}), std::nullopt);
}

}  // namespace
}  // namespace tern::visibility
