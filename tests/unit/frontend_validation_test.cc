// The validation table: each malformed request -> gRPC code + a fragment of the message.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/errors.h"
#include "common/task_token.h"
#include "services/frontend/validation.h"
#include "temporal/api/errordetails/v1/message.pb.h"

namespace tern::frontend {
namespace {

namespace enums = temporal::api::enums::v1;
using persistence::v1::TaskToken;

constexpr char kRunId[] = "1b4e28ba-2fa1-4d2e-883f-0016d3cca427";

RequestLimits Limits() {
  RequestLimits limits;
  limits.max_id_length = 20;
  limits.blob_size_limit_error = 1000;
  return limits;
}

Config ClusterConfig() {
  Config config;
  config.cluster_name = "active";
  dynamicconfig::Values values;
  values.Set(dynamicconfig::kLimitMaxIDLength, Limits().max_id_length);
  values.Set(dynamicconfig::kLimitBlobSizeError, Limits().blob_size_limit_error);
  config.dynamic.Update(values);
  return config;
}

std::string ValidToken(const std::string& namespace_id = "ns-id") {
  TaskToken token;
  token.set_namespace_id(namespace_id);
  token.set_workflow_id("wf");
  token.set_run_id(kRunId);
  token.set_scheduled_event_id(5);
  return EncodeTaskToken(token);
}

ws::StartWorkflowExecutionRequest GoodStart() {
  ws::StartWorkflowExecutionRequest r;
  r.set_namespace_("default");
  r.set_workflow_id("wf-1");
  r.mutable_workflow_type()->set_name("MyWorkflow");
  r.mutable_task_queue()->set_name("tq");
  r.set_request_id("req-1");
  return r;
}

struct Case {
  std::string name;
  std::function<absl::Status()> validate;
  absl::StatusCode code;
  std::string fragment;  // empty: expect OK
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ValidationTable : public ::testing::TestWithParam<Case> {};

TEST_P(ValidationTable, CodeAndMessage) {
  const Case& c = GetParam();
  absl::Status st = c.validate();
  EXPECT_EQ(st.code(), c.code) << st;
  if (!c.fragment.empty()) {
    EXPECT_NE(std::string(st.message()).find(c.fragment), std::string::npos)
        << "message: " << st.message() << "\nexpected fragment: " << c.fragment;
  }
}

template <typename Fn>
std::function<absl::Status()> Start(Fn mutate) {
  return [mutate] {
    auto r = GoodStart();
    mutate(r);
    return ValidateStartWorkflowExecution(r, Limits());
  };
}

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kOk = absl::StatusCode::kOk;

const std::string kTooLong(21, 'x');

INSTANTIATE_TEST_SUITE_P(
    Start, ValidationTable,
    ::testing::Values(
        Case{"valid", Start([](auto&) {}), kOk, ""},
        Case{"no_namespace", Start([](auto& r) { r.clear_namespace_(); }), kInvalid,
             "Namespace not set on request."},
        Case{"long_namespace", Start([](auto& r) { r.set_namespace_(kTooLong); }), kInvalid,
             "Namespace length exceeds limit"},
        Case{"no_workflow_id", Start([](auto& r) { r.clear_workflow_id(); }), kInvalid,
             "WorkflowId is not set on request."},
        Case{"long_workflow_id", Start([](auto& r) { r.set_workflow_id(kTooLong); }), kInvalid,
             "WorkflowId length exceeds limit: 21 bytes, the limit is 20"},
        Case{"no_workflow_type", Start([](auto& r) { r.clear_workflow_type(); }), kInvalid,
             "WorkflowType is not set on request."},
        Case{"empty_workflow_type", Start([](auto& r) { r.mutable_workflow_type()->clear_name(); }),
             kInvalid, "WorkflowType is not set on request."},
        Case{"long_workflow_type",
             Start([](auto& r) { r.mutable_workflow_type()->set_name(kTooLong); }), kInvalid,
             "WorkflowType length exceeds limit"},
        Case{"no_task_queue", Start([](auto& r) { r.clear_task_queue(); }), kInvalid,
             "TaskQueue is not set on request."},
        Case{"empty_task_queue", Start([](auto& r) { r.mutable_task_queue()->clear_name(); }),
             kInvalid, "TaskQueue is not set on request."},
        Case{"long_task_queue", Start([](auto& r) { r.mutable_task_queue()->set_name(kTooLong); }),
             kInvalid, "TaskQueue length exceeds limit"},
        Case{"reserved_task_queue",
             Start([](auto& r) { r.mutable_task_queue()->set_name("/_sys/tq/1"); }), kInvalid,
             "reserved prefix /_sys/"},
        Case{"long_request_id", Start([](auto& r) { r.set_request_id(kTooLong); }), kInvalid,
             "RequestId length exceeds limit"},
        Case{"long_identity", Start([](auto& r) { r.set_identity(kTooLong); }), kInvalid,
             "Identity length exceeds limit"},
        Case{"negative_execution_timeout",
             Start([](auto& r) { r.mutable_workflow_execution_timeout()->set_seconds(-1); }),
             kInvalid, "An invalid WorkflowExecutionTimeout is set on request"},
        Case{"negative_run_timeout",
             Start([](auto& r) { r.mutable_workflow_run_timeout()->set_seconds(-5); }), kInvalid,
             "An invalid WorkflowRunTimeout is set on request: -5s"},
        Case{"negative_task_timeout",
             Start([](auto& r) { r.mutable_workflow_task_timeout()->set_nanos(-1); }), kInvalid,
             "An invalid WorkflowTaskTimeout"},
        Case{"negative_start_delay",
             Start([](auto& r) { r.mutable_workflow_start_delay()->set_seconds(-1); }), kInvalid,
             "WorkflowStartDelay"},
        Case{"bad_backoff",
             Start([](auto& r) { r.mutable_retry_policy()->set_backoff_coefficient(0.5); }),
             kInvalid, "BackoffCoefficient cannot be less than 1"},
        Case{"max_below_initial", Start([](auto& r) {
               r.mutable_retry_policy()->mutable_initial_interval()->set_seconds(10);
               r.mutable_retry_policy()->mutable_maximum_interval()->set_seconds(1);
             }),
             kInvalid, "MaximumInterval cannot be less than InitialInterval"},
        // Found by tests/fuzz/validation_fuzz.cc: 9223372037 s overflowed the conversion to
        // nanoseconds (undefined behaviour; it wrapped to a negative interval and was refused).
        Case{"max_interval_beyond_nanoseconds", Start([](auto& r) {
               r.mutable_retry_policy()->mutable_initial_interval()->set_seconds(1);
               r.mutable_retry_policy()->mutable_maximum_interval()->set_seconds(9223372037);
             }),
             kOk, ""},
        Case{"negative_attempts",
             Start([](auto& r) { r.mutable_retry_policy()->set_maximum_attempts(-1); }), kInvalid,
             "MaximumAttempts cannot be negative"},
        Case{"input_too_big", Start([](auto& r) {
               r.mutable_input()->add_payloads()->set_data(std::string(1001, 'x'));
             }),
             kInvalid, "the limit is 1000 bytes (limit.blobSizeError)"},
        Case{"input_at_limit_ok", Start([](auto& r) {
               // 1000 bytes in total: the payload plus its framing.
               r.mutable_input()->add_payloads()->set_data(std::string(1000 - 6, 'x'));
             }),
             kOk, ""}),
    [](const auto& info) { return info.param.name; });

ws::PollWorkflowTaskQueueRequest GoodPoll() {
  ws::PollWorkflowTaskQueueRequest r;
  r.set_namespace_("default");
  r.mutable_task_queue()->set_name("tq");
  return r;
}

INSTANTIATE_TEST_SUITE_P(
    Polls, ValidationTable,
    ::testing::Values(
        Case{"valid", [] { return ValidatePollWorkflowTaskQueue(GoodPoll(), Limits()); }, kOk, ""},
        Case{"partition_name_ok",
             [] {
               auto r = GoodPoll();
               r.mutable_task_queue()->set_name("/_sys/tq/2");
               return ValidatePollWorkflowTaskQueue(r, Limits());
             },
             kOk, ""},
        Case{"no_namespace",
             [] {
               auto r = GoodPoll();
               r.clear_namespace_();
               return ValidatePollWorkflowTaskQueue(r, Limits());
             },
             kInvalid, "Namespace not set on request."},
        Case{"no_task_queue",
             [] {
               auto r = GoodPoll();
               r.clear_task_queue();
               return ValidatePollWorkflowTaskQueue(r, Limits());
             },
             kInvalid, "TaskQueue is not set on request."},
        Case{"activity_no_task_queue",
             [] {
               ws::PollActivityTaskQueueRequest r;
               r.set_namespace_("default");
               return ValidatePollActivityTaskQueue(r, Limits());
             },
             kInvalid, "TaskQueue is not set on request."},
        Case{"activity_long_identity",
             [] {
               ws::PollActivityTaskQueueRequest r;
               r.set_namespace_("default");
               r.mutable_task_queue()->set_name("tq");
               r.set_identity(kTooLong);
               return ValidatePollActivityTaskQueue(r, Limits());
             },
             kInvalid, "Identity length exceeds limit"},
        Case{"sticky_long_normal_name",
             [] {
               auto r = GoodPoll();
               r.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_STICKY);
               r.mutable_task_queue()->set_normal_name(kTooLong);
               return ValidatePollWorkflowTaskQueue(r, Limits());
             },
             kInvalid, "TaskQueue.NormalName length exceeds limit"}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Executions, ValidationTable,
    ::testing::Values(Case{"history_valid",
                           [] {
                             ws::GetWorkflowExecutionHistoryRequest r;
                             r.set_namespace_("default");
                             r.mutable_execution()->set_workflow_id("wf");
                             r.mutable_execution()->set_run_id(kRunId);
                             return ValidateGetWorkflowExecutionHistory(r, Limits());
                           },
                           kOk, ""},
                      Case{"history_no_execution",
                           [] {
                             ws::GetWorkflowExecutionHistoryRequest r;
                             r.set_namespace_("default");
                             return ValidateGetWorkflowExecutionHistory(r, Limits());
                           },
                           kInvalid, "Execution is not set on request."},
                      Case{"history_bad_run_id",
                           [] {
                             ws::GetWorkflowExecutionHistoryRequest r;
                             r.set_namespace_("default");
                             r.mutable_execution()->set_workflow_id("wf");
                             r.mutable_execution()->set_run_id("not-a-uuid");
                             return ValidateGetWorkflowExecutionHistory(r, Limits());
                           },
                           kInvalid, "Invalid RunId."},
                      Case{"history_negative_page_size",
                           [] {
                             ws::GetWorkflowExecutionHistoryRequest r;
                             r.set_namespace_("default");
                             r.mutable_execution()->set_workflow_id("wf");
                             r.set_maximum_page_size(-1);
                             return ValidateGetWorkflowExecutionHistory(r, Limits());
                           },
                           kInvalid, "Invalid PageSize"},
                      Case{"describe_bad_run_id",
                           [] {
                             ws::DescribeWorkflowExecutionRequest r;
                             r.set_namespace_("default");
                             r.mutable_execution()->set_workflow_id("wf");
                             r.mutable_execution()->set_run_id("nope");
                             return ValidateDescribeWorkflowExecution(r, Limits());
                           },
                           kInvalid, "Invalid RunId."},
                      Case{"describe_no_workflow_id",
                           [] {
                             ws::DescribeWorkflowExecutionRequest r;
                             r.set_namespace_("default");
                             r.mutable_execution()->set_run_id(kRunId);
                             return ValidateDescribeWorkflowExecution(r, Limits());
                           },
                           kInvalid, "WorkflowId is not set on request."},
                      Case{"terminate_no_execution",
                           [] {
                             ws::TerminateWorkflowExecutionRequest r;
                             r.set_namespace_("default");
                             return ValidateTerminateWorkflowExecution(r, Limits());
                           },
                           kInvalid, "Execution is not set on request."},
                      Case{"terminate_bad_first_run_id",
                           [] {
                             ws::TerminateWorkflowExecutionRequest r;
                             r.set_namespace_("default");
                             r.mutable_workflow_execution()->set_workflow_id("wf");
                             r.set_first_execution_run_id("x");
                             return ValidateTerminateWorkflowExecution(r, Limits());
                           },
                           kInvalid, "Invalid FirstExecutionRunId."},
                      Case{"terminate_details_too_big",
                           [] {
                             ws::TerminateWorkflowExecutionRequest r;
                             r.set_namespace_("default");
                             r.mutable_workflow_execution()->set_workflow_id("wf");
                             r.mutable_details()->add_payloads()->set_data(std::string(2000, 'x'));
                             return ValidateTerminateWorkflowExecution(r, Limits());
                           },
                           kInvalid, "Blob data size exceeds limit: details is"}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    TaskTokens, ValidationTable,
    ::testing::Values(Case{"completed_valid",
                           [] {
                             ws::RespondActivityTaskCompletedRequest r;
                             r.set_task_token(ValidToken());
                             return StatusOf(ValidateRespondActivityTaskCompleted(r, Limits()));
                           },
                           kOk, ""},
                      Case{"completed_no_token",
                           [] {
                             ws::RespondActivityTaskCompletedRequest r;
                             return StatusOf(ValidateRespondActivityTaskCompleted(r, Limits()));
                           },
                           kInvalid, "Task token not set on request."},
                      Case{"completed_garbage_token",
                           [] {
                             ws::RespondActivityTaskCompletedRequest r;
                             r.set_task_token("\xff\xff garbage");
                             return StatusOf(ValidateRespondActivityTaskCompleted(r, Limits()));
                           },
                           kInvalid, "Error deserializing task token."},
                      Case{"completed_token_without_ids",
                           [] {
                             TaskToken token;
                             token.set_scheduled_event_id(3);
                             ws::RespondActivityTaskCompletedRequest r;
                             r.set_task_token(EncodeTaskToken(token));
                             return StatusOf(ValidateRespondActivityTaskCompleted(r, Limits()));
                           },
                           kInvalid, "Error deserializing task token."},
                      Case{"completed_result_too_big",
                           [] {
                             ws::RespondActivityTaskCompletedRequest r;
                             r.set_task_token(ValidToken());
                             r.mutable_result()->add_payloads()->set_data(std::string(2000, 'x'));
                             return StatusOf(ValidateRespondActivityTaskCompleted(r, Limits()));
                           },
                           kInvalid, "Blob data size exceeds limit: result is"},
                      Case{"failed_failure_too_big",
                           [] {
                             ws::RespondActivityTaskFailedRequest r;
                             r.set_task_token(ValidToken());
                             r.mutable_failure()->set_message(std::string(600, 'x'));
                             r.mutable_last_heartbeat_details()->add_payloads()->set_data(
                                 std::string(600, 'x'));
                             return StatusOf(ValidateRespondActivityTaskFailed(r, Limits()));
                           },
                           kInvalid, "failure with last heartbeat details is"},
                      Case{"canceled_details_too_big",
                           [] {
                             ws::RespondActivityTaskCanceledRequest r;
                             r.set_task_token(ValidToken());
                             r.mutable_details()->add_payloads()->set_data(std::string(2000, 'x'));
                             return StatusOf(ValidateRespondActivityTaskCanceled(r, Limits()));
                           },
                           kInvalid, "details is"},
                      Case{"heartbeat_garbage_token",
                           [] {
                             ws::RecordActivityTaskHeartbeatRequest r;
                             r.set_task_token("garbage");
                             return StatusOf(ValidateRecordActivityTaskHeartbeat(r, Limits()));
                           },
                           kInvalid, "Error deserializing task token."},
                      Case{"heartbeat_details_too_big",
                           [] {
                             ws::RecordActivityTaskHeartbeatRequest r;
                             r.set_task_token(ValidToken());
                             r.mutable_details()->add_payloads()->set_data(std::string(2000, 'x'));
                             return StatusOf(ValidateRecordActivityTaskHeartbeat(r, Limits()));
                           },
                           kInvalid, "Blob data size exceeds limit"},
                      Case{"wft_completed_no_token",
                           [] {
                             ws::RespondWorkflowTaskCompletedRequest r;
                             return StatusOf(ValidateRespondWorkflowTaskCompleted(r, Limits()));
                           },
                           kInvalid, "Task token not set on request."},
                      Case{"wft_completed_long_namespace",
                           [] {
                             ws::RespondWorkflowTaskCompletedRequest r;
                             r.set_task_token(ValidToken());
                             r.set_namespace_(kTooLong);
                             return StatusOf(ValidateRespondWorkflowTaskCompleted(r, Limits()));
                           },
                           kInvalid, "Namespace length exceeds limit"},
                      Case{"wft_failed_failure_too_big",
                           [] {
                             ws::RespondWorkflowTaskFailedRequest r;
                             r.set_task_token(ValidToken());
                             r.mutable_failure()->set_message(std::string(2000, 'x'));
                             return StatusOf(ValidateRespondWorkflowTaskFailed(r, Limits()));
                           },
                           kInvalid, "Blob data size exceeds limit: failure is"}),
    [](const auto& info) { return info.param.name; });

ws::QueryWorkflowRequest GoodQuery() {
  ws::QueryWorkflowRequest r;
  r.set_namespace_("default");
  r.mutable_execution()->set_workflow_id("wf");
  r.mutable_query()->set_query_type("state");
  return r;
}

template <typename Fn>
std::function<absl::Status()> Query(Fn mutate) {
  return [mutate] {
    auto r = GoodQuery();
    mutate(r);
    return ValidateQueryWorkflow(r, Limits());
  };
}

ws::RespondQueryTaskCompletedRequest GoodQueryAnswer() {
  TaskToken token;
  token.set_namespace_id("ns-id");
  token.set_workflow_id("wf");
  token.set_run_id(kRunId);
  token.set_query_id("q-1");
  token.set_query_task_queue("orders");
  ws::RespondQueryTaskCompletedRequest r;
  r.set_task_token(EncodeTaskToken(token));
  r.set_completed_type(enums::QUERY_RESULT_TYPE_ANSWERED);
  r.mutable_query_result()->add_payloads()->set_data("42");
  return r;
}

template <typename Fn>
std::function<absl::Status()> QueryAnswer(Fn mutate) {
  return [mutate] {
    auto r = GoodQueryAnswer();
    mutate(r);
    return StatusOf(ValidateRespondQueryTaskCompleted(r, Limits()));
  };
}

INSTANTIATE_TEST_SUITE_P(
    Queries, ValidationTable,
    ::testing::Values(
        Case{"query_valid", Query([](auto&) {}), kOk, ""},
        Case{"query_no_namespace", Query([](auto& r) { r.clear_namespace_(); }), kInvalid,
             "Namespace not set on request."},
        Case{"query_no_execution", Query([](auto& r) { r.clear_execution(); }), kInvalid,
             "Execution is not set on request."},
        Case{"query_bad_run_id", Query([](auto& r) { r.mutable_execution()->set_run_id("x"); }),
             kInvalid, "Invalid RunId."},
        Case{"query_no_query", Query([](auto& r) { r.clear_query(); }), kInvalid,
             "QueryType is not set on request."},
        Case{"query_no_type", Query([](auto& r) { r.mutable_query()->clear_query_type(); }),
             kInvalid, "QueryType is not set on request."},
        Case{"query_args_too_big", Query([](auto& r) {
               r.mutable_query()->mutable_query_args()->add_payloads()->set_data(
                   std::string(2000, 'x'));
             }),
             kInvalid, "Blob data size exceeds limit: query args is"},
        Case{"answer_valid", QueryAnswer([](auto&) {}), kOk, ""},
        Case{"answer_failed_valid", QueryAnswer([](auto& r) {
               r.set_completed_type(enums::QUERY_RESULT_TYPE_FAILED);
               r.set_error_message("unknown query type");
             }),
             kOk, ""},
        Case{"answer_no_token", QueryAnswer([](auto& r) { r.clear_task_token(); }), kInvalid,
             "Task token not set on request."},
        Case{"answer_garbage_token", QueryAnswer([](auto& r) { r.set_task_token("garbage"); }),
             kInvalid, "Error deserializing task token."},
        Case{"answer_workflow_task_token",
             QueryAnswer([](auto& r) { r.set_task_token(ValidToken()); }), kInvalid,
             "Invalid query task token"},
        Case{"answer_token_without_task_queue", QueryAnswer([](auto& r) {
               auto token = *DecodeTaskToken(r.task_token());
               token.clear_query_task_queue();
               r.set_task_token(EncodeTaskToken(token));
             }),
             kInvalid, "Invalid query task token"},
        Case{"answer_no_completed_type", QueryAnswer([](auto& r) { r.clear_completed_type(); }),
             kInvalid, "CompletedType is not set on request."},
        Case{"answer_result_too_big", QueryAnswer([](auto& r) {
               r.mutable_query_result()->add_payloads()->set_data(std::string(2000, 'x'));
             }),
             kInvalid, "Blob data size exceeds limit: query result is"}),
    [](const auto& info) { return info.param.name; });

ws::RegisterNamespaceRequest GoodRegister() {
  ws::RegisterNamespaceRequest r;
  r.set_namespace_("orders");
  r.mutable_workflow_execution_retention_period()->set_seconds(24 * 3600);
  return r;
}

template <typename Fn>
std::function<absl::Status()> Register(Fn mutate) {
  return [mutate] {
    auto r = GoodRegister();
    mutate(r);
    return ValidateRegisterNamespace(r, ClusterConfig());
  };
}

INSTANTIATE_TEST_SUITE_P(
    Namespaces, ValidationTable,
    ::testing::Values(
        Case{"register_valid", Register([](auto&) {}), kOk, ""},
        Case{"register_no_name", Register([](auto& r) { r.clear_namespace_(); }), kInvalid,
             "Namespace not set on request."},
        Case{"register_long_name", Register([](auto& r) { r.set_namespace_(kTooLong); }), kInvalid,
             "Namespace length exceeds limit"},
        Case{"register_control_char", Register([](auto& r) { r.set_namespace_("a\nb"); }), kInvalid,
             "control characters"},
        Case{"register_no_retention",
             Register([](auto& r) { r.clear_workflow_execution_retention_period(); }), kInvalid,
             "must be at least 1h (namespace.minRetention), got 0"},
        Case{"register_short_retention", Register([](auto& r) {
               r.mutable_workflow_execution_retention_period()->set_seconds(30 * 60);
             }),
             kInvalid, "at least 1h (namespace.minRetention), got 30m"},
        Case{"register_negative_retention", Register([](auto& r) {
               r.mutable_workflow_execution_retention_period()->set_seconds(-3600);
             }),
             kInvalid, "A valid retention period is not set on request"},
        // Likewise: a retention past the range of nanoseconds is long enough, not negative.
        Case{"register_retention_beyond_nanoseconds", Register([](auto& r) {
               r.mutable_workflow_execution_retention_period()->set_seconds(9223372037);
             }),
             kOk, ""},
        Case{"register_global", Register([](auto& r) { r.set_is_global_namespace(true); }),
             kInvalid, "Cannot register global namespace"},
        Case{"register_other_cluster",
             Register([](auto& r) { r.set_active_cluster_name("elsewhere"); }), kInvalid,
             "Active cluster \"elsewhere\" is not this cluster (\"active\")"},
        Case{"register_archival",
             Register([](auto& r) { r.set_history_archival_state(enums::ARCHIVAL_STATE_ENABLED); }),
             kInvalid, "Archival is not supported"},
        Case{"update_no_name",
             [] { return ValidateUpdateNamespace(ws::UpdateNamespaceRequest(), ClusterConfig()); },
             kInvalid, "Namespace not set on request."},
        Case{"update_short_retention",
             [] {
               ws::UpdateNamespaceRequest r;
               r.set_namespace_("orders");
               r.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(60);
               return ValidateUpdateNamespace(r, ClusterConfig());
             },
             kInvalid, "at least 1h"},
        Case{"update_promote",
             [] {
               ws::UpdateNamespaceRequest r;
               r.set_namespace_("orders");
               r.set_promote_namespace(true);
               return ValidateUpdateNamespace(r, ClusterConfig());
             },
             kInvalid, "global namespaces are not supported"},
        Case{"describe_nothing",
             [] { return ValidateDescribeNamespace(ws::DescribeNamespaceRequest(), 20); }, kInvalid,
             "Namespace not set on request."},
        Case{"list_negative_page",
             [] {
               ws::ListNamespacesRequest r;
               r.set_page_size(-1);
               return ValidateListNamespaces(r);
             },
             kInvalid, "Invalid PageSize"},
        Case{"state_deleted_to_registered",
             [] {
               return ValidateNamespaceStateChange(enums::NAMESPACE_STATE_DELETED,
                                                   enums::NAMESPACE_STATE_REGISTERED);
             },
             kInvalid, "Invalid namespace state update"},
        Case{"state_registered_to_deprecated",
             [] {
               return ValidateNamespaceStateChange(enums::NAMESPACE_STATE_REGISTERED,
                                                   enums::NAMESPACE_STATE_DEPRECATED);
             },
             kOk, ""}),
    [](const auto& info) { return info.param.name; });

TEST(NamespaceState, StartNeedsRegistered) {
  persistence::v1::NamespaceRecord record;
  record.mutable_info()->set_name("old");
  record.mutable_info()->set_state(enums::NAMESPACE_STATE_DEPRECATED);
  EXPECT_TRUE(CheckNamespaceState(record, NamespaceUse::kDefault).ok());
  auto st = CheckNamespaceState(record, NamespaceUse::kStart);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(st.message()).find("Must be NAMESPACE_STATE_REGISTERED"), std::string::npos)
      << st;
  temporal::api::errordetails::v1::NamespaceInvalidStateFailure detail;
  ASSERT_TRUE(GetDetail(st, &detail));
  EXPECT_EQ(detail.namespace_(), "old");
  EXPECT_EQ(detail.state(), enums::NAMESPACE_STATE_DEPRECATED);

  record.mutable_info()->set_state(enums::NAMESPACE_STATE_DELETED);
  EXPECT_EQ(CheckNamespaceState(record, NamespaceUse::kDefault).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(TokenNamespace, MismatchIsRejected) {
  persistence::v1::NamespaceRecord record;
  record.mutable_info()->set_name("orders");
  EXPECT_TRUE(CheckTokenNamespace("", record).ok());
  EXPECT_TRUE(CheckTokenNamespace("orders", record).ok());
  auto st = CheckTokenNamespace("billing", record);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(st.message()).find("token from a different namespace"), std::string::npos);
}

}  // namespace
}  // namespace tern::frontend
