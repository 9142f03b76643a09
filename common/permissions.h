// Permissions in Temporal's claim format: "<namespace>:<role>" strings such as "billing:write",
// with the namespace "system" meaning every namespace and the cluster itself ("system:admin").
// Roles are ordered: each includes the ones before it.
//   read    describe, list, count, query and read histories
//   worker  read, plus poll task queues and answer tasks (what an SDK worker does)
//   write   worker, plus start, signal, update, cancel, terminate and reset workflows
//   admin   write, plus namespace and search-attribute management and deletes
// Used by the config (global.authorization.certificatePermissions) and the frontend's
// authorizer (services/frontend/access.h).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tern {

enum class Role { kNone = 0, kRead = 1, kWorker = 2, kWrite = 3, kAdmin = 4 };

absl::string_view RoleName(Role role);  // "read", ...; "none"

inline constexpr absl::string_view kSystemScope = "system";

// One "<namespace>:<role>" string; namespaces are compared lower-cased, as Temporal does.
absl::StatusOr<std::pair<std::string, Role>> ParsePermission(absl::string_view permission);

// What a caller may do: a role for the whole system and one per namespace.
class Permissions {
 public:
  // Malformed strings and unknown roles are skipped, as Temporal's claim mapper does; the config
  // rejects them where it can (certificate permissions).
  static Permissions Parse(const std::vector<std::string>& permissions);

  // The caller's role in `namespace_name` (its system role included); "" asks for the system
  // role alone (calls about no namespace).
  Role For(absl::string_view namespace_name) const;
  // Adds other's roles (a certificate's and a token's permissions together).
  void Merge(const Permissions& other);
  bool empty() const { return system_ == Role::kNone && namespaces_.empty(); }
  // "billing:write, system:read"; "none" when empty.
  std::string ToString() const;

 private:
  void Grant(const std::string& scope, Role role);

  Role system_ = Role::kNone;
  std::map<std::string, Role> namespaces_;
};

}  // namespace tern
