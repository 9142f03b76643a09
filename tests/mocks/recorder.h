// Records the calls of one client method and answers them as the test says. Shared by the
// client fakes (history_client.h, matching_client.h).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "client/rpc.h"
#include "common/executor.h"

namespace tern::mocks {

// One recorded call.
template <typename Request, typename Response>
struct Recorded {
  Request request;
  client::CallOptions options;
  client::Callback<Response> done;
};

// Each call is recorded, then answered with `reply` if one is set (computed and answered on the
// executor given with it, else at once on the caller's thread), else with the fallback status if
// one is set, else it stays pending until the test completes it through the recorded callback.
template <typename Request, typename Response>
class Recorder {
 public:
  using Reply = std::function<absl::StatusOr<Response>(const Request&)>;

  void Call(const Request& request, client::CallOptions options, client::Callback<Response> done,
            const absl::Status& fallback = absl::OkStatus()) {
    Reply reply;
    Executor* executor;
    {
      std::lock_guard lock(mu_);
      calls_.push_back({request, options, done});
      reply = reply_;
      executor = executor_;
    }
    if (!reply) {
      if (!fallback.ok()) done(fallback);
      return;
    }
    if (executor == nullptr) return done(reply(request));
    executor->Post(
        [reply = std::move(reply), request, done = std::move(done)] { done(reply(request)); });
  }
  void SetReply(Reply reply, Executor* post_on = nullptr) {
    std::lock_guard lock(mu_);
    reply_ = std::move(reply);
    executor_ = post_on;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return calls_.size();
  }
  Recorded<Request, Response> at(size_t i) const {
    std::lock_guard lock(mu_);
    return calls_.at(i);
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    std::vector<Request> out;
    for (const auto& call : calls_) out.push_back(call.request);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Recorded<Request, Response>> calls_;
  Reply reply_;
  Executor* executor_ = nullptr;
};

// What a client fake records across its methods, and its answer to calls nobody set a reply for.
class CallLog {
 public:
  // Every call without a reply set fails with `status` instead of staying pending.
  void FailUnansweredWith(absl::Status status) {
    std::lock_guard lock(mu_);
    fallback_ = std::move(status);
  }
  // The names of the methods called, in call order.
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 protected:
  void Note(const char* method) {
    std::lock_guard lock(mu_);
    calls_.push_back(method);
  }
  absl::Status fallback() const {
    std::lock_guard lock(mu_);
    return fallback_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
  absl::Status fallback_;
};

}  // namespace tern::mocks
