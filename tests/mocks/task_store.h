// The fake of persistence::TaskStore (persistence/store.h).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "persistence/store.h"

namespace tern::mocks {

namespace pv1 = tern::persistence::v1;

// Task queues in memory: LeaseTaskQueue bumps range_id, writes fence on it, and CreateTasks
// checks (as test expectations) that ids lie in the lease's block and are new.
class FakeTaskStore final : public persistence::TaskStore {
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
    if (fail_deletes_ > 0) {
      --fail_deletes_;
      return absl::UnavailableError("injected failure");
    }
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
    std::erase_if(queues_,
                  [&](const auto& entry) { return std::get<0>(entry.first) == namespace_id; });
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
  void FailNextDeletes(int n) {
    std::lock_guard lock(mu_);
    fail_deletes_ = n;
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
  int fail_deletes_ = 0;
  int leases_ = 0;
};

}  // namespace tern::mocks
