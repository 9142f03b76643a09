#include "cli/workflow_support.h"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/enums/v1/workflow.pb.h"

namespace tern::cli {

namespace history = temporal::api::history::v1;
namespace enums = temporal::api::enums::v1;

Command& AddExecutionFlags(Command& command) {
  return command
      .AddFlag({.name = kWorkflowIdFlag,
                .short_name = 'w',
                .value_name = "ID",
                .help = "Workflow ID",
                .required = true})
      .AddFlag({.name = kRunIdFlag,
                .short_name = 'r',
                .value_name = "ID",
                .help = "Run ID; the current run when absent"});
}

Command& AddExecutionOrBatchFlags(Command& command) {
  return command
      .AddFlag({.name = kWorkflowIdFlag,
                .short_name = 'w',
                .value_name = "ID",
                .help = "Workflow ID (or --query)"})
      .AddFlag({.name = kRunIdFlag,
                .short_name = 'r',
                .value_name = "ID",
                .help = "Run ID; the current run when absent"})
      .AddFlag({.name = kBatchQueryFlag,
                .short_name = 'q',
                .value_name = "QUERY",
                .help = "Act on every workflow this visibility query matches, as a batch "
                        "operation run by the server (instead of -w); needs --reason"})
      .AddFlag(ConfirmFlag())
      .AddFlag({.name = "rps",
                .value_name = "N",
                .help = "With --query: at most N operations per second (the server's limit when "
                        "absent)"});
}

absl::StatusOr<bool> IsBatch(const ParsedFlags& flags) {
  const bool by_query = !flags.Get(kBatchQueryFlag).empty();
  const bool by_id = !flags.Get(kWorkflowIdFlag).empty();
  if (by_query == by_id) {
    return absl::InvalidArgumentError("give exactly one of -w/--workflow-id and --query");
  }
  if (by_query && !flags.Get(kRunIdFlag).empty()) {
    return absl::InvalidArgumentError("-r/--run-id does not go with --query");
  }
  return by_query;
}

Command& AddInputFlags(Command& command, absl::string_view what) {
  return command
      .AddFlag({.name = kInputFlag,
                .short_name = 'i',
                .value_name = "JSON",
                .help = absl::StrCat(what,
                                     " argument, a JSON value such as '{\"qty\": 2}' or "
                                     "'\"text\"'; repeat for several arguments"),
                .repeated = true})
      .AddFlag({.name = kInputFileFlag,
                .value_name = "PATH",
                .help = absl::StrCat("A file holding one ", absl::AsciiStrToLower(what),
                                     " argument as JSON; repeat for several (not with --input)"),
                .repeated = true});
}

common::WorkflowExecution TargetExecution(const ParsedFlags& flags) {
  common::WorkflowExecution execution;
  execution.set_workflow_id(flags.Get(kWorkflowIdFlag));
  execution.set_run_id(flags.Get(kRunIdFlag));
  return execution;
}

std::string ExecutionName(const common::WorkflowExecution& execution) {
  std::string name = absl::StrCat("workflow ", execution.workflow_id());
  if (!execution.run_id().empty()) absl::StrAppend(&name, " run ", execution.run_id());
  return name;
}

std::string Identity() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "tern-cli";
  return absl::StrCat("tern-cli@", host);
}

absl::StatusOr<common::Payload> JsonPayload(const std::string& json, absl::string_view what) {
  // Strictly JSON (protobuf's parser would let unquoted keys through, which the SDKs reject).
  try {
    nlohmann::json parsed = nlohmann::json::parse(json);
    static_cast<void>(parsed);
  } catch (const nlohmann::json::parse_error& error) {
    std::string reason = error.what();
    if (auto end = reason.find("] "); end != std::string::npos) reason.erase(0, end + 2);
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON: ", reason));
  }
  common::Payload payload;
  (*payload.mutable_metadata())["encoding"] = kJsonEncoding;
  // The text as given: re-printing the parsed value would turn large integers into doubles.
  payload.set_data(json);
  return payload;
}

absl::Status KeyedPayloads(const ParsedFlags& flags, const char* flag,
                           google::protobuf::Map<std::string, common::Payload>* fields) {
  if (!flags.Has(flag)) return absl::OkStatus();
  for (const std::string& pair : flags.GetAll(flag)) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " ", pair, " is not KEY=VALUE (VALUE in JSON)"));
    }
    std::string key = pair.substr(0, eq);
    ASSIGN_OR_RETURN((*fields)[key],
                     JsonPayload(pair.substr(eq + 1), absl::StrCat("--", flag, " ", key)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<common::Payloads>> InputPayloads(const ParsedFlags& flags) {
  const bool inline_input = flags.Has(kInputFlag);
  const bool file_input = flags.Has(kInputFileFlag);
  if (inline_input && file_input) {
    return absl::InvalidArgumentError("give the input with --input or --input-file, not both");
  }
  if (!inline_input && !file_input) return std::optional<common::Payloads>();
  common::Payloads payloads;
  if (inline_input) {
    for (const std::string& json : flags.GetAll(kInputFlag)) {
      ASSIGN_OR_RETURN(*payloads.add_payloads(), JsonPayload(json, "--input"));
    }
    return payloads;
  }
  for (const std::string& path : flags.GetAll(kInputFileFlag)) {
    std::ifstream file(path);
    if (!file) {
      return absl::InvalidArgumentError(absl::StrCat("--input-file ", path, " cannot be read"));
    }
    std::stringstream text;
    text << file.rdbuf();
    ASSIGN_OR_RETURN(*payloads.add_payloads(),
                     JsonPayload(text.str(), absl::StrCat("--input-file ", path)));
  }
  return payloads;
}

std::string PayloadText(const common::Payload& payload) {
  auto encoding = payload.metadata().find("encoding");
  if (encoding != payload.metadata().end() && encoding->second == kJsonEncoding) {
    return payload.data();
  }
  return absl::StrCat("<", payload.data().size(), " bytes",
                      encoding == payload.metadata().end() ? "" : " " + encoding->second, ">");
}

std::string PayloadsText(const common::Payloads& payloads) {
  std::vector<std::string> lines;
  for (const common::Payload& payload : payloads.payloads()) lines.push_back(PayloadText(payload));
  return absl::StrJoin(lines, "\n");
}

namespace {

// The run a close event hands over to (continue-as-new, a retry or the next cron run), or "".
const std::string& NextRunId(const history::HistoryEvent& event) {
  static const std::string kNone;
  switch (event.event_type()) {
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      return event.workflow_execution_continued_as_new_event_attributes().new_execution_run_id();
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      return event.workflow_execution_completed_event_attributes().new_execution_run_id();
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return event.workflow_execution_failed_event_attributes().new_execution_run_id();
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      return event.workflow_execution_timed_out_event_attributes().new_execution_run_id();
    default:
      return kNone;
  }
}

}  // namespace

absl::StatusOr<ClosedRun> AwaitClose(const WorkflowClient& client,
                                     const std::string& namespace_name,
                                     common::WorkflowExecution execution) {
  if (execution.run_id().empty()) {
    // Name the run, so the chain can be followed and the run that ends it reported.
    wf::DescribeWorkflowExecutionRequest request;
    request.set_namespace_(namespace_name);
    *request.mutable_execution() = execution;
    wf::DescribeWorkflowExecutionResponse response;
    RETURN_IF_ERROR(client.Call(&wf::WorkflowService::Stub::DescribeWorkflowExecution, request,
                                &response,
                                absl::StrCat("failed to describe ", ExecutionName(execution))));
    execution = response.workflow_execution_info().execution();
  }
  while (true) {
    const std::string what = absl::StrCat("failed to wait for ", ExecutionName(execution));
    std::optional<history::HistoryEvent> close_event;
    RETURN_IF_ERROR(FetchPages(what, [&](const std::string& token) -> absl::StatusOr<std::string> {
      wf::GetWorkflowExecutionHistoryRequest request;
      request.set_namespace_(namespace_name);
      *request.mutable_execution() = execution;
      request.set_wait_new_event(true);
      request.set_history_event_filter_type(enums::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
      request.set_next_page_token(token);
      wf::GetWorkflowExecutionHistoryResponse page;
      RETURN_IF_ERROR(client.LongPoll(&wf::WorkflowService::Stub::GetWorkflowExecutionHistory,
                                      request, &page, what, kResultPollTimeout));
      if (page.history().events_size() > 0) {
        close_event = page.history().events(page.history().events_size() - 1);
        return std::string();
      }
      return page.next_page_token();
    }));
    if (!close_event) {
      return absl::InternalError(absl::StrCat(what, ": the server ended the wait with no event"));
    }
    const std::string& next = NextRunId(*close_event);
    if (next.empty()) return ClosedRun{std::move(execution), *std::move(close_event)};
    execution.set_run_id(next);
  }
}

Outcome OutcomeOf(const history::HistoryEvent& event) {
  Outcome outcome;
  switch (event.event_type()) {
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      outcome.status = "Completed";
      outcome.result = event.workflow_execution_completed_event_attributes().result();
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      outcome.status = "Failed";
      outcome.detail = event.workflow_execution_failed_event_attributes().failure().message();
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      outcome.status = "TimedOut";
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      outcome.status = "Canceled";
      break;
    case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      outcome.status = "Terminated";
      outcome.detail = event.workflow_execution_terminated_event_attributes().reason();
      break;
    default:
      outcome.status = EnumDisplayName(event.event_type());
  }
  return outcome;
}

namespace {

google::protobuf::Value PayloadJson(const common::Payload& payload) {
  google::protobuf::Value value;
  auto encoding = payload.metadata().find("encoding");
  if (encoding != payload.metadata().end() && encoding->second == kJsonEncoding &&
      google::protobuf::util::JsonStringToMessage(payload.data(), &value).ok()) {
    return value;
  }
  value.set_string_value(PayloadText(payload));
  return value;
}

google::protobuf::Value StringValue(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  return value;
}

}  // namespace

google::protobuf::Value PayloadsJson(const common::Payloads& payloads) {
  if (payloads.payloads_size() == 1) return PayloadJson(payloads.payloads(0));
  google::protobuf::Value list;
  for (const common::Payload& payload : payloads.payloads()) {
    *list.mutable_list_value()->add_values() = PayloadJson(payload);
  }
  return list;
}

google::protobuf::Struct OutcomeJson(const common::WorkflowExecution& execution,
                                     const Outcome& outcome) {
  google::protobuf::Struct json;
  auto& fields = *json.mutable_fields();
  fields["workflowId"] = StringValue(execution.workflow_id());
  fields["runId"] = StringValue(execution.run_id());
  fields["status"] = StringValue(outcome.status);
  if (outcome.result) fields["result"] = PayloadsJson(*outcome.result);
  if (!outcome.detail.empty()) fields["reason"] = StringValue(outcome.detail);
  return json;
}

}  // namespace tern::cli
