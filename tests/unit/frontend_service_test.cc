// FrontendService end to end over gRPC (port 0), with history and matching replaced by fakes that
// record the internal requests: routing, error pass-through, long polls, shutdown and health.
#include "services/frontend/frontend_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>

#include "common/errors.h"
#include "common/ids.h"
#include "common/task_token.h"
#include "temporal/api/errordetails/v1/message.pb.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"
#include "tests/unit/frontend_fakes.h"

namespace tern::frontend {
namespace {

using namespace std::chrono_literals;
using namespace testing;
namespace enums = temporal::api::enums::v1;
namespace errordetails = temporal::api::errordetails::v1;

constexpr char kRunId[] = "1b4e28ba-2fa1-4d2e-883f-0016d3cca427";

class FrontendServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.cluster_name = "active";
    ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("default", "ns-default")).ok());
    ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("other", "ns-other")).ok());
    cache_ = persistence::NamespaceCache::Create(store_, executor_);
    cache_->Start();
    frontend_ =
        std::make_unique<FrontendService>(config_, store_, cache_, history_, matching_, executor_);

    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    for (auto* service : frontend_->GrpcServices()) builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    frontend_->AttachServer(server_.get());
    frontend_->Start();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
    stub_ = ws::WorkflowService::NewStub(channel_);
  }

  void TearDown() override {
    frontend_->Stop();
    cache_->Stop();
    server_->Shutdown(std::chrono::system_clock::now() + 5s);
    server_.reset();
    executor_.Stop();
    frontend_.reset();
  }

  // grpc.health.v1.Health/Check through a generic stub (no generated health stub here).
  // Returns the ServingStatus enum value (1 SERVING, 2 NOT_SERVING) or -code on error.
  int HealthStatus(const std::string& service) {
    grpc::GenericStub generic(channel_);
    std::string request = std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
    grpc::Slice slice(request);
    grpc::ByteBuffer req(&slice, 1), resp;
    grpc::ClientContext ctx;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                      [&](grpc::Status s) { done.set_value(s); });
    auto status = done.get_future().get();
    if (!status.ok()) return -status.error_code();
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(resp.Dump(&slices).ok());
    std::string bytes;
    for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0;  // field 1, varint
  }

  static std::string Token(const std::string& namespace_id) {
    persistence::v1::TaskToken token;
    token.set_namespace_id(namespace_id);
    token.set_workflow_id("wf");
    token.set_run_id(kRunId);
    token.set_scheduled_event_id(5);
    return EncodeTaskToken(token);
  }

  ws::StartWorkflowExecutionRequest StartRequest() {
    ws::StartWorkflowExecutionRequest r;
    r.set_namespace_("default");
    r.set_workflow_id("wf-1");
    r.mutable_workflow_type()->set_name("MyWorkflow");
    r.mutable_task_queue()->set_name("orders");
    return r;
  }

  Config config_;
  std::shared_ptr<FakeNamespaceStore> store_ = std::make_shared<FakeNamespaceStore>();
  std::shared_ptr<persistence::NamespaceCache> cache_;
  Executor executor_{2, "fe-test"};
  Membership membership_{nullptr, MembershipConfig{}};
  FakeHistoryClient history_;
  FakeMatchingClient matching_;
  std::unique_ptr<FrontendService> frontend_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ws::WorkflowService::Stub> stub_;
};

TEST_F(FrontendServiceTest, GetSystemInfoAdvertisesOnlyWhatIsImplemented) {
  grpc::ClientContext ctx;
  ws::GetSystemInfoResponse resp;
  ASSERT_TRUE(stub_->GetSystemInfo(&ctx, ws::GetSystemInfoRequest(), &resp).ok());
  EXPECT_EQ(resp.server_version(), "tern 0.1.0");
  const auto& caps = resp.capabilities();
  EXPECT_TRUE(caps.signal_and_query_header());
  EXPECT_TRUE(caps.activity_failure_include_heartbeat());
  EXPECT_TRUE(caps.encoded_failure_attributes());
  EXPECT_TRUE(caps.sdk_metadata());
  EXPECT_TRUE(caps.supports_schedules());
  EXPECT_TRUE(caps.upsert_memo());
  EXPECT_TRUE(caps.eager_workflow_start());
  EXPECT_TRUE(caps.count_group_by_execution_status());
  EXPECT_FALSE(caps.internal_error_differentiation());
  EXPECT_FALSE(caps.build_id_based_versioning());
  EXPECT_FALSE(caps.nexus());
}

TEST_F(FrontendServiceTest, RegisterAndDescribeThroughGrpc) {
  ws::RegisterNamespaceRequest reg;
  reg.set_namespace_("billing");
  reg.mutable_workflow_execution_retention_period()->set_seconds(86400);
  {
    grpc::ClientContext ctx;
    ws::RegisterNamespaceResponse resp;
    auto st = stub_->RegisterNamespace(&ctx, reg, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  {
    grpc::ClientContext ctx;
    ws::RegisterNamespaceResponse resp;
    auto st = FromGrpcStatus(stub_->RegisterNamespace(&ctx, reg, &resp));
    EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
    errordetails::NamespaceAlreadyExistsFailure detail;
    EXPECT_TRUE(GetDetail(st, &detail));
  }
  grpc::ClientContext ctx;
  ws::DescribeNamespaceRequest req;
  req.set_namespace_("billing");
  ws::DescribeNamespaceResponse resp;
  ASSERT_TRUE(stub_->DescribeNamespace(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.namespace_info().name(), "billing");
  EXPECT_EQ(resp.namespace_info().state(), enums::NAMESPACE_STATE_REGISTERED);
}

TEST_F(FrontendServiceTest, StartIsRoutedToHistoryWithNamespaceIdAndRequestId) {
  history_.StartWorkflowExecution_.SetReply([](const auto&) {
    ws::StartWorkflowExecutionResponse resp;
    resp.set_run_id(kRunId);
    resp.set_started(true);
    return resp;
  });
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 7s);
  ws::StartWorkflowExecutionResponse resp;
  auto st = stub_->StartWorkflowExecution(&ctx, StartRequest(), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.run_id(), kRunId);

  ASSERT_EQ(history_.StartWorkflowExecution_.size(), 1u);
  auto call = history_.StartWorkflowExecution_.at(0);
  EXPECT_EQ(call.request.namespace_id(), "ns-default");
  EXPECT_EQ(call.request.request().workflow_id(), "wf-1");
  EXPECT_TRUE(IsUuid(call.request.request().request_id())) << "a missing request id is generated";
  auto left = call.options.deadline - std::chrono::system_clock::now();
  EXPECT_GT(left, 5s);
  // gRPC sends the deadline as a rounded-up timeout, so allow a little slack.
  EXPECT_LE(left, 7s + 100ms) << "the caller's deadline is passed on";
}

TEST_F(FrontendServiceTest, HistoryErrorsPassThroughWithDetails) {
  history_.StartWorkflowExecution_.SetReply([](const auto&) {
    return absl::StatusOr<ws::StartWorkflowExecutionResponse>(
        WorkflowAlreadyStartedError("Workflow execution is already running.", "req-1", kRunId));
  });
  grpc::ClientContext ctx;
  ws::StartWorkflowExecutionResponse resp;
  auto st = FromGrpcStatus(stub_->StartWorkflowExecution(&ctx, StartRequest(), &resp));
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(st.message(), "Workflow execution is already running.");
  errordetails::WorkflowExecutionAlreadyStartedFailure detail;
  ASSERT_TRUE(GetDetail(st, &detail));
  EXPECT_EQ(detail.run_id(), kRunId);
}

TEST_F(FrontendServiceTest, UnknownNamespaceIsNotFoundAndNothingIsForwarded) {
  auto request = StartRequest();
  request.set_namespace_("nope");
  grpc::ClientContext ctx;
  ws::StartWorkflowExecutionResponse resp;
  auto st = FromGrpcStatus(stub_->StartWorkflowExecution(&ctx, request, &resp));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "Namespace nope is not found.");
  errordetails::NamespaceNotFoundFailure detail;
  ASSERT_TRUE(GetDetail(st, &detail));
  EXPECT_EQ(detail.namespace_(), "nope");
  EXPECT_EQ(history_.StartWorkflowExecution_.size(), 0u);
}

TEST_F(FrontendServiceTest, OversizedInputIsRejectedBeforeHistory) {
  auto request = StartRequest();
  request.mutable_input()->add_payloads()->set_data(std::string(2 * 1024 * 1024 + 1024, 'x'));
  grpc::ClientContext ctx;
  ws::StartWorkflowExecutionResponse resp;
  auto st = stub_->StartWorkflowExecution(&ctx, request, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("2097152 bytes"), std::string::npos) << st.error_message();
  EXPECT_EQ(history_.StartWorkflowExecution_.size(), 0u);
}

TEST_F(FrontendServiceTest, TaskTokenCallsUseTheTokensNamespace) {
  history_.RespondActivityTaskCompleted_.SetReply(
      [](const auto&) { return ws::RespondActivityTaskCompletedResponse(); });
  ws::RespondActivityTaskCompletedRequest request;
  request.set_task_token(Token("ns-other"));
  {
    grpc::ClientContext ctx;
    ws::RespondActivityTaskCompletedResponse resp;
    ASSERT_TRUE(stub_->RespondActivityTaskCompleted(&ctx, request, &resp).ok());
    ASSERT_EQ(history_.RespondActivityTaskCompleted_.size(), 1u);
    auto call = history_.RespondActivityTaskCompleted_.at(0);
    EXPECT_EQ(call.request.namespace_id(), "ns-other");
    EXPECT_EQ(call.request.request().namespace_(), "other");
  }
  {
    request.set_namespace_("default");  // not the token's namespace
    grpc::ClientContext ctx;
    ws::RespondActivityTaskCompletedResponse resp;
    auto st = stub_->RespondActivityTaskCompleted(&ctx, request, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("different namespace"), std::string::npos);
  }
  {
    request.set_task_token("garbage");
    grpc::ClientContext ctx;
    ws::RespondActivityTaskCompletedResponse resp;
    auto st = stub_->RespondActivityTaskCompleted(&ctx, request, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), "Error deserializing task token.");
  }
  EXPECT_EQ(history_.RespondActivityTaskCompleted_.size(), 1u);
}

TEST_F(FrontendServiceTest, DescribeWorkflowRejectsBadRunId) {
  ws::DescribeWorkflowExecutionRequest request;
  request.set_namespace_("default");
  request.mutable_execution()->set_workflow_id("wf");
  request.mutable_execution()->set_run_id("not-a-uuid");
  grpc::ClientContext ctx;
  ws::DescribeWorkflowExecutionResponse resp;
  auto st = stub_->DescribeWorkflowExecution(&ctx, request, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "Invalid RunId.");
}

TEST_F(FrontendServiceTest, HistoryLongPollAsksForTwentySeconds) {
  history_.GetWorkflowExecutionHistory_.SetReply(
      [](const auto&) { return ws::GetWorkflowExecutionHistoryResponse(); });
  ws::GetWorkflowExecutionHistoryRequest request;
  request.set_namespace_("default");
  request.mutable_execution()->set_workflow_id("wf");
  request.set_wait_new_event(true);
  request.set_history_event_filter_type(enums::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
  grpc::ClientContext ctx;
  ws::GetWorkflowExecutionHistoryResponse resp;
  ASSERT_TRUE(stub_->GetWorkflowExecutionHistory(&ctx, request, &resp).ok());
  auto call = history_.GetWorkflowExecutionHistory_.at(0);
  EXPECT_EQ(call.request.long_poll_timeout().seconds(), 20);
  EXPECT_GT(call.options.deadline - std::chrono::system_clock::now(), 20s);
  EXPECT_TRUE(call.request.request().wait_new_event());
}

// The fake keeps every callback it was given, and with it the reactor of a call long answered:
// the call must have stopped counting when it was answered, not when its reactor goes.
TEST_F(FrontendServiceTest, AnAnsweredCallStopsCountingThoughACallbackStillHoldsIt) {
  dynamicconfig::Values values;
  values.Set(dynamicconfig::kFrontendMaxConcurrentRequests, 1);
  config_.dynamic.Update(values);
  history_.GetWorkflowExecutionHistory_.SetReply(
      [](const auto&) { return ws::GetWorkflowExecutionHistoryResponse(); });
  ws::GetWorkflowExecutionHistoryRequest request;
  request.set_namespace_("default");
  request.mutable_execution()->set_workflow_id("wf");  // no wait: an ordinary, counted call
  for (int call = 0; call < 2; ++call) {
    grpc::ClientContext ctx;
    ws::GetWorkflowExecutionHistoryResponse resp;
    auto st = stub_->GetWorkflowExecutionHistory(&ctx, request, &resp);
    EXPECT_TRUE(st.ok()) << "call " << call << ": " << st.error_message();
  }
  EXPECT_EQ(history_.GetWorkflowExecutionHistory_.size(), 2u);
}

TEST_F(FrontendServiceTest, PollGoesToAPartitionAndReturnsTheTask) {
  ws::PollWorkflowTaskQueueRequest request;
  request.set_namespace_("default");
  request.mutable_task_queue()->set_name("orders");
  request.set_identity("worker-1");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 70s);
  ws::PollWorkflowTaskQueueResponse resp;
  std::promise<grpc::Status> done;
  stub_->async()->PollWorkflowTaskQueue(&ctx, &request, &resp,
                                        [&](grpc::Status s) { done.set_value(s); });

  ASSERT_TRUE(WaitFor([&] { return matching_.workflow_polls_.size() == 1; }));
  auto call = matching_.workflow_polls_.at(0);
  EXPECT_EQ(call.request.namespace_id(), "ns-default");
  EXPECT_TRUE(IsUuid(call.request.poller_id()));
  const std::string& partition = call.request.poll_request().task_queue().name();
  EXPECT_TRUE(partition == "orders" || partition.rfind("/_sys/orders/", 0) == 0) << partition;
  EXPECT_EQ(call.request.poll_request().identity(), "worker-1");
  auto left = call.options.deadline - std::chrono::system_clock::now();
  EXPECT_LE(left, 60s) << "matching.longPollExpirationInterval caps the wait";
  EXPECT_GT(left, 55s);

  ws::PollWorkflowTaskQueueResponse task;
  task.set_task_token("token");
  task.mutable_workflow_execution()->set_workflow_id("wf");
  call.done(task);
  auto st = done.get_future().get();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.task_token(), "token");
}

TEST_F(FrontendServiceTest, PollTimeoutIsAnEmptySuccess) {
  ws::PollActivityTaskQueueRequest request;
  request.set_namespace_("default");
  request.mutable_task_queue()->set_name("orders");
  grpc::ClientContext ctx;
  ws::PollActivityTaskQueueResponse resp;
  std::promise<grpc::Status> done;
  stub_->async()->PollActivityTaskQueue(&ctx, &request, &resp,
                                        [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(WaitFor([&] { return matching_.activity_polls_.size() == 1; }));
  matching_.activity_polls_.at(0).done(absl::DeadlineExceededError("poll expired"));
  auto st = done.get_future().get();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.ByteSizeLong(), 0u) << "an empty poll is the default message";
}

TEST_F(FrontendServiceTest, StickyPollUsesTheRootPartition) {
  ws::PollWorkflowTaskQueueRequest request;
  request.set_namespace_("default");
  request.mutable_task_queue()->set_name("host-1-sticky");
  request.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_STICKY);
  request.mutable_task_queue()->set_normal_name("orders");
  grpc::ClientContext ctx;
  ws::PollWorkflowTaskQueueResponse resp;
  std::promise<grpc::Status> done;
  stub_->async()->PollWorkflowTaskQueue(&ctx, &request, &resp,
                                        [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(WaitFor([&] { return matching_.workflow_polls_.size() == 1; }));
  EXPECT_EQ(matching_.workflow_polls_.at(0).request.poll_request().task_queue().name(),
            "host-1-sticky");
  matching_.workflow_polls_.at(0).done(ws::PollWorkflowTaskQueueResponse());
  EXPECT_TRUE(done.get_future().get().ok());
}

TEST_F(FrontendServiceTest, CancelledPollCancelsTheMatchingCall) {
  ws::PollWorkflowTaskQueueRequest request;
  request.set_namespace_("default");
  request.mutable_task_queue()->set_name("orders");
  grpc::ClientContext ctx;
  ws::PollWorkflowTaskQueueResponse resp;
  std::promise<grpc::Status> done;
  stub_->async()->PollWorkflowTaskQueue(&ctx, &request, &resp,
                                        [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(WaitFor([&] { return matching_.workflow_polls_.size() == 1; }));
  auto call = matching_.workflow_polls_.at(0);
  ASSERT_NE(call.options.handle, nullptr);
  EXPECT_FALSE(IsCancelled(*call.options.handle));
  ctx.TryCancel();
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return IsCancelled(*call.options.handle); }));
  call.done(absl::CancelledError("call cancelled"));  // what the real client reports then
}

TEST_F(FrontendServiceTest, StopAnswersParkedPollsEmptyAndReportsNotServing) {
  EXPECT_EQ(HealthStatus(""), 1);
  EXPECT_EQ(HealthStatus(kWorkflowServiceName), 1);
  EXPECT_EQ(HealthStatus(kOperatorServiceName), 1);

  ws::PollWorkflowTaskQueueRequest request;
  request.set_namespace_("default");
  request.mutable_task_queue()->set_name("orders");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 70s);
  ws::PollWorkflowTaskQueueResponse resp;
  std::promise<grpc::Status> done;
  stub_->async()->PollWorkflowTaskQueue(&ctx, &request, &resp,
                                        [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(WaitFor([&] { return matching_.workflow_polls_.size() == 1; }));
  auto parked = matching_.workflow_polls_.at(0);

  frontend_->Stop();
  auto st = done.get_future().get();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.ByteSizeLong(), 0u);
  EXPECT_TRUE(IsCancelled(*parked.options.handle));
  // A late answer from matching is dropped, not delivered twice.
  ws::PollWorkflowTaskQueueResponse late;
  late.set_task_token("late");
  parked.done(late);

  EXPECT_EQ(HealthStatus(""), 2);
  EXPECT_EQ(HealthStatus(kWorkflowServiceName), 2);

  // New polls after Stop() are answered empty at once.
  grpc::ClientContext ctx2;
  ws::PollWorkflowTaskQueueResponse resp2;
  EXPECT_TRUE(stub_->PollWorkflowTaskQueue(&ctx2, request, &resp2).ok());
  EXPECT_EQ(matching_.workflow_polls_.size(), 1u);
}

TEST_F(FrontendServiceTest, StopCancelsForwardedCallsWithUnavailable) {
  // History never answers (a host that is gone, retried until the deadline by the real client).
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  ws::StartWorkflowExecutionResponse resp;
  std::promise<grpc::Status> done;
  auto request = StartRequest();
  stub_->async()->StartWorkflowExecution(&ctx, &request, &resp,
                                         [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(WaitFor([&] { return history_.StartWorkflowExecution_.size() == 1; }));
  auto call = history_.StartWorkflowExecution_.at(0);
  ASSERT_TRUE(call.options.handle);
  EXPECT_FALSE(IsCancelled(*call.options.handle));

  frontend_->Stop();
  absl::Status reason = call.options.handle->reason();
  EXPECT_EQ(reason.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(reason.message()).find("frontend is shutting down"), std::string::npos);
  call.done(reason);  // what the real client reports for a cancelled handle
  auto st = done.get_future().get();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);

  // A call started after Stop() is cancelled before it is sent.
  grpc::ClientContext ctx2;
  ws::StartWorkflowExecutionResponse resp2;
  std::promise<grpc::Status> done2;
  stub_->async()->StartWorkflowExecution(&ctx2, &request, &resp2,
                                         [&](grpc::Status s) { done2.set_value(s); });
  ASSERT_TRUE(WaitFor([&] { return history_.StartWorkflowExecution_.size() == 2; }));
  auto late = history_.StartWorkflowExecution_.at(1);
  EXPECT_EQ(late.options.handle->reason().code(), absl::StatusCode::kUnavailable);
  late.done(late.options.handle->reason());
  EXPECT_EQ(done2.get_future().get().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(FrontendServiceTest, UnimplementedRpcsSayUnimplemented) {
  grpc::ClientContext ctx;
  ws::PollNexusTaskQueueResponse resp;
  auto st = stub_->PollNexusTaskQueue(&ctx, ws::PollNexusTaskQueueRequest(), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(FrontendServiceTest, ShutdownWorkerReleasesTheStickyQueue) {
  matching_.sticky_releases_.SetReply([](const ms::ReleaseStickyTaskQueueRequest&) {
    return ms::ReleaseStickyTaskQueueResponse();
  });
  ws::ShutdownWorkerRequest request;
  request.set_namespace_("default");
  {
    grpc::ClientContext ctx;
    ws::ShutdownWorkerResponse resp;
    EXPECT_TRUE(stub_->ShutdownWorker(&ctx, request, &resp).ok());
    EXPECT_EQ(matching_.sticky_releases_.size(), 0u) << "no sticky queue, nothing to release";
  }
  request.set_sticky_task_queue("host-1:sticky-abc");
  grpc::ClientContext ctx;
  ws::ShutdownWorkerResponse resp;
  EXPECT_TRUE(stub_->ShutdownWorker(&ctx, request, &resp).ok());
  ASSERT_EQ(matching_.sticky_releases_.size(), 1u);
  EXPECT_EQ(matching_.sticky_releases_.at(0).request.task_queue(), "host-1:sticky-abc");
  EXPECT_FALSE(matching_.sticky_releases_.at(0).request.namespace_id().empty());
}

TEST_F(FrontendServiceTest, QueryGoesToHistoryWithTheCallersDeadlineAndPassesErrorsThrough) {
  ws::QueryWorkflowRequest request;
  request.set_namespace_("default");
  request.mutable_execution()->set_workflow_id("wf");
  request.mutable_query()->set_query_type("state");
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 7s);
    ws::QueryWorkflowResponse resp;
    std::promise<grpc::Status> done;
    stub_->async()->QueryWorkflow(&ctx, &request, &resp,
                                  [&](grpc::Status s) { done.set_value(s); });
    ASSERT_TRUE(WaitFor([&] { return history_.QueryWorkflow_.size() == 1; }));
    auto call = history_.QueryWorkflow_.at(0);
    EXPECT_EQ(call.request.namespace_id(), "ns-default");
    EXPECT_EQ(call.request.request().query().query_type(), "state");
    // No soft timeout: history may use all of the caller's time (as gRPC propagated it, which
    // may round up a little), not kDefaultCallTimeout.
    auto left = call.options.deadline - std::chrono::system_clock::now();
    EXPECT_GT(left, 5s);
    EXPECT_LT(left, 8s);
    ws::QueryWorkflowResponse answer;
    answer.mutable_query_result()->add_payloads()->set_data("42");
    call.done(answer);
    auto st = done.get_future().get();
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.query_result().payloads(0).data(), "42");
  }
  {
    // A query the worker failed: INVALID_ARGUMENT with QueryFailedFailure, as history said.
    errordetails::QueryFailedFailure detail;
    detail.mutable_failure()->set_message("unknown query type");
    history_.QueryWorkflow_.SetReply(
        [detail](const auto&) -> absl::StatusOr<ws::QueryWorkflowResponse> {
          return WithDetail(absl::InvalidArgumentError("unknown query type"), detail);
        });
    grpc::ClientContext ctx;
    ws::QueryWorkflowResponse resp;
    auto status = FromGrpcStatus(stub_->QueryWorkflow(&ctx, request, &resp));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), "unknown query type");
    errordetails::QueryFailedFailure got;
    ASSERT_TRUE(GetDetail(status, &got));
    EXPECT_EQ(got.failure().message(), "unknown query type");
  }
  {
    request.mutable_query()->clear_query_type();
    grpc::ClientContext ctx;
    ws::QueryWorkflowResponse resp;
    auto st = stub_->QueryWorkflow(&ctx, request, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), "QueryType is not set on request.");
  }
  EXPECT_EQ(history_.QueryWorkflow_.size(), 2u);
}

TEST_F(FrontendServiceTest, CancelledQueryCancelsTheHistoryCall) {
  ws::QueryWorkflowRequest request;
  request.set_namespace_("default");
  request.mutable_execution()->set_workflow_id("wf");
  request.mutable_query()->set_query_type("state");
  grpc::ClientContext ctx;
  ws::QueryWorkflowResponse resp;
  std::promise<grpc::Status> done;
  stub_->async()->QueryWorkflow(&ctx, &request, &resp, [&](grpc::Status s) { done.set_value(s); });
  ASSERT_TRUE(WaitFor([&] { return history_.QueryWorkflow_.size() == 1; }));
  auto call = history_.QueryWorkflow_.at(0);
  ASSERT_NE(call.options.handle, nullptr);
  ctx.TryCancel();
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return IsCancelled(*call.options.handle); }));
  call.done(absl::CancelledError("call cancelled"));
}

TEST_F(FrontendServiceTest, QueryAnswerGoesToTheDispatchingPartition) {
  matching_.query_answers_.SetReply(
      [](const auto&) { return ms::RespondQueryTaskCompletedResponse(); });
  persistence::v1::TaskToken token;
  token.set_namespace_id("ns-other");
  token.set_workflow_id("wf");
  token.set_run_id(kRunId);
  token.set_query_id("q-1");
  token.set_query_task_queue("orders");
  ws::RespondQueryTaskCompletedRequest request;
  request.set_task_token(EncodeTaskToken(token));
  request.set_completed_type(enums::QUERY_RESULT_TYPE_ANSWERED);
  request.mutable_query_result()->add_payloads()->set_data("42");
  {
    grpc::ClientContext ctx;
    ws::RespondQueryTaskCompletedResponse resp;
    auto st = stub_->RespondQueryTaskCompleted(&ctx, request, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(matching_.query_answers_.size(), 1u);
    auto call = matching_.query_answers_.at(0);
    EXPECT_EQ(call.request.namespace_id(), "ns-other");
    EXPECT_EQ(call.request.task_queue().name(), "orders");
    EXPECT_EQ(call.request.query_id(), "q-1");
    EXPECT_EQ(call.request.request().namespace_(), "other");
    EXPECT_EQ(call.request.request().query_result().payloads(0).data(), "42");
  }
  {
    // An expired query: matching's NOT_FOUND reaches the worker unchanged.
    matching_.query_answers_.SetReply(
        [](const auto&) -> absl::StatusOr<ms::RespondQueryTaskCompletedResponse> {
          return NotFoundError("query task not found");
        });
    grpc::ClientContext ctx;
    ws::RespondQueryTaskCompletedResponse resp;
    EXPECT_EQ(stub_->RespondQueryTaskCompleted(&ctx, request, &resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    // A workflow-task token is not a query token.
    request.set_task_token(Token("ns-other"));
    grpc::ClientContext ctx;
    ws::RespondQueryTaskCompletedResponse resp;
    auto st = stub_->RespondQueryTaskCompleted(&ctx, request, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(matching_.query_answers_.size(), 2u);
}

// Dynamic config is read per poll, for the poll's namespace and task queue, and a change made
// after the service started (as a reloaded file makes it) applies to the next poll.
TEST_F(FrontendServiceTest, PollsUseTheReadPartitionsAndTimeoutOfTheirNamespaceAndQueue) {
  dynamicconfig::Values values;
  values.Set(dynamicconfig::kMatchingNumTaskqueueReadPartitions, 1, {"default", "orders"});
  values.Set(dynamicconfig::kMatchingLongPollExpirationInterval, std::chrono::milliseconds(30s),
             {"default", "orders"});
  config_.dynamic.Update(values);
  for (size_t i = 0; i < 8; ++i) {
    ws::PollWorkflowTaskQueueRequest request;
    request.set_namespace_("default");
    request.mutable_task_queue()->set_name("orders");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 70s);
    ws::PollWorkflowTaskQueueResponse resp;
    std::promise<grpc::Status> done;
    stub_->async()->PollWorkflowTaskQueue(&ctx, &request, &resp,
                                          [&](grpc::Status s) { done.set_value(s); });
    ASSERT_TRUE(WaitFor([&] { return matching_.workflow_polls_.size() == i + 1; }));
    auto call = matching_.workflow_polls_.at(i);
    // One read partition: always the root; with the default four, eight polls would all land
    // on the root only once in 65536 runs.
    EXPECT_EQ(call.request.poll_request().task_queue().name(), "orders");
    EXPECT_LE(call.options.deadline - std::chrono::system_clock::now(), 30s);
    call.done(ws::PollWorkflowTaskQueueResponse());
    EXPECT_TRUE(done.get_future().get().ok());
  }
}

}  // namespace
}  // namespace tern::frontend
