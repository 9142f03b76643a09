// HistoryEngine end to end over in-memory stores (tests/unit/history_test_env.h). Tests assert
// the history a user would fetch.
#include "services/history/history_engine.h"

#include <gtest/gtest.h>

#include "tests/unit/history_test_env.h"

namespace tern::history {
namespace {

using namespace test_env;  // NOLINT(build/namespaces): the fixture's vocabulary
using HistoryEngineTest = HistoryTestEnv;

// ---- the in-memory stores keep the store contract the engine relies on -------------------------

persistence::WorkflowWrite RunWrite(const std::string& run_id, int64_t first_event, int events,
                                    int64_t expected_version, persistence::CurrentMode mode) {
  persistence::WorkflowWrite write;
  write.state.set_namespace_id(kNsId);
  write.state.set_workflow_id("wf-store");
  write.state.set_run_id(run_id);
  write.state.set_create_request_id("req-" + run_id);
  write.state.set_next_event_id(first_event + events);
  write.expected_db_record_version = expected_version;
  write.current_mode = mode;
  for (int i = 0; i < events; ++i) {
    auto& e = write.new_events.emplace_back();
    e.set_event_id(first_event + i);
    e.set_event_type(enums::EVENT_TYPE_MARKER_RECORDED);
  }
  return write;
}

TEST(FakeExecutionStoreTest, FencingVersionsCurrentRowsAndWholeBatchReads) {
  auto shards = std::make_shared<fakes::FakeShardStore>();
  fakes::FakeExecutionStore store(shards);
  auto lease = shards->AcquireShard(1, "me");
  ASSERT_TRUE(lease.ok());
  const int64_t range = lease->range_id;

  // A stale range id is fenced and writes nothing.
  auto fenced =
      store.Write(1, range + 1, {RunWrite("r1", 1, 2, 0, persistence::CurrentMode::kCreate)});
  EXPECT_TRUE(persistence::IsFencingError(fenced)) << fenced;
  EXPECT_TRUE(absl::IsNotFound(store.GetCurrentExecution(1, kNsId, "wf-store").status()));

  ASSERT_TRUE(
      store.Write(1, range, {RunWrite("r1", 1, 2, 0, persistence::CurrentMode::kCreate)}).ok());
  auto record = store.GetExecution(1, kNsId, "wf-store", "r1");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->db_record_version, 1);

  // A second create reports the existing row; an update at a stale version is a conflict and
  // nothing of the transaction sticks.
  auto exists = store.Write(1, range, {RunWrite("r2", 1, 1, 0, persistence::CurrentMode::kCreate)});
  ASSERT_TRUE(persistence::IsConditionFailed(exists)) << exists;
  auto existing = persistence::GetExistingCurrentExecution(exists);
  ASSERT_TRUE(existing.has_value());
  EXPECT_EQ(existing->run_id, "r1");
  EXPECT_EQ(existing->create_request_id, "req-r1");
  EXPECT_TRUE(absl::IsNotFound(store.GetExecution(1, kNsId, "wf-store", "r2").status()));
  auto stale = store.Write(1, range, {RunWrite("r1", 3, 1, 7, persistence::CurrentMode::kNone)});
  EXPECT_TRUE(persistence::IsConditionFailed(stale)) << stale;
  // A batch must continue the history without a gap.
  auto gap = store.Write(1, range, {RunWrite("r1", 5, 1, 1, persistence::CurrentMode::kNone)});
  EXPECT_EQ(gap.code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(
      store.Write(1, range, {RunWrite("r1", 3, 1, 1, persistence::CurrentMode::kNone)}).ok());
  ASSERT_TRUE(
      store.Write(1, range, {RunWrite("r1", 4, 3, 2, persistence::CurrentMode::kNone)}).ok());
  auto ids = [&](int64_t first, int64_t next, int max) {
    std::vector<int64_t> out;
    auto events = store.ReadHistory(1, kNsId, "wf-store", "r1", first, next, max);
    EXPECT_TRUE(events.ok());
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(e.event_id());
    }
    return out;
  };
  // Batches [1,2] [3] [4,5,6]: whole batches until max_events is reached, clipped to the range.
  EXPECT_EQ(ids(1, 7, 2), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ids(1, 7, 3), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(ids(3, 7, 2), (std::vector<int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(ids(2, 5, 10), (std::vector<int64_t>{2, 3, 4}));

  // Closing updates the current row; replacing needs the right previous run.
  auto close = RunWrite("r1", 7, 0, 3, persistence::CurrentMode::kUpdateState);
  close.run_state = persistence::RunState::kCompleted;
  close.state.set_status(enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  ASSERT_TRUE(store.Write(1, range, {close}).ok());
  auto current = store.GetCurrentExecution(1, kNsId, "wf-store");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->state, persistence::RunState::kCompleted);
  EXPECT_EQ(current->status, enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  auto wrong = RunWrite("r3", 1, 1, 0, persistence::CurrentMode::kReplace);
  wrong.previous_run_id = "r0";
  EXPECT_TRUE(persistence::IsConditionFailed(store.Write(1, range, {wrong})));
  wrong.previous_run_id = "r1";
  ASSERT_TRUE(store.Write(1, range, {wrong}).ok());
  EXPECT_EQ(store.GetCurrentExecution(1, kNsId, "wf-store")->run_id, "r3");
}

// ---- placement ----------------------------------------------------------------------------------

TEST_F(HistoryEngineTest, TheOnlyHistoryMemberOwnsEveryShard) {
  EXPECT_EQ(controller_.OwnedShards(), (std::vector<int32_t>{1, 2, 3, 4}));
  for (int32_t shard = 1; shard <= kShards; ++shard) {
    EXPECT_EQ(shard_store_->RangeId(shard), 1) << shard;
    EXPECT_EQ(shard_store_->Owner(shard), kSelf) << shard;
  }
}

// ---- the happy path (contract §3.5.1) -----------------------------------------------------------

TEST_F(HistoryEngineTest, OneActivityThenOneTimerProducesTheContractHistory) {
  auto start = Start(StartRequest("wf-happy", "req-1"));
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_TRUE(start->started());
  Execution run{"wf-happy", start->run_id()};

  Events events = History(run);
  ASSERT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED"}));
  const auto& started = events[0].workflow_execution_started_event_attributes();
  EXPECT_EQ(started.workflow_type().name(), "OrderWorkflow");
  EXPECT_EQ(started.task_queue().name(), kQueue);
  EXPECT_EQ(started.original_execution_run_id(), run.run_id);
  EXPECT_EQ(started.first_execution_run_id(), run.run_id);
  EXPECT_EQ(started.attempt(), 1);
  EXPECT_EQ(started.identity(), "client-1");
  EXPECT_EQ(started.input().SerializeAsString(), Payload("\"input\"").SerializeAsString());
  EXPECT_EQ(FromProto(started.workflow_task_timeout()), seconds(10));
  EXPECT_EQ(events[1].workflow_task_scheduled_event_attributes().attempt(), 1);
  EXPECT_EQ(events[1].workflow_task_scheduled_event_attributes().task_queue().name(), kQueue);

  // Poll #1: events 1..3, started 3, previous 0.
  auto poll1 = PollWorkflowTask(run);
  EXPECT_EQ(poll1.started_event_id(), 3);
  EXPECT_EQ(poll1.previous_started_event_id(), 0);
  EXPECT_EQ(poll1.attempt(), 1);
  EXPECT_EQ(poll1.workflow_execution().run_id(), run.run_id);
  EXPECT_EQ(poll1.workflow_type().name(), "OrderWorkflow");
  Events delivered = ToVector(poll1.history().events());
  ASSERT_EQ(Names(delivered), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                       "WORKFLOW_TASK_STARTED"}));
  EXPECT_EQ(delivered[2].workflow_task_started_event_attributes().scheduled_event_id(), 2);
  EXPECT_EQ(delivered[2].workflow_task_started_event_attributes().identity(), "workflow-worker");
  ExpectWellFormed(delivered);

  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {ScheduleActivity("a1")}).ok());
  auto activity = PollActivityTask(run);
  EXPECT_EQ(activity.activity_id(), "a1");
  EXPECT_EQ(activity.activity_type().name(), "Charge");
  EXPECT_EQ(activity.attempt(), 1);
  EXPECT_EQ(activity.input().SerializeAsString(), Payload("\"card-1\"").SerializeAsString());
  EXPECT_EQ(activity.workflow_execution().run_id(), run.run_id);
  ASSERT_EQ(matching_.activity_tasks().size(), 1u);
  EXPECT_EQ(matching_.activity_tasks()[0].scheduled_event_id(), 5);
  EXPECT_EQ(matching_.activity_tasks()[0].task_queue().name(), kQueue);

  // Starting the activity writes nothing.
  events = History(run);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(Names(events)[3], "WORKFLOW_TASK_COMPLETED");
  EXPECT_EQ(events[3].workflow_task_completed_event_attributes().scheduled_event_id(), 2);
  EXPECT_EQ(events[3].workflow_task_completed_event_attributes().started_event_id(), 3);
  EXPECT_EQ(events[3].workflow_task_completed_event_attributes().identity(), "workflow-worker");
  ASSERT_EQ(Names(events)[4], "ACTIVITY_TASK_SCHEDULED");
  const auto& scheduled = events[4].activity_task_scheduled_event_attributes();
  EXPECT_EQ(scheduled.activity_id(), "a1");
  EXPECT_EQ(scheduled.workflow_task_completed_event_id(), 4);
  EXPECT_EQ(scheduled.task_queue().name(), kQueue);
  EXPECT_EQ(FromProto(scheduled.start_to_close_timeout()), seconds(60));
  EXPECT_EQ(FromProto(scheduled.retry_policy().initial_interval()), seconds(1));
  EXPECT_EQ(scheduled.retry_policy().backoff_coefficient(), 2.0);
  EXPECT_EQ(FromProto(scheduled.retry_policy().maximum_interval()), seconds(100));

  ASSERT_TRUE(CompleteActivity(activity.task_token(), "\"charged\"").ok());
  events = History(run);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(Names(events)[5], "ACTIVITY_TASK_STARTED");
  EXPECT_EQ(events[5].activity_task_started_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[5].activity_task_started_event_attributes().attempt(), 1);
  EXPECT_EQ(events[5].activity_task_started_event_attributes().identity(), "activity-worker");
  EXPECT_EQ(Names(events)[6], "ACTIVITY_TASK_COMPLETED");
  EXPECT_EQ(events[6].activity_task_completed_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[6].activity_task_completed_event_attributes().started_event_id(), 6);
  EXPECT_EQ(events[6].activity_task_completed_event_attributes().result().SerializeAsString(),
            Payload("\"charged\"").SerializeAsString());
  EXPECT_EQ(Names(events)[7], "WORKFLOW_TASK_SCHEDULED");

  // Poll #2: full history 1..9, previous 3.
  auto poll2 = PollWorkflowTask(run);
  EXPECT_EQ(poll2.started_event_id(), 9);
  EXPECT_EQ(poll2.previous_started_event_id(), 3);
  EXPECT_EQ(poll2.history().events_size(), 9);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll2.task_token(), {StartTimer("1", std::chrono::hours(1))}).ok());

  auto timer = UserTimer(run, "1");
  ASSERT_TRUE(timer.has_value());
  EXPECT_EQ(timer->event_id(), 11);
  EXPECT_GT(FromProto(timer->fire_time()),
            std::chrono::system_clock::now() + std::chrono::minutes(59));
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());
  // A second delivery of the same timer task changes nothing.
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());

  events = History(run);
  ASSERT_EQ(events.size(), 13u);
  EXPECT_EQ(events[10].timer_started_event_attributes().timer_id(), "1");
  EXPECT_EQ(events[10].timer_started_event_attributes().workflow_task_completed_event_id(), 10);
  EXPECT_EQ(FromProto(events[10].timer_started_event_attributes().start_to_fire_timeout()),
            std::chrono::hours(1));
  EXPECT_EQ(events[11].timer_fired_event_attributes().timer_id(), "1");
  EXPECT_EQ(events[11].timer_fired_event_attributes().started_event_id(), 11);

  // Poll #3, then complete the workflow.
  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.started_event_id(), 14);
  EXPECT_EQ(poll3.previous_started_event_id(), 9);
  ASSERT_TRUE(CompleteWorkflowTask(poll3.task_token(), {CompleteWorkflow("\"done\"")}).ok());

  events = History(run);
  EXPECT_EQ(Names(events),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED",
                     "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "TIMER_STARTED",
                     "TIMER_FIRED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
                     "WORKFLOW_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"}));
  ExpectWellFormed(events);
  ASSERT_EQ(events.size(), 16u);
  EXPECT_EQ(
      events[15].workflow_execution_completed_event_attributes().workflow_task_completed_event_id(),
      15);
  EXPECT_EQ(events[15].workflow_execution_completed_event_attributes().result().SerializeAsString(),
            Payload("\"done\"").SerializeAsString());

  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->workflow_execution_info().status(),
            enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(described->workflow_execution_info().history_length(), 16);
  EXPECT_TRUE(described->workflow_execution_info().has_close_time());
  EXPECT_FALSE(described->has_pending_workflow_task());
  EXPECT_EQ(matching_.workflow_tasks().size(), 3u);
  EXPECT_TRUE(history_client_.calls().empty());  // a lone workflow never calls other workflows
}

// ---- starting -----------------------------------------------------------------------------------

TEST_F(HistoryEngineTest, DuplicateStartsFollowRequestIdsAndPolicies) {
  auto first = Start(StartRequest("wf-dup", "req-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string run1 = first->run_id();

  // A retried start (same request id) gets the same run.
  auto retried = Start(StartRequest("wf-dup", "req-1"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->run_id(), run1);

  // Another start while it runs is rejected with the detail the SDKs look for.
  auto duplicate = Start(StartRequest("wf-dup", "req-2"));
  ASSERT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists) << duplicate.status();
  temporal::api::errordetails::v1::WorkflowExecutionAlreadyStartedFailure detail;
  ASSERT_TRUE(GetDetail(FromGrpcStatus(ToGrpcStatus(duplicate.status())), &detail));
  EXPECT_EQ(detail.start_request_id(), "req-1");
  EXPECT_EQ(detail.run_id(), run1);

  auto use_existing = StartRequest("wf-dup", "req-3");
  use_existing.set_workflow_id_conflict_policy(enums::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
  auto existing = Start(use_existing);
  ASSERT_TRUE(existing.ok()) << existing.status();
  EXPECT_EQ(existing->run_id(), run1);
  EXPECT_FALSE(existing->started());
  EXPECT_EQ(History({"wf-dup", run1}).size(), 2u);  // none of these wrote anything

  // Closed by termination: REJECT_DUPLICATE refuses, ALLOW_DUPLICATE_FAILED_ONLY accepts.
  ASSERT_TRUE(Terminate({"wf-dup", run1}, "make room").ok());
  auto reject = StartRequest("wf-dup", "req-4");
  reject.set_workflow_id_reuse_policy(enums::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
  EXPECT_EQ(Start(reject).status().code(), absl::StatusCode::kAlreadyExists);

  auto failed_only = StartRequest("wf-dup", "req-5");
  failed_only.set_workflow_id_reuse_policy(
      enums::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY);
  auto second = Start(failed_only);
  ASSERT_TRUE(second.ok()) << second.status();
  const std::string run2 = second->run_id();
  EXPECT_NE(run2, run1);

  // Completed successfully: ALLOW_DUPLICATE_FAILED_ONLY refuses, the default policy accepts.
  Execution second_run{"wf-dup", run2};
  auto poll = PollWorkflowTask(second_run);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), {CompleteWorkflow("1")}).ok());
  failed_only.set_request_id("req-6");
  auto refused = Start(failed_only);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists) << refused.status();
  ASSERT_TRUE(GetDetail(refused.status(), &detail));
  EXPECT_EQ(detail.run_id(), run2);

  auto third = Start(StartRequest("wf-dup", "req-7"));
  ASSERT_TRUE(third.ok()) << third.status();
  auto current = Describe({"wf-dup", ""});
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->workflow_execution_info().execution().run_id(), third->run_id());
  EXPECT_EQ(current->workflow_execution_info().status(), enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  auto old = Describe({"wf-dup", run1});
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->workflow_execution_info().status(), enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
}

// ---- workflow tasks -----------------------------------------------------------------------------

TEST_F(HistoryEngineTest, FailedWorkflowTaskIsRetriedAsATransientTask) {
  Execution run = StartRun("wf-transient");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(FailWorkflowTask(poll1.task_token(), "boom").ok());

  Events events = History(run);
  ASSERT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                    "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED"}));
  const auto& failed = events[3].workflow_task_failed_event_attributes();
  EXPECT_EQ(failed.scheduled_event_id(), 2);
  EXPECT_EQ(failed.started_event_id(), 3);
  EXPECT_EQ(failed.cause(), enums::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE);
  EXPECT_EQ(failed.failure().message(), "boom");
  EXPECT_EQ(failed.identity(), "workflow-worker");

  // Attempt 2: the poll response carries Scheduled/Started, the stored history does not.
  auto poll2 = PollWorkflowTask(run);
  EXPECT_EQ(poll2.attempt(), 2);
  EXPECT_EQ(poll2.started_event_id(), 6);
  Events delivered = ToVector(poll2.history().events());
  ASSERT_EQ(Names(delivered), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                       "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED",
                                       "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED"}));
  ExpectWellFormed(delivered);
  EXPECT_EQ(delivered[4].workflow_task_scheduled_event_attributes().attempt(), 2);
  EXPECT_EQ(delivered[5].workflow_task_started_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(History(run).size(), 4u);
  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->workflow_execution_info().history_length(), 4);
  EXPECT_EQ(described->pending_workflow_task().attempt(), 2);
  EXPECT_EQ(described->pending_workflow_task().state(), enums::PENDING_WORKFLOW_TASK_STATE_STARTED);

  // Failing the transient attempt writes nothing; attempt 3 reuses the same ids.
  ASSERT_TRUE(FailWorkflowTask(poll2.task_token(), "boom again").ok());
  EXPECT_EQ(History(run).size(), 4u);
  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.attempt(), 3);
  EXPECT_EQ(poll3.started_event_id(), 6);
  EXPECT_EQ(poll3.history().events_size(), 6);

  // Success persists the attempt's events.
  ASSERT_TRUE(CompleteWorkflowTask(poll3.task_token(), {CompleteWorkflow("ok")}).ok());
  events = History(run);
  ASSERT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                    "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED",
                                    "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
                                    "WORKFLOW_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"}));
  ExpectWellFormed(events);
  EXPECT_EQ(events[4].workflow_task_scheduled_event_attributes().attempt(), 3);
  EXPECT_EQ(events[5].workflow_task_started_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[6].workflow_task_completed_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[6].workflow_task_completed_event_attributes().started_event_id(), 6);
}

TEST_F(HistoryEngineTest, FailingATransientTaskOverBufferedEventsPersistsItAndStartsOver) {
  Execution run = StartRun("wf-transient-buffer");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(FailWorkflowTask(poll1.task_token(), "boom").ok());
  auto poll2 = PollWorkflowTask(run);
  ASSERT_EQ(poll2.attempt(), 2);
  ASSERT_TRUE(Signal(run, "wake").ok());  // buffered: the transient task is started
  EXPECT_EQ(History(run).size(), 4u);

  ASSERT_TRUE(FailWorkflowTask(poll2.task_token(), "boom again").ok());
  Events events = History(run);
  ASSERT_EQ(
      Names(events),
      (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_FAILED", "WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_SCHEDULED"}));
  ExpectWellFormed(events);
  EXPECT_EQ(events[4].workflow_task_scheduled_event_attributes().attempt(), 2);
  EXPECT_EQ(events[6].workflow_task_failed_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[6].workflow_task_failed_event_attributes().started_event_id(), 6);
  EXPECT_EQ(events[6].workflow_task_failed_event_attributes().failure().message(), "boom again");
  EXPECT_EQ(events[8].workflow_task_scheduled_event_attributes().attempt(), 1);

  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.attempt(), 1);
  EXPECT_EQ(poll3.started_event_id(), 10);
  EXPECT_EQ(poll3.history().events_size(), 10);
}

TEST_F(HistoryEngineTest, StaleOrForeignTaskTokensAreRefused) {
  Execution run = StartRun("wf-stale");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {}, /*force_new_task=*/true).ok());

  auto again = CompleteWorkflowTask(poll1.task_token(), {CompleteWorkflow("x")});
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(again.message(), "Workflow task not found.");
  EXPECT_EQ(FailWorkflowTask(poll1.task_token(), "late").code(), absl::StatusCode::kNotFound);
  // The old task can no longer be started either.
  EXPECT_EQ(RecordWorkflowTaskStarted(run, 2, NewUuid()).status().code(),
            absl::StatusCode::kNotFound);

  auto poll2 = PollWorkflowTask(run);
  auto token = DecodeTaskToken(poll2.task_token());
  ASSERT_TRUE(token.ok()) << token.status();
  token->set_attempt(7);
  auto wrong_attempt = CompleteWorkflowTask(EncodeTaskToken(*token), {});
  EXPECT_EQ(wrong_attempt.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(wrong_attempt.message(), "Workflow task not found.");
  EXPECT_EQ(CompleteWorkflowTask("garbage", {}).code(), absl::StatusCode::kInvalidArgument);

  Events events = History(run);
  EXPECT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                    "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
                                    "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED"}));
  // The real token still works.
  EXPECT_TRUE(CompleteWorkflowTask(poll2.task_token(), {CompleteWorkflow("x")}).ok());
}

TEST_F(HistoryEngineTest, RecordWorkflowTaskStartedIsIdempotentPerRequestId) {
  Execution run = StartRun("wf-record");
  auto first = RecordWorkflowTaskStarted(run, 2, "poll-1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto repeat = RecordWorkflowTaskStarted(run, 2, "poll-1");
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->started_event_id(), first->started_event_id());
  EXPECT_EQ(repeat->task_token(), first->task_token());
  auto other = RecordWorkflowTaskStarted(run, 2, "poll-2");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(History(run).size(), 3u);
}

// ---- buffering ----------------------------------------------------------------------------------

TEST_F(HistoryEngineTest, ActivityCompletedDuringAWorkflowTaskAppearsAfterTheCommands) {
  Execution run = StartRun("wf-buffer");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {ScheduleActivity("a1")}, true).ok());
  auto poll2 = PollWorkflowTask(run);  // started 7
  ASSERT_EQ(poll2.started_event_id(), 7);

  auto activity = PollActivityTask(run);
  ASSERT_TRUE(CompleteActivity(activity.task_token(), "\"r\"").ok());
  EXPECT_EQ(History(run).size(), 7u);  // buffered, not visible yet

  ASSERT_TRUE(
      CompleteWorkflowTask(poll2.task_token(), {StartTimer("t1", std::chrono::hours(1))}).ok());
  Events events = History(run);
  ASSERT_EQ(
      Names(events),
      (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED", "WORKFLOW_TASK_SCHEDULED",
               "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "TIMER_STARTED",
               "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED", "WORKFLOW_TASK_SCHEDULED"}));
  ExpectWellFormed(events);
  EXPECT_EQ(events[8].timer_started_event_attributes().workflow_task_completed_event_id(), 8);
  EXPECT_EQ(events[9].activity_task_started_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[10].activity_task_completed_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[10].activity_task_completed_event_attributes().started_event_id(), 10);
  EXPECT_EQ(events[10].activity_task_completed_event_attributes().result().SerializeAsString(),
            Payload("\"r\"").SerializeAsString());
  EXPECT_EQ(events[11].workflow_task_scheduled_event_attributes().attempt(), 1);

  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.started_event_id(), 13);
  EXPECT_EQ(poll3.previous_started_event_id(), 7);
}

TEST_F(HistoryEngineTest, BufferedEventsFlushOrdinaryEventsBeforeCompletions) {
  Execution run = StartRun("wf-order");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {ScheduleActivity("a1")}, true).ok());
  auto poll2 = PollWorkflowTask(run);
  // Arrival order while the task runs: the activity's outcome, then a signal.
  ASSERT_TRUE(CompleteActivity(PollActivityTask(run).task_token(), "\"r\"").ok());
  ASSERT_TRUE(Signal(run, "go").ok());
  EXPECT_EQ(History(run).size(), 7u);

  ASSERT_TRUE(CompleteWorkflowTask(poll2.task_token(), {}).ok());
  Events events = History(run);
  ASSERT_EQ(Names(events),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED",
                     "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
                     "ACTIVITY_TASK_STARTED", "WORKFLOW_EXECUTION_SIGNALED",
                     "ACTIVITY_TASK_COMPLETED", "WORKFLOW_TASK_SCHEDULED"}));
  ExpectWellFormed(events);
  EXPECT_EQ(events[9].workflow_execution_signaled_event_attributes().signal_name(), "go");
  EXPECT_EQ(events[10].activity_task_completed_event_attributes().started_event_id(), 9);
}

TEST_F(HistoryEngineTest, CompletingTheWorkflowOverBufferedEventsIsAnUnhandledCommand) {
  Execution run = StartRun("wf-unhandled");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {ScheduleActivity("a1")}, true).ok());
  auto poll2 = PollWorkflowTask(run);
  auto activity = PollActivityTask(run);
  ASSERT_TRUE(CompleteActivity(activity.task_token(), "\"r\"").ok());

  auto status = CompleteWorkflowTask(poll2.task_token(), {CompleteWorkflow("\"too early\"")});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "UnhandledCommand");

  Events events = History(run);
  ASSERT_EQ(
      Names(events),
      (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED", "WORKFLOW_TASK_SCHEDULED",
               "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED", "ACTIVITY_TASK_STARTED",
               "ACTIVITY_TASK_COMPLETED", "WORKFLOW_TASK_SCHEDULED"}));
  ExpectWellFormed(events);
  const auto& failed = events[7].workflow_task_failed_event_attributes();
  EXPECT_EQ(failed.cause(), enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND);
  EXPECT_EQ(failed.scheduled_event_id(), 6);
  EXPECT_EQ(failed.started_event_id(), 7);
  EXPECT_EQ(failed.failure().message(), "UnhandledCommand");
  EXPECT_EQ(events[9].activity_task_completed_event_attributes().started_event_id(), 9);
  EXPECT_EQ(events[10].workflow_task_scheduled_event_attributes().attempt(), 1);
  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->workflow_execution_info().status(),
            enums::WORKFLOW_EXECUTION_STATUS_RUNNING);

  // The new task sees the activity result and may now complete.
  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.started_event_id(), 12);
  EXPECT_EQ(poll3.attempt(), 1);
  EXPECT_EQ(poll3.previous_started_event_id(), 3);
  ASSERT_TRUE(CompleteWorkflowTask(poll3.task_token(), {CompleteWorkflow("\"done\"")}).ok());
  events = History(run);
  ASSERT_EQ(events.size(), 14u);
  EXPECT_EQ(Names(events).back(), "WORKFLOW_EXECUTION_COMPLETED");
  ExpectWellFormed(events);
}

// ---- command validation -------------------------------------------------------------------------

TEST_F(HistoryEngineTest, InvalidScheduleActivityFailsTheTaskAndKeepsThePreviousState) {
  Execution run = StartRun("wf-bad-activity");
  auto poll1 = PollWorkflowTask(run);
  auto status = CompleteWorkflowTask(poll1.task_token(), {StartTimer("t1", std::chrono::hours(1)),
                                                          ScheduleActivity("a1", seconds(0))});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "BadScheduleActivityAttributes: A valid StartToClose or ScheduleToCloseTimeout is not "
            "set on ScheduleActivityTaskCommand.");

  Events events = History(run);
  ASSERT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                    "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED"}));
  const auto& failed = events[3].workflow_task_failed_event_attributes();
  EXPECT_EQ(failed.cause(), enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES);
  EXPECT_EQ(
      failed.failure().message(),
      "A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.");
  EXPECT_TRUE(failed.failure().has_server_failure_info());
  // Neither the timer nor anything else of the rejected completion exists.
  EXPECT_FALSE(UserTimer(run, "t1").has_value());
  EXPECT_TRUE(matching_.activity_tasks().empty());

  // Attempt 2 (transient) sends an activity without id: rejected, still nothing written.
  auto poll2 = PollWorkflowTask(run);
  EXPECT_EQ(poll2.attempt(), 2);
  status = CompleteWorkflowTask(poll2.task_token(), {ScheduleActivity("")});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "BadScheduleActivityAttributes: ActivityId is not set on command.");
  EXPECT_EQ(History(run).size(), 4u);

  // Attempt 3 is valid; timer "t1" is not a duplicate because the first one never existed.
  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.attempt(), 3);
  ASSERT_TRUE(CompleteWorkflowTask(poll3.task_token(), {StartTimer("t1", std::chrono::hours(1)),
                                                        ScheduleActivity("a1")})
                  .ok());
  events = History(run);
  ASSERT_EQ(
      Names(events),
      (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_COMPLETED", "TIMER_STARTED", "ACTIVITY_TASK_SCHEDULED"}));
  ExpectWellFormed(events);
  EXPECT_TRUE(UserTimer(run, "t1").has_value());
  EXPECT_TRUE(fakes::WaitFor([&] { return matching_.activity_tasks().size() == 1; }));
}

TEST_F(HistoryEngineTest, DuplicateTimerIdFailsTheTaskAndAFiringTimerRestartsAttempts) {
  Execution run = StartRun("wf-dup-timer");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll1.task_token(), {StartTimer("t1", std::chrono::hours(1))}, true)
          .ok());
  auto poll2 = PollWorkflowTask(run);
  ASSERT_EQ(poll2.started_event_id(), 7);

  auto status = CompleteWorkflowTask(poll2.task_token(), {StartTimer("t1", std::chrono::hours(2))});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "StartTimerDuplicateId: Timer with ID t1 is already started.");
  Events events = History(run);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[7].workflow_task_failed_event_attributes().cause(),
            enums::WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID);

  // A transient attempt 2 is now scheduled. The original timer fires before it starts: the
  // event takes the reserved id and a normal attempt-1 task is scheduled after it.
  auto timer = UserTimer(run, "t1");
  ASSERT_TRUE(timer.has_value());
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());
  events = History(run);
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(Names(events)[8], "TIMER_FIRED");
  EXPECT_EQ(events[8].timer_fired_event_attributes().started_event_id(), 5);
  EXPECT_EQ(Names(events)[9], "WORKFLOW_TASK_SCHEDULED");
  EXPECT_EQ(events[9].workflow_task_scheduled_event_attributes().attempt(), 1);

  // The transient task's dispatch is stale; the new one starts with a persisted history.
  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.attempt(), 1);
  EXPECT_EQ(poll3.started_event_id(), 11);
  Events delivered = ToVector(poll3.history().events());
  ASSERT_EQ(delivered.size(), 11u);
  ExpectWellFormed(delivered);
  EXPECT_EQ(History(run).size(), 11u);
}

// After a commit whose answer was lost, the shard queues the write's tasks in case it landed. If
// it did not, the SDK's retry starts the timer again, same id and event id, later: the leftover
// task, due earlier, must not fire it.
TEST_F(HistoryEngineTest, ATimerTaskDueBeforeItsTimersExpiryDoesNotFireIt) {
  Execution run = StartRun("wf-stale-timer-task");
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {StartTimer("t1", std::chrono::hours(1))}).ok());
  auto timer = UserTimer(run, "t1");
  ASSERT_TRUE(timer.has_value());
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  size_t before = History(run).size();

  pv1::TimerTask leftover = *timer;
  *leftover.mutable_fire_time() = ToProto(FromProto(timer->fire_time()) - std::chrono::minutes(30));
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, leftover).ok());
  EXPECT_EQ(History(run).size(), before) << "the timer is not due yet";

  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());
  Events events = History(run);
  ASSERT_EQ(events.size(), before + 2);
  EXPECT_EQ(Names(events)[before], "TIMER_FIRED");
}

// ---- activities ---------------------------------------------------------------------------------

TEST_F(HistoryEngineTest, RetriedActivityWritesEventsOnlyForItsFinalAttempt) {
  Execution run = StartRun("wf-retry");
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {ScheduleActivity("a1", seconds(60), FastRetry(5))})
          .ok());

  auto attempt1 = PollActivityTask(run);
  EXPECT_EQ(attempt1.attempt(), 1);
  ASSERT_TRUE(FailActivity(attempt1.task_token(), "first failure").ok());
  EXPECT_EQ(History(run).size(), 5u);
  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  ASSERT_EQ(described->pending_activities_size(), 1);
  EXPECT_EQ(described->pending_activities(0).attempt(), 2);
  EXPECT_EQ(described->pending_activities(0).last_failure().message(), "first failure");
  EXPECT_EQ(described->pending_activities(0).state(), enums::PENDING_ACTIVITY_STATE_SCHEDULED);

  // Re-dispatched to matching when the 10 ms backoff timer fires.
  auto attempt2 = PollActivityTask(run);
  EXPECT_EQ(attempt2.attempt(), 2);
  auto stale = CompleteActivity(attempt1.task_token(), "\"late\"");
  EXPECT_EQ(stale.code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(FailActivity(attempt2.task_token(), "second failure").ok());
  EXPECT_EQ(History(run).size(), 5u);

  auto attempt3 = PollActivityTask(run);
  EXPECT_EQ(attempt3.attempt(), 3);
  ASSERT_TRUE(CompleteActivity(attempt3.task_token(), "\"finally\"").ok());
  EXPECT_EQ(matching_.activity_tasks().size(), 3u);

  Events events = History(run);
  ASSERT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                    "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
                                    "ACTIVITY_TASK_SCHEDULED", "ACTIVITY_TASK_STARTED",
                                    "ACTIVITY_TASK_COMPLETED", "WORKFLOW_TASK_SCHEDULED"}));
  ExpectWellFormed(events);
  const auto& started = events[5].activity_task_started_event_attributes();
  EXPECT_EQ(started.scheduled_event_id(), 5);
  EXPECT_EQ(started.attempt(), 3);
  EXPECT_EQ(started.last_failure().message(), "second failure");
  EXPECT_EQ(events[6].activity_task_completed_event_attributes().started_event_id(), 6);
  EXPECT_EQ(events[6].activity_task_completed_event_attributes().result().SerializeAsString(),
            Payload("\"finally\"").SerializeAsString());
}

TEST_F(HistoryEngineTest, ActivityFailsForGoodWhenAttemptsRunOut) {
  Execution run = StartRun("wf-exhausted");
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {ScheduleActivity("a1", seconds(60), FastRetry(2))})
          .ok());
  auto attempt1 = PollActivityTask(run);
  ASSERT_TRUE(FailActivity(attempt1.task_token(), "first failure").ok());
  auto attempt2 = PollActivityTask(run);
  ASSERT_TRUE(FailActivity(attempt2.task_token(), "second failure").ok());

  Events events = History(run);
  ASSERT_EQ(Names(events),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED",
                     "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_FAILED", "WORKFLOW_TASK_SCHEDULED"}));
  EXPECT_EQ(events[5].activity_task_started_event_attributes().attempt(), 2);
  EXPECT_EQ(events[5].activity_task_started_event_attributes().last_failure().message(),
            "first failure");
  const auto& failed = events[6].activity_task_failed_event_attributes();
  EXPECT_EQ(failed.scheduled_event_id(), 5);
  EXPECT_EQ(failed.started_event_id(), 6);
  EXPECT_EQ(failed.failure().message(), "second failure");
  EXPECT_EQ(failed.retry_state(), enums::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  EXPECT_EQ(failed.identity(), "activity-worker");
}

TEST_F(HistoryEngineTest, ScheduleToStartTimeoutNeverRetries) {
  Execution run = StartRun("wf-s2s");
  auto poll = PollWorkflowTask(run);
  auto command = ScheduleActivity("a1", seconds(60), FastRetry(0));
  *command.mutable_schedule_activity_task_command_attributes()
       ->mutable_schedule_to_start_timeout() = ToProtoDuration(seconds(10));
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), {command}).ok());

  auto timer =
      TimerTask(run, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT, enums::TIMEOUT_TYPE_SCHEDULE_TO_START);
  ASSERT_TRUE(timer.has_value());
  EXPECT_EQ(timer->event_id(), 5);
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  // A task due before the attempt's deadline (left by a write that never landed) does nothing.
  pv1::TimerTask leftover = *timer;
  *leftover.mutable_fire_time() = ToProto(FromProto(timer->fire_time()) - seconds(5));
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, leftover).ok());
  EXPECT_EQ(History(run).size(), 5u);
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());

  Events events = History(run);
  ASSERT_EQ(Names(events),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED",
                     "ACTIVITY_TASK_TIMED_OUT", "WORKFLOW_TASK_SCHEDULED"}));
  const auto& timed_out = events[5].activity_task_timed_out_event_attributes();
  EXPECT_EQ(timed_out.scheduled_event_id(), 5);
  EXPECT_EQ(timed_out.started_event_id(), 0);
  EXPECT_EQ(timed_out.retry_state(), enums::RETRY_STATE_TIMEOUT);
  EXPECT_EQ(timed_out.failure().timeout_failure_info().timeout_type(),
            enums::TIMEOUT_TYPE_SCHEDULE_TO_START);
  // The dispatched task can no longer start.
  EXPECT_EQ(RecordActivityTaskStarted(run, 5, "late-poll").status().code(),
            absl::StatusCode::kNotFound);
}

// As for timers: a start-to-close task due before the attempt's deadline (left by a start whose
// write never landed) does not time the attempt out.
TEST_F(HistoryEngineTest, AStartToCloseTaskDueBeforeTheAttemptsDeadlineDoesNotTimeItOut) {
  Execution run = StartRun("wf-stc-leftover");
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {ScheduleActivity("a1", seconds(30), FastRetry(0))})
          .ok());
  auto attempt1 = PollActivityTask(run);
  auto timer =
      TimerTask(run, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT, enums::TIMEOUT_TYPE_START_TO_CLOSE, 1);
  ASSERT_TRUE(timer.has_value());
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  pv1::TimerTask leftover = *timer;
  *leftover.mutable_fire_time() = ToProto(FromProto(timer->fire_time()) - seconds(10));
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, leftover).ok());
  EXPECT_TRUE(CompleteActivity(attempt1.task_token(), "\"ok\"").ok())
      << "the attempt was not timed out";
}

TEST_F(HistoryEngineTest, StartToCloseTimeoutRetriesWithoutEvents) {
  Execution run = StartRun("wf-stc");
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {ScheduleActivity("a1", seconds(30), FastRetry(0))})
          .ok());
  auto attempt1 = PollActivityTask(run);
  auto timer =
      TimerTask(run, pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT, enums::TIMEOUT_TYPE_START_TO_CLOSE, 1);
  ASSERT_TRUE(timer.has_value());
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());
  EXPECT_EQ(History(run).size(), 5u);

  auto attempt2 = PollActivityTask(run);
  EXPECT_EQ(attempt2.attempt(), 2);
  // The first attempt's timer firing again, or its worker answering late, changes nothing.
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());
  EXPECT_EQ(CompleteActivity(attempt1.task_token(), "\"late\"").code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(CompleteActivity(attempt2.task_token(), "\"ok\"").ok());

  Events events = History(run);
  ASSERT_EQ(events.size(), 8u);
  const auto& started = events[5].activity_task_started_event_attributes();
  EXPECT_EQ(started.attempt(), 2);
  EXPECT_EQ(started.last_failure().timeout_failure_info().timeout_type(),
            enums::TIMEOUT_TYPE_START_TO_CLOSE);
  EXPECT_EQ(Names(events)[6], "ACTIVITY_TASK_COMPLETED");
  EXPECT_EQ(events[6].activity_task_completed_event_attributes().started_event_id(), 6);
}

TEST_F(HistoryEngineTest, CancellingActivitiesBeforeAndAfterTheyStart) {
  Execution run = StartRun("wf-cancel-activity");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(),
                                   {ScheduleActivity("a1"), ScheduleActivity("a2")}, true)
                  .ok());
  auto running = PollActivityTask(run);
  ASSERT_EQ(running.activity_id(), "a1");  // scheduled 5; a2 (6) never starts
  auto poll2 = PollWorkflowTask(run);
  ASSERT_EQ(poll2.started_event_id(), 8);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll2.task_token(), {RequestCancelActivity(5), RequestCancelActivity(6)})
          .ok());

  Events events = History(run);
  ASSERT_EQ(
      Names(events),
      (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED", "ACTIVITY_TASK_SCHEDULED",
               "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
               "ACTIVITY_TASK_CANCEL_REQUESTED", "ACTIVITY_TASK_CANCEL_REQUESTED",
               "ACTIVITY_TASK_CANCELED", "WORKFLOW_TASK_SCHEDULED"}));
  EXPECT_EQ(events[9].activity_task_cancel_requested_event_attributes().scheduled_event_id(), 5);
  EXPECT_EQ(events[9]
                .activity_task_cancel_requested_event_attributes()
                .workflow_task_completed_event_id(),
            9);
  const auto& not_started = events[11].activity_task_canceled_event_attributes();
  EXPECT_EQ(not_started.scheduled_event_id(), 6);
  EXPECT_EQ(not_started.started_event_id(), 0);
  EXPECT_EQ(not_started.latest_cancel_requested_event_id(), 11);
  EXPECT_EQ(RecordActivityTaskStarted(run, 6, "late-poll").status().code(),
            absl::StatusCode::kNotFound);

  // The running one learns about it from its heartbeat and reports the cancellation.
  auto heartbeat = Heartbeat(running.task_token());
  ASSERT_TRUE(heartbeat.ok()) << heartbeat.status();
  EXPECT_TRUE(heartbeat->cancel_requested());
  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  ASSERT_EQ(described->pending_activities_size(), 1);
  EXPECT_EQ(described->pending_activities(0).state(),
            enums::PENDING_ACTIVITY_STATE_CANCEL_REQUESTED);
  ASSERT_TRUE(CancelActivity(running.task_token(), "\"stopped\"").ok());

  events = History(run);
  ASSERT_EQ(events.size(), 15u);  // joins the scheduled task: between its Scheduled and Started
  EXPECT_EQ(Names(events)[13], "ACTIVITY_TASK_STARTED");
  EXPECT_EQ(Names(events)[14], "ACTIVITY_TASK_CANCELED");
  const auto& canceled = events[14].activity_task_canceled_event_attributes();
  EXPECT_EQ(canceled.scheduled_event_id(), 5);
  EXPECT_EQ(canceled.started_event_id(), 14);
  EXPECT_EQ(canceled.latest_cancel_requested_event_id(), 10);
  EXPECT_EQ(canceled.details().SerializeAsString(), Payload("\"stopped\"").SerializeAsString());
  auto poll3 = PollWorkflowTask(run);
  EXPECT_EQ(poll3.started_event_id(), 16);
  ExpectWellFormed(History(run));
}

// Known engine bug (reported to the lead): the ActivityTaskCanceled that cancelling a
// not-started activity buffers during the completion itself counts as "buffered events", so the
// usual TS/core sequence [RequestCancelActivityTask, CompleteWorkflowExecution] is rejected with
// UnhandledCommand. The rejected completion rolls back the cancel, so every retry of the task
// fails the same way and the workflow can never complete. The reference server only counts
// events buffered before the completion was applied.
TEST_F(HistoryEngineTest, CancelNotStartedActivityAndCompleteInOneTask) {
  Execution run = StartRun("wf-cancel-and-complete");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {ScheduleActivity("a1")}, true).ok());
  auto poll2 = PollWorkflowTask(run);

  auto status = CompleteWorkflowTask(poll2.task_token(),
                                     {RequestCancelActivity(5), CompleteWorkflow("\"cancelled\"")});
  EXPECT_TRUE(status.ok()) << status;
  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->workflow_execution_info().status(),
            enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  Events events = History(run);
  ExpectWellFormed(events);
  ASSERT_GE(events.size(), 10u);
  EXPECT_EQ(Names(events)[7], "WORKFLOW_TASK_COMPLETED");
  EXPECT_EQ(Names(events)[8], "ACTIVITY_TASK_CANCEL_REQUESTED");
  EXPECT_EQ(Names(events).back(), "WORKFLOW_EXECUTION_COMPLETED");
}

TEST_F(HistoryEngineTest, WorkflowTaskStartToCloseTimeoutSchedulesATransientRetry) {
  Execution run = StartRun("wf-wft-timeout");
  auto poll1 = PollWorkflowTask(run);
  auto timer = TimerTask(run, pv1::TimerTask::TYPE_WORKFLOW_TASK_TIMEOUT,
                         enums::TIMEOUT_TYPE_START_TO_CLOSE);
  ASSERT_TRUE(timer.has_value());
  EXPECT_EQ(timer->event_id(), 2);
  EXPECT_EQ(timer->attempt(), 1);
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());

  Events events = History(run);
  ASSERT_EQ(Names(events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                    "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_TIMED_OUT"}));
  const auto& timed_out = events[3].workflow_task_timed_out_event_attributes();
  EXPECT_EQ(timed_out.scheduled_event_id(), 2);
  EXPECT_EQ(timed_out.started_event_id(), 3);
  EXPECT_EQ(timed_out.timeout_type(), enums::TIMEOUT_TYPE_START_TO_CLOSE);

  auto late = CompleteWorkflowTask(poll1.task_token(), {CompleteWorkflow("x")});
  EXPECT_EQ(late.code(), absl::StatusCode::kNotFound);
  auto poll2 = PollWorkflowTask(run);
  EXPECT_EQ(poll2.attempt(), 2);
  EXPECT_EQ(poll2.started_event_id(), 6);
  EXPECT_EQ(poll2.history().events_size(), 6);
  // The first attempt's timeout firing again does not touch attempt 2.
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());
  EXPECT_EQ(History(run).size(), 4u);
  EXPECT_TRUE(CompleteWorkflowTask(poll2.task_token(), {CompleteWorkflow("x")}).ok());
}

TEST_F(HistoryEngineTest, StickyTaskTimesOutToTheNormalQueueWithFullHistory) {
  Execution run = StartRun("wf-sticky-timeout");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {}, false, "worker-1-sticky").ok());
  ASSERT_TRUE(Signal(run, "wake").ok());
  ASSERT_TRUE(fakes::WaitFor([&] {
    auto all = matching_.workflow_tasks();
    return !all.empty() && all.back().task_queue().kind() == enums::TASK_QUEUE_KIND_STICKY;
  }));
  auto timer = TimerTask(run, pv1::TimerTask::TYPE_WORKFLOW_TASK_TIMEOUT,
                         enums::TIMEOUT_TYPE_SCHEDULE_TO_START);
  ASSERT_TRUE(timer.has_value());
  auto shard = ShardOf(run);
  ASSERT_NE(shard, nullptr);
  // A task due before this task's deadline (left by a write that never landed) does nothing.
  pv1::TimerTask leftover = *timer;
  *leftover.mutable_fire_time() = ToProto(FromProto(timer->fire_time()) - seconds(1));
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, leftover).ok());
  EXPECT_EQ(History(run).size(), 6u);
  ASSERT_TRUE(engine_.ExecuteTimerTask(*shard, *timer).ok());

  EXPECT_EQ(Names(History(run)), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                          "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
                                          "WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_SCHEDULED",
                                          "WORKFLOW_TASK_TIMED_OUT", "WORKFLOW_TASK_SCHEDULED"}));
  auto poll2 = PollWorkflowTask(run);
  EXPECT_EQ(poll2.history().events(0).event_id(), 1) << "the normal queue gets full history";
  EXPECT_TRUE(CompleteWorkflowTask(poll2.task_token(), {CompleteWorkflow("x")}).ok());
}

TEST_F(HistoryEngineTest, RefusedStickyTaskMovesToTheNormalQueueWithoutEvents) {
  Execution run = StartRun("wf-sticky-refused");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {}, false, "worker-1-sticky").ok());
  matching_.RefuseStickyTasks();
  ASSERT_TRUE(Signal(run, "wake").ok());
  auto poll2 = PollWorkflowTask(run);
  EXPECT_EQ(matching_.refused_sticky(), 1);
  EXPECT_EQ(poll2.history().events(0).event_id(), 1) << "the normal queue gets full history";
  EXPECT_EQ(Names(History(run)), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                          "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
                                          "WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_SCHEDULED",
                                          "WORKFLOW_TASK_STARTED"}));
  EXPECT_TRUE(CompleteWorkflowTask(poll2.task_token(), {CompleteWorkflow("x")}).ok());
}

TEST_F(HistoryEngineTest, TerminateExistingReplacesTheRunningRun) {
  Execution old_run = StartRun("wf-replace");
  auto poll = PollWorkflowTask(old_run);
  auto request = StartRequest("wf-replace", "req-new");
  request.set_workflow_id_conflict_policy(enums::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING);
  auto started = Start(request);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(started->started());
  EXPECT_NE(started->run_id(), old_run.run_id);

  Events old_events = History(old_run);
  ASSERT_EQ(Names(old_events), (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                                        "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED",
                                        "WORKFLOW_EXECUTION_TERMINATED"}));
  EXPECT_EQ(CompleteWorkflowTask(poll.task_token(), {CompleteWorkflow("x")}).code(),
            absl::StatusCode::kNotFound);
  auto current = Describe({"wf-replace", ""});
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->workflow_execution_info().execution().run_id(), started->run_id());
  EXPECT_EQ(History({"wf-replace", started->run_id()}).size(), 2u);
}

// ---- termination --------------------------------------------------------------------------------

TEST_F(HistoryEngineTest, TerminateClosesTheRunAndRefusesLaterCompletions) {
  Execution run = StartRun("wf-terminate");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {ScheduleActivity("a1")}, true).ok());
  auto poll2 = PollWorkflowTask(run);
  auto activity = PollActivityTask(run);

  ASSERT_TRUE(Terminate(run, "operator said so").ok());
  Events events = History(run);
  ASSERT_EQ(
      Names(events),
      (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED",
               "WORKFLOW_TASK_COMPLETED", "ACTIVITY_TASK_SCHEDULED", "WORKFLOW_TASK_SCHEDULED",
               "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_FAILED", "WORKFLOW_EXECUTION_TERMINATED"}));
  ExpectWellFormed(events);
  EXPECT_EQ(events[7].workflow_task_failed_event_attributes().cause(),
            enums::WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND);
  const auto& terminated = events[8].workflow_execution_terminated_event_attributes();
  EXPECT_EQ(terminated.reason(), "operator said so");
  EXPECT_EQ(terminated.identity(), "admin");

  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->workflow_execution_info().status(),
            enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  EXPECT_EQ(described->pending_activities_size(), 0);
  EXPECT_FALSE(described->has_pending_workflow_task());

  auto wft = CompleteWorkflowTask(poll2.task_token(), {CompleteWorkflow("x")});
  EXPECT_EQ(wft.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(wft.message(), "Workflow task not found.");
  EXPECT_EQ(CompleteActivity(activity.task_token(), "\"x\"").code(), absl::StatusCode::kNotFound);
  auto twice = Terminate(run, "again");
  EXPECT_EQ(twice.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(twice.message(), "workflow execution already completed");
  EXPECT_EQ(History(run).size(), 9u);
}

// ---- reading history ----------------------------------------------------------------------------

TEST_F(HistoryEngineTest, SmallPagesWalkTheWholeHistory) {
  Execution run = StartRun("wf-pages");
  auto poll1 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll1.task_token(), {ScheduleActivity("a1")}).ok());
  ASSERT_TRUE(CompleteActivity(PollActivityTask(run).task_token(), "\"r\"").ok());
  auto poll2 = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll2.task_token(), {CompleteWorkflow("\"done\"")}).ok());

  auto whole = GetHistory(HistoryRequest(run));
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->history().events_size(), 11);
  EXPECT_TRUE(whole->next_page_token().empty());

  Events walked;
  std::string token;
  int pages = 0;
  do {
    auto page = GetHistory(HistoryRequest(run, 2, token));
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_GT(page->history().events_size(), 0) << "empty page " << pages;
    for (const auto& e : page->history().events()) walked.push_back(e);
    token = page->next_page_token();
    ASSERT_LT(++pages, 20);
  } while (!token.empty());
  EXPECT_GE(pages, 4);
  ASSERT_EQ(walked.size(), 11u);
  ExpectWellFormed(walked);
  EXPECT_EQ(Names(walked).back(), "WORKFLOW_EXECUTION_COMPLETED");

  auto bad = GetHistory(HistoryRequest(run, 2, "\xff\x01garbage"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = GetHistory(HistoryRequest({"wf-nope", ""}));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(HistoryEngineTest, WaitingReaderFollowsTheRunUntilItCloses) {
  Execution run = StartRun("wf-follow");
  auto request = HistoryRequest(run);
  request.mutable_request()->set_wait_new_event(true);
  *request.mutable_long_poll_timeout() = ToProtoDuration(seconds(30));
  auto first = GetHistory(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->history().events_size(), 2);
  ASSERT_FALSE(first->next_page_token().empty());

  // Nothing new yet: the read waits for the next event.
  request.mutable_request()->set_next_page_token(first->next_page_token());
  auto waiting = AsyncHistory(request);
  auto poll = PollWorkflowTask(run);
  ASSERT_EQ(waiting.wait_for(kWait), std::future_status::ready);
  auto second = waiting.get();
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->history().events_size(), 1);
  EXPECT_EQ(second->history().events(0).event_id(), 3);
  ASSERT_FALSE(second->next_page_token().empty());

  request.mutable_request()->set_next_page_token(second->next_page_token());
  auto last = AsyncHistory(request);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), {CompleteWorkflow("\"done\"")}).ok());
  ASSERT_EQ(last.wait_for(kWait), std::future_status::ready);
  auto third = last.get();
  ASSERT_TRUE(third.ok()) << third.status();
  Events tail = ToVector(third->history().events());
  EXPECT_EQ(Names(tail), (Strings{"WORKFLOW_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED"}));
  EXPECT_TRUE(third->next_page_token().empty());  // closed: nothing more to wait for
}

TEST_F(HistoryEngineTest, CloseEventLongPollAnswersWithTheCloseEventOnly) {
  Execution run = StartRun("wf-close");
  auto request = HistoryRequest(run);
  request.mutable_request()->set_wait_new_event(true);
  request.mutable_request()->set_history_event_filter_type(
      enums::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
  *request.mutable_long_poll_timeout() = ToProtoDuration(seconds(30));
  auto pending = AsyncHistory(request);

  // Changes that do not close the run keep it waiting.
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), {CompleteWorkflow("\"done\"")}).ok());

  ASSERT_EQ(pending.wait_for(kWait), std::future_status::ready);
  auto response = pending.get();
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->history().events_size(), 1);
  EXPECT_EQ(response->history().events(0).event_id(), 5);
  EXPECT_EQ(response->history().events(0).event_type(),
            enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  EXPECT_TRUE(response->next_page_token().empty());

  // Once closed, the same request answers at once.
  auto after = GetHistory(request);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->history().events_size(), 1);
  EXPECT_EQ(after->history().events(0).event_id(), 5);
}

TEST_F(HistoryEngineTest, ExpiredCloseEventLongPollIsEmptyWithAToken) {
  Execution run = StartRun("wf-open");
  auto request = HistoryRequest(run);
  request.mutable_request()->set_wait_new_event(true);
  request.mutable_request()->set_history_event_filter_type(
      enums::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
  *request.mutable_long_poll_timeout() = ToProtoDuration(milliseconds(50));
  auto response = GetHistory(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->history().events_size(), 0);
  EXPECT_FALSE(response->next_page_token().empty());
}

// ---- persistence races --------------------------------------------------------------------------

TEST_F(HistoryEngineTest, LostOptimisticRaceIsRetriedWithFreshState) {
  Execution run = StartRun("wf-race");
  auto poll = PollWorkflowTask(run);  // the engine now caches the run
  executions_->BumpVersion(ShardId(run), kNsId, run.workflow_id, run.run_id);
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {StartTimer("t", std::chrono::hours(1))}).ok());
  Events events = History(run);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(Names(events)[4], "TIMER_STARTED");
}

TEST_F(HistoryEngineTest, FailedWriteChangesNothingAndTheCallCanBeRetried) {
  Execution run = StartRun("wf-db-down");
  auto poll = PollWorkflowTask(run);
  executions_->InjectWriteErrors({absl::UnavailableError("database restarting")});
  auto failed = CompleteWorkflowTask(poll.task_token(), {StartTimer("t", std::chrono::hours(1))});
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(History(run).size(), 3u);
  EXPECT_FALSE(UserTimer(run, "t").has_value());

  // The engine did not keep the unwritten state: the worker's retry applies cleanly.
  ASSERT_TRUE(
      CompleteWorkflowTask(poll.task_token(), {StartTimer("t", std::chrono::hours(1))}).ok());
  Events events = History(run);
  EXPECT_EQ(Names(events),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "TIMER_STARTED"}));
  EXPECT_TRUE(UserTimer(run, "t").has_value());
}

TEST_F(HistoryEngineTest, FencedShardRefusesWritesWithOwnershipLost) {
  Execution run = StartRun("wf-fenced");
  shard_store_->Steal(ShardId(run), "10.0.0.9:7234");
  auto started = RecordWorkflowTaskStarted(run, 2, "poll-1");
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable) << started.status();
  EXPECT_TRUE(IsShardOwnershipLost(started.status()));
  EXPECT_EQ(executions_->StoredHistory(kNsId, run.workflow_id, run.run_id).size(), 2u);

  // The shard is dropped. This host owns it on the ring, so the controller takes it back at once
  // (with a higher range id) on another thread: a later call either fails without reaching the
  // database, or runs on the re-acquired shard.
  int writes = executions_->write_calls();
  auto again = RecordWorkflowTaskStarted(run, 2, "poll-1");
  if (!again.ok()) {
    EXPECT_TRUE(IsShardOwnershipLost(again.status())) << again.status();
    EXPECT_EQ(executions_->write_calls(), writes);
  }
}

// ---- history limits -----------------------------------------------------------------------------

TEST_F(HistoryEngineTest, SuggestsContinueAsNewAndTerminatesPastTheHistoryLimits) {
  dynamicconfig::Values limits = *config_.dynamic.Current();
  limits.Set(dynamicconfig::kLimitHistoryCountSuggestContinueAsNew, 3);
  limits.Set(dynamicconfig::kLimitHistoryCountError, 8);
  config_.dynamic.Update(limits);
  Execution run = StartRun("wf-limits");
  auto poll = PollWorkflowTask(run);
  ASSERT_EQ(poll.history().events_size(), 3);
  const auto& started = poll.history().events(2).workflow_task_started_event_attributes();
  EXPECT_TRUE(started.suggest_continue_as_new());
  ASSERT_EQ(started.suggest_continue_as_new_reasons_size(), 1);
  EXPECT_EQ(started.suggest_continue_as_new_reasons(0),
            enums::SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS);

  // WorkflowTaskCompleted + 5 TimerStarted take the history to 9 events, past the limit of 8.
  std::vector<cmd::Command> timers;
  for (const char* id : {"a", "b", "c", "d", "e"})
    timers.push_back(StartTimer(id, std::chrono::hours(1)));
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), timers).ok());
  Events events = History(run);
  ExpectWellFormed(events);
  ASSERT_EQ(events.back().event_type(), enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
  EXPECT_EQ(events.back().workflow_execution_terminated_event_attributes().reason(),
            "Workflow history count exceeds limit.");
}

// ---- visibility ---------------------------------------------------------------------------------

cmd::Command UpsertSearchAttribute(const std::string& name, const std::string& json) {
  cmd::Command command;
  command.set_command_type(enums::COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
  auto& value = (*command.mutable_upsert_workflow_search_attributes_command_attributes()
                      ->mutable_search_attributes()
                      ->mutable_indexed_fields())[name];
  (*value.mutable_metadata())["encoding"] = "json/plain";
  value.set_data(json);
  return command;
}

TEST_F(HistoryEngineTest, VisibilityRowFollowsStartUpsertsAndCloseOnly) {
  auto request = StartRequest("wf-visibility", NewUuid());
  auto& build_ids = (*request.mutable_search_attributes()->mutable_indexed_fields())["BuildIds"];
  (*build_ids.mutable_metadata())["encoding"] = "json/plain";
  build_ids.set_data(R"(["b1"])");
  auto started = Start(request);
  ASSERT_TRUE(started.ok()) << started.status();
  Execution run{"wf-visibility", started->run_id()};
  ASSERT_TRUE(fakes::WaitFor([&] { return visibility_->Row(run.run_id).has_value(); }));
  auto row = *visibility_->Row(run.run_id);
  EXPECT_EQ(row.namespace_id, kNsId);
  EXPECT_EQ(row.workflow_id, run.workflow_id);
  EXPECT_EQ(row.workflow_type, "OrderWorkflow");
  EXPECT_EQ(row.task_queue, kQueue);
  EXPECT_EQ(row.status, enums::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_FALSE(row.close_time.has_value());
  EXPECT_EQ(row.root_workflow_id, run.workflow_id);
  EXPECT_EQ(row.root_run_id, run.run_id);
  EXPECT_EQ(row.search_attributes_json, R"({"BuildIds":["b1"]})");

  // A workflow task that changes the search attributes rewrites the row; starting it did not.
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(),
                                   {UpsertSearchAttribute("TemporalChangeVersion", R"(["p1"])")})
                  .ok());
  ASSERT_TRUE(fakes::WaitFor([&] {
    return visibility_->Row(run.run_id)->search_attributes_json ==
           R"({"BuildIds":["b1"],"TemporalChangeVersion":["p1"]})";
  }));
  EXPECT_EQ(visibility_->Upserts(run.run_id), 2);

  // An attribute the namespace does not define fails the task with BAD_SEARCH_ATTRIBUTES.
  ASSERT_TRUE(Signal(run, "go").ok());
  auto poll2 = PollWorkflowTask(run);
  auto bad = CompleteWorkflowTask(poll2.task_token(), {UpsertSearchAttribute("Custom", R"("x")")});
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  Events events = History(run);
  ASSERT_EQ(events.back().event_type(), enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
  EXPECT_EQ(events.back().workflow_task_failed_event_attributes().cause(),
            enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES);
  EXPECT_EQ(events.back().workflow_task_failed_event_attributes().failure().message(),
            "invalid SearchAttributes on UpsertWorkflowSearchAttributesCommand: search attribute "
            "Custom is not defined");

  // Closing writes the final row.
  ASSERT_TRUE(Terminate(run, "done").ok());
  ASSERT_TRUE(fakes::WaitFor([&] {
    return visibility_->Row(run.run_id)->status == enums::WORKFLOW_EXECUTION_STATUS_TERMINATED;
  }));
  row = *visibility_->Row(run.run_id);
  auto described = Describe(run);
  ASSERT_TRUE(described.ok()) << described.status();
  const auto& info = described->workflow_execution_info();
  ASSERT_TRUE(row.close_time.has_value());
  EXPECT_EQ(ToProto(*row.close_time).seconds(), info.close_time().seconds());
  ASSERT_TRUE(row.execution_duration_nanos.has_value());
  EXPECT_GE(*row.execution_duration_nanos, 0);
  EXPECT_EQ(row.history_length, info.history_length());
  EXPECT_EQ(row.state_transition_count, info.state_transition_count());
  EXPECT_EQ(visibility_->Upserts(run.run_id), 3);
}

}  // namespace
}  // namespace tern::history
