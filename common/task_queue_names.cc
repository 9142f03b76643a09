#include "common/task_queue_names.h"

#include <charconv>

namespace tern {
namespace {
constexpr std::string_view kPrefix = "/_sys/";
}

std::string PartitionName(std::string_view base_name, int partition) {
  if (partition == 0) return std::string(base_name);
  std::string out(kPrefix);
  out.append(base_name).append("/").append(std::to_string(partition));
  return out;
}

ParsedPartition ParsePartitionName(std::string_view name) {
  if (name.substr(0, kPrefix.size()) != kPrefix) return {std::string(name), 0};
  std::string_view rest = name.substr(kPrefix.size());
  auto slash = rest.rfind('/');
  if (slash == std::string_view::npos) return {std::string(name), 0};
  int partition = 0;
  auto digits = rest.substr(slash + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || partition <= 0) {
    return {std::string(name), 0};
  }
  return {std::string(rest.substr(0, slash)), partition};
}

std::string PartitionKey(std::string_view namespace_id, std::string_view partition_name,
                         int task_type) {
  std::string out(namespace_id);
  out.append("/").append(partition_name).append("/").append(std::to_string(task_type));
  return out;
}

}  // namespace tern
