// A client for grpc.health.v1.Health/Check. Debian ships no generated health proto, so the
// call goes through grpc::GenericStub with the two tiny messages encoded by hand:
//   HealthCheckRequest  { string service = 1; }
//   HealthCheckResponse { ServingStatus status = 1; }  UNKNOWN 0, SERVING 1, NOT_SERVING 2,
//                                                      SERVICE_UNKNOWN 3
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cli/connection.h"

namespace tern::cli {

inline constexpr char kWorkflowServiceName[] = "temporal.api.workflowservice.v1.WorkflowService";

enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

std::string EncodeHealthCheckRequest(const std::string& service);
// InvalidArgument if `bytes` is not a HealthCheckResponse. A missing status field is kUnknown
// (proto3 default); values outside the enum are returned as they are.
absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(const std::string& bytes);
// "SERVING", "NOT_SERVING", ...
std::string ServingStatusName(ServingStatus status);

// Blocks until the server answers or --command-timeout passes. RPC failures come back as
// Connection::Error (e.g. NOT_FOUND when the server does not know `service`).
absl::StatusOr<ServingStatus> CheckHealth(const Connection& connection, const std::string& service);

}  // namespace tern::cli
