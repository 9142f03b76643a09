// Retry policies as Temporal defines them: defaults, backoff, and whether a failure retries.
#pragma once

#include <optional>

#include "common/clock.h"
#include "temporal/api/common/v1/message.pb.h"
#include "temporal/api/enums/v1/workflow.pb.h"
#include "temporal/api/failure/v1/message.pb.h"

namespace tern::history {

// Fills unset fields: initial_interval 1 s, backoff_coefficient 2.0, maximum_interval
// 100 x initial_interval. maximum_attempts 0 stays "unlimited".
void NormalizeRetryPolicy(temporal::api::common::v1::RetryPolicy* policy);

struct RetryDecision {
  bool retry = false;
  std::chrono::nanoseconds backoff{0};
  temporal::api::enums::v1::RetryState state = temporal::api::enums::v1::RETRY_STATE_UNSPECIFIED;
};

// Decides what happens after attempt `attempt` failed with `failure`. `expiration` is the
// schedule-to-close deadline, if any: a retry that would start after it is not made.
RetryDecision DecideRetry(const temporal::api::common::v1::RetryPolicy& policy, int32_t attempt,
                          const temporal::api::failure::v1::Failure& failure,
                          std::optional<TimePoint> expiration, TimePoint now);

}  // namespace tern::history
