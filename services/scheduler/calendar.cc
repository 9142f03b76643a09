#include "services/scheduler/calendar.h"

#include <bit>

#include "absl/strings/str_cat.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace tern::scheduler {
namespace {

using Ranges = google::protobuf::RepeatedPtrField<sv1::Range>;

struct FieldBounds {
  const char* name;
  int min;
  int max;
};

absl::Status CheckRanges(const Ranges& ranges, const FieldBounds& field, const std::string& where,
                         bool exclusion) {
  for (int i = 0; i < ranges.size(); ++i) {
    const sv1::Range& range = ranges[i];
    const auto invalid = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".", field.name, "[", i, "]: ", why));
    };
    if (range.start() < field.min || range.start() > field.max) {
      return invalid(
          absl::StrCat("start ", range.start(), " is out of range ", field.min, "-", field.max));
    }
    // Only an end of 0 stands for "same as start"; any other end before start is an error.
    if (range.end() != 0 && range.end() < range.start() && !exclusion) {
      return invalid(absl::StrCat("end ", range.end(), " is before start ", range.start()));
    }
    if (range.end() > field.max) {
      return invalid(
          absl::StrCat("end ", range.end(), " is out of range ", field.min, "-", field.max));
    }
    if (range.step() < 0) return invalid(absl::StrCat("step ", range.step(), " is negative"));
  }
  return absl::OkStatus();
}

// Calls `add` for every value the ranges select (end < start means end = start, step 0 means 1).
template <typename Add>
void ForEachValue(const Ranges& ranges, Add add) {
  for (const sv1::Range& range : ranges) {
    const int step = range.step() <= 0 ? 1 : range.step();
    const int end = std::max(range.start(), range.end());
    for (int64_t value = range.start(); value <= end; value += step) add(static_cast<int>(value));
  }
}

uint64_t Bits(const Ranges& ranges) {
  uint64_t bits = 0;
  ForEachValue(ranges, [&bits](int value) {
    if (value >= 0 && value < 64) bits |= uint64_t{1} << value;
  });
  return bits;
}

bool Has(uint64_t bits, int value) { return value >= 0 && value < 64 && (bits >> value & 1) != 0; }

// The smallest selected value >= `from`, or 64 if there is none.
int NextValue(uint64_t bits, int from) {
  const uint64_t later = bits & (~uint64_t{0} << from);
  return later == 0 ? 64 : std::countr_zero(later);
}

int SundayZero(absl::Weekday weekday) {
  // absl numbers Monday 0 .. Sunday 6.
  return (static_cast<int>(weekday) + 1) % 7;
}

}  // namespace

absl::Status ValidateStructuredCalendar(const sv1::StructuredCalendarSpec& calendar,
                                        const std::string& where, bool exclusion) {
  const std::pair<const Ranges*, FieldBounds> fields[] = {
      {&calendar.second(), {"second", 0, 59}},
      {&calendar.minute(), {"minute", 0, 59}},
      {&calendar.hour(), {"hour", 0, 23}},
      {&calendar.day_of_month(), {"day_of_month", 1, 31}},
      {&calendar.month(), {"month", 1, 12}},
      {&calendar.year(), {"year", kMinCalendarYear, kMaxCalendarYear}},
      {&calendar.day_of_week(), {"day_of_week", 0, 6}},
  };
  for (const auto& [ranges, bounds] : fields) {
    if (absl::Status status = CheckRanges(*ranges, bounds, where, exclusion); !status.ok())
      return status;
  }
  if (!exclusion && calendar.comment().size() > kMaxCommentLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".comment is longer than ", kMaxCommentLength, " bytes"));
  }
  return absl::OkStatus();
}

CompiledCalendar::CompiledCalendar(const sv1::StructuredCalendarSpec& calendar, absl::TimeZone zone)
    : zone_(zone),
      seconds_(Bits(calendar.second())),
      minutes_(Bits(calendar.minute())),
      hours_(Bits(calendar.hour())),
      days_of_month_(Bits(calendar.day_of_month())),
      months_(Bits(calendar.month())),
      days_of_week_(Bits(calendar.day_of_week())),
      all_years_(calendar.year().empty()) {
  ForEachValue(calendar.year(), [this](int year) {
    if (year >= kMinCalendarYear && year <= kMaxCalendarYear) years_.set(year - kMinCalendarYear);
  });
}

bool CompiledCalendar::YearSelected(int64_t year) const {
  if (all_years_) return true;
  if (year < kMinCalendarYear || year > kMaxCalendarYear) return false;
  return years_.test(static_cast<size_t>(year - kMinCalendarYear));
}

bool CompiledCalendar::DayMatches(absl::CivilDay day) const {
  return YearSelected(day.year()) && Has(months_, day.month()) && Has(days_of_month_, day.day()) &&
         Has(days_of_week_, SundayZero(absl::GetWeekday(day)));
}

bool CompiledCalendar::Matches(int64_t unix_seconds) const {
  const absl::CivilSecond local = zone_.At(absl::FromUnixSeconds(unix_seconds)).cs;
  return DayMatches(absl::CivilDay(local)) && Has(hours_, local.hour()) &&
         Has(minutes_, local.minute()) && Has(seconds_, local.second());
}

std::optional<absl::CivilSecond> CompiledCalendar::NextCivil(absl::CivilSecond from,
                                                             absl::CivilSecond last) const {
  absl::CivilSecond c = from;
  while (c <= last && c.year() <= kMaxCalendarYear) {
    if (!YearSelected(c.year())) {
      c = absl::CivilSecond(absl::CivilYear(c) + 1);
      continue;
    }
    if (!Has(months_, c.month())) {
      c = absl::CivilSecond(absl::CivilMonth(c) + 1);
      continue;
    }
    if (!DayMatches(absl::CivilDay(c))) {
      c = absl::CivilSecond(absl::CivilDay(c) + 1);
      continue;
    }
    const int hour = NextValue(hours_, c.hour());
    if (hour > 23) {
      c = absl::CivilSecond(absl::CivilDay(c) + 1);
      continue;
    }
    if (hour != c.hour()) c = absl::CivilSecond(c.year(), c.month(), c.day(), hour, 0, 0);
    const int minute = NextValue(minutes_, c.minute());
    if (minute > 59) {
      c = absl::CivilSecond(absl::CivilHour(c) + 1);
      continue;
    }
    if (minute != c.minute()) c = absl::CivilSecond(c.year(), c.month(), c.day(), hour, minute, 0);
    const int second = NextValue(seconds_, c.second());
    if (second > 59) {
      c = absl::CivilSecond(absl::CivilMinute(c) + 1);
      continue;
    }
    c = absl::CivilSecond(c.year(), c.month(), c.day(), hour, minute, second);
    if (c > last) return std::nullopt;
    return c;
  }
  return std::nullopt;
}

std::optional<int64_t> CompiledCalendar::Next(int64_t after_unix_seconds) const {
  // Between two offset changes wall-clock time is the instant plus a fixed offset, so a search
  // over wall-clock times finds the earliest instant. Each such span is searched in turn: a
  // wall-clock time that a DST gap skips lies in no span, one that an overlap repeats in two.
  int64_t from = after_unix_seconds + 1;
  while (true) {
    const absl::Time from_time = absl::FromUnixSeconds(from);
    const absl::CivilSecond local = zone_.At(from_time).cs;
    if (local.year() > kMaxCalendarYear) return std::nullopt;
    absl::TimeZone::CivilTransition transition;
    std::optional<int64_t> span_end;  // first instant with the next offset
    if (zone_.NextTransition(from_time, &transition)) {
      span_end = std::max(from + 1, absl::ToUnixSeconds(zone_.At(transition.to).trans));
    }
    const absl::CivilSecond last = span_end.has_value()
                                       ? local + (*span_end - 1 - from)
                                       : absl::CivilSecond(kMaxCalendarYear, 12, 31, 23, 59, 59);
    if (std::optional<absl::CivilSecond> match = NextCivil(local, last); match.has_value()) {
      return from + (*match - local);
    }
    if (!span_end.has_value()) return std::nullopt;
    from = *span_end;
  }
}

}  // namespace tern::scheduler
