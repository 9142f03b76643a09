#include "services/frontend/call_reactor.h"

#include <vector>

namespace tern::frontend {

std::shared_ptr<CallReactor> CallReactor::Create(PollRegistry* registry) {
  auto reactor = std::shared_ptr<CallReactor>(new CallReactor(registry));
  reactor->self_ = reactor;
  return reactor;
}

CallReactor::CallReactor(PollRegistry* registry) : registry_(registry) {}

bool CallReactor::TryFinish(const grpc::Status& status) {
  if (!Claim()) return false;
  Finish(status);
  return true;
}

void CallReactor::OnCancel() { handle_->Cancel(); }

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

}  // namespace tern::frontend
