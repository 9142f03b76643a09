// A Clock (common/clock.h) the test moves.
#pragma once

#include <atomic>
#include <chrono>

#include "common/clock.h"

namespace tern::mocks {

// system time plus an adjustable offset.
class ManualClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::system_clock::now() + std::chrono::milliseconds(offset_ms_.load());
  }
  void Advance(std::chrono::milliseconds d) { offset_ms_ += d.count(); }

 private:
  std::atomic<int64_t> offset_ms_{0};
};

}  // namespace tern::mocks
