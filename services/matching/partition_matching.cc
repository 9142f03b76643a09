// Partition's matcher: the matching loop, backlog dispatch, adds (sync match, forward, write)
// and the completions of forwarded polls and backlog.
#include "common/errors.h"
#include "services/matching/partition.h"

namespace tern::matching {
namespace {

// An add tries at most this many waiting pollers whose RPC died during the record-start.
constexpr int kMaxSyncAttempts = 3;

// History says the task can no longer start: already started, workflow or activity gone.
bool IsStale(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound ||
         status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kAlreadyExists;
}

}  // namespace

// ---- the matching loop -------------------------------------------------------------------------

void Partition::MatchLocked(Deferred& after) {
  if (state_ == State::kUnloaded) return;
  DispatchQueriesLocked(after);
  if (!dispatch_paused_) {
    while (!waiting_.empty()) {
      auto task = backlog_->Claim();
      if (!task) break;
      auto poller = PopWaitingLocked();
      StartRecordLocked(poller, *task, after,
                        [this, poller, task = *task](absl::Status status, Deferred& after) {
                          OnDispatchDone(poller, task, std::move(status), after);
                        });
    }
  }
  if (!forwarder_) return;
  // Idle polls go to the root, which sees the tasks of every partition.
  while (forwarder_->CanForwardPoll() && !backlog_->HasUnclaimed()) {
    auto it = FindForwardableLocked();
    if (it == waiting_.end()) break;
    auto poller = *it;
    waiting_.erase(it);
    StartForwardPollLocked(std::move(poller), after);
  }
  // Backlog nobody here polls for is offered to the root's pollers.
  if (waiting_.empty() && forwarder_->BacklogSlotFree()) {
    if (auto task = backlog_->Claim()) {
      auto self = shared_from_this();
      forwarder_->ForwardBacklogTask(*task, after, [self, id = task->task_id](bool matched) {
        self->OnForwardBacklogDone(id, matched);
      });
    }
  }
}

void Partition::PauseDispatchLocked() {
  dispatch_paused_ = true;
  std::weak_ptr<Partition> weak_self = weak_from_this();
  dispatch_backoff_timer_ =
      core_->timers.PostAfter(core_->options.dispatch_retry_backoff, [weak_self] {
        auto self = weak_self.lock();
        if (!self) return;
        Deferred after;
        std::lock_guard lock(self->mu_);
        self->dispatch_paused_ = false;
        self->MatchLocked(after);
      });
}

void Partition::StartRecordLocked(const std::shared_ptr<Poller>& poller, const Task& task,
                                  Deferred& after,
                                  std::function<void(absl::Status, Deferred&)> on_done) {
  MoveAwayLocked(poller, Poller::State::kMatching);
  client::CallOptions options{
      std::min(poller->rpc_deadline, core_->clock.Now() + core_->options.record_start_timeout),
      true, poller->call};
  auto self = shared_from_this();
  after(
      [self, poller, task, options, on_done = std::move(on_done), token = core_->tracker->Begin()] {
        poller->RecordStart(self->core_->history, task, options,
                            [self, on_done, token](absl::Status status) {
                              Deferred after;
                              std::lock_guard lock(self->mu_);
                              on_done(std::move(status), after);
                              self->MatchLocked(after);
                            });
      });
}

// ---- backlog dispatch --------------------------------------------------------------------------

void Partition::OnDispatchDone(const std::shared_ptr<Poller>& poller, const Task& task,
                               absl::Status status, Deferred& after) {
  const int64_t task_id = task.task_id;
  if (status.ok() || IsStale(status)) {
    backlog_->Ack(task_id);
    if (!status.ok()) {
      (*log_)(spdlog::level::debug, status, "matching: dropping stale {} task {}",
              log_->task_type(), task_id);
      ReturnPollerLocked(poller, after);
    } else if (poller->state == Poller::State::kMatching) {
      away_.erase(poller->list_pos);
      MatchedLocked(false, task, false);
      FinishLocked(poller, after, [](Poller& q) { q.FinishWithTask(); });
    } else {
      // The poll went away after history recorded the start; history's start-to-close (or
      // workflow-task) timeout makes the task available again.
      (*log_)(spdlog::level::info, absl::OkStatus(),
              "matching: the poll of {} task {} ended before delivery", log_->task_type(), task_id);
    }
    return;
  }
  bool poller_gone = poller->state == Poller::State::kDone;
  backlog_->Release(task_id, status);
  ReturnPollerLocked(poller, after);
  if (!(poller_gone && status.code() == absl::StatusCode::kCancelled) &&
      state_ != State::kUnloaded) {
    (*log_)(spdlog::level::warn, status, "matching: record-start of {} task {} failed",
            log_->task_type(), task_id);
    PauseDispatchLocked();
  }
}

void Partition::MatchedLocked(bool sync, const Task& task, bool count_add) {
  TimePoint now = core_->clock.Now();
  metrics_->Matched(sync, FromProto(task.info.create_time()), now);
  dispatched_.Record(now);
  if (count_add) added_.Record(now);
}

// ---- adds --------------------------------------------------------------------------------------

void Partition::Add(AddOpPtr op) {
  Deferred after;
  std::lock_guard lock(mu_);
  AddLocked(std::move(op), after);
}

void Partition::AddLocked(AddOpPtr op, Deferred& after) {
  if (state_ == State::kUnloaded) {
    after([op, st = unload_status_] { op->done(st); });
    return;
  }
  last_activity_ = core_->clock.Now();
  if (sticky_ && waiting_.empty() && away_.empty() &&
      last_activity_ - last_poll_end_ > core_->options.sticky_poller_unavailable_window) {
    after([op, name = key_.name] { op->done(StickyWorkerUnavailableError(name)); });
    return;
  }
  if (!dispatch_paused_ && op->sync_attempts < kMaxSyncAttempts && !waiting_.empty()) {
    ++op->sync_attempts;
    auto poller = PopWaitingLocked();
    StartRecordLocked(poller, op->task, after,
                      [this, poller, op](absl::Status status, Deferred& after) {
                        OnSyncMatchDone(poller, op, std::move(status), after);
                      });
    return;
  }
  if (op->forwarded) {
    after([op] { op->done(false); });
    return;
  }
  if (forwarder_ && !op->forward_tried) {
    op->forward_tried = true;
    auto self = shared_from_this();
    after([self, op] {
      self->forwarder_->ForwardTask(op->task, op->deadline,
                                    [self, op](absl::StatusOr<bool> matched) {
                                      if (matched.ok() && *matched) {
                                        {
                                          std::lock_guard lock(self->mu_);
                                          self->added_.Record(self->core_->clock.Now());
                                        }
                                        return op->done(true);
                                      }
                                      // Not taken at the root: a local poller that arrived
                                      // meanwhile, else the backlog.
                                      self->Add(op);
                                    });
    });
    return;
  }
  added_.Record(last_activity_);
  backlog_->Write(std::move(op), after);
}

void Partition::OnSyncMatchDone(const std::shared_ptr<Poller>& poller, AddOpPtr op,
                                absl::Status status, Deferred& after) {
  if (status.ok()) {
    if (poller->state == Poller::State::kMatching) {
      away_.erase(poller->list_pos);
      MatchedLocked(true, op->task, !op->forwarded);
      FinishLocked(poller, after, [](Poller& q) { q.FinishWithTask(); });
    } else {
      (*log_)(spdlog::level::info, absl::OkStatus(),
              "matching: a poll ended before delivery of a sync-matched {} task",
              log_->task_type());
    }
    after([op] { op->done(true); });
  } else if (IsStale(status)) {
    (*log_)(spdlog::level::debug, status, "matching: dropping a stale {} task", log_->task_type());
    ReturnPollerLocked(poller, after);
    after([op] { op->done(true); });
  } else {
    bool poller_gone = poller->state == Poller::State::kDone;
    ReturnPollerLocked(poller, after);
    if (!(poller_gone && status.code() == absl::StatusCode::kCancelled) &&
        state_ != State::kUnloaded) {
      // History is in trouble: keep the task in the backlog rather than trying more pollers.
      (*log_)(spdlog::level::warn, status,
              "matching: record-start of a sync-matched {} task failed", log_->task_type());
      op->sync_attempts = kMaxSyncAttempts;
    }
    AddLocked(op, after);
  }
}

// ---- forwarding to the root --------------------------------------------------------------------

void Partition::StartForwardPollLocked(std::shared_ptr<Poller> poller, Deferred& after) {
  MoveAwayLocked(poller, Poller::State::kForwarded);
  auto self = shared_from_this();
  forwarder_->ForwardPoll(poller, after, [self, poller](absl::Status status, bool has_task) {
    self->OnForwardPollDone(poller, std::move(status), has_task);
  });
}

void Partition::OnForwardPollDone(std::shared_ptr<Poller> poller, absl::Status status,
                                  bool has_task) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (poller->state == Poller::State::kForwarded) {
    if (status.ok() && has_task) {
      away_.erase(poller->list_pos);
      FinishLocked(poller, after, [](Poller& q) { q.FinishWithTask(); });
    } else {
      if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
        (*log_)(spdlog::level::debug, status, "matching: a forwarded {} poll failed",
                log_->task_type());
      }
      poller->no_forward = true;
      ReturnPollerLocked(poller, after);
    }
  } else if (has_task) {
    (*log_)(spdlog::level::info, absl::OkStatus(),
            "matching: a forwarded {} poll ended before delivery", log_->task_type());
  }
  MatchLocked(after);
}

void Partition::OnForwardBacklogDone(int64_t task_id, bool matched) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (matched) {
    backlog_->Ack(task_id);
  } else {
    backlog_->Release(task_id, absl::OkStatus());
  }
  MatchLocked(after);
}

}  // namespace tern::matching
