#include "persistence/store.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace tern::persistence {
namespace {

// Payload keys marking the kind of a FailedPrecondition. The values are unused (presence is the
// marker) except for the existing-row payload, which carries an encoded CurrentExecution.
constexpr absl::string_view kConditionFailedKey =
    "type.googleapis.com/tern.persistence.ConditionFailed";
constexpr absl::string_view kFencingKey = "type.googleapis.com/tern.persistence.Fencing";
constexpr absl::string_view kFinalKey = "type.googleapis.com/tern.persistence.Final";
constexpr absl::string_view kExistingCurrentKey =
    "type.googleapis.com/tern.persistence.ExistingCurrentExecution";

// Length-prefixed fields ("<len>:<bytes>"), so ids may hold any byte.
void AppendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

bool ReadField(std::string_view& in, std::string& out) {
  size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  size_t len = 0;
  for (char c : in.substr(0, colon)) {
    if (c < '0' || c > '9') return false;
    len = len * 10 + static_cast<size_t>(c - '0');
  }
  in.remove_prefix(colon + 1);
  if (len > in.size()) return false;
  out.assign(in.substr(0, len));
  in.remove_prefix(len);
  return true;
}

absl::Status Marked(std::string_view message, absl::string_view key) {
  absl::Status status =
      absl::FailedPreconditionError(absl::string_view(message.data(), message.size()));
  status.SetPayload(key, absl::Cord("1"));
  return status;
}

bool HasMark(const absl::Status& status, absl::string_view key) {
  return status.code() == absl::StatusCode::kFailedPrecondition &&
         status.GetPayload(key).has_value();
}

}  // namespace

absl::Status ConditionFailedError(std::string_view message) {
  return Marked(message, kConditionFailedKey);
}

bool IsConditionFailed(const absl::Status& status) { return HasMark(status, kConditionFailedKey); }

absl::Status FinalUnavailableError(std::string_view message) {
  absl::Status status = absl::UnavailableError(absl::string_view(message.data(), message.size()));
  status.SetPayload(kFinalKey, absl::Cord("1"));
  return status;
}

bool IsTransientError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable && !status.GetPayload(kFinalKey);
}

absl::Status FencingError(std::string_view message) { return Marked(message, kFencingKey); }

bool IsFencingError(const absl::Status& status) { return HasMark(status, kFencingKey); }

absl::Status CurrentExecutionExistsError(std::string_view message,
                                         const CurrentExecution& existing) {
  absl::Status status = ConditionFailedError(message);
  std::string encoded;
  AppendField(encoded, existing.run_id);
  AppendField(encoded, existing.create_request_id);
  AppendField(encoded, std::to_string(static_cast<int32_t>(existing.state)));
  AppendField(encoded, std::to_string(existing.status));
  status.SetPayload(kExistingCurrentKey, absl::Cord(encoded));
  return status;
}

std::optional<CurrentExecution> GetExistingCurrentExecution(const absl::Status& status) {
  if (!IsConditionFailed(status)) return std::nullopt;
  absl::optional<absl::Cord> payload = status.GetPayload(kExistingCurrentKey);
  if (!payload.has_value()) return std::nullopt;
  std::string flat(*payload);
  std::string_view in = flat;
  CurrentExecution existing;
  std::string state, run_status;
  if (!ReadField(in, existing.run_id) || !ReadField(in, existing.create_request_id) ||
      !ReadField(in, state) || !ReadField(in, run_status) || !in.empty()) {
    return std::nullopt;
  }
  try {
    existing.state = static_cast<RunState>(std::stoi(state));
    existing.status = std::stoi(run_status);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return existing;
}

}  // namespace tern::persistence
