// Matching a StructuredCalendarSpec against time in a zone (internal to tern::scheduler).
//
// A calendar selects the instants, at whole seconds, whose local wall-clock time in the zone has
// every field in the calendar's sets (Temporal service/worker/scheduler/calendar.go,
// compiledCalendar.matches). Consequences that Temporal documents in the ScheduleSpec proto:
// a wall-clock time skipped by a DST gap never fires, and one repeated by a DST overlap fires
// twice, an hour apart. Day of month and day of week must both match (no cron-style OR).
// Nothing matches after the year 2100 (Temporal's maxCalendarYear).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "temporal/api/schedule/v1/message.pb.h"

namespace tern::scheduler {

namespace sv1 = temporal::api::schedule::v1;

inline constexpr int kMinCalendarYear = 2000;
inline constexpr int kMaxCalendarYear = 2100;
inline constexpr size_t kMaxCommentLength = 200;

// Checks every range of `calendar` as Temporal's validateStructuredCalendar does: start within
// the field's bounds (second/minute 0-59, hour 0-23, day_of_month 1-31, month 1-12, day_of_week
// 0-6, year 2000-2100), end either 0 (meaning "= start") or within [start, max], step not
// negative, comment at most 200 bytes. `where` prefixes the message, e.g.
// "structured_calendar[0]".
//
// Temporal does not validate exclusions at all (and its matcher panics on a negative value or
// loops forever on a negative step). For `exclusion`, Tern checks only what keeps matching
// sane (start within bounds, end within bounds unless below start, step not negative) and
// accepts everything else Temporal accepts, such as {start: 18, end: 3}, which means 18.
absl::Status ValidateStructuredCalendar(const sv1::StructuredCalendarSpec& calendar,
                                        const std::string& where, bool exclusion);

class CompiledCalendar {
 public:
  // `calendar` must have passed ValidateStructuredCalendar.
  CompiledCalendar(const sv1::StructuredCalendarSpec& calendar, absl::TimeZone zone);

  // Whether the wall-clock time of `unix_seconds` in the zone matches.
  bool Matches(int64_t unix_seconds) const;

  // The first matching instant strictly after `after_unix_seconds`, or nullopt if none up to
  // the end of the year 2100 (wall-clock).
  std::optional<int64_t> Next(int64_t after_unix_seconds) const;

 private:
  bool YearSelected(int64_t year) const;
  bool DayMatches(absl::CivilDay day) const;
  // The first matching wall-clock time in [from, last], searched field by field.
  std::optional<absl::CivilSecond> NextCivil(absl::CivilSecond from, absl::CivilSecond last) const;

  absl::TimeZone zone_;
  uint64_t seconds_ = 0;  // bit i: value i selected
  uint64_t minutes_ = 0;
  uint64_t hours_ = 0;
  uint64_t days_of_month_ = 0;
  uint64_t months_ = 0;
  uint64_t days_of_week_ = 0;  // bit 0 = Sunday
  bool all_years_ = true;      // an empty year list means every year
  std::bitset<kMaxCalendarYear - kMinCalendarYear + 1> years_;
};

}  // namespace tern::scheduler
