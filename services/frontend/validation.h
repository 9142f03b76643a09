// Request validation for the public WorkflowService, as pure functions (no I/O, no clock), so
// every rule is unit-testable without a server.
//
// Every failure is INVALID_ARGUMENT with a message a person can act on, worded after Temporal's
// frontend ("WorkflowId is not set on request.", "Invalid RunId.", ...) and extended with the
// numbers involved where a limit was hit. The only other codes produced here are
// FAILED_PRECONDITION (+NamespaceInvalidStateFailure) from CheckNamespaceState.
//
// Validation runs before anything is forwarded: a request that fails here reaches neither
// history nor matching, so nothing is half-written.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"
#include "tern/persistence/v1/records.pb.h"

namespace tern::frontend {

namespace ws = temporal::api::workflowservice::v1;

// The task-queue name prefix Temporal reserves for partitions ("/_sys/<name>/<n>").
inline constexpr char kReservedTaskQueuePrefix[] = "/_sys/";

// The limits a request is checked against, resolved for its namespace.
struct RequestLimits {
  int max_id_length = 0;
  int64_t blob_size_limit_error = 0;
};
// The values in force for `namespace_name` (empty: the global ones).
RequestLimits LimitsFor(const dynamicconfig::Collection& dc, const std::string& namespace_name);

// ---- building blocks
// -----------------------------------------------------------------------------
// "<field> is not set on request." when empty (if required); "<field> length exceeds limit..."
// when longer than max_length bytes.
absl::Status CheckId(const char* field, const std::string& value, int max_length, bool required);
// "Blob data size exceeds limit: <what> is N bytes, the limit is L bytes (limit.blobSizeError)."
absl::Status CheckBlobSize(const char* what, int64_t size, int64_t limit);
// Non-negative and well-formed; the message names the field.
absl::Status CheckTimeout(const char* field, const google::protobuf::Duration& d);
absl::Status ValidateRetryPolicy(const temporal::api::common::v1::RetryPolicy& policy);
// Execution given by (workflow_id, run_id): workflow id required, run id empty or a UUID.
absl::Status ValidateExecution(bool present, const temporal::api::common::v1::WorkflowExecution& e,
                               int max_id_length);
// Empty token -> "Task token not set on request."; undecodable -> "Error deserializing task
// token.". Returns the decoded token on success.
absl::StatusOr<persistence::v1::TaskToken> ValidateTaskToken(const std::string& token);

// ---- namespaces
// ---------------------------------------------------------------------------------- "Namespace not
// set on request." / "Namespace length exceeds limit...".
absl::Status ValidateNamespaceName(const std::string& name, int max_id_length);
// Unset (zero) retention is allowed by callers that default it; negative or shorter than
// `min_retention` is INVALID_ARGUMENT naming the minimum.
absl::Status ValidateRetention(const google::protobuf::Duration& retention,
                               std::chrono::milliseconds min_retention);
absl::Status ValidateRegisterNamespace(const ws::RegisterNamespaceRequest& request,
                                       const Config& config);
absl::Status ValidateUpdateNamespace(const ws::UpdateNamespaceRequest& request,
                                     const Config& config);
absl::Status ValidateDescribeNamespace(const ws::DescribeNamespaceRequest& request,
                                       int max_id_length);
absl::Status ValidateListNamespaces(const ws::ListNamespacesRequest& request);
// REGISTERED -> DEPRECATED | DELETED, DEPRECATED -> DELETED; anything else is rejected.
absl::Status ValidateNamespaceStateChange(temporal::api::enums::v1::NamespaceState from,
                                          temporal::api::enums::v1::NamespaceState to);

// Which namespace states an operation accepts (as in Temporal: starts need REGISTERED,
// everything else REGISTERED or DEPRECATED).
enum class NamespaceUse { kStart, kDefault };
// FAILED_PRECONDITION with NamespaceInvalidStateFailure when the state does not allow `use`.
absl::Status CheckNamespaceState(const persistence::v1::NamespaceRecord& record, NamespaceUse use);
// The request named one namespace but its task token belongs to another.
absl::Status CheckTokenNamespace(const std::string& request_namespace,
                                 const persistence::v1::NamespaceRecord& token_namespace);

// ---- workflow RPCs
// -------------------------------------------------------------------------------
absl::Status ValidateStartWorkflowExecution(const ws::StartWorkflowExecutionRequest& request,
                                            const RequestLimits& limits);
absl::Status ValidatePollWorkflowTaskQueue(const ws::PollWorkflowTaskQueueRequest& request,
                                           const RequestLimits& limits);
absl::Status ValidatePollActivityTaskQueue(const ws::PollActivityTaskQueueRequest& request,
                                           const RequestLimits& limits);
absl::Status ValidateGetWorkflowExecutionHistory(
    const ws::GetWorkflowExecutionHistoryRequest& request, const RequestLimits& limits);
absl::Status ValidateDescribeWorkflowExecution(const ws::DescribeWorkflowExecutionRequest& request,
                                               const RequestLimits& limits);
absl::Status ValidateSignalWorkflowExecution(const ws::SignalWorkflowExecutionRequest& request,
                                             const RequestLimits& limits);
absl::Status ValidateSignalWithStartWorkflowExecution(
    const ws::SignalWithStartWorkflowExecutionRequest& request, const RequestLimits& limits);
absl::Status ValidateRequestCancelWorkflowExecution(
    const ws::RequestCancelWorkflowExecutionRequest& request, const RequestLimits& limits);
absl::Status ValidateUpdateWorkflowExecution(const ws::UpdateWorkflowExecutionRequest& request,
                                             const RequestLimits& limits);
absl::Status ValidatePollWorkflowExecutionUpdate(
    const ws::PollWorkflowExecutionUpdateRequest& request, const RequestLimits& limits);
// The identifying fields of the activity *ById RPCs.
absl::Status ValidateActivityById(const std::string& namespace_name, const std::string& workflow_id,
                                  const std::string& run_id, const std::string& activity_id,
                                  const RequestLimits& limits);
absl::Status ValidateGetWorkflowExecutionHistoryReverse(
    const ws::GetWorkflowExecutionHistoryReverseRequest& request, const RequestLimits& limits);
absl::Status ValidateDescribeTaskQueue(const ws::DescribeTaskQueueRequest& request,
                                       const RequestLimits& limits);
absl::Status ValidateListTaskQueuePartitions(const ws::ListTaskQueuePartitionsRequest& request,
                                             const RequestLimits& limits);
absl::Status ValidateResetStickyTaskQueue(const ws::ResetStickyTaskQueueRequest& request,
                                          const RequestLimits& limits);
absl::Status ValidateDeleteWorkflowExecution(const ws::DeleteWorkflowExecutionRequest& request,
                                             const RequestLimits& limits);
absl::Status ValidateResetWorkflowExecution(const ws::ResetWorkflowExecutionRequest& request,
                                            const RequestLimits& limits);
absl::Status ValidateShutdownWorker(const ws::ShutdownWorkerRequest& request,
                                    const RequestLimits& limits);
absl::Status ValidateTerminateWorkflowExecution(
    const ws::TerminateWorkflowExecutionRequest& request, const RequestLimits& limits);
absl::Status ValidateQueryWorkflow(const ws::QueryWorkflowRequest& request,
                                   const RequestLimits& limits);

// Task-token RPCs: the namespace comes from the token (the request's `namespace` is optional and,
// when set, must match). They return the decoded token.
absl::StatusOr<persistence::v1::TaskToken> ValidateRespondWorkflowTaskCompleted(
    const ws::RespondWorkflowTaskCompletedRequest& request, const RequestLimits& limits);
absl::StatusOr<persistence::v1::TaskToken> ValidateRespondWorkflowTaskFailed(
    const ws::RespondWorkflowTaskFailedRequest& request, const RequestLimits& limits);
absl::StatusOr<persistence::v1::TaskToken> ValidateRespondActivityTaskCompleted(
    const ws::RespondActivityTaskCompletedRequest& request, const RequestLimits& limits);
absl::StatusOr<persistence::v1::TaskToken> ValidateRespondActivityTaskFailed(
    const ws::RespondActivityTaskFailedRequest& request, const RequestLimits& limits);
absl::StatusOr<persistence::v1::TaskToken> ValidateRespondActivityTaskCanceled(
    const ws::RespondActivityTaskCanceledRequest& request, const RequestLimits& limits);
absl::StatusOr<persistence::v1::TaskToken> ValidateRecordActivityTaskHeartbeat(
    const ws::RecordActivityTaskHeartbeatRequest& request, const RequestLimits& limits);
// The token must be a query token (query_id and query_task_queue set).
absl::StatusOr<persistence::v1::TaskToken> ValidateRespondQueryTaskCompleted(
    const ws::RespondQueryTaskCompletedRequest& request, const RequestLimits& limits);

}  // namespace tern::frontend
