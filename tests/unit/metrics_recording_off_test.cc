// A process that serves no metrics records none (metrics::DisableRecording): every With() hands
// out one series nobody reads, and nothing reaches the registry that /metrics would expose. Its
// own binary: the switch is process-wide.
#include <gtest/gtest.h>

#include "common/metrics.h"

namespace tern {
namespace {

TEST(MetricsRecordingOffTest, NothingReachesTheRegistry) {
  metrics::DisableRecording();
  auto& a = metrics::kWorkflowSuccess.With({"orders", "Checkout"});
  auto& b = metrics::kWorkflowSuccess.With({"billing", "Invoice"});
  EXPECT_EQ(&a, &b) << "one discarded series per metric, whatever the labels";
  a.Increment();
  metrics::kStateTransitionCount.With({"orders"}).Observe(7);
  auto& gauge = metrics::kApproximateBacklogCount.With({"orders", "q", "Activity", "0"});
  gauge.Set(3);
  metrics::kApproximateBacklogCount.Remove(&gauge);
  EXPECT_TRUE(MetricsRegistry()->Collect().empty()) << "not even a family was registered";
}

}  // namespace
}  // namespace tern
