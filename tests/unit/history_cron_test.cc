// Cron schedules (services/history/cron.h): parsing, next fire times and the backoff between
// runs of a cron workflow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "services/history/cron.h"

namespace tern::history {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// "YYYY-MM-DD HH:MM:SS[.mmm]", UTC.
TimePoint T(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  const int n = std::sscanf(text.c_str(), "%d-%u-%u %u:%u:%u.%u", &year, &month, &day, &hour,
                            &minute, &second, &millis);
  EXPECT_GE(n, 6) << text;
  const std::chrono::sys_days date = std::chrono::year(year) / month / day;
  return TimePoint(date + hours(hour) + minutes(minute) + seconds(second) + milliseconds(millis));
}

std::string Format(TimePoint t) {
  if (t == TimePoint::max()) return "max";
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss time(std::chrono::floor<milliseconds>(t - day));
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  std::string result = text;
  if (time.subseconds().count() != 0) {
    std::snprintf(text, sizeof(text), ".%03d", static_cast<int>(time.subseconds().count()));
    result += text;
  }
  return result;
}

CronSchedule Parse(const std::string& spec) {
  absl::StatusOr<CronSchedule> schedule = ParseCronSchedule(spec);
  EXPECT_TRUE(schedule.ok()) << spec << ": " << schedule.status();
  // A schedule that never fires keeps every Next() at "max" and so fails the caller's check.
  return schedule.ok() ? *schedule : *ParseCronSchedule("0 0 1 1 *");
}

struct NextCase {
  std::string spec;
  std::string after;
  std::string next;
};

TEST(CronNextTest, FirstFireTimeStrictlyAfter) {
  const NextCase cases[] = {
      // Every minute: strictly after, from whole and fractional times.
      {"* * * * *", "2024-01-01 00:00:00", "2024-01-01 00:01:00"},
      {"* * * * *", "2024-01-01 00:00:59.999", "2024-01-01 00:01:00"},
      {"* * * * *", "2024-01-01 00:00:00.001", "2024-01-01 00:01:00"},
      {"0 * * * *", "2024-01-01 10:00:00", "2024-01-01 11:00:00"},
      {"0 * * * *", "2024-01-01 09:59:59", "2024-01-01 10:00:00"},
      {"30 9 * * *", "2024-03-10 09:29:00", "2024-03-10 09:30:00"},
      {"30 9 * * *", "2024-03-10 09:30:00", "2024-03-11 09:30:00"},
      // Lists, ranges, steps.
      {"5,35 * * * *", "2024-01-01 10:05:00", "2024-01-01 10:35:00"},
      {"0 8-10 * * *", "2024-01-01 10:30:00", "2024-01-02 08:00:00"},
      {"*/15 * * * *", "2024-01-01 10:07:00", "2024-01-01 10:15:00"},
      {"*/15 * * * *", "2024-01-01 10:45:00", "2024-01-01 11:00:00"},
      {"3-59/15 * * * *", "2024-01-01 10:04:00", "2024-01-01 10:18:00"},
      {"3-59/15 * * * *", "2024-01-01 10:48:00", "2024-01-01 11:03:00"},
      {"5/20 * * * *", "2024-01-01 10:46:00", "2024-01-01 11:05:00"},  // N/step = N-59/step
      {"0 */7 * * *", "2024-01-01 21:00:00", "2024-01-02 00:00:00"},   // 0,7,14,21
      {"*/100 * * * *", "2024-01-01 10:00:00", "2024-01-01 11:00:00"},
      {"1,2,1-2 * * * *", "2024-01-01 10:01:00", "2024-01-01 10:02:00"},
      // Month ends and leap years.
      {"0 0 * * *", "2023-12-31 12:00:00", "2024-01-01 00:00:00"},
      {"0 0 * * *", "2024-02-28 12:00:00", "2024-02-29 00:00:00"},
      {"0 0 * * *", "2023-02-28 12:00:00", "2023-03-01 00:00:00"},
      {"0 0 * * *", "2100-02-28 12:00:00", "2100-03-01 00:00:00"},
      {"0 0 * * *", "2000-02-28 12:00:00", "2000-02-29 00:00:00"},
      {"0 0 31 * *", "2024-04-01 00:00:00", "2024-05-31 00:00:00"},
      {"0 0 30 * *", "2024-01-31 00:00:00", "2024-03-30 00:00:00"},
      {"0 0 29 2 *", "2023-01-01 00:00:00", "2024-02-29 00:00:00"},
      {"0 0 29 2 *", "2024-03-01 00:00:00", "2028-02-29 00:00:00"},
      {"0 0 29 2 *", "2096-03-01 00:00:00", "2104-02-29 00:00:00"},  // 2100 is no leap year
      {"59 23 31 12 *", "2024-12-31 23:59:00", "2025-12-31 23:59:00"},
      {"0 12 1 * *", "2024-12-15 00:00:00", "2025-01-01 12:00:00"},
      // Names, case-insensitive.
      {"0 9 * JAN,jul *", "2024-02-01 00:00:00", "2024-07-01 09:00:00"},
      {"0 0 1 FEB-Apr *", "2024-04-01 00:00:00", "2025-02-01 00:00:00"},
      {"0 12 * * MON-FRI", "2024-06-08 00:00:00", "2024-06-10 12:00:00"},  // Sat -> Mon
      {"0 0 * * SAT,sun", "2024-06-03 00:00:00", "2024-06-08 00:00:00"},
      {"0 0 * * 0", "2024-06-01 00:00:00", "2024-06-02 00:00:00"},      // 0 is Sunday
      {"0 0 * * MON/2", "2024-06-03 00:00:00", "2024-06-05 00:00:00"},  // Mon, Wed, Fri
      // Day of month AND day of week when either has `*` or `?`.
      {"0 0 * * 1", "2024-06-01 00:00:00", "2024-06-03 00:00:00"},
      {"0 0 ? * 1", "2024-06-01 00:00:00", "2024-06-03 00:00:00"},
      {"0 0 15 * ?", "2024-06-01 00:00:00", "2024-06-15 00:00:00"},
      {"0 0 */1 * 1", "2024-06-01 00:00:00", "2024-06-03 00:00:00"},  // `*/1` keeps the `*`
      {"0 0 *,5 * 1", "2024-06-01 00:00:00", "2024-06-03 00:00:00"},
      // ... and OR when neither has.
      {"0 0 1 * WED", "2024-05-29 00:00:00", "2024-06-01 00:00:00"},  // the 1st, a Saturday
      {"0 0 1 * WED", "2024-06-01 00:00:00", "2024-06-05 00:00:00"},  // then a Wednesday
      {"0 0 1-31 * 1", "2024-06-01 00:00:00", "2024-06-02 00:00:00"},
      {"0 0 */10 * 1", "2024-06-01 00:00:00", "2024-06-03 00:00:00"},  // Monday before the 11th
      {"0 0 */10 * 1", "2024-06-07 00:00:00", "2024-06-10 00:00:00"},
      {"0 0 13 * FRI", "2024-09-01 00:00:00", "2024-09-06 00:00:00"},
      {"0 0 31 2 1", "2024-01-31 00:00:00", "2024-02-05 00:00:00"},   // never the 31st, Mondays
      {"0 0 1 * */2", "2024-06-01 00:00:00", "2024-06-02 00:00:00"},  // step > 1 drops the `*`
      // Descriptors.
      {"@yearly", "2024-06-15 10:00:00", "2025-01-01 00:00:00"},
      {"@annually", "2024-01-01 00:00:00", "2025-01-01 00:00:00"},
      {"@monthly", "2024-01-31 10:00:00", "2024-02-01 00:00:00"},
      {"@weekly", "2024-06-05 10:00:00", "2024-06-09 00:00:00"},  // Sunday
      {"@daily", "2024-02-28 10:00:00", "2024-02-29 00:00:00"},
      {"@midnight", "2024-12-31 23:59:59", "2025-01-01 00:00:00"},
      {"@hourly", "2024-01-01 10:00:00", "2024-01-01 11:00:00"},
      // @every: from `after` truncated to the second.
      {"@every 2s", "2024-01-01 00:00:00", "2024-01-01 00:00:02"},
      {"@every 2s", "2024-01-01 00:00:00.500", "2024-01-01 00:00:02"},
      {"@every 1h30m", "2024-01-01 00:00:00", "2024-01-01 01:30:00"},
      {"@every 1.5h", "2024-01-01 00:00:00", "2024-01-01 01:30:00"},
      {"@every 90m", "2024-01-01 23:00:00", "2024-01-02 00:30:00"},
      {"@every 1500ms", "2024-01-01 00:00:00", "2024-01-01 00:00:01"},  // truncated to 1 s
      {"@every 500ms", "2024-01-01 00:00:00", "2024-01-01 00:00:01"},   // at least 1 s
      {"@every 0", "2024-01-01 00:00:00", "2024-01-01 00:00:01"},
      {"@every 1m0.5s", "2024-01-01 00:00:00", "2024-01-01 00:01:00"},
      {"@every 36h", "2024-01-01 00:00:00", "2024-01-02 12:00:00"},
      // UTC zone prefixes.
      {"CRON_TZ=UTC 0 0 * * *", "2024-01-01 10:00:00", "2024-01-02 00:00:00"},
      {"TZ=UTC @hourly", "2024-01-01 10:00:00", "2024-01-01 11:00:00"},
      {"TZ=Etc/UTC   */5 * * * *  ", "2024-01-01 10:01:00", "2024-01-01 10:05:00"},
      // Whitespace between fields.
      {"  0\t12  * *\n*  ", "2024-01-01 10:00:00", "2024-01-01 12:00:00"},
      // Before the epoch.
      {"0 0 * * *", "1969-12-31 12:00:00", "1970-01-01 00:00:00"},
      {"@every 2s", "1969-12-31 23:59:59.500", "1970-01-01 00:00:01"},
  };
  for (const NextCase& c : cases) {
    EXPECT_EQ(Format(Parse(c.spec).Next(T(c.after))), c.next) << c.spec << " after " << c.after;
  }
}

TEST(CronNextTest, RepeatedNextWalksTheSchedule) {
  const CronSchedule schedule = Parse("0 0 29,30,31 * *");
  std::vector<std::string> fires;
  TimePoint t = T("2024-01-30 12:00:00");
  for (int i = 0; i < 6; ++i) {
    t = schedule.Next(t);
    fires.push_back(Format(t));
  }
  EXPECT_THAT(fires, ::testing::ElementsAre("2024-01-31 00:00:00", "2024-02-29 00:00:00",
                                            "2024-03-29 00:00:00", "2024-03-30 00:00:00",
                                            "2024-03-31 00:00:00", "2024-04-29 00:00:00"));
}

TEST(CronNextTest, SaturatesPastTheEndOfTimePoint) {
  EXPECT_EQ(Parse("0 0 * * *").Next(TimePoint::max() - hours(1)), TimePoint::max());
  EXPECT_EQ(Parse("@every 1h").Next(TimePoint::max() - minutes(30)), TimePoint::max());
}

TEST(CronParseTest, AcceptsEveryForm) {
  EXPECT_EQ(Parse("@every 2s").every(), seconds(2));
  EXPECT_EQ(Parse("@every 1h30m").every(), minutes(90));
  EXPECT_EQ(Parse("@every +2s").every(), seconds(2));
  EXPECT_EQ(Parse("@every 1us").every(), seconds(1));
  EXPECT_EQ(Parse("@every 2000000\xc2\xb5s").every(), seconds(2));
  EXPECT_EQ(Parse("@every .5m").every(), seconds(30));
  EXPECT_EQ(Parse("@every 2562047h").every(), hours(2562047));
  EXPECT_EQ(Parse("0 0 * * *").every(), seconds(0));
}

struct InvalidCase {
  std::string spec;
  std::string message;
};

TEST(CronParseTest, RejectsInvalidSpecsNamingTheProblem) {
  const InvalidCase cases[] = {
      {"", "the schedule is empty"},
      {"   ", "expected 5 fields (minute hour day-of-month month day-of-week), found 0"},
      {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4"},
      {"0 * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 6"},
      {"61 * * * *", "minute 61 is out of range 0-59"},
      {"* 24 * * *", "hour 24 is out of range 0-23"},
      {"* * 0 * *", "day-of-month 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month 32 is out of range 1-31"},
      {"* * * 13 *", "month 13 is out of range 1-12"},
      {"* * * * 7", "day-of-week 7 is out of range 0-6"},
      {"99999999999 * * * *", "minute 99999999999 is out of range 0-59"},
      {"0-60 * * * *", "minute 60 is out of range 0-59"},
      {"x * * * *", "minute \"x\" is not a number"},
      {"* * * FOO *", "month \"FOO\" is not a number or a month name (JAN-DEC)"},
      {"* * * * MONDAY", "day-of-week \"MONDAY\" is not a number or a day name (SUN-SAT)"},
      {"* * JAN * *", "day-of-month \"JAN\" is not a number"},
      {"* 5-3 * * *", "hour range \"5-3\" ends before it starts"},
      {"* * * * FRI-MON", "day-of-week range \"FRI-MON\" ends before it starts"},
      {"*/0 * * * *", "minute step in \"*/0\" must be positive"},
      {"*/x * * * *", "minute step \"x\" in \"*/x\" is not a number"},
      {"*/ * * * *", "minute step \"\" in \"*/\" is not a number"},
      {"1/2/3 * * * *", "minute \"1/2/3\" has more than one \"/\""},
      {"1-2-3 * * * *", "minute \"1-2-3\" has more than one \"-\""},
      {"-5 * * * *", "minute \"-5\" is not a valid value or range"},
      {"5- * * * *", "minute \"5-\" is not a valid value or range"},
      {"*-5 * * * *", "minute \"*-5\" is not a valid value or range"},
      {"+5 * * * *", "minute \"+5\" is not a number"},
      {"1,,2 * * * *", "minute list \"1,,2\" has an empty element"},
      {"1, * * * *", "minute list \"1,\" has an empty element"},
      {"0 0 30 2 *", "it never fires (no selected month has the selected day of month)"},
      {"0 0 31 4,6,9,11 *", "it never fires (no selected month has the selected day of month)"},
      {"@fortnightly",
       "unknown descriptor \"@fortnightly\" (expected @yearly, @annually, @monthly, @weekly, "
       "@daily, @midnight, @hourly or @every <duration>)"},
      {"@Daily",
       "unknown descriptor \"@Daily\" (expected @yearly, @annually, @monthly, @weekly, @daily, "
       "@midnight, @hourly or @every <duration>)"},
      {"@every",
       "unknown descriptor \"@every\" (expected @yearly, @annually, @monthly, @weekly, "
       "@daily, @midnight, @hourly or @every <duration>)"},
      {"@every ", "invalid @every duration \"\": expected a number"},
      {"@every 2", "invalid @every duration \"2\": missing unit (ns, us, ms, s, m or h)"},
      {"@every 2x", "invalid @every duration \"2x\": unknown unit \"x\" (ns, us, ms, s, m or h)"},
      {"@every 2d", "invalid @every duration \"2d\": unknown unit \"d\" (ns, us, ms, s, m or h)"},
      {"@every .s", "invalid @every duration \".s\": expected a number"},
      {"@every -5s", "invalid @every duration \"-5s\": must not be negative"},
      {"@every 2562048h", "invalid @every duration \"2562048h\": too large"},
      {"@every 99999999999999999999s",
       "invalid @every duration \"99999999999999999999s\": too large"},
      {"CRON_TZ=America/New_York 0 5 * * *",
       "time zone \"America/New_York\" is not supported (only UTC is)"},
      {"TZ=Local 0 5 * * *", "time zone \"Local\" is not supported (only UTC is)"},
      {"CRON_TZ=UTC", "missing schedule after the time zone"},
      {"CRON_TZ=UTC   ", "missing schedule after the time zone"},
  };
  for (const InvalidCase& c : cases) {
    absl::StatusOr<CronSchedule> schedule = ParseCronSchedule(c.spec);
    ASSERT_FALSE(schedule.ok()) << c.spec;
    EXPECT_EQ(schedule.status().code(), absl::StatusCode::kInvalidArgument) << c.spec;
    EXPECT_EQ(schedule.status().message(),
              "invalid cron schedule \"" + c.spec + "\": " + c.message);
  }
}

struct BackoffCase {
  std::string spec;
  std::string start;
  std::string close;
  nanoseconds backoff;
};

TEST(CronBackoffTest, WaitsForTheNextFireAfterTheClose) {
  const BackoffCase cases[] = {
      // A new workflow (start == close) waits for the next fire time.
      {"0 10 * * *", "2018-12-17 16:00:00", "2018-12-17 16:00:00", hours(18)},
      {"0 10 * * *", "2018-12-18 10:00:00", "2018-12-18 10:00:00", hours(24)},
      {"0 * * * *", "2018-12-17 08:08:00", "2018-12-17 08:08:00", minutes(52)},
      {"0 * * * *", "2018-12-17 09:00:00", "2018-12-17 09:00:00", hours(1)},
      {"* * * * *", "2018-12-17 08:08:18", "2018-12-17 08:08:18", seconds(42)},
      {"0 3 * * 0-6", "2018-12-17 16:00:00", "2018-12-17 16:00:00", hours(11)},
      // Fire times missed while the run was open are skipped.
      {"0 10 * * *", "2018-12-17 08:00:00", "2018-12-20 00:00:00", hours(10)},
      {"0 10 * * *", "2018-12-17 08:00:00", "2018-12-17 09:00:00", hours(1)},
      {"*/10 * * * *", "2018-12-17 00:04:00", "2018-12-17 01:02:00", minutes(8)},
      {"* * * * *", "2018-12-17 00:00:00", "2024-12-17 00:00:30", seconds(30)},
      // A close exactly on a fire time starts the next run at once.
      {"0 * * * *", "2018-12-17 08:30:00", "2018-12-17 09:00:00", seconds(0)},
      // Rounded up to whole seconds.
      {"* * * * *", "2018-12-17 08:08:18.250", "2018-12-17 08:08:18.250", seconds(42)},
      {"0 * * * *", "2018-12-17 08:00:00", "2018-12-17 08:59:59.999", seconds(1)},
      // @every counts from the start time, truncated to the second.
      {"@every 5h", "2018-12-17 08:00:00", "2018-12-17 09:00:00", hours(4)},
      {"@every 5h", "2018-12-17 08:00:00", "2018-12-18 00:00:00", hours(4)},
      {"@every 5h", "2018-12-17 08:00:00", "2018-12-17 13:00:00", seconds(0)},
      {"@every 30s", "2020-07-17 10:00:02", "2020-07-17 10:00:02", seconds(30)},
      {"@every 30s", "2020-07-17 10:00:02", "2020-09-17 04:00:53", seconds(9)},
      {"@every 2s", "2024-01-01 00:00:00", "2024-01-01 00:00:00", seconds(2)},
      {"@every 2s", "2024-01-01 00:00:00.700", "2024-01-01 00:00:00.700", seconds(2)},  // 1.3 s
      {"@every 2s", "2024-01-01 00:00:00.700", "2024-01-01 00:00:01.500", seconds(1)},  // 0.5 s
      {"@every 1h30m", "2024-01-01 00:00:00", "2024-01-01 00:00:10", seconds(5390)},
      {"@every 1s", "2000-01-01 00:00:00", "2024-01-01 00:00:00.100", seconds(1)},
      // A close before the start time waits for the start time.
      {"@every 30m", "2020-07-17 10:00:00", "2020-07-17 09:45:00", minutes(15)},
      {"0 0 * * *", "2020-07-17 10:00:00.500", "2020-07-17 09:59:59", seconds(2)},
  };
  for (const BackoffCase& c : cases) {
    EXPECT_EQ(BackoffToNext(Parse(c.spec), T(c.start), T(c.close)), c.backoff)
        << c.spec << " start " << c.start << " close " << c.close;
  }
}

TEST(CronBackoffTest, FirstRunOfAYearlyScheduleCanWaitAYear) {
  const TimePoint now = T("2024-01-01 00:00:00.001");
  EXPECT_EQ(BackoffToNext(Parse("@yearly"), now, now), hours(24 * 366));
}

TEST(CronBackoffTest, NeverFiringWithinTimePointIsMax) {
  EXPECT_EQ(
      BackoffToNext(Parse("@yearly"), TimePoint::max() - hours(1), TimePoint::max() - hours(1)),
      nanoseconds::max());
}

// Found by tests/fuzz/cron_fuzz.cc: a close long before the start gave a wait whose rounding up
// to whole seconds overflowed nanoseconds (undefined behaviour) instead of saturating.
TEST(CronBackoffTest, WaitTooLongForNanosecondsIsMax) {
  const TimePoint start = TimePoint::max() - milliseconds(1);
  const TimePoint close{nanoseconds(999)};
  EXPECT_EQ(BackoffToNext(Parse("0 0 29 2 0"), start, close), nanoseconds::max());
  EXPECT_EQ(BackoffToNext(Parse("@every 1h"), start, close), nanoseconds::max());
  // Just inside the range the wait is still rounded up to whole seconds.
  const TimePoint close_in_range = start - std::chrono::floor<seconds>(nanoseconds::max());
  EXPECT_EQ(BackoffToNext(Parse("@every 1h"), start, close_in_range),
            std::chrono::floor<seconds>(nanoseconds::max()));
}

}  // namespace
}  // namespace tern::history
