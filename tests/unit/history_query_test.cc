// Queries through the history API (api/query_workflow.cc, queries.cc): a legacy query task sent
// through matching for an idle or closed run, a query riding on the next workflow task of a busy
// run, reject conditions and not-ready runs.
#include <gtest/gtest.h>

#include "tests/unit/history_test_env.h"

namespace tern::history {
namespace {

using namespace test_env;  // NOLINT(build/namespaces): the fixture's vocabulary
using QueryResult = absl::StatusOr<ws::QueryWorkflowResponse>;

class HistoryQueryTest
    : public BasicHistoryTestEnv<QueryAnsweringMatchingClient, fakes::RecordingHistoryClient> {
 protected:
  std::shared_future<QueryResult> AsyncQuery(
      const Execution& run, enums::QueryRejectCondition reject = enums::QUERY_REJECT_CONDITION_NONE,
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    hs::QueryWorkflowRequest internal;
    internal.set_namespace_id(kNsId);
    auto* r = internal.mutable_request();
    r->set_namespace_(kNs);
    r->mutable_execution()->set_workflow_id(run.workflow_id);
    r->mutable_query()->set_query_type("price");
    *r->mutable_query()->mutable_query_args() = Payload("\"eur\"");
    r->set_query_reject_condition(reject);
    auto promise = std::make_shared<std::promise<QueryResult>>();
    engine_.QueryWorkflow(internal, SystemClock::Instance().Now() + timeout,
                          [promise](QueryResult result) { promise->set_value(std::move(result)); });
    return promise->get_future().share();
  }

  // QueryWorkflow parks a query on the run from the executor; a poll must not start the task
  // before the query is there to ride on it.
  void WaitUntilQueryParked(const Execution& run) {
    auto shard = controller_.GetShard(ShardForWorkflow(kNsId, run.workflow_id, kShards));
    ASSERT_TRUE(shard.ok()) << shard.status();
    auto context = (*shard)->Context({kNsId, run.workflow_id, run.run_id});
    ASSERT_TRUE(fakes::WaitFor([&] {
      std::lock_guard lock(context->mu);
      return !context->queries.empty();
    }));
  }

  static QueryResult Get(const std::shared_future<QueryResult>& future) {
    if (future.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("QueryWorkflow did not answer");
    }
    return future.get();
  }

  // A run whose first workflow task completed and that waits on a timer.
  Execution IdleRun(const std::string& workflow_id) {
    Execution run = StartRun(workflow_id);
    auto poll = PollWorkflowTask(run);
    EXPECT_TRUE(
        CompleteWorkflowTask(poll.task_token(), {StartTimer("t", std::chrono::hours(1))}).ok());
    return run;
  }
};

TEST_F(HistoryQueryTest, IdleRunIsQueriedThroughMatchingWithItsHistory) {
  Execution run = IdleRun("wf-query");
  matching_.AnswerQueriesWith([](const msv1::QueryWorkflowRequest&) {
    msv1::QueryWorkflowResponse response;
    response.set_completed_type(enums::QUERY_RESULT_TYPE_ANSWERED);
    *response.mutable_query_result() = Payload("42");
    return response;
  });
  auto result = Get(AsyncQuery(run));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->query_result().payloads(0).data(), "42");
  EXPECT_FALSE(result->has_query_rejected());

  auto queries = matching_.queries();
  ASSERT_EQ(queries.size(), 1u);
  const auto& sent = queries[0];
  EXPECT_EQ(sent.namespace_id(), kNsId);
  EXPECT_EQ(sent.task_queue().name(), kQueue);
  EXPECT_EQ(sent.task().query().query_type(), "price");
  EXPECT_EQ(sent.task().workflow_execution().run_id(), run.run_id);
  EXPECT_EQ(Names(ToVector(sent.task().history().events())), Names(History(run)));
  // A query writes nothing.
  EXPECT_EQ(History(run).size(), 5u);
}

TEST_F(HistoryQueryTest, FailedAnswerBecomesAQueryFailedError) {
  Execution run = IdleRun("wf-query-failed");
  matching_.AnswerQueriesWith([](const msv1::QueryWorkflowRequest&) {
    msv1::QueryWorkflowResponse response;
    response.set_completed_type(enums::QUERY_RESULT_TYPE_FAILED);
    response.set_error_message("unknown query type");
    return response;
  });
  auto result = Get(AsyncQuery(run));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_EQ(result.status().message(), "unknown query type");
}

TEST_F(HistoryQueryTest, QueryRidesOnThePendingWorkflowTaskAndGetsItsAnswer) {
  Execution run = IdleRun("wf-query-ride");
  ASSERT_TRUE(Signal(run, "wake").ok());  // a workflow task is now pending
  auto query = AsyncQuery(run);
  WaitUntilQueryParked(run);

  auto poll = PollWorkflowTask(run);
  ASSERT_EQ(poll.queries_size(), 1);
  const auto& [query_id, carried] = *poll.queries().begin();
  EXPECT_EQ(carried.query_type(), "price");
  EXPECT_EQ(query.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);

  hs::RespondWorkflowTaskCompletedRequest request;
  request.set_namespace_id(kNsId);
  auto* r = request.mutable_request();
  r->set_namespace_(kNs);
  r->set_task_token(poll.task_token());
  r->set_identity("workflow-worker");
  auto& answer = (*r->mutable_query_results())[query_id];
  answer.set_result_type(enums::QUERY_RESULT_TYPE_ANSWERED);
  *answer.mutable_answer() = Payload("\"from the task\"");
  ASSERT_TRUE(engine_.RespondWorkflowTaskCompleted(request).ok());

  auto result = Get(query);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->query_result().payloads(0).data(), "\"from the task\"");
  EXPECT_TRUE(matching_.queries().empty());  // no legacy query task was needed
}

TEST_F(HistoryQueryTest, RejectConditionAndNotReadyRuns) {
  // A run whose first workflow task never completes cannot answer before the deadline.
  Execution fresh = StartRun("wf-query-fresh");
  auto not_ready =
      Get(AsyncQuery(fresh, enums::QUERY_REJECT_CONDITION_NONE, std::chrono::milliseconds(200)));
  EXPECT_EQ(not_ready.status().code(), absl::StatusCode::kDeadlineExceeded) << not_ready.status();

  // A closed run is rejected under NOT_OPEN without asking any worker.
  Execution run = StartRun("wf-query-closed");
  auto poll = PollWorkflowTask(run);
  ASSERT_TRUE(CompleteWorkflowTask(poll.task_token(), {CompleteWorkflow("\"r\"")}).ok());
  auto rejected = Get(AsyncQuery(run, enums::QUERY_REJECT_CONDITION_NOT_OPEN));
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->query_rejected().status(), enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_TRUE(matching_.queries().empty());

  // An unknown workflow is NOT_FOUND.
  auto missing = Get(AsyncQuery({"wf-nobody", ""}));
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
}

}  // namespace
}  // namespace tern::history
