// What the `tern workflow` command files share: the flags that name an execution, workflow
// input as JSON payloads, the caller's identity, and waiting for a run's outcome.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "google/protobuf/struct.pb.h"
#include "temporal/api/common/v1/message.pb.h"
#include "temporal/api/history/v1/message.pb.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::cli {

namespace wf = temporal::api::workflowservice::v1;
namespace common = temporal::api::common::v1;
using WorkflowClient = ServiceClient<wf::WorkflowService>;

inline constexpr char kWorkflowIdFlag[] = "workflow-id";
inline constexpr char kRunIdFlag[] = "run-id";
inline constexpr char kInputFlag[] = "input";
inline constexpr char kInputFileFlag[] = "input-file";
inline constexpr char kJsonEncoding[] = "json/plain";

// How long one wait for a workflow's (or an update's) outcome may be held by the server; the
// server answers sooner (about 20 s) with nothing, and the CLI asks again.
inline constexpr std::chrono::milliseconds kResultPollTimeout{70'000};

// -w (required) and -r, for the commands that act on one execution.
Command& AddExecutionFlags(Command& command);
// The batch form of the commands that act on many executions (`workflow signal|cancel|terminate|
// delete|reset`): -w and -r as above but -w optional, and --query/-q, --yes/-y, --rps. Exactly
// one of -w and --query must be given.
inline constexpr char kBatchQueryFlag[] = "query";
Command& AddExecutionOrBatchFlags(Command& command);
// True for a batch (--query), false for one execution (-w); an error when both or neither.
absl::StatusOr<bool> IsBatch(const ParsedFlags& flags);
// Starts a batch operation on the workflows --query matches, with `request`'s operation, after
// showing how many there are and confirming (--yes); --reason is required. Prints the job id
// (batch_commands.cc).
absl::Status StartBatch(const Invocation& inv, wf::StartBatchOperationRequest request);
// -i/--input JSON and --input-file PATH, both repeatable: one argument each, in order.
Command& AddInputFlags(Command& command, absl::string_view what);

// The flags of `workflow start` and `workflow execute` (also what `schedule create` starts):
// --type, -t, -w, timeouts, policies, --search-attribute, --memo, the input flags, and with
// `workflow_cron` the workflow's own --cron (a schedule's --cron is its spec instead).
Command& AddStartFlags(Command& command, bool workflow_cron = true);
// The start those flags describe (-w: a random UUID when absent).
absl::StatusOr<wf::StartWorkflowExecutionRequest> StartRequest(const ParsedFlags& flags,
                                                               bool workflow_cron = true);

// The execution named by -w and -r.
common::WorkflowExecution TargetExecution(const ParsedFlags& flags);
// "workflow order-7" or "workflow order-7 run 0191...", for error messages.
std::string ExecutionName(const common::WorkflowExecution& execution);
// Who sent a start, signal, cancellation or termination, as recorded in the history.
std::string Identity();

// The arguments given by --input (each one JSON value) or --input-file (each a file holding
// one), one payload per argument, encoded as the SDKs' default converter encodes JSON so that
// workflow code receives the values themselves. nullopt when neither flag is given; both at
// once, invalid JSON or an unreadable file are errors naming the flag (and file).
absl::StatusOr<std::optional<common::Payloads>> InputPayloads(const ParsedFlags& flags);
// The KEY=JSON values of the repeated `flag` (--memo, --search-attribute) into `fields`.
absl::Status KeyedPayloads(const ParsedFlags& flags, const char* flag,
                           google::protobuf::Map<std::string, common::Payload>* fields);
// `json` (any JSON value) as one json/plain payload; `what` names its source in errors.
absl::StatusOr<common::Payload> JsonPayload(const std::string& json, absl::string_view what);

// A payload as text: the JSON of a json/plain payload, else its size and encoding.
std::string PayloadText(const common::Payload& payload);
// Every payload's text, one per line (the usual single result is one line).
std::string PayloadsText(const common::Payloads& payloads);

// The run that ended a chain of runs, and its close event.
struct ClosedRun {
  common::WorkflowExecution execution;
  temporal::api::history::v1::HistoryEvent close_event;
};
// Waits for the run named by `execution` (the current run when its run id is empty) to close,
// following continue-as-new, retries and cron to the run that ends the chain.
absl::StatusOr<ClosedRun> AwaitClose(const WorkflowClient& client,
                                     const std::string& namespace_name,
                                     common::WorkflowExecution execution);

// How a close event reads to a person: the status word ("Completed", "Failed", ...) and, for a
// failure, termination or timeout, the reason.
struct Outcome {
  std::string status;
  std::string detail;                      // failure message, termination reason, ...
  std::optional<common::Payloads> result;  // a completion's result
  bool completed() const { return status == "Completed"; }
};
Outcome OutcomeOf(const temporal::api::history::v1::HistoryEvent& close_event);
// An outcome for --output json: {"workflowId", "runId", "status", "result", "reason"}, the result
// as the JSON value itself (a list for several payloads, text for payloads that are not JSON).
google::protobuf::Struct OutcomeJson(const common::WorkflowExecution& execution,
                                     const Outcome& outcome);
// Payloads as one JSON value, the same way.
google::protobuf::Value PayloadsJson(const common::Payloads& payloads);

}  // namespace tern::cli
