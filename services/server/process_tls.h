// The process's TLS (global.tls, common/tls.h): the frontend group for the frontend's port, the
// internode group for every other port and for the calls this process makes to other services.
// Created at start (a group with unusable files stops the start with the reason), then its files
// are re-checked every global.tls.refreshInterval until Stop().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "common/executor.h"
#include "common/tls.h"
#include "h2/server.h"

namespace tern::server {

class ProcessTls {
 public:
  // Checks and loads the groups `services` need (internode whenever it is on: every process
  // calls other services).
  static absl::StatusOr<std::unique_ptr<ProcessTls>> Create(
      const TlsConfig& config, const std::vector<std::string>& services);
  // Checks the same files without keeping anything (--check-config).
  static absl::Status Check(const TlsConfig& config, const std::vector<std::string>& services);
  ~ProcessTls() { Stop(); }

  // The credentials of `service`'s port: TLS when its group is on, else plaintext.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const std::string& service) const;
  // The TLS of `service`'s port for the h2 server, asked for each new connection: null
  // (plaintext) when its group is off. A context is built once per version of the files; when
  // new files cannot be loaded the previous context stays in use.
  std::function<std::shared_ptr<h2::TlsContext>()> H2Tls(const std::string& service) const;
  // The internode group (null when internode TLS is off): what internal clients dial with.
  const std::shared_ptr<tls::TlsMaterial>& internode() const { return internode_; }

  void StartRefresh(Executor& timers);
  void Stop();

 private:
  explicit ProcessTls(std::chrono::milliseconds refresh_interval)
      : refresh_interval_(refresh_interval) {}
  void Refresh();

  const std::chrono::milliseconds refresh_interval_;
  std::shared_ptr<tls::TlsMaterial> frontend_;
  std::shared_ptr<tls::TlsMaterial> internode_;
  std::mutex mu_;
  Executor* timers_ = nullptr;
  std::shared_ptr<Executor::Timer> timer_;
  bool stopped_ = false;
};

}  // namespace tern::server
