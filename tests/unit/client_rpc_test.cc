// client::UnaryCall's retry rule: an unreachable peer (UNAVAILABLE from the transport) or one
// that cancelled the call as it stopped is tried again until the deadline, but an UNAVAILABLE
// the peer answered because its database is down (DependencyUnavailable) goes back to the caller
// after one attempt. And KeepRequest: an
// in-process callee shares the request its caller keeps instead of copying it.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "client/rpc.h"
#include "common/errors.h"
#include "tern/historyservice/v1/service.pb.h"

namespace tern::client {
namespace {

struct Outcome {
  absl::Status status;
  int attempts;
};

// Runs one call whose every attempt fails with `answer`; returns how it finished.
Outcome CallFailingWith(const grpc::Status& answer, std::chrono::milliseconds deadline) {
  Executor executor(1, "rpc-test");
  auto attempts = std::make_shared<std::atomic<int>>(0);
  std::promise<absl::Status> finished;
  using Call = UnaryCall<int, int>;
  Call::Start(
      executor, SystemClock::Instance(), [] { return absl::StatusOr<std::string>("peer:1"); },
      [attempts, answer](const std::string&, grpc::ClientContext*, const int*, int*,
                         std::function<void(grpc::Status)> done) {
        ++*attempts;
        done(answer);
      },
      0, CallOptions{.deadline = SystemClock::Instance().Now() + deadline},
      [&](absl::StatusOr<int> result) { finished.set_value(result.status()); }, nullptr);
  auto status = finished.get_future().get();
  executor.Stop();
  return {status, attempts->load()};
}

TEST(UnaryCallTest, RetriesAnUnreachablePeerUntilTheDeadline) {
  auto outcome = CallFailingWith(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
                                 std::chrono::milliseconds(500));
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_GT(outcome.attempts, 1);
}

TEST(UnaryCallTest, RetriesACallThePeerCancelledAndNeverAnswersCancelled) {
  // A stopping peer cancels the calls it still runs; the caller cancelled nothing.
  auto outcome = CallFailingWith(grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled"),
                                 std::chrono::milliseconds(500));
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable) << outcome.status;
  EXPECT_GT(outcome.attempts, 1);
}

TEST(UnaryCallTest, PassesBackADatabaseOutageThePeerReported) {
  auto answer = ToGrpcStatus(DependencyUnavailableError("database", "Write: database unavailable"));
  auto outcome = CallFailingWith(answer, std::chrono::seconds(30));
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsDependencyUnavailable(outcome.status));
  EXPECT_EQ(outcome.status.message(), "Write: database unavailable");
}

TEST(KeepRequestTest, SharesTheRequestTheCallerKeepsAndCopiesAnyOther) {
  auto kept = std::make_shared<const historyservice::v1::StartWorkflowExecutionRequest>([] {
    historyservice::v1::StartWorkflowExecutionRequest request;
    request.set_namespace_id("ns-1");
    request.mutable_request()->set_workflow_id("wf-1");
    return request;
  }());
  CallOptions options;
  options.shared_request = kept;

  auto shared = KeepRequest(*kept, options);
  EXPECT_EQ(shared.get(), kept.get()) << "the very object, not a copy";
  EXPECT_EQ(kept.use_count(), 3) << "kept, options and the callee own it together";

  historyservice::v1::StartWorkflowExecutionRequest other = *kept;  // not the one in options
  auto copied = KeepRequest(other, options);
  EXPECT_NE(copied.get(), &other);
  EXPECT_EQ(copied->request().workflow_id(), "wf-1");
  other.set_namespace_id("changed");
  EXPECT_EQ(copied->namespace_id(), "ns-1") << "a copy does not follow the caller's object";

  auto without_owner = KeepRequest(*kept, CallOptions{});
  EXPECT_NE(without_owner.get(), kept.get());
  EXPECT_EQ(without_owner->namespace_id(), "ns-1");
}

}  // namespace
}  // namespace tern::client
