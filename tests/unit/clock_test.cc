// Deadlines from clients' durations saturate at the ends of TimePoint's range (common/clock.h).
#include "common/clock.h"

#include <gtest/gtest.h>

namespace tern {
namespace {

using std::chrono::hours;
using std::chrono::nanoseconds;

google::protobuf::Duration Years(int64_t years) {
  google::protobuf::Duration d;
  d.set_seconds(years * 365 * 24 * 3600);
  return d;
}

TEST(AddSaturatingTest, AddsWithinRange) {
  TimePoint t = FromProto(google::protobuf::Timestamp());  // 1970
  EXPECT_EQ(AddSaturating(t, hours(24)), t + hours(24));
  EXPECT_EQ(AddSaturating(t, Years(1)), t + hours(365 * 24));
}

TEST(AddSaturatingTest, ATimeoutOfCenturiesStaysInTheFuture) {
  google::protobuf::Timestamp now;
  now.set_seconds(1'796'000'000);  // December 2026
  TimePoint t = FromProto(now);
  // 250 years (Temporal's cap) from 2026 passes 2262, the end of nanoseconds since 1970.
  EXPECT_EQ(AddSaturating(t, Years(250)), TimePoint::max());
  EXPECT_EQ(AddSaturating(t, Years(10'000)), TimePoint::max());
  EXPECT_EQ(AddSaturating(TimePoint::max(), nanoseconds::max()), TimePoint::max());
}

TEST(AddSaturatingTest, SaturatesBelowTheStartOfTheRangeToo) {
  EXPECT_EQ(AddSaturating(TimePoint::min(), nanoseconds(-1)), TimePoint::min());
}

TEST(MicrosTest, MicrosecondsSinceTheEpochAndBack) {
  EXPECT_EQ(ToMicros(TimePoint{}), 0);
  TimePoint t = FromMicros(1'796'547'907'000'042);
  EXPECT_EQ(ToMicros(t), 1'796'547'907'000'042);
  EXPECT_EQ(t.time_since_epoch(), std::chrono::microseconds(1'796'547'907'000'042));
  EXPECT_EQ(ToMicros(FromMicros(-1)), -1);  // before 1970 too
  // Finer than a microsecond is dropped toward zero.
  EXPECT_EQ(ToMicros(TimePoint{} + nanoseconds(1999)), 1);
}

}  // namespace
}  // namespace tern
