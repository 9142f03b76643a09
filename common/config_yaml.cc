// The YAML reading helpers shared by every config reader: ${ENV} substitution, address checks,
// the error-collecting Reader and the duration syntax.
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config_internal.h"

namespace tern {
namespace config_internal {
namespace {

constexpr int kMaxReportedErrors = 20;

bool ParsePort(absl::string_view text, int* port) {
  if (text.empty()) return false;
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0 || value > 65535) {
    return false;
  }
  *port = value;
  return true;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

bool IsVarStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsVarChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Substitutes one line. Full-line comments are left alone so that commented-out examples do not
// require their variables to be set.
absl::Status SubstituteLine(absl::string_view line, const std::string& where, std::string* out) {
  absl::string_view stripped = absl::StripLeadingAsciiWhitespace(line);
  if (!stripped.empty() && stripped.front() == '#') {
    absl::StrAppend(out, line);
    return absl::OkStatus();
  }
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] != '$' || i + 1 >= line.size() || line[i + 1] != '{') {
      out->push_back(line[i++]);
      continue;
    }
    size_t close = line.find('}', i + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unterminated variable reference \"", line.substr(i), "\""));
    }
    absl::string_view ref = line.substr(i + 2, close - i - 2);
    size_t name_end = 0;
    while (name_end < ref.size() && IsVarChar(ref[name_end])) ++name_end;
    std::string name(ref.substr(0, name_end));
    absl::string_view rest = ref.substr(name_end);
    bool has_default = absl::StartsWith(rest, ":-");
    if (name.empty() || !IsVarStart(name[0]) || (!rest.empty() && !has_default)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": invalid variable reference \"${",
                                                     ref,
                                                     "}\"; expected ${NAME} or ${NAME:-default}"));
    }
    const char* value = std::getenv(name.c_str());
    if (has_default && (value == nullptr || *value == '\0')) {
      absl::StrAppend(out, rest.substr(2));
    } else if (value != nullptr) {
      out->append(value);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(where, ": environment variable ", name,
                                                     " is not set (write ${", name,
                                                     ":-default} to make it optional)"));
    }
    i = close + 1;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SubstituteEnv(const std::string& text, const std::string& source) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  int line_number = 1;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    absl::Status status = SubstituteLine(absl::string_view(text).substr(start, end - start),
                                         absl::StrCat(source, ":", line_number), &out);
    if (!status.ok()) return status;
    if (end == text.size()) break;
    out.push_back('\n');
    start = end + 1;
    ++line_number;
  }
  return out;
}

absl::StatusOr<YAML::Node> LoadYaml(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (!e.mark.is_null()) absl::StrAppend(&where, ":", e.mark.line + 1, ":", e.mark.column + 1);
    return absl::InvalidArgumentError(absl::StrCat(where, ": invalid YAML: ", e.msg));
  }
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path, absl::string_view what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", what, " ", path, ": ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  if (file.bad())
    return absl::InvalidArgumentError(absl::StrCat("error reading ", what, " ", path));
  return buffer.str();
}

bool IsIpLiteral(const std::string& text) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool IsIpv6Literal(const std::string& text) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::string JoinHostPort(const std::string& host, int port) {
  if (IsIpv6Literal(host)) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

std::string SplitHostPort(const std::string& text, std::string* host, int* port) {
  absl::string_view port_text;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::StrCat("expected [ipv6]:port, got \"", text, "\"");
    }
    *host = text.substr(1, close - 1);
    port_text = absl::string_view(text).substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return absl::StrCat("expected host:port, got \"", text, "\"");
    }
    *host = text.substr(0, colon);
    port_text = absl::string_view(text).substr(colon + 1);
  }
  if (host->empty()) return absl::StrCat("missing host in \"", text, "\"");
  if (!ParsePort(port_text, port)) {
    return absl::StrCat("port must be a number in 0..65535, got \"", port_text, "\"");
  }
  return "";
}

void Reader::Fail(const YAML::Node& node, const std::string& path, absl::string_view message) {
  std::string where = source_;
  if (node.IsDefined() && node.Mark().line >= 0) {
    absl::StrAppend(&where, ":", node.Mark().line + 1);
  }
  errors_.push_back(absl::StrCat(where, ": ", path, ": ", message));
}

void Reader::FailNoNode(const std::string& path, absl::string_view message) {
  errors_.push_back(absl::StrCat(source_, ": ", path, ": ", message));
}

absl::Status Reader::Result() const {
  if (errors_.empty()) return absl::OkStatus();
  std::vector<std::string> errors = errors_;
  if (errors.size() > kMaxReportedErrors) {
    size_t more = errors.size() - kMaxReportedErrors;
    errors.resize(kMaxReportedErrors);
    errors.push_back(absl::StrCat("... and ", more, " more"));
  }
  return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
}

YAML::Node Reader::Child(const YAML::Node& map, absl::string_view key) {
  if (!map.IsDefined() || !map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return map[std::string(key)];
}

std::string Reader::Join(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

bool Reader::CheckMap(const YAML::Node& node, const std::string& path,
                      absl::Span<const absl::string_view> allowed) {
  if (!Present(node)) return true;
  if (!node.IsMap()) {
    Fail(node, path, "must be a map");
    return false;
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      Fail(entry.first, path, "keys must be plain strings");
      continue;
    }
    const std::string key = entry.first.Scalar();
    const std::string key_path = Join(path, key);
    if (!seen.insert(key).second) {
      Fail(entry.first, key_path, "duplicate key");
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string message = "unknown key";
    absl::string_view best;
    size_t best_distance = 3;  // suggest only near misses
    for (absl::string_view candidate : allowed) {
      size_t distance = EditDistance(key, candidate);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
    if (!best.empty()) {
      absl::StrAppend(&message, " (did you mean \"", best, "\"?)");
    } else {
      absl::StrAppend(&message, "; allowed keys: ", absl::StrJoin(allowed, ", "));
    }
    Fail(entry.first, key_path, message);
  }
  return true;
}

// The scalar text of `node`, or nullopt when absent (no error) or not a scalar (error).
std::optional<std::string> Reader::Scalar(const YAML::Node& node, const std::string& path) {
  if (!Present(node)) return std::nullopt;
  if (!node.IsScalar()) {
    Fail(node, path, "must be a single value, not a list or map");
    return std::nullopt;
  }
  return node.Scalar();
}

void Reader::String(const YAML::Node& node, const std::string& path, std::string* out,
                    bool allow_empty) {
  std::optional<std::string> text = Scalar(node, path);
  if (!text) return;
  if (!allow_empty && text->empty()) {
    Fail(node, path, "must not be empty");
    return;
  }
  *out = *text;
}

void Reader::StringList(const YAML::Node& node, const std::string& path,
                        std::vector<std::string>* out) {
  if (!Present(node)) return;
  if (node.IsScalar()) {
    String(node, path, &out->emplace_back(), /*allow_empty=*/false);
    return;
  }
  if (!node.IsSequence()) {
    Fail(node, path, "must be a list of strings");
    return;
  }
  out->clear();
  for (size_t i = 0; i < node.size(); ++i) {
    String(node[i], absl::StrCat(path, "[", i, "]"), &out->emplace_back(), /*allow_empty=*/false);
  }
}

bool Reader::Int64(const YAML::Node& node, const std::string& path, int64_t min, int64_t max,
                   int64_t* out) {
  std::optional<std::string> text = Scalar(node, path);
  if (!text) return false;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    Fail(node, path, absl::StrCat("must be an integer, got \"", *text, "\""));
    return false;
  }
  if (value < min || value > max) {
    Fail(node, path, absl::StrCat("must be in ", min, "..", max, ", got ", value));
    return false;
  }
  *out = value;
  return true;
}

bool Reader::Bool(const YAML::Node& node, const std::string& path, bool* out) {
  std::optional<std::string> text = Scalar(node, path);
  if (!text) return false;
  if (*text != "true" && *text != "false") {
    Fail(node, path, absl::StrCat("must be true or false, got \"", *text, "\""));
    return false;
  }
  *out = *text == "true";
  return true;
}

bool Reader::Float(const YAML::Node& node, const std::string& path, std::optional<double> min,
                   std::optional<double> max, double* out) {
  std::optional<std::string> text = Scalar(node, path);
  if (!text) return false;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || !std::isfinite(value)) {
    Fail(node, path, absl::StrCat("must be a number, got \"", *text, "\""));
    return false;
  }
  if ((min && value < *min) || (max && value > *max)) {
    Fail(node, path,
         absl::StrCat("must be in ", min ? absl::StrCat(*min) : "", "..",
                      max ? absl::StrCat(*max) : "", ", got ", *text));
    return false;
  }
  *out = value;
  return true;
}

bool Reader::Duration(const YAML::Node& node, const std::string& path,
                      std::chrono::milliseconds min, std::chrono::milliseconds* out,
                      std::chrono::milliseconds max) {
  std::optional<std::string> text = Scalar(node, path);
  if (!text) return false;
  absl::StatusOr<std::chrono::milliseconds> value = ParseDuration(*text);
  if (!value.ok()) {
    Fail(node, path, value.status().message());
    return false;
  }
  if (*value < min) {
    Fail(node, path, absl::StrCat("must be at least ", min.count(), "ms, got \"", *text, "\""));
    return false;
  }
  if (*value > max) {
    Fail(node, path,
         absl::StrCat("must be at most ", FormatDuration(max), ", got \"", *text, "\""));
    return false;
  }
  *out = *value;
  return true;
}

void Reader::OneOf(const YAML::Node& node, const std::string& path,
                   std::initializer_list<absl::string_view> allowed, std::string* out) {
  std::optional<std::string> text = Scalar(node, path);
  if (!text) return;
  if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
    Fail(node, path,
         absl::StrCat("must be one of ", absl::StrJoin(allowed, ", "), ", got \"", *text, "\""));
    return;
  }
  *out = *text;
}

}  // namespace config_internal

absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto invalid = [&text](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\": ", why,
                                                   " (examples: 30d, 72h, 1h30m, 45s, 500ms)"));
  };
  if (text.empty()) return invalid("empty");
  if (text == "0") return std::chrono::milliseconds(0);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    // number: digits, optionally with a fraction
    int64_t whole = 0;
    int64_t frac = 0;
    int64_t frac_scale = 1;
    size_t digits = 0;
    while (i < text.size() && absl::ascii_isdigit(text[i])) {
      if (whole > (kMax - 9) / 10) return invalid("too large");
      whole = whole * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && absl::ascii_isdigit(text[i])) {
        if (frac_scale >= 1000000000) return invalid("too many decimal places");
        frac = frac * 10 + (text[i] - '0');
        frac_scale *= 10;
        ++i;
        ++digits;
      }
    }
    if (digits == 0) return invalid("expected a number");
    size_t unit_start = i;
    while (i < text.size() && absl::ascii_isalpha(text[i])) ++i;
    absl::string_view unit = absl::string_view(text).substr(unit_start, i - unit_start);
    int64_t unit_ms = 0;
    if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s") {
      unit_ms = 1000;
    } else if (unit == "m") {
      unit_ms = 60 * 1000;
    } else if (unit == "h") {
      unit_ms = 60 * 60 * 1000;
    } else if (unit == "d") {
      unit_ms = 24 * 60 * 60 * 1000;
    } else if (unit.empty()) {
      return invalid("missing unit (ms, s, m, h or d)");
    } else {
      return invalid(absl::StrCat("unknown unit \"", unit, "\" (use ms, s, m, h or d)"));
    }
    if (whole > kMax / unit_ms) return invalid("too large");
    int64_t part = whole * unit_ms;
    // frac < 1e9 and unit_ms <= 8.64e7, so the product fits in int64.
    if ((frac * unit_ms) % frac_scale != 0) return invalid("finer than a millisecond");
    const int64_t frac_ms = frac * unit_ms / frac_scale;
    if (part > kMax - frac_ms) return invalid("too large");
    part += frac_ms;
    if (total_ms > kMax - part) return invalid("too large");
    total_ms += part;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  constexpr std::pair<int64_t, const char*> kUnits[] = {
      {24 * 60 * 60 * 1000, "d"}, {60 * 60 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [unit_ms, suffix] : kUnits) {
    if (ms >= unit_ms) {
      absl::StrAppend(&out, ms / unit_ms, suffix);
      ms %= unit_ms;
    }
  }
  return out;
}

}  // namespace tern
