// Internal to tern::matching: a count of events per second over the last 30 seconds, in
// one-second buckets (DescribeTaskQueue's tasks_add_rate and tasks_dispatch_rate, which Temporal
// averages over the same window). Not thread-safe: the partition's mutex guards it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace tern::matching {

class RateWindow {
 public:
  static constexpr int kSeconds = 30;

  // `start`: when counting began (a partition's load).
  explicit RateWindow(TimePoint start) : start_(start) {}

  void Record(TimePoint now, int64_t count = 1) {
    int64_t second = Second(now);
    Bucket& bucket = buckets_[static_cast<size_t>(second % kSeconds)];
    if (bucket.second != second) bucket = {second, 0};
    bucket.count += count;
  }

  // Events per second over the last kSeconds; over the time since `start` while that is
  // shorter, and at least one second, so a queue loaded a moment ago is not overstated.
  double PerSecond(TimePoint now) const {
    int64_t second = Second(now);
    int64_t total = 0;
    for (const Bucket& bucket : buckets_) {
      if (bucket.count > 0 && second - bucket.second < kSeconds) total += bucket.count;
    }
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double window = elapsed < 1 ? 1 : elapsed > kSeconds ? kSeconds : elapsed;
    return static_cast<double>(total) / window;
  }

 private:
  struct Bucket {
    int64_t second = -1;  // since the epoch
    int64_t count = 0;
  };
  static int64_t Second(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  }

  const TimePoint start_;
  std::array<Bucket, kSeconds> buckets_{};
};

}  // namespace tern::matching
