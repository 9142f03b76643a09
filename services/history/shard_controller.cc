#include "services/history/shard_controller.h"

#include "common/errors.h"
#include "common/logging.h"
#include "common/metrics.h"

namespace tern::history {
ShardController::ShardController(int32_t num_shards, std::string self_address,
                                 persistence::Stores stores, Membership& membership,
                                 Executor& blocking, const Clock& clock,
                                 std::chrono::milliseconds rebalance_interval)
    : num_shards_(num_shards),
      self_address_(std::move(self_address)),
      stores_(std::move(stores)),
      membership_(membership),
      blocking_(blocking),
      clock_(clock),
      rebalance_interval_(rebalance_interval) {}

void ShardController::SetTaskExecutors(Shard::TransferExecutor transfer, Shard::TimerExecutor timer,
                                       TaskObserver observer) {
  transfer_executor_ = std::move(transfer);
  timer_executor_ = std::move(timer);
  task_observer_ = std::move(observer);
}

void ShardController::Start() {
  Rebalance();
  membership_.Subscribe(Membership::Role::kHistory, [this](std::shared_ptr<const HashRing>) {
    blocking_.Post([this] { Rebalance(); });
  });
  ScheduleRebalance(rebalance_interval_);
}

void ShardController::ScheduleRebalance(std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  periodic_ = blocking_.PostAfter(delay, [this] {
    Rebalance();
    ScheduleRebalance(rebalance_interval_);
  });
}

void ShardController::Stop() {
  std::map<int32_t, std::shared_ptr<Shard>> active;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    if (periodic_) periodic_->Cancel();
    active.swap(active_);
  }
  for (auto& [id, shard] : active) {
    shard->Stop();
    metrics::kShardClosedCount.With().Increment();
    metrics::kShardItemRemovedCount.With().Increment();
  }
  metrics::kNumShards.With().Set(0);
  std::lock_guard lock(mu_);
  for (auto& [id, shard] : active) retired_.push_back(shard);
}

void ShardController::Rebalance() {
  std::lock_guard rebalance(rebalance_mu_);
  auto ring = membership_.Ring(Membership::Role::kHistory);
  for (int32_t shard_id = 1; shard_id <= num_shards_; ++shard_id) {
    bool mine = ring->Lookup(std::to_string(shard_id)) == self_address_;
    std::shared_ptr<Shard> current;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      auto it = active_.find(shard_id);
      if (it != active_.end()) current = it->second;
      if (current && (current->stopped() || !mine)) {
        active_.erase(it);
        retired_.push_back(current);
      }
    }
    if (current && (current->stopped() || !mine)) {
      current->Stop();
      Log(spdlog::level::info, {.shard_id = shard_id}, "history: released shard {}", shard_id);
      metrics::kShardClosedCount.With().Increment();
      metrics::kShardItemRemovedCount.With().Increment();
      current.reset();
    }
    if (!mine || current) continue;
    TimePoint acquire_start = clock_.Now();
    auto lease = stores_.shards->AcquireShard(shard_id, self_address_);
    metrics::kAcquireShardsLatency.With().Observe(
        std::chrono::duration<double>(clock_.Now() - acquire_start).count());
    if (!lease.ok()) {
      Log(spdlog::level::warn, {.shard_id = shard_id, .error = lease.status().ToString()},
          "history: could not acquire shard {}", shard_id);
      continue;
    }
    auto shard = std::make_shared<Shard>(shard_id, *lease, stores_, blocking_, clock_,
                                         transfer_executor_, timer_executor_, task_observer_);
    shard->OnOwnershipLost([this, shard_id] { ShardLost(shard_id); });
    if (auto st = shard->Start(); !st.ok()) {
      Log(spdlog::level::warn, {.shard_id = shard_id, .error = st.ToString()},
          "history: could not load the tasks of shard {}", shard_id);
      shard->Stop();
      std::lock_guard lock(mu_);
      retired_.push_back(shard);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      active_[shard_id] = shard;
    }
    metrics::kShardItemCreatedCount.With().Increment();
  }
  std::lock_guard lock(mu_);
  metrics::kNumShards.With().Set(static_cast<double>(active_.size()));
}

void ShardController::ShardLost(int32_t shard_id) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || recovery_pending_) return;
    recovery_pending_ = true;
  }
  Log(spdlog::level::info, {.shard_id = shard_id},
      "history: shard {} was taken by another host; rebalancing on a fresh membership view",
      shard_id);
  membership_.RefreshThen([this] {
    blocking_.Post([this] {
      {
        std::lock_guard lock(mu_);
        recovery_pending_ = false;
      }
      Rebalance();
    });
  });
}

absl::StatusOr<std::shared_ptr<Shard>> ShardController::GetShard(int32_t shard_id) {
  {
    std::lock_guard lock(mu_);
    auto it = active_.find(shard_id);
    if (it != active_.end() && !it->second->stopped()) return it->second;
  }
  membership_.RequestRefresh();
  const std::string& owner =
      membership_.Ring(Membership::Role::kHistory)->Lookup(std::to_string(shard_id));
  return ShardOwnershipLostError(shard_id, owner);
}

bool ShardController::Holds(int32_t shard_id) {
  std::lock_guard lock(mu_);
  auto it = active_.find(shard_id);
  return it != active_.end() && !it->second->stopped();
}

std::vector<int32_t> ShardController::OwnedShards() {
  std::lock_guard lock(mu_);
  std::vector<int32_t> ids;
  for (const auto& [id, shard] : active_) ids.push_back(id);
  return ids;
}

}  // namespace tern::history
