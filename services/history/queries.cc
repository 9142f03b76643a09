#include "services/history/queries.h"

#include "common/errors.h"
#include "temporal/api/errordetails/v1/message.pb.h"

namespace tern::history {
namespace enums = temporal::api::enums::v1;
namespace ws = temporal::api::workflowservice::v1;

absl::StatusOr<ws::QueryWorkflowResponse> QueryOutcome(
    enums::QueryResultType type, const temporal::api::common::v1::Payloads* answer,
    const std::string& error_message, const temporal::api::failure::v1::Failure* failure) {
  if (type == enums::QUERY_RESULT_TYPE_ANSWERED) {
    ws::QueryWorkflowResponse response;
    if (answer) *response.mutable_query_result() = *answer;
    return response;
  }
  temporal::api::errordetails::v1::QueryFailedFailure detail;
  if (failure) *detail.mutable_failure() = *failure;
  std::string message = error_message;
  if (message.empty() && failure) message = failure->message();
  return WithDetail(absl::InvalidArgumentError(message), detail);
}

}  // namespace tern::history
