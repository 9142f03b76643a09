// One decorator per store interface, templated over a policy (policies.h: metrics, retry): every
// method runs the wrapped store's method through `policy(operation name, call)`. A decorated
// store keeps the interface's contract (store.h, visibility_store.h); only the policy adds
// behaviour. Built by DecorateStores (persistence/factory.h).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "persistence/batch_operation_store.h"
#include "persistence/schedule_store.h"
#include "persistence/store.h"
#include "persistence/visibility_store.h"

namespace tern::persistence {

// The wrapped store and the policy, shared by every decorator.
template <typename Interface, typename Policy>
class Decorator : public Interface {
 public:
  Decorator(std::shared_ptr<Interface> inner, Policy policy)
      : inner_(std::move(inner)), policy_(std::move(policy)) {}

 protected:
  std::shared_ptr<Interface> inner_;
  Policy policy_;
};

template <typename Policy>
class DecoratedNamespaceStore final : public Decorator<NamespaceStore, Policy> {
  using Decorator<NamespaceStore, Policy>::inner_;
  using Decorator<NamespaceStore, Policy>::policy_;

 public:
  using Decorator<NamespaceStore, Policy>::Decorator;
  absl::Status CreateNamespace(const v1::NamespaceRecord& record) override {
    return policy_("CreateNamespace", [&] { return inner_->CreateNamespace(record); });
  }
  absl::StatusOr<v1::NamespaceRecord> GetNamespaceByName(const std::string& name) override {
    return policy_("GetNamespaceByName", [&] { return inner_->GetNamespaceByName(name); });
  }
  absl::StatusOr<v1::NamespaceRecord> GetNamespaceById(const std::string& id) override {
    return policy_("GetNamespaceById", [&] { return inner_->GetNamespaceById(id); });
  }
  absl::Status UpdateNamespace(const v1::NamespaceRecord& record) override {
    return policy_("UpdateNamespace", [&] { return inner_->UpdateNamespace(record); });
  }
  absl::StatusOr<NamespaceStore::Page> ListNamespaces(int page_size,
                                                      const std::string& page_token) override {
    return policy_("ListNamespaces", [&] { return inner_->ListNamespaces(page_size, page_token); });
  }
  absl::Status DeleteNamespace(const std::string& id) override {
    return policy_("DeleteNamespace", [&] { return inner_->DeleteNamespace(id); });
  }
};

template <typename Policy>
class DecoratedClusterMetadataStore final : public Decorator<ClusterMetadataStore, Policy> {
  using Decorator<ClusterMetadataStore, Policy>::inner_;
  using Decorator<ClusterMetadataStore, Policy>::policy_;

 public:
  using Decorator<ClusterMetadataStore, Policy>::Decorator;
  absl::StatusOr<ClusterMetadata> InitClusterMetadata(const ClusterMetadata& proposed) override {
    return policy_("InitClusterMetadata", [&] { return inner_->InitClusterMetadata(proposed); });
  }
};

template <typename Policy>
class DecoratedMembershipStore final : public Decorator<MembershipStore, Policy> {
  using Decorator<MembershipStore, Policy>::inner_;
  using Decorator<MembershipStore, Policy>::policy_;

 public:
  using Decorator<MembershipStore, Policy>::Decorator;
  absl::Status Heartbeat(const Member& member) override {
    return policy_("Heartbeat", [&] { return inner_->Heartbeat(member); });
  }
  absl::StatusOr<std::vector<Member>> ListLiveMembers(Role role,
                                                      std::chrono::milliseconds max_age) override {
    return policy_("ListLiveMembers", [&] { return inner_->ListLiveMembers(role, max_age); });
  }
  absl::Status RemoveMember(Role role, const std::string& host_id) override {
    return policy_("RemoveMember", [&] { return inner_->RemoveMember(role, host_id); });
  }
};

template <typename Policy>
class DecoratedShardStore final : public Decorator<ShardStore, Policy> {
  using Decorator<ShardStore, Policy>::inner_;
  using Decorator<ShardStore, Policy>::policy_;

 public:
  using Decorator<ShardStore, Policy>::Decorator;
  absl::StatusOr<ShardLease> AcquireShard(int32_t shard_id,
                                          const std::string& owner_host) override {
    return policy_("AcquireShard", [&] { return inner_->AcquireShard(shard_id, owner_host); });
  }
  absl::StatusOr<int64_t> RenewRange(int32_t shard_id, int64_t expected_range_id) override {
    return policy_("RenewRange", [&] { return inner_->RenewRange(shard_id, expected_range_id); });
  }
  absl::Status UpdateShardInfo(int32_t shard_id, int64_t range_id,
                               const v1::ShardInfo& info) override {
    return policy_("UpdateShardInfo",
                   [&] { return inner_->UpdateShardInfo(shard_id, range_id, info); });
  }
};

template <typename Policy>
class DecoratedExecutionStore final : public Decorator<ExecutionStore, Policy> {
  using Decorator<ExecutionStore, Policy>::inner_;
  using Decorator<ExecutionStore, Policy>::policy_;
  using Events = std::vector<temporal::api::history::v1::HistoryEvent>;

 public:
  using Decorator<ExecutionStore, Policy>::Decorator;
  absl::StatusOr<CurrentExecution> GetCurrentExecution(int32_t shard_id,
                                                       const std::string& namespace_id,
                                                       const std::string& workflow_id) override {
    return policy_("GetCurrentExecution", [&] {
      return inner_->GetCurrentExecution(shard_id, namespace_id, workflow_id);
    });
  }
  absl::StatusOr<ExecutionRecord> GetExecution(int32_t shard_id, const std::string& namespace_id,
                                               const std::string& workflow_id,
                                               const std::string& run_id) override {
    return policy_("GetExecution", [&] {
      return inner_->GetExecution(shard_id, namespace_id, workflow_id, run_id);
    });
  }
  absl::Status Write(int32_t shard_id, int64_t range_id,
                     const std::vector<WorkflowWrite>& writes) override {
    return policy_("Write", [&] { return inner_->Write(shard_id, range_id, writes); });
  }
  absl::StatusOr<Events> ReadHistory(int32_t shard_id, const std::string& namespace_id,
                                     const std::string& workflow_id, const std::string& run_id,
                                     int64_t first_event_id, int64_t next_event_id,
                                     int max_events) override {
    return policy_("ReadHistory", [&] {
      return inner_->ReadHistory(shard_id, namespace_id, workflow_id, run_id, first_event_id,
                                 next_event_id, max_events);
    });
  }
  absl::StatusOr<std::vector<v1::TransferTask>> LoadTransferTasks(int32_t shard_id,
                                                                  int64_t after_task_id,
                                                                  int limit) override {
    return policy_("LoadTransferTasks",
                   [&] { return inner_->LoadTransferTasks(shard_id, after_task_id, limit); });
  }
  absl::Status DeleteTransferTasks(int32_t shard_id,
                                   const std::vector<int64_t>& task_ids) override {
    return policy_("DeleteTransferTasks",
                   [&] { return inner_->DeleteTransferTasks(shard_id, task_ids); });
  }
  absl::StatusOr<std::vector<v1::TimerTask>> LoadTimerTasks(int32_t shard_id, TimerKey after,
                                                            int64_t until_micros,
                                                            int limit) override {
    return policy_("LoadTimerTasks",
                   [&] { return inner_->LoadTimerTasks(shard_id, after, until_micros, limit); });
  }
  absl::Status DeleteTimerTasks(int32_t shard_id, const std::vector<int64_t>& task_ids) override {
    return policy_("DeleteTimerTasks",
                   [&] { return inner_->DeleteTimerTasks(shard_id, task_ids); });
  }
  absl::StatusOr<bool> DeleteClosedExecution(int32_t shard_id, const std::string& namespace_id,
                                             const std::string& workflow_id,
                                             const std::string& run_id) override {
    return policy_("DeleteClosedExecution", [&] {
      return inner_->DeleteClosedExecution(shard_id, namespace_id, workflow_id, run_id);
    });
  }
  absl::StatusOr<int> DeleteNamespaceExecutions(int32_t shard_id, const std::string& namespace_id,
                                                int limit) override {
    return policy_("DeleteNamespaceExecutions", [&] {
      return inner_->DeleteNamespaceExecutions(shard_id, namespace_id, limit);
    });
  }
};

template <typename Policy>
class DecoratedTaskStore final : public Decorator<TaskStore, Policy> {
  using Decorator<TaskStore, Policy>::inner_;
  using Decorator<TaskStore, Policy>::policy_;

 public:
  using Decorator<TaskStore, Policy>::Decorator;
  absl::StatusOr<TaskQueueLease> LeaseTaskQueue(const TaskQueueKey& key) override {
    return policy_("LeaseTaskQueue", [&] { return inner_->LeaseTaskQueue(key); });
  }
  absl::Status UpdateTaskQueue(const TaskQueueKey& key, int64_t range_id,
                               const v1::TaskQueueInfo& info) override {
    return policy_("UpdateTaskQueue", [&] { return inner_->UpdateTaskQueue(key, range_id, info); });
  }
  absl::Status CreateTasks(const TaskQueueKey& key, int64_t range_id,
                           const std::vector<BacklogTask>& tasks) override {
    return policy_("CreateTasks", [&] { return inner_->CreateTasks(key, range_id, tasks); });
  }
  absl::StatusOr<std::vector<BacklogTask>> GetTasks(const TaskQueueKey& key, int64_t after_task_id,
                                                    int limit) override {
    return policy_("GetTasks", [&] { return inner_->GetTasks(key, after_task_id, limit); });
  }
  absl::Status DeleteTasks(const TaskQueueKey& key, const std::vector<int64_t>& task_ids) override {
    return policy_("DeleteTasks", [&] { return inner_->DeleteTasks(key, task_ids); });
  }
  absl::StatusOr<int64_t> CountTasks(const TaskQueueKey& key) override {
    return policy_("CountTasks", [&] { return inner_->CountTasks(key); });
  }
  absl::Status DeleteNamespaceTaskQueues(const std::string& namespace_id) override {
    return policy_("DeleteNamespaceTaskQueues",
                   [&] { return inner_->DeleteNamespaceTaskQueues(namespace_id); });
  }
};

template <typename Policy>
class DecoratedVisibilityStore final : public Decorator<VisibilityStore, Policy> {
  using Decorator<VisibilityStore, Policy>::inner_;
  using Decorator<VisibilityStore, Policy>::policy_;

 public:
  using Decorator<VisibilityStore, Policy>::Decorator;
  absl::Status Upsert(const VisibilityRecord& record) override {
    return policy_("Upsert", [&] { return inner_->Upsert(record); });
  }
  absl::Status Delete(const std::string& namespace_id, const std::string& run_id) override {
    return policy_("Delete", [&] { return inner_->Delete(namespace_id, run_id); });
  }
  absl::StatusOr<VisibilityPage> List(const std::string& namespace_id,
                                      const visibility::Query& query, int page_size,
                                      const std::string& page_token) override {
    return policy_("List",
                   [&] { return inner_->List(namespace_id, query, page_size, page_token); });
  }
  absl::StatusOr<VisibilityCount> Count(const std::string& namespace_id,
                                        const visibility::Query& query) override {
    return policy_("Count", [&] { return inner_->Count(namespace_id, query); });
  }
  absl::Status AddSearchAttributeMappings(
      const visibility::CustomSearchAttributes& attributes) override {
    return policy_("AddSearchAttributeMappings",
                   [&] { return inner_->AddSearchAttributeMappings(attributes); });
  }
};

template <typename Policy>
class DecoratedScheduleStore final : public Decorator<ScheduleStore, Policy> {
  using Decorator<ScheduleStore, Policy>::inner_;
  using Decorator<ScheduleStore, Policy>::policy_;

 public:
  using Decorator<ScheduleStore, Policy>::Decorator;
  absl::Status CreateSchedule(const v1::ScheduleRecord& record,
                              std::optional<Timestamp> next_wakeup) override {
    return policy_("CreateSchedule", [&] { return inner_->CreateSchedule(record, next_wakeup); });
  }
  absl::StatusOr<ScheduleRow> GetSchedule(const std::string& namespace_id,
                                          const std::string& schedule_id) override {
    return policy_("GetSchedule", [&] { return inner_->GetSchedule(namespace_id, schedule_id); });
  }
  absl::StatusOr<int64_t> UpdateSchedule(const v1::ScheduleRecord& record, int64_t expected_version,
                                         std::optional<Timestamp> next_wakeup) override {
    return policy_("UpdateSchedule",
                   [&] { return inner_->UpdateSchedule(record, expected_version, next_wakeup); });
  }
  absl::Status DeleteSchedule(const std::string& namespace_id,
                              const std::string& schedule_id) override {
    return policy_("DeleteSchedule",
                   [&] { return inner_->DeleteSchedule(namespace_id, schedule_id); });
  }
  absl::StatusOr<std::vector<ScheduleRow>> LeaseDueSchedules(
      const std::string& owner, int limit, std::chrono::milliseconds lease) override {
    return policy_("LeaseDueSchedules",
                   [&] { return inner_->LeaseDueSchedules(owner, limit, lease); });
  }
  absl::StatusOr<std::optional<Timestamp>> NextWakeup() override {
    return policy_("NextScheduleWakeup", [&] { return inner_->NextWakeup(); });
  }
  absl::StatusOr<int> DeleteNamespaceSchedules(const std::string& namespace_id,
                                               int limit) override {
    return policy_("DeleteNamespaceSchedules",
                   [&] { return inner_->DeleteNamespaceSchedules(namespace_id, limit); });
  }
};

template <typename Policy>
class DecoratedBatchOperationStore final : public Decorator<BatchOperationStore, Policy> {
  using Decorator<BatchOperationStore, Policy>::inner_;
  using Decorator<BatchOperationStore, Policy>::policy_;

 public:
  using Decorator<BatchOperationStore, Policy>::Decorator;
  absl::Status CreateBatchOperation(const v1::BatchOperationRecord& record,
                                    std::optional<Timestamp> next_wakeup,
                                    int max_running) override {
    return policy_("CreateBatchOperation",
                   [&] { return inner_->CreateBatchOperation(record, next_wakeup, max_running); });
  }
  absl::StatusOr<BatchOperationRow> GetBatchOperation(const std::string& namespace_id,
                                                      const std::string& job_id) override {
    return policy_("GetBatchOperation",
                   [&] { return inner_->GetBatchOperation(namespace_id, job_id); });
  }
  absl::StatusOr<int64_t> UpdateBatchOperation(const v1::BatchOperationRecord& record,
                                               int64_t expected_version,
                                               std::optional<Timestamp> next_wakeup) override {
    return policy_("UpdateBatchOperation", [&] {
      return inner_->UpdateBatchOperation(record, expected_version, next_wakeup);
    });
  }
  absl::StatusOr<BatchOperationPage> ListBatchOperations(const std::string& namespace_id,
                                                         int page_size,
                                                         const std::string& page_token) override {
    return policy_("ListBatchOperations", [&] {
      return inner_->ListBatchOperations(namespace_id, page_size, page_token);
    });
  }
  absl::StatusOr<std::vector<BatchOperationRow>> LeaseDueBatchOperations(
      const std::string& owner, int limit, std::chrono::milliseconds lease) override {
    return policy_("LeaseDueBatchOperations",
                   [&] { return inner_->LeaseDueBatchOperations(owner, limit, lease); });
  }
  absl::StatusOr<int> DeleteNamespaceBatchOperations(const std::string& namespace_id,
                                                     int limit) override {
    return policy_("DeleteNamespaceBatchOperations",
                   [&] { return inner_->DeleteNamespaceBatchOperations(namespace_id, limit); });
  }
};

}  // namespace tern::persistence
