// Internal to tern::matching: a child partition's calls to its root. The tree has two levels:
// every child (partition index > 0) forwards to partition 0 of its task queue; roots and sticky
// queues have no Forwarder.
//
// Contract:
//   - Forwards are opportunistic (retry=false): any failure only means "not matched".
//   - Threading: the Forwarder has its own mutex for its slots and backoff; no RPC or callback
//     runs under it. Methods taking `Deferred& after` start their RPC through it, so the owner
//     may call them under its own mutex (lock order: owner, then forwarder). The owner
//     serializes the calls that take a slot (CanForwardPoll then ForwardPoll, BacklogSlotFree
//     then ForwardBacklogTask), so a slot seen free is still free when taken.
//   - Every `done` runs exactly once, on a client thread, with no lock held.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "services/matching/core.h"
#include "services/matching/poller.h"

namespace tern::matching {

class Forwarder : public std::enable_shared_from_this<Forwarder> {
 public:
  // `key` is the child partition; `resume` runs (no lock held) when a backoff ends.
  Forwarder(std::shared_ptr<EngineCore> core, persistence::TaskQueueKey key,
            temporal::api::enums::v1::TaskQueueKind kind, std::function<void()> resume);

  // Offers `task` to the root's parked polls as an add with forwarded_from. done(true): a root
  // poll took it (or it was stale); done(false) or an error: not matched. Ends by `deadline`.
  void ForwardTask(const Task& task, TimePoint deadline,
                   std::function<void(absl::StatusOr<bool>)> done);

  // Polls: at most max_forwarded_polls at once. The forward's deadline is the poll's timeout
  // plus poll_deadline_margin, so the root answers empty exactly when the child would; it is
  // cancelled through `poller->call`. done(status, has_task); with has_task the poller holds
  // the root's response.
  bool CanForwardPoll() const;
  void ForwardPoll(std::shared_ptr<Poller> poller, Deferred& after,
                   std::function<void(absl::Status, bool has_task)> done);

  // Backlog nobody polls for locally: one task at a time; after a miss the slot stays closed
  // for an exponential backoff (forward_backoff_initial..max), then `resume` runs.
  bool BacklogSlotFree() const;
  void ForwardBacklogTask(Task task, Deferred& after, std::function<void(bool matched)> done);

  // No backlog forward in flight.
  bool Idle() const;
  // Cancels the backoff; none starts afterwards. Idempotent.
  void Close(Deferred& after);

 private:
  void OnBacklogForwarded(bool matched);

  const std::shared_ptr<EngineCore> core_;
  const persistence::TaskQueueKey key_;
  const std::string root_name_;
  const temporal::api::enums::v1::TaskQueueKind kind_;
  const std::function<void()> resume_;

  mutable std::mutex mu_;
  bool closed_ = false;
  int polls_in_flight_ = 0;
  bool backlog_in_flight_ = false;
  bool backlog_paused_ = false;
  std::chrono::milliseconds backlog_backoff_{0};
  std::shared_ptr<Executor::Timer> backlog_timer_;
};

}  // namespace tern::matching
