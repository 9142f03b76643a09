#include "services/frontend/validation.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/task_token.h"
#include "temporal/api/errordetails/v1/message.pb.h"

namespace tern::frontend {
namespace {

namespace enums = temporal::api::enums::v1;
namespace common_pb = temporal::api::common::v1;

std::string Format(const google::protobuf::Duration& d) {
  return absl::FormatDuration(absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()));
}
std::string Format(std::chrono::milliseconds d) {
  return absl::FormatDuration(absl::FromChrono(d));
}

int64_t SizeOf(const google::protobuf::Message& m) {
  return static_cast<int64_t>(m.ByteSizeLong());
}

absl::Status CheckNamespaceField(const std::string& name, int max_id_length, bool required) {
  if (name.empty()) {
    return required ? absl::InvalidArgumentError("Namespace not set on request.")
                    : absl::OkStatus();
  }
  return CheckId("Namespace", name, max_id_length, true);
}

absl::Status CheckTaskQueue(bool present, const temporal::api::taskqueue::v1::TaskQueue& tq,
                            int max_id_length, bool allow_reserved_prefix) {
  if (!present || tq.name().empty()) {
    return absl::InvalidArgumentError("TaskQueue is not set on request.");
  }
  RETURN_IF_ERROR(CheckId("TaskQueue", tq.name(), max_id_length, true));
  if (!allow_reserved_prefix && tq.name().rfind(kReservedTaskQueuePrefix, 0) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("TaskQueue name \"", tq.name(),
                                                   "\" cannot start with the reserved prefix ",
                                                   kReservedTaskQueuePrefix, "."));
  }
  if (tq.kind() == enums::TASK_QUEUE_KIND_STICKY) {
    return CheckId("TaskQueue.NormalName", tq.normal_name(), max_id_length, false);
  }
  return absl::OkStatus();
}

// Shared by every task-token RPC: token, optional namespace, identity.
absl::StatusOr<persistence::v1::TaskToken> CheckTokenRequest(const std::string& token,
                                                             const std::string& ns,
                                                             const std::string& identity,
                                                             const RequestLimits& limits) {
  auto decoded = ValidateTaskToken(token);
  if (!decoded.ok()) return decoded.status();
  RETURN_IF_ERROR(CheckNamespaceField(ns, limits.max_id_length, false));
  RETURN_IF_ERROR(CheckId("Identity", identity, limits.max_id_length, false));
  return decoded;
}

}  // namespace

RequestLimits LimitsFor(const dynamicconfig::Collection& dc, const std::string& namespace_name) {
  return {dc.Get(dynamicconfig::kLimitMaxIDLength),
          dc.Get(dynamicconfig::kLimitBlobSizeError, namespace_name)};
}

absl::Status CheckId(const char* field, const std::string& value, int max_length, bool required) {
  if (value.empty()) {
    return required ? absl::InvalidArgumentError(absl::StrCat(field, " is not set on request."))
                    : absl::OkStatus();
  }
  if (static_cast<int64_t>(value.size()) > max_length) {
    return absl::InvalidArgumentError(absl::StrCat(field, " length exceeds limit: ", value.size(),
                                                   " bytes, the limit is ", max_length,
                                                   " (limit.maxIDLength)."));
  }
  return absl::OkStatus();
}

absl::Status CheckBlobSize(const char* what, int64_t size, int64_t limit) {
  if (limit > 0 && size > limit) {
    return absl::InvalidArgumentError(absl::StrCat("Blob data size exceeds limit: ", what, " is ",
                                                   size, " bytes, the limit is ", limit,
                                                   " bytes (limit.blobSizeError)."));
  }
  return absl::OkStatus();
}

absl::Status CheckTimeout(const char* field, const google::protobuf::Duration& d) {
  if (!IsValidDuration(d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "An invalid ", field, " is set on request: ", Format(d), " (it must not be negative)."));
  }
  return absl::OkStatus();
}

absl::Status ValidateRetryPolicy(const common_pb::RetryPolicy& policy) {
  if (!IsValidDuration(policy.initial_interval())) {
    return absl::InvalidArgumentError("InitialInterval cannot be negative on retry policy.");
  }
  if (policy.backoff_coefficient() != 0 && policy.backoff_coefficient() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("BackoffCoefficient cannot be less than 1 on retry policy (got ",
                     policy.backoff_coefficient(), ")."));
  }
  if (!IsValidDuration(policy.maximum_interval())) {
    return absl::InvalidArgumentError("MaximumInterval cannot be negative on retry policy.");
  }
  if (!IsZero(policy.maximum_interval()) &&
      FromProto(policy.maximum_interval()) < FromProto(policy.initial_interval())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MaximumInterval cannot be less than InitialInterval on retry policy (",
        Format(policy.maximum_interval()), " < ", Format(policy.initial_interval()), ")."));
  }
  if (policy.maximum_attempts() < 0) {
    return absl::InvalidArgumentError("MaximumAttempts cannot be negative on retry policy.");
  }
  return absl::OkStatus();
}

absl::Status ValidateExecution(bool present, const common_pb::WorkflowExecution& e,
                               int max_id_length) {
  if (!present) return absl::InvalidArgumentError("Execution is not set on request.");
  RETURN_IF_ERROR(CheckId("WorkflowId", e.workflow_id(), max_id_length, true));
  if (!e.run_id().empty() && !IsUuid(e.run_id())) {
    return absl::InvalidArgumentError("Invalid RunId.");
  }
  return absl::OkStatus();
}

// The namespace and the workflow execution every per-workflow request names.
absl::Status ValidateTarget(const std::string& namespace_name, bool has_execution,
                            const common_pb::WorkflowExecution& e, int max_id_length) {
  RETURN_IF_ERROR(CheckNamespaceField(namespace_name, max_id_length, true));
  return ValidateExecution(has_execution, e, max_id_length);
}

absl::StatusOr<persistence::v1::TaskToken> ValidateTaskToken(const std::string& token) {
  if (token.empty()) return absl::InvalidArgumentError("Task token not set on request.");
  auto decoded = DecodeTaskToken(token);
  if (!decoded.ok()) return absl::InvalidArgumentError("Error deserializing task token.");
  return decoded;
}

// ---- namespaces
// ----------------------------------------------------------------------------------

absl::Status ValidateNamespaceName(const std::string& name, int max_id_length) {
  RETURN_IF_ERROR(CheckNamespaceField(name, max_id_length, true));
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "Namespace name must not contain control characters (newline, tab, ...).");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRetention(const google::protobuf::Duration& retention,
                               std::chrono::milliseconds min_retention) {
  if (!IsValidDuration(retention) ||
      FromProto(retention) < std::chrono::nanoseconds(min_retention)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "A valid retention period is not set on request: the workflow execution retention "
        "period must be at least ",
        Format(min_retention), " (namespace.minRetention), got ", Format(retention), "."));
  }
  return absl::OkStatus();
}

namespace {
absl::Status CheckClusters(const std::string& active_cluster_name,
                           const google::protobuf::RepeatedPtrField<
                               temporal::api::replication::v1::ClusterReplicationConfig>& clusters,
                           const Config& config) {
  if (!active_cluster_name.empty() && active_cluster_name != config.cluster_name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Active cluster \"", active_cluster_name, "\" is not this cluster (\"", config.cluster_name,
        "\"); multi-cluster replication is not "
        "supported."));
  }
  for (const auto& c : clusters) {
    if (c.cluster_name() != config.cluster_name) {
      return absl::InvalidArgumentError(absl::StrCat("Cluster \"", c.cluster_name(),
                                                     "\" is not known; the only cluster is \"",
                                                     config.cluster_name, "\"."));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckArchival(enums::ArchivalState history, enums::ArchivalState visibility) {
  if (history == enums::ARCHIVAL_STATE_ENABLED || visibility == enums::ARCHIVAL_STATE_ENABLED) {
    return absl::InvalidArgumentError("Archival is not supported by this server.");
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status ValidateRegisterNamespace(const ws::RegisterNamespaceRequest& request,
                                       const Config& config) {
  const RequestLimits limits = LimitsFor(config.dynamic, request.namespace_());
  const auto min_retention = config.dynamic.Get(dynamicconfig::kNamespaceMinRetention);
  if (auto st = ValidateNamespaceName(request.namespace_(), limits.max_id_length); !st.ok()) {
    return st;
  }
  if (request.is_global_namespace()) {
    return absl::InvalidArgumentError("Cannot register global namespace when not enabled.");
  }
  if (auto st = ValidateRetention(request.workflow_execution_retention_period(), min_retention);
      !st.ok()) {
    return st;
  }
  if (auto st = CheckClusters(request.active_cluster_name(), request.clusters(), config);
      !st.ok()) {
    return st;
  }
  if (auto st = CheckId("OwnerEmail", request.owner_email(), limits.max_id_length, false);
      !st.ok()) {
    return st;
  }
  return CheckArchival(request.history_archival_state(), request.visibility_archival_state());
}

absl::Status ValidateUpdateNamespace(const ws::UpdateNamespaceRequest& request,
                                     const Config& config) {
  const RequestLimits limits = LimitsFor(config.dynamic, request.namespace_());
  const auto min_retention = config.dynamic.Get(dynamicconfig::kNamespaceMinRetention);
  if (auto st = CheckNamespaceField(request.namespace_(), limits.max_id_length, true); !st.ok()) {
    return st;
  }
  if (request.promote_namespace()) {
    return absl::InvalidArgumentError(
        "Cannot promote namespace: global namespaces are not supported.");
  }
  if (request.has_update_info()) {
    if (auto st =
            CheckId("OwnerEmail", request.update_info().owner_email(), limits.max_id_length, false);
        !st.ok()) {
      return st;
    }
  }
  if (request.has_config()) {
    const auto& cfg = request.config();
    if (cfg.has_workflow_execution_retention_ttl()) {
      if (auto st = ValidateRetention(cfg.workflow_execution_retention_ttl(), min_retention);
          !st.ok()) {
        return st;
      }
    }
    if (auto st = CheckArchival(cfg.history_archival_state(), cfg.visibility_archival_state());
        !st.ok()) {
      return st;
    }
    if (!cfg.custom_search_attribute_aliases().empty()) {
      return absl::InvalidArgumentError(
          "Custom search attribute aliases are not supported by this server.");
    }
  }
  if (request.has_replication_config()) {
    const auto& rc = request.replication_config();
    if (auto st = CheckClusters(rc.active_cluster_name(), rc.clusters(), config); !st.ok()) {
      return st;
    }
    if (rc.state() == enums::REPLICATION_STATE_HANDOVER) {
      return absl::InvalidArgumentError(
          "REPLICATION_STATE_HANDOVER can only be set for a global namespace.");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDescribeNamespace(const ws::DescribeNamespaceRequest& request,
                                       int max_id_length) {
  if (request.namespace_().empty() && request.id().empty()) {
    return absl::InvalidArgumentError("Namespace not set on request.");
  }
  if (!request.namespace_().empty()) {
    return CheckId("Namespace", request.namespace_(), max_id_length, true);
  }
  return absl::OkStatus();
}

absl::Status ValidateListNamespaces(const ws::ListNamespacesRequest& request) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid PageSize: ", request.page_size(), " (it must not be negative)."));
  }
  return absl::OkStatus();
}

absl::Status ValidateNamespaceStateChange(enums::NamespaceState from, enums::NamespaceState to) {
  if (to == enums::NAMESPACE_STATE_UNSPECIFIED || from == to) return absl::OkStatus();
  bool ok = (from == enums::NAMESPACE_STATE_REGISTERED &&
             (to == enums::NAMESPACE_STATE_DEPRECATED || to == enums::NAMESPACE_STATE_DELETED)) ||
            (from == enums::NAMESPACE_STATE_DEPRECATED && to == enums::NAMESPACE_STATE_DELETED);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid namespace state update: ", enums::NamespaceState_Name(from),
                   " cannot become ", enums::NamespaceState_Name(to), "."));
}

absl::Status CheckNamespaceState(const persistence::v1::NamespaceRecord& record, NamespaceUse use) {
  std::vector<enums::NamespaceState> allowed = {enums::NAMESPACE_STATE_REGISTERED};
  if (use == NamespaceUse::kDefault) allowed.push_back(enums::NAMESPACE_STATE_DEPRECATED);
  auto state = record.info().state();
  for (auto s : allowed) {
    if (s == state) return absl::OkStatus();
  }
  std::string allowed_names;
  temporal::api::errordetails::v1::NamespaceInvalidStateFailure detail;
  detail.set_namespace_(record.info().name());
  detail.set_state(state);
  for (auto s : allowed) {
    detail.add_allowed_states(s);
    absl::StrAppend(&allowed_names, allowed_names.empty() ? "" : " or ",
                    enums::NamespaceState_Name(s));
  }
  return WithDetail(absl::FailedPreconditionError(absl::StrCat(
                        "Namespace ", record.info().name(), " has invalid state: ",
                        enums::NamespaceState_Name(state), ". Must be ", allowed_names, ".")),
                    detail);
}

absl::Status CheckTokenNamespace(const std::string& request_namespace,
                                 const persistence::v1::NamespaceRecord& token_namespace) {
  if (!request_namespace.empty() && request_namespace != token_namespace.info().name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Operation requested with a token from a different namespace: the request names \"",
        request_namespace, "\", the task token belongs to \"", token_namespace.info().name(),
        "\"."));
  }
  return absl::OkStatus();
}

// ---- workflow RPCs
// -------------------------------------------------------------------------------

absl::Status ValidateStartWorkflowExecution(const ws::StartWorkflowExecutionRequest& r,
                                            const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  RETURN_IF_ERROR(CheckId("WorkflowId", r.workflow_id(), max, true));
  if (!r.has_workflow_type() || r.workflow_type().name().empty()) {
    return absl::InvalidArgumentError("WorkflowType is not set on request.");
  }
  RETURN_IF_ERROR(CheckId("WorkflowType", r.workflow_type().name(), max, true));
  if (auto st = CheckTaskQueue(r.has_task_queue(), r.task_queue(), max, false); !st.ok()) {
    return st;
  }
  RETURN_IF_ERROR(CheckId("RequestId", r.request_id(), max, false));
  RETURN_IF_ERROR(CheckId("Identity", r.identity(), max, false));
  if (auto st = CheckTimeout("WorkflowExecutionTimeout", r.workflow_execution_timeout());
      !st.ok()) {
    return st;
  }
  RETURN_IF_ERROR(CheckTimeout("WorkflowRunTimeout", r.workflow_run_timeout()));
  if (auto st = CheckTimeout("WorkflowTaskTimeout", r.workflow_task_timeout()); !st.ok()) {
    return st;
  }
  RETURN_IF_ERROR(CheckTimeout("WorkflowStartDelay", r.workflow_start_delay()));
  RETURN_IF_ERROR(ValidateRetryPolicy(r.retry_policy()));
  return CheckBlobSize("input", SizeOf(r.input()), limits.blob_size_limit_error);
}

absl::Status ValidatePollWorkflowTaskQueue(const ws::PollWorkflowTaskQueueRequest& r,
                                           const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  if (auto st = CheckTaskQueue(r.has_task_queue(), r.task_queue(), max, true); !st.ok()) {
    return st;
  }
  return CheckId("Identity", r.identity(), max, false);
}

absl::Status ValidatePollActivityTaskQueue(const ws::PollActivityTaskQueueRequest& r,
                                           const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  if (auto st = CheckTaskQueue(r.has_task_queue(), r.task_queue(), max, true); !st.ok()) {
    return st;
  }
  return CheckId("Identity", r.identity(), max, false);
}

absl::Status ValidateDescribeTaskQueue(const ws::DescribeTaskQueueRequest& r,
                                       const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  RETURN_IF_ERROR(CheckTaskQueue(r.has_task_queue(), r.task_queue(), max, false));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // the ENHANCED mode's fields
  if (r.api_mode() != enums::DESCRIBE_TASK_QUEUE_MODE_ENHANCED) return absl::OkStatus();
  if (r.versions().build_ids_size() > 0 || r.versions().all_active()) {
    return absl::InvalidArgumentError(
        "DescribeTaskQueue: Tern has no worker versioning, so only the unversioned queue can be "
        "described; leave versions.build_ids and versions.all_active unset");
  }
  for (int type : r.task_queue_types()) {
    if (type != enums::TASK_QUEUE_TYPE_WORKFLOW && type != enums::TASK_QUEUE_TYPE_ACTIVITY &&
        type != enums::TASK_QUEUE_TYPE_NEXUS) {
      return absl::InvalidArgumentError(
          absl::StrCat("DescribeTaskQueue: task_queue_types holds an unknown type ", type));
    }
  }
#pragma GCC diagnostic pop
  return absl::OkStatus();
}

absl::Status ValidateListTaskQueuePartitions(const ws::ListTaskQueuePartitionsRequest& r,
                                             const RequestLimits& limits) {
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), limits.max_id_length, true));
  RETURN_IF_ERROR(CheckTaskQueue(r.has_task_queue(), r.task_queue(), limits.max_id_length, false));
  if (r.task_queue().kind() == enums::TASK_QUEUE_KIND_STICKY) {
    return absl::InvalidArgumentError(
        "ListTaskQueuePartitions: a sticky task queue has no partitions; name a normal queue");
  }
  return absl::OkStatus();
}

absl::Status ValidateGetWorkflowExecutionHistory(const ws::GetWorkflowExecutionHistoryRequest& r,
                                                 const RequestLimits& limits) {
  if (auto st = CheckNamespaceField(r.namespace_(), limits.max_id_length, true); !st.ok()) {
    return st;
  }
  if (auto st = ValidateExecution(r.has_execution(), r.execution(), limits.max_id_length);
      !st.ok()) {
    return st;
  }
  if (r.maximum_page_size() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid PageSize: ", r.maximum_page_size(), " (it must not be negative)."));
  }
  return absl::OkStatus();
}

absl::Status ValidateDescribeWorkflowExecution(const ws::DescribeWorkflowExecutionRequest& r,
                                               const RequestLimits& limits) {
  return ValidateTarget(r.namespace_(), r.has_execution(), r.execution(), limits.max_id_length);
}

absl::Status ValidateSignalWorkflowExecution(const ws::SignalWorkflowExecutionRequest& r,
                                             const RequestLimits& limits) {
  const int max = limits.max_id_length;
  if (auto st =
          ValidateTarget(r.namespace_(), r.has_workflow_execution(), r.workflow_execution(), max);
      !st.ok()) {
    return st;
  }
  RETURN_IF_ERROR(CheckId("SignalName", r.signal_name(), max, true));
  RETURN_IF_ERROR(CheckId("RequestId", r.request_id(), max, false));
  RETURN_IF_ERROR(CheckId("Identity", r.identity(), max, false));
  return CheckBlobSize("input", SizeOf(r.input()), limits.blob_size_limit_error);
}

absl::Status ValidateSignalWithStartWorkflowExecution(
    const ws::SignalWithStartWorkflowExecutionRequest& r, const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  RETURN_IF_ERROR(CheckId("WorkflowId", r.workflow_id(), max, true));
  if (!r.has_workflow_type() || r.workflow_type().name().empty()) {
    return absl::InvalidArgumentError("WorkflowType is not set on request.");
  }
  RETURN_IF_ERROR(CheckId("WorkflowType", r.workflow_type().name(), max, true));
  if (auto st = CheckTaskQueue(r.has_task_queue(), r.task_queue(), max, false); !st.ok()) {
    return st;
  }
  RETURN_IF_ERROR(CheckId("SignalName", r.signal_name(), max, true));
  RETURN_IF_ERROR(CheckId("RequestId", r.request_id(), max, false));
  RETURN_IF_ERROR(CheckId("Identity", r.identity(), max, false));
  if (auto st = CheckTimeout("WorkflowExecutionTimeout", r.workflow_execution_timeout());
      !st.ok()) {
    return st;
  }
  RETURN_IF_ERROR(CheckTimeout("WorkflowRunTimeout", r.workflow_run_timeout()));
  if (auto st = CheckTimeout("WorkflowTaskTimeout", r.workflow_task_timeout()); !st.ok()) {
    return st;
  }
  RETURN_IF_ERROR(ValidateRetryPolicy(r.retry_policy()));
  if (auto st = CheckBlobSize("input", SizeOf(r.input()), limits.blob_size_limit_error); !st.ok()) {
    return st;
  }
  return CheckBlobSize("signal input", SizeOf(r.signal_input()), limits.blob_size_limit_error);
}

absl::Status ValidateRequestCancelWorkflowExecution(
    const ws::RequestCancelWorkflowExecutionRequest& r, const RequestLimits& limits) {
  const int max = limits.max_id_length;
  if (auto st =
          ValidateTarget(r.namespace_(), r.has_workflow_execution(), r.workflow_execution(), max);
      !st.ok()) {
    return st;
  }
  if (!r.first_execution_run_id().empty() && !IsUuid(r.first_execution_run_id())) {
    return absl::InvalidArgumentError("Invalid FirstExecutionRunId.");
  }
  RETURN_IF_ERROR(CheckId("RequestId", r.request_id(), max, false));
  return CheckId("Identity", r.identity(), max, false);
}

absl::Status ValidateUpdateWorkflowExecution(const ws::UpdateWorkflowExecutionRequest& r,
                                             const RequestLimits& limits) {
  const int max = limits.max_id_length;
  if (auto st =
          ValidateTarget(r.namespace_(), r.has_workflow_execution(), r.workflow_execution(), max);
      !st.ok()) {
    return st;
  }
  if (!r.has_request() || !r.request().has_meta() || r.request().meta().update_id().empty()) {
    return absl::InvalidArgumentError("Update id is not set on request.");
  }
  RETURN_IF_ERROR(CheckId("UpdateId", r.request().meta().update_id(), max, true));
  if (!r.request().has_input() || r.request().input().name().empty()) {
    return absl::InvalidArgumentError("Update name is not set on request.");
  }
  if (!r.first_execution_run_id().empty() && !IsUuid(r.first_execution_run_id())) {
    return absl::InvalidArgumentError("Invalid FirstExecutionRunId.");
  }
  return CheckBlobSize("update args", SizeOf(r.request().input().args()),
                       limits.blob_size_limit_error);
}

absl::Status ValidatePollWorkflowExecutionUpdate(const ws::PollWorkflowExecutionUpdateRequest& r,
                                                 const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  if (!r.has_update_ref()) return absl::InvalidArgumentError("UpdateRef is not set on request.");
  if (auto st = ValidateExecution(r.update_ref().has_workflow_execution(),
                                  r.update_ref().workflow_execution(), max);
      !st.ok()) {
    return st;
  }
  return CheckId("UpdateId", r.update_ref().update_id(), max, true);
}

absl::Status ValidateActivityById(const std::string& namespace_name, const std::string& workflow_id,
                                  const std::string& run_id, const std::string& activity_id,
                                  const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(namespace_name, max, true));
  RETURN_IF_ERROR(CheckId("WorkflowId", workflow_id, max, true));
  if (!run_id.empty() && !IsUuid(run_id)) return absl::InvalidArgumentError("Invalid RunId.");
  return CheckId("ActivityId", activity_id, max, true);
}

absl::Status ValidateGetWorkflowExecutionHistoryReverse(
    const ws::GetWorkflowExecutionHistoryReverseRequest& r, const RequestLimits& limits) {
  if (auto st = CheckNamespaceField(r.namespace_(), limits.max_id_length, true); !st.ok())
    return st;
  if (r.maximum_page_size() < 0) {
    return absl::InvalidArgumentError("MaximumPageSize may not be negative.");
  }
  return ValidateExecution(r.has_execution(), r.execution(), limits.max_id_length);
}

absl::Status ValidateResetStickyTaskQueue(const ws::ResetStickyTaskQueueRequest& r,
                                          const RequestLimits& limits) {
  return ValidateTarget(r.namespace_(), r.has_execution(), r.execution(), limits.max_id_length);
}

absl::Status ValidateDeleteWorkflowExecution(const ws::DeleteWorkflowExecutionRequest& r,
                                             const RequestLimits& limits) {
  const int max = limits.max_id_length;
  return ValidateTarget(r.namespace_(), r.has_workflow_execution(), r.workflow_execution(), max);
}

absl::Status ValidateResetWorkflowExecution(const ws::ResetWorkflowExecutionRequest& r,
                                            const RequestLimits& limits) {
  const int max = limits.max_id_length;
  if (auto st =
          ValidateTarget(r.namespace_(), r.has_workflow_execution(), r.workflow_execution(), max);
      !st.ok()) {
    return st;
  }
  if (r.workflow_task_finish_event_id() <= 1) {
    return absl::InvalidArgumentError(
        "WorkflowTaskFinishEventId must be the id of an event after the first workflow task.");
  }
  return CheckId("RequestId", r.request_id(), max, false);
}

absl::Status ValidateShutdownWorker(const ws::ShutdownWorkerRequest& r,
                                    const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  RETURN_IF_ERROR(CheckId("StickyTaskQueue", r.sticky_task_queue(), max, false));
  return CheckId("Identity", r.identity(), max, false);
}

absl::Status ValidateTerminateWorkflowExecution(const ws::TerminateWorkflowExecutionRequest& r,
                                                const RequestLimits& limits) {
  const int max = limits.max_id_length;
  if (auto st =
          ValidateTarget(r.namespace_(), r.has_workflow_execution(), r.workflow_execution(), max);
      !st.ok()) {
    return st;
  }
  if (!r.first_execution_run_id().empty() && !IsUuid(r.first_execution_run_id())) {
    return absl::InvalidArgumentError("Invalid FirstExecutionRunId.");
  }
  RETURN_IF_ERROR(CheckId("Identity", r.identity(), max, false));
  return CheckBlobSize("details", SizeOf(r.details()), limits.blob_size_limit_error);
}

absl::Status ValidateQueryWorkflow(const ws::QueryWorkflowRequest& r, const RequestLimits& limits) {
  const int max = limits.max_id_length;
  RETURN_IF_ERROR(CheckNamespaceField(r.namespace_(), max, true));
  RETURN_IF_ERROR(ValidateExecution(r.has_execution(), r.execution(), max));
  RETURN_IF_ERROR(CheckId("QueryType", r.query().query_type(), max, true));
  return CheckBlobSize("query args", SizeOf(r.query().query_args()), limits.blob_size_limit_error);
}

absl::StatusOr<persistence::v1::TaskToken> ValidateRespondWorkflowTaskCompleted(
    const ws::RespondWorkflowTaskCompletedRequest& r, const RequestLimits& limits) {
  auto token = CheckTokenRequest(r.task_token(), r.namespace_(), r.identity(), limits);
  if (!token.ok()) return token;
  if (r.has_sticky_attributes()) {
    const auto& tq = r.sticky_attributes().worker_task_queue();
    if (auto st =
            CheckId("StickyAttributes.WorkerTaskQueue", tq.name(), limits.max_id_length, false);
        !st.ok()) {
      return st;
    }
    if (auto st = CheckTimeout("StickyAttributes.ScheduleToStartTimeout",
                               r.sticky_attributes().schedule_to_start_timeout());
        !st.ok()) {
      return st;
    }
  }
  return token;
}

absl::StatusOr<persistence::v1::TaskToken> ValidateRespondWorkflowTaskFailed(
    const ws::RespondWorkflowTaskFailedRequest& r, const RequestLimits& limits) {
  auto token = CheckTokenRequest(r.task_token(), r.namespace_(), r.identity(), limits);
  if (!token.ok()) return token;
  if (auto st = CheckBlobSize("failure", SizeOf(r.failure()), limits.blob_size_limit_error);
      !st.ok()) {
    return st;
  }
  return token;
}

absl::StatusOr<persistence::v1::TaskToken> ValidateRespondActivityTaskCompleted(
    const ws::RespondActivityTaskCompletedRequest& r, const RequestLimits& limits) {
  auto token = CheckTokenRequest(r.task_token(), r.namespace_(), r.identity(), limits);
  if (!token.ok()) return token;
  if (auto st = CheckBlobSize("result", SizeOf(r.result()), limits.blob_size_limit_error);
      !st.ok()) {
    return st;
  }
  return token;
}

absl::StatusOr<persistence::v1::TaskToken> ValidateRespondActivityTaskFailed(
    const ws::RespondActivityTaskFailedRequest& r, const RequestLimits& limits) {
  auto token = CheckTokenRequest(r.task_token(), r.namespace_(), r.identity(), limits);
  if (!token.ok()) return token;
  if (auto st = CheckBlobSize("failure with last heartbeat details",
                              SizeOf(r.failure()) + SizeOf(r.last_heartbeat_details()),
                              limits.blob_size_limit_error);
      !st.ok()) {
    return st;
  }
  return token;
}

absl::StatusOr<persistence::v1::TaskToken> ValidateRespondActivityTaskCanceled(
    const ws::RespondActivityTaskCanceledRequest& r, const RequestLimits& limits) {
  auto token = CheckTokenRequest(r.task_token(), r.namespace_(), r.identity(), limits);
  if (!token.ok()) return token;
  if (auto st = CheckBlobSize("details", SizeOf(r.details()), limits.blob_size_limit_error);
      !st.ok()) {
    return st;
  }
  return token;
}

absl::StatusOr<persistence::v1::TaskToken> ValidateRecordActivityTaskHeartbeat(
    const ws::RecordActivityTaskHeartbeatRequest& r, const RequestLimits& limits) {
  auto token = CheckTokenRequest(r.task_token(), r.namespace_(), r.identity(), limits);
  if (!token.ok()) return token;
  if (auto st = CheckBlobSize("details", SizeOf(r.details()), limits.blob_size_limit_error);
      !st.ok()) {
    return st;
  }
  return token;
}

absl::StatusOr<persistence::v1::TaskToken> ValidateRespondQueryTaskCompleted(
    const ws::RespondQueryTaskCompletedRequest& r, const RequestLimits& limits) {
  auto token = CheckTokenRequest(r.task_token(), r.namespace_(), /*identity=*/"", limits);
  if (!token.ok()) return token;
  if (token->query_id().empty() || token->query_task_queue().empty()) {
    return absl::InvalidArgumentError("Invalid query task token: not issued for a query.");
  }
  if (r.completed_type() != temporal::api::enums::v1::QUERY_RESULT_TYPE_ANSWERED &&
      r.completed_type() != temporal::api::enums::v1::QUERY_RESULT_TYPE_FAILED) {
    return absl::InvalidArgumentError("CompletedType is not set on request.");
  }
  if (auto st = CheckBlobSize("query result", SizeOf(r.query_result()) + SizeOf(r.failure()),
                              limits.blob_size_limit_error);
      !st.ok()) {
    return st;
  }
  return token;
}

}  // namespace tern::frontend
