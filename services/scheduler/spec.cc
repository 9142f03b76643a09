#include "services/scheduler/spec.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/scheduler/cron_string.h"
#include "services/scheduler/jitter.h"

namespace tern::scheduler {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr absl::string_view kPrefix = "invalid schedule spec: ";

// 2101-01-01T00:00:00Z: nominal times from here on are past Temporal's maxCalendarYear.
constexpr int64_t kEndOfCalendar =
    std::chrono::sys_days(std::chrono::year(kMaxCalendarYear + 1) / 1 / 1)
        .time_since_epoch()
        .count() *
    86400;

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(kPrefix, why));
}

// Adds the field's name to an error from a parser.
absl::Status Within(absl::string_view where, const absl::Status& status) {
  return Invalid(absl::StrCat(where, ": ", status.message()));
}

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

std::string Format(nanoseconds d) { return absl::FormatDuration(absl::FromChrono(d)); }

// google.protobuf.Duration's own validity rule (Go's durationpb CheckValid), which Temporal's
// frontend applies to intervals and phases.
bool IsValidProtoDuration(const google::protobuf::Duration& d) {
  constexpr int64_t kMaxSeconds = 315'576'000'000;
  if (d.seconds() < -kMaxSeconds || d.seconds() > kMaxSeconds) return false;
  if (d.nanos() <= -1'000'000'000 || d.nanos() >= 1'000'000'000) return false;
  return !(d.seconds() > 0 && d.nanos() < 0) && !(d.seconds() < 0 && d.nanos() > 0);
}

absl::Status ValidateInterval(const sv1::IntervalSpec& interval, int index) {
  const std::string where = absl::StrCat("interval[", index, "]");
  if (!IsValidProtoDuration(interval.interval())) {
    return Invalid(absl::StrCat(where, ".interval is not a valid duration"));
  }
  if (!IsValidProtoDuration(interval.phase())) {
    return Invalid(absl::StrCat(where, ".phase is not a valid duration"));
  }
  const nanoseconds every = FromProto(interval.interval());
  const nanoseconds phase = FromProto(interval.phase());
  if (every < seconds(1)) {
    return Invalid(absl::StrCat(where, ": interval ", Format(every), " is shorter than 1s"));
  }
  if (phase < nanoseconds(0)) {
    return Invalid(absl::StrCat(where, ": phase ", Format(phase), " is negative"));
  }
  if (phase >= every) {
    return Invalid(absl::StrCat(where, ": phase ", Format(phase),
                                " is not shorter than the interval ", Format(every)));
  }
  return absl::OkStatus();
}

// Names as Go's time.LoadLocation would look them up under the zoneinfo directory. The
// character set also keeps out abseil's own extensions ("file:…", "Fixed/UTC+hh:mm:ss").
bool IsPlausibleZoneName(absl::string_view name) {
  if (name.size() > 255 || name.front() == '/' || name.find("..") != absl::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+' || c == '.';
  });
}

absl::StatusOr<absl::TimeZone> LoadZone(const sv1::ScheduleSpec& spec) {
  if (!spec.timezone_data().empty()) {
    return Invalid("timezone_data is not supported by this server; use timezone_name");
  }
  const std::string& name = spec.timezone_name();
  if (name.empty() || name == "UTC") return absl::UTCTimeZone();
  if (name == "Local") return absl::LocalTimeZone();  // Go's name for the server's zone
  absl::TimeZone zone;
  if (!IsPlausibleZoneName(name) || !absl::LoadTimeZone(name, &zone)) {
    return Invalid(absl::StrCat("timezone_name ", Quote(name), ": unknown time zone"));
  }
  return zone;
}

std::string DescribeZone(absl::string_view zone) {
  return zone.empty() ? "no time zone" : absl::StrCat("time zone ", Quote(zone));
}

absl::Status AddCronStrings(const sv1::ScheduleSpec& spec, sv1::ScheduleSpec& out) {
  std::optional<std::string> cron_zone;  // shared by every cron string, prefix or not
  for (const std::string& text : spec.cron_string()) {
    const std::string where = absl::StrCat("cron_string ", Quote(text));
    absl::StatusOr<ParsedCronString> parsed = ParseCronString(text);
    if (!parsed.ok()) return Within(where, parsed.status());
    if (cron_zone.has_value() && *cron_zone != parsed->time_zone) {
      return Invalid(absl::StrCat(where, ": has ", DescribeZone(parsed->time_zone),
                                  " but an earlier cron_string has ", DescribeZone(*cron_zone),
                                  " (all cron strings must agree)"));
    }
    cron_zone = parsed->time_zone;
    if (parsed->calendar.has_value()) *out.add_structured_calendar() = *parsed->calendar;
    if (parsed->interval.has_value()) *out.add_interval() = *parsed->interval;
  }
  out.clear_cron_string();
  if (!cron_zone.has_value() || cron_zone->empty()) return absl::OkStatus();
  if (!spec.timezone_data().empty() ||
      (!spec.timezone_name().empty() && spec.timezone_name() != *cron_zone)) {
    return Invalid(absl::StrCat("cron_string time zone ", Quote(*cron_zone),
                                " conflicts with timezone_name ", Quote(spec.timezone_name()),
                                spec.timezone_data().empty() ? "" : " and timezone_data"));
  }
  out.set_timezone_name(*cron_zone);
  return absl::OkStatus();
}

void FillRanges(google::protobuf::RepeatedPtrField<sv1::Range>* ranges) {
  for (sv1::Range& range : *ranges) {
    if (range.end() < range.start()) range.set_end(range.start());
    if (range.step() == 0) range.set_step(1);
  }
}

void FillCalendarRanges(sv1::StructuredCalendarSpec& calendar) {
  FillRanges(calendar.mutable_second());
  FillRanges(calendar.mutable_minute());
  FillRanges(calendar.mutable_hour());
  FillRanges(calendar.mutable_day_of_month());
  FillRanges(calendar.mutable_month());
  FillRanges(calendar.mutable_year());
  FillRanges(calendar.mutable_day_of_week());
}

int64_t UnixSeconds(TimePoint t) {
  return std::chrono::floor<seconds>(t.time_since_epoch()).count();
}

TimePoint FromUnixSeconds(int64_t unix_seconds) { return TimePoint(seconds(unix_seconds)); }

}  // namespace

absl::StatusOr<sv1::ScheduleSpec> CanonicalizeSpec(const sv1::ScheduleSpec& spec) {
  sv1::ScheduleSpec out = spec;
  for (int i = 0; i < spec.calendar_size(); ++i) {
    absl::StatusOr<sv1::StructuredCalendarSpec> parsed = ParseCalendarSpec(spec.calendar(i));
    if (!parsed.ok()) return Within(absl::StrCat("calendar[", i, "]"), parsed.status());
    *out.add_structured_calendar() = *std::move(parsed);
  }
  out.clear_calendar();
// exclude_calendar is deprecated in favour of exclude_structured_calendar; clients still send it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  for (int i = 0; i < spec.exclude_calendar_size(); ++i) {
    absl::StatusOr<sv1::StructuredCalendarSpec> parsed =
        ParseCalendarSpec(spec.exclude_calendar(i));
    if (!parsed.ok()) return Within(absl::StrCat("exclude_calendar[", i, "]"), parsed.status());
    *out.add_exclude_structured_calendar() = *std::move(parsed);
  }
  out.clear_exclude_calendar();
#pragma GCC diagnostic pop
  RETURN_IF_ERROR(AddCronStrings(spec, out));

  for (int i = 0; i < out.structured_calendar_size(); ++i) {
    const std::string where = absl::StrCat("structured_calendar[", i, "]");
    if (absl::Status status = ValidateStructuredCalendar(out.structured_calendar(i), where,
                                                         /*exclusion=*/false);
        !status.ok()) {
      return Invalid(status.message());
    }
  }
  for (int i = 0; i < out.exclude_structured_calendar_size(); ++i) {
    const std::string where = absl::StrCat("exclude_structured_calendar[", i, "]");
    if (absl::Status status = ValidateStructuredCalendar(out.exclude_structured_calendar(i), where,
                                                         /*exclusion=*/true);
        !status.ok()) {
      return Invalid(status.message());
    }
  }
  for (int i = 0; i < out.interval_size(); ++i)
    RETURN_IF_ERROR(ValidateInterval(out.interval(i), i));
  RETURN_IF_ERROR(LoadZone(out).status());
  return out;
}

sv1::ScheduleSpec WithExplicitRanges(sv1::ScheduleSpec spec) {
  for (sv1::StructuredCalendarSpec& calendar : *spec.mutable_structured_calendar()) {
    FillCalendarRanges(calendar);
  }
  for (sv1::StructuredCalendarSpec& calendar : *spec.mutable_exclude_structured_calendar()) {
    FillCalendarRanges(calendar);
  }
  return spec;
}

absl::StatusOr<CompiledSpec> CompiledSpec::Compile(const sv1::ScheduleSpec& spec) {
  CompiledSpec compiled;
  ASSIGN_OR_RETURN(compiled.canonical_, CanonicalizeSpec(spec));
  const sv1::ScheduleSpec& canonical = compiled.canonical_;
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadZone(canonical));
  for (const sv1::StructuredCalendarSpec& calendar : canonical.structured_calendar()) {
    compiled.calendars_.emplace_back(calendar, zone);
  }
  for (const sv1::StructuredCalendarSpec& calendar : canonical.exclude_structured_calendar()) {
    compiled.excludes_.emplace_back(calendar, zone);
  }
  for (const sv1::IntervalSpec& interval : canonical.interval()) {
    // Truncated to whole seconds, as the proto documents.
    compiled.intervals_.push_back(Interval{
        .every = std::max<int64_t>(1, FromProto(interval.interval()) / seconds(1)),
        .phase = std::max<int64_t>(0, FromProto(interval.phase()) / seconds(1)),
    });
  }
  // Without a start_time Temporal reads the unset Timestamp as the Unix epoch.
  compiled.earliest_after_ = AddSaturating(FromProto(canonical.start_time()), -seconds(1));
  if (canonical.has_end_time()) compiled.end_time_ = FromProto(canonical.end_time());
  compiled.jitter_ = std::max(nanoseconds(0), FromProto(canonical.jitter()));
  return compiled;
}

std::optional<int64_t> CompiledSpec::RawNext(int64_t after) const {
  std::optional<int64_t> next;
  const auto consider = [&next](int64_t candidate) {
    if (!next.has_value() || candidate < *next) next = candidate;
  };
  for (const CompiledCalendar& calendar : calendars_) {
    if (std::optional<int64_t> candidate = calendar.Next(after)) consider(*candidate);
  }
  for (const Interval& interval : intervals_) {
    // Division truncating toward zero, as Go's, so times before epoch + phase agree too.
    consider(((after - interval.phase) / interval.every + 1) * interval.every + interval.phase);
  }
  return next;
}

bool CompiledSpec::Excluded(int64_t unix_seconds) const {
  return std::any_of(excludes_.begin(), excludes_.end(),
                     [unix_seconds](const CompiledCalendar& c) { return c.Matches(unix_seconds); });
}

absl::StatusOr<std::optional<CompiledSpec::Fire>> CompiledSpec::Next(
    TimePoint after, absl::string_view jitter_seed) const {
  int64_t from = UnixSeconds(std::max(after, earliest_after_));
  int64_t nominal = 0;
  for (int rejected = 0;; ++rejected) {
    if (rejected > kMaxExcludedCandidates) {
      return Invalid(absl::StrCat("exclusions rejected more than ", kMaxExcludedCandidates,
                                  " candidate times in a row; narrow the exclude calendars"));
    }
    std::optional<int64_t> candidate = RawNext(from);
    if (!candidate.has_value() || *candidate >= kEndOfCalendar ||
        (end_time_.has_value() && FromUnixSeconds(*candidate) > *end_time_)) {
      return std::nullopt;
    }
    nominal = *candidate;
    if (!Excluded(nominal)) break;
    from = nominal;
  }

  nanoseconds max_jitter = jitter_;
  if (std::optional<int64_t> following = RawNext(nominal)) {
    max_jitter = std::min<nanoseconds>(max_jitter, seconds(*following - nominal));
  }
  const TimePoint nominal_time = FromUnixSeconds(nominal);
  return Fire{.nominal = nominal_time,
              .actual = nominal_time + JitterFor(nominal, jitter_seed, max_jitter)};
}

absl::StatusOr<std::vector<TimePoint>> CompiledSpec::MatchingTimes(
    TimePoint start, TimePoint end, absl::string_view jitter_seed) const {
  std::vector<TimePoint> times;
  TimePoint after = start;
  while (times.size() < kMaxMatchingTimes) {
    ASSIGN_OR_RETURN(std::optional<Fire> fire, Next(after, jitter_seed));
    if (!fire.has_value() || fire->actual > end) break;
    times.push_back(fire->actual);
    after = fire->actual;
  }
  return times;
}

}  // namespace tern::scheduler
