#include "common/permissions.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tern {
namespace {

constexpr std::pair<absl::string_view, Role> kRoles[] = {{"read", Role::kRead},
                                                         {"worker", Role::kWorker},
                                                         {"write", Role::kWrite},
                                                         {"admin", Role::kAdmin}};

}  // namespace

absl::string_view RoleName(Role role) {
  for (const auto& [name, r] : kRoles) {
    if (r == role) return name;
  }
  return "none";
}

absl::StatusOr<std::pair<std::string, Role>> ParsePermission(absl::string_view permission) {
  const size_t colon = permission.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", permission, "\" is not <namespace>:<role> (for example billing:write)"));
  }
  std::string role = absl::AsciiStrToLower(permission.substr(colon + 1));
  for (const auto& [name, r] : kRoles) {
    if (name == role) {
      return std::make_pair(absl::AsciiStrToLower(permission.substr(0, colon)), r);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", permission, "\" names the role \"", role,
                                                 "\"; roles are read, worker, write and admin"));
}

Permissions Permissions::Parse(const std::vector<std::string>& permissions) {
  Permissions out;
  for (const std::string& permission : permissions) {
    auto parsed = ParsePermission(permission);
    if (parsed.ok()) out.Grant(parsed->first, parsed->second);
  }
  return out;
}

void Permissions::Grant(const std::string& scope, Role role) {
  Role& held = scope == kSystemScope ? system_ : namespaces_[scope];
  held = std::max(held, role);
}

Role Permissions::For(absl::string_view namespace_name) const {
  if (namespace_name.empty()) return system_;
  auto it = namespaces_.find(absl::AsciiStrToLower(namespace_name));
  return it == namespaces_.end() ? system_ : std::max(system_, it->second);
}

void Permissions::Merge(const Permissions& other) {
  if (other.system_ != Role::kNone) Grant(std::string(kSystemScope), other.system_);
  for (const auto& [scope, role] : other.namespaces_) Grant(scope, role);
}

std::string Permissions::ToString() const {
  std::vector<std::string> parts;
  for (const auto& [scope, role] : namespaces_)
    parts.push_back(absl::StrCat(scope, ":", RoleName(role)));
  if (system_ != Role::kNone) parts.push_back(absl::StrCat(kSystemScope, ":", RoleName(system_)));
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

}  // namespace tern
