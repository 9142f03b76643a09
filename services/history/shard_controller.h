// Decides which history shards this host owns (consistent-hash ring over live history hosts),
// acquires them (bumping range_id, which fences out any previous owner) and releases the ones
// the ring moves away. GetShard() answers ShardOwnershipLost for shards owned elsewhere, which
// the history client turns into a ring refresh and a retry.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "membership/membership.h"
#include "services/history/shard.h"

namespace tern::history {

class ShardController {
 public:
  // Besides ring changes and lost shards, the shards are checked every `rebalance_interval`.
  ShardController(int32_t num_shards, std::string self_address, persistence::Stores stores,
                  Membership& membership, Executor& blocking, const Clock& clock,
                  std::chrono::milliseconds rebalance_interval = std::chrono::seconds(5));

  // Executors for the queues of every shard acquired from now on.
  void SetTaskExecutors(Shard::TransferExecutor transfer, Shard::TimerExecutor timer,
                        TaskObserver observer = {});
  // Acquires the shards the ring gives this host (blocking), then follows ring changes.
  void Start();
  void Stop();

  absl::StatusOr<std::shared_ptr<Shard>> GetShard(int32_t shard_id);
  int32_t num_shards() const { return num_shards_; }
  std::vector<int32_t> OwnedShards();
  // Whether this host holds the shard now (acquired and not stopped); no side effects.
  bool Holds(int32_t shard_id);

 private:
  void Rebalance();
  void ScheduleRebalance(std::chrono::milliseconds delay);
  // A shard of ours was taken by another host: rebalance at once, on a membership view read
  // after the loss, so the shard comes back if the ring says it is ours (the other host acted
  // on a stale view) and stays away if not.
  void ShardLost(int32_t shard_id);

  const int32_t num_shards_;
  const std::string self_address_;
  persistence::Stores stores_;
  Membership& membership_;
  Executor& blocking_;
  const Clock& clock_;
  const std::chrono::milliseconds rebalance_interval_;
  Shard::TransferExecutor transfer_executor_;
  Shard::TimerExecutor timer_executor_;
  TaskObserver task_observer_;

  std::mutex rebalance_mu_;  // one rebalance at a time
  std::mutex mu_;
  bool stopped_ = false;
  bool recovery_pending_ = false;  // a ShardLost rebalance is on its way
  std::map<int32_t, std::shared_ptr<Shard>> active_;
  std::vector<std::shared_ptr<Shard>> retired_;  // kept alive for late callbacks
  std::shared_ptr<Executor::Timer> periodic_;
};

}  // namespace tern::history
