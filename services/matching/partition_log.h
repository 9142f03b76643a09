// Internal to tern::matching: writes the log lines of one task-queue partition with its
// namespace (the name once the process's namespace cache knows it, the id until then) and
// task_queue (the partition's name) as fields (common/logging.h). Messages say which task type.
// Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "common/logging.h"
#include "persistence/store.h"
#include "temporal/api/enums/v1/task_queue.pb.h"

namespace tern::matching {

class PartitionLog {
 public:
  using NamespaceName = std::function<std::string(const std::string& namespace_id)>;

  PartitionLog(NamespaceName namespace_name, const persistence::TaskQueueKey& key)
      : namespace_name_(std::move(namespace_name)),
        namespace_id_(key.namespace_id),
        task_queue_(key.name),
        task_type_(key.task_type == temporal::api::enums::v1::TASK_QUEUE_TYPE_ACTIVITY
                       ? "activity"
                       : "workflow") {}

  // "workflow" or "activity", for messages.
  const char* task_type() const { return task_type_; }

  // One line; a failed `error` becomes the error field (OK: none). The status is turned into
  // text only when the line is written.
  template <typename... Args>
  void operator()(spdlog::level::level_enum level, const absl::Status& error,
                  spdlog::format_string_t<Args...> format, Args&&... args) const {
    if (!spdlog::should_log(level)) return;
    std::string ns = Namespace();
    std::string error_text = error.ok() ? "" : error.ToString();
    Log(level, {.namespace_name = ns, .task_queue = task_queue_, .error = error_text}, format,
        std::forward<Args>(args)...);
  }

 private:
  std::string Namespace() const {
    std::lock_guard lock(mu_);
    if (resolved_.empty() && namespace_name_) resolved_ = namespace_name_(namespace_id_);
    return resolved_.empty() ? namespace_id_ : resolved_;
  }

  const NamespaceName namespace_name_;
  const std::string namespace_id_;
  const std::string task_queue_;
  const char* const task_type_;
  mutable std::mutex mu_;
  mutable std::string resolved_;
};

}  // namespace tern::matching
