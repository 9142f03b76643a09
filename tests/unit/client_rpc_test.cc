// client::UnaryCall's retry rule: an unreachable peer (UNAVAILABLE from the transport) is tried
// again until the deadline, but an UNAVAILABLE the peer answered because its database is down
// (DependencyUnavailable) goes back to the caller after one attempt.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "client/rpc.h"
#include "common/errors.h"

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

TEST(UnaryCallTest, PassesBackADatabaseOutageThePeerReported) {
  auto answer = ToGrpcStatus(DependencyUnavailableError("database", "Write: database unavailable"));
  auto outcome = CallFailingWith(answer, std::chrono::seconds(30));
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsDependencyUnavailable(outcome.status));
  EXPECT_EQ(outcome.status.message(), "Write: database unavailable");
}

}  // namespace
}  // namespace tern::client
