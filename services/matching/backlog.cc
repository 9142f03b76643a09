#include "services/matching/backlog.h"

#include <algorithm>

namespace tern::matching {
namespace {

namespace enums = temporal::api::enums::v1;

// Task ids of a lease are (range_id << 20, (range_id + 1) << 20] (persistence/store.h).
constexpr int kRangeBits = 20;
constexpr int64_t kRangeSize = int64_t{1} << kRangeBits;
constexpr int kMaxDispatchFailures = 5;
constexpr std::chrono::milliseconds kReadRetryDelay{1000};
constexpr std::chrono::milliseconds kDeleteLinger{1000};
constexpr size_t kDeleteBatch = 100;

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

}  // namespace

Backlog::Backlog(std::shared_ptr<const BacklogEnv> env, persistence::TaskQueueKey key,
                 std::shared_ptr<const PartitionLog> log, enums::TaskQueueKind kind, Hooks hooks)
    : env_(std::move(env)),
      key_(std::move(key)),
      log_(std::move(log)),
      kind_(kind),
      hooks_(std::move(hooks)) {}

// ---- lease -------------------------------------------------------------------------------------

void Backlog::Load() {
  auto self = shared_from_this();
  env_->RunBlocking([self] {
    auto& store = *self->env_->store;
    auto lease = store.LeaseTaskQueue(self->key_);
    absl::StatusOr<int64_t> persisted = lease.ok() ? store.CountTasks(self->key_) : 0;
    self->OnLeased(std::move(lease), persisted.ok() ? *persisted : 0);
  });
}

void Backlog::OnLeased(absl::StatusOr<persistence::TaskQueueLease> lease, int64_t persisted) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (state_ != State::kLoading) return;  // closed meanwhile; the lease is simply unused
  if (!lease.ok()) {
    after([this, status = lease.status()] { hooks_.loaded(status); });
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
  approximate_count_ = persisted;
  state_ = State::kLoaded;
  last_lease_check_ = env_->clock.Now();
  (*log_)(spdlog::level::debug, absl::OkStatus(), "matching: {} partition leased (range_id {})",
          log_->task_type(), range_id_);
  after([this] { hooks_.loaded(absl::OkStatus()); });
  PumpLocked();
}

void Backlog::MaybeCheckLease(TimePoint now) {
  std::lock_guard lock(mu_);
  // The lease check shares the writer's slot so it never races a range renewal.
  if (state_ != State::kLoaded || write_in_flight_ ||
      now - last_lease_check_ < env_->options.lease_check_interval) {
    return;
  }
  write_in_flight_ = true;
  last_lease_check_ = now;
  *info_.mutable_last_update_time() = ToProto(now);
  auto self = shared_from_this();
  env_->RunBlocking([self, range = range_id_, info = info_] {
    self->OnLeaseChecked(self->env_->store->UpdateTaskQueue(self->key_, range, info));
  });
}

void Backlog::OnLeaseChecked(absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  write_in_flight_ = false;
  if (persistence::IsFencingError(status)) return FencedLocked({}, after);
  if (!status.ok()) {
    (*log_)(spdlog::level::warn, status, "matching: lease check of the {} partition failed",
            log_->task_type());
  }
  PumpLocked();
}

void Backlog::FencedLocked(const std::vector<AddOpPtr>& batch, Deferred& after) {
  // The owner hears of the fence (and unloads) before any writer hears ShardOwnershipLost.
  if (state_ != State::kClosed) after([this] { hooks_.fenced(); });
  for (auto& op : batch) after([op] { op->done(OwnershipLost()); });
  CloseLocked(OwnershipLost(), after);
}

void Backlog::Close(absl::Status status, Deferred& after) {
  std::lock_guard lock(mu_);
  CloseLocked(std::move(status), after);
}

void Backlog::CloseLocked(absl::Status status, Deferred& after) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  close_status_ = std::move(status);
  for (auto& op : pending_writes_) after([op, st = close_status_] { op->done(st); });
  pending_writes_.clear();
  buffer_.clear();
  if (auto t = read_retry_timer_) after([t] { t->Cancel(); });
  delete_due_ = true;
  MaybeDeleteLocked();
}

bool Backlog::Idle() const {
  std::lock_guard lock(mu_);
  return buffer_.empty() && pending_writes_.empty() && !write_in_flight_ && !read_in_flight_ &&
         !unread_in_db_ && !delete_in_flight_ && pending_deletes_.empty();
}

Backlog::Stats Backlog::GetStats() const {
  std::lock_guard lock(mu_);
  Stats stats{std::max<int64_t>(approximate_count_, 0), std::nullopt};
  if (!buffer_.empty())
    stats.oldest_created = FromProto(buffer_.begin()->second.task.info.create_time());
  return stats;
}

void Backlog::CountTasks(client::Callback<int64_t> done) {
  auto self = shared_from_this();
  env_->RunBlocking([self, done = std::move(done)] {
    absl::StatusOr<int64_t> stored = self->env_->store->CountTasks(self->key_);
    if (!stored.ok()) return done(stored);
    // Done tasks whose rows are still waiting for their batched delete do not count.
    int64_t done_rows;
    {
      std::lock_guard lock(self->mu_);
      done_rows = static_cast<int64_t>(self->pending_deletes_.size()) + self->deleting_;
    }
    done(std::max<int64_t>(*stored - done_rows, 0));
  });
}

void Backlog::PumpLocked() {
  MaybeWriteLocked();
  MaybeReadLocked();
  MaybeDeleteLocked();
}

// ---- buffered tasks ----------------------------------------------------------------------------

Backlog::BufferIt Backlog::NextUnclaimedLocked() {
  TimePoint now = env_->clock.Now();
  for (auto it = buffer_.begin(); it != buffer_.end();) {
    if (it->second.held) {
      ++it;
      continue;
    }
    const auto& info = it->second.task.info;
    if (HasExpiry(info) && FromProto(info.expiry_time()) <= now) {
      (*log_)(spdlog::level::debug, absl::OkStatus(), "matching: dropping expired {} task {}",
              log_->task_type(), it->first);
      DeleteLocked(it->first);
      it = buffer_.erase(it);
      continue;
    }
    return it;
  }
  return buffer_.end();
}

std::optional<Task> Backlog::Claim() {
  std::lock_guard lock(mu_);
  auto it = NextUnclaimedLocked();
  PumpLocked();
  if (it == buffer_.end()) return std::nullopt;
  it->second.held = true;
  return it->second.task;
}

bool Backlog::HasUnclaimed() {
  std::lock_guard lock(mu_);
  bool found = NextUnclaimedLocked() != buffer_.end();
  PumpLocked();
  return found;
}

void Backlog::Ack(int64_t task_id) {
  std::lock_guard lock(mu_);
  buffer_.erase(task_id);
  DeleteLocked(task_id);
  PumpLocked();
}

void Backlog::DeleteLocked(int64_t task_id) {
  pending_deletes_.push_back(task_id);
  --approximate_count_;
}

void Backlog::Release(int64_t task_id, const absl::Status& failure) {
  std::lock_guard lock(mu_);
  auto it = buffer_.find(task_id);
  if (it == buffer_.end()) return;
  it->second.held = false;
  if (failure.ok() || IsRetryable(failure) || ++it->second.failures < kMaxDispatchFailures) return;
  (*log_)(spdlog::level::err, failure,
          "matching: dropping {} task {} after {} failed record-starts", log_->task_type(), task_id,
          it->second.failures);
  buffer_.erase(it);
  DeleteLocked(task_id);
  PumpLocked();
}

// ---- writer ------------------------------------------------------------------------------------

void Backlog::Write(AddOpPtr op, Deferred& after) {
  std::lock_guard lock(mu_);
  if (state_ == State::kClosed) {
    after([op, st = close_status_] { op->done(st); });
    return;
  }
  pending_writes_.push_back(std::move(op));
  MaybeWriteLocked();
}

void Backlog::MaybeWriteLocked() {
  if (state_ != State::kLoaded || write_in_flight_ || pending_writes_.empty()) return;
  std::vector<AddOpPtr> batch;
  while (!pending_writes_.empty() && static_cast<int>(batch.size()) < env_->options.write_batch) {
    batch.push_back(std::move(pending_writes_.front()));
    pending_writes_.pop_front();
  }
  write_in_flight_ = true;
  bool renew = next_seq_ + static_cast<int64_t>(batch.size()) > kRangeSize;
  if (!renew) AssignIdsLocked(batch);
  auto self = shared_from_this();
  env_->RunBlocking([self, batch = std::move(batch), renew, range = range_id_] {
    self->WriteBatch(batch, renew, range);
  });
}

void Backlog::AssignIdsLocked(const std::vector<AddOpPtr>& batch) {
  for (auto& op : batch) op->task.task_id = (range_id_ << kRangeBits) + (++next_seq_);
}

void Backlog::WriteBatch(std::vector<AddOpPtr> batch, bool renew, int64_t range_id) {
  auto& store = *env_->store;
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

void Backlog::OnWriteDone(std::vector<AddOpPtr> batch, absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  write_in_flight_ = false;
  if (status.ok()) {
    approximate_count_ += static_cast<int64_t>(batch.size());
    for (auto& op : batch) after([op] { op->done(false); });
    if (state_ == State::kLoaded) {
      // Nothing unread in the database below these ids: keep them without reading them back.
      if (!read_in_flight_ && !unread_in_db_ &&
          buffer_.size() + batch.size() <= static_cast<size_t>(env_->options.buffer_capacity)) {
        for (auto& op : batch) {
          buffer_.emplace(op->task.task_id, Buffered{op->task});
          read_level_ = std::max(read_level_, op->task.task_id);
        }
        after([this] { hooks_.tasks_available(); });
      } else {
        unread_in_db_ = true;
      }
    }
  } else if (persistence::IsFencingError(status)) {
    FencedLocked(batch, after);
  } else {
    (*log_)(spdlog::level::warn, status, "matching: writing {} {} task(s) failed", batch.size(),
            log_->task_type());
    for (auto& op : batch) after([op, status] { op->done(status); });
  }
  PumpLocked();
}

// ---- reader ------------------------------------------------------------------------------------

void Backlog::MaybeReadLocked() {
  if (state_ != State::kLoaded || read_in_flight_ || read_paused_ || !unread_in_db_ ||
      buffer_.size() * 2 > static_cast<size_t>(env_->options.buffer_capacity)) {
    return;
  }
  read_in_flight_ = true;
  unread_in_db_ = false;
  auto self = shared_from_this();
  env_->RunBlocking([self, level = read_level_] {
    self->OnReadDone(
        self->env_->store->GetTasks(self->key_, level, self->env_->options.read_batch));
  });
}

void Backlog::OnReadDone(absl::StatusOr<std::vector<persistence::BacklogTask>> tasks) {
  Deferred after;
  std::lock_guard lock(mu_);
  read_in_flight_ = false;
  if (state_ != State::kLoaded) return;
  if (!tasks.ok()) {
    (*log_)(spdlog::level::warn, tasks.status(), "matching: reading the {} backlog failed",
            log_->task_type());
    unread_in_db_ = true;
    read_paused_ = true;
    std::weak_ptr<Backlog> weak_self = weak_from_this();
    read_retry_timer_ = env_->timers.PostAfter(kReadRetryDelay, [weak_self] {
      auto self = weak_self.lock();
      if (!self) return;
      std::lock_guard lock(self->mu_);
      self->read_paused_ = false;
      self->PumpLocked();
    });
    return;
  }
  bool added = false;
  for (auto& row : *tasks) {
    if (row.task_id <= read_level_) continue;
    buffer_.emplace(row.task_id, Buffered{Task{row.task_id, std::move(row.task)}});
    read_level_ = row.task_id;
    added = true;
  }
  if (static_cast<int>(tasks->size()) >= env_->options.read_batch) unread_in_db_ = true;
  if (added) after([this] { hooks_.tasks_available(); });
  PumpLocked();
}

// ---- deleter -----------------------------------------------------------------------------------

void Backlog::MaybeDeleteLocked() {
  if (delete_in_flight_ || pending_deletes_.empty()) return;
  // After a failed delete the next try waits for the timer, however many ids are pending.
  if (!delete_due_ && (delete_failed_ || pending_deletes_.size() < kDeleteBatch)) {
    if (delete_timer_) return;
    std::weak_ptr<Backlog> weak_self = weak_from_this();
    delete_timer_ = env_->timers.PostAfter(kDeleteLinger, [weak_self] {
      auto self = weak_self.lock();
      if (!self) return;
      std::lock_guard lock(self->mu_);
      self->delete_due_ = true;
      self->delete_failed_ = false;
      self->MaybeDeleteLocked();
    });
    return;
  }
  if (delete_timer_ && !delete_due_) delete_timer_->Cancel();
  delete_timer_.reset();
  if (state_ != State::kClosed) delete_due_ = false;
  delete_in_flight_ = true;
  deleting_ = static_cast<int64_t>(pending_deletes_.size());
  std::vector<int64_t> ids = std::move(pending_deletes_);
  pending_deletes_.clear();
  auto self = shared_from_this();
  env_->RunBlocking([self, ids = std::move(ids)]() mutable {
    absl::Status status = self->env_->store->DeleteTasks(self->key_, ids);
    self->OnDeleteDone(std::move(ids), std::move(status));
  });
}

void Backlog::OnDeleteDone(std::vector<int64_t> ids, absl::Status status) {
  std::lock_guard lock(mu_);
  delete_in_flight_ = false;
  deleting_ = 0;
  if (!status.ok()) {
    (*log_)(spdlog::level::warn, status, "matching: deleting {} {} task(s) failed", ids.size(),
            log_->task_type());
    // The rows are behind the read level: unless deleted they would stay (and be counted as
    // backlog) until the partition is next loaded. Try again after the linger; once closed, the
    // next owner reads them and drops them as stale.
    if (state_ != State::kClosed) {
      pending_deletes_.insert(pending_deletes_.end(), ids.begin(), ids.end());
      delete_failed_ = true;
    }
  }
  MaybeDeleteLocked();
}

}  // namespace tern::matching
