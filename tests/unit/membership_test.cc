// Membership over the fake store: a host whose own heartbeats fail (its database is down) keeps
// its view, and after the outage keeps the peers it knew for one max_heartbeat_age, so a
// database restart does not empty the rings; a peer that stays away is dropped after that.
#include "membership/membership.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/mocks/membership_store.h"
#include "tests/mocks/wait_for.h"

namespace tern {
namespace {

using persistence::Member;
using persistence::Role;

constexpr std::chrono::milliseconds kHeartbeat{20};
constexpr std::chrono::milliseconds kMaxAge{1000};

Member HistoryHost(const std::string& name) {
  Member m;
  m.role = Role::kHistory;
  m.host_id = name;
  m.rpc_address = name + ":7234";
  m.session_start = std::chrono::system_clock::now();
  return m;
}

class MembershipTest : public ::testing::Test {
 protected:
  MembershipTest() {
    EXPECT_TRUE(store_->Heartbeat(peer_).ok());
    EXPECT_TRUE(membership_.Start({HistoryHost("self")}).ok());
    // Changes from the first view on (self and peer).
    membership_.Subscribe(Role::kHistory, [this](std::shared_ptr<const HashRing> ring) {
      std::lock_guard lock(mu_);
      views_.push_back(ring->members().size());
    });
    peer_thread_ = std::thread([this] {
      while (!done_) {
        if (peer_alive_) (void)store_->Heartbeat(peer_);
        std::this_thread::sleep_for(kHeartbeat);
      }
    });
  }
  ~MembershipTest() override {
    done_ = true;
    peer_thread_.join();
    membership_.Stop();
  }

  size_t RingSize() const { return membership_.Ring(Role::kHistory)->members().size(); }
  std::vector<size_t> Views() {
    std::lock_guard lock(mu_);
    return views_;
  }

  std::shared_ptr<mocks::FakeMembershipStore> store_ =
      std::make_shared<mocks::FakeMembershipStore>();
  Member peer_ = HistoryHost("peer");
  Membership membership_{store_, MembershipConfig{kHeartbeat, kMaxAge}};
  std::atomic<bool> peer_alive_{true};
  std::atomic<bool> done_{false};
  std::thread peer_thread_;
  std::mutex mu_;
  std::vector<size_t> views_;  // ring sizes the listener saw
};

TEST_F(MembershipTest, ADatabaseOutageLongerThanMaxAgeLeavesTheRingAlone) {
  ASSERT_EQ(RingSize(), 2u);
  store_->SetAvailable(false);
  // Longer than max_heartbeat_age: every row is stale when the database comes back.
  std::this_thread::sleep_for(kMaxAge + kMaxAge / 2);
  EXPECT_EQ(RingSize(), 2u) << "the view changed while nothing could be read";
  store_->SetAvailable(true);
  // Both hosts heartbeat again; past the grace period the view is still both of them.
  std::this_thread::sleep_for(kMaxAge * 2);
  EXPECT_EQ(RingSize(), 2u);
  EXPECT_EQ(Views(), std::vector<size_t>{}) << "the ring changed across the outage";
}

TEST_F(MembershipTest, APeerThatStaysAwayAfterTheOutageIsDroppedOnceGraceEnds) {
  store_->SetAvailable(false);
  peer_alive_ = false;
  std::this_thread::sleep_for(kMaxAge / 2);
  store_->SetAvailable(true);
  // The listener hears of the new ring just after the ring is replaced: wait for both.
  ASSERT_TRUE(mocks::WaitFor([&] { return RingSize() == 1 && !Views().empty(); }, kMaxAge * 10))
      << "the silent peer was never dropped";
  EXPECT_EQ(Views(), std::vector<size_t>{1});
}

}  // namespace
}  // namespace tern
