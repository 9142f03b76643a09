// The process configuration: one YAML file in a Temporal-like shape (see config/*.yaml and
// docs/operations.md). ${ENV} and ${ENV:-default} references in values are substituted from
// the environment before parsing. LoadConfig validates every value and names the offending
// key in its error (e.g. "persistence.numHistoryShards: must be a power of two, got 3").
// Dynamic config (the dynamicConfig section and the dynamicConfigClient file) is read through
// Config::dynamic with the typed keys of dynamic_config_keys.h; see docs/dynamic-config.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/dynamic_config.h"

namespace tern {

struct SqlStoreConfig {
  std::string plugin_name = "postgres";  // only postgres is supported
  std::string database_name = "tern";
  std::string connect_addr = "127.0.0.1:5432";  // host:port, or a unix socket directory
  std::string user = "postgres";
  std::string password;
  int max_conns = 16;
  std::map<std::string, std::string> connect_attributes;  // extra libpq keywords (sslmode, ...)
};

// A datastore with an `elasticsearch` section (Temporal's shape), usable only as the visibility
// store: Elasticsearch 7/8 or OpenSearch (version v7) over HTTP.
struct ElasticsearchConfig {
  std::string version = "v7";   // v7 | v8
  std::string scheme = "http";  // url.scheme: http | https
  std::string host;             // url.host: "host:port"
  std::string username;         // basic auth when not empty
  std::string password;
  std::string visibility_index;  // indices.visibility
  // tls.*: a CA bundle to verify the server with (else the system's), and a client
  // certificate. The server certificate is always verified.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string Url() const { return scheme + "://" + host; }
};

struct PersistenceConfig {
  int32_t num_history_shards = 4;  // power of two, fixed at cluster creation
  std::string default_store = "default";
  std::string visibility_store = "default";  // when not configured: the same as default_store
  // The datastores with a `sql` section, by name.
  std::map<std::string, SqlStoreConfig> datastores;
  // The datastores with an `elasticsearch` section, by name (never the default store).
  std::map<std::string, ElasticsearchConfig> elasticsearch_datastores;
  // The datastore named by default_store (validated to be a sql datastore).
  const SqlStoreConfig& DefaultStore() const { return datastores.at(default_store); }
  // The Elasticsearch datastore visibility_store names, or nullptr when visibility lives in
  // PostgreSQL (the default store).
  const ElasticsearchConfig* VisibilityElasticsearch() const {
    auto it = elasticsearch_datastores.find(visibility_store);
    return it == elasticsearch_datastores.end() ? nullptr : &it->second;
  }
};

// global.tls, in Temporal's shape. `frontend` secures the frontend's port (SDKs, the CLI);
// `internode` the history, matching and worker ports and every call between services. A group
// is on when its server.certFile is set. Internal clients present the internode server
// certificate as their client certificate.
struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::vector<std::string> client_ca_files;  // CAs a client certificate must chain to
  bool require_client_auth = false;
  bool enabled() const { return !cert_file.empty(); }
};
struct TlsClientConfig {
  std::string server_name;  // expected in the server's certificate; default: the host dialled
  std::vector<std::string> root_ca_files;  // CAs the server's certificate must chain to
  bool disable_host_verification = false;  // still verifies the chain, not the name
};
struct TlsGroupConfig {
  TlsServerConfig server;
  TlsClientConfig client;
};
struct TlsConfig {
  TlsGroupConfig frontend;
  TlsGroupConfig internode;
  // How often certificate and CA files are checked for changes (re-read without a restart).
  std::chrono::milliseconds refresh_interval{std::chrono::seconds(30)};
};

// global.authorization, in Temporal's shape (plus Tern's audience and certificatePermissions).
// On when it names key sources or certificate permissions: every frontend call must then carry
// a JWT (`authorization: Bearer ...`) verified against the keys, or a client certificate listed
// in certificate_permissions; the default authorizer maps the permissions to roles.
struct AuthorizationConfig {
  std::vector<std::string> key_source_uris;  // jwtKeyProvider.keySourceURIs: file://, http(s)://
  std::chrono::milliseconds key_refresh_interval{std::chrono::minutes(1)};
  std::string permissions_claim_name = "permissions";
  std::string audience;  // when set, a token's aud must include it
  // Client-certificate common name -> permissions ("namespace:role", "system:admin").
  std::map<std::string, std::vector<std::string>> certificate_permissions;
  bool enabled() const { return !key_source_uris.empty() || !certificate_permissions.empty(); }
};

// global.audit: where the frontend's audit records go (one JSON line each): a file path, or
// empty for standard output beside the process log (each record marked "log":"audit").
struct AuditConfig {
  std::string path;
};

struct ServiceConfig {
  std::string bind_on_ip = "127.0.0.1";
  // When the YAML omits it, the service's well-known port (7233/7234/7235/7239); 0 asks the
  // OS for a free port (tests).
  int grpc_port = 0;
  // Address other services dial to reach this one, always host:port after ParseConfig.
  // Defaults to bind_on_ip:grpc_port (127.0.0.1 when binding 0.0.0.0); a broadcastAddress
  // without a port gets grpc_port.
  std::string broadcast_address;
  // Prometheus endpoint "host:port"; empty = none for this service.
  std::string metrics_listen_address;
  // The frontend's server for its port (services.frontend.rpc.transport): "h2" (Tern's own,
  // h2/: half the thread hand-offs per call) or "grpc" (gRPC's callback server, the fallback).
  // The other services always use gRPC.
  std::string transport = "h2";
};

struct MembershipConfig {
  std::chrono::milliseconds heartbeat_interval{1000};
  // A member whose last heartbeat is older than this is considered gone.
  std::chrono::milliseconds max_heartbeat_age{10000};
};

// dynamicConfigClient (Temporal's key): a separate dynamic-config file, re-read every
// poll_interval while the process runs (services/server starts a dynamicconfig::FileWatcher).
struct DynamicConfigClient {
  // Empty: none. LoadConfig resolves a relative path against the main config file's directory.
  std::string filepath;
  std::chrono::milliseconds poll_interval{std::chrono::seconds(10)};
};

struct Config {
  std::string cluster_name = "active";
  MembershipConfig membership;
  std::string log_level = "info";   // global.log.level
  std::string log_format = "json";  // global.log.format: json | text
  // global.schedulingPolicy: the Linux scheduling policy of every thread of the process.
  // batch (SCHED_BATCH): a thread woken by another does not preempt the running one;
  // normal (SCHED_OTHER): the kernel's default. docs/operations.md has the measurements.
  std::string scheduling_policy = "batch";
  TlsConfig tls;                      // global.tls
  AuthorizationConfig authorization;  // global.authorization
  AuditConfig audit;                  // global.audit
  PersistenceConfig persistence;
  std::map<std::string, ServiceConfig> services;  // frontend, history, matching, worker
  // The main file's dynamicConfig: section. A key the dynamicConfigClient file sets replaces
  // all of that key's values here.
  dynamicconfig::Values dynamic_config_values;
  DynamicConfigClient dynamic_config_client;
  // The dynamic-config values in force, read through typed accessors. Copies of a Config share
  // it, so a reload reaches every service that copied the Config.
  dynamicconfig::Collection dynamic;
};

// Parses and validates YAML text. `source` names the file in error messages. Reads no other
// file: the dynamicConfigClient file is LoadConfig's.
absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, const std::string& source);
// Reads and parses `path`, then the dynamicConfigClient file if one is named; an error in either
// names the file, line and key.
absl::StatusOr<Config> LoadConfig(const std::string& path);

// Parses "30d", "72h", "90m", "45s", "500ms" (and combinations like "1h30m").
absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text);
// The inverse of ParseDuration with the largest units first: "30d", "1d12h", "1h30m", "500ms";
// zero is "0s". ParseDuration(FormatDuration(d)) == d for every d >= 0.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace tern
