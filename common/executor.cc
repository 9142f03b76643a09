#include "common/executor.h"

#include <boost/asio/defer.hpp>
#include <boost/asio/post.hpp>
#include <mutex>

namespace tern {
namespace {

thread_local Executor* current_executor = nullptr;

class AsioTimer final : public Executor::Timer, public std::enable_shared_from_this<AsioTimer> {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}
  void Start(std::chrono::nanoseconds delay, std::function<void()> fn) {
    std::lock_guard lock(mu_);
    timer_.expires_after(delay);
    timer_.async_wait(
        [self = shared_from_this(), fn = std::move(fn)](boost::system::error_code ec) {
          if (!ec && !self->cancelled_.load()) fn();
        });
  }
  void Cancel() override {
    cancelled_ = true;
    std::lock_guard lock(mu_);
    timer_.cancel();
  }

 private:
  std::mutex mu_;  // steady_timer is not thread-safe
  boost::asio::steady_timer timer_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

Executor::Executor(int threads, std::string name) : guard_(boost::asio::make_work_guard(io_)) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, name, i] {
      std::string thread_name = (name + std::to_string(i)).substr(0, 15);
      pthread_setname_np(pthread_self(), thread_name.c_str());
      current_executor = this;
      io_.run();
    });
  }
}

Executor::~Executor() { Stop(); }

void Executor::Post(std::function<void()> fn) {
  if (stopped_) return;
  boost::asio::post(io_, std::move(fn));
}

void Executor::Defer(std::function<void()> fn) {
  if (stopped_) return;
  // asio keeps a continuation posted from one of the pool's threads in that thread's own queue.
  boost::asio::defer(io_, std::move(fn));
}

Executor* Executor::Current() { return current_executor; }

std::shared_ptr<Executor::Timer> Executor::PostAfter(std::chrono::nanoseconds delay,
                                                     std::function<void()> fn) {
  auto timer = std::make_shared<AsioTimer>(io_);
  if (!stopped_) timer->Start(delay, std::move(fn));
  return timer;
}

void Executor::Stop() {
  if (stopped_.exchange(true)) return;
  guard_.reset();
  io_.stop();
  for (auto& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
  threads_.clear();
}

}  // namespace tern
