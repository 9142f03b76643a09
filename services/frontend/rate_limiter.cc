#include "services/frontend/rate_limiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "temporal/api/enums/v1/failed_cause.pb.h"

namespace tern::frontend {
namespace {

namespace dc = tern::dynamicconfig;
namespace enums = temporal::api::enums::v1;

// Past this many namespace buckets, full ones (indistinguishable from new) are dropped, at most
// once a second: requests naming made-up namespaces cannot grow the map without bound.
constexpr size_t kSweepAbove = 1024;

// Dynamic config takes std::string_view, which Debian's abseil keeps distinct from its own.
std::string_view Std(absl::string_view text) { return {text.data(), text.size()}; }

double SecondsBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

bool RateLimiter::Bucket::Take(TimePoint now, double rate, double burst) {
  if (!initialized) {
    tokens = burst;
    initialized = true;
  } else if (now > updated) {
    tokens = std::min(burst, tokens + SecondsBetween(updated, now) * rate);
  }
  tokens = std::min(tokens, burst);  // the limit may have been lowered
  updated = std::max(updated, now);
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

bool RateLimiter::Bucket::FullAt(TimePoint now, double rate, double burst) const {
  return tokens + std::max(0.0, SecondsBetween(updated, now)) * rate >= burst;
}

RateLimiter::RateLimiter(dynamicconfig::Collection dynamic, const Clock& clock)
    : dynamic_(std::move(dynamic)), clock_(clock) {}

RateLimiter::~RateLimiter() = default;

absl::Status RateLimiter::Admit(absl::string_view namespace_name) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  // This call is among those counted.
  const int in_progress = calls_.load() - parked_;
  const int most = dynamic_.Get(dc::kFrontendMaxConcurrentRequests);
  if (in_progress > most) {
    return ResourceExhaustedError(
        enums::RESOURCE_EXHAUSTED_CAUSE_SYSTEM_OVERLOADED,
        absl::StrCat("frontend overloaded: ", in_progress - 1,
                     " calls are in progress on this host, the most it serves at once "
                     "(frontend.maxConcurrentRequests); retry with backoff"),
        enums::RESOURCE_EXHAUSTED_SCOPE_SYSTEM);
  }
  if (!namespace_name.empty()) {
    const double rate = dynamic_.Get(dc::kFrontendNamespaceRPS, Std(namespace_name));
    const double burst =
        std::max(1.0, rate * dynamic_.Get(dc::kFrontendNamespaceBurstRatio, Std(namespace_name)));
    if (namespaces_.size() > kSweepAbove) ForgetFullBucketsLocked(now);
    if (!namespaces_[std::string(namespace_name)].Take(now, rate, burst)) {
      return ResourceExhaustedError(
          enums::RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT,
          absl::StrCat("namespace rate limit exceeded: namespace \"", namespace_name,
                       "\" may make ", rate,
                       " requests per second of this frontend (frontend.namespaceRPS)"),
          enums::RESOURCE_EXHAUSTED_SCOPE_NAMESPACE);
    }
  }
  const double host_rate = dynamic_.Get(dc::kFrontendRPS);
  if (!host_.Take(now, host_rate, host_rate)) {
    return ResourceExhaustedError(enums::RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT,
                                  absl::StrCat("frontend rate limit exceeded: this frontend takes ",
                                               host_rate, " requests per second (frontend.rps)"),
                                  enums::RESOURCE_EXHAUSTED_SCOPE_SYSTEM);
  }
  return absl::OkStatus();
}

absl::StatusOr<RateLimiter::LongPollSlot> RateLimiter::AdmitLongPoll(
    absl::string_view namespace_name) {
  std::string name(namespace_name);
  const int limit = dynamic_.Get(dc::kFrontendNamespaceCount, Std(namespace_name));
  {
    std::lock_guard lock(mu_);
    int& parked = long_polls_[name];
    if (parked >= limit) {
      return ResourceExhaustedError(
          enums::RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
          absl::StrCat("too many long polls: namespace \"", namespace_name, "\" has ", parked,
                       " parked on this frontend, the most it may (frontend.namespaceCount)"),
          enums::RESOURCE_EXHAUSTED_SCOPE_NAMESPACE);
    }
    ++parked;
    ++parked_;
  }
  // The slot points at nothing of use; its deleter gives the place back.
  return LongPollSlot(static_cast<void*>(this),
                      [this, name = std::move(name)](void*) { Release(name); });
}

void RateLimiter::Release(const std::string& namespace_name) {
  std::lock_guard lock(mu_);
  --parked_;
  auto it = long_polls_.find(namespace_name);
  if (it != long_polls_.end() && --it->second <= 0) long_polls_.erase(it);
}

void RateLimiter::ForgetFullBucketsLocked(TimePoint now) {
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  std::erase_if(namespaces_, [&](const auto& entry) {
    const double rate = dynamic_.Get(dc::kFrontendNamespaceRPS, entry.first);
    const double burst =
        std::max(1.0, rate * dynamic_.Get(dc::kFrontendNamespaceBurstRatio, entry.first));
    return entry.second.FullAt(now, rate, burst);
  });
}

}  // namespace tern::frontend
