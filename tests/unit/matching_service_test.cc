// MatchingService over real in-process gRPC (a unix socket): the callback handlers, poll
// cancellation through OnCancel, deadlines from the caller's context, and forwarding through the
// real MatchingClient and membership ring.
#include "services/matching/matching_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>

#include "common/task_queue_names.h"
#include "tests/unit/matching_test_util.h"

namespace tern::matching {
namespace {

using namespace testing;  // NOLINT: the test doubles
using ::testing::Test;
namespace enums = temporal::api::enums::v1;
using Stub = tern::matchingservice::v1::MatchingService::Stub;

constexpr char kNs[] = "ns-svc";

std::string NewSocketAddress() {
  static std::atomic<int> counter{0};
  return "unix:/tmp/tern-matching-test-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++) + ".sock";
}

class MatchingServiceTest : public Test {
 protected:
  MatchingServiceTest()
      : address_(NewSocketAddress()),
        membership_(std::make_shared<InMemoryMembershipStore>(), MembershipConfig{}),
        blocking_(2, "svc-blocking"),
        timers_(1, "svc-timers"),
        rpc_(2, "svc-rpc"),
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
    options.forward_backoff_initial = std::chrono::milliseconds(10);
    options.forward_backoff_max = std::chrono::milliseconds(50);
    service_ =
        std::make_unique<MatchingService>(options, store_, membership_, history_, matching_client_,
                                          blocking_, timers_, SystemClock::Instance());
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    builder.RegisterService(service_->GrpcService());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    service_->Start();
    stub_ = tern::matchingservice::v1::MatchingService::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    // The process shutdown order: answer polls, stop serving, then the rest.
    if (service_) service_->Stop();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    membership_.Stop();
    std::remove(address_.substr(5).c_str());
  }

  // An asynchronous poll through the stub.
  struct Call {
    // A call must not be destroyed while gRPC still uses its context (a failed assertion can
    // leave one pending).
    ~Call() {
      if (!status->done()) {
        ctx.TryCancel();
        status->Wait(10s);
      }
    }
    grpc::ClientContext ctx;
    ms::PollWorkflowTaskQueueRequest request;
    ws::PollWorkflowTaskQueueResponse response;
    std::shared_ptr<Result<grpc::Status>> status = NewResult<grpc::Status>();
  };
  std::unique_ptr<Call> StartPoll(const std::string& partition, std::chrono::milliseconds timeout,
                                  const std::string& poller_id) {
    auto call = std::make_unique<Call>();
    call->ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    auto& request = call->request;
    request.set_namespace_id(kNs);
    request.set_poller_id(poller_id);
    request.mutable_poll_request()->set_identity("svc-worker");
    request.mutable_poll_request()->mutable_task_queue()->set_name(partition);
    auto done = call->status->Callback();
    stub_->async()->PollWorkflowTaskQueue(&call->ctx, &request, &call->response,
                                          [done](grpc::Status s) { done(s); });
    return call;
  }

  grpc::Status Add(const std::string& partition, const std::string& workflow_id,
                   ms::AddWorkflowTaskResponse* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ms::AddWorkflowTaskRequest request;
    request.set_namespace_id(kNs);
    request.mutable_execution()->set_workflow_id(workflow_id);
    request.mutable_task_queue()->set_name(partition);
    request.set_scheduled_event_id(4);
    return stub_->AddWorkflowTask(&ctx, request, response);
  }

  static grpc::Status Finished(Call& call, std::chrono::milliseconds timeout = 5s) {
    auto s = call.status->Wait(timeout);
    if (!s.has_value()) return grpc::Status(grpc::StatusCode::UNKNOWN, "<no answer>");
    return **s;
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
  std::unique_ptr<Stub> stub_;
};

TEST_F(MatchingServiceTest, PollReceivesTaskAddedOverGrpc) {
  auto poll = StartPoll("orders", 10s, "poller-1");
  // Wait until the poll is parked, then add.
  ASSERT_TRUE(WaitFor([&] { return service_->engine().ParkedPollCount() == 1; }));
  ms::AddWorkflowTaskResponse added;
  ASSERT_TRUE(Add("orders", "wf-1", &added).ok());
  ASSERT_TRUE(Finished(*poll).ok());
  EXPECT_EQ(poll->response.task_token(), FakeHistoryClient::Token("wf-1", 4));
}

TEST_F(MatchingServiceTest, PollEndsEmptyOneSecondBeforeCallerDeadline) {
  auto start = std::chrono::steady_clock::now();
  auto poll = StartPoll("orders", std::chrono::milliseconds(1400), "poller-1");
  auto status = Finished(*poll);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(poll->response.ByteSizeLong(), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
}

TEST_F(MatchingServiceTest, CancelledPollLeavesTaskToNextPoller) {
  auto first = StartPoll("orders", 10s, "poller-1");
  ASSERT_TRUE(WaitFor([&] { return service_->engine().ParkedPollCount() == 1; }));
  first->ctx.TryCancel();
  EXPECT_EQ(Finished(*first).error_code(), grpc::StatusCode::CANCELLED);
  // The server learns of the cancel asynchronously (OnCancel); a task matched before that would
  // be bound to the dying poll (then recovered by history's timeout).
  ASSERT_TRUE(WaitFor([&] { return service_->engine().ParkedPollCount() == 0; }));

  auto second = StartPoll("orders", 10s, "poller-2");
  ms::AddWorkflowTaskResponse added;
  // The add may reach the partition before the second poll does; either way it is delivered.
  ASSERT_TRUE(Add("orders", "wf-1", &added).ok());
  ASSERT_TRUE(Finished(*second).ok());
  EXPECT_EQ(second->response.task_token(), FakeHistoryClient::Token("wf-1", 4));
  for (const auto& record : history_.records()) EXPECT_NE(record.request_id, "poller-1");
}

TEST_F(MatchingServiceTest, ForwardingThroughTheMatchingClient) {
  // A lone poller on partition 2; tasks added to partitions 1 and 3 reach it via the root.
  for (int partition : {1, 3}) {
    auto poll = StartPoll(PartitionName("orders", 2), 10s, "poller-" + std::to_string(partition));
    std::string workflow_id = "wf-" + std::to_string(partition);
    ms::AddWorkflowTaskResponse added;
    ASSERT_TRUE(Add(PartitionName("orders", partition), workflow_id, &added).ok());
    ASSERT_TRUE(Finished(*poll).ok());
    EXPECT_EQ(poll->response.task_token(), FakeHistoryClient::Token(workflow_id, 4));
  }
}

TEST_F(MatchingServiceTest, StopAnswersParkedPollsAndRefusesNewCalls) {
  auto poll = StartPoll("orders", 30s, "poller-1");
  ASSERT_TRUE(WaitFor([&] { return service_->engine().ParkedPollCount() == 1; }));
  service_->Stop();
  auto polled = Finished(*poll);
  ASSERT_TRUE(polled.ok()) << polled.error_code() << " " << polled.error_message();
  EXPECT_EQ(poll->response.ByteSizeLong(), 0u);
  ms::AddWorkflowTaskResponse added;
  auto status = Add("orders", "wf-1", &added);
  EXPECT_TRUE(IsShardOwnershipLost(FromGrpcStatus(status))) << status.error_message();
}

TEST_F(MatchingServiceTest, InvalidRequestsAreRejected) {
  ms::AddWorkflowTaskResponse added;
  auto status = Add("", "wf-1", &added);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto poll = StartPoll("", 5s, "poller-1");
  EXPECT_EQ(Finished(*poll).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace tern::matching
