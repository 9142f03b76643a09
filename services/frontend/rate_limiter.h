// RateLimiter: what a frontend host admits, per Temporal's dynamic-config keys.
//   - frontend.rps: requests per second over all namespaces (a token bucket holding 1 s worth);
//   - frontend.namespaceRPS x frontend.namespaceBurstRatio: one bucket per namespace;
//   - frontend.namespaceCount: long polls a namespace may have parked at once. Long polls take
//     a slot instead of a token, so workers polling cannot use up the rate that starts and
//     signals need, and starts cannot starve polls;
//   - frontend.maxConcurrentRequests (Tern's own key): calls in progress on the host at once,
//     parked long polls excepted. Rates say nothing of what the host can serve; this sheds load
//     past its capacity at once instead of queueing calls until their deadlines. Each call holds
//     a CallCount (CountCall()) from the gate to its end.
// A refusal is RESOURCE_EXHAUSTED with a ResourceExhaustedFailure (cause RPS_LIMIT,
// CONCURRENT_LIMIT or SYSTEM_OVERLOADED, scope NAMESPACE or SYSTEM): the SDKs retry it with
// backoff.
//
// Limits are read from dynamic config on every call, so a changed value applies at once.
// Thread-safe; Admit and AdmitLongPoll never block on anything but a short mutex.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/dynamic_config.h"

namespace tern::frontend {

class RateLimiter {
 public:
  // Releases its namespace's long-poll slot when destroyed (or when reset).
  using LongPollSlot = std::shared_ptr<void>;

  RateLimiter(dynamicconfig::Collection dynamic, const Clock& clock);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // One request of `namespace_name` ("" for calls about no namespace: only the host limits).
  absl::Status Admit(absl::string_view namespace_name);
  // One call in progress on this host, for frontend.maxConcurrentRequests, until destroyed.
  class CallCount {
   public:
    CallCount() = default;
    CallCount(CallCount&& other) noexcept : calls_(std::exchange(other.calls_, nullptr)) {}
    CallCount& operator=(CallCount&& other) noexcept {
      std::swap(calls_, other.calls_);
      return *this;
    }
    ~CallCount() {
      if (calls_ != nullptr) calls_->fetch_sub(1);
    }

   private:
    friend class RateLimiter;
    explicit CallCount(std::atomic<int>* calls) : calls_(calls) { calls_->fetch_add(1); }
    std::atomic<int>* calls_ = nullptr;
  };
  // Counts a call from its start to its end (the count must not outlive this object).
  CallCount CountCall() { return CallCount(&calls_); }
  // One parked long poll of `namespace_name`, held until the slot is released. The slot must not
  // outlive this object.
  absl::StatusOr<LongPollSlot> AdmitLongPoll(absl::string_view namespace_name);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated{};
    bool initialized = false;
    // Refills at `rate` per second up to `burst`, then takes one token if there is one.
    bool Take(TimePoint now, double rate, double burst);
    bool FullAt(TimePoint now, double rate, double burst) const;
  };

  void ForgetFullBucketsLocked(TimePoint now);
  void Release(const std::string& namespace_name);

  const dynamicconfig::Collection dynamic_;
  const Clock& clock_;

  std::mutex mu_;
  Bucket host_;
  std::unordered_map<std::string, Bucket> namespaces_;
  TimePoint last_sweep_{};
  std::unordered_map<std::string, int> long_polls_;
  int parked_ = 0;             // long polls holding a slot, over all namespaces
  std::atomic<int> calls_{0};  // calls in progress, long polls included
};

}  // namespace tern::frontend
