// Stable hashing for placement: identical on every host and across releases (unlike
// std::hash/absl::Hash), because shard and partition placement must agree cluster-wide.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern {

uint64_t StableHash64(std::string_view data);

// History shard of a workflow: 1..num_shards. num_shards must be a power of two.
int32_t ShardForWorkflow(std::string_view namespace_id, std::string_view workflow_id,
                         int32_t num_shards);

// A consistent-hash ring: keys map to members so that adding or removing a member moves only
// the keys it gains or loses. Immutable once built; build a new one when membership changes.
class HashRing {
 public:
  explicit HashRing(std::vector<std::string> members, int virtual_nodes = 64);
  // The member owning `key`; empty when the ring has no members.
  const std::string& Lookup(std::string_view key) const;
  const std::vector<std::string>& members() const { return members_; }
  bool empty() const { return members_.empty(); }

 private:
  std::vector<std::string> members_;                 // sorted
  std::vector<std::pair<uint64_t, size_t>> points_;  // sorted by hash
};

}  // namespace tern
