// Cron schedules for StartWorkflowExecutionRequest.cron_schedule.
//
// The syntax is what Temporal accepts: robfig/cron v3 `cron.ParseStandard` (temporal
// common/backoff/cron.go, ValidateSchedule and GetBackoffForNextSchedule):
//   - five fields `minute hour day-of-month month day-of-week`, separated by whitespace;
//     bounds 0-59, 0-23, 1-31, 1-12, 0-6 (0 = Sunday; 7 is rejected, as in robfig);
//   - each field is a comma list of `*`, `?` (same as `*`), `N`, `N-M`, each with an optional
//     `/step`; `N/step` means `N-max/step`; months and weekdays also take the case-insensitive
//     names JAN-DEC and SUN-SAT;
//   - day-of-month and day-of-week: if either field has a `*` or `?` element (without a step
//     above 1), a day must match both; otherwise a day matching either one fires. So `0 0 13 * FRI`
//     is "every 13th and every Friday", while `0 0 * * FRI` is "every Friday";
//   - the descriptors `@yearly`/`@annually`, `@monthly`, `@weekly` (Sunday), `@daily`/
//     `@midnight`, `@hourly`, and `@every <Go duration>` (e.g. `2s`, `1h30m`, `1.5h`); an
//     `@every` interval is truncated to whole seconds, and one shorter than a second becomes 1 s;
//   - an optional `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix. Temporal loads any IANA zone; Tern
//     accepts only `UTC` and `Etc/UTC` and rejects other zones at parse time.
// Without a prefix Temporal evaluates schedules in UTC (it passes UTC times to robfig), so every
// schedule here is UTC.
//
// Where robfig's parser is loose Tern is stricter: it rejects empty list elements (`1,,2`), a
// `*` that starts a range (`*-5`), signs on numbers (`+5`), negative `@every` durations, and a
// missing schedule after a zone prefix. Like Temporal's ValidateSchedule it rejects a schedule
// that can never fire (`0 0 30 2 *`).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"

namespace tern::history {

class CronSchedule;

// Parses `spec`. An empty cron_schedule means "no cron" in Temporal; callers check for it before
// parsing (here it is invalid). An invalid spec gives INVALID_ARGUMENT whose message quotes the
// spec and names the offending field or token, e.g.
//   invalid cron schedule "61 * * * *": minute 61 is out of range 0-59
absl::StatusOr<CronSchedule> ParseCronSchedule(const std::string& spec);

// A parsed schedule: immutable, cheap to copy, safe to share between threads.
class CronSchedule {
 public:
  // The first fire time strictly after `after`.
  //  - Calendar schedules fire on whole minutes (UTC).
  //  - `@every d` has no fixed phase: it fires at `after` truncated to the second, plus d
  //    (robfig ConstantDelaySchedule.Next).
  // Returns TimePoint::max() if that time lies beyond the range of TimePoint (year 2262).
  TimePoint Next(TimePoint after) const;

  // The `@every` interval, or zero for a calendar schedule.
  std::chrono::seconds every() const { return every_; }

 private:
  friend absl::StatusOr<CronSchedule> ParseCronSchedule(const std::string& spec);
  CronSchedule() = default;

  bool DayMatches(std::chrono::sys_days day) const;

  std::chrono::seconds every_{0};
  // Bit i set: value i is selected.
  uint64_t minutes_ = 0;
  uint32_t hours_ = 0;
  uint32_t days_of_month_ = 0;  // bits 1-31
  uint32_t months_ = 0;         // bits 1-12
  uint32_t days_of_week_ = 0;   // bits 0-6, 0 = Sunday
  // Neither day field contains `*`: a day fires if it matches either field.
  bool either_day_ = false;
};

// How long to wait, after a run closes, before the next run of a cron workflow starts
// (Temporal GetBackoffForNextSchedule, called from MutableStateImpl.GetCronBackoffDuration).
//   start_time: the closing run's execution time, i.e. its start time plus its first workflow
//               task backoff (the time the run was scheduled to begin), not the time the start
//               request arrived;
//   close_time: now, when the run completes, fails without retry, or times out.
// If close_time is before start_time the next run is start_time itself. Otherwise it is the
// first fire time after start_time that is at or after close_time: runs missed while the run
// was open are skipped, and a close exactly on a fire time gives 0. For `@every d` the fire
// times are start_time truncated to the second plus multiples of d. The result is rounded up to
// whole seconds and is never negative.
//
// The first run of a new cron workflow waits BackoffToNext(schedule, now, now) (Temporal
// CreateHistoryStartWorkflowRequest), so it never starts immediately.
//
// Returns nanoseconds::max() if the next fire time lies beyond the range of TimePoint, or the
// wait rounded up to whole seconds beyond that of nanoseconds.
std::chrono::nanoseconds BackoffToNext(const CronSchedule& schedule, TimePoint start_time,
                                       TimePoint close_time);

}  // namespace tern::history
