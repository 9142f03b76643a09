// Internal to tern::matching: the metric series of one partition (common/metrics.h, matching
// section), looked up once when the partition is created. Labels: namespace (name), taskqueue
// (the base name; `__sticky__` for every sticky queue, so worker-specific names never become
// series), task_type (Workflow or Activity) and partition. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <array>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "persistence/store.h"

namespace tern::matching {

class PartitionMetrics {
 public:
  PartitionMetrics(const std::string& namespace_name, const persistence::TaskQueueKey& key,
                   bool sticky);
  // Drops the backlog gauges: the next owner reports them.
  ~PartitionMetrics();
  PartitionMetrics(const PartitionMetrics&) = delete;
  PartitionMetrics& operator=(const PartitionMetrics&) = delete;

  // A poll received a task added at `created`: handed straight from an add (sync) or from the
  // backlog.
  void Matched(bool sync, TimePoint created, TimePoint now);
  void PollTimedOut() { poll_timeouts_.Increment(); }
  void SetBacklog(int64_t count, std::chrono::duration<double> oldest_age);

 private:
  template <typename Labels>
  explicit PartitionMetrics(const Labels& labels)
      : poll_success_(labels.Of(metrics::kPollSuccess)),
        poll_success_sync_(labels.Of(metrics::kPollSuccessSync)),
        poll_timeouts_(labels.Of(metrics::kPollTimeouts)),
        sync_match_latency_(labels.Of(metrics::kSyncMatchLatency)),
        async_match_latency_(labels.Of(metrics::kAsyncMatchLatency)),
        schedule_to_start_latency_(labels.Of(metrics::kTaskScheduleToStartLatency)),
        labels_{labels.namespace_label, labels.task_queue, labels.task_type, labels.partition} {}

  // A gauge series is looked up at each use, never held: another Partition object for the same
  // partition (reloaded on this host) may remove it meanwhile.
  prometheus::Gauge& BacklogGauge(const metrics::GaugeDef& def) const;

  prometheus::Counter& poll_success_;
  prometheus::Counter& poll_success_sync_;
  prometheus::Counter& poll_timeouts_;
  prometheus::Histogram& sync_match_latency_;
  prometheus::Histogram& async_match_latency_;
  prometheus::Histogram& schedule_to_start_latency_;
  const std::array<std::string, 4> labels_;
};

}  // namespace tern::matching
