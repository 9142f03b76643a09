// Cluster membership: every service host heartbeats a row in cluster_membership and every host
// builds the same consistent-hash ring per role from the live rows. History shards and
// task-queue partitions are placed with Ring(role)->Lookup(key).
//
// A host that could not heartbeat (its database connection was down) keeps its last view instead
// of refreshing: it cannot tell a dead peer from its own outage. When its heartbeats succeed
// again, for one max_heartbeat_age it still counts every peer that was alive when the outage
// began, so that peers have time to heartbeat too before the ring drops them (otherwise a
// database restart would empty every ring and move every shard and partition at once).
//
// Threading: one background thread does the heartbeats and refreshes (blocking database calls).
// Ring() is safe from any thread and never blocks. Listeners run on the background thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/hashing.h"
#include "persistence/store.h"

namespace tern {

class Membership {
 public:
  using Role = persistence::Role;

  Membership(std::shared_ptr<persistence::MembershipStore> store, MembershipConfig config);
  ~Membership();

  // Registers this process's services (one Member per role it runs), heartbeats once and loads
  // every ring synchronously, then keeps heartbeating in the background.
  absl::Status Start(std::vector<persistence::Member> self);
  // Removes this process's rows so peers re-balance at once. Idempotent.
  void Stop();

  // The current ring of `role` (members are rpc addresses). Never null.
  std::shared_ptr<const HashRing> Ring(Role role) const;
  // Asks the background thread for an early refresh (after a call reached a wrong owner).
  void RequestRefresh();
  // An early refresh, then `then` on the background thread (keep it short: post real work
  // elsewhere). For decisions that must not be taken on a view older than an event just seen.
  void RefreshThen(std::function<void()> then);
  // Called on the background thread after the ring of `role` changed.
  void Subscribe(Role role, std::function<void(std::shared_ptr<const HashRing>)> listener);

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  void Run();
  // Heartbeats every member of this process; tracks outages of our own heartbeats.
  void HeartbeatOnce();
  void RefreshOnce();
  // How old a peer's heartbeat may be to count it alive now (longer right after an outage).
  std::chrono::milliseconds LiveAge(SteadyTime now) const;

  std::shared_ptr<persistence::MembershipStore> store_;
  MembershipConfig config_;
  std::vector<persistence::Member> self_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool refresh_requested_ = false;
  std::vector<std::function<void()>> after_refresh_;  // run after the next refresh
  std::map<Role, std::shared_ptr<const HashRing>> rings_;
  std::multimap<Role, std::function<void(std::shared_ptr<const HashRing>)>> listeners_;
  std::thread thread_;
  // Heartbeat outage tracking, background thread only.
  bool heartbeating_ = true;
  SteadyTime last_heartbeat_;  // last success
  SteadyTime outage_began_;    // last success before the latest outage
  SteadyTime recovered_at_;    // first success after it
};

}  // namespace tern
