#include "services/history/retry.h"

#include <algorithm>
#include <cmath>

namespace tern::history {
namespace enums = temporal::api::enums::v1;

void NormalizeRetryPolicy(temporal::api::common::v1::RetryPolicy* policy) {
  if (IsZero(policy->initial_interval())) {
    *policy->mutable_initial_interval() = ToProtoDuration(std::chrono::seconds(1));
  }
  if (policy->backoff_coefficient() == 0) policy->set_backoff_coefficient(2.0);
  if (IsZero(policy->maximum_interval())) {
    *policy->mutable_maximum_interval() =
        ToProtoDuration(FromProto(policy->initial_interval()) * 100);
  }
}

namespace {
bool IsNonRetryable(const temporal::api::common::v1::RetryPolicy& policy,
                    const temporal::api::failure::v1::Failure& failure) {
  if (failure.has_application_failure_info()) {
    const auto& info = failure.application_failure_info();
    if (info.non_retryable()) return true;
    for (const auto& type : policy.non_retryable_error_types()) {
      if (type == info.type()) return true;
    }
  }
  if (failure.has_canceled_failure_info() || failure.has_terminated_failure_info()) return true;
  if (failure.has_server_failure_info() && failure.server_failure_info().non_retryable())
    return true;
  return false;
}
}  // namespace

RetryDecision DecideRetry(const temporal::api::common::v1::RetryPolicy& policy, int32_t attempt,
                          const temporal::api::failure::v1::Failure& failure,
                          std::optional<TimePoint> expiration, TimePoint now) {
  RetryDecision decision;
  if (failure.has_timeout_failure_info()) {
    auto type = failure.timeout_failure_info().timeout_type();
    if (type == enums::TIMEOUT_TYPE_SCHEDULE_TO_START ||
        type == enums::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE) {
      decision.state = enums::RETRY_STATE_TIMEOUT;
      return decision;
    }
  }
  if (IsNonRetryable(policy, failure)) {
    decision.state = enums::RETRY_STATE_NON_RETRYABLE_FAILURE;
    return decision;
  }
  if (policy.maximum_attempts() > 0 && attempt >= policy.maximum_attempts()) {
    decision.state = enums::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    return decision;
  }
  std::chrono::nanoseconds backoff;
  if (failure.has_application_failure_info() &&
      failure.application_failure_info().has_next_retry_delay()) {
    backoff = FromProto(failure.application_failure_info().next_retry_delay());
  } else {
    double initial = static_cast<double>(FromProto(policy.initial_interval()).count());
    double coefficient = std::max(1.0, policy.backoff_coefficient());
    double computed = initial * std::pow(coefficient, std::max(0, attempt - 1));
    double maximum = static_cast<double>(FromProto(policy.maximum_interval()).count());
    if (maximum > 0) computed = std::min(computed, maximum);
    backoff = std::chrono::nanoseconds(static_cast<int64_t>(std::min(computed, 9.0e18)));
  }
  if (expiration && AddSaturating(now, backoff) >= *expiration) {
    decision.state = enums::RETRY_STATE_TIMEOUT;
    return decision;
  }
  decision.retry = true;
  decision.backoff = backoff;
  decision.state = enums::RETRY_STATE_IN_PROGRESS;
  return decision;
}

}  // namespace tern::history
