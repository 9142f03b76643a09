// ResetWorkflowExecution through the history API (api/reset_workflow_execution.cc,
// reset_run.cc): the new run replays the base history up to a workflow task, fails that task with
// RESET_WORKFLOW, re-applies later signals and takes over the workflow id.
#include <gtest/gtest.h>

#include "tests/unit/history_test_env.h"

namespace tern::history {
namespace {

using namespace test_env;  // NOLINT(build/namespaces): the fixture's vocabulary

class HistoryResetTest : public HistoryTestEnv {
 protected:
  absl::StatusOr<ws::ResetWorkflowExecutionResponse> Reset(
      const Execution& run, int64_t finish_event_id, const std::string& request_id,
      enums::ResetReapplyExcludeType exclude = enums::RESET_REAPPLY_EXCLUDE_TYPE_UNSPECIFIED) {
    hs::ResetWorkflowExecutionRequest internal;
    internal.set_namespace_id(kNsId);
    auto* r = internal.mutable_request();
    r->set_namespace_(kNs);
    r->mutable_workflow_execution()->set_workflow_id(run.workflow_id);
    r->mutable_workflow_execution()->set_run_id(run.run_id);
    r->set_reason("bad deploy");
    r->set_workflow_task_finish_event_id(finish_event_id);
    r->set_request_id(request_id);
    if (exclude != enums::RESET_REAPPLY_EXCLUDE_TYPE_UNSPECIFIED) {
      r->add_reset_reapply_exclude_types(exclude);
    }
    return engine_.ResetWorkflowExecution(internal);
  }

  // Started, first task with a timer, a signal, second task that completes the workflow:
  // 1 Started 2 Scheduled 3 Started 4 Completed 5 TimerStarted 6 Signaled 7 Scheduled 8 Started
  // 9 Completed 10 WorkflowExecutionCompleted.
  Execution CompletedRun(const std::string& workflow_id) {
    Execution run = StartRun(workflow_id);
    auto poll = PollWorkflowTask(run);
    EXPECT_TRUE(
        CompleteWorkflowTask(poll.task_token(), {StartTimer("t", std::chrono::hours(1))}).ok());
    EXPECT_TRUE(Signal(run, "s1").ok());
    poll = PollWorkflowTask(run);
    EXPECT_TRUE(CompleteWorkflowTask(poll.task_token(), {CompleteWorkflow("\"r\"")}).ok());
    EXPECT_EQ(History(run).size(), 10u);
    return run;
  }
};

TEST_F(HistoryResetTest, ResetReplaysUpToTheTaskAndReappliesLaterSignals) {
  Execution base = CompletedRun("wf-reset");
  auto reset = Reset(base, 4, "reset-1");
  ASSERT_TRUE(reset.ok()) << reset.status();
  ASSERT_FALSE(reset->run_id().empty());
  EXPECT_NE(reset->run_id(), base.run_id);
  Execution next{base.workflow_id, reset->run_id()};

  Events events = History(next);
  ExpectWellFormed(events);
  EXPECT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                    "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED",
                                    "WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_SCHEDULED"}));
  const auto& failed = events[3].workflow_task_failed_event_attributes();
  EXPECT_EQ(failed.cause(), enums::WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
  EXPECT_EQ(failed.base_run_id(), base.run_id);
  EXPECT_EQ(failed.new_run_id(), next.run_id);
  EXPECT_EQ(failed.failure().message(), "bad deploy");
  EXPECT_EQ(events[4].workflow_execution_signaled_event_attributes().signal_name(), "s1");

  // The new run is the workflow's current run and gets its workflow task.
  auto current = Describe({base.workflow_id, ""});
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->workflow_execution_info().execution().run_id(), next.run_id);
  EXPECT_EQ(current->workflow_execution_info().status(), enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  auto poll = PollWorkflowTask(next);
  EXPECT_EQ(poll.workflow_execution().run_id(), next.run_id);
  // The base run keeps its history and close.
  EXPECT_EQ(History(base).size(), 10u);

  // The same request again is answered with the run it made.
  auto again = Reset(base, 4, "reset-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->run_id(), next.run_id);
}

TEST_F(HistoryResetTest, ResetOfARunningWorkflowTerminatesTheCurrentRun) {
  Execution run = StartRun("wf-reset-running");
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {StartTimer("t", std::chrono::hours(1))}).ok());
  ASSERT_TRUE(Signal(run, "s1").ok());

  auto reset = Reset(run, 4, "reset-2", enums::RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
  ASSERT_TRUE(reset.ok()) << reset.status();
  Events old_events = History(run);
  EXPECT_EQ(old_events.back().event_type(), enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  EXPECT_EQ(old_events.back().workflow_execution_terminated_event_attributes().reason(),
            "bad deploy");
  // Excluded signals are not re-applied.
  EXPECT_EQ(Names(History({run.workflow_id, reset->run_id()})),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_SCHEDULED"}));
}

TEST_F(HistoryResetTest, ResetPointMustEndAWorkflowTask) {
  Execution base = CompletedRun("wf-reset-bad");
  for (int64_t bad : {int64_t{1}, int64_t{11}, int64_t{100}}) {
    auto reset = Reset(base, bad, "reset-bad-" + std::to_string(bad));
    EXPECT_EQ(reset.status().code(), absl::StatusCode::kInvalidArgument)
        << bad << ": " << reset.status();
  }
  auto missing = Reset({"wf-nobody", ""}, 4, "reset-x");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  // Nothing changed: the base run is still the current one.
  auto current = Describe({base.workflow_id, ""});
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->workflow_execution_info().execution().run_id(), base.run_id);
}

}  // namespace
}  // namespace tern::history
