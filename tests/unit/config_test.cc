#include "common/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tern {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kFullConfig[] = R"yaml(
global:
  clusterName: prod
  log: {level: debug, format: text}
  schedulingPolicy: normal
  membership: {heartbeatInterval: 2s, maxHeartbeatAge: 15s}
persistence:
  numHistoryShards: 16
  defaultStore: main
  visibilityStore: vis
  datastores:
    main:
      sql:
        pluginName: postgres
        databaseName: tern_main
        connectAddr: db.internal:6543
        user: tern
        password: secret
        maxConns: 32
        connectAttributes: {sslmode: require, application_name: tern}
    vis:
      sql:
        databaseName: tern_vis
services:
  frontend:
    rpc: {grpcPort: 17233, bindOnIP: 0.0.0.0, broadcastAddress: "10.0.0.5"}
    metrics: {listenAddress: 127.0.0.1:9090}
    tls: {certFile: /etc/tern/cert.pem, keyFile: /etc/tern/key.pem, clientCaFile: /etc/tern/ca.pem, requireClientAuth: true}
  history:  {rpc: {grpcPort: 17234, bindOnIP: 127.0.0.1}}
  matching: {rpc: {grpcPort: 17235, bindOnIP: "::1"}}
  worker:   {rpc: {grpcPort: 17239, bindOnIP: 127.0.0.1, broadcastAddress: "worker.local:8000"}}
dynamicConfig:
  matching.numTaskqueuePartitions: 8
  matching.longPollExpirationInterval: 50s
  history.longPollExpirationInterval: 10s
  limit.blobSizeError: 1048576
  limit.maxIDLength: 255
  history.defaultPageSize: 100
  namespace.minRetention: 24h
)yaml";

// Parses `yaml` and expects failure whose message contains every one of `parts`.
void ExpectError(const std::string& yaml, std::initializer_list<std::string> parts) {
  absl::StatusOr<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_FALSE(config.ok()) << "expected an error for:\n" << yaml;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& part : parts) {
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(part)) << yaml;
  }
}

// A minimal valid document with `extra` appended (extra must not redefine `services`).
std::string WithFrontend(const std::string& extra) { return "services:\n  frontend: {}\n" + extra; }

TEST(ConfigTest, FullConfig) {
  absl::StatusOr<Config> config = ParseConfig(kFullConfig, "full.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster_name, "prod");
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->log_format, "text");
  EXPECT_EQ(config->scheduling_policy, "normal");
  EXPECT_EQ(config->membership.heartbeat_interval, seconds(2));
  EXPECT_EQ(config->membership.max_heartbeat_age, seconds(15));

  const PersistenceConfig& p = config->persistence;
  EXPECT_EQ(p.num_history_shards, 16);
  EXPECT_EQ(p.default_store, "main");
  EXPECT_EQ(p.visibility_store, "vis");
  ASSERT_EQ(p.datastores.size(), 2u);
  const SqlStoreConfig& main = p.DefaultStore();
  EXPECT_EQ(main.plugin_name, "postgres");
  EXPECT_EQ(main.database_name, "tern_main");
  EXPECT_EQ(main.connect_addr, "db.internal:6543");
  EXPECT_EQ(main.user, "tern");
  EXPECT_EQ(main.password, "secret");
  EXPECT_EQ(main.max_conns, 32);
  EXPECT_EQ(main.connect_attributes, (std::map<std::string, std::string>{
                                         {"sslmode", "require"}, {"application_name", "tern"}}));
  const SqlStoreConfig& vis = p.datastores.at("vis");
  EXPECT_EQ(vis.database_name, "tern_vis");
  EXPECT_EQ(vis.connect_addr, "127.0.0.1:5432");  // default

  ASSERT_EQ(config->services.size(), 4u);
  const ServiceConfig& frontend = config->services.at("frontend");
  EXPECT_EQ(frontend.grpc_port, 17233);
  EXPECT_EQ(frontend.bind_on_ip, "0.0.0.0");
  EXPECT_EQ(frontend.broadcast_address, "10.0.0.5:17233");
  EXPECT_EQ(frontend.metrics_listen_address, "127.0.0.1:9090");
  // services.frontend.tls is the older spelling of global.tls.frontend.server.
  const TlsServerConfig& frontend_tls = config->tls.frontend.server;
  EXPECT_TRUE(frontend_tls.enabled());
  EXPECT_EQ(frontend_tls.cert_file, "/etc/tern/cert.pem");
  EXPECT_EQ(frontend_tls.key_file, "/etc/tern/key.pem");
  EXPECT_EQ(frontend_tls.client_ca_files, std::vector<std::string>{"/etc/tern/ca.pem"});
  EXPECT_TRUE(frontend_tls.require_client_auth);
  EXPECT_FALSE(config->tls.internode.server.enabled());
  EXPECT_EQ(config->services.at("history").broadcast_address, "127.0.0.1:17234");
  EXPECT_EQ(config->services.at("matching").broadcast_address, "[::1]:17235");
  EXPECT_EQ(config->services.at("worker").broadcast_address, "worker.local:8000");
  EXPECT_EQ(config->services.at("history").metrics_listen_address, "");

  namespace dc = dynamicconfig;
  const dynamicconfig::Collection& d = config->dynamic;
  EXPECT_EQ(d.Get(dc::kMatchingNumTaskqueuePartitions, "", ""), 8);
  EXPECT_EQ(d.Get(dc::kMatchingLongPollExpirationInterval, "", ""), seconds(50));
  EXPECT_EQ(d.Get(dc::kHistoryLongPollExpirationInterval, ""), seconds(10));
  EXPECT_EQ(d.Get(dc::kLimitBlobSizeError, ""), 1048576);
  EXPECT_EQ(d.Get(dc::kLimitMaxIDLength), 255);
  EXPECT_EQ(d.Get(dc::kHistoryDefaultPageSize, ""), 100);
  EXPECT_EQ(d.Get(dc::kNamespaceMinRetention), hours(24));
}

TEST(ConfigTest, DefaultsForMissingKeys) {
  absl::StatusOr<Config> config = ParseConfig("services:\n  history:\n", "min.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const Config defaults;
  EXPECT_EQ(config->cluster_name, defaults.cluster_name);
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->log_format, "json");
  EXPECT_EQ(config->scheduling_policy, "batch");
  EXPECT_EQ(config->membership.heartbeat_interval, defaults.membership.heartbeat_interval);
  EXPECT_EQ(config->persistence.num_history_shards, 4);
  // No datastores: one named after defaultStore with every default.
  ASSERT_EQ(config->persistence.datastores.size(), 1u);
  const SqlStoreConfig& store = config->persistence.DefaultStore();
  EXPECT_EQ(store.database_name, "tern");
  EXPECT_EQ(store.connect_addr, "127.0.0.1:5432");
  EXPECT_EQ(store.max_conns, 16);
  ASSERT_EQ(config->services.size(), 1u);
  const ServiceConfig& history = config->services.at("history");
  EXPECT_EQ(history.grpc_port, 7234);  // the service's well-known port
  EXPECT_EQ(history.bind_on_ip, "127.0.0.1");
  EXPECT_EQ(history.broadcast_address, "127.0.0.1:7234");
  EXPECT_EQ(config->dynamic.Get(dynamicconfig::kMatchingNumTaskqueuePartitions, "", ""), 4);
  EXPECT_EQ(config->dynamic.Get(dynamicconfig::kNamespaceMinRetention), hours(1));
  // Tests lower it below an hour.
  auto short_retention =
      ParseConfig(WithFrontend("dynamicConfig:\n  namespace.minRetention: 1s\n"), "short.yaml");
  ASSERT_TRUE(short_retention.ok()) << short_retention.status();
  EXPECT_EQ(short_retention->dynamic.Get(dynamicconfig::kNamespaceMinRetention),
            std::chrono::seconds(1));
}

TEST(ConfigTest, WellKnownPortsAndPortZero) {
  absl::StatusOr<Config> config = ParseConfig(
      "services:\n  frontend: {}\n  matching: {}\n  worker: {rpc: {grpcPort: 0}}\n", "x.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->services.at("frontend").grpc_port, 7233);
  EXPECT_EQ(config->services.at("matching").grpc_port, 7235);
  EXPECT_EQ(config->services.at("worker").grpc_port, 0);
}

TEST(ConfigTest, EnvSubstitution) {
  setenv("TERN_TEST_DB_PASSWORD", "s3cret", 1);
  setenv("TERN_TEST_EMPTY", "", 1);
  unsetenv("TERN_TEST_UNSET");
  absl::StatusOr<Config> config = ParseConfig(R"yaml(
# a commented-out reference is ignored: ${TERN_TEST_UNSET}
persistence:
  datastores:
    default:
      sql:
        password: ${TERN_TEST_DB_PASSWORD}
        connectAddr: ${TERN_TEST_UNSET:-db}:${TERN_TEST_EMPTY:-5433}
        user: "${TERN_TEST_UNSET:-}x"
services:
  frontend: {rpc: {grpcPort: "${TERN_TEST_UNSET:-7300}"}}
)yaml",
                                              "env.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const SqlStoreConfig& store = config->persistence.DefaultStore();
  EXPECT_EQ(store.password, "s3cret");
  EXPECT_EQ(store.connect_addr, "db:5433");
  EXPECT_EQ(store.user, "x");
  EXPECT_EQ(config->services.at("frontend").grpc_port, 7300);
}

TEST(ConfigTest, EnvSubstitutionErrors) {
  unsetenv("TERN_TEST_UNSET");
  ExpectError(WithFrontend("global:\n  clusterName: ${TERN_TEST_UNSET}\n"),
              {"test.yaml:4", "TERN_TEST_UNSET is not set"});
  ExpectError(WithFrontend("global:\n  clusterName: ${1BAD}\n"), {"invalid variable reference"});
  ExpectError(WithFrontend("global:\n  clusterName: ${X-y}\n"), {"invalid variable reference"});
  ExpectError(WithFrontend("global:\n  clusterName: ${UNTERMINATED\n"),
              {"unterminated variable reference"});
}

TEST(ConfigTest, UnknownKeysNameKeyAndFile) {
  ExpectError(WithFrontend("persistence:\n  numHistoryShard: 4\n"),
              {"test.yaml:4", "persistence.numHistoryShard: unknown key",
               "did you mean \"numHistoryShards\""});
  ExpectError(WithFrontend("globl: {}\n"), {"test.yaml", "globl: unknown key"});
  ExpectError(WithFrontend("global:\n  log: {lvl: info}\n"), {"global.log.lvl: unknown key"});
  ExpectError("services:\n  frontend:\n    rpc: {grpcport: 1}\n",
              {"services.frontend.rpc.grpcport: unknown key", "grpcPort"});
  ExpectError(WithFrontend("persistence:\n  datastores:\n    default:\n      sql: {hots: x}\n"),
              {"persistence.datastores.default.sql.hots: unknown key"});
  ExpectError(WithFrontend("persistence:\n  datastores:\n    default: {cassandra: {}}\n"),
              {"persistence.datastores.default.cassandra: unknown key"});
}

TEST(ConfigTest, DuplicateKeysRejected) {
  ExpectError(WithFrontend("global:\n  clusterName: a\n  clusterName: b\n"),
              {"global.clusterName: duplicate key"});
}

TEST(ConfigTest, NumHistoryShards) {
  ExpectError(WithFrontend("persistence: {numHistoryShards: 3}\n"),
              {"persistence.numHistoryShards: must be a power of two, got 3"});
  ExpectError(WithFrontend("persistence: {numHistoryShards: 0}\n"),
              {"persistence.numHistoryShards: must be in 1.."});
  ExpectError(WithFrontend("persistence: {numHistoryShards: four}\n"),
              {"persistence.numHistoryShards: must be an integer, got \"four\""});
  EXPECT_TRUE(ParseConfig(WithFrontend("persistence: {numHistoryShards: 1}\n"), "x").ok());
}

TEST(ConfigTest, Ports) {
  ExpectError("services:\n  frontend: {rpc: {grpcPort: 70000}}\n",
              {"services.frontend.rpc.grpcPort: must be in 0..65535, got 70000"});
  ExpectError("services:\n  frontend: {rpc: {grpcPort: -1}}\n",
              {"services.frontend.rpc.grpcPort: must be in 0..65535"});
  ExpectError("services:\n  frontend: {metrics: {listenAddress: \"127.0.0.1:99999\"}}\n",
              {"services.frontend.metrics.listenAddress: port must be a number in 0..65535"});
  ExpectError("services:\n  frontend: {metrics: {listenAddress: \"9090\"}}\n",
              {"services.frontend.metrics.listenAddress: expected host:port"});
  ExpectError(
      "services:\n  frontend: {rpc: {grpcPort: 7000}}\n  history: {rpc: {grpcPort: 7000}}\n",
      {"services.history.rpc.grpcPort: port 7000 on 127.0.0.1 is already used by "
       "services.frontend"});
  ExpectError(WithFrontend("persistence:\n  datastores:\n    default:\n      sql: "
                           "{connectAddr: \"db:0\"}\n"),
              {"persistence.datastores.default.sql.connectAddr: port must be in 1..65535"});
  ExpectError(WithFrontend("persistence:\n  datastores:\n    default:\n      sql: "
                           "{connectAddr: db}\n"),
              {"persistence.datastores.default.sql.connectAddr: expected host:port"});
  absl::StatusOr<Config> socket =
      ParseConfig(WithFrontend("persistence:\n  datastores:\n    default:\n      sql: "
                               "{connectAddr: /var/run/postgresql}\n"),
                  "x");
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_EQ(socket->persistence.DefaultStore().connect_addr, "/var/run/postgresql");
}

TEST(ConfigTest, BindAddress) {
  ExpectError("services:\n  frontend: {rpc: {bindOnIP: localhost}}\n",
              {"services.frontend.rpc.bindOnIP: must be an IP address, got \"localhost\""});
  absl::StatusOr<Config> config =
      ParseConfig("services:\n  frontend: {rpc: {bindOnIP: 0.0.0.0}}\n", "x");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->services.at("frontend").broadcast_address, "127.0.0.1:7233");
}

TEST(ConfigTest, FrontendTransport) {
  absl::StatusOr<Config> config = ParseConfig("services:\n  frontend: {}\n", "x");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->services.at("frontend").transport, "h2");
  config = ParseConfig("services:\n  frontend: {rpc: {transport: grpc}}\n", "x");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->services.at("frontend").transport, "grpc");
  ExpectError("services:\n  frontend: {rpc: {transport: http3}}\n",
              {"services.frontend.rpc.transport: must be one of grpc, h2"});
  // Only the frontend has a choice: the internal services always speak gRPC.
  ExpectError("services:\n  history: {rpc: {transport: h2}}\n",
              {"services.history.rpc.transport: unknown key"});
}

TEST(ConfigTest, Durations) {
  ExpectError(WithFrontend("global:\n  membership: {heartbeatInterval: 10}\n"),
              {"global.membership.heartbeatInterval: invalid duration \"10\": missing unit"});
  ExpectError(WithFrontend("global:\n  membership: {heartbeatInterval: 5s, maxHeartbeatAge: 5s}\n"),
              {"global.membership.maxHeartbeatAge: must be longer than heartbeatInterval"});
  ExpectError(WithFrontend("dynamicConfig:\n  matching.longPollExpirationInterval: 1x\n"),
              {"dynamicConfig.matching.longPollExpirationInterval: invalid duration",
               "unknown unit \"x\""});
  ExpectError(WithFrontend("dynamicConfig:\n  history.longPollExpirationInterval: 10ms\n"),
              {"dynamicConfig.history.longPollExpirationInterval: must be at least 1000ms"});
}

TEST(ConfigTest, HistoryLimits) {
  auto defaults = ParseConfig(WithFrontend(""), "limits.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->dynamic.Get(dynamicconfig::kLimitHistoryCountError, ""), 51200);
  EXPECT_EQ(defaults->dynamic.Get(dynamicconfig::kLimitHistoryCountSuggestContinueAsNew, ""), 4096);
  auto set = ParseConfig(WithFrontend("dynamicConfig:\n"
                                      "  limit.historyCount.suggestContinueAsNew: 10\n"
                                      "  limit.historySize.suggestContinueAsNew: 2048\n"
                                      "  limit.historyCount.error: 20\n"
                                      "  limit.historySize.error: 4096\n"),
                         "limits.yaml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->dynamic.Get(dynamicconfig::kLimitHistoryCountSuggestContinueAsNew, ""), 10);
  EXPECT_EQ(set->dynamic.Get(dynamicconfig::kLimitHistorySizeSuggestContinueAsNew, ""), 2048);
  EXPECT_EQ(set->dynamic.Get(dynamicconfig::kLimitHistoryCountError, ""), 20);
  EXPECT_EQ(set->dynamic.Get(dynamicconfig::kLimitHistorySizeError, ""), 4096);
  ExpectError(WithFrontend("dynamicConfig:\n  limit.historyCount.error: 0\n"),
              {"dynamicConfig.limit.historyCount.error"});
}

TEST(ConfigTest, Datastores) {
  ExpectError(WithFrontend("persistence:\n  defaultStore: main\n  datastores:\n"
                           "    default: {sql: {}}\n"),
              {"persistence.defaultStore: no datastore named \"main\""});
  // visibilityStore follows defaultStore unless given.
  absl::StatusOr<Config> config = ParseConfig(
      WithFrontend("persistence:\n  defaultStore: main\n  datastores:\n    main: {sql: {}}\n"),
      "x");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->persistence.visibility_store, "main");
  ExpectError(WithFrontend("persistence:\n  visibilityStore: es\n  datastores:\n"
                           "    default: {sql: {}}\n"),
              {"persistence.visibilityStore: no datastore named \"es\""});
  ExpectError(
      WithFrontend("persistence:\n  datastores:\n    default: {sql: {pluginName: mysql}}\n"),
      {"persistence.datastores.default.sql.pluginName: must be one of postgres, got "
       "\"mysql\""});
  ExpectError(WithFrontend("persistence:\n  datastores:\n    default: {}\n"),
              {"persistence.datastores.default: must have a sql section"});
  ExpectError(WithFrontend("persistence:\n  datastores: {}\n"),
              {"persistence.datastores: must be a non-empty map"});
  ExpectError(WithFrontend("persistence:\n  datastores:\n    default: {sql: {maxConns: 0}}\n"),
              {"persistence.datastores.default.sql.maxConns: must be in 1..10000, got 0"});
  ExpectError(
      WithFrontend("persistence:\n  datastores:\n    default: {sql: {databaseName: \"\"}}\n"),
      {"persistence.datastores.default.sql.databaseName: must not be empty"});
}

TEST(ConfigTest, Services) {
  ExpectError("global: {clusterName: a}\n", {"services: at least one service"});
  ExpectError("services: {}\n", {"services: at least one service"});
  ExpectError("services:\n  frontned: {}\n",
              {"services.frontned: unknown key", "did you mean \"frontend\""});
  ExpectError("services:\n  frontend: {}\n  scheduler: {}\n", {"services.scheduler: unknown key"});
  ExpectError("services: [frontend]\n", {"services: must be a map"});
}

TEST(ConfigTest, LogLevelAndFormat) {
  ExpectError(WithFrontend("global:\n  log: {level: verbose}\n"),
              {"global.log.level: must be one of trace, debug, info, warn, error, got "
               "\"verbose\""});
  ExpectError(WithFrontend("global:\n  log: {format: xml}\n"), {"global.log.format"});
  ExpectError(WithFrontend("global:\n  schedulingPolicy: fifo\n"),
              {"global.schedulingPolicy: must be one of batch, normal, got \"fifo\""});
  ExpectError(WithFrontend("global:\n  clusterName: \"\"\n"),
              {"global.clusterName: must not be empty"});
}

TEST(ConfigTest, DynamicConfig) {
  ExpectError(WithFrontend("dynamicConfig:\n  matching.numTaskQueuePartitions: 4\n"),
              {"dynamicConfig.matching.numTaskQueuePartitions: unknown key",
               "did you mean \"matching.numTaskqueuePartitions\""});
  ExpectError(WithFrontend("dynamicConfig:\n  limit.maxIDLength: 0\n"),
              {"dynamicConfig.limit.maxIDLength: must be in 1.."});
  ExpectError(WithFrontend("dynamicConfig:\n  history.defaultPageSize: [1]\n"),
              {"dynamicConfig.history.defaultPageSize: must be a single value"});
}

TEST(ConfigTest, Tls) {
  ExpectError("services:\n  frontend: {tls: {certFile: c.pem}}\n",
              {"services.frontend.tls.keyFile: certFile and keyFile must be given together"});
  ExpectError("services:\n  frontend: {tls: {clientCaFile: ca.pem}}\n",
              {"services.frontend.tls.certFile: required when clientCaFile"});
  ExpectError("services:\n  frontend: {tls: {certFile: c, keyFile: k, requireClientAuth: true}}\n",
              {"services.frontend.tls.clientCaFile: required when requireClientAuth is true"});
  ExpectError("services:\n  frontend: {tls: {requireClientAuth: maybe}}\n",
              {"services.frontend.tls.requireClientAuth: must be true or false"});
  ExpectError("services:\n  history: {tls: {certFile: c, keyFile: k}}\n",
              {"services.history.tls: TLS for history, matching and worker is "
               "global.tls.internode"});
}

TEST(ConfigTest, GlobalTls) {
  auto config = ParseConfig(WithFrontend(R"(global:
  tls:
    refreshInterval: 5s
    frontend:
      server: {certFile: /t/fe.pem, keyFile: /t/fe.key, clientCaFiles: [/t/ca1.pem, /t/ca2.pem],
               requireClientAuth: true}
    internode:
      server: {certFile: /t/node.pem, keyFile: /t/node.key, clientCaFiles: /t/ca.pem,
               requireClientAuth: true}
      client: {serverName: tern.internal, rootCaFiles: [/t/ca.pem], disableHostVerification: true}
)"),
                            "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const TlsConfig& tls = config->tls;
  EXPECT_EQ(tls.refresh_interval, std::chrono::seconds(5));
  EXPECT_EQ(tls.frontend.server.client_ca_files,
            (std::vector<std::string>{"/t/ca1.pem", "/t/ca2.pem"}));
  EXPECT_TRUE(tls.frontend.server.require_client_auth);
  EXPECT_EQ(tls.internode.server.cert_file, "/t/node.pem");
  EXPECT_EQ(tls.internode.server.client_ca_files, std::vector<std::string>{"/t/ca.pem"});
  EXPECT_EQ(tls.internode.client.server_name, "tern.internal");
  EXPECT_EQ(tls.internode.client.root_ca_files, std::vector<std::string>{"/t/ca.pem"});
  EXPECT_TRUE(tls.internode.client.disable_host_verification);

  ExpectError(WithFrontend("global:\n  tls: {internode: {server: {certFile: c}}}\n"),
              {"global.tls.internode.server.keyFile: certFile and keyFile must be given together"});
  ExpectError(WithFrontend("global:\n  tls: {internode: {server: {certFile: c, keyFile: k, "
                           "requireClientAuth: true}}}\n"),
              {"global.tls.internode.server.clientCaFiles: required when requireClientAuth"});
  ExpectError(WithFrontend("global:\n  tls: {internode: {client: {rootCaFiles: [ca]}}}\n"),
              {"global.tls.internode.server.certFile: required when global.tls.internode.client"});
  ExpectError(WithFrontend("global:\n  tls: {frontend: {server: {certFile: c, keyFile: k, "
                           "clientCaFiles: {a: b}}}}\n"),
              {"global.tls.frontend.server.clientCaFiles: must be a list of strings"});
  ExpectError(WithFrontend("global:\n  tls: {frontend: {sever: {}}}\n"),
              {"global.tls.frontend.sever: unknown key"});
  ExpectError(
      "global:\n  tls: {frontend: {server: {certFile: c, keyFile: k}}}\n"
      "services:\n  frontend: {tls: {certFile: c, keyFile: k}}\n",
      {"services.frontend.tls: services.frontend.tls is the older spelling of "
       "global.tls.frontend.server; set only one of them"});
}

TEST(ConfigTest, GlobalAuthorizationAndAudit) {
  auto config = ParseConfig(WithFrontend(R"(global:
  authorization:
    jwtKeyProvider: {keySourceURIs: [file:///keys/jwks.json, https://idp.example/jwks], refreshInterval: 5m}
    permissionsClaimName: roles
    audience: tern
    authorizer: default
    claimMapper: default
    certificatePermissions:
      worker-1: [default:worker]
      ops: [system:admin, Billing:READ]
  audit: {path: /var/log/tern/audit.log}
)"),
                            "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const AuthorizationConfig& auth = config->authorization;
  EXPECT_TRUE(auth.enabled());
  EXPECT_EQ(auth.key_source_uris,
            (std::vector<std::string>{"file:///keys/jwks.json", "https://idp.example/jwks"}));
  EXPECT_EQ(auth.key_refresh_interval, std::chrono::minutes(5));
  EXPECT_EQ(auth.permissions_claim_name, "roles");
  EXPECT_EQ(auth.audience, "tern");
  EXPECT_EQ(auth.certificate_permissions.at("ops"),
            (std::vector<std::string>{"system:admin", "Billing:READ"}));
  EXPECT_EQ(config->audit.path, "/var/log/tern/audit.log");

  auto off = ParseConfig(WithFrontend(""), "t.yaml");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->authorization.enabled());

  ExpectError(
      WithFrontend("global:\n  authorization: {jwtKeyProvider: {keySourceURIs: [/keys]}}\n"),
      {"global.authorization.jwtKeyProvider.keySourceURIs: \"/keys\" is not a file://"});
  ExpectError(WithFrontend("global:\n  authorization: {authorizer: opa}\n"),
              {"global.authorization.authorizer"});
  ExpectError(WithFrontend("global:\n  authorization: {certificatePermissions: {w: [default]}}\n"),
              {"global.authorization.certificatePermissions.w: \"default\" is not "
               "<namespace>:<role>"});
  ExpectError(
      WithFrontend("global:\n  authorization: {certificatePermissions: {w: [default:owner]}}\n"),
      {"names the role \"owner\"; roles are read, worker, write and admin"});
  ExpectError(WithFrontend("global:\n  authorization: {jwtKeyProvider: {keySourceUris: []}}\n"),
              {"global.authorization.jwtKeyProvider.keySourceUris: unknown key"});
}

TEST(ConfigTest, StructuralErrors) {
  ExpectError("services: [\n", {"test.yaml:", "invalid YAML"});
  ExpectError("- a\n- b\n", {"the top level must be a map"});
  ExpectError("", {"services: at least one service"});
  ExpectError(WithFrontend("global: 5\n"), {"global: must be a map"});
}

TEST(ConfigTest, ReportsEveryErrorAtOnce) {
  ExpectError(WithFrontend("global:\n  log: {level: loud}\npersistence:\n  numHistoryShards: 6\n"),
              {"global.log.level", "persistence.numHistoryShards"});
}

TEST(ConfigTest, LoadConfigFromFile) {
  std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "tern_config_test";
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / "tern.yaml";
  std::ofstream(path) << "services:\n  frontend: {rpc: {grpcPort: 7777}}\n";
  absl::StatusOr<Config> config = LoadConfig(path.string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->services.at("frontend").grpc_port, 7777);

  std::ofstream(path) << "services:\n  frontend: {rpc: {grpcPrt: 7777}}\n";
  config = LoadConfig(path.string());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr(path.string() + ":2: services.frontend.rpc.grpcPrt: unknown key"));

  config = LoadConfig((dir / "missing.yaml").string());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("missing.yaml"));
  std::filesystem::remove_all(dir);
}

// The example configs in config/ stay valid.
TEST(ConfigTest, ExampleConfigsLoad) {
  for (const char* name : {"development.yaml", "cluster.yaml"}) {
    std::string path = std::string(TERN_SOURCE_DIR) + "/config/" + name;
    absl::StatusOr<Config> config = LoadConfig(path);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->services.size(), 4u) << name;
  }
  absl::StatusOr<Config> cluster =
      LoadConfig(std::string(TERN_SOURCE_DIR) + "/config/cluster.yaml");
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->persistence.num_history_shards, 4);
  std::set<std::string> metrics;
  for (const auto& [name, service] : cluster->services) {
    EXPECT_FALSE(service.metrics_listen_address.empty()) << name;
    metrics.insert(service.metrics_listen_address);
  }
  EXPECT_EQ(metrics.size(), 4u);
}

TEST(FormatDurationTest, LargestUnitsFirstAndRoundTrips) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(hours(24 * 30)), "30d");
  EXPECT_EQ(FormatDuration(hours(36)), "1d12h");
  EXPECT_EQ(FormatDuration(std::chrono::minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(61001)), "1m1s1ms");
  for (int64_t ms : {int64_t{1}, int64_t{999}, int64_t{86400001}, int64_t{123456789012}}) {
    absl::StatusOr<milliseconds> parsed = ParseDuration(FormatDuration(milliseconds(ms)));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->count(), ms);
  }
}

struct DurationCase {
  std::string text;
  int64_t ms;  // -1: invalid
};

class ParseDurationTest : public testing::TestWithParam<DurationCase> {};

TEST_P(ParseDurationTest, Parses) {
  const DurationCase& c = GetParam();
  absl::StatusOr<milliseconds> d = ParseDuration(c.text);
  if (c.ms < 0) {
    ASSERT_FALSE(d.ok()) << c.text << " parsed as " << d->count();
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("\"" + c.text + "\""));
  } else {
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status();
    EXPECT_EQ(d->count(), c.ms) << c.text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseDurationTest,
    testing::Values(DurationCase{"0", 0}, DurationCase{"0s", 0}, DurationCase{"500ms", 500},
                    DurationCase{"45s", 45000}, DurationCase{"90m", 5400000},
                    DurationCase{"72h", 259200000}, DurationCase{"30d", 2592000000},
                    DurationCase{"1h30m", 5400000}, DurationCase{"1d12h", 129600000},
                    DurationCase{"1m30s250ms", 90250}, DurationCase{"1.5h", 5400000},
                    DurationCase{"0.5s", 500}, DurationCase{"2.25s", 2250}, DurationCase{"", -1},
                    DurationCase{"10", -1}, DurationCase{"s", -1}, DurationCase{"-1s", -1},
                    DurationCase{"1w", -1}, DurationCase{"1H", -1}, DurationCase{"1h 30m", -1},
                    DurationCase{"1.5ms", -1}, DurationCase{"0.0001s", -1},
                    DurationCase{"1.s", 1000}, DurationCase{"99999999999999999999d", -1},
                    DurationCase{"106751991168d", -1}, DurationCase{" 1s", -1},
                    DurationCase{"1ss", -1},
                    // The largest duration, and one past it through the fraction alone (that
                    // overflowed int64, found by tests/fuzz/config_fuzz.cc).
                    DurationCase{"9223372036854775.807s", INT64_MAX},
                    DurationCase{"9223372036854775.808s", -1}));

// ---- Elasticsearch visibility store ------------------------------------------------------------

constexpr char kElasticsearchPersistence[] = R"yaml(persistence:
  defaultStore: default
  visibilityStore: es-visibility
  datastores:
    default:
      sql: {databaseName: tern}
    es-visibility:
      elasticsearch:
        version: v8
        url: {scheme: https, host: "es.internal:9200"}
        username: elastic
        password: changeme
        indices: {visibility: tern_visibility_v1_prod}
        tls: {caFile: /etc/tern/es-ca.pem}
)yaml";

TEST(ConfigTest, ElasticsearchVisibilityStore) {
  absl::StatusOr<Config> config = ParseConfig(WithFrontend(kElasticsearchPersistence), "es.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const PersistenceConfig& p = config->persistence;
  EXPECT_EQ(p.datastores.size(), 1u);
  EXPECT_EQ(p.DefaultStore().database_name, "tern");
  const ElasticsearchConfig* es = p.VisibilityElasticsearch();
  ASSERT_NE(es, nullptr);
  EXPECT_EQ(es->version, "v8");
  EXPECT_EQ(es->Url(), "https://es.internal:9200");
  EXPECT_EQ(es->username, "elastic");
  EXPECT_EQ(es->password, "changeme");
  EXPECT_EQ(es->visibility_index, "tern_visibility_v1_prod");
  EXPECT_EQ(es->tls_ca_file, "/etc/tern/es-ca.pem");
  EXPECT_EQ(es->tls_cert_file, "");

  // Without visibilityStore, visibility stays in the default (PostgreSQL) store even when an
  // Elasticsearch datastore is declared.
  std::string unused = kElasticsearchPersistence;
  unused.erase(unused.find("  visibilityStore: es-visibility\n"),
               std::string("  visibilityStore: es-visibility\n").size());
  config = ParseConfig(WithFrontend(unused), "es.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->persistence.visibility_store, "default");
  EXPECT_EQ(config->persistence.VisibilityElasticsearch(), nullptr);
  EXPECT_EQ(config->persistence.elasticsearch_datastores.size(), 1u);

  // Minimal: plain http, no credentials.
  config = ParseConfig(WithFrontend("persistence:\n  visibilityStore: es\n  datastores:\n"
                                    "    default: {sql: {}}\n"
                                    "    es:\n      elasticsearch:\n        version: v7\n"
                                    "        url: {scheme: http, host: \"127.0.0.1:9200\"}\n"
                                    "        indices: {visibility: tern_visibility_v1}\n"),
                       "es.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_NE(config->persistence.VisibilityElasticsearch(), nullptr);
  EXPECT_EQ(config->persistence.VisibilityElasticsearch()->Url(), "http://127.0.0.1:9200");
  EXPECT_EQ(config->persistence.VisibilityElasticsearch()->username, "");
}

// `es` is the elasticsearch section's body, indented by eight spaces.
std::string WithElasticsearch(const std::string& es) {
  return WithFrontend(
      "persistence:\n  visibilityStore: es\n  datastores:\n    default: {sql: {}}\n"
      "    es:\n      elasticsearch:\n" +
      es);
}

TEST(ConfigTest, ElasticsearchVisibilityStoreErrors) {
  const std::string url = "        url: {scheme: http, host: \"es:9200\"}\n";
  const std::string indices = "        indices: {visibility: tern_visibility_v1}\n";
  const std::string es = "persistence.datastores.es.elasticsearch";
  // Missing fields name the key and the line of the section that lacks it.
  ExpectError(WithElasticsearch(url + indices),
              {"test.yaml:9: " + es + ".version: is required (v7 or v8)"});
  ExpectError(WithElasticsearch("        version: v7\n" + indices), {es + ".url: is required"});
  ExpectError(WithElasticsearch("        version: v7\n" + url), {es + ".indices: is required"});
  ExpectError(
      WithElasticsearch("        version: v7\n        url: {host: \"es:9200\"}\n" + indices),
      {es + ".url.scheme: is required"});
  ExpectError(WithElasticsearch("        version: v7\n        url: {scheme: http}\n" + indices),
              {es + ".url.host: is required"});
  ExpectError(WithElasticsearch("        version: v7\n" + url + "        indices: {}\n"),
              {es + ".indices.visibility: is required"});
  // Bad values.
  ExpectError(WithElasticsearch("        version: v6\n" + url + indices),
              {"test.yaml:9: " + es + ".version: must be one of v7, v8, got \"v6\""});
  ExpectError(WithElasticsearch(
                  "        version: v7\n        url: {scheme: ftp, host: \"es:1\"}\n" + indices),
              {es + ".url.scheme: must be one of http, https"});
  ExpectError(
      WithElasticsearch("        version: v7\n        url: {scheme: http, host: es}\n" + indices),
      {es + ".url.host: expected host:port"});
  ExpectError(WithElasticsearch("        version: v7\n" + url +
                                "        indices: {visibility: Tern_Visibility}\n"),
              {es + ".indices.visibility: must be lowercase"});
  ExpectError(WithElasticsearch("        version: v7\n" + url + indices + "        password: x\n"),
              {es + ".password: needs a username"});
  ExpectError(WithElasticsearch("        version: v7\n" + url + indices +
                                "        tls: {caFile: /ca.pem}\n"),
              {es + ".tls: needs url.scheme https"});
  ExpectError(WithElasticsearch("        version: v7\n" + url + indices +
                                "        tls: {certFile: /c.pem}\n"),
              {es + ".tls.keyFile: certFile and keyFile must be given together"});
  // Unknown keys, with a suggestion for near misses.
  ExpectError(
      WithElasticsearch("        version: v7\n" + url + indices + "        enableSniff: true\n"),
      {es + ".enableSniff: unknown key"});
  ExpectError(WithElasticsearch("        version: v7\n" + url +
                                "        indices: {visiblity: tern_visibility_v1}\n"),
              {es + ".indices.visiblity: unknown key (did you mean \"visibility\"?)"});
  // A datastore is one kind or the other, and the default store must be SQL.
  ExpectError(WithFrontend("persistence:\n  datastores:\n    default:\n      sql: {}\n"
                           "      elasticsearch: {version: v7}\n"),
              {"persistence.datastores.default: must have either a sql or an elasticsearch "
               "section, not both"});
  ExpectError(WithFrontend("persistence:\n  defaultStore: es\n  datastores:\n"
                           "    es:\n      elasticsearch:\n        version: v7\n" +
                           url + indices),
              {"persistence.defaultStore: datastore \"es\" is elasticsearch"});
}

}  // namespace
}  // namespace tern
