#include "common/hashing.h"

#include <algorithm>
#include <cassert>

namespace tern {
namespace {
// Final mixer of splitmix64: spreads FNV's weak low bits over the whole word.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
const std::string kNoMember;
}  // namespace

uint64_t StableHash64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix(h);
}

int32_t ShardForWorkflow(std::string_view namespace_id, std::string_view workflow_id,
                         int32_t num_shards) {
  assert(num_shards > 0 && (num_shards & (num_shards - 1)) == 0);
  std::string key;
  key.reserve(namespace_id.size() + workflow_id.size() + 1);
  key.append(namespace_id).push_back('_');
  key.append(workflow_id);
  return static_cast<int32_t>(StableHash64(key) & static_cast<uint64_t>(num_shards - 1)) + 1;
}

HashRing::HashRing(std::vector<std::string> members, int virtual_nodes)
    : members_(std::move(members)) {
  std::sort(members_.begin(), members_.end());
  members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
  points_.reserve(members_.size() * virtual_nodes);
  for (size_t i = 0; i < members_.size(); ++i) {
    for (int v = 0; v < virtual_nodes; ++v) {
      points_.emplace_back(StableHash64(members_[i] + "#" + std::to_string(v)), i);
    }
  }
  std::sort(points_.begin(), points_.end());
}

const std::string& HashRing::Lookup(std::string_view key) const {
  if (points_.empty()) return kNoMember;
  uint64_t h = StableHash64(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, size_t{0}));
  if (it == points_.end()) it = points_.begin();
  return members_[it->second];
}

}  // namespace tern
