#include "services/frontend/call_reactor.h"

#include <algorithm>
#include <vector>

#include "common/errors.h"

namespace tern::frontend {

void Reactor::Finish(const grpc::Status& status) {
  {
    // The call stops counting once answered, even if a callback keeps this reactor for longer
    // (it may outlive the frontend, whose limiter the count points into).
    CallRecord record = std::move(record_);
    gate_.Finished(record, FromGrpcStatus(status));
  }
  transport_.Answer(status);
}

Reactor* CallContext::DefaultReactor() {
  if (reactor_ == nullptr) reactor_ = new Reactor(std::move(record_), gate_, transport_);
  return reactor_;
}

std::shared_ptr<CallReactor> CallReactor::Create(CallContext& call, PollRegistry* registry) {
  auto reactor = std::shared_ptr<CallReactor>(new CallReactor(call, registry));
  reactor->self_ = reactor;
  call.reactor_ = reactor.get();
  return reactor;
}

CallReactor::CallReactor(CallContext& call, PollRegistry* registry)
    : Reactor(std::move(call.record_), call.gate_, call.transport_), registry_(registry) {}

bool CallReactor::TryFinish(const grpc::Status& status) {
  if (!Claim()) return false;
  Finish(status);
  return true;
}

void CallReactor::OnCancel() {
  // Cancelling may answer the call at once (an in-process poll), and gRPC may then run OnDone
  // inline, before Cancel() returns: keep the reactor and the handle alive until it does.
  auto self = shared_from_this();
  auto handle = handle_;
  handle->Cancel();
}

void CallReactor::OnDone() {
  if (registry_) registry_->Remove(this);
  held_.reset();
  self_.reset();  // may destroy *this if no callback holds it any more
}

bool PollRegistry::Add(CallReactor* reactor) {
  std::lock_guard lock(mu_);
  if (stopped_) return false;
  polls_.insert(reactor);
  return true;
}

void PollRegistry::Remove(CallReactor* reactor) {
  std::lock_guard lock(mu_);
  polls_.erase(reactor);
}

void PollRegistry::Stop() {
  std::vector<std::shared_ptr<CallReactor>> parked;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    // Members of the set have not seen OnDone yet (Remove runs first), so they are alive.
    for (auto* reactor : polls_) parked.push_back(reactor->shared_from_this());
  }
  // Outside the lock: cancelling and finishing may call back into Remove().
  for (auto& reactor : parked) {
    reactor->handle()->Cancel();
    reactor->TryFinish(grpc::Status::OK);
  }
}

namespace {

absl::Status ShuttingDown() {
  return absl::UnavailableError("the frontend is shutting down; retry the call");
}

}  // namespace

client::CallOptions ForwardedCalls::Options(TimePoint deadline) {
  client::CallOptions options{deadline};
  options.handle = std::make_shared<client::CallHandle>();
  Track(options.handle);
  return options;
}

void ForwardedCalls::Track(const std::shared_ptr<client::CallHandle>& handle) {
  std::lock_guard lock(mu_);
  if (stopped_) {
    handle->Cancel(ShuttingDown());
    return;
  }
  if (handles_.size() >= prune_at_) {
    std::erase_if(handles_, [](const auto& weak) { return weak.expired(); });
    prune_at_ = std::max<size_t>(64, 2 * handles_.size());
  }
  handles_.push_back(handle);
}

void ForwardedCalls::Stop() {
  std::vector<std::shared_ptr<client::CallHandle>> running;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (const auto& weak : handles_) {
      if (auto handle = weak.lock()) running.push_back(std::move(handle));
    }
    handles_.clear();
  }
  // Outside the lock: a cancelled call may finish (and start another) on this thread.
  for (const auto& handle : running) handle->Cancel(ShuttingDown());
}

}  // namespace tern::frontend
