#include "membership/membership.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/metrics.h"
#include "common/status_macros.h"

namespace tern {
namespace {

const char* RingName(Membership::Role role) {
  switch (role) {
    case Membership::Role::kFrontend:
      return "frontend";
    case Membership::Role::kHistory:
      return "history";
    case Membership::Role::kMatching:
      return "matching";
    case Membership::Role::kWorker:
      return "worker";
  }
  return "unknown";
}

constexpr persistence::Role kRoles[] = {persistence::Role::kFrontend, persistence::Role::kHistory,
                                        persistence::Role::kMatching, persistence::Role::kWorker};
}  // namespace

Membership::Membership(std::shared_ptr<persistence::MembershipStore> store, MembershipConfig config)
    : store_(std::move(store)), config_(config) {
  for (auto role : kRoles) rings_[role] = std::make_shared<HashRing>(std::vector<std::string>{});
}

Membership::~Membership() { Stop(); }

absl::Status Membership::Start(std::vector<persistence::Member> self) {
  self_ = std::move(self);
  for (const auto& m : self_) {
    RETURN_IF_ERROR(store_->Heartbeat(m));
  }
  last_heartbeat_ = std::chrono::steady_clock::now();
  RefreshOnce();
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void Membership::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const auto& m : self_) {
    if (auto st = store_->RemoveMember(m.role, m.host_id); !st.ok()) {
      Log(spdlog::level::warn, {.error = st.ToString()}, "membership: could not remove {}",
          m.host_id);
    }
  }
}

std::shared_ptr<const HashRing> Membership::Ring(Role role) const {
  std::lock_guard lock(mu_);
  return rings_.at(role);
}

void Membership::RequestRefresh() {
  {
    std::lock_guard lock(mu_);
    refresh_requested_ = true;
  }
  wake_.notify_all();
}

void Membership::RefreshThen(std::function<void()> then) {
  {
    std::lock_guard lock(mu_);
    refresh_requested_ = true;
    after_refresh_.push_back(std::move(then));
  }
  wake_.notify_all();
}

void Membership::Subscribe(Role role,
                           std::function<void(std::shared_ptr<const HashRing>)> listener) {
  std::lock_guard lock(mu_);
  listeners_.emplace(role, std::move(listener));
}

void Membership::Run() {
  auto next_heartbeat = std::chrono::steady_clock::now() + config_.heartbeat_interval;
  while (true) {
    std::vector<std::function<void()>> after_refresh;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_heartbeat, [&] { return stopping_ || refresh_requested_; });
      if (stopping_) return;
      refresh_requested_ = false;
      after_refresh.swap(after_refresh_);
    }
    if (std::chrono::steady_clock::now() >= next_heartbeat) {
      HeartbeatOnce();
      next_heartbeat = std::chrono::steady_clock::now() + config_.heartbeat_interval;
    }
    if (heartbeating_) RefreshOnce();
    for (auto& then : after_refresh) then();
  }
}

void Membership::HeartbeatOnce() {
  absl::Status failed;
  for (const auto& m : self_) {
    if (auto st = store_->Heartbeat(m); !st.ok()) failed = st;
  }
  auto now = std::chrono::steady_clock::now();
  if (failed.ok()) {
    if (!heartbeating_) {
      spdlog::info("membership: heartbeats succeed again; keeping peers seen before the outage");
      recovered_at_ = now;
    }
    heartbeating_ = true;
    last_heartbeat_ = now;
    return;
  }
  if (heartbeating_) {
    Log(spdlog::level::warn, {.error = failed.ToString()},
        "membership: heartbeat failed; keeping the current view until it succeeds");
    outage_began_ = last_heartbeat_;
  } else {
    Log(spdlog::level::warn, {.error = failed.ToString()}, "membership: heartbeat failed");
  }
  heartbeating_ = false;
}

std::chrono::milliseconds Membership::LiveAge(SteadyTime now) const {
  if (recovered_at_ == SteadyTime() || now >= recovered_at_ + config_.max_heartbeat_age) {
    return config_.max_heartbeat_age;
  }
  return config_.max_heartbeat_age +
         std::chrono::duration_cast<std::chrono::milliseconds>(now - outage_began_);
}

void Membership::RefreshOnce() {
  auto live_age = LiveAge(std::chrono::steady_clock::now());
  for (auto role : kRoles) {
    auto members = store_->ListLiveMembers(role, live_age);
    if (!members.ok()) {
      Log(spdlog::level::warn, {.error = members.status().ToString()},
          "membership: listing members failed");
      return;
    }
    std::vector<std::string> addresses;
    for (const auto& m : *members) addresses.push_back(m.rpc_address);
    auto ring = std::make_shared<HashRing>(std::move(addresses));
    std::vector<std::function<void(std::shared_ptr<const HashRing>)>> to_notify;
    {
      std::lock_guard lock(mu_);
      if (rings_[role]->members() == ring->members()) continue;
      rings_[role] = ring;
      metrics::kMembershipChangedCount.With().Increment();
      auto [begin, end] = listeners_.equal_range(role);
      for (auto it = begin; it != end; ++it) to_notify.push_back(it->second);
    }
    spdlog::info("membership: the {} ring now has {} member(s)", RingName(role),
                 ring->members().size());
    for (auto& fn : to_notify) fn(ring);
  }
}

}  // namespace tern
