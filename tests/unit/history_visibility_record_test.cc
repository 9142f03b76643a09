// What history writes to visibility, and when: VisibilityChanged, RootExecution and
// BuildVisibilityRecord over hand-made mutable states.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "nlohmann/json.hpp"
#include "services/history/visibility_record.h"

namespace tern::history {
namespace {

namespace pv1 = tern::persistence::v1;
namespace enums = temporal::api::enums::v1;

pv1::MutableState Running() {
  pv1::MutableState s;
  s.set_namespace_id("ns");
  s.set_workflow_id("wf");
  s.set_run_id("run");
  s.mutable_workflow_type()->set_name("Order");
  s.set_task_queue("q");
  s.set_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  s.mutable_start_time()->set_seconds(1000);
  s.mutable_execution_time()->set_seconds(1010);
  s.set_next_event_id(4);
  s.set_history_size_bytes(512);
  s.set_state_transition_count(2);
  return s;
}

void SetAttribute(pv1::MutableState& s, const std::string& name, const std::string& json) {
  auto& payload = (*s.mutable_search_attributes()->mutable_indexed_fields())[name];
  (*payload.mutable_metadata())["encoding"] = "json/plain";
  payload.set_data(json);
}

TEST(VisibilityChangedTest, NewRunsClosesMemoAndSearchAttributeChangesOnly) {
  pv1::MutableState before = Running();
  EXPECT_TRUE(VisibilityChanged(nullptr, before));
  pv1::MutableState after = before;
  after.set_next_event_id(9);
  after.set_state_transition_count(5);
  after.mutable_workflow_task()->set_scheduled_event_id(8);
  EXPECT_FALSE(VisibilityChanged(&before, after)) << "history grew, nothing visible changed";
  after.set_status(enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_TRUE(VisibilityChanged(&before, after));
  after = before;
  (*after.mutable_memo()->mutable_fields())["k"].set_data("1");
  EXPECT_TRUE(VisibilityChanged(&before, after));
  pv1::MutableState with_memo = after;
  EXPECT_FALSE(VisibilityChanged(&with_memo, after)) << "the same memo";
  EXPECT_TRUE(VisibilityChanged(&with_memo, before)) << "the memo removed";
  after = before;
  SetAttribute(after, "CustomKeyword", R"("x")");
  EXPECT_TRUE(VisibilityChanged(&before, after));
  before = after;
  EXPECT_FALSE(VisibilityChanged(&before, after));
  after.mutable_search_attributes()->clear_indexed_fields();
  EXPECT_TRUE(VisibilityChanged(&before, after)) << "the search attributes removed";
}

TEST(RootExecutionTest, TheTopOfTheParentChain) {
  pv1::MutableState s = Running();
  EXPECT_EQ(RootExecution(s).workflow_id(), "wf");
  EXPECT_EQ(RootExecution(s).run_id(), "run");
  s.mutable_parent()->set_workflow_id("parent");
  s.mutable_parent()->set_run_id("parent-run");
  EXPECT_EQ(RootExecution(s).workflow_id(), "parent") << "written before roots were recorded";
  s.mutable_parent()->set_root_workflow_id("root");
  s.mutable_parent()->set_root_run_id("root-run");
  EXPECT_EQ(RootExecution(s).workflow_id(), "root");
  EXPECT_EQ(RootExecution(s).run_id(), "root-run");
}

TEST(BuildVisibilityRecordTest, CarriesTheSystemAttributesOfTheState) {
  pv1::MutableState s = Running();
  s.mutable_parent()->set_workflow_id("parent");
  s.mutable_parent()->set_run_id("parent-run");
  SetAttribute(s, "CustomDatetime", R"("2024-05-01T12:00:00+02:00")");
  SetAttribute(s, "Gone", R"("x")");
  (*s.mutable_memo()->mutable_fields())["note"].set_data("\"hi\"");
  visibility::CustomSearchAttributes custom = {
      {"CustomDatetime", enums::INDEXED_VALUE_TYPE_DATETIME}};

  std::vector<std::string> dropped;
  auto r = BuildVisibilityRecord(s, custom, &dropped);
  EXPECT_EQ(r.namespace_id, "ns");
  EXPECT_EQ(r.workflow_type, "Order");
  EXPECT_EQ(r.task_queue, "q");
  EXPECT_EQ(r.status, enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(r.start_time, FromProto(s.start_time()));
  EXPECT_EQ(r.execution_time, FromProto(s.execution_time()));
  EXPECT_FALSE(r.close_time.has_value());
  EXPECT_FALSE(r.execution_duration_nanos.has_value());
  EXPECT_EQ(r.history_length, 3);
  EXPECT_EQ(r.history_size_bytes, 512);
  EXPECT_EQ(r.state_transition_count, 2);
  EXPECT_EQ(r.parent_workflow_id, "parent");
  EXPECT_EQ(r.parent_run_id, "parent-run");
  EXPECT_EQ(r.root_workflow_id, "parent");
  EXPECT_EQ(nlohmann::json::parse(r.search_attributes_json),
            nlohmann::json::parse(R"({"CustomDatetime": "2024-05-01T10:00:00.000000Z"})"));
  EXPECT_EQ(dropped, std::vector<std::string>{"Gone"});
  EXPECT_EQ(r.memo.fields().at("note").data(), "\"hi\"");

  // Closed: the duration runs from the execution time; never negative.
  s.set_status(enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  s.mutable_close_time()->set_seconds(1070);
  r = BuildVisibilityRecord(s, custom);
  EXPECT_EQ(r.close_time, FromProto(s.close_time()));
  EXPECT_EQ(r.execution_duration_nanos, int64_t{60} * 1000000000);
  s.mutable_close_time()->set_seconds(1005);
  EXPECT_EQ(BuildVisibilityRecord(s, custom).execution_duration_nanos, 0);
}

}  // namespace
}  // namespace tern::history
