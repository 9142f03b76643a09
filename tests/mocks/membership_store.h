// The fake of persistence::MembershipStore (persistence/store.h).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "persistence/store.h"

namespace tern::mocks {

// Member rows in memory; a heartbeat stamps the row with the clock's now, and only rows younger
// than max_age are live (as the database's clock does for PostgreSQL).
class FakeMembershipStore final : public persistence::MembershipStore {
 public:
  explicit FakeMembershipStore(const Clock& clock = SystemClock::Instance()) : clock_(clock) {}

  // While unavailable every call fails with UNAVAILABLE, as when the database is down.
  void SetAvailable(bool available) {
    std::lock_guard lock(mu_);
    available_ = available;
  }

  absl::Status Heartbeat(const persistence::Member& member) override {
    if (member.host_id.empty()) return absl::InvalidArgumentError("member needs a host_id");
    std::lock_guard lock(mu_);
    if (!available_) return absl::UnavailableError("Heartbeat: database unavailable");
    auto& row = rows_[{member.role, member.host_id}];
    row = member;
    row.last_heartbeat = clock_.Now();
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<persistence::Member>> ListLiveMembers(
      persistence::Role role, std::chrono::milliseconds max_age) override {
    std::lock_guard lock(mu_);
    if (!available_) return absl::UnavailableError("ListLiveMembers: database unavailable");
    auto oldest = clock_.Now() - max_age;
    std::vector<persistence::Member> members;
    for (const auto& [key, member] : rows_) {
      if (key.first == role && member.last_heartbeat > oldest) members.push_back(member);
    }
    return members;
  }

  absl::Status RemoveMember(persistence::Role role, const std::string& host_id) override {
    std::lock_guard lock(mu_);
    rows_.erase({role, host_id});
    return absl::OkStatus();
  }

 private:
  const Clock& clock_;
  std::mutex mu_;
  bool available_ = true;
  std::map<std::pair<persistence::Role, std::string>, persistence::Member> rows_;
};

}  // namespace tern::mocks
