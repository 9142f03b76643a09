#include "services/frontend/routing.h"

#include <algorithm>

#include "common/task_queue_names.h"
#include "services/frontend/validation.h"

namespace tern::frontend {

std::string PickPartition(const temporal::api::taskqueue::v1::TaskQueue& task_queue,
                          int num_partitions, uint64_t random) {
  const std::string& name = task_queue.name();
  if (name.rfind(kReservedTaskQueuePrefix, 0) == 0) return name;
  if (task_queue.kind() == temporal::api::enums::v1::TASK_QUEUE_KIND_STICKY) return name;
  int n = std::max(1, num_partitions);
  return PartitionName(name, static_cast<int>(random % static_cast<uint64_t>(n)));
}

bool IsUnbounded(TimePoint now, TimePoint deadline) {
  // Anything more than a year away is "no deadline" (gRPC reports time_point::max()).
  return deadline == TimePoint::max() || deadline - now > std::chrono::hours(24 * 365);
}

TimePoint CallDeadline(TimePoint now, TimePoint caller_deadline) {
  return IsUnbounded(now, caller_deadline) ? now + kDefaultCallTimeout : caller_deadline;
}

std::optional<TimePoint> PollDeadline(TimePoint now, TimePoint caller_deadline,
                                      std::chrono::milliseconds expiration) {
  TimePoint by_expiration = now + expiration;
  if (IsUnbounded(now, caller_deadline)) return by_expiration;
  TimePoint by_caller = caller_deadline - kLongPollMargin;
  if (by_caller <= now) return std::nullopt;
  return std::min(by_caller, by_expiration);
}

HistoryLongPoll HistoryLongPollTiming(TimePoint now, TimePoint caller_deadline,
                                      std::chrono::milliseconds expiration) {
  using std::chrono::milliseconds;
  if (IsUnbounded(now, caller_deadline)) {
    return {expiration, now + expiration + kHistoryLongPollSlack};
  }
  // History answers an empty page when the wait ends; keep at least a token wait so a caller
  // with almost no time left still gets an answer rather than a deadline error.
  auto left = std::chrono::duration_cast<milliseconds>(caller_deadline - now - kLongPollMargin);
  auto wait = std::clamp(left, milliseconds(100), std::max(expiration, milliseconds(100)));
  return {wait, std::min(caller_deadline, now + wait + kHistoryLongPollSlack)};
}

}  // namespace tern::frontend
