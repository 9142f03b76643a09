#include "common/clock.h"

#include <limits>

namespace tern {
namespace {

// seconds * 10^9 + nanos, clamped to the range of nanoseconds (about 292 years either way): the
// protobuf types reach 10,000 years, and any int64 arrives from a client.
std::chrono::nanoseconds SaturatingNanos(int64_t seconds, int32_t nanos) {
  using std::chrono::nanoseconds;
  const __int128 total = static_cast<__int128>(seconds) * 1'000'000'000 + nanos;
  if (total > nanoseconds::max().count()) return nanoseconds::max();
  if (total < nanoseconds::min().count()) return nanoseconds::min();
  return nanoseconds(static_cast<int64_t>(total));
}

}  // namespace

google::protobuf::Timestamp ToProto(TimePoint t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  google::protobuf::Timestamp ts;
  int64_t seconds = ns / 1'000'000'000;
  int64_t nanos = ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(nanos));
  return ts;
}

TimePoint FromProto(const google::protobuf::Timestamp& t) {
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(SaturatingNanos(t.seconds(), t.nanos())));
}

google::protobuf::Duration ToProtoDuration(std::chrono::nanoseconds d) {
  google::protobuf::Duration out;
  out.set_seconds(d.count() / 1'000'000'000);
  out.set_nanos(static_cast<int32_t>(d.count() % 1'000'000'000));
  return out;
}

std::chrono::nanoseconds FromProto(const google::protobuf::Duration& d) {
  return SaturatingNanos(d.seconds(), d.nanos());
}

Millis ToMillis(const google::protobuf::Duration& d) {
  return std::chrono::duration_cast<Millis>(FromProto(d));
}

TimePoint AddSaturating(TimePoint t, std::chrono::nanoseconds d) {
  using Rep = TimePoint::duration::rep;
  const __int128 total = static_cast<__int128>(t.time_since_epoch().count()) +
                         std::chrono::duration_cast<TimePoint::duration>(d).count();
  if (total > std::numeric_limits<Rep>::max()) return TimePoint::max();
  if (total < std::numeric_limits<Rep>::min()) return TimePoint::min();
  return TimePoint(TimePoint::duration(static_cast<Rep>(total)));
}

TimePoint AddSaturating(TimePoint t, const google::protobuf::Duration& d) {
  return AddSaturating(t, FromProto(d));
}

bool IsValidDuration(const google::protobuf::Duration& d) {
  return d.seconds() >= 0 && d.nanos() >= 0 && d.nanos() < 1'000'000'000;
}

}  // namespace tern
