// Requests, errors and latency per operation at a seam (a client or store decorator), in the
// process registry (metrics.h): <prefix>_requests{operation}, <prefix>_errors{operation} and
// <prefix>_latency{operation} (seconds), following Temporal's client_* / persistence_* names.
// Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <string>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/metrics.h"

namespace tern {

class OperationMetrics {
 public:
  OperationMetrics(const std::string& prefix, const Clock& clock)
      : clock_(clock),
        requests_(prometheus::BuildCounter()
                      .Name(prefix + "_requests")
                      .Help("Requests, by operation")
                      .Register(*MetricsRegistry())),
        errors_(prometheus::BuildCounter()
                    .Name(prefix + "_errors")
                    .Help("Requests that failed, by operation")
                    .Register(*MetricsRegistry())),
        latency_(prometheus::BuildHistogram()
                     .Name(prefix + "_latency")
                     .Help("Request latency in seconds, by operation")
                     .Register(*MetricsRegistry())) {}

  TimePoint Start() const { return clock_.Now(); }

  void Record(const std::string& operation, TimePoint start, const absl::Status& status) {
    std::chrono::duration<double> elapsed = clock_.Now() - start;
    prometheus::Labels labels{{"operation", operation}};
    requests_.Add(labels).Increment();
    if (!status.ok()) errors_.Add(labels).Increment();
    latency_.Add(labels, LatencyBuckets()).Observe(elapsed.count());
  }

 private:
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
    static const prometheus::Histogram::BucketBoundaries buckets{
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    return buckets;
  }

  const Clock& clock_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace tern
