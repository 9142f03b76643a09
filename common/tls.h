// TLS for the gRPC servers and internal clients (config: global.tls, common/config.h).
//
// - CheckTlsGroup refuses a group whose files are unusable, naming the key, the file and the
//   problem: unreadable, no PEM block, expired or not yet valid, key not matching the
//   certificate, a CA file holding a certificate that is not a CA.
// - TlsMaterial keeps validated copies of a group's files in a private directory that gRPC's
//   file watcher reads (a `current` symlink swapped atomically). Refresh() re-reads the
//   operator's files; when they changed and pass CheckTlsGroup the copies are replaced, so new
//   connections use the new material without a restart; when they fail, the previous material
//   stays. Either way the outcome is logged and counted (tern_tls_reloads_total).
// - Server and channel credentials come from a TlsMaterial. gRPC negotiates TLS 1.2 or 1.3
//   (1.3 preferred); older versions are refused.
#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "common/config.h"

namespace tern::tls {

// Checks the server files of `group` (certFile, keyFile, clientCaFiles) and its client's
// rootCaFiles. `path` prefixes the keys in messages ("global.tls.frontend").
absl::Status CheckTlsGroup(const TlsGroupConfig& group, const std::string& path);

class TlsMaterial {
 public:
  struct Contents;  // the files' contents (tls.cc)

  // Checks `group` and copies its files into a new private directory under $TMPDIR. `name`
  // ("frontend", "internode") labels logs and metrics.
  static absl::StatusOr<std::shared_ptr<TlsMaterial>> Create(const TlsGroupConfig& group,
                                                             std::string name);
  ~TlsMaterial();
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;

  // Re-reads the group's files; replaces the copies when they changed and are valid.
  void Refresh();

  // Credentials of a server presenting certFile, verifying client certificates against
  // clientCaFiles (required when requireClientAuth).
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;
  // Credentials of a client presenting certFile (when set), verifying the server against
  // client.rootCaFiles (the system's CAs when empty); client.disableHostVerification skips
  // only the name check.
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() const;
  // The installed copies of the server files, for a server that builds its own TLS context
  // (the frontend's h2 transport). `version` changes whenever Refresh installs new files.
  struct ServerFiles {
    std::string cert_file;
    std::string key_file;
    std::string client_ca_file;  // "" without clientCaFiles
    bool require_client_auth = false;
    int version = 0;
  };
  ServerFiles server_files() const;
  // client.serverName: the name to expect in the server's certificate ("" = the host dialled).
  const std::string& server_name() const { return group_.client.server_name; }

 private:
  TlsMaterial(TlsGroupConfig group, std::string name, std::string dir);
  // Writes checked contents into a new version directory and points `current` at it.
  absl::Status Install(const Contents& contents);

  const TlsGroupConfig group_;
  const std::string name_;
  const std::string dir_;  // private: <dir>/current -> <dir>/vN/{cert,key,client_ca,root_ca}.pem
  mutable std::mutex mu_;
  std::string fingerprint_;  // of the files installed last (their contents)
  std::string rejected_;     // of the files rejected last, so each change is logged once
  int version_ = 0;
};

}  // namespace tern::tls
