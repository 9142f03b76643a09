// Helpers shared by the tern::scheduler unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"
#include "services/scheduler/spec.h"

namespace tern::scheduler::testing {

// A ScheduleSpec from text format.
inline sv1::ScheduleSpec Spec(const std::string& text) {
  google::protobuf::LogSilencer quiet;  // exclude_calendar is deprecated, and tested
  sv1::ScheduleSpec spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec)) << text;
  return spec;
}

// RFC 3339, e.g. "2026-03-08T06:30:00Z".
inline TimePoint T(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << text << ": " << error;
  return absl::ToChronoTime(t);
}

// RFC 3339 in UTC, with milliseconds only when there are some.
inline std::string Format(TimePoint t) {
  std::string text =
      absl::FormatTime("%Y-%m-%d%ET%H:%M:%S", absl::FromChrono(t), absl::UTCTimeZone());
  const auto since_epoch = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch());
  const int64_t millis = (since_epoch % std::chrono::seconds(1)).count();
  if (millis != 0) text += absl::StrFormat(".%03d", millis);
  return text + "Z";
}

inline CompiledSpec Compile(const sv1::ScheduleSpec& spec) {
  absl::StatusOr<CompiledSpec> compiled = CompiledSpec::Compile(spec);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return compiled.ok() ? *std::move(compiled) : *CompiledSpec::Compile(sv1::ScheduleSpec());
}

// Up to `count` successive actual fire times after `after`, each search starting from the
// previous actual time (as Temporal's tests and its schedule workflow chain them), then "none"
// if the spec runs out.
inline std::vector<std::string> Sequence(const sv1::ScheduleSpec& spec, const std::string& after,
                                         int count, const std::string& seed = "") {
  const CompiledSpec compiled = Compile(spec);
  std::vector<std::string> out;
  TimePoint t = T(after);
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::optional<CompiledSpec::Fire>> fire = compiled.Next(t, seed);
    EXPECT_TRUE(fire.ok()) << fire.status();
    if (!fire.ok() || !fire->has_value()) {
      out.push_back("none");
      break;
    }
    out.push_back(Format((*fire)->actual));
    t = (*fire)->actual;
  }
  return out;
}

}  // namespace tern::scheduler::testing
