// MutableStateBuilder (event ids, buffering, transient workflow tasks, closing) and the retry
// policy arithmetic of services/history.
#include <gtest/gtest.h>

#include <vector>

#include "services/history/mutable_state.h"
#include "services/history/retry.h"

namespace tern::history {
namespace {

namespace cv1 = temporal::api::common::v1;
namespace fv1 = temporal::api::failure::v1;
using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kNow = TimePoint(seconds(1700000000));

// A running workflow whose history has `next_event_id - 1` events.
pv1::MutableState RunningState(int64_t next_event_id) {
  pv1::MutableState state;
  state.set_namespace_id("ns-id");
  state.set_workflow_id("wf");
  state.set_run_id("run");
  state.set_task_queue("tq");
  state.set_status(enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  state.set_next_event_id(next_event_id);
  *state.mutable_default_workflow_task_timeout() = ToProtoDuration(seconds(10));
  return state;
}

// Same, with a normal workflow task scheduled at `scheduled` and started right after it.
pv1::MutableState StateWithStartedTask(int64_t scheduled) {
  auto state = RunningState(scheduled + 2);
  auto* wft = state.mutable_workflow_task();
  wft->set_scheduled_event_id(scheduled);
  wft->set_started_event_id(scheduled + 1);
  wft->set_attempt(1);
  wft->set_type(pv1::WORKFLOW_TASK_TYPE_NORMAL);
  wft->set_task_queue("tq");
  return state;
}

class BuilderTest : public ::testing::Test {
 protected:
  MutableStateBuilder Builder(pv1::MutableState state) {
    return MutableStateBuilder(std::move(state), kNow, [this] { return ++last_task_id_; });
  }
  int64_t last_task_id_ = 100;
};

std::vector<enums::EventType> Types(const std::vector<hv1::HistoryEvent>& events) {
  std::vector<enums::EventType> types;
  for (const auto& e : events) types.push_back(e.event_type());
  return types;
}

std::vector<int64_t> Ids(const std::vector<hv1::HistoryEvent>& events) {
  std::vector<int64_t> ids;
  for (const auto& e : events) ids.push_back(e.event_id());
  return ids;
}

hv1::HistoryEvent* AddActivityStarted(MutableStateBuilder& ms, int64_t scheduled) {
  auto* e = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_STARTED);
  e->mutable_activity_task_started_event_attributes()->set_scheduled_event_id(scheduled);
  return e;
}

// ---- events -------------------------------------------------------------------------------------

TEST_F(BuilderTest, EventIdsContinueFromNextEventIdWithoutGaps) {
  auto ms = Builder(RunningState(7));
  auto* a = ms.AddEvent(enums::EVENT_TYPE_MARKER_RECORDED);
  auto* b = ms.AddEvent(enums::EVENT_TYPE_TIMER_STARTED);
  auto* c = ms.AddEvent(enums::EVENT_TYPE_MARKER_RECORDED);
  EXPECT_EQ(a->event_id(), 7);
  EXPECT_EQ(b->event_id(), 8);
  EXPECT_EQ(c->event_id(), 9);
  EXPECT_EQ(ms.state().next_event_id(), 10);
  EXPECT_TRUE(ms.HasChanges());

  auto events = ms.TakeNewEvents();
  EXPECT_EQ(Ids(events), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(Types(events), (std::vector<enums::EventType>{enums::EVENT_TYPE_MARKER_RECORDED,
                                                          enums::EVENT_TYPE_TIMER_STARTED,
                                                          enums::EVENT_TYPE_MARKER_RECORDED}));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(FromProto(events[i].event_time()), kNow);
    if (i > 0) {
      EXPECT_GT(events[i].task_id(), events[i - 1].task_id());
    }
  }
  EXPECT_GT(ms.state().history_size_bytes(), 0);
  EXPECT_TRUE(ms.TakeNewEvents().empty());
}

TEST_F(BuilderTest, NoChangesUntilSomethingHappens) {
  auto ms = Builder(RunningState(3));
  EXPECT_FALSE(ms.HasChanges());
  ms.MarkDirty();
  EXPECT_TRUE(ms.HasChanges());
}

TEST_F(BuilderTest, ExternalEventIsAppendedWhenNoTaskIsStarted) {
  auto ms = Builder(RunningState(5));
  auto* fired = ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED);
  EXPECT_EQ(fired->event_id(), 5);
  EXPECT_FALSE(ms.HasBufferedEvents());
  EXPECT_EQ(ms.state().next_event_id(), 6);
}

TEST_F(BuilderTest, ExternalEventJoinsAScheduledButNotStartedTask) {
  auto ms = Builder(RunningState(5));
  ms.ScheduleWorkflowTask();
  ASSERT_EQ(ms.state().workflow_task().scheduled_event_id(), 5);
  auto* fired = ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED);
  EXPECT_EQ(fired->event_id(), 6);  // between Scheduled and the future Started
  EXPECT_EQ(ms.state().workflow_task().scheduled_event_id(), 5);
  EXPECT_FALSE(ms.HasBufferedEvents());
}

// ---- buffering ----------------------------------------------------------------------------------

TEST_F(BuilderTest, ExternalEventsAreBufferedWhileATaskIsStarted) {
  auto ms = Builder(StateWithStartedTask(8));  // next_event_id 10
  AddActivityStarted(ms, 5);
  auto* completed = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  completed->mutable_activity_task_completed_event_attributes()->set_scheduled_event_id(5);
  ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED)
      ->mutable_timer_fired_event_attributes()
      ->set_timer_id("t1");

  EXPECT_TRUE(ms.HasBufferedEvents());
  EXPECT_EQ(ms.state().buffered_events_size(), 3);
  EXPECT_EQ(ms.state().next_event_id(), 10);
  EXPECT_TRUE(ms.TakeNewEvents().empty());
  EXPECT_TRUE(ms.HasChanges());  // the buffer is part of the state to persist
  for (const auto& e : ms.state().buffered_events()) EXPECT_EQ(e.event_id(), 0);
}

TEST_F(BuilderTest, FlushPutsCompletionsLastAndWiresActivityStartedIds) {
  auto ms = Builder(StateWithStartedTask(8));  // next_event_id 10
  // Arrival order: completion of 5 (with its started), a timer, a failure of 6 with its
  // started, a timeout of 7 that never started, a completion of 4 already wired.
  AddActivityStarted(ms, 5);
  ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
      ->mutable_activity_task_completed_event_attributes()
      ->set_scheduled_event_id(5);
  ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED)
      ->mutable_timer_fired_event_attributes()
      ->set_timer_id("t1");
  AddActivityStarted(ms, 6);
  ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_FAILED)
      ->mutable_activity_task_failed_event_attributes()
      ->set_scheduled_event_id(6);
  ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
      ->mutable_activity_task_timed_out_event_attributes()
      ->set_scheduled_event_id(7);
  auto* prewired = ms.AddExternalEvent(enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED)
                       ->mutable_activity_task_canceled_event_attributes();
  prewired->set_scheduled_event_id(4);
  prewired->set_started_event_id(3);

  // The task completes: its Completed event comes first, then the buffer.
  EXPECT_EQ(ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED)->event_id(), 10);
  ms.ClearWorkflowTask();
  ms.FlushBufferedEvents();
  EXPECT_FALSE(ms.HasBufferedEvents());
  EXPECT_EQ(ms.state().buffered_events_size(), 0);

  auto events = ms.TakeNewEvents();
  ASSERT_EQ(Ids(events), (std::vector<int64_t>{10, 11, 12, 13, 14, 15, 16, 17}));
  EXPECT_EQ(
      Types(events),
      (std::vector<enums::EventType>{
          enums::EVENT_TYPE_WORKFLOW_TASK_COMPLETED, enums::EVENT_TYPE_ACTIVITY_TASK_STARTED,
          enums::EVENT_TYPE_TIMER_FIRED, enums::EVENT_TYPE_ACTIVITY_TASK_STARTED,
          enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED, enums::EVENT_TYPE_ACTIVITY_TASK_FAILED,
          enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED}));
  EXPECT_EQ(events[1].activity_task_started_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[3].activity_task_started_event_attributes().scheduled_event_id(), 6);
  EXPECT_EQ(events[4].activity_task_completed_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[4].activity_task_completed_event_attributes().started_event_id(), 11);
  EXPECT_EQ(events[5].activity_task_failed_event_attributes().started_event_id(), 13);
  EXPECT_EQ(events[6].activity_task_timed_out_event_attributes().started_event_id(), 0);
  EXPECT_EQ(events[7].activity_task_canceled_event_attributes().started_event_id(), 3);
  EXPECT_EQ(ms.state().next_event_id(), 18);
}

TEST_F(BuilderTest, FlushWithEmptyBufferDoesNothing) {
  auto ms = Builder(RunningState(4));
  ms.FlushBufferedEvents();
  EXPECT_TRUE(ms.TakeNewEvents().empty());
  EXPECT_EQ(ms.state().next_event_id(), 4);
}

TEST(IsCompletionEventTest, ClassifiesOutcomes) {
  EXPECT_TRUE(IsCompletionEvent(enums::EVENT_TYPE_ACTIVITY_TASK_COMPLETED));
  EXPECT_TRUE(IsCompletionEvent(enums::EVENT_TYPE_ACTIVITY_TASK_FAILED));
  EXPECT_TRUE(IsCompletionEvent(enums::EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT));
  EXPECT_TRUE(IsCompletionEvent(enums::EVENT_TYPE_ACTIVITY_TASK_CANCELED));
  EXPECT_TRUE(IsCompletionEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED));
  EXPECT_FALSE(IsCompletionEvent(enums::EVENT_TYPE_ACTIVITY_TASK_STARTED));
  EXPECT_FALSE(IsCompletionEvent(enums::EVENT_TYPE_TIMER_FIRED));
  EXPECT_FALSE(IsCompletionEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));
}

// ---- workflow tasks -----------------------------------------------------------------------------

TEST_F(BuilderTest, ScheduleWritesScheduledEventAndOneTransferTask) {
  auto ms = Builder(RunningState(2));
  ms.ScheduleWorkflowTask();
  const auto& wft = ms.state().workflow_task();
  EXPECT_EQ(wft.scheduled_event_id(), 2);
  EXPECT_EQ(wft.started_event_id(), 0);
  EXPECT_EQ(wft.attempt(), 1);
  EXPECT_EQ(wft.type(), pv1::WORKFLOW_TASK_TYPE_NORMAL);
  EXPECT_TRUE(ms.HasPendingWorkflowTask());
  EXPECT_FALSE(ms.HasStartedWorkflowTask());

  auto events = ms.TakeNewEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event_type(), enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  const auto& attrs = events[0].workflow_task_scheduled_event_attributes();
  EXPECT_EQ(attrs.task_queue().name(), "tq");
  EXPECT_EQ(attrs.task_queue().kind(), enums::TASK_QUEUE_KIND_NORMAL);
  EXPECT_EQ(attrs.attempt(), 1);
  EXPECT_EQ(FromProto(attrs.start_to_close_timeout()), seconds(10));

  auto tasks = ms.TakeTransferTasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].type(), pv1::TransferTask::TYPE_WORKFLOW_TASK);
  EXPECT_EQ(tasks[0].scheduled_event_id(), 2);
  EXPECT_EQ(tasks[0].task_queue(), "tq");
  EXPECT_EQ(tasks[0].workflow_id(), "wf");
  EXPECT_EQ(tasks[0].run_id(), "run");
  EXPECT_GT(tasks[0].task_id(), 0);
}

TEST_F(BuilderTest, ScheduleIsANoOpWhileATaskIsPending) {
  auto ms = Builder(RunningState(2));
  ms.ScheduleWorkflowTask();
  ms.ScheduleWorkflowTask();
  ms.ScheduleWorkflowTask(3);
  EXPECT_EQ(ms.TakeNewEvents().size(), 1u);
  EXPECT_EQ(ms.TakeTransferTasks().size(), 1u);
  EXPECT_EQ(ms.state().workflow_task().attempt(), 1);

  auto started = Builder(StateWithStartedTask(2));
  started.ScheduleWorkflowTask();
  EXPECT_TRUE(started.TakeNewEvents().empty());
  EXPECT_TRUE(started.TakeTransferTasks().empty());
  EXPECT_EQ(started.state().workflow_task().started_event_id(), 3);
}

TEST_F(BuilderTest, TransientTaskHasNoEventsUntilPersisted) {
  auto ms = Builder(RunningState(5));
  ms.ScheduleWorkflowTask(2);
  const auto& wft = ms.state().workflow_task();
  EXPECT_EQ(wft.type(), pv1::WORKFLOW_TASK_TYPE_TRANSIENT);
  EXPECT_EQ(wft.scheduled_event_id(), 5);  // reserved, not written
  EXPECT_EQ(wft.attempt(), 2);
  EXPECT_EQ(ms.state().next_event_id(), 5);
  EXPECT_TRUE(ms.TakeNewEvents().empty());
  auto tasks = ms.TakeTransferTasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].scheduled_event_id(), 5);

  // Not started yet: only the Scheduled event would be shown.
  auto pending = ms.UnwrittenWorkflowTaskEvents();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].event_id(), 5);

  // Started the way RecordWorkflowTaskStarted does it: the Started id follows the Scheduled one.
  auto* mwft = ms.state().mutable_workflow_task();
  mwft->set_started_event_id(6);
  mwft->set_identity("worker-1");
  mwft->set_request_id("poll-1");
  *mwft->mutable_started_time() = ToProto(kNow + seconds(1));

  auto transient = ms.UnwrittenWorkflowTaskEvents();
  ASSERT_EQ(Ids(transient), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(transient[0].event_type(), enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  EXPECT_EQ(transient[0].workflow_task_scheduled_event_attributes().attempt(), 2);
  EXPECT_EQ(transient[0].workflow_task_scheduled_event_attributes().task_queue().name(), "tq");
  EXPECT_EQ(FromProto(transient[0].event_time()), kNow);
  EXPECT_EQ(transient[1].event_type(), enums::EVENT_TYPE_WORKFLOW_TASK_STARTED);
  EXPECT_EQ(transient[1].workflow_task_started_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(transient[1].workflow_task_started_event_attributes().identity(), "worker-1");
  EXPECT_EQ(transient[1].workflow_task_started_event_attributes().request_id(), "poll-1");
  EXPECT_EQ(FromProto(transient[1].event_time()), kNow + seconds(1));
  EXPECT_TRUE(ms.TakeNewEvents().empty());  // still nothing to persist

  ms.WriteWorkflowTaskEvents();
  auto events = ms.TakeNewEvents();
  ASSERT_EQ(Ids(events), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(Types(events),
            (std::vector<enums::EventType>{enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                                           enums::EVENT_TYPE_WORKFLOW_TASK_STARTED}));
  EXPECT_EQ(events[0].workflow_task_scheduled_event_attributes().attempt(), 2);
  EXPECT_EQ(ms.state().next_event_id(), 7);
  EXPECT_EQ(ms.state().workflow_task().type(), pv1::WORKFLOW_TASK_TYPE_NORMAL);
  EXPECT_TRUE(ms.UnwrittenWorkflowTaskEvents().empty());

  // Persisting again (or a normal task) writes nothing.
  ms.WriteWorkflowTaskEvents();
  EXPECT_TRUE(ms.TakeNewEvents().empty());
}

TEST_F(BuilderTest, ExternalEventTurnsAScheduledTransientTaskIntoANormalOne) {
  auto ms = Builder(RunningState(5));
  ms.ScheduleWorkflowTask(3);
  ASSERT_EQ(ms.state().workflow_task().type(), pv1::WORKFLOW_TASK_TYPE_TRANSIENT);

  auto* fired = ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED);
  EXPECT_EQ(fired->event_id(), 5);  // takes the id the transient task had reserved
  const auto& wft = ms.state().workflow_task();
  EXPECT_EQ(wft.type(), pv1::WORKFLOW_TASK_TYPE_NORMAL);
  EXPECT_EQ(wft.attempt(), 1);
  EXPECT_EQ(wft.scheduled_event_id(), 6);

  auto events = ms.TakeNewEvents();
  ASSERT_EQ(Ids(events), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(events[0].event_type(), enums::EVENT_TYPE_TIMER_FIRED);
  EXPECT_EQ(events[1].event_type(), enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  EXPECT_EQ(events[1].workflow_task_scheduled_event_attributes().attempt(), 1);
  auto tasks = ms.TakeTransferTasks();
  ASSERT_EQ(tasks.size(), 2u);  // the transient one (now stale) and the new one
  EXPECT_EQ(tasks.back().scheduled_event_id(), 6);
}

TEST_F(BuilderTest, ExternalEventWhileATransientTaskIsStartedIsBuffered) {
  auto ms = Builder(RunningState(5));
  ms.ScheduleWorkflowTask(2);
  ms.state().mutable_workflow_task()->set_started_event_id(6);
  ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED);
  EXPECT_TRUE(ms.HasBufferedEvents());
  EXPECT_EQ(ms.state().workflow_task().type(), pv1::WORKFLOW_TASK_TYPE_TRANSIENT);
  EXPECT_TRUE(ms.TakeNewEvents().empty());
}

// ---- closing ------------------------------------------------------------------------------------

TEST_F(BuilderTest, CloseExecutionDropsPendingState) {
  auto state = StateWithStartedTask(8);
  (*state.mutable_activities())[5].set_activity_id("a1");
  (*state.mutable_timers())["t1"].set_started_event_id(6);
  state.add_buffered_events()->set_event_type(enums::EVENT_TYPE_TIMER_FIRED);
  auto ms = Builder(std::move(state));

  auto* closed = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_TERMINATED, closed->event_id());
  EXPECT_FALSE(ms.IsRunning());
  EXPECT_EQ(ms.state().status(), enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  EXPECT_EQ(ms.state().completion_event_id(), 10);
  EXPECT_EQ(FromProto(ms.state().close_time()), kNow);
  EXPECT_TRUE(ms.state().activities().empty());
  EXPECT_TRUE(ms.state().timers().empty());
  EXPECT_FALSE(ms.HasBufferedEvents());
  EXPECT_FALSE(ms.HasPendingWorkflowTask());

  // A closed run never gets another workflow task.
  ms.ScheduleWorkflowTask();
  EXPECT_FALSE(ms.HasPendingWorkflowTask());
  EXPECT_EQ(ms.TakeNewEvents().size(), 1u);
  EXPECT_TRUE(ms.TakeTransferTasks().empty());
}

TEST_F(BuilderTest, TasksGetIdsAndWorkflowIdentity) {
  auto ms = Builder(RunningState(3));
  ms.AddTimerTask(NewTimerTask(ms.state(), pv1::TimerTask::TYPE_USER_TIMER, kNow + seconds(5)));
  ms.AddTransferTask(NewTransferTask(ms.state(), pv1::TransferTask::TYPE_ACTIVITY_TASK));
  auto timers = ms.TakeTimerTasks();
  auto transfers = ms.TakeTransferTasks();
  ASSERT_EQ(timers.size(), 1u);
  ASSERT_EQ(transfers.size(), 1u);
  EXPECT_EQ(FromProto(timers[0].fire_time()), kNow + seconds(5));
  EXPECT_EQ(timers[0].namespace_id(), "ns-id");
  EXPECT_EQ(timers[0].run_id(), "run");
  EXPECT_EQ(FromProto(transfers[0].visibility_time()), kNow);
  EXPECT_NE(timers[0].task_id(), transfers[0].task_id());
}

// ---- retry policy -------------------------------------------------------------------------------

cv1::RetryPolicy Policy(std::chrono::nanoseconds initial, double coefficient,
                        std::chrono::nanoseconds maximum, int32_t max_attempts) {
  cv1::RetryPolicy policy;
  *policy.mutable_initial_interval() = ToProtoDuration(initial);
  policy.set_backoff_coefficient(coefficient);
  *policy.mutable_maximum_interval() = ToProtoDuration(maximum);
  policy.set_maximum_attempts(max_attempts);
  return policy;
}

fv1::Failure AppFailure(const std::string& type, bool non_retryable = false) {
  fv1::Failure failure;
  failure.set_message("boom");
  failure.mutable_application_failure_info()->set_type(type);
  failure.mutable_application_failure_info()->set_non_retryable(non_retryable);
  return failure;
}

fv1::Failure TimeoutFailure(enums::TimeoutType type) {
  fv1::Failure failure;
  failure.mutable_timeout_failure_info()->set_timeout_type(type);
  return failure;
}

TEST(RetryPolicyTest, DefaultsFillOnlyMissingFields) {
  cv1::RetryPolicy empty;
  NormalizeRetryPolicy(&empty);
  EXPECT_EQ(FromProto(empty.initial_interval()), seconds(1));
  EXPECT_EQ(empty.backoff_coefficient(), 2.0);
  EXPECT_EQ(FromProto(empty.maximum_interval()), seconds(100));
  EXPECT_EQ(empty.maximum_attempts(), 0);  // unlimited

  cv1::RetryPolicy partial;
  *partial.mutable_initial_interval() = ToProtoDuration(seconds(3));
  partial.set_maximum_attempts(4);
  NormalizeRetryPolicy(&partial);
  EXPECT_EQ(FromProto(partial.initial_interval()), seconds(3));
  EXPECT_EQ(FromProto(partial.maximum_interval()), seconds(300));  // 100 x initial
  EXPECT_EQ(partial.maximum_attempts(), 4);

  auto full = Policy(milliseconds(10), 1.5, seconds(7), 2);
  auto copy = full;
  NormalizeRetryPolicy(&copy);
  EXPECT_EQ(copy.SerializeAsString(), full.SerializeAsString());
}

TEST(RetryPolicyTest, BackoffGrowsExponentiallyUpToTheMaximumInterval) {
  auto policy = Policy(seconds(1), 2.0, seconds(10), 0);
  std::vector<std::chrono::nanoseconds> expected = {seconds(1), seconds(2),  seconds(4),
                                                    seconds(8), seconds(10), seconds(10)};
  for (int attempt = 1; attempt <= 6; ++attempt) {
    auto d = DecideRetry(policy, attempt, AppFailure("E"), std::nullopt, kNow);
    EXPECT_TRUE(d.retry) << attempt;
    EXPECT_EQ(d.state, enums::RETRY_STATE_IN_PROGRESS);
    EXPECT_EQ(d.backoff, expected[attempt - 1]) << attempt;
  }
  // Very high attempts neither overflow nor exceed the cap.
  auto late = DecideRetry(policy, 500, AppFailure("E"), std::nullopt, kNow);
  EXPECT_TRUE(late.retry);
  EXPECT_EQ(late.backoff, seconds(10));
}

TEST(RetryPolicyTest, MaximumAttemptsStopsRetrying) {
  auto policy = Policy(seconds(1), 2.0, seconds(10), 3);
  EXPECT_TRUE(DecideRetry(policy, 1, AppFailure("E"), std::nullopt, kNow).retry);
  EXPECT_TRUE(DecideRetry(policy, 2, AppFailure("E"), std::nullopt, kNow).retry);
  auto last = DecideRetry(policy, 3, AppFailure("E"), std::nullopt, kNow);
  EXPECT_FALSE(last.retry);
  EXPECT_EQ(last.state, enums::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);

  auto once = Policy(seconds(1), 2.0, seconds(10), 1);
  EXPECT_EQ(DecideRetry(once, 1, AppFailure("E"), std::nullopt, kNow).state,
            enums::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
}

TEST(RetryPolicyTest, NonRetryableFailuresDoNotRetry) {
  auto policy = Policy(seconds(1), 2.0, seconds(10), 0);
  policy.add_non_retryable_error_types("BadInput");

  auto flagged =
      DecideRetry(policy, 1, AppFailure("E", /*non_retryable=*/true), std::nullopt, kNow);
  EXPECT_FALSE(flagged.retry);
  EXPECT_EQ(flagged.state, enums::RETRY_STATE_NON_RETRYABLE_FAILURE);

  auto listed = DecideRetry(policy, 1, AppFailure("BadInput"), std::nullopt, kNow);
  EXPECT_FALSE(listed.retry);
  EXPECT_EQ(listed.state, enums::RETRY_STATE_NON_RETRYABLE_FAILURE);

  EXPECT_TRUE(DecideRetry(policy, 1, AppFailure("OtherError"), std::nullopt, kNow).retry);

  fv1::Failure canceled;
  canceled.mutable_canceled_failure_info();
  EXPECT_EQ(DecideRetry(policy, 1, canceled, std::nullopt, kNow).state,
            enums::RETRY_STATE_NON_RETRYABLE_FAILURE);
  fv1::Failure terminated;
  terminated.mutable_terminated_failure_info();
  EXPECT_FALSE(DecideRetry(policy, 1, terminated, std::nullopt, kNow).retry);
  fv1::Failure server;
  server.mutable_server_failure_info()->set_non_retryable(true);
  EXPECT_FALSE(DecideRetry(policy, 1, server, std::nullopt, kNow).retry);
  server.mutable_server_failure_info()->set_non_retryable(false);
  EXPECT_TRUE(DecideRetry(policy, 1, server, std::nullopt, kNow).retry);
}

TEST(RetryPolicyTest, NextRetryDelayOverridesTheComputedBackoff) {
  auto policy = Policy(seconds(1), 2.0, seconds(100), 5);
  auto failure = AppFailure("E");
  *failure.mutable_application_failure_info()->mutable_next_retry_delay() =
      ToProtoDuration(seconds(7));
  auto d = DecideRetry(policy, 3, failure, std::nullopt, kNow);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.backoff, seconds(7));
  // ... but not the attempt limit.
  EXPECT_EQ(DecideRetry(policy, 5, failure, std::nullopt, kNow).state,
            enums::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
}

TEST(RetryPolicyTest, NoRetryThatWouldStartAfterTheExpiration) {
  auto policy = Policy(seconds(1), 2.0, seconds(100), 0);
  TimePoint expiration = kNow + milliseconds(2500);
  auto first = DecideRetry(policy, 1, AppFailure("E"), expiration, kNow);  // backoff 1 s
  EXPECT_TRUE(first.retry);
  auto second = DecideRetry(policy, 2, AppFailure("E"), expiration, kNow);  // backoff 2 s
  EXPECT_TRUE(second.retry);
  auto third = DecideRetry(policy, 3, AppFailure("E"), expiration, kNow);  // backoff 4 s
  EXPECT_FALSE(third.retry);
  EXPECT_EQ(third.state, enums::RETRY_STATE_TIMEOUT);
  auto past = DecideRetry(policy, 1, AppFailure("E"), kNow - seconds(1), kNow);
  EXPECT_EQ(past.state, enums::RETRY_STATE_TIMEOUT);
}

TEST(RetryPolicyTest, ScheduleTimeoutsNeverRetryButStartToCloseDoes) {
  auto policy = Policy(seconds(1), 2.0, seconds(100), 0);
  auto s2s = DecideRetry(policy, 1, TimeoutFailure(enums::TIMEOUT_TYPE_SCHEDULE_TO_START),
                         std::nullopt, kNow);
  EXPECT_FALSE(s2s.retry);
  EXPECT_EQ(s2s.state, enums::RETRY_STATE_TIMEOUT);
  auto s2c = DecideRetry(policy, 1, TimeoutFailure(enums::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE),
                         std::nullopt, kNow);
  EXPECT_FALSE(s2c.retry);
  EXPECT_EQ(s2c.state, enums::RETRY_STATE_TIMEOUT);
  EXPECT_TRUE(
      DecideRetry(policy, 1, TimeoutFailure(enums::TIMEOUT_TYPE_START_TO_CLOSE), std::nullopt, kNow)
          .retry);
  EXPECT_TRUE(
      DecideRetry(policy, 1, TimeoutFailure(enums::TIMEOUT_TYPE_HEARTBEAT), std::nullopt, kNow)
          .retry);
}

}  // namespace
}  // namespace tern::history
