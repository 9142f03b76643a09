// Persistence interfaces. Every store is thread-safe: any thread may call any method at any
// time, and each call blocks the calling thread on the database, so callers run them on a pool
// sized to the connection pool (never on a gRPC reactor or timer thread).
//
// Errors are values:
//   NotFound            the row does not exist.
//   AlreadyExists       a create hit an existing primary key (namespace name, ...).
//   FailedPrecondition  with a ConditionFailed payload (IsConditionFailed): a conditional write
//                       lost a race (db_record_version, current-run pointer, task queue range).
//   FailedPrecondition  with a fencing payload (IsFencingError): the fencing
//                       token (shard or task-queue range_id) moved; the caller must drop the
//                       shard/partition, never retry the write.
//   Unavailable         transient database failure (IsTransientError: the retry decorator,
//                       persistence/decorators, repeats the call), or one that must not be
//                       repeated blindly (a commit whose outcome is unknown, a pool that already
//                       waited its acquire timeout: FinalUnavailableError).
// libpqxx exceptions never cross this interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "temporal/api/history/v1/message.pb.h"
#include "tern/persistence/v1/records.pb.h"

namespace tern::persistence {

using Timestamp = std::chrono::system_clock::time_point;

// ---- typed conflicts ---------------------------------------------------------------------------
absl::Status ConditionFailedError(std::string_view message);
bool IsConditionFailed(const absl::Status& status);
absl::Status FencingError(std::string_view message);  // range_id moved
bool IsFencingError(const absl::Status& status);
// Unavailable that the retry decorator must not repeat.
absl::Status FinalUnavailableError(std::string_view message);
// Unavailable and not final: calling again may succeed. Never true for a fencing or condition
// failure.
bool IsTransientError(const absl::Status& status);

// ---- namespaces --------------------------------------------------------------------------------
class NamespaceStore {
 public:
  virtual ~NamespaceStore() = default;
  // AlreadyExists if the name or id is taken.
  virtual absl::Status CreateNamespace(const v1::NamespaceRecord& record) = 0;
  virtual absl::StatusOr<v1::NamespaceRecord> GetNamespaceByName(const std::string& name) = 0;
  virtual absl::StatusOr<v1::NamespaceRecord> GetNamespaceById(const std::string& id) = 0;
  // Replaces the record with the same id. NotFound if absent.
  virtual absl::Status UpdateNamespace(const v1::NamespaceRecord& record) = 0;
  // Ordered by name; page_token is the last name of the previous page ("" for the first page).
  struct Page {
    std::vector<v1::NamespaceRecord> namespaces;
    std::string next_page_token;  // empty when there are no more
  };
  virtual absl::StatusOr<Page> ListNamespaces(int page_size, const std::string& page_token) = 0;
  virtual absl::Status DeleteNamespace(const std::string& id) = 0;
};

// ---- cluster metadata --------------------------------------------------------------------------
struct ClusterMetadata {
  std::string cluster_name;
  int32_t num_history_shards = 0;
};

class ClusterMetadataStore {
 public:
  virtual ~ClusterMetadataStore() = default;
  // Stores `proposed` if no metadata exists yet; returns what is stored (the first writer wins).
  virtual absl::StatusOr<ClusterMetadata> InitClusterMetadata(const ClusterMetadata& proposed) = 0;
};

// ---- membership --------------------------------------------------------------------------------
enum class Role : int32_t { kFrontend = 1, kHistory = 2, kMatching = 3, kWorker = 4 };

struct Member {
  Role role = Role::kFrontend;
  std::string host_id;      // unique per process start
  std::string rpc_address;  // host:port other services dial
  Timestamp session_start;
  Timestamp last_heartbeat;
};

class MembershipStore {
 public:
  virtual ~MembershipStore() = default;
  // Upserts the member's row with last_heartbeat = now (database clock).
  virtual absl::Status Heartbeat(const Member& member) = 0;
  // Members of `role` whose last heartbeat is newer than now - max_age (database clock).
  virtual absl::StatusOr<std::vector<Member>> ListLiveMembers(
      Role role, std::chrono::milliseconds max_age) = 0;
  virtual absl::Status RemoveMember(Role role, const std::string& host_id) = 0;
};

// ---- history shards ----------------------------------------------------------------------------
struct ShardLease {
  int64_t range_id = 0;
  v1::ShardInfo info;
};

class ShardStore {
 public:
  virtual ~ShardStore() = default;
  // Creates the shard row if missing, then increments range_id (fencing out the previous owner)
  // and records `owner_host` in the info. Returns the new range_id.
  virtual absl::StatusOr<ShardLease> AcquireShard(int32_t shard_id,
                                                  const std::string& owner_host) = 0;
  // Atomically increments range_id if it still equals expected_range_id (used to allocate a new
  // block of task ids). FencingError otherwise.
  virtual absl::StatusOr<int64_t> RenewRange(int32_t shard_id, int64_t expected_range_id) = 0;
  // Writes info if range_id still matches. FencingError otherwise.
  virtual absl::Status UpdateShardInfo(int32_t shard_id, int64_t range_id,
                                       const v1::ShardInfo& info) = 0;
};

// ---- executions --------------------------------------------------------------------------------
// current_executions.state
enum class RunState : int32_t { kCreated = 1, kRunning = 2, kCompleted = 3 };

struct CurrentExecution {
  std::string run_id;
  std::string create_request_id;
  RunState state = RunState::kRunning;
  int32_t status = 0;  // temporal.api.enums.v1.WorkflowExecutionStatus
};

// What a CurrentMode::kCreate write returns when the workflow id already has a current row: a
// ConditionFailed error (IsConditionFailed is true) whose message names the existing run_id and
// create_request_id and whose payload carries the whole row, so the caller can tell a retried
// start (same create_request_id) from WorkflowExecutionAlreadyStarted without another read.
absl::Status CurrentExecutionExistsError(std::string_view message,
                                         const CurrentExecution& existing);
// The row carried by a CurrentExecutionExistsError; nullopt for any other status.
std::optional<CurrentExecution> GetExistingCurrentExecution(const absl::Status& status);

struct ExecutionRecord {
  v1::MutableState state;
  int64_t db_record_version = 0;
};

// How a workflow write changes the current_executions row of its workflow id.
enum class CurrentMode {
  kNone,         // leave the pointer alone
  kCreate,       // insert; CurrentExecutionExistsError (a ConditionFailed) if a row is present
  kReplace,      // point it from previous_run_id to this run; ConditionFailed if it moved
  kUpdateState,  // update state/status of the row that points to this run; ConditionFailed if not
};

struct VisibilityRecord;  // visibility_store.h

struct WorkflowWrite {
  v1::MutableState state;  // namespace_id/workflow_id/run_id identify the row
  // 0 to insert a new executions row; otherwise the version read, and the row is written with
  // expected_db_record_version + 1 only if it still has this version.
  int64_t expected_db_record_version = 0;
  CurrentMode current_mode = CurrentMode::kNone;
  std::string previous_run_id;  // for kReplace
  RunState run_state = RunState::kRunning;
  // Appended as one history batch: ids must continue the run's history without gaps.
  std::vector<temporal::api::history::v1::HistoryEvent> new_events;
  std::vector<v1::TransferTask> transfer_tasks;
  std::vector<v1::TimerTask> timer_tasks;
  // The run's visibility row, written in the same transaction (as VisibilityStore::Upsert
  // would), by a store of Stores::visibility_in_executions only; null otherwise.
  std::shared_ptr<const VisibilityRecord> visibility;
};

// A timer task's place in its shard's timer order: the fire time in whole microseconds since
// the epoch (as stored), then the task id.
struct TimerKey {
  // The earliest and latest times a Timestamp can hold (0001-01-01, 9999-12-31T23:59:59.999999);
  // the default key, at the earliest time with task id 0, comes before every timer.
  static constexpr int64_t kMinFireMicros = -62135596800000000;
  static constexpr int64_t kMaxFireMicros = 253402300799999999;

  int64_t fire_micros = kMinFireMicros;
  int64_t task_id = 0;

  static TimerKey Of(const v1::TimerTask& task) {
    return {ToMicros(task.fire_time()), task.task_id()};
  }
  auto operator<=>(const TimerKey&) const = default;
};

class ExecutionStore {
 public:
  virtual ~ExecutionStore() = default;
  virtual absl::StatusOr<CurrentExecution> GetCurrentExecution(int32_t shard_id,
                                                               const std::string& namespace_id,
                                                               const std::string& workflow_id) = 0;
  virtual absl::StatusOr<ExecutionRecord> GetExecution(int32_t shard_id,
                                                       const std::string& namespace_id,
                                                       const std::string& workflow_id,
                                                       const std::string& run_id) = 0;
  // Applies all writes in ONE transaction that first checks the shard's range_id
  // (FencingError if it moved). Nothing is written if any part fails.
  virtual absl::Status Write(int32_t shard_id, int64_t range_id,
                             const std::vector<WorkflowWrite>& writes) = 0;
  // Events with first_event_id <= id < next_event_id, ascending, at most max_events (whole
  // batches are returned, so the result may exceed max_events by less than one batch).
  virtual absl::StatusOr<std::vector<temporal::api::history::v1::HistoryEvent>> ReadHistory(
      int32_t shard_id, const std::string& namespace_id, const std::string& workflow_id,
      const std::string& run_id, int64_t first_event_id, int64_t next_event_id, int max_events) = 0;

  // Queue recovery: every transfer task of the shard with task_id > after_task_id, ascending.
  virtual absl::StatusOr<std::vector<v1::TransferTask>> LoadTransferTasks(int32_t shard_id,
                                                                          int64_t after_task_id,
                                                                          int limit) = 0;
  virtual absl::Status DeleteTransferTasks(int32_t shard_id,
                                           const std::vector<int64_t>& task_ids) = 0;
  // The shard's timer tasks with a key after `after` and a fire time at or before
  // `until_micros`, in key order, at most `limit`: a window of the timer queue, read page by page.
  virtual absl::StatusOr<std::vector<v1::TimerTask>> LoadTimerTasks(int32_t shard_id,
                                                                    TimerKey after,
                                                                    int64_t until_micros,
                                                                    int limit) = 0;
  virtual absl::Status DeleteTimerTasks(int32_t shard_id, const std::vector<int64_t>& task_ids) = 0;

  // ---- retention and namespace deletion (tern-worker) ----
  // These writes are not fenced by a shard's range_id: they only touch runs no shard writes any
  // more (closed ones, or those of a deleted namespace).
  // Deletes a closed run's mutable state and history, and the workflow id's current-run pointer
  // if it still points to this run. A running run is left alone. Idempotent: true when this call
  // deleted the run.
  virtual absl::StatusOr<bool> DeleteClosedExecution(int32_t shard_id,
                                                     const std::string& namespace_id,
                                                     const std::string& workflow_id,
                                                     const std::string& run_id) = 0;
  // Deletes up to `limit` runs of the namespace on the shard, whatever their state, with their
  // history and current-run pointers. Returns how many runs it deleted (0: none left).
  virtual absl::StatusOr<int> DeleteNamespaceExecutions(int32_t shard_id,
                                                        const std::string& namespace_id,
                                                        int limit) = 0;
};

// ---- matching backlog --------------------------------------------------------------------------
struct TaskQueueKey {
  std::string namespace_id;
  std::string name;       // partition name
  int32_t task_type = 0;  // temporal.api.enums.v1.TaskQueueType
};

struct TaskQueueLease {
  int64_t range_id = 0;
  v1::TaskQueueInfo info;
};

struct BacklogTask {
  int64_t task_id = 0;
  v1::MatchingTask task;
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;
  // Creates the partition row if missing, then increments its range_id. Task ids of this owner
  // are allocated from (range_id << 20, (range_id + 1) << 20].
  virtual absl::StatusOr<TaskQueueLease> LeaseTaskQueue(const TaskQueueKey& key) = 0;
  // Writes info (ack level) if range_id still matches. FencingError otherwise.
  virtual absl::Status UpdateTaskQueue(const TaskQueueKey& key, int64_t range_id,
                                       const v1::TaskQueueInfo& info) = 0;
  // Inserts the tasks if range_id still matches. FencingError otherwise. A task id already
  // stored keeps its task, so a call repeated after a lost answer is harmless.
  virtual absl::Status CreateTasks(const TaskQueueKey& key, int64_t range_id,
                                   const std::vector<BacklogTask>& tasks) = 0;
  // Tasks with after_task_id < task_id, ascending, at most limit.
  virtual absl::StatusOr<std::vector<BacklogTask>> GetTasks(const TaskQueueKey& key,
                                                            int64_t after_task_id, int limit) = 0;
  virtual absl::Status DeleteTasks(const TaskQueueKey& key,
                                   const std::vector<int64_t>& task_ids) = 0;
  virtual absl::StatusOr<int64_t> CountTasks(const TaskQueueKey& key) = 0;
  // Namespace deletion: drops every task queue and backlog task of the namespace.
  virtual absl::Status DeleteNamespaceTaskQueues(const std::string& namespace_id) = 0;
};

class VisibilityStore;      // visibility_store.h
class ScheduleStore;        // schedule_store.h
class BatchOperationStore;  // batch_operation_store.h

// ---- the set of stores a process opens
// -----------------------------------------------------------
struct Stores {
  std::shared_ptr<NamespaceStore> namespaces;
  std::shared_ptr<ClusterMetadataStore> cluster_metadata;
  std::shared_ptr<MembershipStore> membership;
  std::shared_ptr<ShardStore> shards;
  std::shared_ptr<ExecutionStore> executions;
  std::shared_ptr<TaskStore> tasks;
  std::shared_ptr<VisibilityStore> visibility;
  std::shared_ptr<ScheduleStore> schedules;
  std::shared_ptr<BatchOperationStore> batch_operations;
  // True when `visibility` lives in the executions' database and `executions` writes
  // WorkflowWrite::visibility with the state change (PostgreSQL visibility): no separate
  // visibility task is needed. False for a separate visibility store (Elasticsearch).
  bool visibility_in_executions = false;
};

}  // namespace tern::persistence
