#include "common/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "temporal/api/errordetails/v1/message.pb.h"
#include "tern/rpc/v1/status.pb.h"

namespace tern {
namespace {
constexpr char kTypeUrlPrefix[] = "type.googleapis.com/";
namespace details = temporal::api::errordetails::v1;

// Whether `status` carries a detail of type T. Every answer is asked, most are OK: those parse
// nothing.
template <typename T>
bool HasDetail(const absl::Status& status) {
  if (status.ok()) return false;
  T detail;
  return GetDetail(status, &detail);
}
}  // namespace

absl::Status WithDetail(absl::Status status, const google::protobuf::Message& detail) {
  status.SetPayload(absl::StrCat(kTypeUrlPrefix, detail.GetDescriptor()->full_name()),
                    absl::Cord(detail.SerializeAsString()));
  return status;
}

absl::Status NamespaceNotFoundError(absl::string_view namespace_name) {
  details::NamespaceNotFoundFailure detail;
  detail.set_namespace_(std::string(namespace_name));
  return WithDetail(
      absl::NotFoundError(absl::StrCat("Namespace ", namespace_name, " is not found.")), detail);
}

absl::Status NotFoundError(absl::string_view message) {
  details::NotFoundFailure detail;
  return WithDetail(absl::NotFoundError(message), detail);
}

absl::Status WorkflowAlreadyStartedError(absl::string_view message,
                                         absl::string_view start_request_id,
                                         absl::string_view run_id) {
  details::WorkflowExecutionAlreadyStartedFailure detail;
  detail.set_start_request_id(std::string(start_request_id));
  detail.set_run_id(std::string(run_id));
  return WithDetail(absl::AlreadyExistsError(message), detail);
}

absl::Status NamespaceAlreadyExistsError(absl::string_view message) {
  details::NamespaceAlreadyExistsFailure detail;
  return WithDetail(absl::AlreadyExistsError(message), detail);
}

absl::Status PermissionDeniedError(absl::string_view message, absl::string_view reason) {
  details::PermissionDeniedFailure detail;
  detail.set_reason(std::string(reason));
  return WithDetail(absl::PermissionDeniedError(message), detail);
}

absl::Status ResourceExhaustedError(int cause, absl::string_view message, int scope) {
  details::ResourceExhaustedFailure detail;
  detail.set_cause(static_cast<temporal::api::enums::v1::ResourceExhaustedCause>(cause));
  detail.set_scope(static_cast<temporal::api::enums::v1::ResourceExhaustedScope>(scope));
  return WithDetail(absl::ResourceExhaustedError(message), detail);
}

absl::Status ShardOwnershipLostError(int32_t shard_id, absl::string_view owner_host) {
  rpc::v1::ShardOwnershipLost detail;
  detail.set_shard_id(shard_id);
  detail.set_owner_host(std::string(owner_host));
  return WithDetail(
      absl::UnavailableError(absl::StrCat("shard ", shard_id, " is not owned by this host")),
      detail);
}

bool IsShardOwnershipLost(const absl::Status& status) {
  return HasDetail<rpc::v1::ShardOwnershipLost>(status);
}

absl::Status DependencyUnavailableError(absl::string_view dependency, absl::string_view message) {
  rpc::v1::DependencyUnavailable detail;
  detail.set_dependency(std::string(dependency));
  return WithDetail(absl::UnavailableError(message), detail);
}

bool IsDependencyUnavailable(const absl::Status& status) {
  return HasDetail<rpc::v1::DependencyUnavailable>(status);
}

absl::Status StickyWorkerUnavailableError(absl::string_view task_queue) {
  rpc::v1::StickyWorkerUnavailable detail;
  detail.set_task_queue(std::string(task_queue));
  // Not UNAVAILABLE: clients retry that, and this answer must reach history at once.
  return WithDetail(absl::FailedPreconditionError(absl::StrCat("no worker polls sticky task queue ",
                                                               task_queue, " any more")),
                    detail);
}

bool IsStickyWorkerUnavailable(const absl::Status& status) {
  return HasDetail<rpc::v1::StickyWorkerUnavailable>(status);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  rpc::v1::RichStatus rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(std::string(status.message()));
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = rich.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      rich.details_size() > 0 ? rich.SerializeAsString() : std::string());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  rpc::v1::RichStatus rich;
  if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
    for (const auto& any : rich.details())
      result.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return result;
}

}  // namespace tern
