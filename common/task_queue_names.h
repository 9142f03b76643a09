// Task-queue partition names. Partition 0 (the root) uses the queue's own name; partition n > 0
// is "/_sys/<name>/<n>", as in Temporal, so a partition name alone identifies queue and index.
#pragma once

#include <string>
#include <string_view>

namespace tern {

std::string PartitionName(std::string_view base_name, int partition);

struct ParsedPartition {
  std::string base_name;
  int partition = 0;
};
ParsedPartition ParsePartitionName(std::string_view name);

// Placement key of a partition on the matching ring.
std::string PartitionKey(std::string_view namespace_id, std::string_view partition_name,
                         int task_type);

}  // namespace tern
