// The metric definitions (common/metrics.h) and the request interceptor's error classes
// (services/server/request_metrics.h): Temporal's names, bounded labels, service_name on every
// series, the docs table in step with the code.
#include "common/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "common/errors.h"
#include "common/generated_docs.h"
#include "services/server/request_metrics.h"
#include "temporal/api/errordetails/v1/message.pb.h"

namespace tern {
namespace {

// The labels of `family`'s series, one map per series.
std::vector<std::map<std::string, std::string>> SeriesOf(const std::string& family) {
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& f : MetricsRegistry()->Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& label : m.label) labels[label.name] = label.value;
      out.push_back(labels);
    }
  }
  return out;
}

TEST(MetricDefsTest, NamesAreUniqueAndLabelsBounded) {
  const std::regex name_pattern("[a-z_][a-z0-9_]*");
  // Values from an unbounded set: never a label.
  const std::set<std::string> unbounded = {"workflow_id", "run_id",  "workflowId", "runId",
                                           "task_token",  "task_id", "identity",   "request_id"};
  std::set<std::string> names;
  for (const metrics::Def* def : metrics::AllDefs()) {
    EXPECT_TRUE(names.insert(def->name()).second) << def->name() << " is defined twice";
    EXPECT_TRUE(std::regex_match(def->name(), name_pattern)) << def->name();
    EXPECT_FALSE(def->help().empty()) << def->name();
    for (const auto& label : def->labels()) {
      EXPECT_FALSE(unbounded.contains(label)) << def->name() << " has label " << label;
      EXPECT_NE(label, "service_name") << def->name() << ": service_name is added to every series";
    }
    if (def->type() == metrics::Type::kHistogram) {
      EXPECT_FALSE(def->buckets().empty()) << def->name();
    }
  }
  // Temporal's names, which its dashboards query.
  for (const char* name : {"service_requests", "service_errors", "service_latency",
                           "persistence_requests", "workflow_success", "poll_success",
                           "approximate_backlog_count", "numshards_gauge", "restarts"}) {
    EXPECT_TRUE(names.contains(name)) << name;
  }
}

TEST(MetricDefsTest, EverySeriesNamesItsService) {
  metrics::kWorkflowFailed.With({"orders", "Checkout", "CompletionStats"}).Increment();
  metrics::kServiceRequests.With({"StartWorkflowExecution", "orders"}, "frontend").Increment();
  metrics::kPersistenceRequests.With({"GetExecution"}).Increment();

  auto failed = SeriesOf("workflow_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["service_name"], "history");
  EXPECT_EQ(failed[0]["workflowType"], "Checkout");
  EXPECT_EQ(failed[0]["namespace"], "orders");
  EXPECT_EQ(SeriesOf("service_requests")[0]["service_name"], "frontend");
  EXPECT_EQ(SeriesOf("persistence_requests")[0]["service_name"], metrics::ProcessServiceName());
}

TEST(MetricDefsTest, WrongLabelCountIsAProgrammingError) {
  EXPECT_THROW(metrics::kWorkflowFailed.With({"orders"}), std::logic_error);
}

TEST(MetricDefsTest, RemovedGaugeLeavesTheScrapeAndComesBackFromZero) {
  const auto& def = metrics::kApproximateBacklogCount;
  auto& gauge = def.With({"orders", "q", "Activity", "0"});
  gauge.Set(3);
  EXPECT_EQ(&def.With({"orders", "q", "Activity", "0"}), &gauge)
      << "the same labels, another series";
  EXPECT_NE(&def.With({"orders", "q", "Activity", "1"}), &gauge);
  EXPECT_EQ(SeriesOf("approximate_backlog_count").size(), 2u);
  def.Remove(&gauge);
  EXPECT_EQ(SeriesOf("approximate_backlog_count").size(), 1u);

  auto& again = def.With({"orders", "q", "Activity", "0"});
  EXPECT_EQ(again.Value(), 0) << "a removed series was handed out again";
  EXPECT_EQ(SeriesOf("approximate_backlog_count").size(), 2u);
  def.Remove(&again);
  def.Remove(&def.With({"orders", "q", "Activity", "1"}));
  EXPECT_TRUE(SeriesOf("approximate_backlog_count").empty());
}

TEST(MetricDefsTest, OperationsDocListsEveryMetric) {
  std::string path = std::string(TERN_SOURCE_DIR) + "/docs/operations.md";
  auto section = SectionText(ReadTextFile(path), {metrics::kDocsBegin, metrics::kDocsEnd});
  ASSERT_TRUE(section.has_value()) << path << " lacks " << metrics::kDocsBegin;
  EXPECT_EQ(*section, metrics::MetricsMarkdown())
      << "docs/operations.md is out of date; run build/bin/tern-metrics-docs --update "
         "docs/operations.md";
}

TEST(ClassifyErrorTest, ExpectedOutcomesHaveTheirCounterAndUnexpectedOnesCountAsErrors) {
  auto already_started = server::ClassifyError(WorkflowAlreadyStartedError("running", "r", "x"));
  EXPECT_EQ(already_started.type, "WorkflowExecutionAlreadyStarted");
  EXPECT_EQ(already_started.counter, &metrics::kServiceErrExecutionAlreadyStarted);
  EXPECT_FALSE(already_started.unexpected);

  auto namespace_missing = server::ClassifyError(NamespaceNotFoundError("nope"));
  EXPECT_EQ(namespace_missing.type, "NamespaceNotFound");
  EXPECT_EQ(namespace_missing.counter, &metrics::kServiceErrEntityNotFound);

  auto invalid = server::ClassifyError(absl::InvalidArgumentError("bad"));
  EXPECT_EQ(invalid.type, "InvalidArgument");
  EXPECT_EQ(invalid.counter, &metrics::kServiceErrInvalidArgument);

  auto busy = server::ClassifyError(ResourceExhaustedError(1, "slow down"));
  EXPECT_EQ(busy.counter, &metrics::kServiceErrResourceExhausted);

  auto precondition = server::ClassifyError(absl::FailedPreconditionError("closed"));
  EXPECT_EQ(precondition.type, "FailedPrecondition");
  EXPECT_EQ(precondition.counter, nullptr);
  EXPECT_FALSE(precondition.unexpected);

  for (auto status :
       {absl::InternalError("bug"), absl::UnavailableError("db down"), absl::UnknownError("?")}) {
    auto error = server::ClassifyError(status);
    EXPECT_TRUE(error.unexpected) << status;
    EXPECT_EQ(error.counter, nullptr) << status;
  }
  EXPECT_EQ(server::ClassifyError(absl::UnavailableError("db down")).type, "Unavailable");
}

}  // namespace
}  // namespace tern
