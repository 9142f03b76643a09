#include "common/dynamic_config_file.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>

#include "common/config_internal.h"

namespace tern::dynamicconfig {

struct FileWatcher::State {
  State(std::string path, std::chrono::milliseconds poll_interval, Values base,
        Collection collection, const Clock& clock, Executor& timers)
      : path(std::move(path)),
        poll_interval(poll_interval),
        base(std::move(base)),
        collection(std::move(collection)),
        clock(clock),
        timers(timers),
        last_poll(clock.Now()) {}

  absl::Status PollLocked() {
    last_poll = clock.Now();
    absl::StatusOr<std::string> text = config_internal::ReadTextFile(path, "dynamic config file");
    if (!text.ok()) {
      if (last_content.has_value()) {
        spdlog::warn("dynamic config: {}; keeping the values in force",
                     std::string(text.status().message()));
        last_content.reset();
      }
      return text.status();
    }
    if (*text == last_content) return last_status;
    last_content = *text;
    absl::StatusOr<Values> values = ParseValuesFile(*text, path);
    last_status = values.status();
    if (!values.ok()) {
      spdlog::error("dynamic config: {} is invalid, keeping the values in force: {}", path,
                    std::string(values.status().message()));
      return last_status;
    }
    collection.Update(base.OverriddenBy(*values));
    spdlog::info("dynamic config: loaded {}", path);
    return last_status;
  }

  absl::Status PollIfDueLocked() {
    if (clock.Now() - last_poll < poll_interval) return absl::OkStatus();
    return PollLocked();
  }

  void ArmLocked(const std::shared_ptr<State>& self) {
    auto tick = std::min<std::chrono::milliseconds>(poll_interval, std::chrono::seconds(1));
    timer = timers.PostAfter(tick, [weak = std::weak_ptr<State>(self)] {
      std::shared_ptr<State> self = weak.lock();
      if (!self) return;
      std::lock_guard lock(self->mu);
      if (self->stopped) return;
      self->PollIfDueLocked().IgnoreError();
      self->ArmLocked(self);
    });
  }

  const std::string path;
  const std::chrono::milliseconds poll_interval;
  const Values base;
  Collection collection;
  const Clock& clock;
  Executor& timers;

  std::mutex mu;
  bool stopped = true;
  std::shared_ptr<Executor::Timer> timer;
  TimePoint last_poll;
  std::optional<std::string> last_content;  // of the last successful read
  absl::Status last_status;                 // of parsing last_content
};

FileWatcher::FileWatcher(std::string path, std::chrono::milliseconds poll_interval, Values base,
                         Collection collection, const Clock& clock, Executor& timers)
    : state_(std::make_shared<State>(std::move(path), poll_interval, std::move(base),
                                     std::move(collection), clock, timers)) {}

FileWatcher::~FileWatcher() { Stop(); }

void FileWatcher::Start() {
  std::lock_guard lock(state_->mu);
  if (!state_->stopped) return;
  state_->stopped = false;
  state_->ArmLocked(state_);
}

void FileWatcher::Stop() {
  std::lock_guard lock(state_->mu);
  state_->stopped = true;
  if (state_->timer) state_->timer->Cancel();
  state_->timer.reset();
}

absl::Status FileWatcher::Poll() {
  std::lock_guard lock(state_->mu);
  return state_->PollLocked();
}

absl::Status FileWatcher::PollIfDue() {
  std::lock_guard lock(state_->mu);
  return state_->PollIfDueLocked();
}

}  // namespace tern::dynamicconfig
