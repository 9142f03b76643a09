// ShardController over in-memory stores: a shard another host takes comes back at once when the
// ring says it is ours (the taker acted on a stale view), without waiting for a periodic pass.
#include <gtest/gtest.h>

#include "services/history/shard_controller.h"
#include "tests/unit/history_fakes.h"

namespace tern::history {
namespace {

constexpr int32_t kShards = 4;
constexpr char kSelf[] = "127.0.0.1:7234";

class ShardControllerTest : public ::testing::Test {
 protected:
  ShardControllerTest() {
    persistence::Member self;
    self.role = persistence::Role::kHistory;
    self.host_id = "history-host-1";
    self.rpc_address = kSelf;
    self.session_start = std::chrono::system_clock::now();
    EXPECT_TRUE(membership_.Start({self}).ok());
    controller_.Start();
  }
  ~ShardControllerTest() override {
    controller_.Stop();
    membership_.Stop();
    executor_.Stop();
  }

  persistence::Stores Stores() {
    persistence::Stores stores;
    stores.membership = membership_store_;
    stores.shards = shard_store_;
    stores.executions = executions_;
    return stores;
  }

  Executor executor_{2, "shards-test"};
  std::shared_ptr<mocks::FakeShardStore> shard_store_ = std::make_shared<mocks::FakeShardStore>();
  std::shared_ptr<mocks::FakeExecutionStore> executions_ =
      std::make_shared<mocks::FakeExecutionStore>(shard_store_);
  std::shared_ptr<mocks::FakeMembershipStore> membership_store_ =
      std::make_shared<mocks::FakeMembershipStore>();
  Membership membership_{membership_store_, MembershipConfig{}};
  // No periodic pass within the test: only the loss itself can bring the shard back.
  ShardController controller_{kShards,
                              kSelf,
                              Stores(),
                              membership_,
                              executor_,
                              SystemClock::Instance(),
                              std::chrono::hours(1)};
};

TEST_F(ShardControllerTest, ALostShardThatTheRingGivesUsIsTakenBackAtOnce) {
  ASSERT_EQ(controller_.OwnedShards().size(), static_cast<size_t>(kShards));
  auto shard = controller_.GetShard(1);
  ASSERT_TRUE(shard.ok());

  // A host with a stale view takes shard 1: our next write is fenced out.
  auto stolen = shard_store_->AcquireShard(1, "127.0.0.1:9999");
  ASSERT_TRUE(stolen.ok());
  const int64_t stolen_range = shard_store_->RangeId(1);
  std::vector<persistence::WorkflowWrite> none;
  EXPECT_TRUE(IsShardOwnershipLost((*shard)->Persist(none)));
  EXPECT_TRUE((*shard)->stopped());

  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto current = controller_.GetShard(1);
        return current.ok() && !(*current)->stopped();
      },
      std::chrono::seconds(30)))
      << "shard 1 was not taken back";
  EXPECT_EQ(shard_store_->Owner(1), kSelf);
  EXPECT_GT(shard_store_->RangeId(1), stolen_range);
  EXPECT_TRUE((*controller_.GetShard(1))->Persist(none).ok());
}

}  // namespace
}  // namespace tern::history
