#include "common/clock.h"

namespace tern {

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
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

google::protobuf::Duration ToProtoDuration(std::chrono::nanoseconds d) {
  google::protobuf::Duration out;
  out.set_seconds(d.count() / 1'000'000'000);
  out.set_nanos(static_cast<int32_t>(d.count() % 1'000'000'000));
  return out;
}

std::chrono::nanoseconds FromProto(const google::protobuf::Duration& d) {
  return std::chrono::seconds(d.seconds()) + std::chrono::nanoseconds(d.nanos());
}

Millis ToMillis(const google::protobuf::Duration& d) {
  return std::chrono::duration_cast<Millis>(FromProto(d));
}

bool IsValidDuration(const google::protobuf::Duration& d) {
  return d.seconds() >= 0 && d.nanos() >= 0 && d.nanos() < 1'000'000'000;
}

}  // namespace tern
