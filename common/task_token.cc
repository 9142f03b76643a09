#include "common/task_token.h"

namespace tern {

std::string EncodeTaskToken(const persistence::v1::TaskToken& token) {
  return token.SerializeAsString();
}

absl::StatusOr<persistence::v1::TaskToken> DecodeTaskToken(const std::string& bytes) {
  persistence::v1::TaskToken token;
  // Tokens built for activity *ById calls may leave the run out (the current run is meant).
  if (bytes.empty() || !token.ParseFromString(bytes) || token.namespace_id().empty() ||
      token.workflow_id().empty() || (token.run_id().empty() && token.activity_id().empty())) {
    return absl::InvalidArgumentError("Error deserializing task token.");
  }
  return token;
}

}  // namespace tern
