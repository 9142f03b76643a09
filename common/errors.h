// Errors that the Temporal SDKs understand, as absl::Status values.
//
// Handlers return absl::Status; the detail message the SDKs key on (temporal.api.errordetails.v1
// NamespaceNotFoundFailure, WorkflowExecutionAlreadyStartedFailure, ...) rides along as a
// payload keyed by its type URL. ToGrpcStatus packs code, message and details into the
// grpc-status-details-bin trailer; FromGrpcStatus unpacks them again, so an error crosses the
// internal frontend -> history -> matching hops unchanged.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace tern {

// Attaches `detail` (any temporal.api.errordetails.v1 message, or an internal one) to `status`.
absl::Status WithDetail(absl::Status status, const google::protobuf::Message& detail);
// Parses the first attached detail of type T; false if there is none.
template <typename T>
bool GetDetail(const absl::Status& status, T* out) {
  auto payload = status.GetPayload("type.googleapis.com/" + T::descriptor()->full_name());
  return payload.has_value() && out->ParseFromString(std::string(*payload));
}

absl::Status NamespaceNotFoundError(absl::string_view namespace_name);
// NOT_FOUND for workflows, runs and tasks ("workflow execution already completed", ...).
absl::Status NotFoundError(absl::string_view message);
absl::Status WorkflowAlreadyStartedError(absl::string_view message,
                                         absl::string_view start_request_id,
                                         absl::string_view run_id);
absl::Status NamespaceAlreadyExistsError(absl::string_view message);
// PERMISSION_DENIED with a PermissionDeniedFailure carrying `reason`.
absl::Status PermissionDeniedError(absl::string_view message, absl::string_view reason);
// RESOURCE_EXHAUSTED with a ResourceExhaustedFailure of `cause` and `scope` (enums
// ResourceExhaustedCause and ResourceExhaustedScope).
absl::Status ResourceExhaustedError(int cause, absl::string_view message, int scope = 0);
absl::Status ShardOwnershipLostError(int32_t shard_id, absl::string_view owner_host);
bool IsShardOwnershipLost(const absl::Status& status);
// UNAVAILABLE because `dependency` (say, "database") cannot be reached: the answering host
// is fine, so internal clients pass it back to their caller instead of retrying the host.
absl::Status DependencyUnavailableError(absl::string_view dependency, absl::string_view message);
bool IsDependencyUnavailable(const absl::Status& status);
// Matching's answer to a task for a sticky queue nobody polled lately: history sends the task to
// the normal queue instead.
absl::Status StickyWorkerUnavailableError(absl::string_view task_queue);
bool IsStickyWorkerUnavailable(const absl::Status& status);

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace tern
