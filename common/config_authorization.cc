// global.authorization (Temporal's jwtKeyProvider, permissionsClaimName, authorizer and
// claimMapper keys, plus Tern's audience and certificatePermissions) and global.audit.
#include "absl/strings/str_cat.h"
#include "common/config_internal.h"
#include "common/permissions.h"

namespace tern::config_internal {

void ReadAuthorization(Reader& r, const YAML::Node& node, AuthorizationConfig* auth) {
  const std::string path = "global.authorization";
  if (!r.CheckMap(node, path,
                  {"jwtKeyProvider", "permissionsClaimName", "audience", "authorizer",
                   "claimMapper", "certificatePermissions"})) {
    return;
  }
  YAML::Node keys = Reader::Child(node, "jwtKeyProvider");
  if (r.CheckMap(keys, path + ".jwtKeyProvider", {"keySourceURIs", "refreshInterval"})) {
    const std::string uris_path = path + ".jwtKeyProvider.keySourceURIs";
    r.StringList(Reader::Child(keys, "keySourceURIs"), uris_path, &auth->key_source_uris);
    for (const std::string& uri : auth->key_source_uris) {
      if (!uri.starts_with("file://") && !uri.starts_with("http://") &&
          !uri.starts_with("https://")) {
        r.FailNoNode(uris_path,
                     absl::StrCat("\"", uri, "\" is not a file://, http:// or https:// URI"));
      }
    }
    r.Duration(Reader::Child(keys, "refreshInterval"), path + ".jwtKeyProvider.refreshInterval",
               std::chrono::seconds(1), &auth->key_refresh_interval);
  }
  r.String(Reader::Child(node, "permissionsClaimName"), path + ".permissionsClaimName",
           &auth->permissions_claim_name, /*allow_empty=*/false);
  r.String(Reader::Child(node, "audience"), path + ".audience", &auth->audience);
  // Only the defaults exist; naming them is allowed, as in Temporal's config files.
  std::string name;
  r.OneOf(Reader::Child(node, "authorizer"), path + ".authorizer", {"default"}, &name);
  r.OneOf(Reader::Child(node, "claimMapper"), path + ".claimMapper", {"default"}, &name);

  YAML::Node certs = Reader::Child(node, "certificatePermissions");
  const std::string certs_path = path + ".certificatePermissions";
  if (Reader::Present(certs) && !certs.IsMap()) {
    r.Fail(certs, certs_path, "must map certificate common names to lists of permissions");
  } else if (Reader::Present(certs)) {
    for (const auto& entry : certs) {
      const std::string common_name = entry.first.as<std::string>("");
      const std::string entry_path = Reader::Join(certs_path, common_name);
      std::vector<std::string> permissions;
      r.StringList(entry.second, entry_path, &permissions);
      for (const std::string& permission : permissions) {
        if (auto parsed = ParsePermission(permission); !parsed.ok()) {
          r.Fail(entry.second, entry_path, parsed.status().message());
        }
      }
      auth->certificate_permissions[common_name] = std::move(permissions);
    }
  }
  if (auth->enabled() && auth->key_source_uris.empty() && !auth->audience.empty()) {
    r.FailNoNode(path + ".audience", "needs jwtKeyProvider.keySourceURIs (tokens to check it on)");
  }
}

void ReadAudit(Reader& r, const YAML::Node& node, AuditConfig* audit) {
  if (!r.CheckMap(node, "global.audit", {"path"})) return;
  r.String(Reader::Child(node, "path"), "global.audit.path", &audit->path);
}

}  // namespace tern::config_internal
