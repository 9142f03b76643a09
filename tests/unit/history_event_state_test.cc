// ReplayHistory: the state a reset run starts from is what the original run held after the same
// events.
#include <gtest/gtest.h>

#include "services/history/event_state.h"

namespace tern::history {
namespace {

namespace enums = temporal::api::enums::v1;

class Replay {
 public:
  hv1::HistoryEvent& Add(enums::EventType type) {
    auto& e = events_.emplace_back();
    e.set_event_id(static_cast<int64_t>(events_.size()));
    e.set_event_type(type);
    e.mutable_event_time()->set_seconds(1000 + e.event_id());
    return e;
  }
  // WorkflowTaskScheduled, Started and (if `complete`) Completed.
  void WorkflowTask(bool complete) {
    Add(enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
        .mutable_workflow_task_scheduled_event_attributes()
        ->set_attempt(1);
    int64_t scheduled = static_cast<int64_t>(events_.size());
    Add(enums::EVENT_TYPE_WORKFLOW_TASK_STARTED)
        .mutable_workflow_task_started_event_attributes()
        ->set_scheduled_event_id(scheduled);
    if (!complete) return;
    auto* done = Add(enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
                     .mutable_workflow_task_completed_event_attributes();
    done->set_scheduled_event_id(scheduled);
    done->set_started_event_id(scheduled + 1);
  }
  const std::vector<hv1::HistoryEvent>& events() const { return events_; }

 private:
  std::vector<hv1::HistoryEvent> events_;
};

pv1::MutableState Base() {
  pv1::MutableState base;
  base.set_namespace_id("ns");
  base.set_workflow_id("wf");
  base.set_run_id("run-1");
  base.set_task_queue("orders");
  base.set_status(enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);  // dynamic: not carried over
  base.set_sticky_task_queue("sticky");
  (*base.mutable_activities())[99].set_activity_id("stale");
  return base;
}

TEST(ReplayHistoryTest, PendingWorkIsWhatTheEventsLeftOpen) {
  Replay h;
  auto& started = h.Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  auto& memo = (*started.mutable_workflow_execution_started_event_attributes()
                     ->mutable_memo()
                     ->mutable_fields())["note"];
  memo.set_data("\"hi\"");
  h.WorkflowTask(true);                                         // 2-4
  auto& a1 = h.Add(enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);  // 5: completes below
  a1.mutable_activity_task_scheduled_event_attributes()->set_activity_id("a1");
  auto& a2 = h.Add(enums::EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);  // 6: stays pending
  a2.mutable_activity_task_scheduled_event_attributes()->set_activity_id("a2");
  a2.mutable_activity_task_scheduled_event_attributes()->mutable_task_queue()->set_name("acts");
  auto& t1 = h.Add(enums::EVENT_TYPE_TIMER_STARTED);  // 7: stays pending
  t1.mutable_timer_started_event_attributes()->set_timer_id("t1");
  t1.mutable_timer_started_event_attributes()->mutable_start_to_fire_timeout()->set_seconds(60);
  auto& t2 = h.Add(enums::EVENT_TYPE_TIMER_STARTED);  // 8: fires below
  t2.mutable_timer_started_event_attributes()->set_timer_id("t2");
  auto& child = h.Add(enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);  // 9
  child.mutable_start_child_workflow_execution_initiated_event_attributes()->set_workflow_id("kid");
  h.Add(enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);  // 10: pending
  h.Add(enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
      .mutable_activity_task_completed_event_attributes()
      ->set_scheduled_event_id(5);
  h.Add(enums::EVENT_TYPE_TIMER_FIRED).mutable_timer_fired_event_attributes()->set_timer_id("t2");
  auto& kid_started = h.Add(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);  // 13
  kid_started.mutable_child_workflow_execution_started_event_attributes()->set_initiated_event_id(
      9);
  kid_started.mutable_child_workflow_execution_started_event_attributes()
      ->mutable_workflow_execution()
      ->set_run_id("kid-run");
  auto& upsert = h.Add(enums::EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
  (*upsert.mutable_upsert_workflow_search_attributes_event_attributes()
        ->mutable_search_attributes()
        ->mutable_indexed_fields())["CustomKeyword"]
      .set_data("\"blue\"");
  h.Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  h.WorkflowTask(false);  // 16-17: in flight at the end

  pv1::MutableState state = ReplayHistory(Base(), h.events());

  EXPECT_EQ(state.run_id(), "run-1");
  EXPECT_EQ(state.task_queue(), "orders");
  EXPECT_EQ(state.status(), enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_TRUE(state.sticky_task_queue().empty());
  EXPECT_EQ(state.next_event_id(), 18);
  EXPECT_EQ(state.last_completed_workflow_task_started_event_id(), 3);
  EXPECT_EQ(state.workflow_task().scheduled_event_id(), 16);
  EXPECT_EQ(state.workflow_task().started_event_id(), 17);

  ASSERT_EQ(state.activities_size(), 1);
  const auto& activity = state.activities().at(6);
  EXPECT_EQ(activity.activity_id(), "a2");
  EXPECT_EQ(activity.task_queue(), "acts");
  EXPECT_EQ(activity.attempt(), 1);
  EXPECT_FALSE(activity.started());

  ASSERT_EQ(state.timers_size(), 1);
  EXPECT_EQ(state.timers().at("t1").started_event_id(), 7);
  EXPECT_EQ(state.timers().at("t1").expiry_time().seconds(), 1007 + 60);

  ASSERT_EQ(state.children_size(), 1);
  EXPECT_TRUE(state.children().at(9).started());
  EXPECT_EQ(state.children().at(9).run_id(), "kid-run");
  EXPECT_EQ(state.external_requests_size(), 1);
  EXPECT_EQ(state.external_requests().at(10).type(), pv1::ExternalRequestInfo::TYPE_SIGNAL);

  EXPECT_EQ(state.memo().fields().at("note").data(), "\"hi\"");
  EXPECT_EQ(state.search_attributes().indexed_fields().at("CustomKeyword").data(), "\"blue\"");
  EXPECT_TRUE(state.cancel_requested());
}

TEST(ReplayHistoryTest, AFinishedWorkflowTaskLeavesNoneInFlight) {
  Replay h;
  h.Add(enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  h.WorkflowTask(true);
  pv1::MutableState state = ReplayHistory(Base(), h.events());
  EXPECT_EQ(state.workflow_task().scheduled_event_id(), 0);
  EXPECT_EQ(state.next_event_id(), 5);
}

}  // namespace
}  // namespace tern::history
