// Internal to tern::matching: the metric series of one partition (common/metrics.h, matching
// section). Labels: namespace (its name, resolved until the process's namespace cache knows it:
// a partition may load before the cache has seen a new namespace), taskqueue (the base name;
// `__sticky__` for every sticky queue, so worker-specific names never become series), task_type
// (Workflow or Activity) and partition. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "persistence/store.h"

namespace tern::matching {

class PartitionMetrics {
 public:
  using NamespaceName = std::function<std::string(const std::string& namespace_id)>;

  PartitionMetrics(NamespaceName namespace_name, const persistence::TaskQueueKey& key, bool sticky);
  // Drops the backlog gauges: the next owner reports them.
  ~PartitionMetrics();
  PartitionMetrics(const PartitionMetrics&) = delete;
  PartitionMetrics& operator=(const PartitionMetrics&) = delete;

  // A poll received a task added at `created`: handed straight from an add (sync) or from the
  // backlog.
  void Matched(bool sync, TimePoint created, TimePoint now);
  void PollTimedOut();
  void SetBacklog(int64_t count, std::chrono::duration<double> oldest_age);

 private:
  // The series of `def` for this partition. Looked up at each use, never held: the namespace
  // label may change once resolved, and another Partition object for the same partition
  // (reloaded on this host) may remove a gauge meanwhile.
  template <typename Def>
  auto& Series(const Def& def);

  const NamespaceName namespace_name_;
  const std::string namespace_id_;
  const std::string task_queue_, task_type_, partition_;
  std::mutex mu_;
  std::string namespace_label_;  // empty until resolved
};

}  // namespace tern::matching
