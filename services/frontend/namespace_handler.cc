#include "services/frontend/namespace_handler.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "services/frontend/validation.h"

namespace tern::frontend {
namespace {
namespace enums = temporal::api::enums::v1;
}

ws::DescribeNamespaceResponse DescribeResponseFor(const persistence::v1::NamespaceRecord& record,
                                                  const Config& config) {
  ws::DescribeNamespaceResponse out;
  auto* info = out.mutable_namespace_info();
  *info = record.info();
  // We advertise only what is implemented.
  info->mutable_capabilities()->Clear();
  info->mutable_capabilities()->set_eager_workflow_start(true);
  info->mutable_capabilities()->set_sync_update(true);
  info->mutable_capabilities()->set_async_update(true);
  info->set_supports_schedules(true);
  info->mutable_limits()->set_blob_size_limit_error(
      config.dynamic.Get(dynamicconfig::kLimitBlobSizeError, record.info().name()));
  info->mutable_limits()->set_memo_size_limit_error(kMemoSizeLimitError);

  auto* cfg = out.mutable_config();
  *cfg = record.config();
  if (cfg->history_archival_state() == enums::ARCHIVAL_STATE_UNSPECIFIED) {
    cfg->set_history_archival_state(enums::ARCHIVAL_STATE_DISABLED);
  }
  if (cfg->visibility_archival_state() == enums::ARCHIVAL_STATE_UNSPECIFIED) {
    cfg->set_visibility_archival_state(enums::ARCHIVAL_STATE_DISABLED);
  }

  auto* rc = out.mutable_replication_config();
  *rc = record.replication_config();
  rc->set_active_cluster_name(config.cluster_name);
  if (rc->clusters_size() == 0) rc->add_clusters()->set_cluster_name(config.cluster_name);
  if (rc->state() == enums::REPLICATION_STATE_UNSPECIFIED) {
    rc->set_state(enums::REPLICATION_STATE_NORMAL);
  }
  out.set_is_global_namespace(false);
  return out;
}

NamespaceHandler::NamespaceHandler(const Config& config,
                                   std::shared_ptr<persistence::NamespaceStore> store,
                                   std::shared_ptr<NamespaceCache> cache)
    : config_(config), store_(std::move(store)), cache_(std::move(cache)) {}

absl::StatusOr<ws::RegisterNamespaceResponse> NamespaceHandler::Register(
    const ws::RegisterNamespaceRequest& r) {
  RETURN_IF_ERROR(ValidateRegisterNamespace(r, config_));
  persistence::v1::NamespaceRecord record;
  auto* info = record.mutable_info();
  info->set_id(NewUuid());
  info->set_name(r.namespace_());
  info->set_state(enums::NAMESPACE_STATE_REGISTERED);
  info->set_description(r.description());
  info->set_owner_email(r.owner_email());
  *info->mutable_data() = r.data();
  auto* cfg = record.mutable_config();
  *cfg->mutable_workflow_execution_retention_ttl() = r.workflow_execution_retention_period();
  cfg->set_history_archival_state(enums::ARCHIVAL_STATE_DISABLED);
  cfg->set_visibility_archival_state(enums::ARCHIVAL_STATE_DISABLED);
  auto* rc = record.mutable_replication_config();
  rc->set_active_cluster_name(config_.cluster_name);
  rc->add_clusters()->set_cluster_name(config_.cluster_name);
  rc->set_state(enums::REPLICATION_STATE_NORMAL);
  record.set_is_global_namespace(false);

  if (auto st = store_->CreateNamespace(record); !st.ok()) {
    if (absl::IsAlreadyExists(st)) {
      return NamespaceAlreadyExistsError(
          absl::StrCat("Namespace \"", r.namespace_(), "\" already exists."));
    }
    return st;
  }
  if (cache_) cache_->Put(record);
  return ws::RegisterNamespaceResponse();
}

absl::StatusOr<persistence::v1::NamespaceRecord> NamespaceHandler::Read(const std::string& name,
                                                                        const std::string& id) {
  auto record = id.empty() ? store_->GetNamespaceByName(name) : store_->GetNamespaceById(id);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status())) return NamespaceNotFoundError(id.empty() ? name : id);
    return record.status();
  }
  // Describe by name and id at once: both must name the same namespace.
  if (!id.empty() && !name.empty() && record->info().name() != name) {
    return NamespaceNotFoundError(name);
  }
  if (cache_) cache_->Put(*record);
  return record;
}

absl::StatusOr<ws::DescribeNamespaceResponse> NamespaceHandler::Describe(
    const ws::DescribeNamespaceRequest& r) {
  if (auto st = ValidateDescribeNamespace(r, config_.dynamic.Get(dynamicconfig::kLimitMaxIDLength));
      !st.ok()) {
    return st;
  }
  auto record = Read(r.namespace_(), r.id());
  if (!record.ok()) return record.status();
  return DescribeResponseFor(*record, config_);
}

absl::StatusOr<ws::ListNamespacesResponse> NamespaceHandler::List(
    const ws::ListNamespacesRequest& r) {
  RETURN_IF_ERROR(ValidateListNamespaces(r));
  int page_size = r.page_size() > 0 ? r.page_size() : kDefaultListNamespacesPageSize;
  auto page = store_->ListNamespaces(page_size, r.next_page_token());
  if (!page.ok()) return page.status();
  ws::ListNamespacesResponse out;
  bool include_deleted = r.namespace_filter().include_deleted();
  for (const auto& record : page->namespaces) {
    if (!include_deleted && record.info().state() == enums::NAMESPACE_STATE_DELETED) continue;
    *out.add_namespaces() = DescribeResponseFor(record, config_);
  }
  out.set_next_page_token(page->next_page_token);
  return out;
}

absl::Status NamespaceHandler::ChangeState(const std::string& name, enums::NamespaceState state,
                                           const std::string& new_name) {
  auto record = Read(name, "");
  if (!record.ok()) return record.status();
  // A deleted namespace waits for tern-worker; nothing may change it any more.
  if (record->info().state() == enums::NAMESPACE_STATE_DELETED) return NamespaceNotFoundError(name);
  RETURN_IF_ERROR(ValidateNamespaceStateChange(record->info().state(), state));
  record->mutable_info()->set_state(state);
  if (!new_name.empty()) record->mutable_info()->set_name(new_name);
  if (auto st = store_->UpdateNamespace(*record); !st.ok()) {
    return absl::IsNotFound(st) ? NamespaceNotFoundError(name) : st;
  }
  if (cache_) cache_->Put(*record);
  return absl::OkStatus();
}

absl::StatusOr<ws::DeprecateNamespaceResponse> NamespaceHandler::Deprecate(
    const ws::DeprecateNamespaceRequest& r) {
  if (auto st = ValidateNamespaceName(r.namespace_(),
                                      config_.dynamic.Get(dynamicconfig::kLimitMaxIDLength));
      !st.ok()) {
    return st;
  }
  if (auto st = ChangeState(r.namespace_(), enums::NAMESPACE_STATE_DEPRECATED, ""); !st.ok()) {
    return st;
  }
  return ws::DeprecateNamespaceResponse();
}

absl::StatusOr<std::string> NamespaceHandler::Delete(const std::string& name) {
  if (auto st = ValidateNamespaceName(name, config_.dynamic.Get(dynamicconfig::kLimitMaxIDLength));
      !st.ok()) {
    return st;
  }
  std::string deleted_name = absl::StrCat(name, "-deleted-", NewUuid().substr(0, 5));
  if (auto st = ChangeState(name, enums::NAMESPACE_STATE_DELETED, deleted_name); !st.ok()) {
    return st;
  }
  return deleted_name;
}

absl::StatusOr<ws::UpdateNamespaceResponse> NamespaceHandler::Update(
    const ws::UpdateNamespaceRequest& r) {
  RETURN_IF_ERROR(ValidateUpdateNamespace(r, config_));
  auto current = Read(r.namespace_(), "");
  if (!current.ok()) return current.status();
  persistence::v1::NamespaceRecord record = *current;
  bool changed = false;

  if (r.has_update_info()) {
    const auto& u = r.update_info();
    auto* info = record.mutable_info();
    if (!u.description().empty()) {
      info->set_description(u.description());
      changed = true;
    }
    if (!u.owner_email().empty()) {
      info->set_owner_email(u.owner_email());
      changed = true;
    }
    for (const auto& [key, value] : u.data()) {  // merged, as in Temporal
      (*info->mutable_data())[key] = value;
      changed = true;
    }
    if (u.state() != enums::NAMESPACE_STATE_UNSPECIFIED && u.state() != info->state()) {
      RETURN_IF_ERROR(ValidateNamespaceStateChange(info->state(), u.state()));
      info->set_state(u.state());
      changed = true;
    }
  }
  if (r.has_config()) {
    const auto& c = r.config();
    if (c.has_workflow_execution_retention_ttl()) {
      *record.mutable_config()->mutable_workflow_execution_retention_ttl() =
          c.workflow_execution_retention_ttl();
      changed = true;
    }
    for (const auto& [checksum, bad] : c.bad_binaries().binaries()) {
      auto& stored =
          (*record.mutable_config()->mutable_bad_binaries()->mutable_binaries())[checksum];
      stored = bad;
      *stored.mutable_create_time() = ToProto(SystemClock::Instance().Now());
      changed = true;
    }
  }
  if (!r.delete_bad_binary().empty()) {
    auto* binaries = record.mutable_config()->mutable_bad_binaries()->mutable_binaries();
    if (binaries->erase(r.delete_bad_binary()) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Bad binary checksum ", r.delete_bad_binary(), " doesn't exist."));
    }
    changed = true;
  }

  if (changed) {
    if (auto st = store_->UpdateNamespace(record); !st.ok()) {
      if (absl::IsNotFound(st)) return NamespaceNotFoundError(r.namespace_());
      return st;
    }
    if (cache_) cache_->Put(record);
  }
  auto described = DescribeResponseFor(record, config_);
  ws::UpdateNamespaceResponse out;
  *out.mutable_namespace_info() = std::move(*described.mutable_namespace_info());
  *out.mutable_config() = std::move(*described.mutable_config());
  *out.mutable_replication_config() = std::move(*described.mutable_replication_config());
  out.set_is_global_namespace(false);
  return out;
}

}  // namespace tern::frontend
