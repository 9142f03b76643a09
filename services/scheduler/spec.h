// The schedule spec engine: what a ScheduleSpec means, as Temporal's server computes it
// (service/worker/scheduler/spec.go and calendar.go). Pure computation; the only I/O is reading
// time-zone definitions from the system's zoneinfo (the tzdata package) the first time a zone is
// used, which abseil then caches for the life of the process.
//
// Threading: free functions are thread-safe; a CompiledSpec is immutable after Compile and may
// be shared between threads.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "services/scheduler/calendar.h"
#include "temporal/api/schedule/v1/message.pb.h"

namespace tern::scheduler {

namespace sv1 = temporal::api::schedule::v1;

// Validates `spec` and returns the form Temporal stores (and returns from DescribeSchedule,
// after WithExplicitRanges): `calendar` and `cron_string` entries become structured_calendar
// entries, `@every` cron strings become `interval` entries, `exclude_calendar` becomes
// exclude_structured_calendar, and a cron string's CRON_TZ=/TZ= zone is copied to timezone_name.
// Structured calendars given by the caller are kept as they are. Idempotent.
//
// Errors are INVALID_ARGUMENT with a message that starts "invalid schedule spec: " and names
// the field and the value, e.g.
//   invalid schedule spec: cron_string "61 * * * *": minute 61 is out of range 0-59
// Rejected: unparsable calendar or cron strings; cron strings that disagree on a time zone, or
// whose zone differs from timezone_name (or comes with timezone_data); ranges out of bounds,
// with an end (other than 0) before the start, or a negative step, in structured_calendar and
// in exclude_structured_calendar; comments over 200 bytes; intervals that are not valid
// Durations, shorter than 1 s, or with a negative phase or one not shorter than the interval;
// unknown time zones; any timezone_data (abseil cannot load a zone from bytes).
// Accepted as Temporal accepts them: end_time before start_time (nothing ever fires), a
// negative jitter (no jitter), and a spec with no calendars and no intervals (never fires; the
// schedule only runs when triggered).
absl::StatusOr<sv1::ScheduleSpec> CanonicalizeSpec(const sv1::ScheduleSpec& spec);

// The stored spec as DescribeSchedule and ListSchedules show it (Temporal's CleanSpec): every
// range of the structured and exclude calendars with an explicit end (end < start becomes
// start) and step (0 becomes 1).
sv1::ScheduleSpec WithExplicitRanges(sv1::ScheduleSpec spec);

class CompiledSpec {
 public:
  // Canonicalizes `spec` (so either form is accepted) and loads its time zone. Errors as
  // CanonicalizeSpec.
  static absl::StatusOr<CompiledSpec> Compile(const sv1::ScheduleSpec& spec);

  struct Fire {
    TimePoint nominal;  // the time the spec selects, a whole second
    TimePoint actual;   // nominal + jitter
    bool operator==(const Fire&) const = default;
  };

  // The first time the spec selects with nominal time strictly after `after` (Temporal
  // CompiledSpec.GetNextTime):
  //  - a time is selected when a structured calendar or an interval matches it and no exclude
  //    calendar does; calendars match the wall clock in the spec's zone (see calendar.h for
  //    DST), intervals fire at the Unix epoch + phase + k * interval, whole seconds;
  //  - `after` is first raised to start_time - 1 s (to the epoch - 1 s without a start_time);
  //  - nullopt once a candidate lies after end_time or after the year 2100 (UTC), or when
  //    nothing matches;
  //  - actual = nominal + a jitter in [0, jitter) in whole milliseconds, never reaching the next
  //    nominal time (exclusions aside), chosen by hashing the nominal time and `jitter_seed`
  //    exactly as Temporal does. Temporal's seed is "<namespace id>-<schedule id>".
  // INVALID_ARGUMENT if exclusions reject more than kMaxExcludedCandidates candidates in a row
  // (Temporal's ErrComputeLimitExceeded; Temporal's own limit is off by default).
  absl::StatusOr<std::optional<Fire>> Next(TimePoint after, absl::string_view jitter_seed) const;

  // ListScheduleMatchingTimes: the actual (jittered) times in (start, end], at most
  // kMaxMatchingTimes, each search starting from the previous actual time (as Temporal's
  // listMatchingTimes query does).
  absl::StatusOr<std::vector<TimePoint>> MatchingTimes(TimePoint start, TimePoint end,
                                                       absl::string_view jitter_seed) const;

  const sv1::ScheduleSpec& canonical() const { return canonical_; }

  static constexpr int kMaxExcludedCandidates = 10'000'000;
  static constexpr int kMaxMatchingTimes = 1000;

 private:
  struct Interval {
    int64_t every;  // seconds, at least 1
    int64_t phase;  // seconds, in [0, every)
  };

  CompiledSpec() = default;
  // The next candidate after `after` (Unix seconds) from any calendar or interval, ignoring
  // exclusions, start and end.
  std::optional<int64_t> RawNext(int64_t after) const;
  bool Excluded(int64_t unix_seconds) const;

  sv1::ScheduleSpec canonical_;
  std::vector<CompiledCalendar> calendars_;
  std::vector<CompiledCalendar> excludes_;
  std::vector<Interval> intervals_;
  TimePoint earliest_after_;  // start_time - 1 s
  std::optional<TimePoint> end_time_;
  std::chrono::nanoseconds jitter_{0};
};

}  // namespace tern::scheduler
