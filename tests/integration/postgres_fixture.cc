#include "tests/integration/postgres_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "persistence/postgres/postgres_stores.h"
#include "persistence/postgres/schema.h"

namespace tern::testing {
namespace {

namespace fs = std::filesystem;

// The newest installed PostgreSQL's bin directory (/usr/lib/postgresql/<major>/bin).
absl::StatusOr<std::string> FindBinDir() {
  int best = -1;
  std::string best_dir;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "pg_ctl") || !fs::exists(bin / "initdb")) continue;
    if (int major = std::stoi(name); major > best) {
      best = major;
      best_dir = bin.string();
    }
  }
  if (best < 0) return absl::NotFoundError("no PostgreSQL under /usr/lib/postgresql/*/bin");
  return best_dir;
}

std::string FindRunuser() {
  for (const char* path : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "runuser";
}

// initdb refuses to run as root: run the PostgreSQL tools as `postgres` then.
std::vector<std::string> AsPostgres(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  std::vector<std::string> out = {FindRunuser(), "-u", "postgres", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// Runs argv (no shell) with stdout/stderr appended to log_path; returns the exit code.
int Run(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = open("/dev/null", O_RDONLY);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    if (null >= 0) dup2(null, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Tail(const std::string& path, size_t max_chars = 2000) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  return text.size() > max_chars ? text.substr(text.size() - max_chars) : text;
}

// A port that was free a moment ago (bind port 0, read it, close).
absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("cannot bind a free port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string MaintenanceConnection(int port) {
  return absl::StrCat("host=127.0.0.1 port=", port, " dbname=postgres user=postgres");
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  absl::StatusOr<std::string> bin_dir = FindBinDir();
  if (!bin_dir.ok()) return bin_dir.status();

  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bin_dir_ = *bin_dir;
  std::string templ = (fs::temp_directory_path() / "tern-pg-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  server->root_dir_ = templ;
  server->data_dir_ = templ + "/data";
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return absl::NotFoundError("running as root but there is no postgres user");
    if (chown(templ.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("cannot chown ", templ, " to postgres"));
    }
  }

  // The watchdog: a shell that waits for EOF on a pipe only we hold (close-on-exec, so no child
  // inherits it), then stops the server and removes the directory. It runs in its own session
  // so a signal to our process group does not take it down with us.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  std::string script = absl::StrCat(
      "read _; ",
      absl::StrJoin(AsPostgres({server->bin_dir_ + "/pg_ctl", "stop", "-D", server->data_dir_, "-m",
                                "immediate"}),
                    " ",
                    [](std::string* out, const std::string& a) { out->append(ShellQuote(a)); }),
      " >/dev/null 2>&1; rm -rf ", ShellQuote(server->root_dir_));
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    setsid();
    dup2(fds[0], STDIN_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
    }
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  server->watchdog_pid_ = pid;
  server->watchdog_fd_ = fds[1];

  const std::string initdb_log = server->root_dir_ + "/initdb.log";
  if (Run(AsPostgres({server->bin_dir_ + "/initdb", "-D", server->data_dir_, "-A", "trust", "-U",
                      "postgres", "-E", "UTF8", "--locale=C", "--no-sync"}),
          initdb_log) != 0) {
    return absl::InternalError(absl::StrCat("initdb failed:\n", Tail(initdb_log)));
  }

  // The port may be taken between FreePort and the server's bind: try a few.
  const std::string server_log = server->root_dir_ + "/postgres.log";
  std::string last_error;
  for (int attempt = 0; attempt < 3 && !server->running_; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    std::string options = absl::StrCat(
        "-c listen_addresses=127.0.0.1 -c port=", *port,
        " -c unix_socket_directories=", server->root_dir_,
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
    if (Run(AsPostgres({server->bin_dir_ + "/pg_ctl", "start", "-D", server->data_dir_, "-l",
                        server_log, "-w", "-t", "60", "-o", options}),
            server->root_dir_ + "/pg_ctl.log") == 0) {
      server->port_ = *port;
      server->running_ = true;
    } else {
      last_error = Tail(server_log);
    }
  }
  if (!server->running_) {
    return absl::InternalError(absl::StrCat("pg_ctl start failed:\n", last_error));
  }

  // pg_ctl -w waited for the server; confirm it takes TCP connections, with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    try {
      pqxx::connection conn(MaintenanceConnection(server->port_));
      break;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat("PostgreSQL on port ", server->port_,
                                                        " never accepted connections: ", e.what()));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return server;
}

PostgresServer::~PostgresServer() { Stop(); }

void PostgresServer::Stop() {
  if (running_) {
    Run(AsPostgres({bin_dir_ + "/pg_ctl", "stop", "-D", data_dir_, "-m", "fast", "-w"}),
        "/dev/null");
    running_ = false;
  }
  if (!root_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(root_dir_, ec);
  }
  if (watchdog_fd_ >= 0) {
    close(watchdog_fd_);
    watchdog_fd_ = -1;
  }
  if (watchdog_pid_ > 0) {
    int status = 0;
    while (waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    watchdog_pid_ = -1;
  }
}

SqlStoreConfig PostgresServer::ConfigFor(const std::string& database) const {
  SqlStoreConfig cfg;
  cfg.database_name = database;
  cfg.connect_addr = absl::StrCat("127.0.0.1:", port_);
  cfg.user = "postgres";
  cfg.max_conns = 4;
  return cfg;
}

absl::StatusOr<SqlStoreConfig> PostgresServer::CreateDatabase() {
  std::string name = absl::StrCat("tern_test_", next_database_++);
  try {
    pqxx::connection conn(MaintenanceConnection(port_));
    pqxx::nontransaction txn(conn);
    txn.exec0("CREATE DATABASE " + txn.quote_name(name));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("CREATE DATABASE ", name, ": ", e.what()));
  }
  return ConfigFor(name);
}

absl::Status PostgresServer::Exec(const SqlStoreConfig& cfg, const std::string& sql) {
  try {
    pqxx::connection conn(
        absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", cfg.database_name));
    pqxx::work txn(conn);
    txn.exec(sql);
    txn.commit();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(sql, ": ", e.what()));
  }
  return absl::OkStatus();
}

namespace {

std::mutex shared_mu;
std::unique_ptr<PostgresServer> shared_server;
absl::Status shared_start_error;

// Stops the shared server after the last test, also when tests failed.
class StopSharedServer : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(shared_mu);
    shared_server.reset();
  }
};

[[maybe_unused]] ::testing::Environment* const kStopSharedServer =
    ::testing::AddGlobalTestEnvironment(new StopSharedServer);

}  // namespace

absl::StatusOr<PostgresServer*> SharedPostgresServer() {
  std::lock_guard lock(shared_mu);
  if (shared_server == nullptr && shared_start_error.ok()) {
    absl::StatusOr<std::unique_ptr<PostgresServer>> started = PostgresServer::Start();
    if (started.ok()) {
      shared_server = *std::move(started);
    } else {
      shared_start_error = started.status();  // do not retry for every test
    }
  }
  if (!shared_start_error.ok()) return shared_start_error;
  return shared_server.get();
}

void CreateDatabaseWithSchema(SqlStoreConfig* config) {
  absl::StatusOr<PostgresServer*> server = SharedPostgresServer();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<SqlStoreConfig> cfg = (*server)->CreateDatabase();
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  *config = *cfg;
  absl::Status setup = persistence::postgres::SetupSchema(*config);
  ASSERT_TRUE(setup.ok()) << setup;
}

void PostgresTest::SetUp() {
  absl::StatusOr<PostgresServer*> server = SharedPostgresServer();
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *server;
  CreateDatabaseWithSchema(&config_);
  if (HasFatalFailure()) return;
  absl::StatusOr<persistence::Stores> stores = persistence::postgres::OpenPostgresStores(config_);
  ASSERT_TRUE(stores.ok()) << stores.status();
  stores_ = *std::move(stores);
}

}  // namespace tern::testing
