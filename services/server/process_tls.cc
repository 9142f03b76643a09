#include "services/server/process_tls.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tern::server {
namespace {

bool Runs(const std::vector<std::string>& services, const std::string& name) {
  return std::find(services.begin(), services.end(), name) != services.end();
}

}  // namespace

absl::Status ProcessTls::Check(const TlsConfig& config, const std::vector<std::string>& services) {
  if (config.frontend.server.enabled() && Runs(services, "frontend")) {
    if (auto st = tls::CheckTlsGroup(config.frontend, "global.tls.frontend"); !st.ok()) return st;
  }
  if (config.internode.server.enabled()) {
    return tls::CheckTlsGroup(config.internode, "global.tls.internode");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ProcessTls>> ProcessTls::Create(
    const TlsConfig& config, const std::vector<std::string>& services) {
  auto process_tls = std::unique_ptr<ProcessTls>(new ProcessTls(config.refresh_interval));
  if (config.frontend.server.enabled() && Runs(services, "frontend")) {
    auto material = tls::TlsMaterial::Create(config.frontend, "frontend");
    if (!material.ok()) return material.status();
    process_tls->frontend_ = *std::move(material);
  }
  if (config.internode.server.enabled()) {
    auto material = tls::TlsMaterial::Create(config.internode, "internode");
    if (!material.ok()) return material.status();
    process_tls->internode_ = *std::move(material);
  }
  return process_tls;
}

std::shared_ptr<grpc::ServerCredentials> ProcessTls::ServerCredentials(
    const std::string& service) const {
  const auto& material = service == "frontend" ? frontend_ : internode_;
  return material ? material->ServerCredentials() : grpc::InsecureServerCredentials();
}

std::function<std::shared_ptr<h2::TlsContext>()> ProcessTls::H2Tls(
    const std::string& service) const {
  const auto& material = service == "frontend" ? frontend_ : internode_;
  if (!material) return [] { return std::shared_ptr<h2::TlsContext>(); };
  struct Loaded {
    std::mutex mu;
    int version = -1;
    std::shared_ptr<h2::TlsContext> context;
  };
  return [material, loaded = std::make_shared<Loaded>()] {
    const tls::TlsMaterial::ServerFiles files = material->server_files();
    std::lock_guard lock(loaded->mu);
    if (files.version != loaded->version) {
      auto context = h2::TlsContext::Load(
          {files.cert_file, files.key_file, files.client_ca_file, files.require_client_auth});
      if (context.ok()) {
        loaded->context = *std::move(context);
        loaded->version = files.version;
      } else {
        spdlog::warn(
            "tls: cannot load the new certificate files ({}); the previous ones stay in use",
            context.status().ToString());
      }
    }
    return loaded->context;
  };
}

void ProcessTls::StartRefresh(Executor& timers) {
  std::lock_guard lock(mu_);
  if (!frontend_ && !internode_) return;
  timers_ = &timers;
  timer_ = timers.PostAfter(refresh_interval_, [this] { Refresh(); });
}

void ProcessTls::Refresh() {
  if (frontend_) frontend_->Refresh();
  if (internode_) internode_->Refresh();
  std::lock_guard lock(mu_);
  if (!stopped_) timer_ = timers_->PostAfter(refresh_interval_, [this] { Refresh(); });
}

void ProcessTls::Stop() {
  std::shared_ptr<Executor::Timer> timer;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    timer = std::move(timer_);
  }
  if (timer) timer->Cancel();
}

}  // namespace tern::server
