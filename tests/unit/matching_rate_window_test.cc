// RateWindow (services/matching/rate_window.h): events per second over the last 30 seconds, or
// over the time since counting began while that is shorter.
#include <gtest/gtest.h>

#include "services/matching/rate_window.h"

namespace tern::matching {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart = TimePoint() + seconds(1'000'000);

TEST(RateWindowTest, NothingRecordedIsZero) {
  RateWindow rate(kStart);
  EXPECT_EQ(rate.PerSecond(kStart), 0);
  EXPECT_EQ(rate.PerSecond(kStart + seconds(100)), 0);
}

TEST(RateWindowTest, AveragesOverTheTimeSinceStartUntilTheWindowIsFull) {
  RateWindow rate(kStart);
  rate.Record(kStart + milliseconds(200), 3);
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + milliseconds(500)), 3) << "at least one second";
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + seconds(10)), 0.3);
  rate.Record(kStart + seconds(20), 6);
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + seconds(29)), 9.0 / 29);
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + seconds(30)), 6.0 / 30) << "second 0 left the window";
}

TEST(RateWindowTest, EventsLeaveTheWindowAfterThirtySeconds) {
  RateWindow rate(kStart);
  rate.Record(kStart + seconds(5), 30);
  rate.Record(kStart + seconds(20), 15);
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + seconds(34)), 45.0 / 30);
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + seconds(35)), 15.0 / 30) << "second 5 is 30 s old";
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + seconds(49)), 15.0 / 30);
  EXPECT_EQ(rate.PerSecond(kStart + seconds(50)), 0);
}

TEST(RateWindowTest, ABucketReusedAfterAWrapStartsFromZero) {
  RateWindow rate(kStart);
  rate.Record(kStart + seconds(1), 100);
  rate.Record(kStart + seconds(31), 1);  // the same bucket, 30 s later
  EXPECT_DOUBLE_EQ(rate.PerSecond(kStart + seconds(31)), 1.0 / 30);
}

}  // namespace
}  // namespace tern::matching
