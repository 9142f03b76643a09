// The fake of persistence::ExecutionStore (persistence/store.h). It passes the execution
// store's contract suite (tests/integration/execution_store_contract.h), like PostgreSQL.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "persistence/store.h"
#include "tests/mocks/shard_store.h"

namespace tern::mocks {

namespace hv1 = temporal::api::history::v1;

// Keeps the contracts of store.h in memory (range fencing through the FakeShardStore,
// db_record_version conditions, current-execution modes, whole-batch history reads), with
// helpers to inject write errors and inspect what was written.
class FakeExecutionStore final : public persistence::ExecutionStore {
 public:
  explicit FakeExecutionStore(std::shared_ptr<FakeShardStore> shards)
      : shards_(std::move(shards)) {}

  absl::StatusOr<persistence::CurrentExecution> GetCurrentExecution(
      int32_t shard_id, const std::string& namespace_id, const std::string& workflow_id) override {
    std::lock_guard lock(mu_);
    auto it = data_.current.find({shard_id, namespace_id, workflow_id});
    if (it == data_.current.end()) {
      return absl::NotFoundError("workflow '" + workflow_id + "' has no current run");
    }
    return it->second;
  }

  absl::StatusOr<persistence::ExecutionRecord> GetExecution(int32_t shard_id,
                                                            const std::string& namespace_id,
                                                            const std::string& workflow_id,
                                                            const std::string& run_id) override {
    std::lock_guard lock(mu_);
    auto it = data_.runs.find({shard_id, namespace_id, workflow_id, run_id});
    if (it == data_.runs.end()) {
      return absl::NotFoundError("workflow '" + workflow_id + "' run '" + run_id + "' not found");
    }
    return persistence::ExecutionRecord{it->second.state, it->second.db_record_version};
  }

  absl::Status Write(int32_t shard_id, int64_t range_id,
                     const std::vector<persistence::WorkflowWrite>& writes) override {
    for (const auto& write : writes) {
      if (auto status = Validate(write); !status.ok()) return status;
    }
    std::lock_guard lock(mu_);
    ++write_calls_;
    if (!inject_.empty()) {
      absl::Status injected = inject_.front();
      inject_.erase(inject_.begin());
      return injected;
    }
    if (shards_->RangeId(shard_id) != range_id) {
      return persistence::FencingError("shard " + std::to_string(shard_id) +
                                       " is no longer owned at range_id " +
                                       std::to_string(range_id));
    }
    // One transaction: apply to a copy, keep it only if every part succeeds.
    Data next = data_;
    for (const auto& write : writes) {
      if (auto status = Apply(next, shard_id, write); !status.ok()) return status;
    }
    data_ = std::move(next);
    for (const auto& write : writes) {
      for (const auto& task : write.timer_tasks) timer_log_.push_back(task);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<hv1::HistoryEvent>> ReadHistory(
      int32_t shard_id, const std::string& namespace_id, const std::string& workflow_id,
      const std::string& run_id, int64_t first_event_id, int64_t next_event_id,
      int max_events) override {
    if (max_events <= 0) return absl::InvalidArgumentError("max_events must be positive");
    std::lock_guard lock(mu_);
    std::vector<hv1::HistoryEvent> events;
    auto it = data_.history.find({shard_id, namespace_id, workflow_id, run_id});
    if (it == data_.history.end()) return events;
    int batches = 0;
    for (const auto& [first, batch] : it->second) {
      // Batches overlapping [first_event_id, next_event_id), at most max_events of them, and
      // whole batches until max_events events were collected.
      if (batch.back().event_id() < first_event_id || first >= next_event_id) continue;
      if (batches++ >= max_events || static_cast<int>(events.size()) >= max_events) break;
      for (const auto& event : batch) {
        if (event.event_id() >= first_event_id && event.event_id() < next_event_id) {
          events.push_back(event);
        }
      }
    }
    return events;
  }

  absl::StatusOr<std::vector<pv1::TransferTask>> LoadTransferTasks(int32_t shard_id,
                                                                   int64_t after_task_id,
                                                                   int limit) override {
    if (limit <= 0) return absl::InvalidArgumentError("limit must be positive");
    std::lock_guard lock(mu_);
    std::vector<pv1::TransferTask> tasks;
    for (auto it = data_.transfer.upper_bound({shard_id, after_task_id});
         it != data_.transfer.end() && it->first.first == shard_id &&
         static_cast<int>(tasks.size()) < limit;
         ++it) {
      tasks.push_back(it->second);
    }
    return tasks;
  }

  absl::Status DeleteTransferTasks(int32_t shard_id, const std::vector<int64_t>& ids) override {
    std::lock_guard lock(mu_);
    for (int64_t id : ids) data_.transfer.erase({shard_id, id});
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<pv1::TimerTask>> LoadTimerTasks(int32_t shard_id,
                                                             persistence::TimerKey after,
                                                             int64_t until_micros,
                                                             int limit) override {
    if (limit <= 0) return absl::InvalidArgumentError("limit must be positive");
    std::lock_guard lock(mu_);
    std::vector<pv1::TimerTask> tasks;
    for (const auto& [key, task] : data_.timers) {
      auto timer = persistence::TimerKey::Of(task);
      if (key.first == shard_id && timer > after && timer.fire_micros <= until_micros) {
        tasks.push_back(task);
      }
    }
    std::sort(tasks.begin(), tasks.end(), [](const auto& a, const auto& b) {
      return persistence::TimerKey::Of(a) < persistence::TimerKey::Of(b);
    });
    if (static_cast<int>(tasks.size()) > limit) tasks.resize(limit);
    return tasks;
  }

  absl::Status DeleteTimerTasks(int32_t shard_id, const std::vector<int64_t>& ids) override {
    std::lock_guard lock(mu_);
    for (int64_t id : ids) data_.timers.erase({shard_id, id});
    return absl::OkStatus();
  }

  absl::StatusOr<bool> DeleteClosedExecution(int32_t shard_id, const std::string& namespace_id,
                                             const std::string& workflow_id,
                                             const std::string& run_id) override {
    std::lock_guard lock(mu_);
    RunKey key{shard_id, namespace_id, workflow_id, run_id};
    auto it = data_.runs.find(key);
    if (it == data_.runs.end() || it->second.run_state != persistence::RunState::kCompleted) {
      return false;
    }
    data_.runs.erase(it);
    data_.history.erase(key);
    auto current = data_.current.find({shard_id, namespace_id, workflow_id});
    if (current != data_.current.end() && current->second.run_id == run_id) {
      data_.current.erase(current);
    }
    return true;
  }

  absl::StatusOr<int> DeleteNamespaceExecutions(int32_t shard_id, const std::string& namespace_id,
                                                int limit) override {
    std::lock_guard lock(mu_);
    int deleted = 0;
    for (auto it = data_.runs.begin(); it != data_.runs.end() && deleted < limit;) {
      const auto& [shard, ns, workflow_id, run_id] = it->first;
      if (shard != shard_id || ns != namespace_id) {
        ++it;
        continue;
      }
      data_.history.erase(it->first);
      data_.current.erase({shard, ns, workflow_id});
      it = data_.runs.erase(it);
      ++deleted;
    }
    return deleted;
  }

  // ---- test helpers ----
  // The next Write calls fail with these statuses, in order, before touching anything.
  void InjectWriteErrors(std::vector<absl::Status> errors) {
    std::lock_guard lock(mu_);
    inject_ = std::move(errors);
  }
  // Another writer updated the run: its db_record_version moves on, the state stays.
  void BumpVersion(int32_t shard_id, const std::string& namespace_id,
                   const std::string& workflow_id, const std::string& run_id) {
    std::lock_guard lock(mu_);
    data_.runs.at({shard_id, namespace_id, workflow_id, run_id}).db_record_version += 1;
  }
  // Every timer task ever written, in write order (deletions do not remove them).
  std::vector<pv1::TimerTask> TimerTasksWritten() const {
    std::lock_guard lock(mu_);
    return timer_log_;
  }
  // The persisted history of a run, straight from the "database".
  std::vector<hv1::HistoryEvent> StoredHistory(const std::string& namespace_id,
                                               const std::string& workflow_id,
                                               const std::string& run_id) const {
    std::lock_guard lock(mu_);
    std::vector<hv1::HistoryEvent> events;
    for (const auto& [key, batches] : data_.history) {
      if (std::get<1>(key) != namespace_id || std::get<2>(key) != workflow_id ||
          std::get<3>(key) != run_id) {
        continue;
      }
      for (const auto& [first, batch] : batches) {
        events.insert(events.end(), batch.begin(), batch.end());
      }
    }
    return events;
  }
  int write_calls() const {
    std::lock_guard lock(mu_);
    return write_calls_;
  }

 private:
  using CurrentKey = std::tuple<int32_t, std::string, std::string>;
  using RunKey = std::tuple<int32_t, std::string, std::string, std::string>;
  struct Run {
    pv1::MutableState state;
    int64_t db_record_version = 0;
    persistence::RunState run_state = persistence::RunState::kRunning;
  };
  struct Data {
    std::map<CurrentKey, persistence::CurrentExecution> current;
    std::map<RunKey, Run> runs;
    std::map<RunKey, std::map<int64_t, std::vector<hv1::HistoryEvent>>> history;  // by first id
    std::map<std::pair<int32_t, int64_t>, pv1::TransferTask> transfer;
    std::map<std::pair<int32_t, int64_t>, pv1::TimerTask> timers;
  };

  static absl::Status Validate(const persistence::WorkflowWrite& write) {
    const auto& s = write.state;
    if (s.namespace_id().empty() || s.workflow_id().empty() || s.run_id().empty()) {
      return absl::InvalidArgumentError("workflow write needs namespace, workflow and run ids");
    }
    if (write.expected_db_record_version < 0) {
      return absl::InvalidArgumentError("expected_db_record_version must not be negative");
    }
    if (write.current_mode == persistence::CurrentMode::kReplace && write.previous_run_id.empty()) {
      return absl::InvalidArgumentError("CurrentMode::kReplace needs previous_run_id");
    }
    for (size_t i = 1; i < write.new_events.size(); ++i) {
      if (write.new_events[i].event_id() != write.new_events[i - 1].event_id() + 1) {
        return absl::InvalidArgumentError("history batch is not contiguous: event " +
                                          std::to_string(write.new_events[i - 1].event_id()) +
                                          " is followed by " +
                                          std::to_string(write.new_events[i].event_id()));
      }
    }
    if (!write.new_events.empty() && write.new_events.front().event_id() < 1) {
      return absl::InvalidArgumentError("history event ids start at 1");
    }
    return absl::OkStatus();
  }

  static absl::Status Apply(Data& data, int32_t shard_id, const persistence::WorkflowWrite& write) {
    const auto& s = write.state;
    RunKey run_key{shard_id, s.namespace_id(), s.workflow_id(), s.run_id()};
    CurrentKey current_key{shard_id, s.namespace_id(), s.workflow_id()};

    if (write.expected_db_record_version == 0) {
      if (data.runs.count(run_key)) {
        return persistence::ConditionFailedError("run " + s.run_id() + " already exists");
      }
      data.runs[run_key] = Run{s, 1, write.run_state};
    } else {
      auto it = data.runs.find(run_key);
      if (it == data.runs.end() ||
          it->second.db_record_version != write.expected_db_record_version) {
        return persistence::ConditionFailedError("run " + s.run_id() +
                                                 " is missing or no longer at db_record_version " +
                                                 std::to_string(write.expected_db_record_version));
      }
      it->second = Run{s, write.expected_db_record_version + 1, write.run_state};
    }

    persistence::CurrentExecution row{s.run_id(), s.create_request_id(), write.run_state,
                                      static_cast<int32_t>(s.status())};
    switch (write.current_mode) {
      case persistence::CurrentMode::kNone:
        break;
      case persistence::CurrentMode::kCreate: {
        auto it = data.current.find(current_key);
        if (it != data.current.end()) {
          const persistence::CurrentExecution& existing = it->second;
          return persistence::CurrentExecutionExistsError(
              "workflow '" + s.workflow_id() + "' already has a current run: run_id '" +
                  existing.run_id + "', create_request_id '" + existing.create_request_id + "'",
              existing);
        }
        data.current[current_key] = row;
        break;
      }
      case persistence::CurrentMode::kReplace: {
        auto it = data.current.find(current_key);
        if (it == data.current.end() || it->second.run_id != write.previous_run_id) {
          return persistence::ConditionFailedError("current run is no longer '" +
                                                   write.previous_run_id + "'");
        }
        it->second = row;
        break;
      }
      case persistence::CurrentMode::kUpdateState: {
        auto it = data.current.find(current_key);
        if (it == data.current.end() || it->second.run_id != s.run_id()) {
          return persistence::ConditionFailedError("current run is not '" + s.run_id() + "'");
        }
        it->second.state = write.run_state;
        it->second.status = static_cast<int32_t>(s.status());
        break;
      }
    }

    if (!write.new_events.empty()) {
      auto& batches = data.history[run_key];
      int64_t first = write.new_events.front().event_id();
      if (batches.count(first)) {
        return persistence::ConditionFailedError("history already has a batch starting at event " +
                                                 std::to_string(first));
      }
      // The contract: a batch continues the run's history without gaps.
      int64_t expected = batches.empty() ? 1 : batches.rbegin()->second.back().event_id() + 1;
      if (first != expected) {
        return absl::InvalidArgumentError("history batch starts at event " + std::to_string(first) +
                                          ", expected " + std::to_string(expected));
      }
      batches[first] = write.new_events;
    }

    for (const auto& task : write.transfer_tasks) {
      if (!data.transfer.emplace(std::make_pair(shard_id, task.task_id()), task).second) {
        return absl::InternalError("duplicate transfer task id " + std::to_string(task.task_id()));
      }
    }
    for (const auto& task : write.timer_tasks) {
      if (!data.timers.emplace(std::make_pair(shard_id, task.task_id()), task).second) {
        return absl::InternalError("duplicate timer task id " + std::to_string(task.task_id()));
      }
    }
    return absl::OkStatus();
  }

  std::shared_ptr<FakeShardStore> shards_;
  mutable std::mutex mu_;
  Data data_;
  std::vector<absl::Status> inject_;
  std::vector<pv1::TimerTask> timer_log_;
  int write_calls_ = 0;
};

}  // namespace tern::mocks
