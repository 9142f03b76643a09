// Placement and wire helpers of tern::common: stable hashing, shard choice, the consistent-hash
// ring, task-queue partition names, task tokens and the rich gRPC error round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/hashing.h"
#include "common/task_queue_names.h"
#include "common/task_token.h"
#include "temporal/api/errordetails/v1/message.pb.h"
#include "tern/rpc/v1/status.pb.h"

namespace tern {
namespace {

namespace details = temporal::api::errordetails::v1;

// ---- StableHash64 -------------------------------------------------------------------------------

TEST(StableHash64Test, KnownValuesArePinned) {
  // Computed once from the current implementation. If one of these changes, every existing
  // cluster would place its shards and task-queue partitions differently: do not "fix" the
  // expected values, fix the hash.
  EXPECT_EQ(StableHash64(""), 0xf52a15e9a9b5e89bULL);
  EXPECT_EQ(StableHash64("a"), 0x02c0bdbf481420f8ULL);
  EXPECT_EQ(StableHash64("tern"), 0x71952ed5fd89dacfULL);
  EXPECT_EQ(StableHash64("namespace-id_workflow-id"), 0xd393030ee277267aULL);
  EXPECT_EQ(StableHash64("history#0"), 0xe5743c4648347229ULL);
}

TEST(StableHash64Test, DependsOnEveryByte) {
  EXPECT_NE(StableHash64("abc"), StableHash64("abd"));
  EXPECT_NE(StableHash64("abc"), StableHash64("bbc"));
  EXPECT_NE(StableHash64("abc"), StableHash64("abc "));
  std::string with_nul("a\0b", 3);
  EXPECT_NE(StableHash64(with_nul), StableHash64("ab"));
}

// ---- ShardForWorkflow ---------------------------------------------------------------------------

TEST(ShardForWorkflowTest, KnownShardsArePinned) {
  EXPECT_EQ(ShardForWorkflow("ns", "wf", 512), 394);
  EXPECT_EQ(ShardForWorkflow("ns", "wf-2", 512), 420);
  EXPECT_EQ(ShardForWorkflow("default", "order-17", 4), 2);
}

TEST(ShardForWorkflowTest, StaysInOneToNumShards) {
  for (int32_t shards : {1, 2, 4, 16, 1024}) {
    for (int i = 0; i < 2000; ++i) {
      int32_t shard = ShardForWorkflow("ns", "wf-" + std::to_string(i), shards);
      ASSERT_GE(shard, 1) << shards;
      ASSERT_LE(shard, shards) << shards;
    }
  }
  EXPECT_EQ(ShardForWorkflow("any", "thing", 1), 1);
}

TEST(ShardForWorkflowTest, SpreadsWorkflowsEvenly) {
  constexpr int32_t kShards = 16;
  constexpr int kIds = 32000;
  std::vector<int> counts(kShards + 1, 0);
  for (int i = 0; i < kIds; ++i)
    ++counts[ShardForWorkflow("ns", "order-" + std::to_string(i), kShards)];
  const double expected = static_cast<double>(kIds) / kShards;  // 2000
  for (int32_t s = 1; s <= kShards; ++s) {
    EXPECT_GT(counts[s], expected * 0.85) << "shard " << s;
    EXPECT_LT(counts[s], expected * 1.15) << "shard " << s;
  }
}

TEST(ShardForWorkflowTest, NamespaceIsPartOfTheKey) {
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    std::string id = "wf-" + std::to_string(i);
    if (ShardForWorkflow("ns-a", id, 1024) != ShardForWorkflow("ns-b", id, 1024)) ++differ;
  }
  EXPECT_GT(differ, 90);
}

// ---- HashRing -----------------------------------------------------------------------------------

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back("key-" + std::to_string(i));
  return keys;
}

TEST(HashRingTest, EmptyRingHasNoOwner) {
  HashRing ring({});
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.Lookup("anything"), "");
}

TEST(HashRingTest, MemberOrderAndDuplicatesDoNotMatter) {
  HashRing a({"h1:7234", "h2:7234", "h3:7234"});
  HashRing b({"h3:7234", "h1:7234", "h2:7234", "h1:7234"});
  EXPECT_EQ(a.members(), b.members());
  for (const auto& key : Keys(2000)) ASSERT_EQ(a.Lookup(key), b.Lookup(key)) << key;
}

TEST(HashRingTest, PinnedOwners) {
  HashRing ring({"10.0.0.1:7234", "10.0.0.2:7234", "10.0.0.3:7234"});
  EXPECT_EQ(ring.Lookup("1"), "10.0.0.3:7234");
  EXPECT_EQ(ring.Lookup("2"), "10.0.0.2:7234");
}

TEST(HashRingTest, SingleMemberOwnsEverything) {
  HashRing ring({"only:1"});
  for (const auto& key : Keys(500)) ASSERT_EQ(ring.Lookup(key), "only:1");
}

TEST(HashRingTest, EveryMemberGetsAFairShare) {
  HashRing ring({"h1", "h2", "h3", "h4"});
  std::map<std::string, int> counts;
  for (const auto& key : Keys(20000)) ++counts[ring.Lookup(key)];
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [member, n] : counts) {
    // 64 virtual nodes per member: each share is within a factor ~1.5 of the fair 5000.
    EXPECT_GT(n, 3000) << member;
    EXPECT_LT(n, 7500) << member;
  }
}

TEST(HashRingTest, RemovingAMemberMovesOnlyItsKeys) {
  HashRing before({"h1", "h2", "h3", "h4", "h5"});
  HashRing after({"h1", "h2", "h4", "h5"});
  int owned_by_removed = 0;
  for (const auto& key : Keys(20000)) {
    const std::string& old_owner = before.Lookup(key);
    const std::string& new_owner = after.Lookup(key);
    if (old_owner == "h3") {
      ++owned_by_removed;
      EXPECT_NE(new_owner, "h3");
    } else {
      ASSERT_EQ(new_owner, old_owner) << key << " moved although its owner stayed";
    }
  }
  EXPECT_GT(owned_by_removed, 0);
}

TEST(HashRingTest, AddingAMemberOnlyTakesKeysForItself) {
  HashRing before({"h1", "h2", "h3"});
  HashRing after({"h1", "h2", "h3", "h4"});
  int moved = 0;
  for (const auto& key : Keys(20000)) {
    const std::string& old_owner = before.Lookup(key);
    const std::string& new_owner = after.Lookup(key);
    if (new_owner != old_owner) {
      ++moved;
      ASSERT_EQ(new_owner, "h4") << key;
    }
  }
  // About a quarter of the keys move to the new member.
  EXPECT_GT(moved, 20000 / 8);
  EXPECT_LT(moved, 20000 / 2);
}

// ---- task-queue partition names ----------------------------------------------------------------

TEST(PartitionNameTest, RootIsTheQueueNameAndOthersUseSysPrefix) {
  EXPECT_EQ(PartitionName("orders", 0), "orders");
  EXPECT_EQ(PartitionName("orders", 3), "/_sys/orders/3");
}

TEST(PartitionNameTest, RoundTrip) {
  for (std::string base : {"orders", "a/b", "with space", "/_sys/odd", "x"}) {
    for (int p : {0, 1, 2, 7, 31}) {
      auto parsed = ParsePartitionName(PartitionName(base, p));
      EXPECT_EQ(parsed.base_name, base) << base << " " << p;
      EXPECT_EQ(parsed.partition, p) << base << " " << p;
    }
  }
}

TEST(PartitionNameTest, MalformedNamesAreRootPartitionsOfThemselves) {
  for (std::string name :
       {"/_sys/orders", "/_sys/orders/", "/_sys/orders/x", "/_sys/orders/0", "/_sys/orders/-2",
        "/_sys/orders/3x", "/_sys/orders/ 3", "_sys/orders/3", "/_SYS/orders/3", ""}) {
    auto parsed = ParsePartitionName(name);
    EXPECT_EQ(parsed.base_name, name);
    EXPECT_EQ(parsed.partition, 0) << name;
  }
}

TEST(PartitionNameTest, PartitionKeyNamesNamespaceQueueAndType) {
  EXPECT_NE(PartitionKey("ns", "q", 1), PartitionKey("ns", "q", 2));
  EXPECT_NE(PartitionKey("ns", "q", 1), PartitionKey("ns2", "q", 1));
  EXPECT_NE(PartitionKey("ns", "q", 1), PartitionKey("ns", "/_sys/q/1", 1));
}

// ---- task tokens --------------------------------------------------------------------------------

TEST(TaskTokenTest, RoundTrip) {
  persistence::v1::TaskToken token;
  token.set_namespace_id("ns-id");
  token.set_workflow_id("wf");
  token.set_run_id("run");
  token.set_scheduled_event_id(5);
  token.set_started_event_id(6);
  token.set_attempt(3);
  token.set_activity_id("act-1");
  token.mutable_started_time()->set_seconds(1700000000);
  auto decoded = DecodeTaskToken(EncodeTaskToken(token));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->SerializeAsString(), token.SerializeAsString());
  EXPECT_EQ(decoded->run_id(), "run");
  EXPECT_EQ(decoded->attempt(), 3);
}

TEST(TaskTokenTest, GarbageIsInvalidArgument) {
  persistence::v1::TaskToken no_run;
  no_run.set_namespace_id("ns-id");
  no_run.set_workflow_id("wf");
  for (const std::string& bytes : {std::string(), std::string("\xff\xff\xff\xff", 4),
                                   std::string("not a token"), EncodeTaskToken(no_run)}) {
    auto decoded = DecodeTaskToken(bytes);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

// ---- errors -------------------------------------------------------------------------------------

TEST(ErrorsTest, NamespaceNotFoundCarriesItsDetailOverGrpc) {
  absl::Status status = NamespaceNotFoundError("orders");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "Namespace orders is not found.");

  grpc::Status wire = ToGrpcStatus(status);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(wire.error_message(), "Namespace orders is not found.");
  // grpc-status-details-bin holds a google.rpc.Status whose first detail is the failure.
  rpc::v1::RichStatus rich;
  ASSERT_TRUE(rich.ParseFromString(wire.error_details()));
  EXPECT_EQ(rich.code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(rich.message(), "Namespace orders is not found.");
  ASSERT_EQ(rich.details_size(), 1);
  EXPECT_EQ(rich.details(0).type_url(),
            "type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure");
  details::NamespaceNotFoundFailure failure;
  ASSERT_TRUE(rich.details(0).UnpackTo(&failure));
  EXPECT_EQ(failure.namespace_(), "orders");

  absl::Status back = FromGrpcStatus(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(back.message(), "Namespace orders is not found.");
  details::NamespaceNotFoundFailure restored;
  ASSERT_TRUE(GetDetail(back, &restored));
  EXPECT_EQ(restored.namespace_(), "orders");
}

TEST(ErrorsTest, AlreadyStartedRoundTripKeepsRunAndRequestIds) {
  absl::Status status = WorkflowAlreadyStartedError("already running", "req-1", "run-1");
  absl::Status back = FromGrpcStatus(ToGrpcStatus(status));
  EXPECT_EQ(back.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(back.message(), "already running");
  details::WorkflowExecutionAlreadyStartedFailure failure;
  ASSERT_TRUE(GetDetail(back, &failure));
  EXPECT_EQ(failure.start_request_id(), "req-1");
  EXPECT_EQ(failure.run_id(), "run-1");
}

TEST(ErrorsTest, ShardOwnershipLostSurvivesTheHop) {
  absl::Status back = FromGrpcStatus(ToGrpcStatus(ShardOwnershipLostError(7, "h2:7234")));
  EXPECT_EQ(back.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsShardOwnershipLost(back));
  EXPECT_FALSE(IsShardOwnershipLost(absl::UnavailableError("plain")));
  EXPECT_FALSE(IsShardOwnershipLost(absl::OkStatus()));
}

TEST(ErrorsTest, PlainErrorsHaveNoDetailsAndOkStaysOk) {
  grpc::Status wire = ToGrpcStatus(absl::InvalidArgumentError("UnhandledCommand"));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(wire.error_message(), "UnhandledCommand");
  EXPECT_TRUE(wire.error_details().empty());
  absl::Status back = FromGrpcStatus(wire);
  EXPECT_EQ(back, absl::InvalidArgumentError("UnhandledCommand"));
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace tern
