// The composition root shared by every Tern service binary: load and validate the config, check
// the schema version and the cluster's shard count, open persistence, join membership, start the
// requested services with one gRPC server each (plus Prometheus), wait for SIGTERM/SIGINT, then
// stop everything in reverse order.
#pragma once

#include <string>
#include <vector>

namespace tern::server {

struct ProcessOptions {
  std::string program;  // for messages, e.g. "tern-server"
  std::string config_path;
  std::vector<std::string> services;  // empty = every service in the config
  bool check_config = false;          // validate the config and exit (no network)
};

// Parses "--config FILE [--services a,b] [--check-config]" (services only when allow_services).
// Exits with a usage message on bad arguments.
ProcessOptions ParseProcessArgs(int argc, char** argv, const std::string& program,
                                bool allow_services, std::vector<std::string> fixed_services);

// Runs until a termination signal; returns the process exit code. With check_config, validates
// the config (YAML, services, TLS files) without touching the network and returns at once.
int RunProcess(const ProcessOptions& options);

}  // namespace tern::server
