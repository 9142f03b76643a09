// The PostgreSQL shard store beyond what the execution store contract
// (execution_store_contract.h) covers.
#include <gtest/gtest.h>

#include "tests/integration/postgres_fixture.h"

namespace tern::testing {
namespace {

constexpr int32_t kShard = 3;

class ExecutionStoreTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    auto lease = stores_.shards->AcquireShard(kShard, "host-a");
    ASSERT_TRUE(lease.ok()) << lease.status();
    range_id_ = lease->range_id;
  }
  int64_t range_id_ = 0;
};

TEST_F(ExecutionStoreTest, ShardInfoPersistsAcrossAcquire) {
  persistence::v1::ShardInfo info;
  info.set_shard_id(kShard);
  info.set_transfer_ack_level(42);
  ASSERT_TRUE(stores_.shards->UpdateShardInfo(kShard, range_id_, info).ok());
  auto next = stores_.shards->AcquireShard(kShard, "host-b");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->info.transfer_ack_level(), 42);
  EXPECT_EQ(next->info.owner_host(), "host-b");
  EXPECT_EQ(next->range_id, range_id_ + 1);
}

}  // namespace
}  // namespace tern::testing
