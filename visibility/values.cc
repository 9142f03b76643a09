#include "visibility/values.h"

#include <array>
#include <cctype>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "visibility/errors.h"

namespace tern::visibility {
namespace {

namespace enums = temporal::api::enums::v1;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

struct DurationUnit {
  std::string_view suffix;
  int64_t nanos;
};
constexpr std::array<DurationUnit, 9> kDurationUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 MICRO SIGN
    {"\xCE\xBCs", 1'000},  // U+03BC GREEK SMALL LETTER MU
    {"ms", 1'000'000},
    {"s", kNanosPerSecond},
    {"m", 60 * kNanosPerSecond},
    {"h", 3'600 * kNanosPerSecond},
    {"d", 86'400 * kNanosPerSecond},
}};

struct StatusName {
  enums::WorkflowExecutionStatus status;
  std::string_view name;
};
constexpr std::array<StatusName, 8> kStatusNames = {{
    {enums::WORKFLOW_EXECUTION_STATUS_RUNNING, "Running"},
    {enums::WORKFLOW_EXECUTION_STATUS_COMPLETED, "Completed"},
    {enums::WORKFLOW_EXECUTION_STATUS_FAILED, "Failed"},
    {enums::WORKFLOW_EXECUTION_STATUS_CANCELED, "Canceled"},
    {enums::WORKFLOW_EXECUTION_STATUS_TERMINATED, "Terminated"},
    {enums::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, "ContinuedAsNew"},
    {enums::WORKFLOW_EXECUTION_STATUS_TIMED_OUT, "TimedOut"},
    {enums::WORKFLOW_EXECUTION_STATUS_PAUSED, "Paused"},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Accumulates non-negative nanoseconds with overflow detection; the magnitude may reach 2^63 so
// that the most negative int64 stays representable.
class NanosSum {
 public:
  // Adds digits * scale / 10^fraction_digits where `digits` is a run of decimal digits.
  bool Add(std::string_view digits, int64_t scale, int fraction_digits = 0) {
    unsigned __int128 value = 0;
    for (char c : digits) {
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > kLimit * 10) return false;  // far beyond any representable result
    }
    value *= static_cast<unsigned __int128>(scale);
    for (int i = 0; i < fraction_digits; ++i) value /= 10;
    total_ += value;
    return total_ <= kLimit;
  }
  std::optional<int64_t> Signed(bool negative) const {
    if (negative) return static_cast<int64_t>(-static_cast<__int128>(total_));
    if (total_ == kLimit) return std::nullopt;
    return static_cast<int64_t>(total_);
  }

 private:
  static constexpr unsigned __int128 kLimit = static_cast<unsigned __int128>(1) << 63;
  unsigned __int128 total_ = 0;
};

size_t CountDigits(std::string_view text, size_t from) {
  size_t end = from;
  while (end < text.size() && IsDigit(text[end])) ++end;
  return end - from;
}

// "hh:mm:ss[.fraction]" with two-digit minutes and seconds below 60.
std::optional<int64_t> ParseClockDuration(std::string_view text) {
  size_t hours = CountDigits(text, 0);
  if (hours == 0 || text.size() < hours + 6 || text[hours] != ':' || text[hours + 3] != ':' ||
      CountDigits(text, hours + 1) != 2 || CountDigits(text, hours + 4) != 2) {
    return std::nullopt;
  }
  std::string_view minutes = text.substr(hours + 1, 2);
  std::string_view seconds = text.substr(hours + 4, 2);
  if (minutes[0] >= '6' || seconds[0] >= '6') return std::nullopt;
  std::string_view fraction;
  size_t rest = hours + 6;
  if (rest < text.size()) {
    fraction = text.substr(rest + 1);
    if (text[rest] != '.' || fraction.empty() || CountDigits(fraction, 0) != fraction.size()) {
      return std::nullopt;
    }
  }
  NanosSum sum;
  if (!sum.Add(text.substr(0, hours), 3'600 * kNanosPerSecond) ||
      !sum.Add(minutes, 60 * kNanosPerSecond) || !sum.Add(seconds, kNanosPerSecond) ||
      !sum.Add(fraction, kNanosPerSecond, static_cast<int>(fraction.size()))) {
    return std::nullopt;
  }
  return sum.Signed(false);
}

std::optional<int64_t> UnitNanos(std::string_view suffix) {
  std::string lower(suffix);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const DurationUnit& unit : kDurationUnits) {
    if (unit.suffix == lower) return unit.nanos;
  }
  return std::nullopt;
}

// Go's time.ParseDuration grammar plus "d": [-+]?([0-9]*(\.[0-9]*)?unit)+, or a bare integer.
std::optional<int64_t> ParseGoDuration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  NanosSum sum;
  if (CountDigits(text, 0) == text.size()) {
    if (!sum.Add(text, 1)) return std::nullopt;
    return sum.Signed(negative);
  }
  while (!text.empty()) {
    size_t whole = CountDigits(text, 0);
    size_t fraction = 0;
    size_t pos = whole;
    if (pos < text.size() && text[pos] == '.') {
      fraction = CountDigits(text, pos + 1);
      pos += 1 + fraction;
    }
    if (whole + fraction == 0) return std::nullopt;
    size_t unit_end = pos;
    while (unit_end < text.size() && !IsDigit(text[unit_end]) && text[unit_end] != '.') {
      ++unit_end;
    }
    std::optional<int64_t> unit = UnitNanos(text.substr(pos, unit_end - pos));
    std::string_view fraction_digits = fraction > 0 ? text.substr(whole + 1, fraction) : "";
    if (!unit.has_value() || !sum.Add(text.substr(0, whole), *unit) ||
        !sum.Add(fraction_digits, *unit, static_cast<int>(fraction))) {
      return std::nullopt;
    }
    text.remove_prefix(unit_end);
  }
  return sum.Signed(negative);
}

}  // namespace

std::optional<int64_t> ParseDatetimeMicros(std::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &time, &error)) return std::nullopt;
  int64_t micros = absl::ToUnixMicros(time);
  if (micros < kMinDatetimeMicros || micros > kMaxDatetimeMicros) return std::nullopt;
  return micros;
}

int64_t UnixNanosToMicros(int64_t unix_nanos) {
  int64_t micros = unix_nanos / 1000;
  return unix_nanos % 1000 < 0 ? micros - 1 : micros;
}

std::string FormatDatetimeMicros(int64_t unix_micros) {
  // By hand: %Y does not pad years before 1000 to four digits, and this runs for every
  // visibility row written (snprintf was most of its cost).
  absl::Time time = absl::FromUnixMicros(unix_micros);
  absl::TimeZone::CivilInfo civil = absl::UTCTimeZone().At(time);
  std::string text = "0000-00-00T00:00:00.000000Z";
  auto put = [&text](size_t end, int64_t value) {  // digits right-aligned, ending before `end`
    for (size_t i = end; value > 0; value /= 10) text[--i] = static_cast<char>('0' + value % 10);
  };
  put(4, civil.cs.year());
  put(7, civil.cs.month());
  put(10, civil.cs.day());
  put(13, civil.cs.hour());
  put(16, civil.cs.minute());
  put(19, civil.cs.second());
  put(26, absl::ToInt64Microseconds(civil.subsecond));
  return text;
}

std::optional<int64_t> ParseDurationNanos(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return ParseClockDuration(text);
  return ParseGoDuration(text);
}

std::optional<enums::WorkflowExecutionStatus> ParseExecutionStatus(std::string_view text) {
  for (const StatusName& entry : kStatusNames) {
    if (absl::EqualsIgnoreCase(ToAbsl(text), ToAbsl(entry.name)) ||
        absl::EqualsIgnoreCase(ToAbsl(text), enums::WorkflowExecutionStatus_Name(entry.status))) {
      return entry.status;
    }
  }
  return std::nullopt;
}

std::string_view ExecutionStatusName(int status) {
  for (const StatusName& entry : kStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return "Unspecified";
}

}  // namespace tern::visibility
