// Helpers for the matching tests (unit and integration) over the shared fakes of tests/mocks:
// the history fake answering record-starts as history does, a loopback matching client
// (forwarding back into the engine under test), call results, waiting helpers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "client/grpc_matching_client.h"
#include "common/errors.h"
#include "common/executor.h"
#include "common/status_macros.h"
#include "membership/membership.h"
#include "services/matching/matching_engine.h"
#include "tests/mocks/clock.h"
#include "tests/mocks/history_client.h"
#include "tests/mocks/matching_client.h"
#include "tests/mocks/membership_store.h"
#include "tests/mocks/task_store.h"

namespace tern::matching::testing {

namespace hs = tern::historyservice::v1;
namespace pv1 = tern::persistence::v1;
using namespace std::chrono_literals;

// Waits (polling, with a deadline) until `condition` holds.
template <typename Fn>
bool WaitFor(Fn condition, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// The outcome of one asynchronous call.
template <typename T>
class Result : public std::enable_shared_from_this<Result<T>> {
 public:
  client::Callback<T> Callback() {
    auto self = this->shared_from_this();
    return [self](absl::StatusOr<T> value) {
      std::lock_guard lock(self->mu_);
      EXPECT_FALSE(self->value_.has_value()) << "callback ran twice";
      self->value_ = std::move(value);
      self->cv_.notify_all();
    };
  }
  // The value, or nullopt if it did not arrive within `timeout`.
  std::optional<absl::StatusOr<T>> Wait(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return value_.has_value(); });
    return value_;
  }
  bool done() {
    std::lock_guard lock(mu_);
    return value_.has_value();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<absl::StatusOr<T>> value_;
};

template <typename T>
std::shared_ptr<Result<T>> NewResult() {
  return std::make_shared<Result<T>>();
}

using mocks::ManualClock;
using InMemoryTaskStore = mocks::FakeTaskStore;
using InMemoryMembershipStore = mocks::FakeMembershipStore;

// History's record-start: each (workflow, scheduled event) starts once; a retry with the same
// request id returns the same task, another request id gets FAILED_PRECONDITION; workflows
// marked stale answer NOT_FOUND. Responses come asynchronously on `executor`.
class FakeHistoryClient final : public mocks::FakeHistoryClient {
 public:
  struct Record {
    std::string workflow_id;
    int64_t scheduled_event_id = 0;
    std::string request_id;
    std::string task_queue;  // poll_request.task_queue.name
  };

  explicit FakeHistoryClient(Executor& executor) {
    RecordWorkflowTaskStarted_.SetReply(
        [this](const hs::RecordWorkflowTaskStartedRequest& request)
            -> absl::StatusOr<ws::PollWorkflowTaskQueueResponse> {
          const auto& execution = request.workflow_execution();
          RETURN_IF_ERROR(Decide(execution.workflow_id(), request.scheduled_event_id(),
                                 request.request_id(), request.poll_request().task_queue().name()));
          ws::PollWorkflowTaskQueueResponse response;
          response.set_task_token(Token(execution.workflow_id(), request.scheduled_event_id()));
          *response.mutable_workflow_execution() = execution;
          response.mutable_workflow_type()->set_name("wf-type");
          response.set_started_event_id(request.scheduled_event_id() + 1);
          return response;
        },
        &executor);
    RecordActivityTaskStarted_.SetReply(
        [this](const hs::RecordActivityTaskStartedRequest& request)
            -> absl::StatusOr<ws::PollActivityTaskQueueResponse> {
          const auto& execution = request.workflow_execution();
          RETURN_IF_ERROR(Decide(execution.workflow_id(), request.scheduled_event_id(),
                                 request.request_id(), request.poll_request().task_queue().name()));
          ws::PollActivityTaskQueueResponse response;
          response.set_task_token(Token(execution.workflow_id(), request.scheduled_event_id()));
          *response.mutable_workflow_execution() = execution;
          response.set_activity_id("act-" + std::to_string(request.scheduled_event_id()));
          return response;
        },
        &executor);
  }

  static std::string Token(const std::string& workflow_id, int64_t scheduled_event_id) {
    return workflow_id + "/" + std::to_string(scheduled_event_id);
  }
  void MarkStale(const std::string& workflow_id) {
    std::lock_guard lock(mu_);
    stale_.insert(workflow_id);
  }
  // Fails the next n record-starts with UNAVAILABLE.
  void FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }
  std::vector<Record> records() {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  absl::Status Decide(const std::string& workflow_id, int64_t scheduled_event_id,
                      const std::string& request_id, const std::string& task_queue) {
    std::lock_guard lock(mu_);
    records_.push_back({workflow_id, scheduled_event_id, request_id, task_queue});
    if (fail_next_ > 0) {
      --fail_next_;
      return absl::UnavailableError("history is unavailable (injected)");
    }
    if (stale_.count(workflow_id)) return NotFoundError("workflow execution already completed");
    auto [it, inserted] = started_.emplace(Token(workflow_id, scheduled_event_id), request_id);
    if (!inserted && it->second != request_id) {
      return absl::FailedPreconditionError("task already started");
    }
    return absl::OkStatus();
  }

  std::mutex mu_;
  std::set<std::string> stale_;
  std::map<std::string, std::string> started_;
  std::vector<Record> records_;
  int fail_next_ = 0;
};

// Routes forwarded calls back into the engine under test (every partition is local), from
// another thread as a real RPC would.
class LoopbackMatchingClient final : public mocks::FakeMatchingClient {
 public:
  // Calls it does not loop back fail as a client with no matching host would.
  explicit LoopbackMatchingClient(Executor& executor) : executor_(executor) {
    FailUnansweredWith(absl::UnavailableError("no matching host is available"));
  }

  void SetEngine(std::weak_ptr<MatchingEngine> engine) {
    std::lock_guard lock(mu_);
    engine_ = std::move(engine);
  }

  void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, client::CallOptions options,
                       client::Callback<ms::AddWorkflowTaskResponse> done) override {
    ++forwarded_adds;
    if (!options.caller_returns) ++forwarded_waiting;
    executor_.Post([weak = Engine(), request, options, done] {
      auto engine = weak.lock();
      if (!engine) return done(absl::UnavailableError("no engine"));
      engine->AddWorkflowTask(request, options.deadline, done);
    });
  }
  void AddActivityTask(const ms::AddActivityTaskRequest& request, client::CallOptions options,
                       client::Callback<ms::AddActivityTaskResponse> done) override {
    ++forwarded_adds;
    if (!options.caller_returns) ++forwarded_waiting;
    executor_.Post([weak = Engine(), request, options, done] {
      auto engine = weak.lock();
      if (!engine) return done(absl::UnavailableError("no engine"));
      engine->AddActivityTask(request, options.deadline, done);
    });
  }
  void PollWorkflowTaskQueue(const ms::PollWorkflowTaskQueueRequest& request,
                             client::CallOptions options,
                             client::Callback<ws::PollWorkflowTaskQueueResponse> done) override {
    ++forwarded_polls;
    if (!options.caller_returns) ++forwarded_waiting;
    executor_.Post([weak = Engine(), request, options, done] {
      auto engine = weak.lock();
      if (!engine) return done(absl::UnavailableError("no engine"));
      engine->PollWorkflowTaskQueue(request, options.deadline, done);
    });
  }
  void PollActivityTaskQueue(const ms::PollActivityTaskQueueRequest& request,
                             client::CallOptions options,
                             client::Callback<ws::PollActivityTaskQueueResponse> done) override {
    ++forwarded_polls;
    if (!options.caller_returns) ++forwarded_waiting;
    executor_.Post([weak = Engine(), request, options, done] {
      auto engine = weak.lock();
      if (!engine) return done(absl::UnavailableError("no engine"));
      engine->PollActivityTaskQueue(request, options.deadline, done);
    });
  }

  std::atomic<int> forwarded_adds{0};
  std::atomic<int> forwarded_polls{0};
  // Forwarded calls that did not say the forwarder returns without waiting for the answer
  // (CallOptions::caller_returns): an in-process root's immediate answer would then wake a
  // client thread instead of running on the forwarder's own.
  std::atomic<int> forwarded_waiting{0};

 private:
  std::weak_ptr<MatchingEngine> Engine() {
    std::lock_guard lock(mu_);
    return engine_;
  }
  Executor& executor_;
  std::mutex mu_;
  std::weak_ptr<MatchingEngine> engine_;
};

}  // namespace tern::matching::testing
