// The text forms of a schedule: ScheduleSpec.cron_string and the deprecated string CalendarSpec
// (internal to tern::scheduler; CanonicalizeSpec in spec.h is the public entry point).
//
// Syntax, as Temporal's service/worker/scheduler/calendar.go (parseCronString,
// parseCalendarToStructured, makeRange, parseValue) accepts it:
//   - a field is a comma list of `*`, `x`, `x-z`, each optionally `/step`; `x/step` runs from x
//     to the field's maximum; values are decimal, or in month fields a prefix of at least three
//     letters of an English month name (`sep`, `Sept`), in day-of-week fields a prefix of at
//     least two letters of a day name (`tu`, `Thurs`), case-insensitive;
//   - day of week takes 0-7, 7 meaning Sunday (the structured form allows only 0-6);
//   - empty CalendarSpec fields default to second 0, minute 0, hour 0, every day, month, year
//     and day of week; `*` for year becomes an empty list (all years, not only 2000-2100);
//   - a cron string is `[CRON_TZ=zone |TZ=zone ]fields[ # comment]` with 5 fields (minute hour
//     day_of_month month day_of_week), 6 (… year) or 7 (second … year); `@yearly`/`@annually`,
//     `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly` stand for their 5 fields;
//   - `@every <interval>[/<phase>]` becomes an IntervalSpec; durations are Go durations plus a
//     `d` unit of 24 h (Temporal common/primitives/timestamp ParseDuration). As in Temporal,
//     a zone prefix and a comment on an `@every` string are dropped.
// The ranges produced are the compact ones Temporal stores: end 0 when end == start, step 0 for
// a step of 1.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "temporal/api/schedule/v1/message.pb.h"

namespace tern::scheduler {

namespace sv1 = temporal::api::schedule::v1;

// Errors are INVALID_ARGUMENT naming the field and value, e.g. `hour 25 is out of range 0-23`.
absl::StatusOr<sv1::StructuredCalendarSpec> ParseCalendarSpec(const sv1::CalendarSpec& calendar);

struct ParsedCronString {
  // Exactly one of calendar and interval is set.
  std::optional<sv1::StructuredCalendarSpec> calendar;
  std::optional<sv1::IntervalSpec> interval;
  std::string time_zone;  // from a CRON_TZ=/TZ= prefix; empty if none (always for @every)
};
absl::StatusOr<ParsedCronString> ParseCronString(absl::string_view text);

// Go's time.ParseDuration, plus the unit `d` (24 h) the way Temporal adds it.
absl::StatusOr<std::chrono::nanoseconds> ParseScheduleDuration(absl::string_view text);

}  // namespace tern::scheduler
