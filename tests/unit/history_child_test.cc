// Child workflows through the history APIs (api/, commands/child_commands.cc, tasks/start_child.cc,
// tasks/notify_parent.cc, tasks/parent_close_policy.cc): the engine's calls to "other" history
// hosts loop back into the same engine, so parent and child run for real.
#include <gtest/gtest.h>

#include "tests/unit/history_test_env.h"

namespace tern::history {
namespace {

using namespace test_env;  // NOLINT(build/namespaces): the fixture's vocabulary

class HistoryChildTest
    : public BasicHistoryTestEnv<fakes::RecordingMatchingClient, LoopbackHistoryClient> {
 protected:
  HistoryChildTest() { history_client_.Attach(&engine_, &executor_); }

  static cmd::Command StartChild(
      const std::string& workflow_id,
      enums::ParentClosePolicy policy = enums::PARENT_CLOSE_POLICY_UNSPECIFIED) {
    cmd::Command command;
    command.set_command_type(enums::COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION);
    auto* a = command.mutable_start_child_workflow_execution_command_attributes();
    a->set_workflow_id(workflow_id);
    a->mutable_workflow_type()->set_name("ChildWorkflow");
    a->mutable_task_queue()->set_name(kQueue);
    *a->mutable_input() = Payload("\"child-input\"");
    a->set_parent_close_policy(policy);
    return command;
  }

  // Waits until the run's history has an event of `type` and returns the history.
  Events WaitForEvent(const Execution& run, enums::EventType type) {
    Events events;
    bool found = fakes::WaitFor([&] {
      events = History(run);
      for (const auto& e : events) {
        if (e.event_type() == type) return true;
      }
      return false;
    });
    EXPECT_TRUE(found) << "no " << enums::EventType_Name(type) << " in " << run.workflow_id;
    return events;
  }

  static const hv1::HistoryEvent* Find(const Events& events, enums::EventType type) {
    for (const auto& e : events) {
      if (e.event_type() == type) return &e;
    }
    return nullptr;
  }

  // The child's current run, once it exists.
  Execution CurrentRun(const std::string& workflow_id) {
    std::string run_id;
    fakes::WaitFor([&] {
      auto described = Describe({workflow_id, ""});
      if (!described.ok()) return false;
      run_id = described->workflow_execution_info().execution().run_id();
      return true;
    });
    return {workflow_id, run_id};
  }
};

TEST_F(HistoryChildTest, ChildStartsRunsAndReportsItsResultToTheParent) {
  Execution parent = StartRun("wf-parent");
  auto poll = PollWorkflowTask(parent);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), {StartChild("wf-child")}).ok());

  // The transfer task starts the child and records its start in the parent.
  Events events = WaitForEvent(parent, enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
  const auto* initiated = Find(events, enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
  ASSERT_NE(initiated, nullptr);
  const int64_t initiated_id = initiated->event_id();  // `events` is read again below
  Execution child = CurrentRun("wf-child");
  ASSERT_FALSE(child.run_id.empty());
  const auto& started = Find(events, enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
                            ->child_workflow_execution_started_event_attributes();
  EXPECT_EQ(started.initiated_event_id(), initiated_id);
  EXPECT_EQ(started.workflow_execution().workflow_id(), "wf-child");
  EXPECT_EQ(started.workflow_execution().run_id(), child.run_id);
  EXPECT_EQ(started.workflow_type().name(), "ChildWorkflow");

  // The child knows its parent and got the command's input.
  Events child_events = History(child);
  ASSERT_FALSE(child_events.empty());
  const auto& child_start = child_events[0].workflow_execution_started_event_attributes();
  EXPECT_EQ(child_start.parent_workflow_execution().workflow_id(), "wf-parent");
  EXPECT_EQ(child_start.parent_workflow_execution().run_id(), parent.run_id);
  EXPECT_EQ(child_start.parent_initiated_event_id(), initiated_id);
  EXPECT_EQ(child_start.input().payloads(0).data(), "\"child-input\"");
  auto described = Describe(child);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->workflow_execution_info().parent_execution().run_id(), parent.run_id);

  // The child completes; the parent records the result and gets a workflow task for it.
  auto child_poll = PollWorkflowTask(child);
  ASSERT_TRUE(CompleteWorkflowTask(child_poll.task_token(), {CompleteWorkflow("\"done\"")}).ok());
  events = WaitForEvent(parent, enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
  const auto& completed = Find(events, enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
                              ->child_workflow_execution_completed_event_attributes();
  EXPECT_EQ(completed.result().payloads(0).data(), "\"done\"");
  EXPECT_EQ(completed.workflow_execution().run_id(), child.run_id);
  EXPECT_EQ(completed.initiated_event_id(), initiated_id);
  ExpectWellFormed(events);

  auto parent_poll = PollWorkflowTask(parent);
  ASSERT_TRUE(CompleteWorkflowTask(parent_poll.task_token(), {CompleteWorkflow("\"all\"")}).ok());
  described = Describe(parent);
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->workflow_execution_info().status(),
            enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(described->pending_children_size(), 0);
}

TEST_F(HistoryChildTest, ChildWithATakenWorkflowIdFailsToStartInTheParent) {
  Execution taken = StartRun("wf-taken");
  Execution parent = StartRun("wf-parent-2");
  auto poll = PollWorkflowTask(parent);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), {StartChild("wf-taken")}).ok());

  Events events = WaitForEvent(parent, enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED);
  const auto& failed = Find(events, enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
                           ->start_child_workflow_execution_failed_event_attributes();
  EXPECT_EQ(failed.cause(),
            enums::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
  EXPECT_EQ(failed.workflow_id(), "wf-taken");
  EXPECT_EQ(Find(events, enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED), nullptr);
  // The run that held the id is untouched.
  auto described = Describe(taken);
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->workflow_execution_info().status(),
            enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
}

TEST_F(HistoryChildTest, ParentClosePolicyTerminatesARunningChild) {
  Execution parent = StartRun("wf-parent-3");
  auto poll = PollWorkflowTask(parent);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(),
                                   {StartChild("wf-child-3", enums::PARENT_CLOSE_POLICY_TERMINATE)})
                  .ok());
  WaitForEvent(parent, enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
  Execution child = CurrentRun("wf-child-3");

  auto parent_poll = PollWorkflowTask(parent);
  ASSERT_TRUE(CompleteWorkflowTask(parent_poll.task_token(), {CompleteWorkflow("\"bye\"")}).ok());
  Events child_events = WaitForEvent(child, enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  EXPECT_EQ(child_events.back().workflow_execution_terminated_event_attributes().reason(),
            "by parent close policy");
  // The terminated child still reports its close to the (closed) parent, which ignores it.
  Events parent_events = History(parent);
  EXPECT_EQ(parent_events.back().event_type(), enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
}

}  // namespace
}  // namespace tern::history
