#include "services/history/shard.h"

#include "common/errors.h"
#include "common/logging.h"
#include "common/metrics.h"

namespace tern::history {
namespace {
constexpr int kRangeBits = 20;
constexpr int64_t kRangeSize = int64_t{1} << kRangeBits;
constexpr size_t kMaxCachedContexts = 4096;
constexpr int kRecoveryPageSize = 1000;
}  // namespace

Shard::Shard(int32_t shard_id, persistence::ShardLease lease, persistence::Stores stores,
             Executor& blocking, const Clock& clock, TransferExecutor transfer, TimerExecutor timer,
             TaskObserver observer)
    : shard_id_(shard_id),
      stores_(std::move(stores)),
      blocking_(blocking),
      range_id_(lease.range_id),
      transfer_queue_(
          shard_id, blocking,
          [this, transfer = std::move(transfer)](TransferQueue::TaskRef task,
                                                 TransferQueue::Done done) {
            transfer(*this, std::move(task), std::move(done));
          },
          [this](const std::vector<int64_t>& ids) {
            return stores_.executions->DeleteTransferTasks(shard_id_, ids);
          },
          observer),
      timer_queue_(
          shard_id, blocking, clock,
          [this, timer = std::move(timer)](const pv1::TimerTask& task) {
            return timer(*this, task);
          },
          [this](persistence::TimerKey after, int64_t until_micros, int limit) {
            return stores_.executions->LoadTimerTasks(shard_id_, after, until_micros, limit);
          },
          [this](const std::vector<int64_t>& ids) {
            return stores_.executions->DeleteTimerTasks(shard_id_, ids);
          },
          std::move(observer)),
      group_commit_([this](const std::vector<WriteBatch*>& group) { return CommitGroup(group); }) {}

Shard::~Shard() { Stop(); }

absl::Status Shard::Start() {
  int64_t after = 0;
  while (true) {
    auto tasks = stores_.executions->LoadTransferTasks(shard_id_, after, kRecoveryPageSize);
    if (!tasks.ok()) return tasks.status();
    if (tasks->empty()) break;
    after = tasks->back().task_id();
    transfer_queue_.Add(*tasks);
    if (static_cast<int>(tasks->size()) < kRecoveryPageSize) break;
  }
  timer_queue_.Start();  // reads the timers due soon in the background, then as they come due
  Log(spdlog::level::info, {.shard_id = shard_id_}, "history: shard {} acquired (range_id {})",
      shard_id_, range_id_);
  return absl::OkStatus();
}

void Shard::Stop() {
  if (stopped_.exchange(true)) return;
  transfer_queue_.Stop();
  timer_queue_.Stop();
  // Wake every long poll: it sees the shard stopped and answers at once, so a shutdown or a
  // shard move does not wait for long polls to expire.
  std::vector<std::function<void(ExecutionChange)>> fns;
  {
    std::lock_guard lock(watch_mu_);  // stopped_ is set: no new watcher registers after this
    for (auto& [key, by_id] : watchers_) {
      for (auto& [id, fn] : by_id) fns.push_back(std::move(fn));
    }
    watchers_.clear();
  }
  for (auto& fn : fns) fn(ExecutionChange{.shard_stopped = true});
}

int64_t Shard::NextTaskId() {
  while (true) {
    {
      std::shared_lock lock(range_mu_);
      int64_t seq = next_task_seq_.fetch_add(1);
      if (seq < kRangeSize) return (range_id_ << kRangeBits) + seq;
    }
    std::unique_lock lock(range_mu_);
    if (next_task_seq_.load() < kRangeSize) continue;  // another thread renewed it
    auto renewed = stores_.shards->RenewRange(shard_id_, range_id_);
    if (!renewed.ok()) {
      // Writes will fail the range check and stop the shard; ids stay unique meanwhile.
      Log(spdlog::level::err, {.shard_id = shard_id_, .error = renewed.status().ToString()},
          "history: shard {} could not renew its range", shard_id_);
      stopped_ = true;
      ReportLost();
      return (range_id_ << kRangeBits) + next_task_seq_.fetch_add(1);
    }
    range_id_ = *renewed;
    next_task_seq_ = 0;
  }
}

void Shard::ReportLost() {
  if (on_lost_ && !lost_reported_.exchange(true)) on_lost_();
}

std::shared_ptr<ExecutionContext> Shard::Context(const ExecutionKey& key) {
  std::lock_guard lock(contexts_mu_);
  auto& slot = contexts_[key];
  if (!slot) {
    if (contexts_.size() > kMaxCachedContexts) {
      // Evict entries nobody is using; their state reloads from the database on next use.
      for (auto it = contexts_.begin(); it != contexts_.end();) {
        bool idle = it->second && it->second.use_count() == 1;
        // Admitted updates live only here: keep their run in memory.
        if (idle && it->second->mu.try_lock()) {
          idle = it->second->updates.empty();
          it->second->mu.unlock();
        } else {
          idle = false;
        }
        if (idle) {
          it = contexts_.erase(it);
        } else {
          ++it;
        }
      }
    }
    slot = std::make_shared<ExecutionContext>();
  }
  return slot;
}

absl::StatusOr<std::vector<temporal::api::history::v1::HistoryEvent>> Shard::ReadEvents(
    const ExecutionKey& key, int64_t first, int64_t next, int max_events) {
  {
    auto context = Context(key);
    std::lock_guard lock(context->mu);
    if (auto cached = context->tail.Range(first, next)) return *std::move(cached);
  }
  return stores_.executions->ReadHistory(shard_id_, key.namespace_id, key.workflow_id, key.run_id,
                                         first, next, max_events);
}

size_t Shard::QueuedWriters() { return group_commit_.Queued(); }

std::vector<absl::Status> Shard::CommitGroup(const std::vector<WriteBatch*>& group) {
  std::shared_lock range_lock(range_mu_);
  auto write = [&](const WriteBatch& writes) {
    return stores_.executions->Write(shard_id_, range_id_, writes);
  };
  if (group.size() == 1) return {write(*group[0])};
  WriteBatch all;
  for (WriteBatch* member : group) {
    for (auto& w : *member) all.push_back(std::move(w));
  }
  absl::Status status = write(all);
  auto it = all.begin();
  for (WriteBatch* member : group) {
    for (auto& w : *member) w = std::move(*it++);
  }
  if (status.ok() || persistence::IsFencingError(status)) return {status};
  // One member's conflict (or a transient error) rolled back everyone's writes: each on its own.
  std::vector<absl::Status> outcomes;
  for (WriteBatch* member : group) outcomes.push_back(write(*member));
  return outcomes;
}

absl::Status Shard::Persist(std::vector<persistence::WorkflowWrite>& writes) {
  if (stopped_) return ShardOwnershipLostError(shard_id_, "");
  absl::Status status = group_commit_.Submit(writes);
  if (persistence::IsFencingError(status)) {
    Log(spdlog::level::warn, {.shard_id = shard_id_, .error = status.ToString()},
        "history: shard {} lost ownership", shard_id_);
    Stop();
    ReportLost();
    return ShardOwnershipLostError(shard_id_, "");
  }
  if (!status.ok()) {
    if (!persistence::IsConditionFailed(status) && !absl::IsInvalidArgument(status)) {
      // The writes may have committed though the answer was lost (the database went away
      // mid-call); their task rows would then wait for the next owner of the shard. Queue them
      // now: every executor checks the run's state first, so a task of a write that did not
      // commit does nothing.
      for (const auto& w : writes) QueueTasks(w);
    }
    return status;
  }
  for (const auto& w : writes) {
    QueueTasks(w);
    if (w.visibility) metrics::kVisibilityLag.With().Observe(0);  // written with the state
    Notify({w.state.namespace_id(), w.state.workflow_id(), w.state.run_id()},
           {w.state.next_event_id(),
            w.state.status() != temporal::api::enums::v1::WORKFLOW_EXECUTION_STATUS_RUNNING});
  }
  return absl::OkStatus();
}

void Shard::QueueTasks(const persistence::WorkflowWrite& write) {
  if (!write.transfer_tasks.empty()) transfer_queue_.Add(write.transfer_tasks);
  if (!write.timer_tasks.empty()) timer_queue_.Add(write.timer_tasks);
}

int64_t Shard::Watch(const ExecutionKey& key, std::function<void(ExecutionChange)> fn) {
  {
    std::lock_guard lock(watch_mu_);
    if (!stopped_) {
      int64_t id = next_watch_id_++;
      watchers_[key][id] = std::move(fn);
      return id;
    }
  }
  // Stopped already: wake the watcher at once, as Stop() does for the others.
  fn(ExecutionChange{.shard_stopped = true});
  return 0;
}

void Shard::Unwatch(const ExecutionKey& key, int64_t watch_id) {
  std::lock_guard lock(watch_mu_);
  auto it = watchers_.find(key);
  if (it == watchers_.end()) return;
  it->second.erase(watch_id);
  if (it->second.empty()) watchers_.erase(it);
}

void Shard::Notify(const ExecutionKey& key, ExecutionChange change) {
  std::vector<std::function<void(ExecutionChange)>> fns;
  {
    std::lock_guard lock(watch_mu_);
    auto it = watchers_.find(key);
    if (it == watchers_.end()) return;
    for (auto& [id, fn] : it->second) fns.push_back(fn);
  }
  for (auto& fn : fns) fn(change);
}

}  // namespace tern::history
