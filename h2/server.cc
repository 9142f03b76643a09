#include "h2/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "h2/connection.h"
#include "h2/loop.h"

namespace tern::h2 {
namespace {

// "ipv4:127.0.0.1:5555" / "ipv6:[::1]:5555", as gRPC formats peers (v4-mapped v6 shown as v4).
std::string FormatPeer(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
    return absl::StrCat("ipv4:", host, ":", ntohs(v4.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], host, sizeof host);
      return absl::StrCat("ipv4:", host, ":", ntohs(v6.sin6_port));
    }
    inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
    return absl::StrCat("ipv6:[", host, "]:", ntohs(v6.sin6_port));
  }
  return "unknown";
}

// A listening non-blocking socket for "host:port", "[v6]:port" or ":port".
absl::StatusOr<int> Listen(const std::string& address) {
  std::string host, port;
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" has no port (host:port)"));
  }
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve listen address ", address, ": ", gai_strerror(rc)));
  }
  int error = 0;
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) {  // "[::]" takes IPv4 clients too
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      error = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", strerror(error)));
  }
  return fd;
}

}  // namespace

// The server's state; as a Pollable it is the listener, on loop 0.
struct Server::Impl : Pollable {
  ServerOptions options;
  Handler handler;
  int listen_fd = -1;
  int port = 0;
  // Kept open to be given up when the process runs out of descriptors: closing it lets the
  // listener accept and drop the waiting connection instead of spinning on EMFILE.
  int spare_fd = -1;
  std::vector<std::unique_ptr<Loop>> loops;
  size_t next_loop = 0;  // loop 0's thread only
  ShutdownWatch watch;
  std::mutex shutdown_mu;
  bool shut_down = false;  // guarded by shutdown_mu

  ~Impl() {
    if (listen_fd >= 0) close(listen_fd);
    if (spare_fd >= 0) close(spare_fd);
  }

  void OnEvent(uint32_t) override {
    for (int i = 0; i < 64 && listen_fd >= 0; ++i) {
      sockaddr_storage address{};
      socklen_t length = sizeof address;
      int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&address), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
          close(spare_fd);
          if (int dropped = accept(listen_fd, nullptr, nullptr); dropped >= 0) close(dropped);
          spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
          continue;
        }
        return;  // EAGAIN, or an error the next readiness retries
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::shared_ptr<TlsContext> tls = options.tls ? options.tls() : nullptr;
      Loop* loop = loops[next_loop++ % loops.size()].get();
      auto connection = std::make_shared<Connection>(
          fd, FormatPeer(address), tls,
          Connection::Env{loop, &handler, options.max_message_bytes, &watch});
      if (loop == loops[0].get()) {
        loop->Adopt(std::move(connection));
      } else {
        loop->Post([loop, connection = std::move(connection)]() mutable {
          loop->Adopt(std::move(connection));
        });
      }
    }
  }

  // Runs `task` on every loop thread and waits for all of them.
  void RunOnLoops(const std::function<void(Loop&)>& task) {
    std::latch done(static_cast<ptrdiff_t>(loops.size()));
    for (auto& loop : loops) {
      loop->Post([&task, &done, raw = loop.get()] {
        task(*raw);
        done.count_down();
      });
    }
    done.wait();
  }

  void StopLoops() {
    for (auto& loop : loops) loop->Post([raw = loop.get()] { raw->Stop(); });
    for (auto& loop : loops) loop->Join();
  }
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  absl::StatusOr<int> fd = Listen(impl->options.listen_address);
  if (!fd.ok()) return fd.status();
  impl->listen_fd = *fd;
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(impl->listen_fd, reinterpret_cast<sockaddr*>(&bound), &length);
  impl->port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                                 : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  impl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  int threads = impl->options.loop_threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    auto loop = std::make_unique<Loop>();
    if (absl::Status status = loop->Start(absl::StrCat(impl->options.thread_name, "-", i));
        !status.ok()) {
      impl->StopLoops();
      return status;
    }
    impl->loops.push_back(std::move(loop));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = static_cast<Pollable*>(impl.get());
  if (epoll_ctl(impl->loops[0]->epoll_fd(), EPOLL_CTL_ADD, impl->listen_fd, &event) != 0) {
    impl->StopLoops();
    return absl::InternalError(absl::StrCat("cannot watch the listening socket of ",
                                            impl->options.listen_address, ": ", strerror(errno)));
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Shutdown(std::chrono::system_clock::now()); }

int Server::port() const { return impl_->port; }

void Server::Shutdown(std::chrono::system_clock::time_point deadline) {
  Impl& s = *impl_;
  std::lock_guard lock(s.shutdown_mu);
  if (s.shut_down) return;
  s.shut_down = true;
  // Accept no more. Connections accepted before are already posted ahead of the next steps.
  s.RunOnLoops([&s](Loop& loop) {
    if (&loop != s.loops[0].get()) return;
    epoll_ctl(loop.epoll_fd(), EPOLL_CTL_DEL, s.listen_fd, nullptr);
    close(s.listen_fd);
    s.listen_fd = -1;
  });
  s.RunOnLoops([&s](Loop& loop) {
    for (const auto& connection : loop.connections()) {
      s.watch.Add();
      connection->BeginShutdown();
    }
  });
  s.watch.WaitUntil(deadline);
  s.RunOnLoops([](Loop& loop) {
    for (const auto& connection : loop.connections()) connection->Close();
    loop.Stop();
  });
  for (auto& loop : s.loops) loop->Join();
}

}  // namespace tern::h2
