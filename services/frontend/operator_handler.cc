#include "services/frontend/operator_handler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "common/status_macros.h"
#include "visibility/search_attributes.h"

namespace tern::frontend {
namespace {

namespace enums = temporal::api::enums::v1;

absl::Status CheckNamespace(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("Namespace is not set on request.");
  return absl::OkStatus();
}

bool IsRegistrableType(enums::IndexedValueType type) {
  return type != enums::INDEXED_VALUE_TYPE_UNSPECIFIED && enums::IndexedValueType_IsValid(type) &&
         !visibility::IndexedValueTypeName(type).empty();
}

template <typename Map>
std::vector<std::string> SortedKeys(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& [key, _] : map) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

OperatorHandler::OperatorHandler(std::shared_ptr<persistence::NamespaceStore> store,
                                 std::shared_ptr<persistence::NamespaceCache> cache,
                                 std::shared_ptr<NamespaceHandler> namespaces,
                                 std::shared_ptr<persistence::VisibilityStore> visibility,
                                 Executor& blocking)
    : store_(std::move(store)),
      cache_(std::move(cache)),
      namespaces_(std::move(namespaces)),
      visibility_(std::move(visibility)),
      blocking_(blocking) {}

template <typename Response, typename Fn>
Reactor* OperatorHandler::RunBlocking(CallContext* ctx, Response* response, Fn fn) {
  auto* reactor = ctx->DefaultReactor();
  blocking_.Post([reactor, response, fn = std::move(fn)] {
    absl::StatusOr<Response> result = fn();
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(ToGrpcStatus(result.status()));
  });
  return reactor;
}

Reactor* OperatorHandler::AddSearchAttributes(CallContext* ctx,
                                              const op::AddSearchAttributesRequest* request,
                                              op::AddSearchAttributesResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return Add(*request); });
}

Reactor* OperatorHandler::DeleteNamespace(CallContext* ctx,
                                          const op::DeleteNamespaceRequest* request,
                                          op::DeleteNamespaceResponse* response) {
  return RunBlocking(ctx, response,
                     [this, request]() -> absl::StatusOr<op::DeleteNamespaceResponse> {
                       if (!request->namespace_id().empty() && request->namespace_().empty()) {
                         return absl::InvalidArgumentError(
                             "Delete by namespace id is not supported; give its name.");
                       }
                       auto deleted = namespaces_->Delete(request->namespace_());
                       if (!deleted.ok()) return deleted.status();
                       op::DeleteNamespaceResponse out;
                       out.set_deleted_namespace(*deleted);
                       return out;
                     });
}

Reactor* OperatorHandler::RemoveSearchAttributes(CallContext* ctx,
                                                 const op::RemoveSearchAttributesRequest* request,
                                                 op::RemoveSearchAttributesResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return Remove(*request); });
}

Reactor* OperatorHandler::ListSearchAttributes(CallContext* ctx,
                                               const op::ListSearchAttributesRequest* request,
                                               op::ListSearchAttributesResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return List(*request); });
}

absl::StatusOr<persistence::v1::NamespaceRecord> OperatorHandler::Read(const std::string& name) {
  RETURN_IF_ERROR(CheckNamespace(name));
  auto record = store_->GetNamespaceByName(name);
  if (absl::IsNotFound(record.status())) return NamespaceNotFoundError(name);
  return record;
}

absl::Status OperatorHandler::Write(const persistence::v1::NamespaceRecord& record) {
  absl::Status status = store_->UpdateNamespace(record);
  if (absl::IsNotFound(status)) return NamespaceNotFoundError(record.info().name());
  if (status.ok() && cache_) cache_->Put(record);
  return status;
}

absl::StatusOr<op::AddSearchAttributesResponse> OperatorHandler::Add(
    const op::AddSearchAttributesRequest& r) {
  RETURN_IF_ERROR(CheckNamespace(r.namespace_()));
  if (r.search_attributes().empty()) {
    return absl::InvalidArgumentError("SearchAttributes are not set on request.");
  }
  for (const std::string& name : SortedKeys(r.search_attributes())) {
    if (name.empty()) return absl::InvalidArgumentError("Search attribute name is not set.");
    if (visibility::IsReservedSearchAttributeName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Search attribute ", name, " is reserved by system."));
    }
    if (!IsRegistrableType(r.search_attributes().at(name))) {
      return absl::InvalidArgumentError(
          absl::StrCat("Unknown search attribute type: ", r.search_attributes().at(name), "."));
    }
  }
  auto record = Read(r.namespace_());
  if (!record.ok()) return record.status();
  auto& custom = *record->mutable_custom_search_attributes();
  for (const std::string& name : SortedKeys(r.search_attributes())) {
    if (custom.contains(name)) {
      return absl::AlreadyExistsError(absl::StrCat("Search attribute ", name, " already exists."));
    }
  }
  if (visibility_) {
    visibility::CustomSearchAttributes added(r.search_attributes().begin(),
                                             r.search_attributes().end());
    RETURN_IF_ERROR(visibility_->AddSearchAttributeMappings(added));
  }
  for (const auto& [name, type] : r.search_attributes()) custom[name] = type;
  RETURN_IF_ERROR(Write(*record));
  return op::AddSearchAttributesResponse();
}

absl::StatusOr<op::RemoveSearchAttributesResponse> OperatorHandler::Remove(
    const op::RemoveSearchAttributesRequest& r) {
  RETURN_IF_ERROR(CheckNamespace(r.namespace_()));
  if (r.search_attributes().empty()) {
    return absl::InvalidArgumentError("SearchAttributes are not set on request.");
  }
  auto record = Read(r.namespace_());
  if (!record.ok()) return record.status();
  auto& custom = *record->mutable_custom_search_attributes();
  for (const std::string& name : r.search_attributes()) {
    if (custom.contains(name)) continue;
    if (visibility::FindBuiltInAttribute(name) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Unable to remove non-custom search attributes: ", name, "."));
    }
    return absl::NotFoundError(absl::StrCat("Search attribute ", name, " doesn't exist."));
  }
  for (const std::string& name : r.search_attributes()) custom.erase(name);
  RETURN_IF_ERROR(Write(*record));
  return op::RemoveSearchAttributesResponse();
}

absl::StatusOr<op::ListSearchAttributesResponse> OperatorHandler::List(
    const op::ListSearchAttributesRequest& r) {
  auto record = Read(r.namespace_());
  if (!record.ok()) return record.status();
  op::ListSearchAttributesResponse out;
  *out.mutable_custom_attributes() = record->custom_search_attributes();
  for (const auto& attribute : visibility::BuiltInAttributes()) {
    (*out.mutable_system_attributes())[std::string(attribute.name)] = attribute.type;
  }
  return out;
}

}  // namespace tern::frontend
