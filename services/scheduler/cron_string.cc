#include "services/scheduler/cron_string.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace tern::scheduler {
namespace {

constexpr absl::string_view kSpaces = " \t\n\v\f\r";

constexpr std::array<absl::string_view, 12> kMonthNames = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<absl::string_view, 7> kDayNames = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

enum class Names { kNone, kMonth, kDayOfWeek };

struct FieldSyntax {
  absl::string_view name;
  absl::string_view default_text;
  int min;
  int max;
  Names names = Names::kNone;
  bool year = false;
};

constexpr FieldSyntax kSecond{"second", "0", 0, 59};
constexpr FieldSyntax kMinute{"minute", "0", 0, 59};
constexpr FieldSyntax kHour{"hour", "0", 0, 23};
constexpr FieldSyntax kDayOfMonth{"day_of_month", "*", 1, 31};
constexpr FieldSyntax kMonth{"month", "*", 1, 12, Names::kMonth};
constexpr FieldSyntax kYear{"year", "*", 2000, 2100, Names::kNone, true};
constexpr FieldSyntax kDayOfWeek{"day_of_week", "*", 0, 7, Names::kDayOfWeek};

absl::Status Invalid(absl::string_view why) { return absl::InvalidArgumentError(why); }

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// Go's strconv.Atoi: optional sign, decimal digits. Values beyond int range saturate (they are
// out of range for every field anyway).
std::optional<int64_t> ParseInteger(absl::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min<int64_t>(int64_t{1} << 40, value * 10 + (c - '0'));
  }
  return negative ? -value : value;
}

// A value of `field`: a month or day name prefix where the field takes names, else a number.
absl::StatusOr<int64_t> ParseValue(absl::string_view text, absl::string_view part,
                                   const FieldSyntax& field) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (field.names == Names::kMonth && lower.size() >= 3) {
    for (size_t i = 0; i < kMonthNames.size(); ++i) {
      if (absl::StartsWith(kMonthNames[i], lower)) return static_cast<int64_t>(i + 1);
    }
  } else if (field.names == Names::kDayOfWeek && lower.size() >= 2) {
    for (size_t i = 0; i < kDayNames.size(); ++i) {
      if (absl::StartsWith(kDayNames[i], lower)) return static_cast<int64_t>(i);
    }
  }
  if (std::optional<int64_t> value = ParseInteger(text); value.has_value()) return *value;
  const absl::string_view hint = field.names == Names::kMonth       ? " or a month name"
                                 : field.names == Names::kDayOfWeek ? " or a day name"
                                                                    : "";
  const std::string context = text == part ? "" : absl::StrCat(" in ", Quote(part));
  return Invalid(absl::StrCat(field.name, " ", Quote(text), context, " is not a number", hint));
}

absl::Status OutOfRange(const FieldSyntax& field, int64_t value) {
  return Invalid(
      absl::StrCat(field.name, " ", value, " is out of range ", field.min, "-", field.max));
}

sv1::Range MakeRange(int start, int end, int step) {
  sv1::Range range;
  range.set_start(start);
  range.set_end(start == end ? 0 : end);  // Temporal stores the defaults to keep it small
  range.set_step(step == 1 ? 0 : step);
  return range;
}

absl::Status ParsePart(absl::string_view part, const FieldSyntax& field,
                       std::vector<sv1::Range>& out) {
  const size_t slashes = std::count(part.begin(), part.end(), '/');
  if (slashes > 1)
    return Invalid(absl::StrCat(field.name, " ", Quote(part), " has more than one \"/\""));
  absl::string_view range_text = part;
  int64_t step = 1;
  if (slashes == 1) {
    const size_t slash = part.find('/');
    range_text = part.substr(0, slash);
    const absl::string_view step_text = part.substr(slash + 1);
    if (step_text.empty()) {
      return Invalid(absl::StrCat(field.name, " ", Quote(part), " has no step after \"/\""));
    }
    std::optional<int64_t> parsed = ParseInteger(step_text);
    if (!parsed.has_value()) {
      return Invalid(absl::StrCat(field.name, " step ", Quote(step_text), " is not a number"));
    }
    if (*parsed < 1 || *parsed > std::numeric_limits<int32_t>::max()) {
      return Invalid(absl::StrCat(field.name, " step ", *parsed, " in ", Quote(part),
                                  " must be between 1 and ", std::numeric_limits<int32_t>::max()));
    }
    step = *parsed;
  }

  int64_t start = field.min;
  int64_t end = field.max;
  if (range_text != "*") {
    const size_t dashes = std::count(range_text.begin(), range_text.end(), '-');
    if (dashes > 1) {
      return Invalid(absl::StrCat(field.name, " ", Quote(part), " has more than one \"-\""));
    }
    if (dashes == 1) {
      const size_t dash = range_text.find('-');
      ASSIGN_OR_RETURN(start, ParseValue(range_text.substr(0, dash), part, field));
      if (start < field.min || start > field.max) return OutOfRange(field, start);
      ASSIGN_OR_RETURN(end, ParseValue(range_text.substr(dash + 1), part, field));
      if (end > field.max) return OutOfRange(field, end);
      if (end < start) {
        return Invalid(
            absl::StrCat(field.name, " range ", Quote(range_text), " ends before it starts"));
      }
    } else {
      ASSIGN_OR_RETURN(start, ParseValue(range_text, part, field));
      if (start < field.min || start > field.max) return OutOfRange(field, start);
      if (slashes == 0) end = start;  // `x/step` runs to the maximum, `x` is just x
    }
  }

  // Day of week 7 is Sunday, 0 in the stored form. Keep one range where 7 can become 6 (7 is
  // not selected, or 0/1-7 by 1 covers Sunday already); otherwise add Sunday as its own range.
  if (field.names == Names::kDayOfWeek && end == 7) {
    if ((7 - start) % step == 0 && (step > 1 || start > 1)) {
      out.push_back(MakeRange(0, 0, 1));
      if (start == 7) return absl::OkStatus();
    }
    end = 6;
  }
  out.push_back(MakeRange(static_cast<int>(start), static_cast<int>(end), static_cast<int>(step)));
  return absl::OkStatus();
}

absl::Status ParseField(absl::string_view text, const FieldSyntax& field,
                        google::protobuf::RepeatedPtrField<sv1::Range>* ranges) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) text = field.default_text;
  if (field.year && text == "*") return absl::OkStatus();  // all years: an empty list
  std::vector<sv1::Range> parsed;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    RETURN_IF_ERROR(ParsePart(part, field, parsed));
  }
  for (sv1::Range& range : parsed) *ranges->Add() = std::move(range);
  return absl::OkStatus();
}

// Go's time.ParseDuration.
// `original` is what the user wrote, for messages.
absl::StatusOr<std::chrono::nanoseconds> ParseGoDuration(absl::string_view text,
                                                         absl::string_view original) {
  const auto invalid = [original](absl::string_view why) {
    return Invalid(absl::StrCat("duration ", Quote(original), " ", why));
  };
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  struct Unit {
    absl::string_view name;
    uint64_t nanos;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1},         {"us", 1'000},        {"\xc2\xb5s", 1'000},  {"\xce\xbcs", 1'000},
      {"ms", 1'000'000}, {"s", 1'000'000'000}, {"m", 60'000'000'000}, {"h", 3'600'000'000'000},
  };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };

  absl::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return std::chrono::nanoseconds(0);
  if (rest.empty()) return invalid("is empty");
  uint64_t total = 0;
  while (!rest.empty()) {
    if (rest[0] != '.' && !is_digit(rest[0])) return invalid("is not a number with a unit");
    size_t i = 0;
    uint64_t whole = 0;
    for (; i < rest.size() && is_digit(rest[i]); ++i) {
      if (whole > kLimit / 10) return invalid("is too large");
      whole = whole * 10 + static_cast<uint64_t>(rest[i] - '0');
      if (whole > kLimit) return invalid("is too large");
    }
    bool any_digit = i > 0;
    uint64_t fraction = 0;
    double scale = 1;
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      bool overflow = false;
      for (; i < rest.size() && is_digit(rest[i]); ++i) {
        any_digit = true;
        if (overflow) continue;
        if (fraction > (kLimit - 1) / 10) {  // digits beyond int64 precision are ignored
          overflow = true;
          continue;
        }
        fraction = fraction * 10 + static_cast<uint64_t>(rest[i] - '0');
        scale *= 10;
      }
    }
    if (!any_digit) return invalid("is not a number with a unit");
    size_t unit_end = i;
    while (unit_end < rest.size() && rest[unit_end] != '.' && !is_digit(rest[unit_end])) {
      ++unit_end;
    }
    const absl::string_view unit_name = rest.substr(i, unit_end - i);
    if (unit_name.empty()) return invalid("has no unit (ns, us, ms, s, m, h or d)");
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      return invalid(
          absl::StrCat("has an unknown unit ", Quote(unit_name), " (ns, us, ms, s, m, h or d)"));
    }
    if (whole > kLimit / unit->nanos) return invalid("is too large");
    uint64_t value = whole * unit->nanos;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<double>(fraction) *
                                     (static_cast<double>(unit->nanos) / scale));
      if (value > kLimit) return invalid("is too large");
    }
    total += value;
    if (total > kLimit) return invalid("is too large");
    rest.remove_prefix(unit_end);
  }
  if (negative) return std::chrono::nanoseconds(static_cast<int64_t>(0 - total));
  if (total > kLimit - 1) return invalid("is too large");
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

bool IsDayNumber(absl::string_view text) {
  // Temporal's pattern for a day count: digits with an optional fraction, or a bare fraction.
  const auto digits = [](absl::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const size_t dot = text.find('.');
  if (dot == absl::string_view::npos) return !text.empty() && digits(text);
  const absl::string_view whole = text.substr(0, dot);
  const absl::string_view fraction = text.substr(dot + 1);
  if (!digits(whole) || !digits(fraction)) return false;
  return !whole.empty() || !fraction.empty();
}

// Temporal rewrites every `<number>d` as `<24*number, six decimals>h` before Go parses it;
// doing the same keeps odd inputs (`1.5d`, `1d12h`) equal to what Temporal computes.
std::string ExpandDays(absl::string_view text) {
  std::string out;
  size_t copied = 0;
  size_t i = 0;
  while (i < text.size()) {
    const auto in_number = [](char c) { return c == '.' || (c >= '0' && c <= '9'); };
    if (!in_number(text[i])) {
      ++i;
      continue;
    }
    size_t run_end = i;
    while (run_end < text.size() && in_number(text[run_end])) ++run_end;
    if (run_end < text.size() && text[run_end] == 'd') {
      for (size_t start = i; start < run_end; ++start) {
        const absl::string_view number = text.substr(start, run_end - start);
        if (!IsDayNumber(number)) continue;
        const std::string number_text(number);
        const double days = std::strtod(number_text.c_str(), nullptr);
        if (days * 24 > std::numeric_limits<double>::max()) break;  // left for Go's error
        char hours[400];
        std::snprintf(hours, sizeof(hours), "%fh", days * 24);
        absl::StrAppend(&out, text.substr(copied, start - copied), hours);
        copied = run_end + 1;
        break;
      }
    }
    i = run_end + 1;
  }
  absl::StrAppend(&out, text.substr(copied));
  return out;
}

constexpr std::pair<absl::string_view, absl::string_view> kShorthands[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

absl::StatusOr<sv1::IntervalSpec> ParseEvery(absl::string_view text) {
  const size_t space = text.find(' ');
  if (space == absl::string_view::npos) return Invalid("@every needs an interval");
  const std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text.substr(space + 1), absl::MaxSplits('/', 1));
  sv1::IntervalSpec interval;
  ASSIGN_OR_RETURN(std::chrono::nanoseconds every, ParseScheduleDuration(parts.first));
  *interval.mutable_interval() = ToProtoDuration(every);
  if (!parts.second.empty()) {
    ASSIGN_OR_RETURN(std::chrono::nanoseconds phase, ParseScheduleDuration(parts.second));
    *interval.mutable_phase() = ToProtoDuration(phase);
  }
  return interval;
}

}  // namespace

absl::StatusOr<std::chrono::nanoseconds> ParseScheduleDuration(absl::string_view text) {
  return ParseGoDuration(ExpandDays(text), text);
}

absl::StatusOr<sv1::StructuredCalendarSpec> ParseCalendarSpec(const sv1::CalendarSpec& calendar) {
  sv1::StructuredCalendarSpec out;
  RETURN_IF_ERROR(ParseField(calendar.second(), kSecond, out.mutable_second()));
  RETURN_IF_ERROR(ParseField(calendar.minute(), kMinute, out.mutable_minute()));
  RETURN_IF_ERROR(ParseField(calendar.hour(), kHour, out.mutable_hour()));
  RETURN_IF_ERROR(ParseField(calendar.day_of_month(), kDayOfMonth, out.mutable_day_of_month()));
  RETURN_IF_ERROR(ParseField(calendar.month(), kMonth, out.mutable_month()));
  RETURN_IF_ERROR(ParseField(calendar.year(), kYear, out.mutable_year()));
  RETURN_IF_ERROR(ParseField(calendar.day_of_week(), kDayOfWeek, out.mutable_day_of_week()));
  out.set_comment(calendar.comment());
  return out;
}

absl::StatusOr<ParsedCronString> ParseCronString(absl::string_view text) {
  ParsedCronString parsed;
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  if (absl::StartsWith(rest, "TZ=") || absl::StartsWith(rest, "CRON_TZ=")) {
    const size_t space = rest.find(' ');
    if (space == absl::string_view::npos)
      return Invalid("a time zone prefix needs fields after it");
    const absl::string_view prefix = rest.substr(0, space);
    parsed.time_zone = std::string(prefix.substr(prefix.find('=') + 1));
    rest = rest.substr(space + 1);
  }
  absl::string_view comment;
  if (const size_t hash = rest.find('#'); hash != absl::string_view::npos) {
    comment = absl::StripAsciiWhitespace(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  rest = absl::StripAsciiWhitespace(rest);

  if (absl::StartsWith(rest, "@every")) {
    ASSIGN_OR_RETURN(parsed.interval, ParseEvery(rest));
    parsed.time_zone.clear();
    return parsed;
  }
  for (const auto& [name, fields] : kShorthands) {
    if (rest == name) rest = fields;
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(rest, absl::ByAnyChar(kSpaces), absl::SkipEmpty());
  sv1::CalendarSpec calendar;
  calendar.set_comment(std::string(comment));
  switch (fields.size()) {
    case 5:
      calendar.set_minute(std::string(fields[0]));
      calendar.set_hour(std::string(fields[1]));
      calendar.set_day_of_month(std::string(fields[2]));
      calendar.set_month(std::string(fields[3]));
      calendar.set_day_of_week(std::string(fields[4]));
      break;
    case 6:
    case 7: {
      const size_t s = fields.size() - 6;  // 1 when there is a seconds field
      if (s == 1) calendar.set_second(std::string(fields[0]));
      calendar.set_minute(std::string(fields[s]));
      calendar.set_hour(std::string(fields[s + 1]));
      calendar.set_day_of_month(std::string(fields[s + 2]));
      calendar.set_month(std::string(fields[s + 3]));
      calendar.set_day_of_week(std::string(fields[s + 4]));
      calendar.set_year(std::string(fields[s + 5]));
      break;
    }
    default:
      return Invalid(
          absl::StrCat("expected 5 to 7 fields ([second] minute hour day_of_month month "
                       "day_of_week [year]), found ",
                       fields.size()));
  }
  ASSIGN_OR_RETURN(parsed.calendar, ParseCalendarSpec(calendar));
  return parsed;
}

}  // namespace tern::scheduler
