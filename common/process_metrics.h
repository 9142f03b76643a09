// The standard process metrics (metrics.h: process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds),
// read from /proc/self at each scrape. Register it with every metrics exposer beside the
// registry.
#pragma once

#include <prometheus/collectable.h>

#include <vector>

namespace tern::metrics {

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace tern::metrics
