// The pieces under the schedule spec engine: the text syntax (services/scheduler/cron_string.h),
// calendar matching (calendar.h) and the jitter hash (jitter.h). Expected values come from
// Temporal's calendar_test.go where it has them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "services/scheduler/calendar.h"
#include "services/scheduler/cron_string.h"
#include "services/scheduler/jitter.h"
#include "tests/unit/scheduler_test_util.h"

namespace tern::scheduler {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using testing::T;

// "start-end/step" for each stored range of the calendar's day_of_week (or `field`).
std::string RangesOf(const google::protobuf::RepeatedPtrField<sv1::Range>& ranges) {
  std::vector<std::string> parts;
  for (const sv1::Range& r : ranges) {
    parts.push_back(absl::StrCat(r.start(), "-", r.end(), "/", r.step()));
  }
  return absl::StrJoin(parts, ",");
}

std::string MinuteRanges(const std::string& minute) {
  sv1::CalendarSpec calendar;
  calendar.set_minute(minute);
  absl::StatusOr<sv1::StructuredCalendarSpec> parsed = ParseCalendarSpec(calendar);
  if (!parsed.ok()) return std::string(parsed.status().message());
  return RangesOf(parsed->minute());
}

TEST(CalendarSpecTest, RangeSyntax) {
  // Temporal calendar_test.go TestMakeRange (stored form: end 0 for a single value, step 0 for 1).
  EXPECT_EQ(MinuteRanges("13"), "13-0/0");
  EXPECT_EQ(MinuteRanges("13,18,44"), "13-0/0,18-0/0,44-0/0");
  EXPECT_EQ(MinuteRanges("13-18"), "13-18/0");
  EXPECT_EQ(MinuteRanges("2-5,7-9,11"), "2-5/0,7-9/0,11-0/0");
  EXPECT_EQ(MinuteRanges("*"), "0-59/0");
  EXPECT_EQ(MinuteRanges("*/3"), "0-59/3");
  EXPECT_EQ(MinuteRanges("2/3"), "2-59/3");
  EXPECT_EQ(MinuteRanges("2-6/3"), "2-6/3");
  EXPECT_EQ(MinuteRanges("2-6/4,7-8"), "2-6/4,7-8/0");
  EXPECT_EQ(MinuteRanges("0"), "0-0/0");
  EXPECT_EQ(MinuteRanges("59-59"), "59-0/0");
  EXPECT_EQ(MinuteRanges(" 7 "), "7-0/0");  // the field is trimmed
  EXPECT_EQ(MinuteRanges("+7"), "7-0/0");   // Go's Atoi takes a sign
  EXPECT_EQ(MinuteRanges("007"), "7-0/0");
  EXPECT_EQ(MinuteRanges(""), "0-0/0");  // the default
  EXPECT_EQ(MinuteRanges("133"), "minute 133 is out of range 0-59");
  EXPECT_EQ(MinuteRanges("-5"), "minute \"\" in \"-5\" is not a number");
  EXPECT_EQ(MinuteRanges("1, 2"), "minute \" 2\" is not a number");
  EXPECT_EQ(MinuteRanges("5-70"), "minute 70 is out of range 0-59");
  EXPECT_EQ(MinuteRanges("*/-2"), "minute step -2 in \"*/-2\" must be between 1 and 2147483647");
  EXPECT_EQ(MinuteRanges("*/3000000000"),
            "minute step 3000000000 in \"*/3000000000\" must be between 1 and 2147483647");
}

TEST(CalendarSpecTest, NamesAndDefaults) {
  sv1::CalendarSpec calendar;
  calendar.set_month("Sept,ja-mar");  // "ja" is too short for a month name
  EXPECT_EQ(ParseCalendarSpec(calendar).status().message(),
            "month \"ja\" in \"ja-mar\" is not a number or a month name");
  calendar.set_month("Sept,jan-MAR,dec/1,February/5");
  calendar.set_day_of_week("mon-Friday,su,TH");
  calendar.set_year("2020-2022,2024,2026/30");
  calendar.set_comment("c");
  absl::StatusOr<sv1::StructuredCalendarSpec> parsed = ParseCalendarSpec(calendar);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(RangesOf(parsed->month()), "9-0/0,1-3/0,12-0/0,2-12/5");
  EXPECT_EQ(RangesOf(parsed->day_of_week()), "1-5/0,0-0/0,4-0/0");
  EXPECT_EQ(RangesOf(parsed->year()), "2020-2022/0,2024-0/0,2026-2100/30");
  EXPECT_EQ(RangesOf(parsed->second()), "0-0/0");
  EXPECT_EQ(RangesOf(parsed->hour()), "0-0/0");
  EXPECT_EQ(RangesOf(parsed->day_of_month()), "1-31/0");
  EXPECT_EQ(parsed->comment(), "c");
  // "*" years are an empty list; "t" is too short for a day name.
  calendar.Clear();
  calendar.set_year("*");
  calendar.set_day_of_week("t");
  EXPECT_EQ(ParseCalendarSpec(calendar).status().message(),
            "day_of_week \"t\" is not a number or a day name");
  calendar.set_day_of_week("tu");
  parsed = ParseCalendarSpec(calendar);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->year_size(), 0);
  EXPECT_EQ(RangesOf(parsed->day_of_week()), "2-0/0");
}

TEST(CronStringTest, Forms) {
  absl::StatusOr<ParsedCronString> parsed = ParseCronString("  TZ=Asia/Tokyo   0 9 * * 1  ");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->time_zone, "Asia/Tokyo");
  ASSERT_TRUE(parsed->calendar.has_value());
  EXPECT_FALSE(parsed->interval.has_value());
  EXPECT_EQ(RangesOf(parsed->calendar->hour()), "9-0/0");

  parsed = ParseCronString("@daily # nightly  ");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->calendar->comment(), "nightly");
  EXPECT_EQ(RangesOf(parsed->calendar->day_of_week()), "0-6/0");
  for (const char* text : {"@midnight", "@annually", "@hourly"}) {
    EXPECT_TRUE(ParseCronString(text).ok()) << text;
  }
  // Seconds come first only with seven fields; a six-field string ends with the year.
  parsed = ParseCronString("1 2 3 4 5 2030");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(RangesOf(parsed->calendar->second()), "0-0/0");
  EXPECT_EQ(RangesOf(parsed->calendar->minute()), "1-0/0");
  EXPECT_EQ(RangesOf(parsed->calendar->year()), "2030-0/0");
  parsed = ParseCronString("1 2 3 4 5 6 2030");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(RangesOf(parsed->calendar->second()), "1-0/0");
  EXPECT_EQ(RangesOf(parsed->calendar->day_of_week()), "6-0/0");

  parsed = ParseCronString("@every 90m/15m");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->interval.has_value());
  EXPECT_FALSE(parsed->calendar.has_value());
  EXPECT_EQ(parsed->interval->interval().seconds(), 5400);
  EXPECT_EQ(parsed->interval->phase().seconds(), 900);
  // No phase given: none stored (an empty one after "/" counts as none too).
  parsed = ParseCronString("@every 90m/");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->interval->has_phase());
  EXPECT_EQ(ParseCronString("@every5m").status().message(), "@every needs an interval");
}

TEST(ScheduleDurationTest, GoDurationsWithDays) {
  const std::pair<const char*, nanoseconds> cases[] = {
      {"5d", hours(120)},         {"1.5d", hours(36)},
      {".5d", hours(12)},         {"1d12h", hours(36)},
      {"1h30m", minutes(90)},     {"1.5h", minutes(90)},
      {"2s", seconds(2)},         {"300ms", milliseconds(300)},
      {"1us", nanoseconds(1000)}, {"1\xc2\xb5s", nanoseconds(1000)},
      {"7ns", nanoseconds(7)},    {"0", nanoseconds(0)},
      {"-1.5h", -minutes(90)},    {"+3m", minutes(3)},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<nanoseconds> got = ParseScheduleDuration(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status();
    EXPECT_EQ(*got, want) << text;
  }
  const std::pair<const char*, const char*> errors[] = {
      {"", "duration \"\" is empty"},
      {"5", "duration \"5\" has no unit (ns, us, ms, s, m, h or d)"},
      {"5w", "duration \"5w\" has an unknown unit \"w\" (ns, us, ms, s, m, h or d)"},
      {"h", "duration \"h\" is not a number with a unit"},
      {".h", "duration \".h\" is not a number with a unit"},
      {"9999999999h", "duration \"9999999999h\" is too large"},
      // Temporal rewrites "2.3d" as "55.200000h", leaving "1.55.200000h".
      {"1.2.3d", "duration \"1.2.3d\" has no unit (ns, us, ms, s, m, h or d)"},
      {"1d5w", "duration \"1d5w\" has an unknown unit \"w\" (ns, us, ms, s, m, h or d)"},
  };
  for (const auto& [text, message] : errors) {
    EXPECT_EQ(ParseScheduleDuration(text).status().message(), message) << text;
  }
}

TEST(CompiledCalendarTest, MatchesWallClockInTheZone) {
  // Temporal calendar_test.go TestCalendarMatch.
  absl::TimeZone pacific;
  ASSERT_TRUE(absl::LoadTimeZone("US/Pacific", &pacific));
  const auto unix = [](const std::string& t) {
    return std::chrono::floor<seconds>(T(t).time_since_epoch()).count();
  };
  const auto compile = [](const sv1::CalendarSpec& calendar, absl::TimeZone zone) {
    absl::StatusOr<sv1::StructuredCalendarSpec> parsed = ParseCalendarSpec(calendar);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return CompiledCalendar(*parsed, zone);
  };

  sv1::CalendarSpec midnight;
  CompiledCalendar daily = compile(midnight, absl::UTCTimeZone());
  EXPECT_TRUE(daily.Matches(unix("2022-03-17T00:00:00Z")));
  EXPECT_FALSE(daily.Matches(unix("2022-03-18T05:15:00Z")));
  EXPECT_FALSE(daily.Matches(unix("2022-03-17T07:00:00Z")));  // 00:00 in Pacific (PDT)
  EXPECT_TRUE(daily.Matches(unix("2022-03-18T00:00:00Z")));   // 17:00 the day before in Pacific

  sv1::CalendarSpec odd;
  odd.set_second("55");
  odd.set_minute("55");
  odd.set_hour("5");
  odd.set_day_of_week("wed-thurs");
  odd.set_day_of_month("2/2");
  CompiledCalendar in_pacific = compile(odd, pacific);
  EXPECT_FALSE(in_pacific.Matches(unix("2022-03-09T13:55:55Z")));  // the 9th: odd day
  EXPECT_TRUE(in_pacific.Matches(unix("2022-03-10T13:55:55Z")));   // Thursday the 10th, PST
  EXPECT_FALSE(in_pacific.Matches(unix("2022-03-16T13:55:55Z")));  // PDT from the 13th
  EXPECT_TRUE(in_pacific.Matches(unix("2022-03-16T12:55:55Z")));
  EXPECT_TRUE(in_pacific.Matches(unix("2022-02-10T13:55:55Z")));

  // Sunday (2022-03-06) in every spelling Temporal's test uses; Saturday and Monday too.
  for (const char* dow :
       {"0", "7", "sun", "*", "0-3", "5-7", "5-7/2", "6-7", "2-7/5", "0-7/7", "0/7"}) {
    sv1::CalendarSpec calendar;
    calendar.set_day_of_week(dow);
    EXPECT_TRUE(compile(calendar, absl::UTCTimeZone()).Matches(unix("2022-03-06T00:00:00Z")))
        << dow;
  }
  for (const char* dow : {"*", "5-7", "6-7", "2/4", "2-7/4"}) {
    sv1::CalendarSpec calendar;
    calendar.set_day_of_week(dow);
    EXPECT_TRUE(compile(calendar, absl::UTCTimeZone()).Matches(unix("2022-03-05T00:00:00Z")))
        << dow;
  }
  for (const char* dow : {"0", "7", "sun", "5-7", "5-7/2", "6-7", "2-7/5", "0-7/7", "0/7"}) {
    sv1::CalendarSpec calendar;
    calendar.set_day_of_week(dow);
    EXPECT_FALSE(compile(calendar, absl::UTCTimeZone()).Matches(unix("2022-03-07T00:00:00Z")))
        << dow;
  }
}

TEST(CompiledCalendarTest, NextFromEverySecondBeforeTheMatchLandsOnIt) {
  // Temporal calendar_test.go checkSequence: any start between two matches gives the second.
  absl::TimeZone new_york;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &new_york));
  absl::StatusOr<ParsedCronString> parsed = ParseCronString("0 */30 0-3 * * * *");
  ASSERT_TRUE(parsed.ok());
  const CompiledCalendar calendar(*parsed->calendar, new_york);
  // 2026-11-01: 00:00, 00:30 EDT, 01:00, 01:30 EDT, 01:00, 01:30 EST, 02:00, 02:30, 03:00 ...
  int64_t start = std::chrono::floor<seconds>(T("2026-11-01T03:45:00Z").time_since_epoch()).count();
  std::vector<int64_t> fires;
  for (int i = 0; i < 9; ++i) {
    std::optional<int64_t> next = calendar.Next(start);
    ASSERT_TRUE(next.has_value());
    for (int64_t t = start; t < *next; t += 7) ASSERT_EQ(calendar.Next(t), next) << t;
    fires.push_back(*next - 1'793'505'600);  // seconds after 2026-11-01T04:00:00Z
    start = *next;
  }
  EXPECT_THAT(fires, ::testing::ElementsAre(0, 1800, 3600, 5400, 7200, 9000, 10800, 12600, 14400));
}

TEST(JitterTest, Fingerprint32MatchesGoFarm) {
  // Values from github.com/dgryski/go-farm Fingerprint32, one per input-length path.
  const std::pair<const char*, uint32_t> cases[] = {
      {"", 0xdc56d17a},
      {"a", 0x3c973d4d},
      {"abcd", 0x98b51e95},
      {"hello", 0x79969366},
      {"0123456789ab", 0x062fac43},
      {"0123456789abc", 0xe1e9089e},
      {"temporal-schedule-24", 0x57d32662},
      {"0123456789abcdefghijklmno", 0x026f48dd},
      {"namespace-id-0000-1111-schedule-id-xyz", 0x64518426},
      {"0123456789012345678901234567890123456789012345678901234567890123456789", 0xf1456b3f},
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(Fingerprint32(text), want) << text;
}

TEST(JitterTest, BoundsAndCaps) {
  const int64_t nominal = 1'648'080'000;  // 2022-03-24T00:00:00Z
  EXPECT_EQ(JitterFor(nominal, "seed-1", hours(1)), milliseconds(372'519));
  EXPECT_EQ(JitterFor(nominal, "seed-1", nanoseconds(999'999)), milliseconds(0));
  EXPECT_EQ(JitterFor(nominal, "seed-1", nanoseconds(0)), milliseconds(0));
  EXPECT_EQ(JitterFor(nominal, "seed-1", -hours(1)), milliseconds(0));
  // The range is capped at 2^32-1 ms, so a year of jitter stays under 50 days.
  EXPECT_LT(JitterFor(nominal, "seed-1", hours(24 * 365)), hours(24 * 50));
  EXPECT_EQ(JitterFor(nominal, "seed-1", hours(24 * 365)),
            JitterFor(nominal, "seed-1", milliseconds(0xffffffff)));
}

}  // namespace
}  // namespace tern::scheduler
