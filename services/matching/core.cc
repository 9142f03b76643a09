#include "services/matching/core.h"

#include "common/errors.h"

namespace tern::matching {

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

bool HasExpiry(const persistence::v1::MatchingTask& task) {
  return task.has_expiry_time() &&
         (task.expiry_time().seconds() != 0 || task.expiry_time().nanos() != 0);
}

absl::Status OwnershipLost() { return ShardOwnershipLostError(0, ""); }

}  // namespace tern::matching
