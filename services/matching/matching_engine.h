// The matching engine: task-queue partitions, long polls, sync match, backlog and forwarding,
// independent of gRPC (MatchingService in matching_service.h is the thin handler over it).
//
// Contract for callers:
//   - Every method may be called from any thread and never blocks: database work runs on the
//     blocking executor, timers on the timer executor.
//   - `done` callbacks run exactly once, on an executor, gRPC or calling thread, and must not
//     block. An Add answers only after the task was handed to a poller (history recorded its
//     start), dropped as stale, or durably written to the partition's backlog.
//   - A poll answers with a task, with the all-default (empty) response at its timeout or when the
//     partition unloads, with CANCELLED after PollHandle::Cancel, or with an error:
//     ShardOwnershipLost (this host does not own the partition: refresh the ring and retry),
//     INVALID_ARGUMENT, or UNAVAILABLE (the backlog could not be leased).
//   - A query (QueryWorkflow) hands its prebuilt task to a workflow poll parked on the
//     partition, polls forwarded in from child partitions included, without any history call and
//     without persisting it; it then waits for RespondQueryTaskCompleted with its query_id. It
//     answers with the worker's result, DEADLINE_EXCEEDED (naming the task queue) shortly before
//     the caller's deadline, CANCELLED after PollHandle::Cancel, or ShardOwnershipLost when the
//     partition unloads. It holds no thread while it waits.
//   - Partitions load on first use when the owner lookup names this host, and unload when the
//     ring moves them away (OnRingChanged), when their lease is fenced by another owner, after
//     being idle for a while, and at Stop().
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/executor.h"
#include "persistence/store.h"
#include "tern/matchingservice/v1/service.pb.h"

namespace tern::matching {

namespace ms = tern::matchingservice::v1;
namespace ws = temporal::api::workflowservice::v1;

struct EngineOptions {
  // rpc address of this host as it appears on the matching ring.
  std::string self_address;
  // matching.longPollExpirationInterval: the longest a poll is parked.
  std::chrono::milliseconds long_poll_expiration{60000};
  // A parked poll is answered this long before the caller's deadline.
  std::chrono::milliseconds poll_deadline_margin{1000};
  // Polls a child partition may have forwarded to the root at once.
  int max_forwarded_polls = 1;
  // Backoff of a child offering its backlog to the root while it has no local poller.
  std::chrono::milliseconds forward_backoff_initial{100};
  std::chrono::milliseconds forward_backoff_max{2000};
  // Upper bound of one Record*TaskStarted call.
  std::chrono::milliseconds record_start_timeout{10000};
  // Pause of backlog dispatch after history failed a record-start with a retryable error.
  std::chrono::milliseconds dispatch_retry_backoff{1000};
  // After a fencing error the partition is refused (ShardOwnershipLost) this long, unless the
  // ring changes first, so two hosts with different ring views do not steal it back and forth.
  std::chrono::milliseconds fenced_hold{10000};
  // Housekeeping period: idle unload, lease check, poller-history pruning.
  std::chrono::milliseconds maintenance_interval{10000};
  // A loaded partition re-checks its lease (UpdateTaskQueue with its range_id) this often, so
  // an idle one notices a new owner even without writes.
  std::chrono::milliseconds lease_check_interval{60000};
  // A partition without pollers, backlog or calls for this long is unloaded.
  std::chrono::milliseconds idle_unload_after{300000};
  // A task for a sticky queue without a poller parked or seen within this window is refused
  // with StickyWorkerUnavailable (history then uses the normal queue).
  std::chrono::milliseconds sticky_poller_unavailable_window{10000};
  // Pollers reported by DescribeTaskQueuePartition: those seen within this window.
  std::chrono::milliseconds poller_history_ttl{300000};
  // Stop() waits at most this long for in-flight database and RPC calls to finish.
  std::chrono::milliseconds stop_drain_timeout{15000};
  int read_batch = 100;
  int write_batch = 100;
  // Backlog tasks kept in memory per partition.
  int buffer_capacity = 1000;
  // The namespace name metrics label a partition with, for its namespace id ("" if unknown).
  std::function<std::string(const std::string& namespace_id)> namespace_name;

  static EngineOptions FromConfig(const Config& config, std::string self_address);
};

// Cancels a parked poll or a pending query (the caller's RPC went away). Safe from any thread,
// any number of times, also after the call finished.
class PollHandle {
 public:
  virtual ~PollHandle() = default;
  virtual void Cancel() = 0;
};

// Owner (rpc address) of a partition placement key (common/task_queue_names.h PartitionKey).
using OwnerLookup = std::function<std::string(const std::string& placement_key)>;

class Partition;
class Poller;
struct EngineCore;

class MatchingEngine : public std::enable_shared_from_this<MatchingEngine> {
 public:
  // The referenced objects must outlive the engine and every call it has in flight; Stop()
  // waits (bounded by stop_drain_timeout) for those calls.
  static std::shared_ptr<MatchingEngine> Create(
      EngineOptions options, std::shared_ptr<persistence::TaskStore> store, OwnerLookup owner_of,
      client::HistoryClient& history, client::MatchingClient& matching, Executor& blocking_executor,
      Executor& timer_executor, const Clock& clock);
  ~MatchingEngine();

  // `deadline` is the caller's deadline (time_point::max() for none).
  void AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, TimePoint deadline,
                       client::Callback<ms::AddWorkflowTaskResponse> done);
  void AddActivityTask(const ms::AddActivityTaskRequest& request, TimePoint deadline,
                       client::Callback<ms::AddActivityTaskResponse> done);
  std::shared_ptr<PollHandle> PollWorkflowTaskQueue(
      const ms::PollWorkflowTaskQueueRequest& request, TimePoint deadline,
      client::Callback<ws::PollWorkflowTaskQueueResponse> done);
  std::shared_ptr<PollHandle> PollActivityTaskQueue(
      const ms::PollActivityTaskQueueRequest& request, TimePoint deadline,
      client::Callback<ws::PollActivityTaskQueueResponse> done);
  void DescribeTaskQueuePartition(const ms::DescribeTaskQueuePartitionRequest& request,
                                  client::Callback<ms::DescribeTaskQueuePartitionResponse> done);
  // Unloads the sticky queue if it is loaded here: its parked polls answer empty and, with no
  // poller seen, the next task for it is refused with StickyWorkerUnavailable.
  void ReleaseStickyTaskQueue(const std::string& namespace_id, const std::string& task_queue);
  // `request.task_queue` names the partition (workflow type) whose pollers get the query;
  // `request.task.task_token` must be set (it tells a child partition the forwarded poll got a
  // task). A query_id already pending here is ALREADY_EXISTS.
  std::shared_ptr<PollHandle> QueryWorkflow(const ms::QueryWorkflowRequest& request,
                                            TimePoint deadline,
                                            client::Callback<ms::QueryWorkflowResponse> done);
  // Answers the pending query `request.query_id` of the partition `request.task_queue`;
  // NOT_FOUND when no such query is pending (unknown, answered, timed out or cancelled).
  void RespondQueryTaskCompleted(const ms::RespondQueryTaskCompletedRequest& request,
                                 client::Callback<ms::RespondQueryTaskCompletedResponse> done);

  // Starts the housekeeping timer.
  void Start();
  // The matching ring changed: unload partitions this host no longer owns.
  void OnRingChanged();
  // Answers every parked poll empty, fails queued writes with ShardOwnershipLost, unloads every
  // partition, and waits for in-flight calls. New calls get ShardOwnershipLost. Idempotent.
  void Stop();

  // Introspection for tests and metrics.
  bool IsLoaded(const std::string& namespace_id, const std::string& partition_name,
                int task_type) const;
  size_t LoadedPartitionCount() const;
  // Polls parked on this host (waiting, or with a record-start or forward in flight).
  size_t ParkedPollCount() const;
  // Queries waiting for a poller or for their answer.
  size_t PendingQueryCount() const;

 private:
  MatchingEngine(std::shared_ptr<EngineCore> core, OwnerLookup owner_of);

  // The partition for the call, loading it if this host owns it; ShardOwnershipLost otherwise.
  absl::StatusOr<std::shared_ptr<Partition>> GetOrLoad(
      const std::string& namespace_id, const std::string& name, int task_type,
      temporal::api::enums::v1::TaskQueueKind kind);
  void OnPartitionUnloaded(Partition* partition, bool fenced);
  void Maintain();
  std::vector<std::shared_ptr<Partition>> Snapshot() const;

  template <typename Request, typename Response>
  void Add(const Request& request, int task_type, TimePoint deadline,
           client::Callback<Response> done);
  std::shared_ptr<PollHandle> StartPoll(std::shared_ptr<Poller> poller,
                                        const std::string& namespace_id,
                                        const temporal::api::taskqueue::v1::TaskQueue& task_queue,
                                        int task_type);
  TimePoint PollTimeout(TimePoint now, TimePoint deadline) const;
  TimePoint QueryAnswerBy(TimePoint now, TimePoint deadline) const;

  std::shared_ptr<EngineCore> core_;
  OwnerLookup owner_of_;

  mutable std::mutex mu_;
  bool started_ = false;
  bool stopped_ = false;
  std::unordered_map<std::string, std::shared_ptr<Partition>> partitions_;  // by placement key
  std::unordered_map<std::string, TimePoint> fenced_until_;
  std::shared_ptr<Executor::Timer> maintenance_timer_;
};

}  // namespace tern::matching
