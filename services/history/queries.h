// Query answers shared by the query API and the workflow task completion that carries answers.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace tern::history {

// The client's view of a worker's answer to a query (legacy query task or query_results): the
// result when answered, else INVALID_ARGUMENT with a QueryFailedFailure detail.
absl::StatusOr<temporal::api::workflowservice::v1::QueryWorkflowResponse> QueryOutcome(
    temporal::api::enums::v1::QueryResultType type,
    const temporal::api::common::v1::Payloads* answer, const std::string& error_message,
    const temporal::api::failure::v1::Failure* failure);

}  // namespace tern::history
