// The concerns a store decorator (store_decorators.h) applies around every call. Each is a
// callable `policy(operation, call)` that runs `call` (returning absl::Status or
// absl::StatusOr<T>) and returns its result. Thread-safe; they block the calling thread as the
// store does.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/operation_metrics.h"
#include "persistence/store.h"
#include "spdlog/spdlog.h"

namespace tern::persistence {

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

// persistence_* (or visibility_persistence_* for the visibility store) {operation}.
class MetricsPolicy {
 public:
  MetricsPolicy(OperationMetrics::Families families, const Clock& clock)
      : metrics_(families, clock) {}

  template <typename Call>
  auto operator()(const char* operation, Call&& call) {
    TimePoint start = metrics_.Start();
    auto result = call();
    metrics_.Record(operation, start, StatusOf(result));
    return result;
  }

 private:
  OperationMetrics metrics_;
};

struct RetryOptions {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{1000};
  // No attempt starts after this much time (by the clock) since the first one.
  std::chrono::milliseconds max_elapsed{10000};
  std::function<void(std::chrono::milliseconds)> sleep = [](std::chrono::milliseconds d) {
    std::this_thread::sleep_for(d);
  };
};

// Repeats a call that failed with a transient error (IsTransientError: Unavailable, not final)
// with exponential backoff. Fencing, condition-failed and every other error return at once.
class RetryPolicy {
 public:
  RetryPolicy(RetryOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  template <typename Call>
  auto operator()(const char* operation, Call&& call) {
    TimePoint deadline = clock_.Now() + options_.max_elapsed;
    std::chrono::milliseconds backoff = options_.initial_backoff;
    for (int attempt = 1;; ++attempt) {
      auto result = call();
      const absl::Status& status = StatusOf(result);
      if (!IsTransientError(status) || attempt >= options_.max_attempts ||
          clock_.Now() + backoff > deadline) {
        return result;
      }
      spdlog::warn("persistence: {} failed (attempt {} of {}), retrying in {}ms: {}", operation,
                   attempt, options_.max_attempts, backoff.count(), std::string(status.message()));
      options_.sleep(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }

 private:
  const RetryOptions options_;
  const Clock& clock_;
};

}  // namespace tern::persistence
