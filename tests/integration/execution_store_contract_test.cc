// The ExecutionStore contract suite (execution_store_contract.h) on the fake every unit test uses
// (tests/mocks/execution_store.h) and on PostgreSQL, so the fake is held to what the real store
// does.
#include "tests/integration/execution_store_contract.h"

#include "persistence/postgres/postgres_stores.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/mocks/execution_store.h"

namespace tern::testing {
namespace {

class FakeHarness {
 public:
  void SetUp() {}
  void TearDown() {}
  persistence::ExecutionStore& executions() { return executions_; }
  persistence::ShardStore& shards() { return *shards_; }
  void Restart() {}  // the fake's rows live as long as the fake

 private:
  std::shared_ptr<mocks::FakeShardStore> shards_ = std::make_shared<mocks::FakeShardStore>();
  mocks::FakeExecutionStore executions_{shards_};
};

class PostgresHarness {
 public:
  void SetUp() {
    CreateDatabaseWithSchema(&config_);
    if (::testing::Test::HasFatalFailure()) return;
    Restart();
  }
  void TearDown() {}
  persistence::ExecutionStore& executions() { return *stores_.executions; }
  persistence::ShardStore& shards() { return *stores_.shards; }
  void Restart() {
    stores_ = {};  // closes the pool
    absl::StatusOr<persistence::Stores> stores = persistence::postgres::OpenPostgresStores(config_);
    ASSERT_TRUE(stores.ok()) << stores.status();
    stores_ = *std::move(stores);
  }

 private:
  SqlStoreConfig config_;
  persistence::Stores stores_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Fake, ExecutionStoreContractTest, FakeHarness);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, ExecutionStoreContractTest, PostgresHarness);

}  // namespace
}  // namespace tern::testing
