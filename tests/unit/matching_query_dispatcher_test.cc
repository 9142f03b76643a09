// QueryDispatcher (services/matching/query_dispatcher.h) alone: FIFO hand-out, answers,
// deadlines, cancellation, duplicates and close.
#include <gtest/gtest.h>

#include "services/matching/query_dispatcher.h"
#include "tests/unit/matching_test_util.h"

namespace tern::matching {
namespace {

using namespace testing;  // NOLINT: the test doubles
using ::testing::Test;
using QueryResult = Result<ms::QueryWorkflowResponse>;

class QueryDispatcherTest : public Test {
 protected:
  QueryDispatcherTest()
      : timers_(1, "test-timers"),
        dispatcher_(std::make_shared<QueryDispatcher>(timers_, clock_, "orders")) {}
  ~QueryDispatcherTest() override { timers_.Stop(); }

  struct Query {
    std::shared_ptr<QueryOp> op;
    std::shared_ptr<QueryResult> result;
  };
  Query Add(const std::string& id, TimePoint answer_by = TimePoint::max()) {
    ws::PollWorkflowTaskQueueResponse task;
    task.set_task_token("token-" + id);
    auto result = NewResult<ms::QueryWorkflowResponse>();
    auto op = std::make_shared<QueryOp>(id, task, answer_by, result->Callback());
    Deferred after;
    dispatcher_->Add(op, after);
    return {op, result};
  }

  std::optional<absl::StatusOr<ms::RespondQueryTaskCompletedResponse>> Respond(
      const std::string& id, const std::string& answer) {
    ms::RespondQueryTaskCompletedRequest request;
    request.set_query_id(id);
    request.mutable_request()->set_completed_type(
        temporal::api::enums::v1::QUERY_RESULT_TYPE_ANSWERED);
    request.mutable_request()->mutable_query_result()->add_payloads()->set_data(answer);
    auto result = NewResult<ms::RespondQueryTaskCompletedResponse>();
    dispatcher_->Respond(request, result->Callback());
    return result->Wait();
  }

  Executor timers_;
  ManualClock clock_;
  std::shared_ptr<QueryDispatcher> dispatcher_;
};

TEST_F(QueryDispatcherTest, QueriesAreHandedOutInOrderAndAnsweredByTheirResponse) {
  auto first = Add("q-1");
  auto second = Add("q-2");
  EXPECT_EQ(dispatcher_->pending(), 2u);

  auto claimed = dispatcher_->Claim();
  ASSERT_NE(claimed, nullptr);
  EXPECT_EQ(claimed->task.task_token(), "token-q-1");
  ASSERT_NE(dispatcher_->Claim(), nullptr);
  EXPECT_EQ(dispatcher_->Claim(), nullptr) << "only two queries were added";

  auto responded = Respond("q-1", "answer-1");
  ASSERT_TRUE(responded.has_value());
  EXPECT_TRUE(responded->ok()) << responded->status();
  auto r = first.result->Wait();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ((*r)->query_result().payloads(0).data(), "answer-1");
  EXPECT_FALSE(second.result->done());
  EXPECT_EQ(dispatcher_->pending(), 1u);

  auto again = Respond("q-1", "late");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status().code(), absl::StatusCode::kNotFound);
}

TEST_F(QueryDispatcherTest, ADeadlineAnswersNamingTheTaskQueue) {
  auto dispatched = Add("q-1", clock_.Now() + std::chrono::milliseconds(20));
  auto waiting = Add("q-2", clock_.Now() + std::chrono::milliseconds(20));
  // FIFO: q-1 goes to a poll and waits for the worker's answer; q-2 still waits for a poll.
  auto claimed = dispatcher_->Claim();
  ASSERT_NE(claimed, nullptr);
  EXPECT_EQ(claimed->query_id, "q-1");

  auto r = waiting.result->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(r->status().message().find("no worker polled task queue \"orders\" in time"),
            std::string::npos)
      << r->status();
  r = dispatched.result->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(r->status().message().find("the worker of task queue \"orders\" did not answer"),
            std::string::npos)
      << r->status();
  EXPECT_EQ(dispatcher_->pending(), 0u);
}

TEST_F(QueryDispatcherTest, ACancelledQueryAnswersCancelledAndIsForgotten) {
  auto query = Add("q-1");
  query.op->Cancel();
  auto r = query.result->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(dispatcher_->Claim(), nullptr);
  auto responded = Respond("q-1", "late");
  ASSERT_TRUE(responded.has_value());
  EXPECT_EQ(responded->status().code(), absl::StatusCode::kNotFound);
}

TEST_F(QueryDispatcherTest, ADuplicateIdIsRefusedAndTheFirstStaysPending) {
  auto first = Add("q-1");
  auto duplicate = Add("q-1");
  auto r = duplicate.result->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(first.result->done());
  EXPECT_EQ(dispatcher_->pending(), 1u);
}

TEST_F(QueryDispatcherTest, CloseAnswersPendingAndLaterQueriesWithItsStatus) {
  auto waiting = Add("q-1");
  auto dispatched = Add("q-2");
  ASSERT_NE(dispatcher_->Claim(), nullptr);
  {
    Deferred after;
    dispatcher_->Close(absl::UnavailableError("unloaded"), after);
  }
  for (const auto& query : {waiting, dispatched}) {
    auto r = query.result->Wait();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  }
  auto late = Add("q-3");
  auto r = late.result->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(dispatcher_->pending(), 0u);
}

}  // namespace
}  // namespace tern::matching
