// Routing decisions of the frontend, as pure functions of their inputs (time and randomness are
// parameters), so they are unit-testable.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "temporal/api/taskqueue/v1/message.pb.h"

namespace tern::frontend {

// Used for history calls when the caller set no deadline.
inline constexpr std::chrono::seconds kDefaultCallTimeout{30};
// A long poll ends this long before the caller's deadline, so the empty answer reaches it.
inline constexpr std::chrono::seconds kLongPollMargin{1};
// Extra time the frontend gives history beyond the long-poll wait it asks for.
inline constexpr std::chrono::seconds kHistoryLongPollSlack{5};

// The partition a poll goes to: a name already starting with "/_sys/" is used as is; sticky
// queues have only partition 0; otherwise partition `random % num_partitions`.
std::string PickPartition(const temporal::api::taskqueue::v1::TaskQueue& task_queue,
                          int num_partitions, uint64_t random);

// True when `deadline` means "the caller set none" (gRPC reports time_point::max()).
bool IsUnbounded(TimePoint now, TimePoint deadline);

// The caller's deadline, or now + kDefaultCallTimeout if it set none.
TimePoint CallDeadline(TimePoint now, TimePoint caller_deadline);

// Deadline of the internal matching poll: min(caller deadline - kLongPollMargin, now +
// expiration), or now + expiration without a caller deadline. nullopt when less than the margin
// is left: answer the poll empty at once.
std::optional<TimePoint> PollDeadline(TimePoint now, TimePoint caller_deadline,
                                      std::chrono::milliseconds expiration);

// GetWorkflowExecutionHistory(wait_new_event): how long history may hold the request
// (history.longPollExpirationInterval, shortened to end kLongPollMargin before the caller's
// deadline) and the deadline of the internal call (the wait plus kHistoryLongPollSlack, never
// beyond the caller's deadline).
struct HistoryLongPoll {
  std::chrono::milliseconds wait;
  TimePoint deadline;
};
HistoryLongPoll HistoryLongPollTiming(TimePoint now, TimePoint caller_deadline,
                                      std::chrono::milliseconds expiration);

}  // namespace tern::frontend
