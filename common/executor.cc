#include "common/executor.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace tern {
namespace {

thread_local Executor* current_executor = nullptr;
// The work deferred by the work this thread is running (Executor::Defer); null between works.
thread_local std::vector<std::function<void()>>* deferred_work = nullptr;

// Runs `fn`, then the work it deferred, and the work that deferred, in order, on this thread.
template <typename Fn>
void RunWithDeferred(Fn&& fn) {
  std::vector<std::function<void()>> deferred;
  deferred_work = &deferred;
  fn();
  for (size_t i = 0; i < deferred.size(); ++i) {
    std::function<void()> next = std::move(deferred[i]);
    next();
  }
  deferred_work = nullptr;
}

}  // namespace

// The pool's delayed work, ordered by deadline, behind the pool's one alarm, set for the
// earliest. Adding work later than the alarm touches nothing else; cancelling erases the entry.
// Lock order: this mu_, then the pool's (SetAlarm); the pool calls OnAlarm without its own.
class Executor::DelayedWork : public std::enable_shared_from_this<DelayedWork> {
  class Entry;
  using Queue = std::multimap<SteadyTime, std::shared_ptr<Entry>>;

  class Entry final : public Timer {
   public:
    Entry(std::weak_ptr<DelayedWork> owner, std::function<void()> fn)
        : owner_(std::move(owner)), fn_(std::move(fn)) {}
    void Cancel() override {
      cancelled_ = true;  // checked again just before the work runs
      if (auto owner = owner_.lock()) owner->Cancel(*this);
    }

   private:
    friend class DelayedWork;
    // Once due: runs the work unless it was cancelled meanwhile (between leaving the queue and
    // now), as a Cancel before the work starts promises.
    void Fire() {
      std::function<void()> fn = std::move(fn_);
      if (!cancelled_) fn();
    }

    std::weak_ptr<DelayedWork> owner_;
    std::atomic<bool> cancelled_{false};
    std::function<void()> fn_;           // guarded by the owner's mu_ while queued, then Fire's
    std::optional<Queue::iterator> at_;  // set while queued; guarded by the owner's mu_
  };

 public:
  explicit DelayedWork(Executor& executor) : executor_(executor) {}

  std::shared_ptr<Timer> Add(std::chrono::nanoseconds delay, std::function<void()> fn) {
    auto entry = std::make_shared<Entry>(weak_from_this(), std::move(fn));
    SteadyTime deadline = std::chrono::steady_clock::now() + delay;
    std::lock_guard lock(mu_);
    if (stopped_) return entry;
    entry->at_ = queue_.emplace(deadline, entry);
    if (!armed_for_ || deadline < *armed_for_) ArmLocked(deadline);
    return entry;
  }

  // Drops every queued item (their captures are released here) and never fires again.
  void Stop() {
    std::vector<std::function<void()>> dropped;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (auto& [deadline, entry] : queue_) {
      entry->at_.reset();
      dropped.push_back(std::move(entry->fn_));
    }
    queue_.clear();
    for (auto& fn : dropped_) dropped.push_back(std::move(fn));
    dropped_.clear();
  }

  // The alarm came: runs what is due, releases what was cancelled and sets the next alarm.
  void OnAlarm() {
    std::vector<std::shared_ptr<Entry>> due;
    std::vector<std::function<void()>> dropped;  // released after the lock
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      armed_for_.reset();
      dropped.swap(dropped_);
      SteadyTime now = std::chrono::steady_clock::now();
      while (!queue_.empty() && queue_.begin()->first <= now) {
        due.push_back(std::move(queue_.begin()->second));
        due.back()->at_.reset();
        queue_.erase(queue_.begin());
      }
      if (!queue_.empty()) ArmLocked(queue_.begin()->first);
    }
    if (due.empty()) return;
    // This thread runs one; the others go to the pool, as if each had been posted.
    for (size_t i = 1; i < due.size(); ++i) {
      executor_.Post([entry = std::move(due[i])] { entry->Fire(); });
    }
    due.front()->Fire();
  }

 private:
  void Cancel(Entry& entry) {
    bool defer_release = false, post_release = false;
    {
      std::lock_guard lock(mu_);
      if (!entry.at_ || stopped_) return;  // ran, or running, or already cancelled
      bool first_dropped = dropped_.empty();
      // Not destroyed here: the work's captures may own the very object cancelling it (or take
      // locks its caller holds). They are released on a pool thread, as a run would release them.
      dropped_.push_back(std::move(entry.fn_));
      std::shared_ptr<Entry> keep = std::move((*entry.at_)->second);
      queue_.erase(*entry.at_);
      entry.at_.reset();
      // The alarm stays set: if it was for this item it fires once for nothing and re-arms.
      if (Executor::Current() == &executor_) {
        defer_release = first_dropped;
      } else if (dropped_.size() >= kReleaseBatch) {
        post_release = true;
      } else if (first_dropped) {
        SteadyTime latest = std::chrono::steady_clock::now() + kReleaseDelay;
        if (!armed_for_ || *armed_for_ > latest) ArmLocked(latest);
      }
    }
    // On one of the pool's threads: on this very one once its work returns (no wake-up).
    // Cancelled from elsewhere (matching's threads end nearly every long-poll deadline this
    // way), the release waits for a batch or the next alarm: waking a pool thread for each
    // cancel cost a context switch each.
    auto release = [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->ReleaseDropped();
    };
    if (defer_release) executor_.Defer(release);
    if (post_release) executor_.Post(release);
  }

  void ReleaseDropped() {
    std::vector<std::function<void()>> dropped;
    std::lock_guard lock(mu_);
    dropped.swap(dropped_);
  }  // destroyed after the lock is released

  void ArmLocked(SteadyTime when) {
    armed_for_ = when;
    executor_.SetAlarm(when);
  }

  // Work cancelled from outside the pool is released once this much has piled up, or at the
  // next alarm, which is at most kReleaseDelay away.
  static constexpr size_t kReleaseBatch = 128;
  static constexpr std::chrono::seconds kReleaseDelay{1};

  Executor& executor_;
  AdaptiveMutex mu_;  // every long poll adds and cancels its deadline here: held briefly
  std::optional<SteadyTime> armed_for_;  // the alarm set and not yet come
  Queue queue_;
  std::vector<std::function<void()>> dropped_;  // cancelled work, released by ReleaseDropped
  bool stopped_ = false;
};

// How a thread of the pool with nothing to do waits to be woken: for work (woken), or to wait
// again because the alarm changed (recheck). Owned by the pool, not the thread: a waker notifies
// after releasing the lock, when the thread may already have left.
struct Executor::Sleeper {
  AdaptiveCondVar wake;
  bool woken = false;    // guarded by the pool's mu_
  bool recheck = false;  // guarded by the pool's mu_
};

Executor::Executor(int threads, std::string name) : delayed_(std::make_shared<DelayedWork>(*this)) {
  for (int i = 0; i < threads; ++i) sleepers_.push_back(std::make_unique<Sleeper>());
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, name, i] {
      std::string thread_name = (name + std::to_string(i)).substr(0, 15);
      pthread_setname_np(pthread_self(), thread_name.c_str());
      current_executor = this;
      RunThread(*sleepers_[i]);
    });
  }
}

Executor::~Executor() { Stop(); }

void Executor::RunThread(Sleeper& me) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (alarm_ && *alarm_ <= std::chrono::steady_clock::now()) {
      alarm_.reset();
      lock.unlock();
      RunWithDeferred([this] { delayed_->OnAlarm(); });
      lock.lock();
      continue;
    }
    if (!queue_.empty()) {
      std::function<void()> work = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      RunWithDeferred(work);
      work = nullptr;  // its captures are released before the lock is taken again
      lock.lock();
      continue;
    }
    me.woken = me.recheck = false;
    idle_.push_back(&me);
    if (alarm_ && timekeeper_ == nullptr) {
      timekeeper_ = &me;
      SteadyTime until = *alarm_;
      me.wake.wait_until(lock, until, [&] { return me.woken || me.recheck || stopping_; });
      if (timekeeper_ == &me) timekeeper_ = nullptr;
    } else {
      me.wake.wait(lock, [&] { return me.woken || me.recheck || stopping_; });
    }
    // Not taken for work (the alarm came or changed, or the pool stops): off the idle list.
    if (!me.woken) idle_.erase(std::find(idle_.begin(), idle_.end(), &me));
  }
}

Executor::Sleeper* Executor::TakeSleeperLocked() {
  if (idle_.empty()) return nullptr;
  auto it = idle_.end() - 1;
  if (*it == timekeeper_ && idle_.size() > 1) --it;
  Sleeper* sleeper = *it;
  idle_.erase(it);
  if (sleeper == timekeeper_) timekeeper_ = nullptr;
  sleeper->woken = true;
  return sleeper;
}

void Executor::SetAlarm(SteadyTime when) {
  Sleeper* recheck = nullptr;
  {
    std::lock_guard lock(mu_);
    alarm_ = when;
    // The thread keeping the alarm waits for the old time; without one, a sleeping thread
    // becomes the keeper. With every thread busy, the first to finish sees the alarm.
    recheck = timekeeper_ != nullptr ? timekeeper_ : idle_.empty() ? nullptr : idle_.back();
    if (recheck != nullptr) recheck->recheck = true;
  }
  if (recheck != nullptr) recheck->wake.notify_one();
}

void Executor::Post(std::function<void()> fn) {
  if (stopped_) return;
  Sleeper* sleeper;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
    sleeper = TakeSleeperLocked();
  }
  if (sleeper != nullptr) sleeper->wake.notify_one();
}

void Executor::Defer(std::function<void()> fn) {
  if (stopped_) return;
  if (current_executor == this && deferred_work != nullptr) {
    deferred_work->push_back(std::move(fn));
    return;
  }
  Post(std::move(fn));
}

Executor* Executor::Current() { return current_executor; }

std::shared_ptr<Executor::Timer> Executor::PostAfter(std::chrono::nanoseconds delay,
                                                     std::function<void()> fn) {
  return delayed_->Add(delay, std::move(fn));
}

void Executor::Stop() {
  if (stopped_.exchange(true)) return;
  std::vector<Sleeper*> sleepers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    sleepers = idle_;
  }
  for (Sleeper* sleeper : sleepers) sleeper->wake.notify_one();
  for (auto& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
  threads_.clear();
  // Only once no pool thread runs: releasing the pending work destroys what it captured, which
  // work still running on the pool might be using.
  std::deque<std::function<void()>> never_run;
  {
    std::lock_guard lock(mu_);
    never_run.swap(queue_);
  }
  delayed_->Stop();
}

}  // namespace tern
