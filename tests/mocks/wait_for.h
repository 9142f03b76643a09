// Polls a condition until it holds or a deadline passes: what tests use instead of sleeping.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace tern::mocks {

// Polls `pred` until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace tern::mocks
