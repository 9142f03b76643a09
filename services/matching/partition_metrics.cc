#include "services/matching/partition_metrics.h"

#include "common/metrics.h"
#include "common/task_queue_names.h"
#include "temporal/api/enums/v1/task_queue.pb.h"

namespace tern::matching {
namespace {

namespace enums = temporal::api::enums::v1;

constexpr char kStickyTaskQueue[] = "__sticky__";

struct Labels {
  Labels(const std::string& namespace_name, const persistence::TaskQueueKey& key, bool sticky) {
    ParsedPartition name = ParsePartitionName(key.name);
    namespace_label = namespace_name.empty() ? metrics::kUnknownNamespace : namespace_name;
    task_queue = sticky ? kStickyTaskQueue : name.base_name;
    task_type = key.task_type == enums::TASK_QUEUE_TYPE_ACTIVITY ? "Activity" : "Workflow";
    partition = std::to_string(name.partition);
  }
  template <typename Def>
  auto& Of(const Def& def) const {
    return def.With({namespace_label, task_queue, task_type, partition});
  }
  std::string namespace_label, task_queue, task_type, partition;
};

}  // namespace

PartitionMetrics::PartitionMetrics(const std::string& namespace_name,
                                   const persistence::TaskQueueKey& key, bool sticky)
    : PartitionMetrics(Labels(namespace_name, key, sticky)) {}

PartitionMetrics::~PartitionMetrics() {
  metrics::kApproximateBacklogCount.Remove(&BacklogGauge(metrics::kApproximateBacklogCount));
  metrics::kApproximateBacklogAgeSeconds.Remove(&BacklogGauge(metrics::kApproximateBacklogAgeSeconds));
}

prometheus::Gauge& PartitionMetrics::BacklogGauge(const metrics::GaugeDef& def) const {
  return def.With({labels_[0], labels_[1], labels_[2], labels_[3]});
}

void PartitionMetrics::Matched(bool sync, TimePoint created, TimePoint now) {
  double latency = std::chrono::duration<double>(now - created).count();
  poll_success_.Increment();
  schedule_to_start_latency_.Observe(latency);
  if (sync) {
    poll_success_sync_.Increment();
    sync_match_latency_.Observe(latency);
  } else {
    async_match_latency_.Observe(latency);
  }
}

void PartitionMetrics::SetBacklog(int64_t count, std::chrono::duration<double> oldest_age) {
  BacklogGauge(metrics::kApproximateBacklogCount).Set(static_cast<double>(count));
  BacklogGauge(metrics::kApproximateBacklogAgeSeconds).Set(oldest_age.count());
}

}  // namespace tern::matching
