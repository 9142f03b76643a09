// The schedule spec engine (services/scheduler/spec.h): canonical forms, validation errors, and
// the times a spec selects. Expected times come from Temporal's own tests
// (service/worker/scheduler/spec_test.go, calendar_test.go) where they exist, and otherwise
// were computed with Temporal's algorithm (GetNextTime over the same spec and tzdata).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "tests/unit/scheduler_test_util.h"

namespace tern::scheduler {
namespace {

using testing::Compile;
using ::testing::ElementsAre;
using testing::Format;
using ::testing::HasSubstr;
using testing::Sequence;
using testing::Spec;
using testing::T;

// Canonicalizes `input` and compares with `expected`, both in text format.
void ExpectCanonical(const std::string& input, const std::string& expected) {
  absl::StatusOr<sv1::ScheduleSpec> canonical = CanonicalizeSpec(Spec(input));
  ASSERT_TRUE(canonical.ok()) << input << ": " << canonical.status();
  const sv1::ScheduleSpec want = Spec(expected);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*canonical, want))
      << input << "\n got: " << canonical->ShortDebugString()
      << "\nwant: " << want.ShortDebugString();
  // Canonicalizing again changes nothing (Temporal's frontend relies on this for retries).
  absl::StatusOr<sv1::ScheduleSpec> again = CanonicalizeSpec(*canonical);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*again, *canonical));
}

std::string ErrorOf(const std::string& input) {
  absl::StatusOr<sv1::ScheduleSpec> canonical = CanonicalizeSpec(Spec(input));
  if (canonical.ok()) return "OK";
  EXPECT_EQ(canonical.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(canonical.status().message());
}

// The structured form of every 5-field cron string: "*" everywhere except minute and hour.
constexpr char kEveryDay[] =
    "day_of_month { start: 1 end: 31 } month { start: 1 end: 12 } day_of_week { end: 6 }";

TEST(CanonicalizeSpecTest, EmptySpecStaysEmpty) { ExpectCanonical("", ""); }

TEST(CanonicalizeSpecTest, CronStringsBecomeStructuredCalendars) {
  // Temporal calendar_test.go TestParseCronString.
  ExpectCanonical(R"(cron_string: "5,9 */2 * * *")",
                  std::string("structured_calendar { second {} minute { start: 5 } minute { start: "
                              "9 } hour { end: 23 step: 2 } ") +
                      kEveryDay + " }");
  ExpectCanonical(
      R"(cron_string: "CRON_TZ=US/Pacific 55 55,57 5 2/2 * wed-thurs *  # explanation")",
      R"(structured_calendar {
           second { start: 55 } minute { start: 55 } minute { start: 57 } hour { start: 5 }
           day_of_month { start: 2 end: 31 step: 2 } month { start: 1 end: 12 }
           day_of_week { start: 3 end: 4 } comment: "explanation" }
         timezone_name: "US/Pacific")");
  ExpectCanonical(R"(cron_string: "@monthly")",
                  "structured_calendar { second {} minute {} hour {} day_of_month { start: 1 } "
                  "month { start: 1 end: 12 } day_of_week { end: 6 } }");
  ExpectCanonical(R"(cron_string: "@weekly")",
                  "structured_calendar { second {} minute {} hour {} day_of_month { start: 1 end: "
                  "31 } month { start: 1 end: 12 } day_of_week {} }");
  ExpectCanonical(R"(cron_string: "@yearly")",
                  "structured_calendar { second {} minute {} hour {} day_of_month { start: 1 } "
                  "month { start: 1 } day_of_week { end: 6 } }");
  // Seven fields: seconds first, years last; a year list is kept, "*" years are an empty list.
  ExpectCanonical(R"(cron_string: "*/10 0 12 1 jan-mar mon 2026,2028-2030")",
                  "structured_calendar { second { end: 59 step: 10 } minute {} hour { start: 12 } "
                  "day_of_month { start: 1 } month { start: 1 end: 3 } day_of_week { start: 1 } "
                  "year { start: 2026 } year { start: 2028 end: 2030 } }");
  // TZ= is the same as CRON_TZ=, and matches an equal timezone_name.
  ExpectCanonical(R"(cron_string: "TZ=Europe/London 0 3 * * *" timezone_name: "Europe/London")",
                  std::string("structured_calendar { second {} minute {} hour { start: 3 } ") +
                      kEveryDay + " } timezone_name: \"Europe/London\"");
}

TEST(CanonicalizeSpecTest, EveryBecomesAnInterval) {
  ExpectCanonical(R"(cron_string: "@every 43h")", "interval { interval { seconds: 154800 } }");
  ExpectCanonical(R"(cron_string: "@every 5d")", "interval { interval { seconds: 432000 } }");
  ExpectCanonical(R"(cron_string: "@every 5h/45m")",
                  "interval { interval { seconds: 18000 } phase { seconds: 2700 } }");
  ExpectCanonical(R"(cron_string: "@every 1.5d/90m")",
                  "interval { interval { seconds: 129600 } phase { seconds: 5400 } }");
  // Sub-second parts are kept in the stored interval (matching truncates them).
  ExpectCanonical(R"(cron_string: "@every 1500ms")",
                  "interval { interval { seconds: 1 nanos: 500000000 } }");
  // Temporal drops a zone prefix and a comment on @every strings.
  ExpectCanonical(R"(cron_string: "CRON_TZ=Asia/Tokyo @every 1h # hourly")",
                  "interval { interval { seconds: 3600 } }");
}

TEST(CanonicalizeSpecTest, CalendarsBecomeStructuredWithDefaults) {
  // Temporal spec_test.go TestCanonicalize.
  ExpectCanonical(R"(calendar { hour: "5,7" minute: "23" })",
                  std::string("structured_calendar { second {} minute { start: 23 } hour { start: "
                              "5 } hour { start: 7 } ") +
                      kEveryDay + " }");
  ExpectCanonical(R"(calendar { comment: "midnight" })",
                  std::string("structured_calendar { second {} minute {} hour {} ") + kEveryDay +
                      " comment: \"midnight\" }");
  ExpectCanonical(R"(exclude_calendar { day_of_week: "sat,sun" hour: "*" minute: "*" })",
                  "exclude_structured_calendar { second {} minute { end: 59 } hour { end: 23 } "
                  "day_of_month { start: 1 end: 31 } month { start: 1 end: 12 } "
                  "day_of_week { start: 6 } day_of_week {} }");
  // Given structured calendars come first and are kept as they are; converted ones follow.
  ExpectCanonical(R"(structured_calendar { hour { start: 3 end: 0 step: 0 } }
                     calendar { hour: "4" }
                     cron_string: "0 5 * * *")",
                  std::string("structured_calendar { hour { start: 3 } } "
                              "structured_calendar { second {} minute {} hour { start: 4 } ") +
                      kEveryDay +
                      " } structured_calendar { second {} minute {} hour { start: 5 } " +
                      kEveryDay + " }");
}

TEST(CanonicalizeSpecTest, OtherFieldsAreKept) {
  ExpectCanonical(R"(cron_string: "23 5,7 * * *"
                     jitter { seconds: 300 }
                     start_time { seconds: 1647993600 }
                     end_time { seconds: 1700000000 }
                     timezone_name: "Europe/London")",
                  std::string("structured_calendar { second {} minute { start: 23 } hour { start: "
                              "5 } hour { start: 7 } ") +
                      kEveryDay +
                      " } jitter { seconds: 300 } start_time { seconds: 1647993600 } "
                      "end_time { seconds: 1700000000 } timezone_name: \"Europe/London\"");
  // Accepted as Temporal accepts them: negative jitter, end before start, intervals only.
  ExpectCanonical("jitter { seconds: -5 } start_time { seconds: 200 } end_time { seconds: 100 }",
                  "jitter { seconds: -5 } start_time { seconds: 200 } end_time { seconds: 100 }");
}

TEST(CanonicalizeSpecTest, DayOfWeekSevenIsSunday) {
  // Each case: the day_of_week field and its stored ranges.
  const std::pair<std::string, std::string> cases[] = {
      {"7", "day_of_week {}"},
      {"0", "day_of_week {}"},
      {"sun", "day_of_week {}"},
      {"*", "day_of_week { end: 6 }"},
      {"0-7", "day_of_week { end: 6 }"},
      {"5-7", "day_of_week {} day_of_week { start: 5 end: 6 }"},
      {"5-7/2", "day_of_week {} day_of_week { start: 5 end: 6 step: 2 }"},
      {"0/7", "day_of_week {} day_of_week { end: 6 step: 7 }"},
      {"3-7/3", "day_of_week { start: 3 end: 6 step: 3 }"},
      // Temporal turns 1-7 into 1-6 (its comment says 0-6), so 1-7 never selects Sunday; Tern
      // keeps that so a schedule fires on the same days on both servers.
      {"1-7", "day_of_week { start: 1 end: 6 }"},
  };
  for (const auto& [field, ranges] : cases) {
    ExpectCanonical("calendar { day_of_week: \"" + field + "\" }",
                    "structured_calendar { second {} minute {} hour {} day_of_month { start: 1 "
                    "end: 31 } month { start: 1 end: 12 } " +
                        ranges + " }");
  }
}

TEST(CanonicalizeSpecTest, CronTimeZonesMustAgree) {
  // Temporal spec_test.go TestCanonicalize: all cron strings agree (prefix or not), and with
  // timezone_name.
  EXPECT_EQ(ErrorOf(R"(cron_string: "CRON_TZ=America/New_York 23 5,7 * * *"
                       timezone_name: "Europe/London")"),
            "invalid schedule spec: cron_string time zone \"America/New_York\" conflicts with "
            "timezone_name \"Europe/London\"");
  EXPECT_EQ(ErrorOf(R"(cron_string: "CRON_TZ=Europe/London 23 5,7 * * *"
                       cron_string: "CRON_TZ=America/New_York 23 5,7 * * *")"),
            "invalid schedule spec: cron_string \"CRON_TZ=America/New_York 23 5,7 * * *\": has "
            "time zone \"America/New_York\" but an earlier cron_string has time zone "
            "\"Europe/London\" (all cron strings must agree)");
  EXPECT_EQ(ErrorOf(R"(cron_string: "CRON_TZ=Europe/London 23 5,7 * * *"
                       cron_string: "23 5,7 * * *")"),
            "invalid schedule spec: cron_string \"23 5,7 * * *\": has no time zone but an "
            "earlier cron_string has time zone \"Europe/London\" (all cron strings must agree)");
  EXPECT_EQ(ErrorOf(R"(cron_string: "23 5,7 * * *"
                       cron_string: "CRON_TZ=Europe/London 23 5,7 * * *")"),
            "invalid schedule spec: cron_string \"CRON_TZ=Europe/London 23 5,7 * * *\": has time "
            "zone \"Europe/London\" but an earlier cron_string has no time zone (all cron strings "
            "must agree)");
  // An @every string counts as having no zone, even with a prefix (Temporal drops it).
  EXPECT_THAT(ErrorOf(R"(cron_string: "CRON_TZ=Europe/London @every 1h"
                         cron_string: "CRON_TZ=Europe/London 0 5 * * *")"),
              HasSubstr("has time zone \"Europe/London\" but an earlier cron_string has no time "
                        "zone"));
  EXPECT_EQ(ErrorOf(R"(cron_string: "CRON_TZ=Europe/London 0 5 * * *" timezone_data: "TZif")"),
            "invalid schedule spec: cron_string time zone \"Europe/London\" conflicts with "
            "timezone_name \"\" and timezone_data");
}

TEST(CanonicalizeSpecTest, StringErrorsNameTheFieldAndValue) {
  const std::pair<std::string, std::string> cases[] = {
      {R"(cron_string: "61 * * * *")",
       R"(cron_string "61 * * * *": minute 61 is out of range 0-59)"},
      {R"(cron_string: "0 1 2 3 4 1999")",
       R"(cron_string "0 1 2 3 4 1999": year 1999 is out of range 2000-2100)"},
      {R"(cron_string: "* * * *")",
       R"(cron_string "* * * *": expected 5 to 7 fields ([second] minute hour day_of_month month day_of_week [year]), found 4)"},
      {R"(cron_string: "0 0 0 0 * * * *")",
       R"(cron_string "0 0 0 0 * * * *": expected 5 to 7 fields ([second] minute hour day_of_month month day_of_week [year]), found 8)"},
      {R"(cron_string: "@reboot")",
       R"(cron_string "@reboot": expected 5 to 7 fields ([second] minute hour day_of_month month day_of_week [year]), found 1)"},
      {R"(cron_string: "CRON_TZ=UTC")",
       R"(cron_string "CRON_TZ=UTC": a time zone prefix needs fields after it)"},
      {R"(cron_string: "@every")", R"(cron_string "@every": @every needs an interval)"},
      {R"(cron_string: "@every 5x")",
       R"(cron_string "@every 5x": duration "5x" has an unknown unit "x" (ns, us, ms, s, m, h or d))"},
      {R"(cron_string: "0 0 * * mon-fri-sat")",
       R"(cron_string "0 0 * * mon-fri-sat": day_of_week "mon-fri-sat" has more than one "-")"},
      {R"(cron_string: "0 0 * foo *")",
       R"(cron_string "0 0 * foo *": month "foo" is not a number or a month name)"},
      {R"(calendar { hour: "25" })", R"(calendar[0]: hour 25 is out of range 0-23)"},
      {R"(calendar { minute: "1" } calendar { second: "3/5/7" })",
       R"(calendar[1]: second "3/5/7" has more than one "/")"},
      {R"(calendar { minute: "5/" })", R"(calendar[0]: minute "5/" has no step after "/")"},
      {R"(calendar { minute: "*/x" })", R"(calendar[0]: minute step "x" is not a number)"},
      {R"(calendar { minute: "*/0" })",
       R"(calendar[0]: minute step 0 in "*/0" must be between 1 and 2147483647)"},
      {R"(calendar { hour: "18-13" })", R"(calendar[0]: hour range "18-13" ends before it starts)"},
      {R"(calendar { day_of_week: "Fri-Tues" })",
       R"(calendar[0]: day_of_week range "Fri-Tues" ends before it starts)"},
      {R"(calendar { day_of_week: "monday-" })",
       R"(calendar[0]: day_of_week "" in "monday-" is not a number or a day name)"},
      {R"(calendar { minute: "13,18,44," })", R"(calendar[0]: minute "" is not a number)"},
      {R"(calendar { day_of_month: "0" })", R"(calendar[0]: day_of_month 0 is out of range 1-31)"},
      {R"(exclude_calendar { month: "13" })",
       R"(exclude_calendar[0]: month 13 is out of range 1-12)"},
  };
  for (const auto& [input, message] : cases) {
    EXPECT_EQ(ErrorOf(input), "invalid schedule spec: " + message) << input;
  }
}

TEST(CanonicalizeSpecTest, StructuredRangeErrors) {
  // Temporal spec_test.go TestCanonicalize "various errors in ranges".
  const std::pair<std::string, std::string> cases[] = {
      {"second { start: 100 }", "second[0]: start 100 is out of range 0-59"},
      {"second { start: -3 }", "second[0]: start -3 is out of range 0-59"},
      {"second { start: 30 end: 60 }", "second[0]: end 60 is out of range 0-59"},
      {"second { start: 30 end: 40 step: -3 }", "second[0]: step -3 is negative"},
      {"minute { start: 60 }", "minute[0]: start 60 is out of range 0-59"},
      {"hour { start: 0 end: 24 }", "hour[0]: end 24 is out of range 0-23"},
      {"hour { start: 24 end: 26 }", "hour[0]: start 24 is out of range 0-23"},
      {"hour { start: 1 } hour { start: 16 end: 12 }", "hour[1]: end 12 is before start 16"},
      {"day_of_month { start: 0 }", "day_of_month[0]: start 0 is out of range 1-31"},
      {"day_of_month { start: 1 end: 33 }", "day_of_month[0]: end 33 is out of range 1-31"},
      {"month { start: 0 }", "month[0]: start 0 is out of range 1-12"},
      {"month { start: 1 end: 13 }", "month[0]: end 13 is out of range 1-12"},
      {"day_of_week { start: 7 }", "day_of_week[0]: start 7 is out of range 0-6"},
      {"day_of_week { start: 6 end: 7 }", "day_of_week[0]: end 7 is out of range 0-6"},
      {"year { start: 1999 }", "year[0]: start 1999 is out of range 2000-2100"},
      {"year { start: 2112 }", "year[0]: start 2112 is out of range 2000-2100"},
  };
  for (const auto& [calendar, message] : cases) {
    EXPECT_EQ(ErrorOf("structured_calendar { " + calendar + " }"),
              "invalid schedule spec: structured_calendar[0]." + message);
  }
  EXPECT_EQ(ErrorOf("structured_calendar { comment: \"" + std::string(201, 'x') + "\" }"),
            "invalid schedule spec: structured_calendar[0].comment is longer than 200 bytes");
  EXPECT_EQ(ErrorOf("structured_calendar { comment: \"" + std::string(200, 'x') + "\" }"), "OK");
  // Exclusions: Temporal checks nothing; Tern rejects only what cannot be matched sanely.
  EXPECT_EQ(ErrorOf("exclude_structured_calendar { hour { start: -1 } }"),
            "invalid schedule spec: exclude_structured_calendar[0].hour[0]: start -1 is out of "
            "range 0-23");
  EXPECT_EQ(ErrorOf("exclude_structured_calendar { hour { start: 1 step: -1 } }"),
            "invalid schedule spec: exclude_structured_calendar[0].hour[0]: step -1 is negative");
  EXPECT_EQ(ErrorOf("exclude_structured_calendar { hour { start: 18 end: 3 } comment: \"" +
                    std::string(300, 'x') + "\" }"),
            "OK");
}

TEST(CanonicalizeSpecTest, IntervalErrors) {
  EXPECT_EQ(ErrorOf("interval { interval { seconds: -154800 } }"),
            "invalid schedule spec: interval[0]: interval -43h is shorter than 1s");
  EXPECT_EQ(ErrorOf("interval {}"),
            "invalid schedule spec: interval[0]: interval 0 is shorter than 1s");
  EXPECT_EQ(ErrorOf("interval { interval { seconds: 60 } } interval { interval { nanos: "
                    "999999999 } }"),
            "invalid schedule spec: interval[1]: interval 999.999999ms is shorter than 1s");
  EXPECT_EQ(ErrorOf("interval { interval { seconds: 10800 } phase { seconds: 14400 } }"),
            "invalid schedule spec: interval[0]: phase 4h is not shorter than the interval 3h");
  EXPECT_EQ(ErrorOf("interval { interval { seconds: 10800 } phase { seconds: 10800 } }"),
            "invalid schedule spec: interval[0]: phase 3h is not shorter than the interval 3h");
  EXPECT_EQ(ErrorOf("interval { interval { seconds: 60 } phase { seconds: -1 } }"),
            "invalid schedule spec: interval[0]: phase -1s is negative");
  EXPECT_EQ(ErrorOf("interval { interval { seconds: 60 nanos: -1 } }"),
            "invalid schedule spec: interval[0].interval is not a valid duration");
  EXPECT_EQ(ErrorOf("interval { interval { seconds: 60 } phase { nanos: 1000000000 } }"),
            "invalid schedule spec: interval[0].phase is not a valid duration");
  EXPECT_EQ(ErrorOf(R"(cron_string: "@every 10m/10m")"),
            "invalid schedule spec: interval[0]: phase 10m is not shorter than the interval 10m");
  EXPECT_EQ(ErrorOf(R"(cron_string: "@every -1h")"),
            "invalid schedule spec: interval[0]: interval -1h is shorter than 1s");
}

TEST(CanonicalizeSpecTest, TimeZoneErrors) {
  EXPECT_EQ(ErrorOf(R"(timezone_name: "Mars/Olympus_Mons")"),
            "invalid schedule spec: timezone_name \"Mars/Olympus_Mons\": unknown time zone");
  EXPECT_EQ(ErrorOf(R"(cron_string: "CRON_TZ=Nowhere 0 0 * * *")"),
            "invalid schedule spec: timezone_name \"Nowhere\": unknown time zone");
  // Not names abseil would otherwise take as a file path or a fixed offset.
  for (const char* name :
       {"/etc/passwd", "../zoneinfo/UTC", "file:/etc/localtime", "Fixed/UTC+05:00:00"}) {
    EXPECT_THAT(ErrorOf(std::string("timezone_name: \"") + name + "\""),
                HasSubstr("unknown time zone"))
        << name;
  }
  EXPECT_EQ(ErrorOf(R"(timezone_name: "America/New_York" timezone_data: "TZif2")"),
            "invalid schedule spec: timezone_data is not supported by this server; use "
            "timezone_name");
  for (const char* name : {"UTC", "Etc/UTC", "America/New_York", "Asia/Kolkata", "US/Pacific"}) {
    EXPECT_EQ(ErrorOf(std::string("timezone_name: \"") + name + "\""), "OK") << name;
  }
}

TEST(WithExplicitRangesTest, FillsEndAndStepAsTemporalDescribes) {
  absl::StatusOr<sv1::ScheduleSpec> canonical = CanonicalizeSpec(Spec(R"(
      cron_string: "5 */2 * * *"
      exclude_structured_calendar { hour { start: 18 end: 3 } })"));
  ASSERT_TRUE(canonical.ok()) << canonical.status();
  const sv1::ScheduleSpec described = WithExplicitRanges(*canonical);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(described, Spec(R"(
      structured_calendar {
        second { step: 1 } minute { start: 5 end: 5 step: 1 } hour { end: 23 step: 2 }
        day_of_month { start: 1 end: 31 step: 1 } month { start: 1 end: 12 step: 1 }
        day_of_week { end: 6 step: 1 } }
      exclude_structured_calendar { hour { start: 18 end: 18 step: 1 } })")))
      << described.ShortDebugString();
}

TEST(NextTest, IntervalsAreAlignedToTheEpoch) {
  // Temporal spec_test.go TestSpecIntervalBasic / Phase / Multiple.
  EXPECT_THAT(Sequence(Spec("interval { interval { seconds: 5400 } }"),
                       "2022-03-23T12:53:02.000000009Z", 4),
              ElementsAre("2022-03-23T13:30:00Z", "2022-03-23T15:00:00Z", "2022-03-23T16:30:00Z",
                          "2022-03-23T18:00:00Z"));
  EXPECT_THAT(Sequence(Spec("interval { interval { seconds: 5400 } phase { seconds: 344 } }"),
                       "2022-03-23T12:53:02.000000009Z", 4),
              ElementsAre("2022-03-23T13:35:44Z", "2022-03-23T15:05:44Z", "2022-03-23T16:35:44Z",
                          "2022-03-23T18:05:44Z"));
  EXPECT_THAT(Sequence(Spec("interval { interval { seconds: 5400 } phase { seconds: 344 } } "
                            "interval { interval { seconds: 9420 } phase { seconds: 1331 } }"),
                       "2022-03-23T12:53:02.000000009Z", 7),
              ElementsAre("2022-03-23T13:35:44Z", "2022-03-23T15:05:44Z", "2022-03-23T15:26:11Z",
                          "2022-03-23T16:35:44Z", "2022-03-23T18:03:11Z", "2022-03-23T18:05:44Z",
                          "2022-03-23T19:35:44Z"));
  // @every with a phase: 00:30, 02:30, ... whatever the start.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "@every 2h/30m")"), "2026-01-01T01:00:00Z", 2),
              ElementsAre("2026-01-01T02:30:00Z", "2026-01-01T04:30:00Z"));
  // Sub-second intervals are truncated: 1.5s fires every second.
  EXPECT_THAT(Sequence(Spec("interval { interval { seconds: 1 nanos: 500000000 } }"),
                       "2026-01-01T00:00:00.5Z", 2),
              ElementsAre("2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"));
}

TEST(NextTest, CalendarsAndCronStrings) {
  // Temporal spec_test.go TestSpecCalendarBasic / Multiple / AndCron / MixedCalendarInterval.
  EXPECT_THAT(Sequence(Spec(R"(calendar { hour: "5,7" minute: "23" })"), "2022-03-23T03:00:00Z", 4),
              ElementsAre("2022-03-23T05:23:00Z", "2022-03-23T07:23:00Z", "2022-03-24T05:23:00Z",
                          "2022-03-24T07:23:00Z"));
  EXPECT_THAT(Sequence(Spec(R"(calendar { hour: "5,7" minute: "23" }
                               cron_string: "55 11,13 * * *")"),
                       "2022-03-23T03:00:00Z", 5),
              ElementsAre("2022-03-23T05:23:00Z", "2022-03-23T07:23:00Z", "2022-03-23T11:55:00Z",
                          "2022-03-23T13:55:00Z", "2022-03-24T05:23:00Z"));
  EXPECT_THAT(Sequence(Spec(R"(calendar { hour: "11,13" minute: "55" }
                               interval { interval { seconds: 5400 } phase { seconds: 420 } })"),
                       "2022-03-23T10:00:00Z", 6),
              ElementsAre("2022-03-23T10:37:00Z", "2022-03-23T11:55:00Z", "2022-03-23T12:07:00Z",
                          "2022-03-23T13:37:00Z", "2022-03-23T13:55:00Z", "2022-03-23T15:07:00Z"));
  // Steps: 5/20 is 5,25,45; 10-12/2 is 10 and 12.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "5/20 10-12/2 * * *")"), "2026-01-01T00:00:00Z", 7),
              ElementsAre("2026-01-01T10:05:00Z", "2026-01-01T10:25:00Z", "2026-01-01T10:45:00Z",
                          "2026-01-01T12:05:00Z", "2026-01-01T12:25:00Z", "2026-01-01T12:45:00Z",
                          "2026-01-02T10:05:00Z"));
  // Seconds, names, and a month/weekday filter that skips to the next year.
  EXPECT_THAT(
      Sequence(Spec(R"(calendar { second: "*/20" hour: "9" day_of_week: "mon-fri" month: "jan" })"),
               "2026-01-30T09:00:00Z", 3),
      ElementsAre("2026-01-30T09:00:20Z", "2026-01-30T09:00:40Z", "2027-01-01T09:00:00Z"));
  // Day 7 is Sunday.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "0 0 * * 7")"), "2026-01-01T00:00:00Z", 2),
              ElementsAre("2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"));
  // Temporal's 1-7 leaves Sunday (2026-01-04) out.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "0 0 * * 1-7")"), "2026-01-02T12:00:00Z", 2),
              ElementsAre("2026-01-03T00:00:00Z", "2026-01-05T00:00:00Z"));
}

TEST(NextTest, DayOfMonthAndDayOfWeekMustBothMatch) {
  // Unlike cron's OR, "13 and Friday": Friday the 13ths only.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "0 0 13 * fri")"), "2026-01-01T00:00:00Z", 3),
              ElementsAre("2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z", "2026-11-13T00:00:00Z"));
}

TEST(NextTest, LeapDaysAndYears) {
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "0 0 29 2 *")"), "2026-01-01T00:00:00Z", 3),
              ElementsAre("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"));
  // 2100 is not a leap year, and nothing is selected past 2100.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "0 0 29 2 * 2096-2100")"), "2026-01-01T00:00:00Z", 3),
              ElementsAre("2096-02-29T00:00:00Z", "none"));
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "0 0 29 2 * 2097-2100")"), "2026-01-01T00:00:00Z", 1),
              ElementsAre("none"));
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "0 12 * * 5 2026-2030")"), "2030-12-20T00:00:00Z", 3),
              ElementsAre("2030-12-20T12:00:00Z", "2030-12-27T12:00:00Z", "none"));
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "*/15 * * * * 2100")"), "2100-12-31T23:30:00Z", 2),
              ElementsAre("2100-12-31T23:45:00Z", "none"));
  // Intervals stop at 2100 too.
  EXPECT_THAT(Sequence(Spec("interval { interval { seconds: 86400 } }"), "2100-12-30T12:00:00Z", 2),
              ElementsAre("2100-12-31T00:00:00Z", "none"));
}

TEST(NextTest, TimeZones) {
  // 09:00 in Kolkata (+05:30) is 03:30 UTC.
  EXPECT_THAT(
      Sequence(Spec(R"(cron_string: "CRON_TZ=Asia/Kolkata 0 9 * * *")"), "2026-01-01T00:00:00Z", 2),
      ElementsAre("2026-01-01T03:30:00Z", "2026-01-02T03:30:00Z"));
  // Temporal calendar_test.go TestCalendarNextBasic: crossing a DST change away from it.
  EXPECT_THAT(Sequence(Spec(R"(calendar { second: "55" minute: "55" hour: "5"
                                          day_of_week: "wed-thurs" day_of_month: "2/2" }
                               timezone_name: "US/Pacific")"),
                       "2022-03-02T13:55:55Z", 2),
              ElementsAre("2022-03-10T13:55:55Z", "2022-03-16T12:55:55Z"));
  // Temporal calendar_test.go TestCalendarDSTStartInRepeatedHourButNotEnd.
  EXPECT_THAT(Sequence(Spec(R"(calendar { second: "0" minute: "1" hour: "0" day_of_month: "2"
                                          month: "Jan" day_of_week: "Sun" }
                               timezone_name: "Europe/London")"),
                       "2004-10-31T01:07:03Z", 1),
              ElementsAre("2005-01-02T00:01:00Z"));
}

TEST(NextTest, SpringForwardSkipsTheMissingHour) {
  // America/New_York, 2026-03-08: 02:00 EST (07:00Z) jumps to 03:00 EDT. 02:30 does not exist
  // that day, so a daily 02:30 skips it (Temporal documents this in the ScheduleSpec proto).
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=America/New_York 30 2 * * *")"),
                       "2026-03-06T00:00:00Z", 4),
              ElementsAre("2026-03-06T07:30:00Z", "2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z",
                          "2026-03-10T06:30:00Z"));
  // Every 20 minutes from 01:00 to 03:59: 01:00-01:40 EST, then straight to 03:00 EDT.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=America/New_York */20 1-3 * * *")"),
                       "2026-03-08T05:30:00Z", 8),
              ElementsAre("2026-03-08T06:00:00Z", "2026-03-08T06:20:00Z", "2026-03-08T06:40:00Z",
                          "2026-03-08T07:00:00Z", "2026-03-08T07:20:00Z", "2026-03-08T07:40:00Z",
                          "2026-03-09T05:00:00Z", "2026-03-09T05:20:00Z"));
  // Temporal calendar_test.go TestCalendarNextDST, spring forward in US/Pacific.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=US/Pacific 33 33 2 * * * *")"),
                       "2022-03-12T04:00:00Z", 2),
              ElementsAre("2022-03-12T10:33:33Z", "2022-03-14T09:33:33Z"));
}

TEST(NextTest, FallBackRepeatsTheDoubledHour) {
  // America/New_York, 2026-11-01: 02:00 EDT (06:00Z) falls back to 01:00 EST, so 01:30 happens
  // at 05:30Z and again at 06:30Z, and a daily 01:30 fires twice.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=America/New_York 30 1 * * *")"),
                       "2026-10-31T00:00:00Z", 4),
              ElementsAre("2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z",
                          "2026-11-02T06:30:00Z"));
  // From inside the first 01:xx (05:45Z) and the second (06:10Z).
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=America/New_York 30 1 * * *")"),
                       "2026-11-01T05:45:00Z", 2),
              ElementsAre("2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"));
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=America/New_York 30 1 * * *")"),
                       "2026-11-01T06:10:00Z", 1),
              ElementsAre("2026-11-01T06:30:00Z"));
  // Hourly: 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=America/New_York 0 * * * *")"),
                       "2026-11-01T03:00:00Z", 4),
              ElementsAre("2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z",
                          "2026-11-01T07:00:00Z"));
  // Temporal calendar_test.go TestCalendarNextDST, fall back in US/Pacific.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=US/Pacific 33 33,44 1 * * * *")"),
                       "2021-11-07T07:15:15Z", 5),
              ElementsAre("2021-11-07T08:33:33Z", "2021-11-07T08:44:33Z", "2021-11-07T09:33:33Z",
                          "2021-11-07T09:44:33Z", "2021-11-08T09:33:33Z"));
  // East of UTC too (Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00Z),
  // as the proto documents; Temporal's implementation fires only the second 02:30 here (see
  // services/scheduler/README.md).
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=Europe/Berlin 30 2 * * *")"),
                       "2026-10-24T12:00:00Z", 3),
              ElementsAre("2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"));
  // An exclusion of the local hour 01:xx covers both copies of it.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "CRON_TZ=America/New_York 15 1 * * *"
                               exclude_calendar { day_of_month: "1" month: "11" hour: "1"
                                                  minute: "*" second: "*" })"),
                       "2026-10-31T12:00:00Z", 2),
              ElementsAre("2026-11-02T06:15:00Z", "2026-11-03T06:15:00Z"));
}

TEST(NextTest, Exclusions) {
  // Temporal spec_test.go TestSpecExclude (with its jitter values).
  EXPECT_THAT(Sequence(Spec(R"(interval { interval { seconds: 5400 } }
                               exclude_calendar { hour: "12-14" minute: "*" second: "*" }
                               jitter { seconds: 1 })"),
                       "2022-03-23T08:00:00Z", 4),
              ElementsAre("2022-03-23T09:00:00.235Z", "2022-03-23T10:30:00.139Z",
                          "2022-03-23T15:00:00.089Z", "2022-03-23T16:30:00.687Z"));
  // Berlin business hours every 30 minutes, lunch hour (12:xx local, CET) excluded.
  EXPECT_THAT(Sequence(Spec(R"(structured_calendar {
                                 second {} minute { end: 59 step: 30 } hour { start: 9 end: 17 }
                                 day_of_month { start: 1 end: 31 } month { start: 1 end: 12 }
                                 day_of_week { start: 1 end: 5 } }
                               exclude_structured_calendar {
                                 second {} minute { end: 59 } hour { start: 12 }
                                 day_of_month { start: 1 end: 31 } month { start: 1 end: 12 }
                                 day_of_week { end: 6 } }
                               timezone_name: "Europe/Berlin")"),
                       "2026-03-27T10:00:00Z", 4),
              ElementsAre("2026-03-27T10:30:00Z", "2026-03-27T12:00:00Z", "2026-03-27T12:30:00Z",
                          "2026-03-27T13:00:00Z"));
  // Temporal spec_test.go TestExcludeAll: a weekly interval, every second excluded.
  EXPECT_THAT(Sequence(Spec(R"(interval { interval { seconds: 604800 } }
                               exclude_calendar { second: "*" minute: "*" hour: "*" })"),
                       "2022-03-23T12:53:02Z", 1),
              ElementsAre("none"));
}

TEST(NextTest, TooManyExcludedCandidatesIsAnError) {
  // Every second, every second excluded: Temporal searches to 2100 unless its limit is on.
  const CompiledSpec spec = Compile(Spec(R"(cron_string: "* * * * * * *"
                                            exclude_calendar { second: "*" minute: "*" hour: "*" })"));
  absl::StatusOr<std::optional<CompiledSpec::Fire>> fire = spec.Next(T("2026-01-01T00:00:00Z"), "");
  EXPECT_EQ(fire.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fire.status().message(),
            "invalid schedule spec: exclusions rejected more than 10000000 candidate times in a "
            "row; narrow the exclude calendars");
}

TEST(NextTest, StartAndEndTimes) {
  // Temporal spec_test.go TestSpecStartTime, TestSpecStartTimeMinusOneSecond, TestSpecEndTime.
  EXPECT_THAT(Sequence(Spec(R"(interval { interval { seconds: 5400 } }
                               start_time { seconds: 1648036800 }
                               jitter { seconds: 1 })"),
                       "2022-03-23T08:00:00Z", 3),
              ElementsAre("2022-03-23T12:00:00.162Z", "2022-03-23T13:30:00.587Z",
                          "2022-03-23T15:00:00.089Z"));
  EXPECT_THAT(Sequence(Spec(R"(interval { interval { seconds: 3600 } }
                               start_time { seconds: 1648036800 nanos: 456000000 })"),
                       "2022-03-23T12:00:00.123Z", 1),
              ElementsAre("2022-03-23T13:00:00Z"));
  EXPECT_THAT(Sequence(Spec(R"(interval { interval { seconds: 5400 } }
                               end_time { seconds: 1648044000 }
                               jitter { seconds: 1 })"),
                       "2022-03-23T11:00:00Z", 3),
              ElementsAre("2022-03-23T12:00:00.162Z", "2022-03-23T13:30:00.587Z", "none"));
  // start_time and end_time are inclusive.
  EXPECT_THAT(
      Sequence(Spec(R"(interval { interval { seconds: 3600 } phase { seconds: 1140 } }
                               start_time { seconds: 1767263400 }
                               end_time { seconds: 1767273540 })"),
               "2026-01-01T00:00:00Z", 4),
      ElementsAre("2026-01-01T11:19:00Z", "2026-01-01T12:19:00Z", "2026-01-01T13:19:00Z", "none"));
  // End before start: nothing, but valid.
  EXPECT_THAT(Sequence(Spec(R"(interval { interval { seconds: 60 } }
                               start_time { seconds: 1767263400 } end_time { seconds: 1767000000 })"),
                       "2026-01-01T00:00:00Z", 1),
              ElementsAre("none"));
}

TEST(NextTest, NothingToMatchNeverFires) {
  EXPECT_THAT(Sequence(Spec(""), "2026-01-01T00:00:00Z", 1), ElementsAre("none"));
  // A structured calendar field left empty matches nothing (only year defaults to all).
  EXPECT_THAT(
      Sequence(Spec("structured_calendar { hour { start: 5 } }"), "2026-01-01T00:00:00Z", 1),
      ElementsAre("none"));
  EXPECT_THAT(Sequence(Spec("structured_calendar { second {} minute {} hour { start: 5 } "
                            "day_of_month { start: 30 end: 31 } month { start: 2 } "
                            "day_of_week { end: 6 } }"),
                       "2026-01-01T00:00:00Z", 1),
              ElementsAre("none"));
}

TEST(NextTest, JitterMatchesTemporal) {
  // Temporal spec_test.go TestSpecJitterSeed, TestSpecBoundedJitter, TestSpecJitterSingleRun.
  const sv1::ScheduleSpec daily =
      Spec("interval { interval { seconds: 86400 } } jitter { seconds: 3600 }");
  EXPECT_THAT(Sequence(daily, "2022-03-23T11:00:00Z", 1, ""),
              ElementsAre("2022-03-24T00:35:24.276Z"));
  EXPECT_THAT(Sequence(daily, "2022-03-23T11:00:00Z", 1, "seed-1"),
              ElementsAre("2022-03-24T00:06:12.519Z"));
  EXPECT_THAT(Sequence(daily, "2022-03-23T11:00:00Z", 1, "seed-2"),
              ElementsAre("2022-03-24T00:39:16.922Z"));
  // A day of jitter on a 90-minute interval stays below the next nominal time.
  EXPECT_THAT(Sequence(Spec("interval { interval { seconds: 5400 } } jitter { seconds: 86400 }"),
                       "2022-03-23T11:00:00Z", 3),
              ElementsAre("2022-03-23T12:14:36.524Z", "2022-03-23T14:22:54.562Z",
                          "2022-03-23T15:08:03.724Z"));
  // A single run has no next nominal time, so the whole jitter applies.
  EXPECT_THAT(Sequence(Spec(R"(calendar { hour: "13" minute: "55" day_of_month: "7" month: "4"
                                          year: "2022" })"),
                       "2022-03-23T11:00:00Z", 2),
              ElementsAre("2022-04-07T13:55:00Z", "none"));
  EXPECT_THAT(Sequence(Spec(R"(calendar { hour: "13" minute: "55" day_of_month: "7" month: "4"
                                          year: "2022" }
                               jitter { seconds: 3600 })"),
                       "2022-03-23T11:00:00Z", 1),
              ElementsAre("2022-04-07T13:57:26.927Z"));
  // A long seed (as "<namespace id>-<schedule id>" is) and a cron @every with a phase.
  EXPECT_THAT(Sequence(Spec(R"(cron_string: "@every 2h/30m" jitter { seconds: 10800 })"),
                       "2026-01-01T00:00:00Z", 4, "s"),
              ElementsAre("2026-01-01T01:25:23.963Z", "2026-01-01T03:55:33.035Z",
                          "2026-01-01T06:01:26.193Z", "2026-01-01T08:07:26.762Z"));
  // Negative jitter means none.
  EXPECT_THAT(Sequence(Spec("interval { interval { seconds: 60 } } jitter { seconds: -60 }"),
                       "2026-01-01T00:00:00Z", 1),
              ElementsAre("2026-01-01T00:01:00Z"));
}

TEST(NextTest, JitterIsBoundedAndDeterministic) {
  const CompiledSpec spec = Compile(Spec(R"(cron_string: "*/7 * * * *" jitter { seconds: 600 })"));
  TimePoint after = T("2026-05-01T00:00:00Z");
  std::set<int64_t> distinct;
  for (int i = 0; i < 500; ++i) {
    absl::StatusOr<std::optional<CompiledSpec::Fire>> fire = spec.Next(after, "ns-schedule");
    ASSERT_TRUE(fire.ok() && fire->has_value());
    const CompiledSpec::Fire f = **fire;
    const auto jitter = f.actual - f.nominal;
    EXPECT_GE(jitter, TimePoint::duration(0));
    // Bounded by the jitter and by the next nominal time.
    EXPECT_LT(jitter, std::chrono::minutes(10));
    absl::StatusOr<std::optional<CompiledSpec::Fire>> following = spec.Next(f.nominal, "x");
    ASSERT_TRUE(following.ok() && following->has_value());
    EXPECT_LT(f.actual, (*following)->nominal) << Format(f.nominal);
    EXPECT_EQ(jitter % std::chrono::milliseconds(1), TimePoint::duration(0));
    distinct.insert((jitter / std::chrono::milliseconds(1)));
    // The same nominal time and seed always give the same actual time, from any `after`.
    absl::StatusOr<std::optional<CompiledSpec::Fire>> again =
        spec.Next(f.nominal - std::chrono::seconds(1), "ns-schedule");
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_EQ(**again, f);
    after = f.actual;
  }
  EXPECT_GT(distinct.size(), 400u);
  // Another seed jitters differently.
  absl::StatusOr<std::optional<CompiledSpec::Fire>> a = spec.Next(T("2026-05-01T00:00:00Z"), "a");
  absl::StatusOr<std::optional<CompiledSpec::Fire>> b = spec.Next(T("2026-05-01T00:00:00Z"), "b");
  ASSERT_TRUE(a.ok() && b.ok() && a->has_value() && b->has_value());
  EXPECT_EQ((*a)->nominal, (*b)->nominal);
  EXPECT_NE((*a)->actual, (*b)->actual);
}

TEST(NextTest, NominalIsStrictlyAfter) {
  const CompiledSpec spec = Compile(Spec(R"(cron_string: "0 * * * *")"));
  for (const char* after : {"2026-01-01T09:59:59.999Z", "2026-01-01T09:00:00Z",
                            "2026-01-01T09:00:00.001Z", "2026-01-01T09:30:00Z"}) {
    absl::StatusOr<std::optional<CompiledSpec::Fire>> fire = spec.Next(T(after), "");
    ASSERT_TRUE(fire.ok() && fire->has_value());
    EXPECT_EQ(Format((*fire)->nominal), "2026-01-01T10:00:00Z") << after;
  }
}

TEST(MatchingTimesTest, ActualTimesInTheRange) {
  const CompiledSpec spec = Compile(Spec(R"(cron_string: "@every 1d"
                                            cron_string: "0 12 * * *"
                                            jitter { seconds: 86400 })"));
  absl::StatusOr<std::vector<TimePoint>> times =
      spec.MatchingTimes(T("2026-01-01T00:00:00Z"), T("2026-01-03T00:00:00Z"), "s");
  ASSERT_TRUE(times.ok()) << times.status();
  std::vector<std::string> formatted;
  for (TimePoint t : *times) formatted.push_back(Format(t));
  // Jitter is bounded by the 12 hours to the next nominal time; the 2026-01-03T00:00 run lands
  // at 07:35:50, past the end.
  EXPECT_THAT(formatted, ElementsAre("2026-01-01T15:31:55.575Z", "2026-01-02T01:18:26.852Z",
                                     "2026-01-02T15:06:33.048Z"));

  // At most 1000 times.
  const CompiledSpec every_second = Compile(Spec(R"(cron_string: "* * * * * * *")"));
  times = every_second.MatchingTimes(T("2026-01-01T00:00:00Z"), T("2026-02-01T00:00:00Z"), "");
  ASSERT_TRUE(times.ok());
  ASSERT_EQ(times->size(), 1000u);
  EXPECT_EQ(Format(times->back()), "2026-01-01T00:16:40Z");
  // The start is exclusive, the end inclusive.
  times = every_second.MatchingTimes(T("2026-01-01T00:00:00Z"), T("2026-01-01T00:00:02Z"), "");
  ASSERT_TRUE(times.ok());
  EXPECT_EQ(times->size(), 2u);
}

TEST(CompileTest, AcceptsEitherFormAndExposesTheCanonicalOne) {
  absl::StatusOr<CompiledSpec> compiled =
      CompiledSpec::Compile(Spec(R"(cron_string: "CRON_TZ=Asia/Kolkata @hourly")"));
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ(compiled->canonical().cron_string_size(), 0);
  EXPECT_EQ(compiled->canonical().structured_calendar_size(), 1);
  EXPECT_EQ(compiled->canonical().timezone_name(), "Asia/Kolkata");
  EXPECT_EQ(CompiledSpec::Compile(Spec(R"(cron_string: "61 * * * *")")).status().message(),
            "invalid schedule spec: cron_string \"61 * * * *\": minute 61 is out of range 0-59");
}

}  // namespace
}  // namespace tern::scheduler
