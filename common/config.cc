#include "common/config.h"

#include <filesystem>
#include <iterator>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/config_internal.h"
#include "common/dynamic_config_file.h"
#include "common/status_macros.h"

namespace tern {
namespace {

using config_internal::Reader;

constexpr absl::string_view kServiceNames[] = {"frontend", "history", "matching", "worker"};
constexpr int kDefaultPorts[] = {7233, 7234, 7235, 7239};

void ReadGlobal(Reader& r, const YAML::Node& node, Config* config) {
  const std::string path = "global";
  if (!r.CheckMap(node, path,
                  {"clusterName", "log", "schedulingPolicy", "membership", "tls", "authorization",
                   "audit"})) {
    return;
  }
  r.String(Reader::Child(node, "clusterName"), "global.clusterName", &config->cluster_name,
           /*allow_empty=*/false);

  YAML::Node log = Reader::Child(node, "log");
  if (r.CheckMap(log, "global.log", {"level", "format"})) {
    r.OneOf(Reader::Child(log, "level"), "global.log.level",
            {"trace", "debug", "info", "warn", "error"}, &config->log_level);
    r.OneOf(Reader::Child(log, "format"), "global.log.format", {"json", "text"},
            &config->log_format);
  }
  r.OneOf(Reader::Child(node, "schedulingPolicy"), "global.schedulingPolicy", {"batch", "normal"},
          &config->scheduling_policy);

  config_internal::ReadTls(r, Reader::Child(node, "tls"), &config->tls);
  config_internal::ReadAuthorization(r, Reader::Child(node, "authorization"),
                                     &config->authorization);
  config_internal::ReadAudit(r, Reader::Child(node, "audit"), &config->audit);

  YAML::Node membership = Reader::Child(node, "membership");
  if (r.CheckMap(membership, "global.membership", {"heartbeatInterval", "maxHeartbeatAge"})) {
    MembershipConfig& m = config->membership;
    r.Duration(Reader::Child(membership, "heartbeatInterval"),
               "global.membership.heartbeatInterval", std::chrono::milliseconds(1),
               &m.heartbeat_interval);
    r.Duration(Reader::Child(membership, "maxHeartbeatAge"), "global.membership.maxHeartbeatAge",
               std::chrono::milliseconds(1), &m.max_heartbeat_age);
    if (m.max_heartbeat_age <= m.heartbeat_interval) {
      r.FailNoNode(
          "global.membership.maxHeartbeatAge",
          absl::StrCat("must be longer than heartbeatInterval (", m.heartbeat_interval.count(),
                       "ms), got ", m.max_heartbeat_age.count(), "ms"));
    }
  }
}
void ReadService(Reader& r, const YAML::Node& node, const std::string& name, int default_port,
                 ServiceConfig* service, TlsConfig* tls) {
  const std::string path = "services." + name;
  service->grpc_port = default_port;
  if (!r.CheckMap(node, path, {"rpc", "metrics", "tls"})) return;

  YAML::Node rpc = Reader::Child(node, "rpc");
  YAML::Node broadcast = Reader::Child(rpc, "broadcastAddress");
  // Only the frontend has a choice of transport (the last key).
  static constexpr absl::string_view kRpcKeys[] = {"grpcPort", "bindOnIP", "broadcastAddress",
                                                   "transport"};
  const bool frontend = name == "frontend";
  if (r.CheckMap(rpc, path + ".rpc",
                 absl::MakeConstSpan(kRpcKeys, std::size(kRpcKeys) - (frontend ? 0 : 1)))) {
    r.Integer(Reader::Child(rpc, "grpcPort"), path + ".rpc.grpcPort", 0, 65535,
              &service->grpc_port);
    YAML::Node bind = Reader::Child(rpc, "bindOnIP");
    r.String(bind, path + ".rpc.bindOnIP", &service->bind_on_ip, /*allow_empty=*/false);
    if (!config_internal::IsIpLiteral(service->bind_on_ip)) {
      r.Fail(bind, path + ".rpc.bindOnIP",
             absl::StrCat("must be an IP address, got \"", service->bind_on_ip, "\""));
    }
    r.String(broadcast, path + ".rpc.broadcastAddress", &service->broadcast_address);
    if (frontend) {
      r.OneOf(Reader::Child(rpc, "transport"), path + ".rpc.transport", {"grpc", "h2"},
              &service->transport);
    }
  }
  // Resolve broadcast_address to host:port. An unspecified bind address is reachable on
  // loopback, which is right for a single host; multi-host clusters set broadcastAddress.
  if (service->broadcast_address.empty()) {
    std::string host = service->bind_on_ip;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    service->broadcast_address = config_internal::JoinHostPort(host, service->grpc_port);
  } else if (config_internal::IsIpv6Literal(service->broadcast_address) ||
             service->broadcast_address.find(':') == std::string::npos) {
    service->broadcast_address =
        config_internal::JoinHostPort(service->broadcast_address, service->grpc_port);
  } else {
    std::string host;
    int port = 0;
    std::string problem = config_internal::SplitHostPort(service->broadcast_address, &host, &port);
    if (!problem.empty()) r.Fail(broadcast, path + ".rpc.broadcastAddress", problem);
  }

  YAML::Node metrics = Reader::Child(node, "metrics");
  if (r.CheckMap(metrics, path + ".metrics", {"listenAddress"})) {
    YAML::Node listen = Reader::Child(metrics, "listenAddress");
    r.String(listen, path + ".metrics.listenAddress", &service->metrics_listen_address);
    if (!service->metrics_listen_address.empty()) {
      std::string host;
      int port = 0;
      std::string problem =
          config_internal::SplitHostPort(service->metrics_listen_address, &host, &port);
      if (!problem.empty()) r.Fail(listen, path + ".metrics.listenAddress", problem);
    }
  }

  config_internal::ReadLegacyFrontendTls(r, Reader::Child(node, "tls"), name, tls);
}

void ReadServices(Reader& r, const YAML::Node& node, Config* config) {
  if (!r.CheckMap(node, "services",
                  {kServiceNames[0], kServiceNames[1], kServiceNames[2], kServiceNames[3]})) {
    return;
  }
  for (size_t i = 0; i < std::size(kServiceNames); ++i) {
    const std::string name(kServiceNames[i]);
    YAML::Node service = Reader::Child(node, name);
    if (!service.IsDefined()) continue;
    ReadService(r, service, name, kDefaultPorts[i], &config->services[name], &config->tls);
  }
  if (config->services.empty()) {
    r.FailNoNode("services",
                 "at least one service (frontend, history, matching, worker) is required");
    return;
  }
  // Two services of one process (or of one host) cannot share a listening port.
  std::map<std::pair<std::string, int>, std::string> bound;
  for (const auto& [name, service] : config->services) {
    if (service.grpc_port == 0) continue;
    auto [it, inserted] = bound.emplace(std::pair(service.bind_on_ip, service.grpc_port), name);
    if (!inserted) {
      r.FailNoNode("services." + name + ".rpc.grpcPort",
                   absl::StrCat("port ", service.grpc_port, " on ", service.bind_on_ip,
                                " is already used by services.", it->second));
    }
  }
}
void ReadDynamicConfigClient(Reader& r, const YAML::Node& node, DynamicConfigClient* client) {
  if (!r.CheckMap(node, "dynamicConfigClient", {"filepath", "pollInterval"})) return;
  r.String(Reader::Child(node, "filepath"), "dynamicConfigClient.filepath", &client->filepath);
  r.Duration(Reader::Child(node, "pollInterval"), "dynamicConfigClient.pollInterval",
             std::chrono::seconds(1), &client->poll_interval);
}

// Both sources in force: the main file's values, each key the dynamic-config file sets replaced.
void SetDynamicValues(Config& config, const dynamicconfig::Values& from_file) {
  config.dynamic.Update(config.dynamic_config_values.OverriddenBy(from_file));
}

}  // namespace

absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, const std::string& source) {
  ASSIGN_OR_RETURN(std::string text, config_internal::SubstituteEnv(yaml_text, source));
  ASSIGN_OR_RETURN(YAML::Node root, config_internal::LoadYaml(text, source));

  Config config;
  Reader r(source);
  try {
    if (Reader::Present(root) && !root.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source,
                       ": the top level must be a map (global, persistence, services, "
                       "dynamicConfig, dynamicConfigClient)"));
    }
    r.CheckMap(root, "",
               {"global", "persistence", "services", "dynamicConfig", "dynamicConfigClient"});
    ReadGlobal(r, Reader::Child(root, "global"), &config);
    config_internal::ReadPersistence(r, Reader::Child(root, "persistence"), &config);
    ReadServices(r, Reader::Child(root, "services"), &config);
    config_internal::ReadDynamicValues(r, Reader::Child(root, "dynamicConfig"), "dynamicConfig.",
                                       &config.dynamic_config_values);
    ReadDynamicConfigClient(r, Reader::Child(root, "dynamicConfigClient"),
                            &config.dynamic_config_client);
  } catch (const YAML::Exception& e) {
    // The checks above make this unreachable in practice; never let yaml-cpp escape.
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
  RETURN_IF_ERROR(r.Result());
  SetDynamicValues(config, dynamicconfig::Values());
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, config_internal::ReadTextFile(path, "config file"));
  ASSIGN_OR_RETURN(Config config, ParseConfig(text, path));
  std::string& file = config.dynamic_config_client.filepath;
  if (!file.empty()) {
    if (std::filesystem::path(file).is_relative()) {
      file = (std::filesystem::path(path).parent_path() / file).lexically_normal().string();
    }
    ASSIGN_OR_RETURN(dynamicconfig::Values values, dynamicconfig::LoadValuesFile(file));
    SetDynamicValues(config, values);
  }
  return config;
}

}  // namespace tern
