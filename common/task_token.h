// Task tokens handed to workers: a serialized tern.persistence.v1.TaskToken. Opaque to clients;
// decoding validates the bytes so a garbage token is INVALID_ARGUMENT, not a crash.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "tern/persistence/v1/records.pb.h"

namespace tern {

std::string EncodeTaskToken(const persistence::v1::TaskToken& token);
absl::StatusOr<persistence::v1::TaskToken> DecodeTaskToken(const std::string& bytes);

}  // namespace tern
