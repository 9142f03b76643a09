// Namespaces, cluster metadata and membership.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "persistence/postgres/postgres_stores.h"
#include "tests/integration/postgres_fixture.h"

namespace tern::testing {
namespace {

using persistence::Member;
using persistence::Role;

persistence::v1::NamespaceRecord Namespace(const std::string& id, const std::string& name) {
  persistence::v1::NamespaceRecord r;
  r.mutable_info()->set_id(id);
  r.mutable_info()->set_name(name);
  r.mutable_info()->set_description("about " + name);
  r.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(86400);
  return r;
}

using NamespaceStoreTest = PostgresTest;

TEST_F(NamespaceStoreTest, CreateGetUpdateDelete) {
  auto& store = *stores_.namespaces;
  ASSERT_TRUE(store.CreateNamespace(Namespace("id-1", "orders")).ok());
  EXPECT_EQ(store.CreateNamespace(Namespace("id-2", "orders")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.CreateNamespace(Namespace("id-1", "billing")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.CreateNamespace(Namespace("", "x")).code(), absl::StatusCode::kInvalidArgument);

  auto by_name = store.GetNamespaceByName("orders");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->info().id(), "id-1");
  EXPECT_EQ(by_name->config().workflow_execution_retention_ttl().seconds(), 86400);
  auto by_id = store.GetNamespaceById("id-1");
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->info().description(), "about orders");
  EXPECT_EQ(store.GetNamespaceByName("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.GetNamespaceById("nope").status().code(), absl::StatusCode::kNotFound);

  persistence::v1::NamespaceRecord renamed = Namespace("id-1", "orders-v2");
  renamed.mutable_info()->set_description("changed");
  ASSERT_TRUE(store.UpdateNamespace(renamed).ok());
  EXPECT_EQ(store.GetNamespaceByName("orders").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.GetNamespaceById("id-1")->info().description(), "changed");
  EXPECT_EQ(store.UpdateNamespace(Namespace("id-9", "ghost")).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store.CreateNamespace(Namespace("id-2", "billing")).ok());
  EXPECT_EQ(store.UpdateNamespace(Namespace("id-2", "orders-v2")).code(),
            absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(store.DeleteNamespace("id-1").ok());
  EXPECT_EQ(store.GetNamespaceById("id-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.DeleteNamespace("id-1").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.GetNamespaceById("id-2").ok());
}

TEST_F(NamespaceStoreTest, ListPagesByName) {
  auto& store = *stores_.namespaces;
  for (const char* name : {"delta", "alpha", "echo", "charlie", "bravo"}) {
    ASSERT_TRUE(store.CreateNamespace(Namespace(absl::StrCat("id-", name), name)).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = store.ListNamespaces(2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->namespaces.size(), 2u);
    for (const auto& ns : page->namespaces) seen.push_back(ns.info().name());
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo"}));
  EXPECT_EQ(pages, 3);

  // An exact fit has no further page.
  auto all = store.ListNamespaces(5, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->namespaces.size(), 5u);
  EXPECT_EQ(all->next_page_token, "");
  EXPECT_EQ(store.ListNamespaces(0, "").status().code(), absl::StatusCode::kInvalidArgument);
}

using ClusterMetadataStoreTest = PostgresTest;

TEST_F(ClusterMetadataStoreTest, FirstWriterWins) {
  auto first = stores_.cluster_metadata->InitClusterMetadata({"active", 4});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->cluster_name, "active");
  EXPECT_EQ(first->num_history_shards, 4);

  // Another process (its own pool) proposing different values gets what is stored.
  auto other = persistence::postgres::OpenPostgresStores(config_);
  ASSERT_TRUE(other.ok());
  auto second = other->cluster_metadata->InitClusterMetadata({"passive", 16});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->cluster_name, "active");
  EXPECT_EQ(second->num_history_shards, 4);
}

TEST_F(ClusterMetadataStoreTest, ConcurrentInitAgrees) {
  std::vector<persistence::ClusterMetadata> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto r = stores_.cluster_metadata->InitClusterMetadata({absl::StrCat("c", i), 1 << i});
      if (r.ok()) results[i] = *r;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    EXPECT_FALSE(r.cluster_name.empty());
    EXPECT_EQ(r.cluster_name, results[0].cluster_name);
    EXPECT_EQ(r.num_history_shards, results[0].num_history_shards);
  }
}

using MembershipStoreTest = PostgresTest;

Member MakeMember(Role role, const std::string& host_id, const std::string& address) {
  Member m;
  m.role = role;
  m.host_id = host_id;
  m.rpc_address = address;
  m.session_start = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  return m;
}

std::vector<std::string> Hosts(const std::vector<Member>& members) {
  std::vector<std::string> hosts;
  for (const auto& m : members) hosts.push_back(m.host_id);
  return hosts;
}

TEST_F(MembershipStoreTest, HeartbeatListExpireRemove) {
  auto& store = *stores_.membership;
  const auto max_age = std::chrono::seconds(10);
  ASSERT_TRUE(store.Heartbeat(MakeMember(Role::kHistory, "h1", "10.0.0.1:7234")).ok());
  ASSERT_TRUE(store.Heartbeat(MakeMember(Role::kHistory, "h2", "10.0.0.2:7234")).ok());
  ASSERT_TRUE(store.Heartbeat(MakeMember(Role::kMatching, "m1", "10.0.0.1:7235")).ok());

  auto history = store.ListLiveMembers(Role::kHistory, max_age);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(Hosts(*history), (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ((*history)[0].rpc_address, "10.0.0.1:7234");
  EXPECT_EQ((*history)[0].role, Role::kHistory);
  EXPECT_EQ((*history)[0].session_start,
            std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
  auto age = std::chrono::system_clock::now() - (*history)[0].last_heartbeat;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(1));  // database clock, close to ours
  EXPECT_EQ(Hosts(*store.ListLiveMembers(Role::kMatching, max_age)),
            (std::vector<std::string>{"m1"}));

  // h2 stops heartbeating: age its heartbeat instead of waiting.
  ASSERT_TRUE(server_
                  ->Exec(config_,
                         "UPDATE cluster_membership SET last_heartbeat = now() - interval '1 hour' "
                         "WHERE host_id = 'h2'")
                  .ok());
  EXPECT_EQ(Hosts(*store.ListLiveMembers(Role::kHistory, max_age)),
            (std::vector<std::string>{"h1"}));
  EXPECT_EQ(Hosts(*store.ListLiveMembers(Role::kHistory, std::chrono::hours(2))),
            (std::vector<std::string>{"h1", "h2"}));

  // A heartbeat brings it back, with its new address.
  ASSERT_TRUE(store.Heartbeat(MakeMember(Role::kHistory, "h2", "10.0.0.3:7234")).ok());
  history = store.ListLiveMembers(Role::kHistory, max_age);
  ASSERT_EQ(Hosts(*history), (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ((*history)[1].rpc_address, "10.0.0.3:7234");

  ASSERT_TRUE(store.RemoveMember(Role::kHistory, "h1").ok());
  EXPECT_EQ(Hosts(*store.ListLiveMembers(Role::kHistory, max_age)),
            (std::vector<std::string>{"h2"}));
  EXPECT_EQ(Hosts(*store.ListLiveMembers(Role::kMatching, max_age)),
            (std::vector<std::string>{"m1"}));
}

}  // namespace
}  // namespace tern::testing
