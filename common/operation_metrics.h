// Requests, errors and latency per operation at a seam (a client or store decorator), under one
// of the Temporal families metrics.h declares: persistence_*, visibility_persistence_* or
// client_*, labelled `operation`. Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/metrics.h"

namespace tern {

class OperationMetrics {
 public:
  struct Families {
    const metrics::CounterDef& requests;
    const metrics::CounterDef& errors;
    const metrics::HistogramDef& latency;
  };
  static constexpr Families kPersistence{metrics::kPersistenceRequests, metrics::kPersistenceErrors,
                                         metrics::kPersistenceLatency};
  static constexpr Families kVisibility{metrics::kVisibilityPersistenceRequests,
                                        metrics::kVisibilityPersistenceErrors,
                                        metrics::kVisibilityPersistenceLatency};
  static constexpr Families kClient{metrics::kClientRequests, metrics::kClientErrors,
                                    metrics::kClientLatency};

  OperationMetrics(Families families, const Clock& clock) : families_(families), clock_(clock) {}

  TimePoint Start() const { return clock_.Now(); }

  void Record(const char* operation, TimePoint start, const absl::Status& status) {
    std::chrono::duration<double> elapsed = clock_.Now() - start;
    families_.requests.With({operation}).Increment();
    // The error series exists from the first request, so error ratios read 0 rather than nothing.
    auto& errors = families_.errors.With({operation});
    if (!status.ok()) errors.Increment();
    families_.latency.With({operation}).Observe(elapsed.count());
  }

 private:
  Families families_;
  const Clock& clock_;
};

}  // namespace tern
