// Internal to tern::matching: one parked poll (workflow or activity).
//
// A Poller belongs to the partition it was handed to (Partition::Poll); its mutable fields are
// guarded by that partition's mutex. It finishes exactly once through one of the Finish*
// methods, which the partition calls outside its mutex.
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "services/matching/core.h"

namespace tern::matching {

class Poller : public PollHandle, public std::enable_shared_from_this<Poller> {
 public:
  enum class State { kNew, kWaiting, kMatching, kForwarded, kDone };

  // What DescribeTaskQueue reports as a poller's rate when its worker set no limit (Temporal's
  // default dispatch rate).
  static constexpr double kDefaultRatePerSecond = 100000;

  Poller(std::string poller_id, std::string identity, double rate_per_second, bool forwarded_in,
         TimePoint timeout_at, TimePoint rpc_deadline)
      : poller_id(std::move(poller_id)),
        identity(std::move(identity)),
        rate_per_second(rate_per_second),
        forwarded_in(forwarded_in),
        timeout_at(timeout_at),
        rpc_deadline(rpc_deadline) {}

  void Cancel() override;

  // Asks history to record `task` as started by this poll; on OK the response to deliver is
  // stored in the poller. `done` runs once on a client thread.
  virtual void RecordStart(client::HistoryClient& history, const Task& task,
                           client::CallOptions options, std::function<void(absl::Status)> done) = 0;
  // Forwards this poll to `root_name`; on OK with has_task the response is stored. `done` runs
  // once on a client thread.
  virtual void Forward(client::MatchingClient& matching, const std::string& root_name,
                       const std::string& from_name, client::CallOptions options,
                       std::function<void(absl::Status, bool has_task)> done) = 0;
  // Answer the RPC. The partition calls exactly one of them, exactly once, outside its mutex.
  virtual void FinishWithTask() = 0;
  // Delivers a prebuilt query task (workflow pollers only) without any history call.
  virtual void FinishWithQuery(const ws::PollWorkflowTaskQueueResponse& task) = 0;
  virtual void FinishEmpty() = 0;
  virtual void FinishError(absl::Status status) = 0;

  const std::string poller_id;
  const std::string identity;
  // The task-queue dispatch limit the worker asked for (activity pollers'
  // task_queue_metadata.max_tasks_per_second), else kDefaultRatePerSecond.
  const double rate_per_second;
  const bool forwarded_in;  // arrived from a child partition
  const TimePoint timeout_at;
  const TimePoint rpc_deadline;

  // Guarded by the partition's mutex.
  std::weak_ptr<Partition> partition;
  State state = State::kNew;
  bool timed_out = false;   // the timeout passed while a record-start or forward was in flight
  bool no_forward = false;  // a forward came back empty: wait locally from now on
  // Position in the partition's waiting_ list (kWaiting) or away_ list (kMatching, kForwarded).
  std::list<std::shared_ptr<Poller>>::iterator list_pos;
  std::shared_ptr<Executor::Timer> timer;
  std::shared_ptr<client::CallHandle> call;  // in-flight record-start or forwarded poll
};

// The poller of a poll request; `done` receives its answer.
std::shared_ptr<Poller> NewWorkflowPoller(ms::PollWorkflowTaskQueueRequest request,
                                          TimePoint timeout_at, TimePoint rpc_deadline,
                                          client::Callback<ws::PollWorkflowTaskQueueResponse> done);
std::shared_ptr<Poller> NewActivityPoller(ms::PollActivityTaskQueueRequest request,
                                          TimePoint timeout_at, TimePoint rpc_deadline,
                                          client::Callback<ws::PollActivityTaskQueueResponse> done);

}  // namespace tern::matching
