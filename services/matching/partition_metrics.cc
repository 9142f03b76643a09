#include "services/matching/partition_metrics.h"

#include "common/task_queue_names.h"
#include "temporal/api/enums/v1/task_queue.pb.h"

namespace tern::matching {
namespace {

namespace enums = temporal::api::enums::v1;

constexpr char kStickyTaskQueue[] = "__sticky__";

}  // namespace

PartitionMetrics::PartitionMetrics(NamespaceName namespace_name,
                                   const persistence::TaskQueueKey& key, bool sticky)
    : namespace_name_(std::move(namespace_name)),
      namespace_id_(key.namespace_id),
      task_queue_(sticky ? kStickyTaskQueue : ParsePartitionName(key.name).base_name),
      task_type_(key.task_type == enums::TASK_QUEUE_TYPE_ACTIVITY ? "Activity" : "Workflow"),
      partition_(std::to_string(ParsePartitionName(key.name).partition)) {}

template <typename Def>
auto& PartitionMetrics::Series(const Def& def) {
  std::string label;
  {
    std::lock_guard lock(mu_);
    if (namespace_label_.empty() && namespace_name_)
      namespace_label_ = namespace_name_(namespace_id_);
    label = namespace_label_.empty() ? metrics::kUnknownNamespace : namespace_label_;
  }
  return def.With({label, task_queue_, task_type_, partition_});
}

PartitionMetrics::~PartitionMetrics() {
  metrics::kApproximateBacklogCount.Remove(&Series(metrics::kApproximateBacklogCount));
  metrics::kApproximateBacklogAgeSeconds.Remove(&Series(metrics::kApproximateBacklogAgeSeconds));
}

void PartitionMetrics::Matched(bool sync, TimePoint created, TimePoint now) {
  double latency = std::chrono::duration<double>(now - created).count();
  Series(metrics::kPollSuccess).Increment();
  Series(metrics::kTaskScheduleToStartLatency).Observe(latency);
  if (sync) {
    Series(metrics::kPollSuccessSync).Increment();
    Series(metrics::kSyncMatchLatency).Observe(latency);
  } else {
    Series(metrics::kAsyncMatchLatency).Observe(latency);
  }
}

void PartitionMetrics::PollTimedOut() { Series(metrics::kPollTimeouts).Increment(); }

void PartitionMetrics::SetBacklog(int64_t count, std::chrono::duration<double> oldest_age) {
  Series(metrics::kApproximateBacklogCount).Set(static_cast<double>(count));
  Series(metrics::kApproximateBacklogAgeSeconds).Set(oldest_age.count());
}

}  // namespace tern::matching
