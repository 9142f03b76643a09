// libFuzzer target for cron schedules (services/history/cron.h); `scripts/fuzz cron` builds and
// runs it, tests/fuzz/README.md says how.
//
// An input is a cron spec, optionally followed by a NUL and up to 16 bytes: two little-endian
// int64 instants in nanoseconds since the Unix epoch (`after`, then `later`; missing bytes are
// zero, and without the NUL `after` is a fixed instant in 2024). A spec that parses must give
//   - Next(after) strictly after `after`;
//   - for `@every d`, `after` truncated to the second plus d, or TimePoint::max() past its range;
//   - for a calendar schedule a whole minute, the same Next() from every instant between
//     `after` and that fire time, and itself again from just before it; TimePoint::max() only
//     when `after` lies within ten years of its end (a valid schedule fires at least once every
//     eight years);
//   - a BackoffToNext of whole seconds, never negative, that from a close before the start
//     waits exactly until the start (start and close are both non-negative, as a run's are).
// An error must be INVALID_ARGUMENT "invalid cron schedule "<spec>": ...".
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/history/cron.h"

namespace {

using std::chrono::nanoseconds;
using tern::TimePoint;
using tern::history::CronSchedule;

// 2024-01-01T00:00:00Z.
constexpr TimePoint kDefaultAfter{std::chrono::seconds(1'704'067'200)};
constexpr auto kTenYears = std::chrono::days(10 * 366);

std::string Show(TimePoint t) { return absl::StrCat(t.time_since_epoch().count(), "ns"); }

[[noreturn]] void Fail(const std::string& spec, std::string_view what, const std::string& detail) {
  std::fprintf(stderr, "cron_fuzz: %.*s\n  spec: \"%s\"\n  %s\n", static_cast<int>(what.size()),
               what.data(), spec.c_str(), detail.c_str());
  std::abort();
}

int64_t ReadInt64(std::string_view bytes) {
  unsigned char buffer[8] = {};
  std::memcpy(buffer, bytes.data(), std::min(bytes.size(), sizeof(buffer)));
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | buffer[i];
  return static_cast<int64_t>(value);
}

void CheckNext(const CronSchedule& schedule, const std::string& spec, TimePoint after,
               TimePoint later) {
  const TimePoint next = schedule.Next(after);
  const std::string at = "after " + Show(after) + ": next " + Show(next);
  if (schedule.every() > std::chrono::seconds(0)) {
    // In seconds, where the sum cannot overflow.
    const auto expected = std::chrono::floor<std::chrono::seconds>(after) + schedule.every();
    const bool beyond = expected > std::chrono::floor<std::chrono::seconds>(TimePoint::max());
    if (beyond ? next != TimePoint::max() : next != expected) {
      Fail(spec, "@every fire time is not after + interval", at);
    }
    if (!beyond && next <= after) Fail(spec, "Next() is not after its argument", at);
    return;
  }
  if (next == TimePoint::max()) {
    if (after < TimePoint::max() - kTenYears) Fail(spec, "no fire time within ten years", at);
    return;
  }
  if (next <= after) Fail(spec, "Next() is not after its argument", at);
  if (next != std::chrono::floor<std::chrono::minutes>(next)) {
    Fail(spec, "fire time is not a whole minute", at);
  }
  if (schedule.Next(next - nanoseconds(1)) != next) {
    Fail(spec, "a fire time is not the next one from just before it", at);
  }
  // Any instant in [after, next) has the same next fire time.
  const uint64_t span = static_cast<uint64_t>((next - after).count());
  const TimePoint between =
      after + nanoseconds(static_cast<uint64_t>(later.time_since_epoch().count()) % span);
  if (schedule.Next(between) != next) {
    Fail(spec, "Next() differs between two instants before the same fire time",
         at + "; from " + Show(between) + ": " + Show(schedule.Next(between)));
  }
}

void CheckBackoff(const CronSchedule& schedule, const std::string& spec, TimePoint start,
                  TimePoint close) {
  const nanoseconds backoff = tern::history::BackoffToNext(schedule, start, close);
  const std::string at = "start " + Show(start) + ", close " + Show(close) + ": backoff " +
                         absl::StrCat(backoff.count(), "ns");
  if (backoff == nanoseconds::max()) return;
  if (backoff < nanoseconds(0)) Fail(spec, "negative backoff", at);
  if (backoff != std::chrono::floor<std::chrono::seconds>(backoff)) {
    Fail(spec, "backoff is not whole seconds", at);
  }
  if (close < start && backoff != std::chrono::ceil<std::chrono::seconds>(start - close)) {
    Fail(spec, "a close before the start does not wait until the start", at);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string spec(input.substr(0, nul));
  TimePoint after = kDefaultAfter;
  TimePoint later = kDefaultAfter + std::chrono::hours(1);
  if (nul != std::string_view::npos) {
    const std::string_view times = input.substr(nul + 1);
    after = TimePoint(nanoseconds(ReadInt64(times)));
    later = TimePoint(nanoseconds(ReadInt64(times.substr(std::min<size_t>(8, times.size())))));
  }

  absl::StatusOr<CronSchedule> schedule = tern::history::ParseCronSchedule(spec);
  if (!schedule.ok()) {
    const std::string prefix = "invalid cron schedule \"" + spec + "\": ";
    if (schedule.status().code() != absl::StatusCode::kInvalidArgument ||
        !absl::StartsWith(schedule.status().message(), prefix)) {
      Fail(spec, "unexpected error", schedule.status().ToString());
    }
    return 0;
  }
  CheckNext(*schedule, spec, after, later);
  // Runs start and close at or after the epoch: fold both instants onto [0, max].
  const auto fold = [](TimePoint t) {
    return TimePoint(nanoseconds(t.time_since_epoch().count() & INT64_MAX));
  };
  CheckBackoff(*schedule, spec, fold(after), fold(later));
  return 0;
}
