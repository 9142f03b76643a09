// Query tasks in matching: hand-over to a parked workflow poll without any history call, the
// answer through RespondQueryTaskCompleted, deadlines, cancellation and forwarding from child
// partitions; first against the engine, then over gRPC through the real MatchingClient.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "common/task_queue_names.h"
#include "services/matching/matching_engine.h"
#include "services/matching/matching_service.h"
#include "tests/unit/matching_test_util.h"

namespace tern::matching {
namespace {

using namespace testing;  // NOLINT: the test doubles
using ::testing::Test;
namespace enums = temporal::api::enums::v1;

constexpr int kWorkflow = enums::TASK_QUEUE_TYPE_WORKFLOW;
constexpr char kNs[] = "ns-q";
constexpr char kSelf[] = "self:7235";

using PollResult = Result<ws::PollWorkflowTaskQueueResponse>;
using QueryResult = Result<ms::QueryWorkflowResponse>;
using RespondResult = Result<ms::RespondQueryTaskCompletedResponse>;

std::string TokenOf(const std::string& query_id) { return "query-token/" + query_id; }

ms::QueryWorkflowRequest QueryRequest(const std::string& partition, const std::string& query_id) {
  ms::QueryWorkflowRequest request;
  request.set_namespace_id(kNs);
  request.mutable_task_queue()->set_name(partition);
  request.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  request.set_query_id(query_id);
  auto* task = request.mutable_task();
  task->set_task_token(TokenOf(query_id));
  task->mutable_workflow_execution()->set_workflow_id("wf-1");
  task->mutable_workflow_execution()->set_run_id("run-1");
  task->mutable_workflow_type()->set_name("wf-type");
  task->mutable_query()->set_query_type("state");
  task->set_previous_started_event_id(3);
  task->mutable_history()->add_events()->set_event_id(1);
  return request;
}

ms::RespondQueryTaskCompletedRequest Answer(const std::string& partition,
                                            const std::string& query_id, const std::string& data) {
  ms::RespondQueryTaskCompletedRequest request;
  request.set_namespace_id(kNs);
  request.mutable_task_queue()->set_name(partition);
  request.set_query_id(query_id);
  request.mutable_request()->set_completed_type(enums::QUERY_RESULT_TYPE_ANSWERED);
  request.mutable_request()->mutable_query_result()->add_payloads()->set_data(data);
  return request;
}

// Waits for a result that must arrive.
template <typename T>
absl::StatusOr<T> Get(const std::shared_ptr<Result<T>>& result, std::chrono::milliseconds t = 5s) {
  auto r = result->Wait(t);
  if (!r.has_value()) return absl::UnknownError("<no answer>");
  return *r;
}

// ---- engine ------------------------------------------------------------------------------------

class MatchingQueryTest : public Test {
 protected:
  MatchingQueryTest()
      : membership_(nullptr, MembershipConfig{}),
        blocking_(2, "q-blocking"),
        timers_(1, "q-timers"),
        rpc_(2, "q-rpc"),
        history_(rpc_),
        matching_(rpc_),
        store_(std::make_shared<InMemoryTaskStore>()) {
    EngineOptions options;
    options.self_address = kSelf;
    options.long_poll_expiration = std::chrono::seconds(30);
    options.forward_backoff_initial = std::chrono::milliseconds(10);
    options.forward_backoff_max = std::chrono::milliseconds(50);
    engine_ = MatchingEngine::Create(
        options, store_, [](const std::string&) { return std::string(kSelf); }, history_, matching_,
        blocking_, timers_, clock_);
    matching_.SetEngine(engine_);
    engine_->Start();
  }
  ~MatchingQueryTest() override { engine_->Stop(); }

  TimePoint In(std::chrono::milliseconds d) { return clock_.Now() + d; }

  struct Call {
    std::shared_ptr<PollHandle> handle;
    std::shared_ptr<PollResult> poll;
    std::shared_ptr<QueryResult> query;
  };
  Call PollWorkflow(const std::string& partition, std::chrono::milliseconds timeout = 10s) {
    ms::PollWorkflowTaskQueueRequest request;
    request.set_namespace_id(kNs);
    request.set_poller_id("poller-" + std::to_string(++next_poller_));
    request.mutable_poll_request()->set_identity("worker-1");
    request.mutable_poll_request()->mutable_task_queue()->set_name(partition);
    auto result = NewResult<ws::PollWorkflowTaskQueueResponse>();
    auto handle = engine_->PollWorkflowTaskQueue(request, In(timeout), result->Callback());
    return {handle, result, nullptr};
  }
  Call Query(const std::string& partition, const std::string& query_id,
             std::chrono::milliseconds timeout = 10s) {
    auto result = NewResult<ms::QueryWorkflowResponse>();
    auto handle =
        engine_->QueryWorkflow(QueryRequest(partition, query_id), In(timeout), result->Callback());
    return {handle, nullptr, result};
  }
  absl::Status Respond(const ms::RespondQueryTaskCompletedRequest& request) {
    auto result = NewResult<ms::RespondQueryTaskCompletedResponse>();
    engine_->RespondQueryTaskCompleted(request, result->Callback());
    return Get(result).status();
  }

  ManualClock clock_;
  Membership membership_;
  Executor blocking_;
  Executor timers_;
  Executor rpc_;
  FakeHistoryClient history_;
  LoopbackMatchingClient matching_;
  std::shared_ptr<InMemoryTaskStore> store_;
  int next_poller_ = 0;
  std::shared_ptr<MatchingEngine> engine_;
};

TEST_F(MatchingQueryTest, QueryGoesToWaitingPollerAndIsAnsweredByTheWorker) {
  auto poll = PollWorkflow("orders");
  auto query = Query("orders", "q-1");

  // The poller gets the prebuilt task as is; history was not asked to record anything.
  auto task = Get(poll.poll);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->task_token(), TokenOf("q-1"));
  EXPECT_EQ(task->query().query_type(), "state");
  EXPECT_EQ(task->history().events_size(), 1);
  EXPECT_EQ(task->started_event_id(), 0);
  EXPECT_TRUE(history_.records().empty());
  EXPECT_EQ(store_->Count(kNs, "orders", kWorkflow), 0u) << "a query is never persisted";

  // Pending until the worker answers.
  EXPECT_FALSE(query.query->done());
  EXPECT_EQ(engine_->PendingQueryCount(), 1u);
  ASSERT_TRUE(Respond(Answer("orders", "q-1", "42")).ok());
  auto answered = Get(query.query);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->completed_type(), enums::QUERY_RESULT_TYPE_ANSWERED);
  ASSERT_EQ(answered->query_result().payloads_size(), 1);
  EXPECT_EQ(answered->query_result().payloads(0).data(), "42");
  EXPECT_EQ(engine_->PendingQueryCount(), 0u);

  // Answered once: a second answer finds nothing.
  EXPECT_EQ(Respond(Answer("orders", "q-1", "43")).code(), absl::StatusCode::kNotFound);
}

TEST_F(MatchingQueryTest, QueryWaitsForAPollerAndCarriesAFailedAnswer) {
  auto query = Query("orders", "q-1");
  ASSERT_TRUE(WaitFor([&] { return engine_->PendingQueryCount() == 1; }));
  EXPECT_FALSE(query.query->done());

  auto poll = PollWorkflow("orders");
  auto task = Get(poll.poll);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->task_token(), TokenOf("q-1"));

  auto failed = Answer("orders", "q-1", "");
  failed.mutable_request()->set_completed_type(enums::QUERY_RESULT_TYPE_FAILED);
  failed.mutable_request()->clear_query_result();
  failed.mutable_request()->set_error_message("unknown query type");
  failed.mutable_request()->mutable_failure()->set_message("unknown query type");
  ASSERT_TRUE(Respond(failed).ok());
  auto answered = Get(query.query);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->completed_type(), enums::QUERY_RESULT_TYPE_FAILED);
  EXPECT_EQ(answered->error_message(), "unknown query type");
  EXPECT_EQ(answered->failure().message(), "unknown query type");
  EXPECT_TRUE(history_.records().empty());
}

TEST_F(MatchingQueryTest, NoPollerMeansDeadlineExceededNamingTheTaskQueue) {
  auto start = std::chrono::steady_clock::now();
  auto query = Query("orders", "q-1", std::chrono::milliseconds(800));
  auto answered = Get(query.query);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answered.status().code(), absl::StatusCode::kDeadlineExceeded) << answered.status();
  EXPECT_NE(answered.status().message().find("no worker polled task queue \"orders\""),
            std::string::npos)
      << answered.status();
  // Answered before the caller's own deadline, so the message is what the caller sees.
  EXPECT_GE(elapsed, std::chrono::milliseconds(400));
  EXPECT_LT(elapsed, std::chrono::milliseconds(800));
  EXPECT_EQ(engine_->PendingQueryCount(), 0u);

  // The expired query is not handed to a poller that comes later.
  auto poll = PollWorkflow("orders", std::chrono::milliseconds(1300));
  auto empty = Get(poll.poll);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->ByteSizeLong(), 0u);
  EXPECT_EQ(Respond(Answer("orders", "q-1", "42")).code(), absl::StatusCode::kNotFound);
}

TEST_F(MatchingQueryTest, WorkerThatNeverAnswersMeansDeadlineExceeded) {
  auto poll = PollWorkflow("orders");
  auto query = Query("orders", "q-1", std::chrono::milliseconds(800));
  ASSERT_TRUE(Get(poll.poll).ok());
  auto answered = Get(query.query);
  EXPECT_EQ(answered.status().code(), absl::StatusCode::kDeadlineExceeded) << answered.status();
  EXPECT_NE(answered.status().message().find("\"orders\" did not answer"), std::string::npos)
      << answered.status();
  EXPECT_EQ(engine_->PendingQueryCount(), 0u);
  // A late answer is NOT_FOUND (the worker logs it and moves on).
  EXPECT_EQ(Respond(Answer("orders", "q-1", "42")).code(), absl::StatusCode::kNotFound);
}

TEST_F(MatchingQueryTest, UnknownQueryIdIsNotFound) {
  // On a partition that is not loaded: answered without loading it.
  EXPECT_EQ(Respond(Answer("orders", "nope", "1")).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(engine_->IsLoaded(kNs, "orders", kWorkflow));
  // On a loaded partition with another query pending.
  auto poll = PollWorkflow("orders");
  auto query = Query("orders", "q-1");
  ASSERT_TRUE(Get(poll.poll).ok());
  EXPECT_EQ(Respond(Answer("orders", "nope", "1")).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(query.query->done());
  // The right id on the wrong partition is not it either.
  EXPECT_EQ(Respond(Answer(PartitionName("orders", 1), "q-1", "1")).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(Respond(Answer("orders", "q-1", "1")).ok());
  EXPECT_TRUE(Get(query.query).ok());
}

TEST_F(MatchingQueryTest, LonePollerOnChildPartitionReceivesQuerySentToTheRoot) {
  // The poll was forwarded to the root before the query arrived.
  auto poll = PollWorkflow(PartitionName("orders", 2));
  ASSERT_TRUE(WaitFor(
      [&] { return matching_.forwarded_polls.load() == 1 && engine_->ParkedPollCount() == 2; }));
  auto query = Query("orders", "q-1");
  auto task = Get(poll.poll);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->task_token(), TokenOf("q-1"));
  EXPECT_EQ(task->query().query_type(), "state");
  ASSERT_TRUE(Respond(Answer("orders", "q-1", "a")).ok());
  ASSERT_TRUE(Get(query.query).ok());

  // The query was waiting at the root before the poll arrived on another child.
  auto query2 = Query("orders", "q-2");
  ASSERT_TRUE(WaitFor([&] { return engine_->PendingQueryCount() == 1; }));
  auto poll2 = PollWorkflow(PartitionName("orders", 3));
  auto task2 = Get(poll2.poll);
  ASSERT_TRUE(task2.ok()) << task2.status();
  EXPECT_EQ(task2->task_token(), TokenOf("q-2"));
  ASSERT_TRUE(Respond(Answer("orders", "q-2", "b")).ok());
  auto answered = Get(query2.query);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->query_result().payloads(0).data(), "b");
  EXPECT_TRUE(history_.records().empty());
}

TEST_F(MatchingQueryTest, CancelledQueryIsRemoved) {
  auto query = Query("orders", "q-1");
  ASSERT_TRUE(WaitFor([&] { return engine_->PendingQueryCount() == 1; }));
  query.handle->Cancel();
  EXPECT_EQ(Get(query.query).status().code(), absl::StatusCode::kCancelled);
  query.handle->Cancel();  // idempotent
  EXPECT_EQ(engine_->PendingQueryCount(), 0u);
  auto poll = PollWorkflow("orders", std::chrono::milliseconds(1300));
  auto empty = Get(poll.poll);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->ByteSizeLong(), 0u) << "a cancelled query must not reach a worker";

  // Cancelled after the hand-over: the worker's answer is NOT_FOUND.
  auto poll2 = PollWorkflow("orders");
  auto query2 = Query("orders", "q-2");
  ASSERT_TRUE(Get(poll2.poll).ok());
  query2.handle->Cancel();
  EXPECT_EQ(Get(query2.query).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Respond(Answer("orders", "q-2", "x")).code(), absl::StatusCode::kNotFound);
}

TEST_F(MatchingQueryTest, QueryIsDeliveredBeforeBacklogTasks) {
  ms::AddWorkflowTaskRequest add;
  add.set_namespace_id(kNs);
  add.mutable_execution()->set_workflow_id("wf-backlog");
  add.mutable_task_queue()->set_name("orders");
  add.set_scheduled_event_id(2);
  auto added = NewResult<ms::AddWorkflowTaskResponse>();
  engine_->AddWorkflowTask(add, In(5s), added->Callback());
  ASSERT_TRUE(Get(added).ok());
  ASSERT_EQ(store_->Count(kNs, "orders", kWorkflow), 1u);

  auto query = Query("orders", "q-1");
  ASSERT_TRUE(WaitFor([&] { return engine_->PendingQueryCount() == 1; }));
  auto first = PollWorkflow("orders");
  EXPECT_EQ(Get(first.poll)->task_token(), TokenOf("q-1"));
  auto second = PollWorkflow("orders");
  EXPECT_EQ(Get(second.poll)->task_token(), FakeHistoryClient::Token("wf-backlog", 2));
}

TEST_F(MatchingQueryTest, InvalidAndDuplicateQueriesAreRejected) {
  auto request = QueryRequest("orders", "");
  auto no_id = NewResult<ms::QueryWorkflowResponse>();
  engine_->QueryWorkflow(request, In(5s), no_id->Callback());
  EXPECT_EQ(Get(no_id).status().code(), absl::StatusCode::kInvalidArgument);

  request = QueryRequest("orders", "q-1");
  request.mutable_task()->clear_task_token();
  auto no_token = NewResult<ms::QueryWorkflowResponse>();
  engine_->QueryWorkflow(request, In(5s), no_token->Callback());
  EXPECT_EQ(Get(no_token).status().code(), absl::StatusCode::kInvalidArgument);

  auto query = Query("orders", "q-1");
  auto duplicate = Query("orders", "q-1");
  EXPECT_EQ(Get(duplicate.query).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(query.query->done());
}

TEST_F(MatchingQueryTest, StopFailsPendingQueriesWithOwnershipLost) {
  auto query = Query("orders", "q-1");
  ASSERT_TRUE(WaitFor([&] { return engine_->PendingQueryCount() == 1; }));
  engine_->Stop();
  auto answered = Get(query.query);
  EXPECT_TRUE(IsShardOwnershipLost(answered.status())) << answered.status();
}

// ---- over gRPC ---------------------------------------------------------------------------------

std::string NewSocketAddress() {
  static std::atomic<int> counter{0};
  return "unix:/tmp/tern-matching-query-test-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++) + ".sock";
}

class MatchingQueryServiceTest : public Test {
 protected:
  MatchingQueryServiceTest()
      : address_(NewSocketAddress()),
        membership_(std::make_shared<InMemoryMembershipStore>(), MembershipConfig{}),
        blocking_(2, "qs-blocking"),
        timers_(1, "qs-timers"),
        rpc_(2, "qs-rpc"),
        history_(rpc_),
        matching_client_(membership_, rpc_),
        store_(std::make_shared<InMemoryTaskStore>()) {}

  void SetUp() override {
    auto now = std::chrono::system_clock::now();
    ASSERT_TRUE(membership_
                    .Start({persistence::Member{persistence::Role::kMatching, "host-1", address_,
                                                now, now}})
                    .ok());
    EngineOptions options;
    options.self_address = address_;
    service_ =
        std::make_unique<MatchingService>(options, store_, membership_, history_, matching_client_,
                                          blocking_, timers_, SystemClock::Instance());
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    builder.RegisterService(service_->GrpcService());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    service_->Start();
  }

  void TearDown() override {
    if (service_) service_->Stop();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    membership_.Stop();
    std::remove(address_.substr(5).c_str());
  }

  // A worker's poll, through the matching client (as the frontend sends it).
  std::shared_ptr<PollResult> Poll(const std::string& partition) {
    ms::PollWorkflowTaskQueueRequest request;
    request.set_namespace_id(kNs);
    request.set_poller_id("poller-1");
    request.mutable_poll_request()->mutable_task_queue()->set_name(partition);
    auto result = NewResult<ws::PollWorkflowTaskQueueResponse>();
    matching_client_.PollWorkflowTaskQueue(request, {std::chrono::system_clock::now() + 10s},
                                           result->Callback());
    return result;
  }

  const std::string address_;
  Membership membership_;
  Executor blocking_;
  Executor timers_;
  Executor rpc_;
  FakeHistoryClient history_;
  client::GrpcMatchingClient matching_client_;
  std::shared_ptr<InMemoryTaskStore> store_;
  std::unique_ptr<MatchingService> service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(MatchingQueryServiceTest, QueryReachesLonePollerOnChildAndIsAnswered) {
  auto poll = Poll(PartitionName("orders", 2));
  ASSERT_TRUE(WaitFor([&] { return service_->engine().ParkedPollCount() == 2; }));
  auto query = NewResult<ms::QueryWorkflowResponse>();
  matching_client_.QueryWorkflow(QueryRequest("orders", "q-1"),
                                 {std::chrono::system_clock::now() + 10s}, query->Callback());
  auto task = Get(poll);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->task_token(), TokenOf("q-1"));

  auto responded = NewResult<ms::RespondQueryTaskCompletedResponse>();
  matching_client_.RespondQueryTaskCompleted(Answer("orders", "q-1", "42"),
                                             {std::chrono::system_clock::now() + 5s},
                                             responded->Callback());
  ASSERT_TRUE(Get(responded).ok());
  auto answered = Get(query);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->query_result().payloads(0).data(), "42");

  auto again = NewResult<ms::RespondQueryTaskCompletedResponse>();
  matching_client_.RespondQueryTaskCompleted(
      Answer("orders", "q-1", "42"), {std::chrono::system_clock::now() + 5s}, again->Callback());
  EXPECT_EQ(Get(again).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MatchingQueryServiceTest, DeadlineMessageReachesTheCaller) {
  auto query = NewResult<ms::QueryWorkflowResponse>();
  matching_client_.QueryWorkflow(QueryRequest("orders", "q-1"),
                                 {std::chrono::system_clock::now() + 1500ms}, query->Callback());
  auto answered = Get(query);
  EXPECT_EQ(answered.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(answered.status().message().find("no worker polled task queue \"orders\""),
            std::string::npos)
      << answered.status();
}

TEST_F(MatchingQueryServiceTest, CallerCancellationRemovesTheQuery) {
  auto handle = std::make_shared<client::CallHandle>();
  auto query = NewResult<ms::QueryWorkflowResponse>();
  matching_client_.QueryWorkflow(QueryRequest("orders", "q-1"),
                                 {std::chrono::system_clock::now() + 10s, true, handle},
                                 query->Callback());
  ASSERT_TRUE(WaitFor([&] { return service_->engine().PendingQueryCount() == 1; }));
  handle->Cancel();
  EXPECT_EQ(Get(query).status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(WaitFor([&] { return service_->engine().PendingQueryCount() == 0; }));
}

}  // namespace
}  // namespace tern::matching
