// The VisibilityStore contract suite (visibility_store_contract.h) on the PostgreSQL store, so
// that the contract the Elasticsearch store is held to is checked on every run.
#include "persistence/postgres/postgres_stores.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/integration/visibility_store_contract.h"

namespace tern::testing {
namespace {

class PostgresHarness {
 public:
  void SetUp() {
    SqlStoreConfig config;
    CreateDatabaseWithSchema(&config);
    if (::testing::Test::HasFatalFailure()) return;
    absl::StatusOr<persistence::Stores> stores = persistence::postgres::OpenPostgresStores(config);
    ASSERT_TRUE(stores.ok()) << stores.status();
    visibility_ = stores->visibility;
  }
  void TearDown() {}
  persistence::VisibilityStore& store() { return *visibility_; }
  void Settle() {}  // PostgreSQL reads see every committed write

 private:
  std::shared_ptr<persistence::VisibilityStore> visibility_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, VisibilityStoreContractTest, PostgresHarness);

}  // namespace
}  // namespace tern::testing
