#include "services/matching/forwarder.h"

#include <algorithm>

#include "common/task_queue_names.h"

namespace tern::matching {

namespace enums = temporal::api::enums::v1;
using std::chrono::milliseconds;

Forwarder::Forwarder(std::shared_ptr<EngineCore> core, persistence::TaskQueueKey key,
                     enums::TaskQueueKind kind, std::function<void()> resume)
    : core_(std::move(core)),
      key_(std::move(key)),
      root_name_(PartitionName(ParsePartitionName(key_.name).base_name, 0)),
      kind_(kind),
      resume_(std::move(resume)) {}

void Forwarder::ForwardTask(const Task& task, TimePoint deadline,
                            std::function<void(absl::StatusOr<bool>)> done) {
  TimePoint now = core_->clock.Now();
  // No routing retries: an unmatched or failed forward persists at the child.
  client::CallOptions options{
      std::min(deadline, now + core_->options.record_start_timeout + milliseconds(1000)),
      /*retry=*/false, nullptr};
  // A root partition in this process answers at once, on this thread: its answer then runs
  // here once the current work returns, instead of waking a thread of the client executor.
  options.caller_returns = true;  // the forwarder never waits for the answer on its thread
  auto fill = [&](auto& request) {
    request.set_namespace_id(task.info.namespace_id());
    request.mutable_execution()->set_workflow_id(task.info.workflow_id());
    request.mutable_execution()->set_run_id(task.info.run_id());
    request.mutable_task_queue()->set_name(root_name_);
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

bool Forwarder::CanForwardPoll() const {
  std::lock_guard lock(mu_);
  return polls_in_flight_ < core_->options.max_forwarded_polls;
}

void Forwarder::ForwardPoll(std::shared_ptr<Poller> poller, Deferred& after,
                            std::function<void(absl::Status, bool)> done) {
  {
    std::lock_guard lock(mu_);
    ++polls_in_flight_;
  }
  // The root answers empty at its own min(expiration, deadline - margin), i.e. at our timeout.
  client::CallOptions options{poller->timeout_at + core_->options.poll_deadline_margin,
                              /*retry=*/false, poller->call};
  options.caller_returns = true;
  auto self = shared_from_this();
  after([self, poller, options, done = std::move(done), token = core_->tracker->Begin()] {
    poller->Forward(self->core_->matching, self->root_name_, self->key_.name, options,
                    [self, done, token](absl::Status status, bool has_task) {
                      {
                        std::lock_guard lock(self->mu_);
                        --self->polls_in_flight_;
                      }
                      done(std::move(status), has_task);
                    });
  });
}

bool Forwarder::BacklogSlotFree() const {
  std::lock_guard lock(mu_);
  return !backlog_in_flight_ && !backlog_paused_;
}

bool Forwarder::Idle() const {
  std::lock_guard lock(mu_);
  return !backlog_in_flight_;
}

void Forwarder::ForwardBacklogTask(Task task, Deferred& after,
                                   std::function<void(bool matched)> done) {
  {
    std::lock_guard lock(mu_);
    backlog_in_flight_ = true;
  }
  auto self = shared_from_this();
  after([self, task = std::move(task), done = std::move(done)] {
    TimePoint deadline = self->core_->clock.Now() + self->core_->options.record_start_timeout;
    self->ForwardTask(task, deadline, [self, done](absl::StatusOr<bool> matched) {
      bool ok = matched.ok() && *matched;
      self->OnBacklogForwarded(ok);
      done(ok);
    });
  });
}

void Forwarder::OnBacklogForwarded(bool matched) {
  std::lock_guard lock(mu_);
  backlog_in_flight_ = false;
  if (matched) {
    backlog_backoff_ = milliseconds(0);
    return;
  }
  if (closed_) return;
  backlog_backoff_ = backlog_backoff_.count() == 0
                         ? core_->options.forward_backoff_initial
                         : std::min(backlog_backoff_ * 2, core_->options.forward_backoff_max);
  backlog_paused_ = true;
  std::weak_ptr<Forwarder> weak_self = weak_from_this();
  backlog_timer_ = core_->timers.PostAfter(backlog_backoff_, [weak_self] {
    auto self = weak_self.lock();
    if (!self) return;
    {
      std::lock_guard lock(self->mu_);
      self->backlog_paused_ = false;
    }
    self->resume_();
  });
}

void Forwarder::Close(Deferred& after) {
  std::lock_guard lock(mu_);
  closed_ = true;
  if (auto t = backlog_timer_) after([t] { t->Cancel(); });
}

}  // namespace tern::matching
