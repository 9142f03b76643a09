#include "services/matching/partition.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "common/task_queue_names.h"

namespace tern::matching {
namespace {

namespace enums = temporal::api::enums::v1;
using std::chrono::milliseconds;

// Task ids of a lease are (range_id << 20, (range_id + 1) << 20] (persistence/store.h).
constexpr int kRangeBits = 20;
constexpr int64_t kRangeSize = int64_t{1} << kRangeBits;
// An add tries at most this many waiting pollers whose RPC died during the record-start.
constexpr int kMaxSyncAttempts = 3;
// A backlog task that history keeps rejecting with a non-retryable error is dropped after this
// many attempts rather than blocking the queue forever.
constexpr int kMaxDispatchFailures = 5;
constexpr milliseconds kReadRetryDelay{1000};

// History says the task can no longer start: already started, workflow or activity gone.
bool IsStale(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound ||
         status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kAlreadyExists;
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

bool HasExpiry(const persistence::v1::MatchingTask& task) {
  return task.has_expiry_time() &&
         (task.expiry_time().seconds() != 0 || task.expiry_time().nanos() != 0);
}

absl::Status OwnershipLost() { return ShardOwnershipLostError(0, ""); }

struct WorkflowTraits {
  using Request = ms::PollWorkflowTaskQueueRequest;
  using Response = ws::PollWorkflowTaskQueueResponse;
  using RecordRequest = hs::RecordWorkflowTaskStartedRequest;
  static void Record(client::HistoryClient& history, const RecordRequest& request,
                     client::CallOptions options, client::Callback<Response> done) {
    history.RecordWorkflowTaskStarted(request, std::move(options), std::move(done));
  }
  static void Forward(client::MatchingClient& matching, const Request& request,
                      client::CallOptions options, client::Callback<Response> done) {
    matching.PollWorkflowTaskQueue(request, std::move(options), std::move(done));
  }
};

struct ActivityTraits {
  using Request = ms::PollActivityTaskQueueRequest;
  using Response = ws::PollActivityTaskQueueResponse;
  using RecordRequest = hs::RecordActivityTaskStartedRequest;
  static void Record(client::HistoryClient& history, const RecordRequest& request,
                     client::CallOptions options, client::Callback<Response> done) {
    history.RecordActivityTaskStarted(request, std::move(options), std::move(done));
  }
  static void Forward(client::MatchingClient& matching, const Request& request,
                      client::CallOptions options, client::Callback<Response> done) {
    matching.PollActivityTaskQueue(request, std::move(options), std::move(done));
  }
};

template <typename Traits>
class TypedPoller final : public Poller {
 public:
  using Request = typename Traits::Request;
  using Response = typename Traits::Response;

  TypedPoller(Request request, TimePoint timeout_at, TimePoint rpc_deadline,
              client::Callback<Response> done)
      : Poller(request.poller_id(), request.poll_request().identity(),
               !request.forwarded_from().empty(), timeout_at, rpc_deadline),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void RecordStart(client::HistoryClient& history, const Task& task, client::CallOptions options,
                   std::function<void(absl::Status)> done) override {
    typename Traits::RecordRequest record;
    record.set_namespace_id(task.info.namespace_id());
    record.mutable_workflow_execution()->set_workflow_id(task.info.workflow_id());
    record.mutable_workflow_execution()->set_run_id(task.info.run_id());
    record.set_scheduled_event_id(task.info.scheduled_event_id());
    record.set_request_id(poller_id);
    *record.mutable_poll_request() = request_.poll_request();
    // History sees the queue the worker polled, not the partition this poll landed on.
    auto* task_queue = record.mutable_poll_request()->mutable_task_queue();
    task_queue->set_name(ParsePartitionName(task_queue->name()).base_name);
    auto self = std::static_pointer_cast<TypedPoller>(shared_from_this());
    Traits::Record(history, record, std::move(options),
                   [self, done = std::move(done)](absl::StatusOr<Response> response) {
                     absl::Status status = response.status();
                     if (status.ok()) self->response_ = *std::move(response);
                     done(std::move(status));
                   });
  }

  void Forward(client::MatchingClient& matching, const std::string& root_name,
               const std::string& from_name, client::CallOptions options,
               std::function<void(absl::Status, bool)> done) override {
    Request forwarded = request_;
    forwarded.mutable_poll_request()->mutable_task_queue()->set_name(root_name);
    forwarded.set_forwarded_from(from_name);
    auto self = std::static_pointer_cast<TypedPoller>(shared_from_this());
    Traits::Forward(matching, forwarded, std::move(options),
                    [self, done = std::move(done)](absl::StatusOr<Response> response) {
                      if (!response.ok()) return done(response.status(), false);
                      bool has_task = !response->task_token().empty();
                      if (has_task) self->response_ = *std::move(response);
                      done(absl::OkStatus(), has_task);
                    });
  }

  void FinishWithTask() override { done_(std::move(response_)); }
  void FinishWithQuery(const ws::PollWorkflowTaskQueueResponse& task) override {
    if constexpr (std::is_same_v<Response, ws::PollWorkflowTaskQueueResponse>) {
      done_(task);
    } else {
      // The engine dispatches queries on workflow partitions only.
      done_(absl::InternalError("a query task reached an activity poller"));
    }
  }
  void FinishEmpty() override { done_(Response()); }
  void FinishError(absl::Status status) override { done_(std::move(status)); }

 private:
  const Request request_;
  const client::Callback<Response> done_;
  Response response_;  // written by the record-start/forward callback, read by FinishWithTask
};

}  // namespace

// ---- OpTracker ---------------------------------------------------------------------------------

std::shared_ptr<void> OpTracker::Begin() {
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  auto self = shared_from_this();
  return std::shared_ptr<void>(new char, [self](void* p) {
    delete static_cast<char*>(p);
    {
      std::lock_guard lock(self->mu_);
      --self->in_flight_;
    }
    self->idle_.notify_all();
  });
}

bool OpTracker::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return in_flight_ == 0; });
}

// ---- Poller ------------------------------------------------------------------------------------

void Poller::Cancel() {
  // `partition` is set before the handle is returned and never changes afterwards.
  if (auto p = partition.lock()) p->CancelPoll(shared_from_this());
}

std::shared_ptr<Poller> NewWorkflowPoller(
    const ms::PollWorkflowTaskQueueRequest& request, TimePoint timeout_at, TimePoint rpc_deadline,
    client::Callback<ws::PollWorkflowTaskQueueResponse> done) {
  return std::make_shared<TypedPoller<WorkflowTraits>>(request, timeout_at, rpc_deadline,
                                                       std::move(done));
}

std::shared_ptr<Poller> NewActivityPoller(
    const ms::PollActivityTaskQueueRequest& request, TimePoint timeout_at, TimePoint rpc_deadline,
    client::Callback<ws::PollActivityTaskQueueResponse> done) {
  return std::make_shared<TypedPoller<ActivityTraits>>(request, timeout_at, rpc_deadline,
                                                       std::move(done));
}

absl::Status QueryNotFoundError() {
  return NotFoundError("query task not found: unknown id, or the query already timed out");
}

void QueryOp::Cancel() {
  // `partition` is set before the handle is returned and never changes afterwards.
  if (auto p = partition.lock()) p->CancelQuery(shared_from_this());
}

// ---- Partition: lifecycle ----------------------------------------------------------------------

Partition::Partition(std::shared_ptr<EngineCore> core, persistence::TaskQueueKey key,
                     std::string placement_key, enums::TaskQueueKind kind)
    : core_(std::move(core)),
      key_(std::move(key)),
      placement_key_(std::move(placement_key)),
      base_name_(ParsePartitionName(key_.name).base_name),
      partition_index_(ParsePartitionName(key_.name).partition),
      sticky_(kind == enums::TASK_QUEUE_KIND_STICKY),
      kind_(kind == enums::TASK_QUEUE_KIND_STICKY ? kind : enums::TASK_QUEUE_KIND_NORMAL) {
  last_activity_ = core_->clock.Now();
}

bool Partition::loaded() const {
  std::lock_guard lock(mu_);
  return state_ == State::kLoaded;
}

size_t Partition::parked_polls() const {
  std::lock_guard lock(mu_);
  return waiting_.size() + away_.size();
}

void Partition::RunBlocking(std::function<void()> fn) {
  core_->blocking.Post([token = core_->tracker->Begin(), fn = std::move(fn)] { fn(); });
}

void Partition::Load() {
  auto self = shared_from_this();
  RunBlocking([self] { self->OnLeased(self->core_->store->LeaseTaskQueue(self->key_)); });
}

void Partition::OnLeased(absl::StatusOr<persistence::TaskQueueLease> lease) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (state_ != State::kLoading) return;  // unloaded meanwhile; the lease is simply unused
  if (!lease.ok()) {
    spdlog::warn("matching: leasing task queue partition {} failed: {}", placement_key_,
                 lease.status().ToString());
    UnloadLocked(Reason::kLoadFailed,
                 absl::UnavailableError(absl::StrCat("task queue partition could not be loaded: ",
                                                     lease.status().message())),
                 after);
    return;
  }
  range_id_ = lease->range_id;
  next_seq_ = 0;
  info_ = lease->info;
  info_.set_namespace_id(key_.namespace_id);
  info_.set_name(key_.name);
  info_.set_task_type(static_cast<enums::TaskQueueType>(key_.task_type));
  info_.set_kind(kind_);
  read_level_ = info_.ack_level();
  unread_in_db_ = true;
  state_ = State::kLoaded;
  last_lease_check_ = core_->clock.Now();
  spdlog::debug("matching: loaded partition {} range_id={}", placement_key_, range_id_);
  MatchLocked(after);
}

void Partition::Unload(Reason reason, absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  UnloadLocked(reason, std::move(status), after);
}

void Partition::UnloadLocked(Reason reason, absl::Status status, Deferred& after) {
  if (state_ == State::kUnloaded) return;
  state_ = State::kUnloaded;
  unload_status_ = reason == Reason::kLoadFailed ? std::move(status) : OwnershipLost();
  if (reason == Reason::kIdle || reason == Reason::kStopped || reason == Reason::kReleased) {
    spdlog::debug("matching: unloading partition {}", placement_key_);
  } else {
    spdlog::info("matching: unloading partition {} ({})", placement_key_,
                 reason == Reason::kRingMoved ? "ring moved"
                 : reason == Reason::kFenced  ? "lease taken by another host"
                                              : "load failed");
  }
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& p : waiting) {
    if (reason == Reason::kLoadFailed) {
      FinishLocked(p, after, [st = unload_status_](Poller& q) { q.FinishError(st); });
    } else {
      FinishLocked(p, after, [](Poller& q) { q.FinishEmpty(); });
    }
  }
  // Queries cannot outlive the partition: callers retry against the new owner.
  while (!queries_.empty()) FinishQueryLocked(queries_.begin()->second, after, unload_status_);
  // Forwarded polls are answered now; record-starts in flight finish first (a task may be
  // handed over), unless we are shutting down.
  for (auto it = away_.begin(); it != away_.end();) {
    auto p = *it;
    if (p->state == Poller::State::kForwarded || reason == Reason::kStopped) {
      if (auto call = p->call) after([call] { call->Cancel(); });
    }
    if (p->state == Poller::State::kForwarded) {
      it = away_.erase(it);
      FinishLocked(p, after, [](Poller& q) { q.FinishEmpty(); });
    } else {
      p->timed_out = true;
      ++it;
    }
  }
  for (auto& op : pending_writes_) after([op, st = unload_status_] { op->done(st); });
  pending_writes_.clear();
  buffer_.clear();
  for (auto* timer : {&dispatch_backoff_timer_, &backlog_forward_timer_, &read_retry_timer_}) {
    if (auto t = *timer) after([t] { t->Cancel(); });
  }
  auto self = shared_from_this();
  bool fenced = reason == Reason::kFenced;
  after([self, fenced] {
    if (self->core_->on_unloaded) self->core_->on_unloaded(self.get(), fenced);
  });
}

void Partition::Maintain(TimePoint now) {
  Deferred after;
  std::lock_guard lock(mu_);
  for (auto it = pollers_seen_.begin(); it != pollers_seen_.end();) {
    if (now - it->second > core_->options.poller_history_ttl) {
      it = pollers_seen_.erase(it);
    } else {
      ++it;
    }
  }
  if (state_ != State::kLoaded) return;
  bool idle = waiting_.empty() && away_.empty() && queries_.empty() && buffer_.empty() &&
              pending_writes_.empty() && !write_in_flight_ && !read_in_flight_ && !unread_in_db_ &&
              !backlog_forward_in_flight_ && !delete_in_flight_ && pending_deletes_.empty() &&
              now - last_activity_ >= core_->options.idle_unload_after;
  if (idle) {
    UnloadLocked(Reason::kIdle, absl::OkStatus(), after);
    return;
  }
  // The lease check shares the writer's slot so it never races a range renewal.
  if (!write_in_flight_ && now - last_lease_check_ >= core_->options.lease_check_interval) {
    write_in_flight_ = true;
    last_lease_check_ = now;
    info_.mutable_last_update_time()->CopyFrom(ToProto(now));
    auto self = shared_from_this();
    RunBlocking([self, range = range_id_, info = info_] {
      self->OnLeaseChecked(self->core_->store->UpdateTaskQueue(self->key_, range, info));
    });
  }
}

void Partition::OnLeaseChecked(absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  write_in_flight_ = false;
  if (persistence::IsFencingError(status)) {
    UnloadLocked(Reason::kFenced, absl::OkStatus(), after);
    return;
  }
  if (!status.ok()) {
    spdlog::warn("matching: lease check of {} failed: {}", placement_key_, status.ToString());
  }
  MatchLocked(after);
}

// ---- Partition: polls --------------------------------------------------------------------------

void Partition::Poll(std::shared_ptr<Poller> poller) {
  Deferred after;
  std::lock_guard lock(mu_);
  poller->partition = weak_from_this();
  if (state_ == State::kUnloaded) {
    FinishLocked(poller, after, [st = unload_status_](Poller& q) { q.FinishError(st); });
    return;
  }
  TimePoint now = core_->clock.Now();
  last_activity_ = now;
  last_poll_end_ = now;
  if (!poller->forwarded_in && !poller->identity.empty()) pollers_seen_[poller->identity] = now;
  poller->state = Poller::State::kWaiting;
  poller->list_pos = waiting_.insert(waiting_.end(), poller);
  auto delay =
      std::max<std::chrono::nanoseconds>(poller->timeout_at - now, std::chrono::nanoseconds(0));
  std::weak_ptr<Partition> weak_self = weak_from_this();
  std::weak_ptr<Poller> weak_poller = poller;
  poller->timer = core_->timers.PostAfter(delay, [weak_self, weak_poller] {
    auto self = weak_self.lock();
    auto p = weak_poller.lock();
    if (self && p) self->OnPollTimeout(p);
  });
  MatchLocked(after);
}

void Partition::CancelPoll(const std::shared_ptr<Poller>& poller) {
  Deferred after;
  std::lock_guard lock(mu_);
  switch (poller->state) {
    case Poller::State::kNew:
    case Poller::State::kDone:
      return;
    case Poller::State::kWaiting:
      waiting_.erase(poller->list_pos);
      break;
    case Poller::State::kMatching:
    case Poller::State::kForwarded:
      // The record-start or forward finishes on its own; its callback sees the poll is done.
      away_.erase(poller->list_pos);
      if (auto call = poller->call) after([call] { call->Cancel(); });
      break;
  }
  FinishLocked(poller, after, [](Poller& q) {
    q.FinishError(absl::CancelledError("poll cancelled by the caller"));
  });
}

void Partition::OnPollTimeout(const std::shared_ptr<Poller>& poller) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (poller->state == Poller::State::kWaiting) {
    waiting_.erase(poller->list_pos);
    FinishLocked(poller, after, [](Poller& q) { q.FinishEmpty(); });
  } else if (poller->state == Poller::State::kMatching ||
             poller->state == Poller::State::kForwarded) {
    poller->timed_out = true;  // answered when the call in flight returns
  }
}

void Partition::FinishLocked(const std::shared_ptr<Poller>& poller, Deferred& after,
                             std::function<void(Poller&)> finish) {
  poller->state = Poller::State::kDone;
  last_poll_end_ = core_->clock.Now();
  if (auto timer = poller->timer) after([timer] { timer->Cancel(); });
  after([poller, finish = std::move(finish)] { finish(*poller); });
}

void Partition::MoveAwayLocked(const std::shared_ptr<Poller>& poller, Poller::State state) {
  poller->state = state;
  poller->list_pos = away_.insert(away_.end(), poller);
  poller->call = std::make_shared<client::CallHandle>();
}

void Partition::ReturnPollerLocked(const std::shared_ptr<Poller>& poller, Deferred& after) {
  if (poller->state == Poller::State::kDone) return;
  away_.erase(poller->list_pos);
  poller->call.reset();
  if (poller->timed_out || state_ == State::kUnloaded || core_->clock.Now() >= poller->timeout_at) {
    FinishLocked(poller, after, [](Poller& q) { q.FinishEmpty(); });
    return;
  }
  poller->state = Poller::State::kWaiting;
  poller->list_pos = waiting_.insert(waiting_.begin(), poller);
}

std::shared_ptr<Poller> Partition::PopWaitingLocked() {
  if (waiting_.empty()) return nullptr;
  auto poller = waiting_.front();
  waiting_.pop_front();
  return poller;
}

std::shared_ptr<Poller> Partition::PopForwardableLocked() {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if ((*it)->no_forward || (*it)->forwarded_in) continue;
    auto poller = *it;
    waiting_.erase(it);
    return poller;
  }
  return nullptr;
}

// ---- Partition: the matching loop --------------------------------------------------------------

void Partition::MatchLocked(Deferred& after) {
  if (state_ != State::kUnloaded) {
    DispatchQueriesLocked(after);
    if (!dispatch_paused_) {
      while (!waiting_.empty()) {
        auto it = NextAvailableLocked();
        if (it == buffer_.end()) break;
        StartDispatchLocked(PopWaitingLocked(), it, after);
      }
    }
    if (CanForward()) {
      // Idle polls go to the root, which sees the tasks of every partition.
      while (forwarded_polls_ < core_->options.max_forwarded_polls &&
             NextAvailableLocked() == buffer_.end()) {
        auto poller = PopForwardableLocked();
        if (!poller) break;
        StartForwardPollLocked(std::move(poller), after);
      }
      // Backlog nobody here polls for is offered to the root's pollers.
      if (waiting_.empty() && !backlog_forward_in_flight_ && !backlog_forward_paused_) {
        auto it = NextAvailableLocked();
        if (it != buffer_.end()) StartForwardBacklogLocked(it, after);
      }
    }
    MaybeWriteLocked(after);
    MaybeReadLocked(after);
  }
  MaybeDeleteLocked(after);
}

Partition::BufferIt Partition::NextAvailableLocked() {
  TimePoint now = core_->clock.Now();
  for (auto it = buffer_.begin(); it != buffer_.end();) {
    if (it->second.busy) {
      ++it;
      continue;
    }
    const auto& info = it->second.task.info;
    if (HasExpiry(info) && FromProto(info.expiry_time()) <= now) {
      spdlog::debug("matching: dropping expired task {} of {}", it->first, placement_key_);
      pending_deletes_.push_back(it->first);
      it = buffer_.erase(it);
      continue;
    }
    return it;
  }
  return buffer_.end();
}

void Partition::PauseLocked(std::shared_ptr<Executor::Timer>* timer, bool* paused,
                            std::chrono::milliseconds delay) {
  *paused = true;
  std::weak_ptr<Partition> weak_self = weak_from_this();
  *timer = core_->timers.PostAfter(delay, [weak_self, paused] {
    auto self = weak_self.lock();
    if (!self) return;
    Deferred after;
    std::lock_guard lock(self->mu_);
    *paused = false;
    self->MatchLocked(after);
  });
}

// ---- Partition: backlog dispatch ---------------------------------------------------------------

void Partition::StartDispatchLocked(std::shared_ptr<Poller> poller, BufferIt it, Deferred& after) {
  it->second.busy = true;
  MoveAwayLocked(poller, Poller::State::kMatching);
  client::CallOptions options{
      std::min(poller->rpc_deadline, core_->clock.Now() + core_->options.record_start_timeout),
      true, poller->call};
  auto self = shared_from_this();
  after([self, poller, task = it->second.task, options, token = core_->tracker->Begin()] {
    poller->RecordStart(self->core_->history, task, options,
                        [self, poller, id = task.task_id, token](absl::Status status) {
                          self->OnDispatchDone(poller, id, std::move(status));
                        });
  });
}

void Partition::OnDispatchDone(std::shared_ptr<Poller> poller, int64_t task_id,
                               absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  auto it = buffer_.find(task_id);
  if (status.ok() || IsStale(status)) {
    if (it != buffer_.end()) buffer_.erase(it);
    pending_deletes_.push_back(task_id);
    if (!status.ok()) {
      spdlog::debug("matching: dropping stale task {} of {}: {}", task_id, placement_key_,
                    status.ToString());
      ReturnPollerLocked(poller, after);
    } else if (poller->state == Poller::State::kMatching) {
      away_.erase(poller->list_pos);
      FinishLocked(poller, after, [](Poller& q) { q.FinishWithTask(); });
    } else {
      // The poll went away after history recorded the start; history's start-to-close (or
      // workflow-task) timeout makes the task available again.
      spdlog::info("matching: poll of task {} ({}) ended before delivery", task_id, placement_key_);
    }
  } else {
    bool poller_gone = poller->state == Poller::State::kDone;
    if (it != buffer_.end()) {
      it->second.busy = false;
      if (!IsRetryable(status) && ++it->second.failures >= kMaxDispatchFailures) {
        spdlog::error("matching: dropping task {} of {} after {} failed record-starts: {}", task_id,
                      placement_key_, it->second.failures, status.ToString());
        buffer_.erase(it);
        pending_deletes_.push_back(task_id);
      }
    }
    ReturnPollerLocked(poller, after);
    if (!(poller_gone && status.code() == absl::StatusCode::kCancelled) &&
        state_ != State::kUnloaded) {
      spdlog::warn("matching: record-start of task {} ({}) failed: {}", task_id, placement_key_,
                   status.ToString());
      PauseLocked(&dispatch_backoff_timer_, &dispatch_paused_,
                  core_->options.dispatch_retry_backoff);
    }
  }
  MatchLocked(after);
}

// ---- Partition: adds ---------------------------------------------------------------------------

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
    StartSyncMatchLocked(PopWaitingLocked(), std::move(op), after);
    return;
  }
  if (op->forwarded) {
    after([op] { op->done(false); });
    return;
  }
  if (CanForward() && !op->forward_tried) {
    op->forward_tried = true;
    auto self = shared_from_this();
    after([self, op] {
      self->ForwardTask(op->task, op->deadline, [self, op](absl::StatusOr<bool> matched) {
        if (matched.ok() && *matched) return op->done(true);
        // Not taken at the root: a local poller that arrived meanwhile, else the backlog.
        self->Add(op);
      });
    });
    return;
  }
  pending_writes_.push_back(std::move(op));
  MaybeWriteLocked(after);
}

void Partition::StartSyncMatchLocked(std::shared_ptr<Poller> poller, AddOpPtr op, Deferred& after) {
  ++op->sync_attempts;
  MoveAwayLocked(poller, Poller::State::kMatching);
  client::CallOptions options{
      std::min(poller->rpc_deadline, core_->clock.Now() + core_->options.record_start_timeout),
      true, poller->call};
  auto self = shared_from_this();
  after([self, poller, op, options, token = core_->tracker->Begin()] {
    poller->RecordStart(self->core_->history, op->task, options,
                        [self, poller, op, token](absl::Status status) {
                          self->OnSyncMatchDone(poller, op, std::move(status));
                        });
  });
}

void Partition::OnSyncMatchDone(std::shared_ptr<Poller> poller, AddOpPtr op, absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (status.ok()) {
    if (poller->state == Poller::State::kMatching) {
      away_.erase(poller->list_pos);
      FinishLocked(poller, after, [](Poller& q) { q.FinishWithTask(); });
    } else {
      spdlog::info("matching: poll ended before delivery of a sync-matched task ({})",
                   placement_key_);
    }
    after([op] { op->done(true); });
  } else if (IsStale(status)) {
    spdlog::debug("matching: dropping stale task of {}: {}", placement_key_, status.ToString());
    ReturnPollerLocked(poller, after);
    after([op] { op->done(true); });
  } else {
    bool poller_gone = poller->state == Poller::State::kDone;
    ReturnPollerLocked(poller, after);
    if (!(poller_gone && status.code() == absl::StatusCode::kCancelled) &&
        state_ != State::kUnloaded) {
      // History is in trouble: keep the task in the backlog rather than trying more pollers.
      spdlog::warn("matching: sync-match record-start on {} failed: {}", placement_key_,
                   status.ToString());
      op->sync_attempts = kMaxSyncAttempts;
    }
    AddLocked(op, after);
  }
  MatchLocked(after);
}

// ---- Partition: forwarding to the root ---------------------------------------------------------

void Partition::StartForwardPollLocked(std::shared_ptr<Poller> poller, Deferred& after) {
  MoveAwayLocked(poller, Poller::State::kForwarded);
  ++forwarded_polls_;
  // The root answers empty at its own min(expiration, deadline - margin), i.e. at our timeout.
  client::CallOptions options{poller->timeout_at + core_->options.poll_deadline_margin,
                              /*retry=*/false, poller->call};
  auto self = shared_from_this();
  after([self, poller, options, root = PartitionName(base_name_, 0),
         token = core_->tracker->Begin()] {
    poller->Forward(self->core_->matching, root, self->key_.name, options,
                    [self, poller, token](absl::Status status, bool has_task) {
                      self->OnForwardPollDone(poller, std::move(status), has_task);
                    });
  });
}

void Partition::OnForwardPollDone(std::shared_ptr<Poller> poller, absl::Status status,
                                  bool has_task) {
  Deferred after;
  std::lock_guard lock(mu_);
  --forwarded_polls_;
  if (poller->state == Poller::State::kForwarded) {
    if (status.ok() && has_task) {
      away_.erase(poller->list_pos);
      FinishLocked(poller, after, [](Poller& q) { q.FinishWithTask(); });
    } else {
      if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
        spdlog::debug("matching: forwarded poll from {} failed: {}", placement_key_,
                      status.ToString());
      }
      poller->no_forward = true;
      ReturnPollerLocked(poller, after);
    }
  } else if (has_task) {
    spdlog::info("matching: forwarded poll from {} ended before delivery", placement_key_);
  }
  MatchLocked(after);
}

void Partition::ForwardTask(const Task& task, TimePoint deadline,
                            std::function<void(absl::StatusOr<bool>)> done) {
  TimePoint now = core_->clock.Now();
  // Forwarding is opportunistic: no routing retries, an unmatched or failed forward persists.
  client::CallOptions options{
      std::min(deadline, now + core_->options.record_start_timeout + milliseconds(1000)),
      /*retry=*/false, nullptr};
  auto fill = [&](auto& request) {
    request.set_namespace_id(task.info.namespace_id());
    request.mutable_execution()->set_workflow_id(task.info.workflow_id());
    request.mutable_execution()->set_run_id(task.info.run_id());
    request.mutable_task_queue()->set_name(PartitionName(base_name_, 0));
    request.mutable_task_queue()->set_kind(kind_);
    request.set_scheduled_event_id(task.info.scheduled_event_id());
    if (HasExpiry(task.info)) {
      auto left = FromProto(task.info.expiry_time()) - now;
      if (left > std::chrono::nanoseconds(0)) {
        *request.mutable_schedule_to_start_timeout() = ToProtoDuration(left);
      }
    }
    request.set_forwarded_from(key_.name);
  };
  auto token = core_->tracker->Begin();
  if (key_.task_type == enums::TASK_QUEUE_TYPE_WORKFLOW) {
    ms::AddWorkflowTaskRequest request;
    fill(request);
    core_->matching.AddWorkflowTask(
        request, options, [done, token](absl::StatusOr<ms::AddWorkflowTaskResponse> response) {
          if (!response.ok()) return done(response.status());
          done(response->matched());
        });
  } else {
    ms::AddActivityTaskRequest request;
    fill(request);
    core_->matching.AddActivityTask(
        request, options, [done, token](absl::StatusOr<ms::AddActivityTaskResponse> response) {
          if (!response.ok()) return done(response.status());
          done(response->matched());
        });
  }
}

void Partition::StartForwardBacklogLocked(BufferIt it, Deferred& after) {
  it->second.busy = true;
  backlog_forward_in_flight_ = true;
  auto self = shared_from_this();
  after([self, task = it->second.task] {
    TimePoint deadline = self->core_->clock.Now() + self->core_->options.record_start_timeout;
    self->ForwardTask(task, deadline, [self, id = task.task_id](absl::StatusOr<bool> matched) {
      self->OnForwardBacklogDone(id, std::move(matched));
    });
  });
}

void Partition::OnForwardBacklogDone(int64_t task_id, absl::StatusOr<bool> matched) {
  Deferred after;
  std::lock_guard lock(mu_);
  backlog_forward_in_flight_ = false;
  auto it = buffer_.find(task_id);
  if (matched.ok() && *matched) {
    if (it != buffer_.end()) buffer_.erase(it);
    pending_deletes_.push_back(task_id);
    backlog_forward_backoff_ = milliseconds(0);
  } else {
    if (it != buffer_.end()) it->second.busy = false;
    if (state_ != State::kUnloaded) {
      backlog_forward_backoff_ =
          backlog_forward_backoff_.count() == 0
              ? core_->options.forward_backoff_initial
              : std::min(backlog_forward_backoff_ * 2, core_->options.forward_backoff_max);
      PauseLocked(&backlog_forward_timer_, &backlog_forward_paused_, backlog_forward_backoff_);
    }
  }
  MatchLocked(after);
}

// ---- Partition: backlog writer, reader, deleter ------------------------------------------------

void Partition::MaybeWriteLocked(Deferred& after) {
  if (state_ != State::kLoaded || write_in_flight_ || pending_writes_.empty()) return;
  std::vector<AddOpPtr> batch;
  while (!pending_writes_.empty() && static_cast<int>(batch.size()) < core_->options.write_batch) {
    batch.push_back(std::move(pending_writes_.front()));
    pending_writes_.pop_front();
  }
  write_in_flight_ = true;
  bool renew = next_seq_ + static_cast<int64_t>(batch.size()) > kRangeSize;
  if (!renew) AssignIdsLocked(batch);
  auto self = shared_from_this();
  RunBlocking([self, batch = std::move(batch), renew, range = range_id_] {
    self->WriteBatch(batch, renew, range);
  });
}

void Partition::AssignIdsLocked(const std::vector<AddOpPtr>& batch) {
  for (auto& op : batch) op->task.task_id = (range_id_ << kRangeBits) + (++next_seq_);
}

void Partition::WriteBatch(std::vector<AddOpPtr> batch, bool renew, int64_t range_id) {
  auto& store = *core_->store;
  if (renew) {
    // The id range is used up: take the next one. Checking the current lease first keeps us
    // from re-leasing a partition another host has taken meanwhile (the lease itself is
    // unconditional, so a theft between the two calls is only caught by its next write).
    persistence::v1::TaskQueueInfo info;
    {
      std::lock_guard lock(mu_);
      info = info_;
    }
    if (auto st = store.UpdateTaskQueue(key_, range_id, info); !st.ok()) {
      return OnWriteDone(std::move(batch), st);
    }
    auto lease = store.LeaseTaskQueue(key_);
    if (!lease.ok()) return OnWriteDone(std::move(batch), lease.status());
    std::lock_guard lock(mu_);
    range_id_ = lease->range_id;
    next_seq_ = 0;
    AssignIdsLocked(batch);
    range_id = range_id_;
  }
  std::vector<persistence::BacklogTask> rows;
  rows.reserve(batch.size());
  for (const auto& op : batch) rows.push_back({op->task.task_id, op->task.info});
  auto status = store.CreateTasks(key_, range_id, rows);
  OnWriteDone(std::move(batch), std::move(status));
}

void Partition::OnWriteDone(std::vector<AddOpPtr> batch, absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  write_in_flight_ = false;
  if (status.ok()) {
    for (auto& op : batch) after([op] { op->done(false); });
    if (state_ == State::kLoaded) {
      // Nothing unread in the database below these ids: keep them without reading them back.
      if (!read_in_flight_ && !unread_in_db_ &&
          buffer_.size() + batch.size() <= static_cast<size_t>(core_->options.buffer_capacity)) {
        for (auto& op : batch) {
          buffer_.emplace(op->task.task_id, Buffered{op->task});
          read_level_ = std::max(read_level_, op->task.task_id);
        }
      } else {
        unread_in_db_ = true;
      }
    }
  } else if (persistence::IsFencingError(status)) {
    for (auto& op : batch) after([op] { op->done(OwnershipLost()); });
    UnloadLocked(Reason::kFenced, absl::OkStatus(), after);
  } else {
    spdlog::warn("matching: writing {} task(s) to {} failed: {}", batch.size(), placement_key_,
                 status.ToString());
    for (auto& op : batch) after([op, status] { op->done(status); });
  }
  MatchLocked(after);
}

void Partition::MaybeReadLocked(Deferred& after) {
  if (state_ != State::kLoaded || read_in_flight_ || read_paused_ || !unread_in_db_ ||
      buffer_.size() * 2 > static_cast<size_t>(core_->options.buffer_capacity)) {
    return;
  }
  read_in_flight_ = true;
  unread_in_db_ = false;
  auto self = shared_from_this();
  RunBlocking([self, level = read_level_] {
    self->OnReadDone(
        self->core_->store->GetTasks(self->key_, level, self->core_->options.read_batch));
  });
}

void Partition::OnReadDone(absl::StatusOr<std::vector<persistence::BacklogTask>> tasks) {
  Deferred after;
  std::lock_guard lock(mu_);
  read_in_flight_ = false;
  if (state_ != State::kLoaded) return;
  if (!tasks.ok()) {
    spdlog::warn("matching: reading the backlog of {} failed: {}", placement_key_,
                 tasks.status().ToString());
    unread_in_db_ = true;
    PauseLocked(&read_retry_timer_, &read_paused_, kReadRetryDelay);
    return;
  }
  for (auto& row : *tasks) {
    if (row.task_id <= read_level_) continue;
    buffer_.emplace(row.task_id, Buffered{Task{row.task_id, std::move(row.task)}});
    read_level_ = row.task_id;
  }
  if (static_cast<int>(tasks->size()) >= core_->options.read_batch) unread_in_db_ = true;
  MatchLocked(after);
}

void Partition::MaybeDeleteLocked(Deferred& after) {
  if (delete_in_flight_ || pending_deletes_.empty()) return;
  delete_in_flight_ = true;
  std::vector<int64_t> ids = std::move(pending_deletes_);
  pending_deletes_.clear();
  auto self = shared_from_this();
  RunBlocking([self, ids = std::move(ids)] {
    auto status = self->core_->store->DeleteTasks(self->key_, ids);
    Deferred after;
    std::lock_guard lock(self->mu_);
    self->delete_in_flight_ = false;
    if (!status.ok()) {
      // Not fatal: a task that stays behind is offered again later and dropped as stale.
      spdlog::warn("matching: deleting {} task(s) of {} failed: {}", ids.size(),
                   self->placement_key_, status.ToString());
    }
    self->MaybeDeleteLocked(after);
  });
}

// ---- Partition: queries ------------------------------------------------------------------------

void Partition::Query(std::shared_ptr<QueryOp> query) {
  Deferred after;
  std::lock_guard lock(mu_);
  query->partition = weak_from_this();
  if (state_ == State::kUnloaded) {
    query->state = QueryOp::State::kDone;
    after([query, st = unload_status_] { query->done(st); });
    return;
  }
  if (queries_.count(query->query_id)) {
    query->state = QueryOp::State::kDone;
    after([query] {
      query->done(
          absl::AlreadyExistsError(absl::StrCat("query ", query->query_id, " is already pending")));
    });
    return;
  }
  TimePoint now = core_->clock.Now();
  last_activity_ = now;
  queries_.emplace(query->query_id, query);
  query->state = QueryOp::State::kWaiting;
  query->list_pos = unclaimed_queries_.insert(unclaimed_queries_.end(), query);
  if (query->answer_by != TimePoint::max()) {
    auto delay =
        std::max<std::chrono::nanoseconds>(query->answer_by - now, std::chrono::nanoseconds(0));
    std::weak_ptr<Partition> weak_self = weak_from_this();
    std::weak_ptr<QueryOp> weak_query = query;
    query->timer = core_->timers.PostAfter(delay, [weak_self, weak_query] {
      auto self = weak_self.lock();
      auto q = weak_query.lock();
      if (self && q) self->OnQueryTimeout(q);
    });
  }
  DispatchQueriesLocked(after);
}

void Partition::DispatchQueriesLocked(Deferred& after) {
  while (!unclaimed_queries_.empty() && !waiting_.empty()) {
    auto query = unclaimed_queries_.front();
    unclaimed_queries_.pop_front();
    query->state = QueryOp::State::kDispatched;
    // No record-start: a query writes no history. A forwarded-in poll carries it to its child.
    FinishLocked(PopWaitingLocked(), after, [query](Poller& q) { q.FinishWithQuery(query->task); });
  }
}

void Partition::CancelQuery(const std::shared_ptr<QueryOp>& query) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (query->state == QueryOp::State::kNew || query->state == QueryOp::State::kDone) return;
  FinishQueryLocked(query, after, absl::CancelledError("query cancelled by the caller"));
}

void Partition::OnQueryTimeout(const std::shared_ptr<QueryOp>& query) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (query->state == QueryOp::State::kWaiting) {
    FinishQueryLocked(query, after,
                      absl::DeadlineExceededError(absl::StrCat("no worker polled task queue \"",
                                                               base_name_, "\" in time")));
  } else if (query->state == QueryOp::State::kDispatched) {
    FinishQueryLocked(
        query, after,
        absl::DeadlineExceededError(absl::StrCat("the worker of task queue \"", base_name_,
                                                 "\" did not answer the query in time")));
  }
}

void Partition::FinishQueryLocked(std::shared_ptr<QueryOp> query, Deferred& after,
                                  absl::StatusOr<ms::QueryWorkflowResponse> result) {
  if (query->state == QueryOp::State::kWaiting) unclaimed_queries_.erase(query->list_pos);
  queries_.erase(query->query_id);
  query->state = QueryOp::State::kDone;
  if (auto timer = query->timer) after([timer] { timer->Cancel(); });
  after([query, result = std::move(result)] { query->done(result); });
}

void Partition::RespondQuery(const ms::RespondQueryTaskCompletedRequest& request,
                             client::Callback<ms::RespondQueryTaskCompletedResponse> done) {
  const auto& answer = request.request();
  ms::QueryWorkflowResponse result;
  result.set_completed_type(answer.completed_type());
  if (answer.has_query_result()) *result.mutable_query_result() = answer.query_result();
  result.set_error_message(answer.error_message());
  if (answer.has_failure()) *result.mutable_failure() = answer.failure();

  Deferred after;
  std::lock_guard lock(mu_);
  auto it = queries_.find(request.query_id());
  if (it == queries_.end()) {
    after([done] { done(QueryNotFoundError()); });
    return;
  }
  FinishQueryLocked(it->second, after, std::move(result));
  after([done] { done(ms::RespondQueryTaskCompletedResponse()); });
}

size_t Partition::pending_queries() const {
  std::lock_guard lock(mu_);
  return queries_.size();
}

// ---- Partition: describe -----------------------------------------------------------------------

void Partition::Describe(client::Callback<ms::DescribeTaskQueuePartitionResponse> done) {
  ms::DescribeTaskQueuePartitionResponse response;
  {
    std::lock_guard lock(mu_);
    TimePoint now = core_->clock.Now();
    for (const auto& [identity, seen] : pollers_seen_) {
      if (now - seen > core_->options.poller_history_ttl) continue;
      auto* poller = response.add_pollers();
      poller->set_identity(identity);
      *poller->mutable_last_access_time() = ToProto(seen);
    }
  }
  auto self = shared_from_this();
  RunBlocking([self, response, done = std::move(done)]() mutable {
    auto count = self->core_->store->CountTasks(self->key_);
    if (!count.ok()) return done(count.status());
    response.set_backlog_count(*count);
    done(std::move(response));
  });
}

}  // namespace tern::matching
