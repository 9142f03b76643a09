#include "services/history/cron.h"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace tern::history {
namespace {

using std::chrono::floor;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_time;

constexpr std::string_view kSpaces = " \t\n\v\f\r";

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

struct Field {
  std::string_view name;
  int min;
  int max;
  std::span<const std::string_view> names;  // names[i] stands for min + i
  std::string_view names_hint;
};

constexpr Field kFields[] = {
    {"minute", 0, 59, {}, ""},
    {"hour", 0, 23, {}, ""},
    {"day-of-month", 1, 31, {}, ""},
    {"month", 1, 12, kMonthNames, " or a month name (JAN-DEC)"},
    {"day-of-week", 0, 6, kDayNames, " or a day name (SUN-SAT)"},
};

struct FieldBits {
  uint64_t bits = 0;
  // The field has a `*`/`?` element without a step above 1 (robfig's starBit), which makes the
  // day fields combine with AND instead of OR.
  bool star = false;
};

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(absl::string_view(why.data(), why.size()));
}

std::string Quote(std::string_view text) { return absl::StrCat("\"", std::string(text), "\""); }

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses digits, saturating far above any bound so that huge numbers are "out of range".
int ParseDigits(std::string_view digits) {
  constexpr int kCap = 1'000'000;
  int value = 0;
  for (char c : digits) value = std::min(kCap, value * 10 + (c - '0'));
  return value;
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

absl::StatusOr<int> ParseValue(std::string_view token, const Field& field) {
  if (IsDigits(token)) {
    int value = ParseDigits(token);
    if (value < field.min || value > field.max) {
      return Invalid(absl::StrCat(std::string(field.name), " ", std::string(token),
                                  " is out of range ", field.min, "-", field.max));
    }
    return value;
  }
  const std::string lower = ToLower(token);
  for (size_t i = 0; i < field.names.size(); ++i) {
    if (field.names[i] == lower) return field.min + static_cast<int>(i);
  }
  return Invalid(absl::StrCat(std::string(field.name), " ", Quote(token), " is not a number",
                              std::string(field.names_hint)));
}

// One list element: `*`, `?`, `N` or `N-M`, with an optional `/step`.
absl::StatusOr<FieldBits> ParseElement(std::string_view element, const Field& field) {
  const std::string name(field.name);
  const size_t slash = element.find('/');
  const std::string_view range = element.substr(0, slash);
  int step = 1;
  if (slash != std::string_view::npos) {
    const std::string_view step_text = element.substr(slash + 1);
    if (step_text.find('/') != std::string_view::npos) {
      return Invalid(absl::StrCat(name, " ", Quote(element), " has more than one \"/\""));
    }
    if (!IsDigits(step_text)) {
      return Invalid(absl::StrCat(name, " step ", Quote(step_text), " in ", Quote(element),
                                  " is not a number"));
    }
    step = ParseDigits(step_text);
    if (step == 0) {
      return Invalid(absl::StrCat(name, " step in ", Quote(element), " must be positive"));
    }
  }

  FieldBits result;
  int low = field.min;
  int high = field.max;
  if (range == "*" || range == "?") {
    result.star = step == 1;
  } else {
    const size_t dash = range.find('-');
    const std::string_view low_text = range.substr(0, dash);
    const std::string_view high_text =
        dash == std::string_view::npos ? std::string_view() : range.substr(dash + 1);
    if (dash != std::string_view::npos && high_text.find('-') != std::string_view::npos) {
      return Invalid(absl::StrCat(name, " ", Quote(element), " has more than one \"-\""));
    }
    if (low_text.empty() || (dash != std::string_view::npos && high_text.empty()) ||
        low_text == "*" || low_text == "?" || high_text == "*" || high_text == "?") {
      return Invalid(absl::StrCat(name, " ", Quote(element), " is not a valid value or range"));
    }
    ASSIGN_OR_RETURN(int parsed_low, ParseValue(low_text, field));
    low = parsed_low;
    if (dash != std::string_view::npos) {
      ASSIGN_OR_RETURN(int parsed_high, ParseValue(high_text, field));
      high = parsed_high;
      if (low > high) {
        return Invalid(absl::StrCat(name, " range ", Quote(range), " ends before it starts"));
      }
    } else if (slash == std::string_view::npos) {
      high = low;  // `N/step` runs to the field's maximum
    }
  }
  for (int value = low; value <= high; value += step) result.bits |= uint64_t{1} << value;
  return result;
}

absl::StatusOr<FieldBits> ParseField(std::string_view text, const Field& field) {
  FieldBits result;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    const std::string_view element = text.substr(begin, comma - begin);
    if (element.empty()) {
      return Invalid(
          absl::StrCat(std::string(field.name), " list ", Quote(text), " has an empty element"));
    }
    ASSIGN_OR_RETURN(FieldBits bits, ParseElement(element, field));
    result.bits |= bits.bits;
    result.star = result.star || bits.star;
    if (comma == std::string_view::npos) return result;
    begin = comma + 1;
  }
}

absl::StatusOr<std::array<FieldBits, 5>> ParseFields(std::string_view spec) {
  std::vector<std::string_view> tokens;
  size_t pos = spec.find_first_not_of(kSpaces);
  while (pos != std::string_view::npos) {
    const size_t end = spec.find_first_of(kSpaces, pos);
    tokens.push_back(spec.substr(pos, end - pos));
    pos = spec.find_first_not_of(kSpaces, end);
  }
  if (tokens.size() != 5) {
    return Invalid(absl::StrCat(
        "expected 5 fields (minute hour day-of-month month day-of-week), found ", tokens.size()));
  }
  std::array<FieldBits, 5> fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    ASSIGN_OR_RETURN(FieldBits bits, ParseField(tokens[i], kFields[i]));
    fields[i] = bits;
  }
  return fields;
}

// Go's time.ParseDuration, which robfig uses for `@every`: a sequence of decimal numbers, each
// with an optional fraction and a unit, e.g. "1h30m", "1.5s"; "0" needs no unit.
absl::StatusOr<nanoseconds> ParseGoDuration(std::string_view text) {
  const auto invalid = [text](std::string_view why) {
    return Invalid(absl::StrCat("invalid @every duration ", Quote(text), ": ", std::string(why)));
  };
  constexpr uint64_t kMaxNanos = std::numeric_limits<int64_t>::max();
  struct Unit {
    std::string_view name;
    uint64_t nanos;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1},         {"us", 1'000},        {"\xc2\xb5s", 1'000},  {"\xce\xbcs", 1'000},
      {"ms", 1'000'000}, {"s", 1'000'000'000}, {"m", 60'000'000'000}, {"h", 3'600'000'000'000},
  };

  std::string_view rest = text;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    if (rest[0] == '-') return invalid("must not be negative");
    rest.remove_prefix(1);
  }
  if (rest == "0") return nanoseconds(0);
  if (rest.empty()) return invalid("expected a number");

  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  uint64_t total = 0;
  while (!rest.empty()) {
    uint64_t whole = 0;
    size_t i = 0;
    for (; i < rest.size() && is_digit(rest[i]); ++i) {
      if (whole > (kMaxNanos - 9) / 10) return invalid("too large");
      whole = whole * 10 + static_cast<uint64_t>(rest[i] - '0');
    }
    bool any_digit = i > 0;
    uint64_t fraction = 0;
    double scale = 1;
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      for (; i < rest.size() && is_digit(rest[i]); ++i) {
        any_digit = true;
        if (fraction <= (kMaxNanos - 9) / 10) {  // like Go, digits past int64 precision are ignored
          fraction = fraction * 10 + static_cast<uint64_t>(rest[i] - '0');
          scale *= 10;
        }
      }
    }
    if (!any_digit) return invalid("expected a number");
    size_t unit_end = i;
    while (unit_end < rest.size() && rest[unit_end] != '.' && !is_digit(rest[unit_end])) {
      ++unit_end;
    }
    const std::string_view unit_name = rest.substr(i, unit_end - i);
    if (unit_name.empty()) return invalid("missing unit (ns, us, ms, s, m or h)");
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      return invalid(absl::StrCat("unknown unit ", Quote(unit_name), " (ns, us, ms, s, m or h)"));
    }
    if (whole > kMaxNanos / unit->nanos) return invalid("too large");
    uint64_t value = whole * unit->nanos;
    // Go computes the fraction's share in floating point too.
    value += static_cast<uint64_t>(static_cast<double>(fraction) *
                                   (static_cast<double>(unit->nanos) / scale));
    if (value > kMaxNanos || total > kMaxNanos - value) return invalid("too large");
    total += value;
    rest.remove_prefix(unit_end);
  }
  return nanoseconds(static_cast<int64_t>(total));
}

// The 5-field equivalents of robfig's descriptors (same fields, same `*` markers).
constexpr std::pair<std::string_view, std::string_view> kDescriptors[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

// Whether some selected month has a selected day of month (February counts 29 days).
bool SomeMonthHasSomeDay(uint32_t months, uint32_t days_of_month) {
  constexpr int kMaxDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int month = 1; month <= 12; ++month) {
    if ((months >> month & 1) == 0) continue;
    const uint64_t possible_days = ((uint64_t{1} << (kMaxDays[month - 1] + 1)) - 1) & ~uint64_t{1};
    if ((days_of_month & possible_days) != 0) return true;
  }
  return false;
}

// Converts to TimePoint, saturating at TimePoint::max() past the end of its range.
template <typename Duration>
TimePoint ToTimePoint(sys_time<Duration> t) {
  if (t > floor<Duration>(TimePoint::max())) return TimePoint::max();
  return std::chrono::time_point_cast<TimePoint::duration>(t);
}

}  // namespace

absl::StatusOr<CronSchedule> ParseCronSchedule(const std::string& spec) {
  const auto invalid = [&spec](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid cron schedule ", Quote(spec), ": ", why));
  };
  std::string_view body = spec;
  if (body.empty()) return invalid("the schedule is empty");

  if (body.starts_with("TZ=") || body.starts_with("CRON_TZ=")) {
    const size_t equals = body.find('=');
    const size_t end = body.find_first_of(kSpaces);
    const std::string_view zone = body.substr(equals + 1, end - equals - 1);
    // Zones with daylight saving would need robfig's DST rules; UTC is the same as no prefix.
    if (zone != "UTC" && zone != "Etc/UTC") {
      return invalid(absl::StrCat("time zone ", Quote(zone), " is not supported (only UTC is)"));
    }
    const size_t next = end == std::string_view::npos ? end : body.find_first_not_of(kSpaces, end);
    if (next == std::string_view::npos) {
      return invalid("missing schedule after the time zone");
    }
    body = body.substr(next);
    body = body.substr(0, body.find_last_not_of(kSpaces) + 1);
  }

  CronSchedule schedule;
  if (body.starts_with('@')) {
    constexpr std::string_view kEvery = "@every ";
    if (body.starts_with(kEvery)) {
      absl::StatusOr<nanoseconds> every = ParseGoDuration(body.substr(kEvery.size()));
      if (!every.ok()) return invalid(every.status().message());
      schedule.every_ = std::max(seconds(1), floor<seconds>(*every));
      return schedule;
    }
    std::string_view equivalent;
    for (const auto& [name, fields] : kDescriptors) {
      if (body == name) equivalent = fields;
    }
    if (equivalent.empty()) {
      return invalid(absl::StrCat(
          "unknown descriptor ", Quote(body),
          " (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or "
          "@every <duration>)"));
    }
    body = equivalent;
  }

  absl::StatusOr<std::array<FieldBits, 5>> fields = ParseFields(body);
  if (!fields.ok()) return invalid(fields.status().message());
  const auto& [minute, hour, day_of_month, month, day_of_week] = *fields;
  schedule.minutes_ = minute.bits;
  schedule.hours_ = static_cast<uint32_t>(hour.bits);
  schedule.days_of_month_ = static_cast<uint32_t>(day_of_month.bits);
  schedule.months_ = static_cast<uint32_t>(month.bits);
  schedule.days_of_week_ = static_cast<uint32_t>(day_of_week.bits);
  schedule.either_day_ = !day_of_month.star && !day_of_week.star;
  // Only "day of month AND any weekday" can select no day at all, e.g. `0 0 30 2 *`.
  if (day_of_week.star && !SomeMonthHasSomeDay(schedule.months_, schedule.days_of_month_)) {
    return invalid("it never fires (no selected month has the selected day of month)");
  }
  return schedule;
}

bool CronSchedule::DayMatches(sys_days day) const {
  const std::chrono::year_month_day date(day);
  if ((months_ >> static_cast<unsigned>(date.month()) & 1) == 0) return false;
  const bool dom = (days_of_month_ >> static_cast<unsigned>(date.day()) & 1) != 0;
  const bool dow = (days_of_week_ >> std::chrono::weekday(day).c_encoding() & 1) != 0;
  return either_day_ ? dom || dow : dom && dow;
}

TimePoint CronSchedule::Next(TimePoint after) const {
  using std::chrono::minutes;
  if (every_ > seconds(0)) return ToTimePoint(floor<seconds>(after) + every_);

  // A validated schedule fires at least once every 8 years (29 February skips 2100, 2200, ...).
  constexpr int kSearchDays = 10 * 366;
  const sys_time<minutes> first = floor<minutes>(after) + minutes(1);
  sys_days day = floor<std::chrono::days>(first);
  int first_minute = static_cast<int>((first - day).count());
  for (int i = 0; i < kSearchDays; ++i, day += std::chrono::days(1), first_minute = 0) {
    if (!DayMatches(day)) continue;
    for (int hour = first_minute / 60; hour < 24; ++hour) {
      if ((hours_ >> hour & 1) == 0) continue;
      const int from = hour == first_minute / 60 ? first_minute % 60 : 0;
      const uint64_t later_minutes = minutes_ & (~uint64_t{0} << from);
      if (later_minutes != 0) {
        return ToTimePoint(day + std::chrono::hours(hour) +
                           minutes(std::countr_zero(later_minutes)));
      }
    }
  }
  return TimePoint::max();
}

std::chrono::nanoseconds BackoffToNext(const CronSchedule& schedule, TimePoint start_time,
                                       TimePoint close_time) {
  TimePoint next;
  if (close_time < start_time) {
    next = start_time;
  } else if (schedule.every() > seconds(0)) {
    // Fire times are base + k * every for k >= 1; take the first at or after close_time.
    const sys_time<seconds> base = floor<seconds>(start_time);
    const int64_t gap = std::chrono::ceil<seconds>(close_time - base).count();
    const int64_t every = schedule.every().count();
    const int64_t periods = std::max<int64_t>(1, (gap + every - 1) / every);
    next = ToTimePoint(base + seconds(periods * every));
  } else {
    // The first fire time after start_time that is not before close_time.
    next = schedule.Next(std::max(start_time, close_time - TimePoint::duration(1)));
  }
  if (next == TimePoint::max()) return nanoseconds::max();
  // Rounding a wait of more than ~292 years up to whole seconds leaves nanoseconds' range.
  const nanoseconds wait = next - close_time;
  if (wait > floor<seconds>(nanoseconds::max())) return nanoseconds::max();
  return std::chrono::ceil<seconds>(wait);
}

}  // namespace tern::history
