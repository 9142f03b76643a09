// Time sources. Components take a Clock& so tests can control time.
#pragma once

#include <chrono>
#include <cstdint>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace tern {

using TimePoint = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  static SystemClock& Instance() {
    static SystemClock clock;
    return clock;
  }
};

// Conversions between std::chrono and the protobuf well-known types. FromProto saturates: a
// value beyond the range of nanoseconds (about 292 years from zero, or from 1970 for a
// Timestamp) becomes its max() or min(), as Go's AsDuration does.
google::protobuf::Timestamp ToProto(TimePoint t);
TimePoint FromProto(const google::protobuf::Timestamp& t);
google::protobuf::Duration ToProtoDuration(std::chrono::nanoseconds d);
std::chrono::nanoseconds FromProto(const google::protobuf::Duration& d);
Millis ToMillis(const google::protobuf::Duration& d);
// A zero/unset duration, the way Temporal spells "no timeout".
inline bool IsZero(const google::protobuf::Duration& d) {
  return d.seconds() == 0 && d.nanos() == 0;
}
bool IsValidDuration(const google::protobuf::Duration& d);  // non-negative, nanos in range

// Microseconds since the Unix epoch, and back: how the database and task keys hold times.
inline int64_t ToMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
inline int64_t ToMicros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;  // nanos are never negative
}
inline TimePoint FromMicros(int64_t micros) {
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(micros)));
}

// t + d, saturating at the ends of TimePoint's range (about the years 1677 and 2262) instead of
// wrapping. Every deadline computed from a client's duration goes through it: Temporal accepts
// timeouts of up to 250 years, which overflow nanoseconds since 1970, and such a timer must
// mean "far in the future", not a time in the past that fires at once.
TimePoint AddSaturating(TimePoint t, std::chrono::nanoseconds d);
TimePoint AddSaturating(TimePoint t, const google::protobuf::Duration& d);

}  // namespace tern
