// NamespaceCache (background refresh, direct load on a miss) and the namespace RPC logic, over an
// in-memory NamespaceStore.
#include <gtest/gtest.h>

#include <future>

#include "common/errors.h"
#include "persistence/namespace_cache.h"
#include "services/frontend/namespace_handler.h"
#include "temporal/api/errordetails/v1/message.pb.h"
#include "tests/unit/frontend_fakes.h"

namespace tern::frontend {
namespace {

using namespace std::chrono_literals;
using testing::FakeNamespaceStore;
using testing::MakeNamespace;
using testing::WaitFor;
namespace enums = temporal::api::enums::v1;
namespace errordetails = temporal::api::errordetails::v1;

class NamespaceCacheTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeNamespaceStore> store_ = std::make_shared<FakeNamespaceStore>();
  Executor executor_{2, "ns-test"};
  std::shared_ptr<NamespaceCache> cache_ = NamespaceCache::Create(store_, executor_, 50ms);

  void TearDown() override { cache_->Stop(); }

  // Runs GetByName and waits for its callback.
  absl::StatusOr<NamespaceCache::Entry> Get(const std::string& name) {
    std::promise<absl::StatusOr<NamespaceCache::Entry>> done;
    cache_->GetByName(name, [&](absl::StatusOr<NamespaceCache::Entry> e) { done.set_value(e); });
    return done.get_future().get();
  }
};

TEST_F(NamespaceCacheTest, RefreshPicksUpNamespacesCreatedElsewhere) {
  ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("early", "id-early")).ok());
  cache_->Start();
  ASSERT_TRUE(WaitFor([&] { return cache_->FindByName("early") != nullptr; }));

  // Created behind the cache's back (another frontend, the CLI): visible without a lookup miss.
  ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("late", "id-late")).ok());
  ASSERT_TRUE(WaitFor([&] { return cache_->FindByName("late") != nullptr; }, 2s));
  EXPECT_EQ(cache_->FindById("id-late")->info().name(), "late");
}

TEST_F(NamespaceCacheTest, NameOfAMissLoadsTheNamespaceInTheBackground) {
  // Not started: no periodic refresh, so only the miss can bring the record in.
  ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("fresh", "id-fresh")).ok());
  EXPECT_EQ(cache_->NameOf("id-fresh"), "") << "never blocks on the store";
  ASSERT_TRUE(WaitFor([&] { return cache_->FindById("id-fresh") != nullptr; }));
  EXPECT_EQ(cache_->NameOf("id-fresh"), "fresh");
  EXPECT_EQ(cache_->NameOf("id-missing"), "");
}

TEST_F(NamespaceCacheTest, RefreshPicksUpUpdatesAndDeletes) {
  ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("orders", "id-1")).ok());
  cache_->Start();
  ASSERT_TRUE(WaitFor([&] { return cache_->FindByName("orders") != nullptr; }));

  auto updated = MakeNamespace("orders", "id-1");
  updated.mutable_info()->set_description("v2");
  ASSERT_TRUE(store_->UpdateNamespace(updated).ok());
  ASSERT_TRUE(
      WaitFor([&] { return cache_->FindByName("orders")->info().description() == "v2"; }, 2s));

  ASSERT_TRUE(store_->DeleteNamespace("id-1").ok());
  ASSERT_TRUE(WaitFor([&] { return cache_->FindByName("orders") == nullptr; }, 2s));
  EXPECT_EQ(cache_->FindById("id-1"), nullptr);
}

TEST_F(NamespaceCacheTest, RefreshReadsEveryPage) {
  for (int i = 0; i < 450; ++i) {
    ASSERT_TRUE(
        store_->CreateNamespace(MakeNamespace("ns" + std::to_string(i), "id" + std::to_string(i)))
            .ok());
  }
  ASSERT_TRUE(cache_->Refresh().ok());
  EXPECT_NE(cache_->FindByName("ns0"), nullptr);
  EXPECT_NE(cache_->FindByName("ns449"), nullptr);
  EXPECT_NE(cache_->FindById("id225"), nullptr);
}

TEST_F(NamespaceCacheTest, MissIsLoadedFromTheStoreAndCached) {
  // No refresh loop: only the direct load can find it.
  ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("fresh", "id-fresh")).ok());
  EXPECT_EQ(cache_->FindByName("fresh"), nullptr);
  auto entry = Get("fresh");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ((*entry)->info().id(), "id-fresh");
  int calls = store_->calls();
  EXPECT_TRUE(Get("fresh").ok());
  EXPECT_EQ(store_->calls(), calls) << "a hit must not touch the store";
  EXPECT_NE(cache_->FindById("id-fresh"), nullptr);
}

TEST_F(NamespaceCacheTest, UnknownNamespaceIsNamespaceNotFound) {
  auto entry = Get("nope");
  ASSERT_EQ(entry.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(entry.status().message(), "Namespace nope is not found.");
  errordetails::NamespaceNotFoundFailure detail;
  ASSERT_TRUE(GetDetail(entry.status(), &detail));
  EXPECT_EQ(detail.namespace_(), "nope");
}

TEST_F(NamespaceCacheTest, StoreErrorsPassThroughAndRefreshKeepsOldEntries) {
  ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("orders", "id-1")).ok());
  ASSERT_TRUE(cache_->Refresh().ok());
  store_->SetError(absl::UnavailableError("db down"));
  EXPECT_EQ(cache_->Refresh().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(cache_->FindByName("orders"), nullptr) << "a failed refresh keeps what we had";
  EXPECT_EQ(Get("other").status().code(), absl::StatusCode::kUnavailable);
}

// The operator's write lands between a reader's store read and its answer: the reader's older
// record must not replace the one this process just wrote (a start right after
// AddSearchAttributes would be refused the new attribute until the next refresh).
class NamespaceCacheRaceTest : public NamespaceCacheTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("orders", "id-1")).ok());
    ASSERT_TRUE(cache_->Refresh().ok());
    store_->RunOnceAfterNextRead([this] {
      auto updated = MakeNamespace("orders", "id-1");
      updated.mutable_info()->set_description("v2");
      ASSERT_TRUE(store_->UpdateNamespace(updated).ok());
      cache_->Put(updated);
    });
  }
  std::string Description() { return cache_->FindByName("orders")->info().description(); }
};

TEST_F(NamespaceCacheRaceTest, ARefreshThatReadBeforeAPutKeepsThePut) {
  ASSERT_TRUE(cache_->Refresh().ok());
  EXPECT_EQ(Description(), "v2");
  EXPECT_EQ(cache_->FindById("id-1")->info().description(), "v2");
  // The next refresh reads the write itself.
  ASSERT_TRUE(cache_->Refresh().ok());
  EXPECT_EQ(Description(), "v2");
}

TEST_F(NamespaceCacheRaceTest, ALoadThatReadBeforeAPutAnswersWithThePut) {
  auto by_id = cache_->LoadById("id-1");
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ((*by_id)->info().description(), "v2");
  EXPECT_EQ(Description(), "v2");
}

TEST_F(NamespaceCacheRaceTest, ALoadByNameThatReadBeforeAPutAnswersWithThePut) {
  auto by_name = cache_->LoadByName("orders");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ((*by_name)->info().description(), "v2");
  EXPECT_EQ(Description(), "v2");
}

TEST_F(NamespaceCacheTest, StopEndsTheRefreshLoop) {
  cache_->Start();
  ASSERT_TRUE(WaitFor([&] { return store_->list_calls() >= 2; }));
  cache_->Stop();
  int calls = store_->list_calls();
  // Several refresh intervals later nothing more was listed.
  std::promise<void> later;
  auto timer = executor_.PostAfter(300ms, [&] { later.set_value(); });
  later.get_future().wait();
  EXPECT_EQ(store_->list_calls(), calls);
}

// ---- namespace RPCs
// ------------------------------------------------------------------------------

class NamespaceHandlerTest : public ::testing::Test {
 protected:
  NamespaceHandlerTest() {
    config_.cluster_name = "active";
    dynamicconfig::Values values;
    values.Set(dynamicconfig::kLimitBlobSizeError, int64_t{2 * 1024 * 1024});
    config_.dynamic.Update(values);
  }
  Config config_;
  std::shared_ptr<FakeNamespaceStore> store_ = std::make_shared<FakeNamespaceStore>();
  Executor executor_{1, "ns-test"};
  std::shared_ptr<NamespaceCache> cache_ = NamespaceCache::Create(store_, executor_);
  NamespaceHandler handler_{config_, store_, cache_};

  ws::RegisterNamespaceRequest RegisterRequest(const std::string& name) {
    ws::RegisterNamespaceRequest r;
    r.set_namespace_(name);
    r.set_description("orders of the shop");
    r.set_owner_email("ops@example.com");
    (*r.mutable_data())["team"] = "shop";
    r.mutable_workflow_execution_retention_period()->set_seconds(3 * 24 * 3600);
    return r;
  }
};

TEST_F(NamespaceHandlerTest, RegisterThenDescribeByNameAndId) {
  ASSERT_TRUE(handler_.Register(RegisterRequest("orders")).ok());
  EXPECT_NE(cache_->FindByName("orders"), nullptr) << "usable at once through this frontend";

  ws::DescribeNamespaceRequest by_name;
  by_name.set_namespace_("orders");
  auto d = handler_.Describe(by_name);
  ASSERT_TRUE(d.ok()) << d.status();
  const auto& info = d->namespace_info();
  EXPECT_EQ(info.name(), "orders");
  EXPECT_EQ(info.state(), enums::NAMESPACE_STATE_REGISTERED);
  EXPECT_EQ(info.description(), "orders of the shop");
  EXPECT_EQ(info.owner_email(), "ops@example.com");
  EXPECT_EQ(info.data().at("team"), "shop");
  EXPECT_EQ(info.id().size(), 36u);
  EXPECT_TRUE(info.capabilities().eager_workflow_start());
  EXPECT_TRUE(info.supports_schedules());
  EXPECT_FALSE(info.capabilities().worker_poll_complete_on_shutdown());
  EXPECT_FALSE(info.capabilities().workflow_task_completion_pagination());
  EXPECT_EQ(info.limits().blob_size_limit_error(), 2 * 1024 * 1024);
  EXPECT_EQ(info.limits().memo_size_limit_error(), 2 * 1024 * 1024);
  EXPECT_EQ(d->config().workflow_execution_retention_ttl().seconds(), 3 * 24 * 3600);
  EXPECT_EQ(d->config().history_archival_state(), enums::ARCHIVAL_STATE_DISABLED);
  EXPECT_EQ(d->replication_config().active_cluster_name(), "active");
  ASSERT_EQ(d->replication_config().clusters_size(), 1);
  EXPECT_EQ(d->replication_config().clusters(0).cluster_name(), "active");
  EXPECT_FALSE(d->is_global_namespace());

  ws::DescribeNamespaceRequest by_id;
  by_id.set_id(info.id());
  auto d2 = handler_.Describe(by_id);
  ASSERT_TRUE(d2.ok()) << d2.status();
  EXPECT_EQ(d2->namespace_info().name(), "orders");
}

TEST_F(NamespaceHandlerTest, RegisterTwiceIsAlreadyExists) {
  ASSERT_TRUE(handler_.Register(RegisterRequest("orders")).ok());
  auto again = handler_.Register(RegisterRequest("orders"));
  ASSERT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "Namespace \"orders\" already exists.");
  errordetails::NamespaceAlreadyExistsFailure detail;
  EXPECT_TRUE(GetDetail(again.status(), &detail));
}

TEST_F(NamespaceHandlerTest, RegisterRejectsShortRetentionAndWritesNothing) {
  auto r = RegisterRequest("orders");
  r.mutable_workflow_execution_retention_period()->set_seconds(60);
  auto result = handler_.Register(r);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(result.status().message()).find("at least 1h"), std::string::npos);
  EXPECT_EQ(store_->calls(), 0);
}

TEST_F(NamespaceHandlerTest, DescribeUnknownIsNamespaceNotFound) {
  ws::DescribeNamespaceRequest r;
  r.set_namespace_("ghost");
  auto d = handler_.Describe(r);
  ASSERT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  errordetails::NamespaceNotFoundFailure detail;
  ASSERT_TRUE(GetDetail(d.status(), &detail));
  EXPECT_EQ(detail.namespace_(), "ghost");
}

TEST_F(NamespaceHandlerTest, ListPagesThroughEverything) {
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    ASSERT_TRUE(handler_.Register(RegisterRequest(name)).ok());
  }
  std::vector<std::string> names;
  ws::ListNamespacesRequest r;
  r.set_page_size(2);
  int pages = 0;
  do {
    auto page = handler_.List(r);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& ns : page->namespaces()) names.push_back(ns.namespace_info().name());
    r.set_next_page_token(page->next_page_token());
    ASSERT_LT(++pages, 10);
  } while (!r.next_page_token().empty());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST_F(NamespaceHandlerTest, ListHidesDeletedUnlessAsked) {
  ASSERT_TRUE(handler_.Register(RegisterRequest("live")).ok());
  ASSERT_TRUE(handler_.Register(RegisterRequest("gone")).ok());
  ws::UpdateNamespaceRequest del;
  del.set_namespace_("gone");
  del.mutable_update_info()->set_state(enums::NAMESPACE_STATE_DELETED);
  ASSERT_TRUE(handler_.Update(del).ok());

  auto page = handler_.List(ws::ListNamespacesRequest());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->namespaces_size(), 1);
  EXPECT_EQ(page->namespaces(0).namespace_info().name(), "live");

  ws::ListNamespacesRequest all;
  all.mutable_namespace_filter()->set_include_deleted(true);
  EXPECT_EQ(handler_.List(all)->namespaces_size(), 2);
}

TEST_F(NamespaceHandlerTest, UpdateChangesInfoAndRetention) {
  ASSERT_TRUE(handler_.Register(RegisterRequest("orders")).ok());
  ws::UpdateNamespaceRequest u;
  u.set_namespace_("orders");
  u.mutable_update_info()->set_description("new description");
  (*u.mutable_update_info()->mutable_data())["tier"] = "gold";
  u.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(7 * 24 * 3600);
  auto result = handler_.Update(u);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->namespace_info().description(), "new description");
  EXPECT_EQ(result->namespace_info().owner_email(), "ops@example.com") << "unset fields are kept";
  EXPECT_EQ(result->namespace_info().data().at("team"), "shop") << "data is merged";
  EXPECT_EQ(result->namespace_info().data().at("tier"), "gold");
  EXPECT_EQ(result->config().workflow_execution_retention_ttl().seconds(), 7 * 24 * 3600);

  auto stored = store_->GetNamespaceByName("orders");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->info().description(), "new description");
  EXPECT_EQ(cache_->FindByName("orders")->info().description(), "new description");
}

TEST_F(NamespaceHandlerTest, UpdateValidation) {
  ASSERT_TRUE(handler_.Register(RegisterRequest("orders")).ok());
  ws::UpdateNamespaceRequest u;
  u.set_namespace_("ghost");
  EXPECT_EQ(handler_.Update(u).status().code(), absl::StatusCode::kNotFound);

  u.set_namespace_("orders");
  u.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(1);
  EXPECT_EQ(handler_.Update(u).status().code(), absl::StatusCode::kInvalidArgument);

  ws::UpdateNamespaceRequest del;
  del.set_namespace_("orders");
  del.mutable_update_info()->set_state(enums::NAMESPACE_STATE_DELETED);
  ASSERT_TRUE(handler_.Update(del).ok());
  ws::UpdateNamespaceRequest revive = del;
  revive.mutable_update_info()->set_state(enums::NAMESPACE_STATE_REGISTERED);
  EXPECT_EQ(handler_.Update(revive).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tern::frontend
