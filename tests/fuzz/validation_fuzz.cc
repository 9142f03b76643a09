// libFuzzer target for the frontend's request validation (services/frontend/validation.h);
// `scripts/fuzz validation` builds and runs it, tests/fuzz/README.md says how.
//
// An input is one request: byte 0 picks the RPC (modulo the table below), bit 0 of byte 1 says
// whether the rest is protobuf text format (1) or wire format (0), bits 1-2 pick the limits
// (limit.maxIDLength and limit.blobSizeError) it is checked against. A rest that does not parse
// as that request, or that text format accepts but the wire format would not carry, is skipped.
// Beyond the sanitizers it aborts when
//   - a verdict is neither OK nor INVALID_ARGUMENT with a message (FAILED_PRECONDITION is also
//     allowed for CheckNamespaceState, as validation.h says);
//   - the request, serialized and parsed again as it would cross the wire, gets another verdict;
//   - an accepted request names a namespace or workflow id longer than limit.maxIDLength, or an
//     execution whose run id is neither empty nor a UUID;
//   - an accepted task token lacks what DecodeTaskToken promises, or does not survive
//     EncodeTaskToken and DecodeTaskToken.
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/task_token.h"
#include "services/frontend/validation.h"

namespace tern::frontend {
namespace {

using google::protobuf::Message;
using persistence::v1::TaskToken;

struct Limits {
  RequestLimits request;
  Config config;  // the same limits as dynamic config, for the namespace RPCs
};

std::vector<Limits>* limit_sets = nullptr;

Limits MakeLimits(int max_id_length, int64_t blob_size_limit) {
  Limits limits;
  limits.request = {max_id_length, blob_size_limit};
  limits.config.cluster_name = "active";
  dynamicconfig::Values values;
  values.Set(dynamicconfig::kLimitMaxIDLength, max_id_length);
  values.Set(dynamicconfig::kLimitBlobSizeError, blob_size_limit);
  limits.config.dynamic.Update(values);
  return limits;
}

[[noreturn]] void Fail(std::string_view what, const Message& request, std::string_view detail) {
  std::fprintf(stderr, "validation_fuzz: %.*s\n  %s: %s\n  %.*s\n", static_cast<int>(what.size()),
               what.data(), request.GetTypeName().c_str(), request.ShortDebugString().c_str(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// One RPC: its request type and how the frontend validates it. A validator that decodes a task
// token hands it back through `token`.
struct Rpc {
  std::function<std::unique_ptr<Message>()> make;
  std::function<absl::Status(const Message&, const Limits&, TaskToken* token)> validate;
  bool query_token = false;      // the token must be a query task token
  bool namespace_state = false;  // CheckNamespaceState may answer FAILED_PRECONDITION
};

template <typename Request>
std::function<std::unique_ptr<Message>()> Make() {
  return [] { return std::make_unique<Request>(); };
}

template <typename Request>
Rpc Plain(absl::Status (*validate)(const Request&, const RequestLimits&)) {
  return {Make<Request>(), [validate](const Message& m, const Limits& limits, TaskToken*) {
            return validate(static_cast<const Request&>(m), limits.request);
          }};
}

template <typename Request>
Rpc WithToken(absl::StatusOr<TaskToken> (*validate)(const Request&, const RequestLimits&),
              bool query_token = false) {
  return {Make<Request>(),
          [validate](const Message& m, const Limits& limits, TaskToken* token) {
            absl::StatusOr<TaskToken> decoded =
                validate(static_cast<const Request&>(m), limits.request);
            if (decoded.ok()) *token = *std::move(decoded);
            return decoded.status();
          },
          query_token};
}

template <typename Request>
Rpc WithConfig(absl::Status (*validate)(const Request&, const Config&)) {
  return {Make<Request>(), [validate](const Message& m, const Limits& limits, TaskToken*) {
            return validate(static_cast<const Request&>(m), limits.config);
          }};
}

const std::vector<Rpc>& Rpcs() {
  static const auto* rpcs = new std::vector<Rpc>{
      Plain(&ValidateStartWorkflowExecution),
      Plain(&ValidateSignalWithStartWorkflowExecution),
      Plain(&ValidatePollWorkflowTaskQueue),
      WithToken(&ValidateRespondWorkflowTaskCompleted),
      Plain(&ValidatePollActivityTaskQueue),
      WithToken(&ValidateRespondWorkflowTaskFailed),
      WithToken(&ValidateRespondActivityTaskCompleted),
      WithToken(&ValidateRespondActivityTaskFailed),
      WithToken(&ValidateRespondActivityTaskCanceled),
      WithToken(&ValidateRecordActivityTaskHeartbeat),
      WithToken(&ValidateRespondQueryTaskCompleted, /*query_token=*/true),
      Plain(&ValidateGetWorkflowExecutionHistory),
      Plain(&ValidateGetWorkflowExecutionHistoryReverse),
      Plain(&ValidateDescribeWorkflowExecution),
      Plain(&ValidateSignalWorkflowExecution),
      Plain(&ValidateRequestCancelWorkflowExecution),
      Plain(&ValidateUpdateWorkflowExecution),
      Plain(&ValidatePollWorkflowExecutionUpdate),
      Plain(&ValidateDescribeTaskQueue),
      Plain(&ValidateListTaskQueuePartitions),
      Plain(&ValidateResetStickyTaskQueue),
      Plain(&ValidateDeleteWorkflowExecution),
      Plain(&ValidateResetWorkflowExecution),
      Plain(&ValidateShutdownWorker),
      Plain(&ValidateTerminateWorkflowExecution),
      Plain(&ValidateQueryWorkflow),
      WithConfig(&ValidateRegisterNamespace),
      WithConfig(&ValidateUpdateNamespace),
      {Make<ws::DescribeNamespaceRequest>(),
       [](const Message& m, const Limits& limits, TaskToken*) {
         return ValidateDescribeNamespace(static_cast<const ws::DescribeNamespaceRequest&>(m),
                                          limits.request.max_id_length);
       }},
      {Make<ws::ListNamespacesRequest>(),
       [](const Message& m, const Limits&, TaskToken*) {
         return ValidateListNamespaces(static_cast<const ws::ListNamespacesRequest&>(m));
       }},
      {Make<ws::RespondActivityTaskCompletedByIdRequest>(),
       [](const Message& m, const Limits& limits, TaskToken*) {
         const auto& r = static_cast<const ws::RespondActivityTaskCompletedByIdRequest&>(m);
         return ValidateActivityById(r.namespace_(), r.workflow_id(), r.run_id(), r.activity_id(),
                                     limits.request);
       }},
      // The namespace a request reaches, as the store holds it: the state checks, and its id
      // taken as the namespace a request names against the token's namespace.
      {Make<persistence::v1::NamespaceRecord>(),
       [](const Message& m, const Limits&, TaskToken*) {
         const auto& record = static_cast<const persistence::v1::NamespaceRecord&>(m);
         absl::Status start = CheckNamespaceState(record, NamespaceUse::kStart);
         absl::Status other = CheckNamespaceState(record, NamespaceUse::kDefault);
         if (start.ok() && !other.ok()) return absl::InternalError("start allowed, others not");
         if (!start.ok()) return start;
         return CheckTokenNamespace(record.info().id(), record);
       },
       false, /*namespace_state=*/true},
  };
  return *rpcs;
}

class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, int, const std::string&) override {}
};

bool ParseRequest(std::string_view payload, bool text, Message* request) {
  if (!text) return request->ParseFromArray(payload.data(), static_cast<int>(payload.size()));
  google::protobuf::TextFormat::Parser parser;
  SilentErrors errors;
  parser.RecordErrorsTo(&errors);
  return parser.ParseFromString(std::string(payload), request);
}

void CheckVerdict(const Rpc& rpc, const Message& request, const absl::Status& status) {
  if (status.ok()) return;
  const bool allowed =
      status.code() == absl::StatusCode::kInvalidArgument ||
      (rpc.namespace_state && status.code() == absl::StatusCode::kFailedPrecondition);
  if (!allowed || status.message().empty()) Fail("unexpected error", request, status.ToString());
}

const Message* SubMessage(const Message& message, const char* name) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
      field->is_repeated() || !message.GetReflection()->HasField(message, field)) {
    return nullptr;
  }
  return &message.GetReflection()->GetMessage(message, field);
}

std::string StringField(const Message& message, const char* name) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

// What every accepted request must have been checked for, wherever its type has the field.
void CheckAccepted(const Message& request, const Limits& limits) {
  const auto max = static_cast<size_t>(limits.request.max_id_length);
  for (const char* name : {"namespace", "workflow_id"}) {
    if (StringField(request, name).size() > max) {
      Fail(absl::StrCat("accepted ", name, " longer than limit.maxIDLength"), request, "");
    }
  }
  for (const char* name : {"execution", "workflow_execution"}) {
    const Message* execution = SubMessage(request, name);
    if (execution == nullptr) continue;
    if (StringField(*execution, "workflow_id").size() > max) {
      Fail("accepted workflow id longer than limit.maxIDLength", request, "");
    }
    const std::string run_id = StringField(*execution, "run_id");
    if (!run_id.empty() && !IsUuid(run_id)) Fail("accepted run id is not a UUID", request, "");
  }
}

void CheckToken(const Rpc& rpc, const Message& request, const TaskToken& token) {
  if (token.namespace_id().empty() || token.workflow_id().empty() ||
      (token.run_id().empty() && token.activity_id().empty())) {
    Fail("accepted task token lacks its ids", request, token.ShortDebugString());
  }
  if (rpc.query_token && (token.query_id().empty() || token.query_task_queue().empty())) {
    Fail("accepted query task token is not a query token", request, token.ShortDebugString());
  }
  absl::StatusOr<TaskToken> again = DecodeTaskToken(EncodeTaskToken(token));
  if (!again.ok() || !google::protobuf::util::MessageDifferencer::Equals(token, *again)) {
    Fail("task token does not survive EncodeTaskToken and DecodeTaskToken", request,
         token.ShortDebugString());
  }
}

}  // namespace
}  // namespace tern::frontend

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace tern::frontend;
  // Malformed inputs make protobuf log (invalid UTF-8 in strings); that is expected here.
  google::protobuf::SetLogHandler(nullptr);
  limit_sets = new std::vector<Limits>{MakeLimits(1000, 2 * 1024 * 1024), MakeLimits(16, 64),
                                       MakeLimits(1, 1), MakeLimits(1 << 20, INT32_MAX)};
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tern::frontend;
  if (size < 2) return 0;
  const std::vector<Rpc>& rpcs = Rpcs();
  const Rpc& rpc = rpcs[data[0] % rpcs.size()];
  const bool text = (data[1] & 1) != 0;
  const Limits& limits = (*limit_sets)[(data[1] >> 1) % limit_sets->size()];
  const std::string_view payload(reinterpret_cast<const char*>(data + 2), size - 2);

  std::unique_ptr<Message> request = rpc.make();
  if (!ParseRequest(payload, text, request.get())) return 0;
  TaskToken token;
  const absl::Status status = rpc.validate(*request, limits, &token);
  CheckVerdict(rpc, *request, status);

  std::unique_ptr<Message> again = rpc.make();
  if (!again->ParseFromString(request->SerializeAsString())) {
    // Text format takes what the wire refuses (invalid UTF-8 in strings): no client can send it.
    if (text) return 0;
    Fail("the request does not parse after serializing", *request, "");
  }
  TaskToken token_again;
  const absl::Status status_again = rpc.validate(*again, limits, &token_again);
  if (status_again != status) {
    Fail("the verdict changes after serializing and parsing again", *request,
         absl::StrCat(status.ToString(), " vs ", status_again.ToString()));
  }
  if (!status.ok()) return 0;
  CheckAccepted(*request, limits);
  if (token.ByteSizeLong() > 0) CheckToken(rpc, *request, token);
  return 0;
}
