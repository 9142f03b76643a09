// Test doubles for the matching engine, shared by the unit and integration tests:
// in-memory TaskStore and MembershipStore, a fake history (record-start), a loopback matching
// client (forwarding back into the engine under test), a controllable clock, waiting helpers.
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

#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/executor.h"
#include "membership/membership.h"
#include "persistence/store.h"
#include "services/matching/matching_engine.h"

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

// system time plus an adjustable offset.
class ManualClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::system_clock::now() + std::chrono::milliseconds(offset_ms_.load());
  }
  void Advance(std::chrono::milliseconds d) { offset_ms_ += d.count(); }

 private:
  std::atomic<int64_t> offset_ms_{0};
};

class InMemoryTaskStore final : public persistence::TaskStore {
 public:
  absl::StatusOr<persistence::TaskQueueLease> LeaseTaskQueue(
      const persistence::TaskQueueKey& key) override {
    std::lock_guard lock(mu_);
    ++leases_;
    auto& q = queues_[Key(key)];
    ++q.range_id;
    return persistence::TaskQueueLease{q.range_id, q.info};
  }
  absl::Status UpdateTaskQueue(const persistence::TaskQueueKey& key, int64_t range_id,
                               const pv1::TaskQueueInfo& info) override {
    std::lock_guard lock(mu_);
    auto& q = queues_[Key(key)];
    if (q.range_id != range_id) return persistence::FencingError("range_id moved");
    q.info = info;
    return absl::OkStatus();
  }
  absl::Status CreateTasks(const persistence::TaskQueueKey& key, int64_t range_id,
                           const std::vector<persistence::BacklogTask>& tasks) override {
    std::lock_guard lock(mu_);
    if (fail_creates_ > 0) {
      --fail_creates_;
      return absl::UnavailableError("injected failure");
    }
    auto& q = queues_[Key(key)];
    if (q.range_id != range_id) return persistence::FencingError("range_id moved");
    for (const auto& t : tasks) {
      EXPECT_GT(t.task_id, range_id << 20);
      EXPECT_LE(t.task_id, (range_id + 1) << 20);
      EXPECT_FALSE(q.tasks.count(t.task_id)) << "duplicate task id " << t.task_id;
      q.tasks[t.task_id] = t.task;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<persistence::BacklogTask>> GetTasks(
      const persistence::TaskQueueKey& key, int64_t after_task_id, int limit) override {
    std::lock_guard lock(mu_);
    std::vector<persistence::BacklogTask> out;
    auto& q = queues_[Key(key)];
    for (auto it = q.tasks.upper_bound(after_task_id);
         it != q.tasks.end() && static_cast<int>(out.size()) < limit; ++it) {
      out.push_back({it->first, it->second});
    }
    return out;
  }
  absl::Status DeleteTasks(const persistence::TaskQueueKey& key,
                           const std::vector<int64_t>& task_ids) override {
    std::lock_guard lock(mu_);
    auto& q = queues_[Key(key)];
    for (auto id : task_ids) q.tasks.erase(id);
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> CountTasks(const persistence::TaskQueueKey& key) override {
    std::lock_guard lock(mu_);
    return static_cast<int64_t>(queues_[Key(key)].tasks.size());
  }

  absl::Status DeleteNamespaceTaskQueues(const std::string& namespace_id) override {
    std::lock_guard lock(mu_);
    std::erase_if(queues_, [&](const auto& entry) { return std::get<0>(entry.first) == namespace_id; });
    return absl::OkStatus();
  }

  // Test controls.
  size_t Count(const std::string& ns, const std::string& name, int type) {
    return static_cast<size_t>(*CountTasks({ns, name, type}));
  }
  // Another host leases the partition.
  void StealLease(const std::string& ns, const std::string& name, int type) {
    std::lock_guard lock(mu_);
    ++queues_[Key({ns, name, type})].range_id;
  }
  int64_t RangeId(const std::string& ns, const std::string& name, int type) {
    std::lock_guard lock(mu_);
    return queues_[Key({ns, name, type})].range_id;
  }
  void FailNextCreates(int n) {
    std::lock_guard lock(mu_);
    fail_creates_ = n;
  }
  int leases() {
    std::lock_guard lock(mu_);
    return leases_;
  }

 private:
  using QueueId = std::tuple<std::string, std::string, int>;
  static QueueId Key(const persistence::TaskQueueKey& k) {
    return {k.namespace_id, k.name, k.task_type};
  }
  struct Queue {
    int64_t range_id = 0;
    pv1::TaskQueueInfo info;
    std::map<int64_t, pv1::MatchingTask> tasks;
  };
  std::mutex mu_;
  std::map<QueueId, Queue> queues_;
  int fail_creates_ = 0;
  int leases_ = 0;
};

// Membership rows kept in memory (for a real Membership over an in-process ring).
class InMemoryMembershipStore final : public persistence::MembershipStore {
 public:
  absl::Status Heartbeat(const persistence::Member& member) override {
    std::lock_guard lock(mu_);
    members_[{static_cast<int>(member.role), member.host_id}] = member;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<persistence::Member>> ListLiveMembers(
      persistence::Role role, std::chrono::milliseconds) override {
    std::lock_guard lock(mu_);
    std::vector<persistence::Member> out;
    for (const auto& [key, member] : members_) {
      if (member.role == role) out.push_back(member);
    }
    return out;
  }
  absl::Status RemoveMember(persistence::Role role, const std::string& host_id) override {
    std::lock_guard lock(mu_);
    members_.erase({static_cast<int>(role), host_id});
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
  std::map<std::pair<int, std::string>, persistence::Member> members_;
};

// History's record-start: each (workflow, scheduled event) starts once; a retry with the same
// request id returns the same task, another request id gets FAILED_PRECONDITION; workflows
// marked stale answer NOT_FOUND. Responses come asynchronously on `executor`.
class FakeHistoryClient final : public client::HistoryClient {
 public:
  struct Record {
    std::string workflow_id;
    int64_t scheduled_event_id = 0;
    std::string request_id;
    std::string task_queue;  // poll_request.task_queue.name
  };

  FakeHistoryClient(Membership& membership, Executor& executor)
      : HistoryClient(membership, executor, 1), executor_(executor) {}

  void RecordWorkflowTaskStarted(
      const hs::RecordWorkflowTaskStartedRequest& request, client::CallOptions,
      client::Callback<ws::PollWorkflowTaskQueueResponse> done) override {
    auto status = Decide(request.workflow_execution().workflow_id(), request.scheduled_event_id(),
                         request.request_id(), request.poll_request().task_queue().name());
    ws::PollWorkflowTaskQueueResponse response;
    if (status.ok()) {
      response.set_task_token(
          Token(request.workflow_execution().workflow_id(), request.scheduled_event_id()));
      *response.mutable_workflow_execution() = request.workflow_execution();
      response.mutable_workflow_type()->set_name("wf-type");
      response.set_started_event_id(request.scheduled_event_id() + 1);
    }
    executor_.Post([done, status, response] {
      if (!status.ok()) return done(status);
      done(response);
    });
  }

  void RecordActivityTaskStarted(
      const hs::RecordActivityTaskStartedRequest& request, client::CallOptions,
      client::Callback<ws::PollActivityTaskQueueResponse> done) override {
    auto status = Decide(request.workflow_execution().workflow_id(), request.scheduled_event_id(),
                         request.request_id(), request.poll_request().task_queue().name());
    ws::PollActivityTaskQueueResponse response;
    if (status.ok()) {
      response.set_task_token(
          Token(request.workflow_execution().workflow_id(), request.scheduled_event_id()));
      *response.mutable_workflow_execution() = request.workflow_execution();
      response.set_activity_id("act-" + std::to_string(request.scheduled_event_id()));
    }
    executor_.Post([done, status, response] {
      if (!status.ok()) return done(status);
      done(response);
    });
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

  Executor& executor_;
  std::mutex mu_;
  std::set<std::string> stale_;
  std::map<std::string, std::string> started_;
  std::vector<Record> records_;
  int fail_next_ = 0;
};

// Routes forwarded calls back into the engine under test (every partition is local), from
// another thread as a real RPC would.
class LoopbackMatchingClient final : public client::MatchingClient {
 public:
  LoopbackMatchingClient(Membership& membership, Executor& executor)
      : MatchingClient(membership, executor), executor_(executor) {}

  void SetEngine(std::weak_ptr<MatchingEngine> engine) {
    std::lock_guard lock(mu_);
    engine_ = std::move(engine);
  }

  void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, client::CallOptions options,
                       client::Callback<ms::AddWorkflowTaskResponse> done) override {
    ++forwarded_adds;
    executor_.Post([weak = Engine(), request, options, done] {
      auto engine = weak.lock();
      if (!engine) return done(absl::UnavailableError("no engine"));
      engine->AddWorkflowTask(request, options.deadline, done);
    });
  }
  void AddActivityTask(const ms::AddActivityTaskRequest& request, client::CallOptions options,
                       client::Callback<ms::AddActivityTaskResponse> done) override {
    ++forwarded_adds;
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
    executor_.Post([weak = Engine(), request, options, done] {
      auto engine = weak.lock();
      if (!engine) return done(absl::UnavailableError("no engine"));
      engine->PollActivityTaskQueue(request, options.deadline, done);
    });
  }

  std::atomic<int> forwarded_adds{0};
  std::atomic<int> forwarded_polls{0};

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
