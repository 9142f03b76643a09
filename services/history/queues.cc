#include "services/history/queues.h"

#include <limits>

#include "common/logging.h"

namespace tern::history {
namespace {
std::chrono::milliseconds Backoff(int attempt) {
  return std::chrono::milliseconds(std::min(100 << std::min(attempt, 7), 10000));
}
constexpr auto kDeleteBatchDelay = std::chrono::seconds(1);

// Transfer + TYPE_ACTIVITY_TASK -> TransferActivityTask.
std::string TaskTypeName(const char* category, const std::string& enum_name) {
  std::string name = category;
  bool upper = true;
  for (char c : std::string_view(enum_name).substr(5)) {  // past "TYPE_"
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? c : static_cast<char>(std::tolower(c));
    upper = false;
  }
  return name;
}

// Reports one attempt of `task` (a TransferTask or TimerTask) and logs it if it failed.
template <typename Task>
void Report(const TaskObserver& observer, int32_t shard_id, const Task& task, const char* category,
            int attempt, std::chrono::steady_clock::time_point start, const absl::Status& status) {
  auto latency = std::chrono::steady_clock::now() - start;
  std::string type = TaskTypeName(category, Task::Type_Name(task.type()));
  std::string name = observer.namespace_name ? observer.namespace_name(task.namespace_id()) : "";
  if (observer.attempt) observer.attempt({name, type, attempt + 1, latency, status.ok()});
  if (status.ok()) return;
  Log(spdlog::level::warn,
      {.namespace_name = name.empty() ? task.namespace_id() : name,
       .workflow_id = task.workflow_id(),
       .run_id = task.run_id(),
       .shard_id = shard_id,
       .error = status.ToString()},
      "history: {} task {} failed (attempt {}); retrying", type, task.task_id(), attempt + 1);
}

}  // namespace

void TaskDeleter::Completed(int64_t task_id) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  pending_.push_back(task_id);
  ScheduleFlushLocked();
}

void TaskDeleter::ScheduleFlushLocked() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  blocking_.PostAfter(kDeleteBatchDelay, [this] { Flush(); });
}

void TaskDeleter::Flush() {
  std::vector<int64_t> batch;
  {
    std::lock_guard lock(mu_);
    flush_scheduled_ = false;
    if (stopped_) return;
    batch.swap(pending_);
  }
  if (batch.empty()) return;
  if (auto st = delete_(batch); !st.ok()) {
    // Tried again with the next batch; rows still there when the shard moves run again under
    // the next owner, which is harmless.
    Log(spdlog::level::warn, {.error = st.ToString()},
        "history: deleting {} executed task rows failed", batch.size());
    std::lock_guard lock(mu_);
    if (stopped_) return;
    pending_.insert(pending_.end(), batch.begin(), batch.end());
    ScheduleFlushLocked();
  }
}

void TaskDeleter::Stop() {
  std::vector<int64_t> batch;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    batch.swap(pending_);
  }
  if (!batch.empty()) delete_(batch).IgnoreError();
}

TransferQueue::TransferQueue(int32_t shard_id, Executor& blocking, ExecuteFn execute,
                             TaskDeleter::DeleteFn delete_fn, TaskObserver observer)
    : shard_id_(shard_id),
      blocking_(blocking),
      execute_(std::move(execute)),
      deleter_(blocking, std::move(delete_fn)),
      observer_(std::move(observer)) {}

TransferQueue::~TransferQueue() { Stop(); }

void TransferQueue::Add(const std::vector<pv1::TransferTask>& tasks) {
  outstanding_ += static_cast<int64_t>(tasks.size());
  for (const auto& task : tasks) Run(std::make_shared<const pv1::TransferTask>(task), 0);
}

void TransferQueue::Run(TaskRef task, int attempt) {
  if (*stopped_) return;
  auto stopped = stopped_;
  auto start = std::chrono::steady_clock::now();
  execute_(task, [this, stopped, task, attempt, start](absl::Status status) {
    if (*stopped) return;
    Report(observer_, shard_id_, *task, "Transfer", attempt, start, status);
    if (status.ok()) {
      if (observer_.lag) observer_.lag("transfer", static_cast<double>(outstanding_--));
      return deleter_.Completed(task->task_id());
    }
    blocking_.PostAfter(Backoff(attempt), [this, stopped, task, attempt] {
      if (!*stopped) Run(task, attempt + 1);
    });
  });
}

void TransferQueue::Stop() {
  if (stopped_->exchange(true)) return;
  deleter_.Stop();
}

TimerQueue::TimerQueue(int32_t shard_id, Executor& blocking, const Clock& clock, ExecuteFn execute,
                       LoadFn load, TaskDeleter::DeleteFn delete_fn, TaskObserver observer,
                       Window window)
    : shard_id_(shard_id),
      blocking_(blocking),
      clock_(clock),
      execute_(std::move(execute)),
      load_(std::move(load)),
      deleter_(blocking, std::move(delete_fn)),
      observer_(std::move(observer)),
      window_(window) {}

TimerQueue::~TimerQueue() { Stop(); }

void TimerQueue::Start() {
  std::lock_guard lock(mu_);
  MaybeLoadLocked();
}

void TimerQueue::Add(const std::vector<pv1::TimerTask>& tasks) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  for (const auto& task : tasks) {
    Key key = Key::Of(task);
    // A read in flight or still to come returns it too: the map keeps one copy.
    if (key.fire_micros <= window_end_) pending_.emplace(key, task);
  }
  Arm();
}

size_t TimerQueue::size() {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void TimerQueue::MaybeLoadLocked() {
  if (stopped_ || load_in_flight_) return;
  int64_t now = ToMicros(clock_.Now());
  auto half = std::chrono::duration_cast<std::chrono::microseconds>(window_.lookahead / 2).count();
  if (unread_) {
    if (pending_.size() >= window_.max_loaded) return;  // FireDue makes room, then asks again
  } else {
    if (window_end_ - now > half) {
      return WakeLoaderLocked(std::chrono::microseconds(window_end_ - now - half));
    }
    // Move the window: everything due by its old end was read (the first window reads from the
    // start). Raised before the read starts, so a timer committed meanwhile is either held by
    // Add or seen by the read.
    if (window_end_ > Key::kMinFireMicros) {
      read_to_ = {window_end_, std::numeric_limits<int64_t>::max()};
    }
    window_end_ = now + 2 * half;
    unread_ = true;
  }
  load_in_flight_ = true;
  blocking_.Post([this, after = read_to_, until = window_end_] {
    OnLoaded(load_(after, until, window_.page));
  });
}

void TimerQueue::OnLoaded(absl::StatusOr<std::vector<pv1::TimerTask>> tasks) {
  std::lock_guard lock(mu_);
  load_in_flight_ = false;
  if (stopped_) return;
  if (!tasks.ok()) {
    Log(spdlog::level::warn, {.shard_id = shard_id_, .error = tasks.status().ToString()},
        "history: reading the timers of shard {} failed; retrying", shard_id_);
    return WakeLoaderLocked(window_.retry);
  }
  for (auto& task : *tasks) {
    read_to_ = Key::Of(task);
    pending_.emplace(read_to_, std::move(task));
  }
  unread_ = static_cast<int>(tasks->size()) >= window_.page;
  Arm();
  MaybeLoadLocked();
}

void TimerQueue::WakeLoaderLocked(std::chrono::nanoseconds delay) {
  if (loader_wake_) return;
  loader_wake_ = blocking_.PostAfter(delay, [this] {
    std::lock_guard lock(mu_);
    loader_wake_.reset();
    MaybeLoadLocked();
  });
}

void TimerQueue::Arm() {  // mu_ held
  if (pending_.empty()) return;
  TimePoint first = FromMicros(pending_.begin()->first.fire_micros);
  if (timer_ && first >= armed_for_) return;
  if (timer_) timer_->Cancel();
  armed_for_ = first;
  auto delay = first - clock_.Now();
  if (delay < std::chrono::nanoseconds(0)) delay = std::chrono::nanoseconds(0);
  timer_ = blocking_.PostAfter(delay, [this] { FireDue(); });
}

void TimerQueue::FireDue() {
  std::vector<pv1::TimerTask> due;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    timer_.reset();
    armed_for_ = TimePoint::max();
    int64_t now = ToMicros(clock_.Now());
    while (!pending_.empty() && pending_.begin()->first.fire_micros <= now) {
      due.push_back(std::move(pending_.begin()->second));
      pending_.erase(pending_.begin());
    }
    Arm();
    MaybeLoadLocked();
  }
  if (due.empty()) return;
  // This is a blocking thread already (the alarm's): it runs the first due task itself, and only
  // the others wake a thread each.
  for (size_t i = 1; i < due.size(); ++i) {
    blocking_.Post([this, task = std::move(due[i])] { Run(task, 0); });
  }
  Run(std::move(due.front()), 0);
}

void TimerQueue::Run(pv1::TimerTask task, int attempt) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
  }
  if (attempt == 0 && observer_.lag) {
    observer_.lag(
        "timer", std::chrono::duration<double>(clock_.Now() - FromProto(task.fire_time())).count());
  }
  auto start = std::chrono::steady_clock::now();
  auto status = execute_(task);
  Report(observer_, shard_id_, task, "Timer", attempt, start, status);
  if (status.ok()) return deleter_.Completed(task.task_id());
  blocking_.PostAfter(Backoff(attempt), [this, task, attempt] { Run(task, attempt + 1); });
}

void TimerQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    if (timer_) timer_->Cancel();
    if (loader_wake_) loader_wake_->Cancel();
    pending_.clear();
  }
  deleter_.Stop();
}

}  // namespace tern::history
