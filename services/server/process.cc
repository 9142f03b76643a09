#include "services/server/process.h"

#include <absl/strings/str_cat.h>
#include <absl/synchronization/mutex.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "client/factory.h"
#include "common/config.h"
#include "common/dynamic_config_file.h"
#include "common/executor.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/process_metrics.h"
#include "common/status_macros.h"
#include "h2/server.h"
#include "membership/membership.h"
#include "persistence/elasticsearch/visibility_store.h"
#include "persistence/factory.h"
#include "persistence/postgres/postgres_stores.h"
#include "persistence/postgres/schema.h"
#include "services/frontend/frontend_service.h"
#include "services/frontend/gated_services.h"
#include "services/history/history_service.h"
#include "services/matching/matching_service.h"
#include "services/server/process_tls.h"
#include "services/server/request_metrics.h"
#include "services/worker/worker_service.h"

namespace tern::server {
namespace {

constexpr int kMaxMessageBytes = 128 * 1024 * 1024;
const std::vector<std::string> kAllServices = {"frontend", "history", "matching", "worker"};

[[noreturn]] void Die(const std::string& program, const std::string& message) {
  std::cerr << program << ": " << message << std::endl;
  std::exit(2);
}

// Puts every thread of the process under global.schedulingPolicy; threads started later inherit
// it. Under SCHED_BATCH a thread that wakes another (a post to a pool, a finished write, a gRPC
// completion) keeps the CPU until it blocks instead of being preempted by the thread it woke:
// measured at about a quarter fewer context switches and less CPU per workflow
// (docs/operations.md). An error names the thread it could not change.
absl::Status ApplySchedulingPolicy(const std::string& policy) {
  sched_param param{};
  param.sched_priority = 0;
  const int linux_policy = policy == "batch" ? SCHED_BATCH : SCHED_OTHER;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) {
    return absl::InternalError(absl::StrCat("reading /proc/self/task: ", std::strerror(errno)));
  }
  absl::Status status;
  while (const dirent* entry = readdir(tasks)) {
    const pid_t tid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (tid <= 0) continue;  // "." and ".."
    if (sched_setscheduler(tid, linux_policy, &param) != 0 && errno != ESRCH && status.ok()) {
      status = absl::PermissionDeniedError(absl::StrCat(
          "setting scheduling policy ", policy, " on thread ", tid, ": ", std::strerror(errno)));
    }
  }
  closedir(tasks);
  return status;
}

// gRPC core's own log lines (a refused TLS handshake, a transport failure) in the process's log
// format instead of gRPC's on stderr.
void LogGrpcCoreLine(gpr_log_func_args* line) {
  const spdlog::level::level_enum level =
      line->severity == GPR_LOG_SEVERITY_ERROR  ? spdlog::level::err
      : line->severity == GPR_LOG_SEVERITY_INFO ? spdlog::level::info
                                                : spdlog::level::debug;
  spdlog::log(level, "grpc: {}", line->message);
}

persistence::Role RoleOf(const std::string& service) {
  if (service == "frontend") return persistence::Role::kFrontend;
  if (service == "history") return persistence::Role::kHistory;
  if (service == "matching") return persistence::Role::kMatching;
  return persistence::Role::kWorker;
}

// A free TCP port on `ip`, for services configured with port 0.
int FreePort(const std::string& ip) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

ProcessOptions ParseProcessArgs(int argc, char** argv, const std::string& program,
                                bool allow_services, std::vector<std::string> fixed_services) {
  ProcessOptions options;
  options.program = program;
  options.services = std::move(fixed_services);
  std::string usage = "usage: " + program + " --config FILE" +
                      (allow_services ? " [--services frontend,history,matching,worker]" : "") +
                      " [--check-config]";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      auto eq = arg.find('=');
      if (eq != std::string::npos) return arg.substr(eq + 1);
      if (i + 1 >= argc) Die(program, "missing value for " + arg + "\n" + usage);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage << std::endl;
      std::exit(0);
    } else if (arg == "--config" || arg.rfind("--config=", 0) == 0) {
      options.config_path = value();
    } else if (arg == "--check-config") {
      options.check_config = true;
    } else if (allow_services && (arg == "--services" || arg.rfind("--services=", 0) == 0)) {
      options.services = Split(value());
    } else {
      Die(program, "unknown argument " + arg + "\n" + usage);
    }
  }
  if (options.config_path.empty()) Die(program, "--config is required\n" + usage);
  return options;
}

namespace {

// The services this process runs: --services, or every service the config has a section for.
absl::StatusOr<std::vector<std::string>> SelectServices(const Config& config,
                                                        const ProcessOptions& options) {
  std::vector<std::string> services = options.services;
  if (services.empty()) {
    for (const auto& name : kAllServices) {
      if (config.services.contains(name)) services.push_back(name);
    }
  }
  for (const auto& name : services) {
    if (std::find(kAllServices.begin(), kAllServices.end(), name) == kAllServices.end()) {
      return absl::InvalidArgumentError("unknown service \"" + name +
                                        "\" (known: frontend, history, matching, worker)");
    }
    if (!config.services.contains(name)) {
      return absl::InvalidArgumentError("service \"" + name + "\" has no services." + name +
                                        " section in " + options.config_path);
    }
  }
  return services;
}

// --check-config: everything start-up can judge without the network (the YAML, the service
// selection, the TLS files), then a one-line summary. Exit code 0 when it would start.
int CheckConfig(const ProcessOptions& options) {
  const std::string& program = options.program;
  auto config = LoadConfig(options.config_path);
  if (!config.ok()) Die(program, std::string(config.status().message()));
  auto services = SelectServices(*config, options);
  if (!services.ok()) Die(program, std::string(services.status().message()));
  if (auto st = ProcessTls::Check(config->tls, *services); !st.ok()) {
    Die(program, std::string(st.message()));
  }
  const auto& store = config->persistence.DefaultStore();
  std::string list;
  for (const auto& name : *services) list += (list.empty() ? "" : ",") + name;
  std::cout << options.config_path << ": OK (services " << list << "; numHistoryShards "
            << config->persistence.num_history_shards << "; database " << store.database_name
            << " at " << store.connect_addr << "; visibility "
            << (config->persistence.VisibilityElasticsearch() ? "elasticsearch" : "postgres") << ")"
            << std::endl;
  return 0;
}

// Records one answered call of `service` in the request metrics, its namespace (an id or a name,
// as the caller has it) named by `name_of`.
auto RequestRecorder(std::string service, std::function<std::string(const std::string&)> name_of) {
  return [service = std::move(service), name_of = std::move(name_of)](
             std::string_view operation, const auto& namespace_key, const absl::Status& status,
             double seconds) {
    std::string name = name_of(std::string(namespace_key));
    server::RecordServiceRequest(service, operation,
                                 name.empty() ? metrics::kUnknownNamespace : name, status, seconds);
  };
}

// A service's direct path for this process's own calls, counted in the service's request metrics
// as if the calls had come over gRPC.
template <typename Client>
client::LocalService<Client> Metered(client::LocalService<Client> local, const char* service,
                                     const server::NamespaceNames& names) {
  local.observe = RequestRecorder(service, names.by_id);
  return local;
}

}  // namespace

int RunProcess(const ProcessOptions& options) {
  if (options.check_config) return CheckConfig(options);
  // Debian's abseil checks every mutex acquisition for lock-order cycles (gRPC takes many per
  // call); measured at 7 % of tern-server's CPU. Lock order is ours to get right, as it is in
  // any build of abseil with NDEBUG.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string& program = options.program;
  auto config_or = LoadConfig(options.config_path);
  if (!config_or.ok()) Die(program, std::string(config_or.status().message()));
  const Config config = *config_or;
  // Before any thread of ours starts, so they all inherit it.
  const absl::Status scheduling = ApplySchedulingPolicy(config.scheduling_policy);

  auto services_or = SelectServices(config, options);
  if (!services_or.ok()) Die(program, std::string(services_or.status().message()));
  const std::vector<std::string> services = *services_or;
  const std::set<std::string> wanted(services.begin(), services.end());

  // Termination signals are taken synchronously by the main thread; block them before any
  // thread starts so no other thread receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  metrics::SetProcessServiceName(services.size() == 1 ? services.front() : "server");
  InitLogging(config.log_level, config.log_format, program, metrics::ProcessServiceName());
  gpr_set_log_function(LogGrpcCoreLine);
  if (!scheduling.ok()) {
    spdlog::warn("global.schedulingPolicy {} not applied, threads keep the kernel's default: {}",
                 config.scheduling_policy, std::string(scheduling.message()));
  }
  if (std::none_of(services.begin(), services.end(), [&](const std::string& name) {
        return !config.services.at(name).metrics_listen_address.empty();
      })) {
    metrics::DisableRecording();  // nothing would expose them
  }
  metrics::InitializeMetrics(services);
  metrics::kRestarts.With().Increment();
  metrics::kBuildInformation.With({TERN_VERSION, TERN_GIT_REVISION}).Set(1);
  Clock& clock = SystemClock::Instance();
  // Local files first: a bad certificate is reported before anything reaches the network.
  if (auto st = ProcessTls::Check(config.tls, services); !st.ok()) {
    Die(program, std::string(st.message()));
  }
  const auto& store_config = config.persistence.DefaultStore();
  if (auto st = persistence::postgres::CheckSchemaVersion(store_config); !st.ok()) {
    Die(program, std::string(st.message()));
  }
  auto stores_or = persistence::postgres::OpenPostgresStores(store_config);
  if (!stores_or.ok())
    Die(program, "opening persistence: " + std::string(stores_or.status().message()));
  persistence::Stores stores = *stores_or;
  if (const ElasticsearchConfig* es = config.persistence.VisibilityElasticsearch()) {
    auto visibility = persistence::elasticsearch::OpenElasticsearchVisibilityStore(*es);
    if (!visibility.ok()) {
      Die(program, "opening visibility: " + std::string(visibility.status().message()));
    }
    stores.visibility = *visibility;
    stores.visibility_in_executions = false;
  }
  // From here on, every store is reached through its decorators.
  stores = persistence::DecorateStores(stores, clock);

  auto metadata = stores.cluster_metadata->InitClusterMetadata(
      {config.cluster_name, config.persistence.num_history_shards});
  if (!metadata.ok())
    Die(program, "reading cluster metadata: " + std::string(metadata.status().message()));
  if (metadata->num_history_shards != config.persistence.num_history_shards) {
    Die(program,
        "persistence.numHistoryShards is " + std::to_string(config.persistence.num_history_shards) +
            " but this cluster was created with " + std::to_string(metadata->num_history_shards) +
            " shards; the shard count cannot change after the first start");
  }

  // Before the executors: destroyed after them, so no refresh runs on a destroyed object.
  auto tls_or = ProcessTls::Create(config.tls, services);
  if (!tls_or.ok()) Die(program, std::string(tls_or.status().message()));
  std::unique_ptr<ProcessTls> process_tls = *std::move(tls_or);
  if (const auto& internode = process_tls->internode()) {
    client::SetInternalChannelCredentials(internode->ChannelCredentials(),
                                          internode->server_name());
  }

  Executor blocking(std::max(4, store_config.max_conns), "blocking");
  Executor timers(2, "timers");
  process_tls->StartRefresh(timers);
  std::unique_ptr<dynamicconfig::FileWatcher> dynamic_config_file;
  if (const DynamicConfigClient& file = config.dynamic_config_client; !file.filepath.empty()) {
    dynamic_config_file = std::make_unique<dynamicconfig::FileWatcher>(
        file.filepath, file.poll_interval, config.dynamic_config_values, config.dynamic,
        SystemClock::Instance(), timers);
    dynamic_config_file->Start();
  }
  Membership membership(stores.membership, config.membership);
  client::Clients clients =
      client::NewClients(membership, timers, config.persistence.num_history_shards, clock);
  client::HistoryClient& history_client = *clients.history;
  client::MatchingClient& matching_client = *clients.matching;

  // Every service's address is fixed before anything starts: ownership (shards, partitions) is
  // computed against it. Port 0 means "any free port".
  std::map<std::string, std::string> listen;     // service -> bind address
  std::map<std::string, std::string> addresses;  // service -> address peers dial
  for (const auto& name : services) {
    const auto& svc = config.services.at(name);
    int port = svc.grpc_port == 0 ? FreePort(svc.bind_on_ip) : svc.grpc_port;
    listen[name] = svc.bind_on_ip + ":" + std::to_string(port);
    std::string host = svc.broadcast_address.empty() ? svc.bind_on_ip : svc.broadcast_address;
    if (host.rfind(':') != std::string::npos) host = host.substr(0, host.rfind(':'));
    if (host == "0.0.0.0") host = "127.0.0.1";
    addresses[name] = host + ":" + std::to_string(port);
  }

  std::unique_ptr<frontend::FrontendService> frontend;
  std::unique_ptr<history::HistoryService> history;
  std::unique_ptr<matching::MatchingService> matching;
  std::unique_ptr<worker::WorkerService> worker;
  std::map<std::string, std::vector<grpc::Service*>> grpc_services;
  // One view of the namespaces table for the whole process: the frontend resolves requests
  // through it, history reads namespace settings from it, request metrics name namespaces by it.
  auto namespaces = persistence::NamespaceCache::Create(stores.namespaces, blocking);
  namespaces->Start();
  // Metric labels name a namespace only when it is registered (bounded label values).
  server::NamespaceNames names{
      [namespaces](const std::string& id) { return namespaces->NameOf(id); },
      [namespaces](const std::string& name) {
        return namespaces->FindByName(name) ? name : std::string();
      }};
  if (wanted.contains("history")) {
    history = std::make_unique<history::HistoryService>(config, stores, namespaces, membership,
                                                        matching_client, history_client, blocking,
                                                        clock, addresses["history"]);
    grpc_services["history"] = {history->GrpcService()};
    clients.history_router->SetLocal(Metered(history->Local(), "history", names));
  }
  if (wanted.contains("matching")) {
    matching = std::make_unique<matching::MatchingService>(
        config, stores.tasks, membership, history_client, matching_client, blocking, timers,
        addresses["matching"], names.by_id);
    grpc_services["matching"] = {matching->GrpcService()};
    clients.matching_router->SetLocal(Metered(matching->Local(), "matching", names));
  }
  if (wanted.contains("frontend")) {
    frontend::FrontendSecurity security;
    if (config.authorization.enabled()) {
      auto authenticator = frontend::Authenticator::Create(config.authorization, clock);
      if (!authenticator.ok()) Die(program, std::string(authenticator.status().message()));
      security.authenticator = *std::move(authenticator);
    }
    auto audit = frontend::AuditLog::Open(config.audit);
    if (!audit.ok()) Die(program, std::string(audit.status().message()));
    security.audit = *std::move(audit);
    frontend = std::make_unique<frontend::FrontendService>(
        config, stores.namespaces, namespaces, history_client, matching_client, blocking,
        stores.visibility, std::move(security), stores.schedules, stores.batch_operations,
        RequestRecorder("frontend", names.by_name));
    grpc_services["frontend"] = frontend->GrpcServices();
  }
  if (wanted.contains("worker")) {
    worker = std::make_unique<worker::WorkerService>(config, stores, membership, history_client,
                                                     blocking, timers, clock, addresses["worker"]);
    grpc_services["worker"] = {};
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::CallbackGenericService unimplemented;
  std::map<std::string, std::unique_ptr<grpc::Server>> servers;
  std::unique_ptr<h2::Server> h2_frontend;
  for (const auto& name : services) {
    if (name == "frontend" && config.services.at(name).transport == "h2") {
      h2::ServerOptions options;
      options.listen_address = listen[name];
      options.max_message_bytes = kMaxMessageBytes;
      options.tls = process_tls->H2Tls(name);
      options.thread_name = "frontend-h2";
      auto server = h2::Server::Start(std::move(options), frontend->H2Handler());
      if (!server.ok()) Die(program, std::string(server.status().message()));
      h2_frontend = *std::move(server);
      continue;
    }
    grpc::ServerBuilder builder;
    builder.AddListeningPort(listen[name], process_tls->ServerCredentials(name));
    builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
    builder.SetMaxSendMessageSize(kMaxMessageBytes);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(server::RequestMetricsInterceptor(
        name, names, name == "frontend" ? frontend::IsGatedMethod : server::RecordedElsewhere()));
    builder.experimental().SetInterceptorCreators(std::move(creators));
    for (auto* s : grpc_services[name]) builder.RegisterService(s);
    // A server needs at least one callback service to run; the worker has no RPCs of its own
    // yet, so it serves only health plus UNIMPLEMENTED for everything else.
    if (grpc_services[name].empty()) builder.RegisterCallbackGenericService(&unimplemented);
    auto server = builder.BuildAndStart();
    if (!server) Die(program, "cannot listen on " + listen[name] + " for the " + name + " service");
    servers[name] = std::move(server);
  }
  if (frontend && servers.contains("frontend")) frontend->AttachServer(servers["frontend"].get());

  auto process_metrics = std::make_shared<metrics::ProcessCollector>();
  std::vector<std::unique_ptr<prometheus::Exposer>> exposers;
  std::set<std::string> metrics_addresses;
  for (const auto& name : services) {
    const auto& address = config.services.at(name).metrics_listen_address;
    if (!address.empty() && metrics_addresses.insert(address).second) {
      try {
        exposers.push_back(std::make_unique<prometheus::Exposer>(address));
        exposers.back()->RegisterCollectable(MetricsRegistry());
        exposers.back()->RegisterCollectable(process_metrics);
      } catch (const std::exception& e) {
        Die(program, "cannot serve metrics on " + address + ": " + e.what());
      }
    }
  }

  std::vector<persistence::Member> self;
  std::string host_id = NewUuid();
  for (const auto& name : services) {
    persistence::Member member;
    member.role = RoleOf(name);
    member.host_id = host_id;
    member.rpc_address = addresses[name];
    member.session_start = clock.Now();
    self.push_back(member);
  }
  if (auto st = membership.Start(self); !st.ok()) {
    Die(program, "joining cluster membership: " + std::string(st.message()));
  }
  if (history) history->Start();
  if (matching) matching->Start();
  if (worker) worker->Start();
  if (frontend) frontend->Start();
  for (const auto& name : services) {
    spdlog::info("{} service listening on {} (advertised as {})", name, listen[name],
                 addresses[name]);
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received signal {}, shutting down", signal_number);

  // Reverse order: stop taking work, hand shards and partitions to peers, leave the cluster.
  if (frontend) frontend->Stop();
  if (worker) worker->Stop();
  clients.matching_router->SetLocal(std::nullopt);
  if (matching) matching->Stop();
  clients.history_router->SetLocal(std::nullopt);
  if (history) history->Stop();
  membership.Stop();
  namespaces->Stop();
  auto deadline = clock.Now() + std::chrono::seconds(5);
  if (h2_frontend) h2_frontend->Shutdown(deadline);
  for (auto& [name, server] : servers) server->Shutdown(deadline);
  if (dynamic_config_file) dynamic_config_file->Stop();
  process_tls->Stop();
  timers.Stop();
  blocking.Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace tern::server
