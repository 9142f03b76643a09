// Internal to h2: one epoll loop thread. It owns the connections assigned to it and runs their
// reads; Post() is the only hand-off from other threads (used for new connections and shutdown
// steps, never per call: answers are written by whichever thread answers).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"

namespace tern::h2 {

class Connection;

// Something registered with a loop's epoll set; OnEvent runs on the loop thread.
class Pollable {
 public:
  virtual void OnEvent(uint32_t events) = 0;

 protected:
  ~Pollable() = default;
};

class Loop : private Pollable {
 public:
  Loop() = default;
  ~Loop();  // joins the thread (Stop must have been posted), closes the epoll set
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Creates the epoll set and starts the thread, named `name` (at most 15 characters kept).
  absl::Status Start(const std::string& name);
  // Runs `task` on the loop thread, after the events being handled. Any thread.
  void Post(std::function<void()> task);
  void Join();

  int epoll_fd() const { return epoll_fd_; }

  // Loop thread only.
  void Adopt(std::shared_ptr<Connection> connection);  // registers and starts it
  // Forgets a closed connection; it stays alive until the current batch of events is handled.
  void Release(Connection* connection);
  std::vector<std::shared_ptr<Connection>> connections() const;
  void Stop();  // the thread exits after the current batch
  // Scratch space for socket reads, shared by the loop's connections.
  std::vector<char>& read_buffer() { return read_buffer_; }

 private:
  void Run();
  void OnEvent(uint32_t events) override;  // the wake-up eventfd

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_;  // guarded by tasks_mu_
  bool stop_ = false;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::vector<std::shared_ptr<Connection>> released_;
  std::vector<char> read_buffer_ = std::vector<char>(64 << 10);
};

}  // namespace tern::h2
