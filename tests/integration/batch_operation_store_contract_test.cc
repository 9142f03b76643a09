// The BatchOperationStore contract suite (batch_operation_store_contract.h) on PostgreSQL: the
// bare store, and the store wrapped in the decorators every service gets from DecorateStores
// (persistence/factory.h), so the retry and metrics layers are held to the same contract
// (a condition failure is not retried into a success, every status passes through unchanged).
#include "tests/integration/batch_operation_store_contract.h"

#include "common/clock.h"
#include "persistence/factory.h"
#include "persistence/postgres/postgres_stores.h"
#include "tests/integration/postgres_fixture.h"

namespace tern::testing {
namespace {

template <bool kDecorated>
class PostgresHarness {
 public:
  void SetUp() {
    SqlStoreConfig config;
    CreateDatabaseWithSchema(&config);
    if (::testing::Test::HasFatalFailure()) return;
    absl::StatusOr<persistence::Stores> stores = persistence::postgres::OpenPostgresStores(config);
    ASSERT_TRUE(stores.ok()) << stores.status();
    stores_ = kDecorated ? persistence::DecorateStores(*stores, SystemClock::Instance())
                         : *std::move(stores);
    ASSERT_NE(stores_.batch_operations, nullptr);
  }
  void TearDown() {}
  persistence::BatchOperationStore& store() { return *stores_.batch_operations; }

 private:
  persistence::Stores stores_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, BatchOperationStoreContractTest, PostgresHarness<false>);
INSTANTIATE_TYPED_TEST_SUITE_P(DecoratedPostgres, BatchOperationStoreContractTest,
                               PostgresHarness<true>);

}  // namespace
}  // namespace tern::testing
