// The fake of persistence::ShardStore (persistence/store.h).
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "persistence/store.h"

namespace tern::mocks {

namespace pv1 = tern::persistence::v1;

// Shard rows in memory: AcquireShard bumps range_id, RenewRange and UpdateShardInfo fence.
class FakeShardStore final : public persistence::ShardStore {
 public:
  absl::StatusOr<persistence::ShardLease> AcquireShard(int32_t shard_id,
                                                       const std::string& owner_host) override {
    std::lock_guard lock(mu_);
    auto& row = rows_[shard_id];
    row.info.set_shard_id(shard_id);
    row.info.set_owner_host(owner_host);
    row.range_id += 1;
    return persistence::ShardLease{row.range_id, row.info};
  }

  absl::StatusOr<int64_t> RenewRange(int32_t shard_id, int64_t expected_range_id) override {
    std::lock_guard lock(mu_);
    auto it = rows_.find(shard_id);
    if (it == rows_.end() || it->second.range_id != expected_range_id) {
      return persistence::FencingError("shard " + std::to_string(shard_id) + " moved");
    }
    return ++it->second.range_id;
  }

  absl::Status UpdateShardInfo(int32_t shard_id, int64_t range_id,
                               const pv1::ShardInfo& info) override {
    std::lock_guard lock(mu_);
    auto it = rows_.find(shard_id);
    if (it == rows_.end() || it->second.range_id != range_id) {
      return persistence::FencingError("shard " + std::to_string(shard_id) + " moved");
    }
    it->second.info = info;
    return absl::OkStatus();
  }

  // The shard's current range_id; 0 if it was never acquired.
  int64_t RangeId(int32_t shard_id) const {
    std::lock_guard lock(mu_);
    auto it = rows_.find(shard_id);
    return it == rows_.end() ? 0 : it->second.range_id;
  }
  std::string Owner(int32_t shard_id) const {
    std::lock_guard lock(mu_);
    auto it = rows_.find(shard_id);
    return it == rows_.end() ? "" : it->second.info.owner_host();
  }
  // Another host acquires the shard: the current owner is fenced out.
  void Steal(int32_t shard_id, const std::string& new_owner) {
    std::lock_guard lock(mu_);
    auto& row = rows_[shard_id];
    row.range_id += 1;
    row.info.set_owner_host(new_owner);
  }

 private:
  struct Row {
    int64_t range_id = 0;
    pv1::ShardInfo info;
  };
  mutable std::mutex mu_;
  std::map<int32_t, Row> rows_;
};

}  // namespace tern::mocks
