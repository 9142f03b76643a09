#include "h2/loop.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "h2/connection.h"

namespace tern::h2 {

Loop::~Loop() {
  Join();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

absl::Status Loop::Start(const std::string& name) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("h2 loop ", name, ": ", strerror(errno)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = static_cast<Pollable*>(this);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    return absl::InternalError(absl::StrCat("h2 loop ", name, ": ", strerror(errno)));
  }
  thread_ = std::thread([this, name = name.substr(0, 15)] {
    pthread_setname_np(pthread_self(), name.c_str());
    Run();
  });
  return absl::OkStatus();
}

void Loop::Post(std::function<void()> task) {
  {
    std::lock_guard lock(tasks_mu_);
    tasks_.push_back(std::move(task));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void Loop::Join() {
  if (thread_.joinable()) thread_.join();
}

void Loop::Adopt(std::shared_ptr<Connection> connection) {
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  raw->Start();
}

void Loop::Release(Connection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  released_.push_back(std::move(it->second));
  connections_.erase(it);
}

std::vector<std::shared_ptr<Connection>> Loop::connections() const {
  std::vector<std::shared_ptr<Connection>> out;
  out.reserve(connections_.size());
  for (const auto& [raw, connection] : connections_) out.push_back(connection);
  return out;
}

void Loop::Stop() { stop_ = true; }

void Loop::Run() {
  epoll_event events[128];
  while (!stop_) {
    int n = epoll_wait(epoll_fd_, events, 128, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EBADF/EINVAL: cannot happen with our own epoll set
    }
    for (int i = 0; i < n; ++i) {
      static_cast<Pollable*>(events[i].data.ptr)->OnEvent(events[i].events);
    }
    released_.clear();
  }
}

void Loop::OnEvent(uint32_t) {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof count);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(tasks_mu_);
    tasks.swap(tasks_);
  }
  for (auto& task : tasks) task();
}

}  // namespace tern::h2
