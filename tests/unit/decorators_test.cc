// The store and client decorators: retry only transient errors, with backoff by the injected
// clock; count requests, errors and latency per operation; forward results unchanged.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "client/metrics_clients.h"
#include "common/metrics.h"
#include "persistence/decorators/store_decorators.h"
#include "persistence/factory.h"
#include "tests/mocks/clock.h"
#include "tests/mocks/history_client.h"
#include "tests/mocks/shard_store.h"

namespace tern {
namespace {

using namespace std::chrono_literals;

// The value of `family{operation}` in the process registry (a counter, or a histogram's count).
double Metric(const std::string& family, const std::string& operation) {
  for (const auto& f : MetricsRegistry()->Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      for (const auto& label : m.label) {
        if (label.name == "operation" && label.value == operation) {
          return f.type == prometheus::MetricType::Histogram
                     ? static_cast<double>(m.histogram.sample_count)
                     : m.counter.value;
        }
      }
    }
  }
  return 0;
}

class RetryPolicyTest : public ::testing::Test {
 protected:
  persistence::RetryPolicy Policy(int max_attempts = 4) {
    persistence::RetryOptions options;
    options.max_attempts = max_attempts;
    options.sleep = [this](std::chrono::milliseconds d) {
      sleeps_.push_back(d);
      clock_.Advance(d);
    };
    return persistence::RetryPolicy(options, clock_);
  }
  // A call that fails with `errors` in order, then succeeds.
  std::function<absl::StatusOr<int>()> Failing(std::vector<absl::Status> errors) {
    return [this, errors]() -> absl::StatusOr<int> {
      size_t call = calls_++;
      if (call < errors.size()) return errors[call];
      return 42;
    };
  }

  mocks::ManualClock clock_;
  std::vector<std::chrono::milliseconds> sleeps_;
  size_t calls_ = 0;
};

TEST_F(RetryPolicyTest, RepeatsTransientErrorsWithGrowingBackoff) {
  auto policy = Policy();
  auto result = policy("Op", Failing({absl::UnavailableError("a"), absl::UnavailableError("b")}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(calls_, 3u);
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{20ms, 40ms}));
}

TEST_F(RetryPolicyTest, GivesUpAfterMaxAttempts) {
  auto policy = Policy(3);
  auto result = policy("Op", Failing(std::vector<absl::Status>(5, absl::UnavailableError("x"))));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls_, 3u);
}

TEST_F(RetryPolicyTest, NeverRepeatsFencingConditionOrFinalErrors) {
  for (const absl::Status& error :
       {persistence::FencingError("moved"), persistence::ConditionFailedError("raced"),
        persistence::FinalUnavailableError("commit outcome unknown"),
        absl::InternalError("bad sql"), absl::NotFoundError("none")}) {
    calls_ = 0;
    auto policy = Policy();
    auto result = policy("Op", Failing({error}));
    EXPECT_EQ(result.status(), error);
    EXPECT_EQ(calls_, 1u) << error;
  }
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RetryPolicyTest, StopsWhenTheClockPassesTheBudget) {
  persistence::RetryOptions options;
  options.max_attempts = 100;
  options.max_elapsed = 100ms;
  options.sleep = [this](std::chrono::milliseconds d) { clock_.Advance(d); };
  persistence::RetryPolicy policy(options, clock_);
  auto result = policy("Op", Failing(std::vector<absl::Status>(100, absl::UnavailableError("x"))));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls_, 3u);  // 20 + 40 ms slept; another 80 ms would pass the budget
}

TEST(DecorateStoresTest, DecoratedStoreKeepsResultsAndIsMeasured) {
  auto shards = std::make_shared<mocks::FakeShardStore>();
  persistence::Stores raw;
  raw.shards = shards;
  persistence::Stores stores = persistence::DecorateStores(raw, SystemClock::Instance());
  EXPECT_EQ(stores.executions, nullptr);
  ASSERT_NE(stores.shards, nullptr);
  ASSERT_NE(stores.shards, raw.shards);

  double requests = Metric("persistence_requests", "RenewRange");
  double errors = Metric("persistence_errors", "RenewRange");
  double latency = Metric("persistence_latency", "RenewRange");
  auto lease = stores.shards->AcquireShard(7, "host");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(*stores.shards->RenewRange(7, lease->range_id), lease->range_id + 1);
  EXPECT_TRUE(persistence::IsFencingError(stores.shards->RenewRange(7, lease->range_id).status()));
  EXPECT_EQ(shards->RangeId(7), lease->range_id + 1);
  EXPECT_EQ(Metric("persistence_requests", "RenewRange"), requests + 2);
  EXPECT_EQ(Metric("persistence_errors", "RenewRange"), errors + 1);
  EXPECT_EQ(Metric("persistence_latency", "RenewRange"), latency + 2);
}

TEST(MetricsClientTest, ForwardsTheAnswerOnceAndCountsIt) {
  auto fake = std::make_shared<mocks::FakeHistoryClient>();
  client::MetricsHistoryClient history(fake, SystemClock::Instance());
  fake->DescribeWorkflowExecution_.SetReply(
      [](const client::hs::DescribeWorkflowExecutionRequest& request)
          -> absl::StatusOr<client::ws::DescribeWorkflowExecutionResponse> {
        if (request.namespace_id() == "missing") return absl::NotFoundError("no such workflow");
        return client::ws::DescribeWorkflowExecutionResponse();
      });
  double requests = Metric("client_requests", "DescribeWorkflowExecution");
  double errors = Metric("client_errors", "DescribeWorkflowExecution");

  client::hs::DescribeWorkflowExecutionRequest request;
  std::vector<absl::Status> answers;
  auto done = [&](absl::StatusOr<client::ws::DescribeWorkflowExecutionResponse> r) {
    answers.push_back(r.status());
  };
  history.DescribeWorkflowExecution(request, {}, done);
  request.set_namespace_id("missing");
  history.DescribeWorkflowExecution(request, {}, done);

  ASSERT_EQ(answers.size(), 2u);
  EXPECT_TRUE(answers[0].ok());
  EXPECT_EQ(answers[1].code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fake->calls(),
            (std::vector<std::string>{"DescribeWorkflowExecution", "DescribeWorkflowExecution"}));
  EXPECT_EQ(Metric("client_requests", "DescribeWorkflowExecution"), requests + 2);
  EXPECT_EQ(Metric("client_errors", "DescribeWorkflowExecution"), errors + 1);
}

}  // namespace
}  // namespace tern
