// The schedule store: one row per schedule (the Schedule API).
//
// Who calls it:
//   - the frontend creates, reads, replaces (Update, Patch) and deletes schedules;
//   - tern-worker leases the schedules that are due (next_wakeup has come), carries out their
//     actions, and writes each back under the version it read, which ends its lease.
// Every write bumps the row's version; a write that names an older version fails with
// ConditionFailed (store.h), so a worker never overwrites a change the frontend made meanwhile,
// and the version is the Schedule API's conflict token.
// Like every store (store.h): thread-safe, blocking, errors are values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/store.h"
#include "tern/persistence/v1/schedules.pb.h"

namespace tern::persistence {

struct ScheduleRow {
  v1::ScheduleRecord record;
  int64_t version = 0;
  std::optional<Timestamp> next_wakeup;  // nullopt: the worker has nothing to do
};

class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;

  // Inserts the row with version 1. AlreadyExists if the namespace has a schedule with this id.
  virtual absl::Status CreateSchedule(const v1::ScheduleRecord& record,
                                      std::optional<Timestamp> next_wakeup) = 0;

  virtual absl::StatusOr<ScheduleRow> GetSchedule(const std::string& namespace_id,
                                                  const std::string& schedule_id) = 0;

  // Replaces the row if its version is still `expected_version`, and ends any lease. Returns the
  // new version. NotFound if the row is gone, ConditionFailed if another write came first.
  virtual absl::StatusOr<int64_t> UpdateSchedule(const v1::ScheduleRecord& record,
                                                 int64_t expected_version,
                                                 std::optional<Timestamp> next_wakeup) = 0;

  // Removes the row; NotFound if there is none.
  virtual absl::Status DeleteSchedule(const std::string& namespace_id,
                                      const std::string& schedule_id) = 0;

  // Leases to `owner`, for `lease`, up to `limit` rows whose next_wakeup is at or before the
  // database's now and whose lease is free or has expired, earliest first, and returns them.
  // Other workers skip leased rows until the lease ends or the owner writes the row back.
  virtual absl::StatusOr<std::vector<ScheduleRow>> LeaseDueSchedules(
      const std::string& owner, int limit, std::chrono::milliseconds lease) = 0;

  // The earliest next_wakeup of any row (nullopt when none is set), so a worker can sleep until
  // then.
  virtual absl::StatusOr<std::optional<Timestamp>> NextWakeup() = 0;

  // Namespace deletion: removes up to `limit` of the namespace's schedules; returns how many.
  virtual absl::StatusOr<int> DeleteNamespaceSchedules(const std::string& namespace_id,
                                                       int limit) = 0;
};

}  // namespace tern::persistence
