#include "services/matching/partition.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/task_queue_names.h"

namespace tern::matching {

namespace enums = temporal::api::enums::v1;

// ---- lifecycle ---------------------------------------------------------------------------------

Partition::Partition(std::shared_ptr<EngineCore> core, persistence::TaskQueueKey key,
                     std::string placement_key, enums::TaskQueueKind kind)
    : core_(std::move(core)),
      key_(std::move(key)),
      placement_key_(std::move(placement_key)),
      base_name_(ParsePartitionName(key_.name).base_name),
      sticky_(kind == enums::TASK_QUEUE_KIND_STICKY),
      kind_(kind == enums::TASK_QUEUE_KIND_STICKY ? kind : enums::TASK_QUEUE_KIND_NORMAL),
      log_(std::make_shared<PartitionLog>(core_->options.namespace_name, key_)),
      metrics_(std::make_unique<PartitionMetrics>(core_->options.namespace_name, key_, sticky_)),
      added_(core_->clock.Now()),
      dispatched_(core_->clock.Now()) {
  last_activity_ = core_->clock.Now();
}

std::shared_ptr<Partition> Partition::Create(std::shared_ptr<EngineCore> core,
                                             persistence::TaskQueueKey key,
                                             std::string placement_key, enums::TaskQueueKind kind) {
  auto partition = std::shared_ptr<Partition>(
      new Partition(std::move(core), std::move(key), std::move(placement_key), kind));
  std::weak_ptr<Partition> weak = partition;
  auto rematch = [weak] {
    if (auto self = weak.lock()) self->Rematch();
  };
  Backlog::Hooks hooks;
  hooks.loaded = [weak](absl::Status status) {
    if (auto self = weak.lock()) self->OnLoaded(std::move(status));
  };
  hooks.tasks_available = rematch;
  hooks.fenced = [weak] {
    if (auto self = weak.lock()) self->Unload(Reason::kFenced);
  };
  auto& p = *partition;
  p.backlog_ = std::make_shared<Backlog>(p.core_, p.key_, p.log_, p.kind_, std::move(hooks));
  if (ParsePartitionName(p.key_.name).partition > 0 && !p.sticky_) {
    p.forwarder_ = std::make_shared<Forwarder>(p.core_, p.key_, p.kind_, rematch);
  }
  p.queries_ = std::make_shared<QueryDispatcher>(p.core_->timers, p.core_->clock, p.base_name_);
  return partition;
}

bool Partition::loaded() const {
  std::lock_guard lock(mu_);
  return state_ == State::kLoaded;
}

size_t Partition::parked_polls() const {
  std::lock_guard lock(mu_);
  return waiting_.size() + away_.size();
}

size_t Partition::pending_queries() const { return queries_->pending(); }

void Partition::Load() { backlog_->Load(); }

void Partition::OnLoaded(absl::Status status) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (state_ != State::kLoading) return;
  if (!status.ok()) {
    (*log_)(spdlog::level::warn, status, "matching: leasing the {} partition failed",
            log_->task_type());
    UnloadLocked(Reason::kLoadFailed,
                 absl::UnavailableError(
                     absl::StrCat("task queue partition could not be loaded: ", status.message())),
                 after);
    return;
  }
  state_ = State::kLoaded;
  (*log_)(spdlog::level::info, absl::OkStatus(), "matching: {} partition loaded",
          log_->task_type());
  ReportBacklogLocked();
  MatchLocked(after);
}

void Partition::Rematch() {
  Deferred after;
  std::lock_guard lock(mu_);
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
    (*log_)(spdlog::level::debug, absl::OkStatus(), "matching: unloading the {} partition",
            log_->task_type());
  } else {
    (*log_)(spdlog::level::info, absl::OkStatus(), "matching: unloading the {} partition ({})",
            log_->task_type(),
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
  queries_->Close(unload_status_, after);
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
  backlog_->Close(unload_status_, after);
  if (forwarder_) forwarder_->Close(after);
  if (auto t = dispatch_backoff_timer_) after([t] { t->Cancel(); });
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
    if (now - it->second.last_access > core_->options.poller_history_ttl) {
      it = pollers_seen_.erase(it);
    } else {
      ++it;
    }
  }
  if (state_ != State::kLoaded) return;
  bool idle = waiting_.empty() && away_.empty() && queries_->pending() == 0 && backlog_->Idle() &&
              (!forwarder_ || forwarder_->Idle()) &&
              now - last_activity_ >= core_->options.idle_unload_after;
  if (idle) {
    UnloadLocked(Reason::kIdle, absl::OkStatus(), after);
    return;
  }
  backlog_->MaybeCheckLease(now);
  ReportBacklogLocked();
}

void Partition::ReportBacklogLocked() {
  Backlog::Stats stats = backlog_->GetStats();
  metrics_->SetBacklog(stats.count, stats.oldest_created
                                        ? core_->clock.Now() - *stats.oldest_created
                                        : TimePoint::duration::zero());
}

// ---- polls -------------------------------------------------------------------------------------

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
  if (!poller->forwarded_in && !poller->identity.empty()) {
    pollers_seen_[poller->identity] = {now, poller->rate_per_second};
  }
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
    metrics_->PollTimedOut();
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
    if (state_ != State::kUnloaded) metrics_->PollTimedOut();
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

std::list<std::shared_ptr<Poller>>::iterator Partition::FindForwardableLocked() {
  return std::find_if(waiting_.begin(), waiting_.end(),
                      [](const auto& p) { return !p->no_forward && !p->forwarded_in; });
}

// ---- queries -----------------------------------------------------------------------------------

void Partition::Query(std::shared_ptr<QueryOp> query) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (state_ == State::kUnloaded) {
    query->state = QueryOp::State::kDone;
    after([query, st = unload_status_] { query->done(st); });
    return;
  }
  last_activity_ = core_->clock.Now();
  queries_->Add(std::move(query), after);
  DispatchQueriesLocked(after);
}

void Partition::DispatchQueriesLocked(Deferred& after) {
  while (!waiting_.empty()) {
    auto query = queries_->Claim();
    if (!query) break;
    // No record-start: a query writes no history. A forwarded-in poll carries it to its child.
    FinishLocked(PopWaitingLocked(), after, [query](Poller& q) { q.FinishWithQuery(query->task); });
  }
}

void Partition::RespondQuery(const ms::RespondQueryTaskCompletedRequest& request,
                             client::Callback<ms::RespondQueryTaskCompletedResponse> done) {
  queries_->Respond(request, std::move(done));
}

// ---- describe ----------------------------------------------------------------------------------

void Partition::Describe(client::Callback<ms::DescribeTaskQueuePartitionResponse> done) {
  ms::DescribeTaskQueuePartitionResponse response;
  {
    std::lock_guard lock(mu_);
    TimePoint now = core_->clock.Now();
    for (const auto& [identity, seen] : pollers_seen_) {
      if (now - seen.last_access > core_->options.poller_history_ttl) continue;
      auto* poller = response.add_pollers();
      poller->set_identity(identity);
      *poller->mutable_last_access_time() = ToProto(seen.last_access);
      poller->set_rate_per_second(seen.rate_per_second);
    }
    response.set_tasks_add_rate(static_cast<float>(added_.PerSecond(now)));
    response.set_tasks_dispatch_rate(static_cast<float>(dispatched_.PerSecond(now)));
  }
  response.set_owner_host(core_->options.self_address);
  if (auto oldest = backlog_->GetStats().oldest_created) {
    *response.mutable_backlog_age() = ToProtoDuration(
        std::chrono::duration_cast<std::chrono::nanoseconds>(core_->clock.Now() - *oldest));
  }
  backlog_->CountTasks([response, done = std::move(done)](absl::StatusOr<int64_t> count) mutable {
    if (!count.ok()) return done(count.status());
    response.set_backlog_count(*count);
    done(std::move(response));
  });
}

}  // namespace tern::matching
