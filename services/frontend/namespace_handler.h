// The namespace RPCs (Register/Describe/List/UpdateNamespace) as blocking functions over the
// NamespaceStore. WorkflowHandler runs them on the blocking executor and finishes the gRPC
// reactor with the result; tests call them directly with an in-memory store.
//
// Describe/Update read the store, not the cache, so a caller always sees the latest write;
// every successful read or write also refreshes the cache entry.
//
// Update is read-modify-write without a version check: two concurrent updates of the same
// namespace may lose one of them (the store has no conditional update yet).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "persistence/namespace_cache.h"
#include "persistence/store.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace tern::frontend {

namespace ws = temporal::api::workflowservice::v1;
using persistence::NamespaceCache;

inline constexpr int kDefaultListNamespacesPageSize = 100;
// NamespaceInfo.limits.memo_size_limit_error (Temporal's limit.memoSize.error default).
inline constexpr int64_t kMemoSizeLimitError = 2 * 1024 * 1024;

// The DescribeNamespace view of a stored record (also used for List and Update responses):
// capabilities all false, limits from config, replication pinned to this cluster.
ws::DescribeNamespaceResponse DescribeResponseFor(const persistence::v1::NamespaceRecord& record,
                                                  const Config& config);

class NamespaceHandler {
 public:
  // `cache` may be null (tests); otherwise it is updated after every read and write.
  NamespaceHandler(const Config& config, std::shared_ptr<persistence::NamespaceStore> store,
                   std::shared_ptr<NamespaceCache> cache);

  absl::StatusOr<ws::RegisterNamespaceResponse> Register(const ws::RegisterNamespaceRequest& r);
  absl::StatusOr<ws::DescribeNamespaceResponse> Describe(const ws::DescribeNamespaceRequest& r);
  absl::StatusOr<ws::ListNamespacesResponse> List(const ws::ListNamespacesRequest& r);
  absl::StatusOr<ws::UpdateNamespaceResponse> Update(const ws::UpdateNamespaceRequest& r);
  // DeprecateNamespace: no new workflows; running ones go on.
  absl::StatusOr<ws::DeprecateNamespaceResponse> Deprecate(const ws::DeprecateNamespaceRequest& r);
  // OperatorService.DeleteNamespace: the namespace is renamed to `<name>-deleted-<5 chars>` and
  // marked DELETED at once (its name is free again, its id refuses every request); tern-worker
  // then deletes its data. Returns the new name.
  absl::StatusOr<std::string> Delete(const std::string& name);

 private:
  // Moves the namespace to `state` (and `new_name` if not empty), writing store and cache.
  absl::Status ChangeState(const std::string& name, temporal::api::enums::v1::NamespaceState state,
                           const std::string& new_name);
  absl::StatusOr<persistence::v1::NamespaceRecord> Read(const std::string& name,
                                                        const std::string& id);

  const Config& config_;
  std::shared_ptr<persistence::NamespaceStore> store_;
  std::shared_ptr<NamespaceCache> cache_;
};

}  // namespace tern::frontend
