// The matching backlog against a real PostgreSQL: persisted tasks survive an engine restart, and
// a partition whose lease another engine took unloads from the old owner.
#include <gtest/gtest.h>

#include "common/task_queue_names.h"
#include "persistence/postgres/postgres_stores.h"
#include "services/matching/matching_engine.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/unit/matching_test_util.h"

namespace tern::matching {
namespace {

using namespace testing;  // NOLINT: the matching test doubles
namespace enums = temporal::api::enums::v1;

constexpr int kWorkflow = enums::TASK_QUEUE_TYPE_WORKFLOW;
constexpr char kNs[] = "ns-int";
constexpr char kSelf[] = "self:7235";

class MatchingBacklogTest : public tern::testing::PostgresTest {
 protected:
  MatchingBacklogTest()
      : membership_(nullptr, MembershipConfig{}),
        blocking_(4, "it-blocking"),
        timers_(1, "it-timers"),
        rpc_(2, "it-rpc"),
        history_(rpc_) {}

  ~MatchingBacklogTest() override {
    for (auto& e : engines_) e.engine->Stop();
  }

  struct Engine {
    std::shared_ptr<MatchingEngine> engine;
    std::unique_ptr<LoopbackMatchingClient> matching;
  };

  // A new engine (as a new process would have) with its own connection pool on the test DB.
  MatchingEngine& NewEngine(std::chrono::milliseconds lease_check = std::chrono::seconds(60)) {
    auto stores = persistence::postgres::OpenPostgresStores(config_);
    EXPECT_TRUE(stores.ok()) << stores.status();
    EngineOptions options;
    options.self_address = kSelf;
    options.forward_backoff_initial = std::chrono::milliseconds(10);
    options.forward_backoff_max = std::chrono::milliseconds(50);
    options.maintenance_interval = std::chrono::milliseconds(20);
    options.lease_check_interval = lease_check;
    Engine e;
    e.matching = std::make_unique<LoopbackMatchingClient>(rpc_);
    e.engine = MatchingEngine::Create(
        options, stores->tasks, [](const std::string&) { return std::string(kSelf); }, history_,
        *e.matching, blocking_, timers_, SystemClock::Instance());
    e.matching->SetEngine(e.engine);
    e.engine->Start();
    engines_.push_back(std::move(e));
    return *engines_.back().engine;
  }

  static absl::StatusOr<ms::AddWorkflowTaskResponse> Add(MatchingEngine& engine,
                                                         const std::string& partition,
                                                         const std::string& workflow_id) {
    ms::AddWorkflowTaskRequest request;
    request.set_namespace_id(kNs);
    request.mutable_execution()->set_workflow_id(workflow_id);
    request.mutable_execution()->set_run_id("run-" + workflow_id);
    request.mutable_task_queue()->set_name(partition);
    request.set_scheduled_event_id(2);
    auto result = NewResult<ms::AddWorkflowTaskResponse>();
    engine.AddWorkflowTask(request, SystemClock::Instance().Now() + std::chrono::seconds(10),
                           result->Callback());
    auto r = result->Wait(std::chrono::seconds(10));
    if (!r.has_value()) return absl::DeadlineExceededError("add did not answer");
    return *r;
  }

  static std::shared_ptr<Result<ws::PollWorkflowTaskQueueResponse>> Poll(
      MatchingEngine& engine, const std::string& partition,
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    ms::PollWorkflowTaskQueueRequest request;
    request.set_namespace_id(kNs);
    request.mutable_poll_request()->set_identity("it-worker");
    request.mutable_poll_request()->mutable_task_queue()->set_name(partition);
    auto result = NewResult<ws::PollWorkflowTaskQueueResponse>();
    engine.PollWorkflowTaskQueue(request, SystemClock::Instance().Now() + timeout,
                                 result->Callback());
    return result;
  }

  static std::string TokenOf(
      const std::shared_ptr<Result<ws::PollWorkflowTaskQueueResponse>>& poll) {
    auto r = poll->Wait(std::chrono::seconds(10));
    if (!r.has_value()) return "<no answer>";
    if (!r->ok()) return "<error " + r->status().ToString() + ">";
    return (*r)->task_token();
  }

  int64_t Backlog(const std::string& partition) {
    auto n = stores_.tasks->CountTasks({kNs, partition, kWorkflow});
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  Membership membership_;
  Executor blocking_;
  Executor timers_;
  Executor rpc_;
  FakeHistoryClient history_;
  std::vector<Engine> engines_;
};

TEST_F(MatchingBacklogTest, PersistedTasksAreDeliveredAfterRestart) {
  const std::string child = PartitionName("orders", 2);
  {
    auto& first = NewEngine();
    for (const char* id : {"wf-1", "wf-2", "wf-3"}) {
      auto r = Add(first, "orders", id);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_FALSE(r->matched());
    }
    ASSERT_TRUE(Add(first, child, "wf-child").ok());
    EXPECT_EQ(Backlog("orders"), 3);
    EXPECT_EQ(Backlog(child), 1);
    first.Stop();  // the "crash": nothing in memory survives
  }

  auto& second = NewEngine();
  for (const char* id : {"wf-1", "wf-2", "wf-3"}) {
    EXPECT_EQ(TokenOf(Poll(second, "orders")), FakeHistoryClient::Token(id, 2));
  }
  // The child's backlog reaches a poller on the root once the child is loaded again.
  auto root_poll = Poll(second, "orders", std::chrono::milliseconds(2500));
  auto touch = Poll(second, child, std::chrono::milliseconds(2500));  // loads the child
  std::string got_root = TokenOf(root_poll);
  std::string got_child = TokenOf(touch);
  EXPECT_TRUE(got_root == FakeHistoryClient::Token("wf-child", 2) ||
              got_child == FakeHistoryClient::Token("wf-child", 2))
      << got_root << " / " << got_child;
  EXPECT_TRUE(WaitFor([&] { return Backlog("orders") == 0 && Backlog(child) == 0; }));
}

TEST_F(MatchingBacklogTest, StaleRangeMakesOldOwnerUnload) {
  auto& old_owner = NewEngine();
  ASSERT_TRUE(Add(old_owner, "orders", "wf-1").ok());
  // The add's answer may come before the partition marks itself loaded (both follow the lease).
  ASSERT_TRUE(WaitFor([&] { return old_owner.IsLoaded(kNs, "orders", kWorkflow); }));

  // Another engine leases the same partition (bumping range_id) and writes to it.
  auto& new_owner = NewEngine();
  ASSERT_TRUE(Add(new_owner, "orders", "wf-2").ok());

  // The old owner's next write is fenced: it refuses and unloads instead of overwriting.
  auto fenced = Add(old_owner, "orders", "wf-3");
  EXPECT_TRUE(IsShardOwnershipLost(fenced.status())) << fenced.status();
  EXPECT_FALSE(old_owner.IsLoaded(kNs, "orders", kWorkflow));
  EXPECT_EQ(Backlog("orders"), 2);

  // The new owner has the whole backlog, including what the old owner persisted.
  EXPECT_EQ(TokenOf(Poll(new_owner, "orders")), FakeHistoryClient::Token("wf-1", 2));
  EXPECT_EQ(TokenOf(Poll(new_owner, "orders")), FakeHistoryClient::Token("wf-2", 2));
}

TEST_F(MatchingBacklogTest, IdleOldOwnerNoticesLeaseLossAndAnswersPollsEmpty) {
  auto& old_owner = NewEngine(std::chrono::milliseconds(50));
  auto parked = Poll(old_owner, "payments");
  ASSERT_TRUE(WaitFor([&] { return old_owner.IsLoaded(kNs, "payments", kWorkflow); }));

  auto& new_owner = NewEngine();
  ASSERT_TRUE(Add(new_owner, "payments", "wf-9").ok());

  auto r = parked->Wait(std::chrono::seconds(5));
  ASSERT_TRUE(r.has_value()) << "the parked poll was not answered";
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ((*r)->ByteSizeLong(), 0u);
  EXPECT_FALSE(old_owner.IsLoaded(kNs, "payments", kWorkflow));
  EXPECT_EQ(Backlog("payments"), 1);
}

}  // namespace
}  // namespace tern::matching
