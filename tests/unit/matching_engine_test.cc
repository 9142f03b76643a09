// MatchingEngine against an in-memory TaskStore, a fake history and a loopback matching client
// (all partitions live on this one engine, so forwarding runs for real).
#include "services/matching/matching_engine.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "common/task_queue_names.h"
#include "tests/unit/matching_test_util.h"

namespace tern::matching {
namespace {

using namespace testing;  // NOLINT: the test doubles
using ::testing::Test;
namespace enums = temporal::api::enums::v1;

constexpr int kWorkflow = enums::TASK_QUEUE_TYPE_WORKFLOW;
constexpr int kActivity = enums::TASK_QUEUE_TYPE_ACTIVITY;
constexpr char kNs[] = "ns-1";
constexpr char kSelf[] = "self:7235";

using PollResult = Result<ws::PollWorkflowTaskQueueResponse>;
using ActivityPollResult = Result<ws::PollActivityTaskQueueResponse>;
using AddResult = Result<ms::AddWorkflowTaskResponse>;

EngineOptions TestOptions() {
  EngineOptions options;
  options.self_address = kSelf;
  options.long_poll_expiration = std::chrono::seconds(30);
  options.forward_backoff_initial = std::chrono::milliseconds(10);
  options.forward_backoff_max = std::chrono::milliseconds(50);
  options.dispatch_retry_backoff = std::chrono::milliseconds(20);
  options.maintenance_interval = std::chrono::milliseconds(20);
  options.stop_drain_timeout = std::chrono::seconds(5);
  return options;
}

class MatchingEngineTest : public Test {
 protected:
  MatchingEngineTest()
      : membership_(nullptr, MembershipConfig{}),
        blocking_(2, "test-blocking"),
        timers_(1, "test-timers"),
        rpc_(2, "test-rpc"),
        history_(rpc_),
        matching_(rpc_),
        store_(std::make_shared<InMemoryTaskStore>()) {}

  ~MatchingEngineTest() override {
    if (engine_) engine_->Stop();
  }

  std::shared_ptr<MatchingEngine> NewEngine(EngineOptions options = TestOptions()) {
    auto engine = MatchingEngine::Create(
        options, store_,
        [this](const std::string&) {
          std::lock_guard lock(owner_mu_);
          return owner_;
        },
        history_, matching_, blocking_, timers_, clock_);
    matching_.SetEngine(engine);
    engine->Start();
    return engine;
  }

  void SetOwner(std::string owner) {
    std::lock_guard lock(owner_mu_);
    owner_ = std::move(owner);
  }

  TimePoint In(std::chrono::milliseconds d) { return clock_.Now() + d; }

  struct Poll {
    std::shared_ptr<PollHandle> handle;
    std::shared_ptr<PollResult> result;
  };
  Poll PollWorkflow(const std::string& partition, std::chrono::milliseconds timeout = 10s,
                    const std::string& identity = "worker-1",
                    enums::TaskQueueKind kind = enums::TASK_QUEUE_KIND_NORMAL) {
    ms::PollWorkflowTaskQueueRequest request;
    request.set_namespace_id(kNs);
    request.set_poller_id("poller-" + std::to_string(++next_poller_));
    request.mutable_poll_request()->set_namespace_("default");
    request.mutable_poll_request()->set_identity(identity);
    request.mutable_poll_request()->mutable_task_queue()->set_name(partition);
    request.mutable_poll_request()->mutable_task_queue()->set_kind(kind);
    auto result = NewResult<ws::PollWorkflowTaskQueueResponse>();
    auto handle = engine_->PollWorkflowTaskQueue(request, In(timeout), result->Callback());
    return {handle, result};
  }

  std::shared_ptr<AddResult> AddWorkflow(
      const std::string& partition, const std::string& workflow_id, int64_t scheduled_event_id,
      std::chrono::milliseconds schedule_to_start = std::chrono::milliseconds(0),
      enums::TaskQueueKind kind = enums::TASK_QUEUE_KIND_NORMAL) {
    ms::AddWorkflowTaskRequest request;
    request.set_namespace_id(kNs);
    request.mutable_execution()->set_workflow_id(workflow_id);
    request.mutable_execution()->set_run_id("run-" + workflow_id);
    request.mutable_task_queue()->set_name(partition);
    request.mutable_task_queue()->set_kind(kind);
    request.set_scheduled_event_id(scheduled_event_id);
    if (schedule_to_start.count() > 0) {
      *request.mutable_schedule_to_start_timeout() = ToProtoDuration(schedule_to_start);
    }
    auto result = NewResult<ms::AddWorkflowTaskResponse>();
    engine_->AddWorkflowTask(request, In(10s), result->Callback());
    return result;
  }

  // Waits for an OK add and returns its response.
  static ms::AddWorkflowTaskResponse AddOk(const std::shared_ptr<AddResult>& add) {
    auto r = add->Wait();
    EXPECT_TRUE(r.has_value()) << "add did not answer";
    if (!r.has_value()) return {};
    EXPECT_TRUE(r->ok()) << r->status();
    return r->ok() ? **r : ms::AddWorkflowTaskResponse();
  }

  // Waits for a poll that must deliver a task and returns its token.
  static std::string TokenOf(const std::shared_ptr<PollResult>& poll,
                             std::chrono::milliseconds timeout = 5s) {
    auto r = poll->Wait(timeout);
    if (!r.has_value()) return "<no answer>";
    if (!r->ok()) return "<error " + r->status().ToString() + ">";
    return (*r)->task_token();
  }

  size_t Backlog(const std::string& partition, int type = kWorkflow) {
    return store_->Count(kNs, partition, type);
  }

  ManualClock clock_;
  Membership membership_;
  Executor blocking_;
  Executor timers_;
  Executor rpc_;
  FakeHistoryClient history_;
  LoopbackMatchingClient matching_;
  std::shared_ptr<InMemoryTaskStore> store_;
  std::mutex owner_mu_;
  std::string owner_ = kSelf;
  int next_poller_ = 0;
  std::shared_ptr<MatchingEngine> engine_;
};

TEST_F(MatchingEngineTest, SyncMatchHandsOverHistoryResponse) {
  engine_ = NewEngine();
  auto poll = PollWorkflow("orders");
  auto add = AddWorkflow("orders", "wf-1", 5);
  AddOk(add);
  // The add answers only after the hand-over: the poll already has its task.
  EXPECT_TRUE(poll.result->done());
  EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-1", 5));
  auto response = **poll.result->Wait();
  EXPECT_EQ(response.workflow_execution().workflow_id(), "wf-1");
  EXPECT_EQ(response.workflow_type().name(), "wf-type");
  // History was asked with the poller's id and the queue's own name; nothing was persisted.
  auto records = history_.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].request_id, "poller-1");
  EXPECT_EQ(records[0].task_queue, "orders");
  EXPECT_TRUE(WaitFor([&] { return engine_->IsLoaded(kNs, "orders", kWorkflow); }));
  EXPECT_EQ(Backlog("orders"), 0u);
}

TEST_F(MatchingEngineTest, AddWithoutPollerIsPersistedThenDelivered) {
  engine_ = NewEngine();
  auto add = AddWorkflow("orders", "wf-1", 5);
  EXPECT_FALSE(AddOk(add).matched());
  // Acknowledged only once durable.
  EXPECT_EQ(Backlog("orders"), 1u);

  auto poll = PollWorkflow("orders");
  EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-1", 5));
  EXPECT_TRUE(WaitFor([&] { return Backlog("orders") == 0; })) << "delivered task not deleted";
}

TEST_F(MatchingEngineTest, BacklogIsDeliveredInOrder) {
  engine_ = NewEngine();
  for (int i = 1; i <= 5; ++i) AddOk(AddWorkflow("orders", "wf-" + std::to_string(i), 3));
  for (int i = 1; i <= 5; ++i) {
    auto poll = PollWorkflow("orders");
    EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-" + std::to_string(i), 3));
  }
}

TEST_F(MatchingEngineTest, StaleTaskIsDroppedAndPollerKeepsWaiting) {
  engine_ = NewEngine();
  history_.MarkStale("gone");
  auto poll = PollWorkflow("orders");
  // Sync match: history says the task is stale; the add is still OK, the poller keeps waiting.
  AddOk(AddWorkflow("orders", "gone", 5));
  EXPECT_FALSE(poll.result->done());
  // Backlog: a persisted stale task is dropped (and deleted) as well.
  poll.handle->Cancel();
  AddOk(AddWorkflow("orders", "gone", 9));
  ASSERT_EQ(Backlog("orders"), 1u);
  auto poll2 = PollWorkflow("orders");
  EXPECT_TRUE(WaitFor([&] { return Backlog("orders") == 0; }));
  EXPECT_FALSE(poll2.result->done());

  AddOk(AddWorkflow("orders", "wf-ok", 7));
  EXPECT_EQ(TokenOf(poll2.result), FakeHistoryClient::Token("wf-ok", 7));
}

TEST_F(MatchingEngineTest, PollTimesOutEmptyBeforeDeadline) {
  engine_ = NewEngine();
  // Bounded by the caller's deadline: answered 1 s (the margin) before it.
  auto start = std::chrono::steady_clock::now();
  auto poll = PollWorkflow("orders", std::chrono::milliseconds(1300));
  auto r = poll.result->Wait(2s);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ((*r)->ByteSizeLong(), 0u) << "the empty poll response must be all-default";
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1300));

  // Bounded by matching.longPollExpirationInterval.
  auto options = TestOptions();
  options.long_poll_expiration = std::chrono::milliseconds(150);
  engine_->Stop();
  engine_ = NewEngine(options);
  start = std::chrono::steady_clock::now();
  auto poll2 = PollWorkflow("orders", 20s);
  auto r2 = poll2.result->Wait(2s);
  ASSERT_TRUE(r2.has_value());
  ASSERT_TRUE(r2->ok());
  EXPECT_EQ((*r2)->ByteSizeLong(), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(MatchingEngineTest, CancelledPollNeverReceivesTaskNextPollerDoes) {
  engine_ = NewEngine();
  auto first = PollWorkflow("orders", 10s, "worker-a");
  auto second = PollWorkflow("orders", 10s, "worker-b");
  first.handle->Cancel();
  auto r = first.result->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kCancelled);
  first.handle->Cancel();  // idempotent

  AddOk(AddWorkflow("orders", "wf-1", 5));
  EXPECT_EQ(TokenOf(second.result), FakeHistoryClient::Token("wf-1", 5));
  for (const auto& record : history_.records()) EXPECT_NE(record.request_id, "poller-1");
}

TEST_F(MatchingEngineTest, HistoryFailureKeepsTaskForNextAttempt) {
  engine_ = NewEngine();
  auto poll = PollWorkflow("orders");
  history_.FailNext(1);
  // The sync-match record-start fails: the task goes to the backlog, the poller is kept and
  // gets it once dispatch resumes.
  EXPECT_FALSE(AddOk(AddWorkflow("orders", "wf-1", 5)).matched());
  EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-1", 5));
  EXPECT_TRUE(WaitFor([&] { return Backlog("orders") == 0; }));
}

TEST_F(MatchingEngineTest, LonePollerOnChildPartitionReceivesTasksOfEveryPartition) {
  engine_ = NewEngine();
  const std::string poll_partition = PartitionName("orders", 2);
  for (int partition : {0, 1, 3}) {
    auto poll = PollWorkflow(poll_partition);
    std::string workflow_id = "wf-p" + std::to_string(partition);
    AddOk(AddWorkflow(PartitionName("orders", partition), workflow_id, 5));
    EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token(workflow_id, 5))
        << "task added to partition " << partition;
  }
  // Also with the task first and the poll second.
  for (int partition : {1, 3, 0}) {
    std::string workflow_id = "wf-late-p" + std::to_string(partition);
    AddOk(AddWorkflow(PartitionName("orders", partition), workflow_id, 5));
    auto poll = PollWorkflow(poll_partition);
    EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token(workflow_id, 5))
        << "task added to partition " << partition;
  }
  EXPECT_GT(matching_.forwarded_polls.load(), 0);
  EXPECT_GT(matching_.forwarded_adds.load(), 0);
  EXPECT_EQ(matching_.forwarded_waiting.load(), 0);
  for (int partition = 0; partition < 4; ++partition) {
    EXPECT_TRUE(WaitFor([&] { return Backlog(PartitionName("orders", partition)) == 0; }))
        << "partition " << partition;
  }
}

TEST_F(MatchingEngineTest, ConcurrentAddsAndPollsDeliverEveryTaskExactlyOnce) {
  engine_ = NewEngine();
  constexpr int kTasks = 400;
  constexpr int kPollers = 6;
  constexpr int kAdders = 4;
  struct Shared {
    std::mutex mu;
    std::map<std::string, int> delivered;
    std::atomic<bool> stop{false};
    std::atomic<int> polls{0};
  };
  auto shared = std::make_shared<Shared>();
  // Each poller polls a partition, and on every answer polls again (another partition). The
  // callbacks own everything they use, so none refers to this stack frame.
  using Loop = std::function<void(int, int)>;
  auto poll_loop = std::make_shared<Loop>();
  std::weak_ptr<Loop> weak_loop = poll_loop;
  *poll_loop = [this, shared, weak_loop, engine = engine_](int poller, int round) {
    if (shared->stop) return;
    ms::PollWorkflowTaskQueueRequest request;
    request.set_namespace_id(kNs);
    request.set_poller_id("p" + std::to_string(poller) + "-" + std::to_string(round));
    request.mutable_poll_request()->set_identity("worker-" + std::to_string(poller));
    request.mutable_poll_request()->mutable_task_queue()->set_name(
        PartitionName("orders", (poller + round) % 4));
    shared->polls++;
    engine->PollWorkflowTaskQueue(
        request, In(10s),
        [weak_loop, shared, poller, round](absl::StatusOr<ws::PollWorkflowTaskQueueResponse> r) {
          if (r.ok() && !r->task_token().empty()) {
            std::lock_guard lock(shared->mu);
            shared->delivered[r->task_token()]++;
          }
          auto loop = weak_loop.lock();
          if (loop && !shared->stop) (*loop)(poller, round + 1);
        });
  };
  for (int i = 0; i < kPollers; ++i) (*poll_loop)(i, 0);

  std::vector<std::thread> adders;
  std::atomic<int> add_failures{0};
  for (int a = 0; a < kAdders; ++a) {
    adders.emplace_back([&, a] {
      for (int i = a; i < kTasks; i += kAdders) {
        auto add = AddWorkflow(PartitionName("orders", (i * 7) % 4), "wf-" + std::to_string(i), 3);
        auto r = add->Wait(10s);
        if (!r.has_value() || !r->ok()) add_failures++;
      }
    });
  }
  for (auto& t : adders) t.join();
  EXPECT_EQ(add_failures.load(), 0);
  EXPECT_TRUE(WaitFor(
      [&] {
        std::lock_guard lock(shared->mu);
        return static_cast<int>(shared->delivered.size()) == kTasks;
      },
      15s));
  shared->stop = true;
  engine_->Stop();  // answers the parked polls; their callbacks no longer re-poll
  std::lock_guard lock(shared->mu);
  EXPECT_EQ(static_cast<int>(shared->delivered.size()), kTasks);
  for (const auto& [token, count] : shared->delivered) EXPECT_EQ(count, 1) << token;
  for (int partition = 0; partition < 4; ++partition) {
    EXPECT_EQ(Backlog(PartitionName("orders", partition)), 0u) << "partition " << partition;
  }
}

TEST_F(MatchingEngineTest, BackloggedChildTaskReachesPollerOnRoot) {
  engine_ = NewEngine();
  const std::string child = PartitionName("orders", 1);
  // Nobody polls: the root does not match the forwarded add, so the child persists it.
  EXPECT_FALSE(AddOk(AddWorkflow(child, "wf-1", 5)).matched());
  EXPECT_EQ(Backlog(child), 1u);
  EXPECT_EQ(Backlog("orders"), 0u) << "the root must never persist a forwarded task";

  auto poll = PollWorkflow("orders");
  EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-1", 5));
  EXPECT_TRUE(WaitFor([&] { return Backlog(child) == 0; }));
}

TEST_F(MatchingEngineTest, ForwardedAddIsOnlySyncMatched) {
  engine_ = NewEngine();
  ms::AddWorkflowTaskRequest request;
  request.set_namespace_id(kNs);
  request.mutable_execution()->set_workflow_id("wf-1");
  request.mutable_task_queue()->set_name("orders");
  request.set_scheduled_event_id(5);
  request.set_forwarded_from(PartitionName("orders", 3));
  auto add = NewResult<ms::AddWorkflowTaskResponse>();
  engine_->AddWorkflowTask(request, In(5s), add->Callback());
  EXPECT_FALSE(AddOk(add).matched());
  EXPECT_EQ(Backlog("orders"), 0u);

  auto poll = PollWorkflow("orders");
  auto add2 = NewResult<ms::AddWorkflowTaskResponse>();
  engine_->AddWorkflowTask(request, In(5s), add2->Callback());
  EXPECT_TRUE(AddOk(add2).matched());
  EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-1", 5));
}

TEST_F(MatchingEngineTest, StickyQueueHasOnePartition) {
  engine_ = NewEngine();
  auto bad = AddWorkflow(PartitionName("worker-1-sticky", 2), "wf-1", 5, 0ms,
                         enums::TASK_QUEUE_KIND_STICKY);
  auto r = bad->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kInvalidArgument);

  // A sticky task whose worker polled recently but is busy stays on the sticky queue (no
  // forwarding anywhere) until the worker polls again.
  auto early = PollWorkflow("worker-1-sticky", 10s, "worker-1", enums::TASK_QUEUE_KIND_STICKY);
  early.handle->Cancel();
  ASSERT_TRUE(early.result->Wait().has_value());
  AddOk(AddWorkflow("worker-1-sticky", "wf-1", 5, 0ms, enums::TASK_QUEUE_KIND_STICKY));
  EXPECT_EQ(Backlog("worker-1-sticky"), 1u);
  EXPECT_EQ(matching_.forwarded_adds.load(), 0);
  auto poll = PollWorkflow("worker-1-sticky", 10s, "worker-1", enums::TASK_QUEUE_KIND_STICKY);
  EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-1", 5));
  EXPECT_EQ(matching_.forwarded_polls.load(), 0);
}

TEST_F(MatchingEngineTest, StickyQueueWithoutRecentPollerRefusesTasks) {
  engine_ = NewEngine();
  auto add_sticky = [&](int64_t event_id) {
    auto r = AddWorkflow("worker-1-sticky", "wf-1", event_id, 0ms, enums::TASK_QUEUE_KIND_STICKY)
                 ->Wait();
    EXPECT_TRUE(r.has_value());
    return r.has_value() ? r->status() : absl::UnknownError("no answer");
  };
  // Nobody ever polled it: refused at once, so history can use the normal queue.
  EXPECT_TRUE(IsStickyWorkerUnavailable(add_sticky(5)));
  EXPECT_EQ(Backlog("worker-1-sticky"), 0u);

  // Seen polling a moment ago: accepted into the backlog.
  auto poll = PollWorkflow("worker-1-sticky", 10s, "worker-1", enums::TASK_QUEUE_KIND_STICKY);
  poll.handle->Cancel();
  ASSERT_TRUE(poll.result->Wait().has_value());
  EXPECT_TRUE(add_sticky(6).ok());

  // Not seen for longer than the window: refused again.
  clock_.Advance(EngineOptions().sticky_poller_unavailable_window + 1s);
  EXPECT_TRUE(IsStickyWorkerUnavailable(add_sticky(7)));

  // The worker comes back for the backlogged task, then shuts down and releases its queue: its
  // parked poll answers empty and tasks are refused although it polled just now.
  auto again = PollWorkflow("worker-1-sticky", 10s, "worker-1", enums::TASK_QUEUE_KIND_STICKY);
  EXPECT_EQ(TokenOf(again.result), FakeHistoryClient::Token("wf-1", 6));
  auto parked = PollWorkflow("worker-1-sticky", 10s, "worker-1", enums::TASK_QUEUE_KIND_STICKY);
  engine_->ReleaseStickyTaskQueue(kNs, "worker-1-sticky");
  auto released = parked.result->Wait();
  ASSERT_TRUE(released.has_value());
  EXPECT_TRUE(released->ok() && (*released)->task_token().empty()) << "parked poll answers empty";
  EXPECT_TRUE(IsStickyWorkerUnavailable(add_sticky(8)));
}

TEST_F(MatchingEngineTest, ExpiredBacklogTaskIsDropped) {
  engine_ = NewEngine();
  AddOk(AddWorkflow("orders", "wf-old", 5, std::chrono::milliseconds(5000)));
  clock_.Advance(std::chrono::milliseconds(6000));
  auto poll = PollWorkflow("orders", std::chrono::milliseconds(1500));
  EXPECT_TRUE(WaitFor([&] { return Backlog("orders") == 0; }));
  auto r = poll.result->Wait(3s);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok());
  EXPECT_EQ((*r)->ByteSizeLong(), 0u) << "an expired task must not be delivered";
  EXPECT_TRUE(history_.records().empty());
}

TEST_F(MatchingEngineTest, ActivityTasksMatch) {
  engine_ = NewEngine();
  ms::AddActivityTaskRequest add;
  add.set_namespace_id(kNs);
  add.mutable_execution()->set_workflow_id("wf-1");
  add.mutable_task_queue()->set_name(PartitionName("acts", 1));
  add.set_scheduled_event_id(11);
  auto added = NewResult<ms::AddActivityTaskResponse>();
  engine_->AddActivityTask(add, In(5s), added->Callback());
  auto a = added->Wait();
  ASSERT_TRUE(a.has_value() && a->ok());
  EXPECT_EQ(Backlog(PartitionName("acts", 1), kActivity), 1u);

  ms::PollActivityTaskQueueRequest poll;
  poll.set_namespace_id(kNs);
  poll.set_poller_id("act-poller");
  poll.mutable_poll_request()->mutable_task_queue()->set_name(PartitionName("acts", 3));
  auto polled = NewResult<ws::PollActivityTaskQueueResponse>();
  engine_->PollActivityTaskQueue(poll, In(10s), polled->Callback());
  auto r = polled->Wait();
  ASSERT_TRUE(r.has_value() && r->ok());
  EXPECT_EQ((*r)->task_token(), FakeHistoryClient::Token("wf-1", 11));
  EXPECT_EQ((*r)->activity_id(), "act-11");
}

TEST_F(MatchingEngineTest, PersistedTasksSurviveRestart) {
  engine_ = NewEngine();
  AddOk(AddWorkflow("orders", "wf-1", 5));
  AddOk(AddWorkflow("orders", "wf-2", 5));
  engine_->Stop();
  engine_ = NewEngine();
  auto p1 = PollWorkflow("orders");
  EXPECT_EQ(TokenOf(p1.result), FakeHistoryClient::Token("wf-1", 5));
  auto p2 = PollWorkflow("orders");
  EXPECT_EQ(TokenOf(p2.result), FakeHistoryClient::Token("wf-2", 5));
  // Task ids come from the new lease's range.
  AddOk(AddWorkflow("orders", "wf-3", 5));
  EXPECT_EQ(store_->RangeId(kNs, "orders", kWorkflow), 2);
}

TEST_F(MatchingEngineTest, FencedPartitionUnloads) {
  engine_ = NewEngine();
  AddOk(AddWorkflow("orders", "wf-1", 5));
  ASSERT_TRUE(WaitFor([&] { return engine_->IsLoaded(kNs, "orders", kWorkflow); }));
  store_->StealLease(kNs, "orders", kWorkflow);

  // The next write is fenced: the add is refused with the "wrong owner, re-route" error.
  auto add = AddWorkflow("orders", "wf-2", 5);
  auto r = add->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(IsShardOwnershipLost(r->status())) << r->status();
  EXPECT_FALSE(engine_->IsLoaded(kNs, "orders", kWorkflow));
  // Refused for a while rather than stolen back.
  auto again = AddWorkflow("orders", "wf-3", 5);
  auto r2 = again->Wait();
  ASSERT_TRUE(r2.has_value());
  EXPECT_TRUE(IsShardOwnershipLost(r2->status())) << r2->status();
  EXPECT_EQ(Backlog("orders"), 1u) << "the fenced write must not land";
}

TEST_F(MatchingEngineTest, LeaseCheckUnloadsIdlePartition) {
  auto options = TestOptions();
  options.lease_check_interval = std::chrono::milliseconds(30);
  engine_ = NewEngine(options);
  auto parked = PollWorkflow("orders");
  ASSERT_TRUE(WaitFor([&] { return engine_->IsLoaded(kNs, "orders", kWorkflow); }));
  store_->StealLease(kNs, "orders", kWorkflow);
  auto r = parked.result->Wait();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ((*r)->ByteSizeLong(), 0u);
  EXPECT_FALSE(engine_->IsLoaded(kNs, "orders", kWorkflow));
}

TEST_F(MatchingEngineTest, RingMoveUnloadsAndRefusesCalls) {
  engine_ = NewEngine();
  auto parked = PollWorkflow("orders");
  ASSERT_TRUE(WaitFor([&] { return engine_->IsLoaded(kNs, "orders", kWorkflow); }));
  SetOwner("other:7235");
  engine_->OnRingChanged();
  auto r = parked.result->Wait();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok());
  EXPECT_EQ((*r)->ByteSizeLong(), 0u);
  auto add = AddWorkflow("orders", "wf-1", 5);
  auto a = add->Wait();
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(IsShardOwnershipLost(a->status()));
  auto poll = PollWorkflow("orders");
  auto p = poll.result->Wait();
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(IsShardOwnershipLost(p->status()));
}

TEST_F(MatchingEngineTest, WriteFailureIsReportedNotAcknowledged) {
  engine_ = NewEngine();
  store_->FailNextCreates(1);
  auto add = AddWorkflow("orders", "wf-1", 5);
  auto r = add->Wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Backlog("orders"), 0u);
  AddOk(AddWorkflow("orders", "wf-1", 5));
  EXPECT_EQ(Backlog("orders"), 1u);
}

TEST_F(MatchingEngineTest, DescribeReportsPollersAndBacklog) {
  engine_ = NewEngine();
  auto poll = PollWorkflow("orders", 10s, "worker-a");
  poll.handle->Cancel();
  AddOk(AddWorkflow("orders", "wf-1", 5));
  AddOk(AddWorkflow("orders", "wf-2", 5));
  ms::DescribeTaskQueuePartitionRequest request;
  request.set_namespace_id(kNs);
  request.mutable_task_queue()->set_name("orders");
  request.set_task_queue_type(enums::TASK_QUEUE_TYPE_WORKFLOW);
  auto described = NewResult<ms::DescribeTaskQueuePartitionResponse>();
  engine_->DescribeTaskQueuePartition(request, described->Callback());
  auto r = described->Wait();
  ASSERT_TRUE(r.has_value() && r->ok());
  EXPECT_EQ((*r)->backlog_count(), 2);
  ASSERT_EQ((*r)->pollers_size(), 1);
  EXPECT_EQ((*r)->pollers(0).identity(), "worker-a");
  EXPECT_TRUE((*r)->pollers(0).has_last_access_time());

  // A partition that is not loaded reports its persisted backlog.
  request.mutable_task_queue()->set_name(PartitionName("orders", 3));
  auto other = NewResult<ms::DescribeTaskQueuePartitionResponse>();
  engine_->DescribeTaskQueuePartition(request, other->Callback());
  auto r2 = other->Wait();
  ASSERT_TRUE(r2.has_value() && r2->ok());
  EXPECT_EQ((*r2)->backlog_count(), 0);
  EXPECT_EQ((*r2)->pollers_size(), 0);
}

TEST_F(MatchingEngineTest, StopAnswersParkedPollsEmpty) {
  engine_ = NewEngine();
  auto root = PollWorkflow("orders");
  auto child = PollWorkflow(PartitionName("orders", 2));
  auto child2 = PollWorkflow(PartitionName("orders", 2));
  engine_->Stop();
  for (const auto& poll : {root, child, child2}) {
    auto r = poll.result->Wait(1s);
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->ok()) << r->status();
    EXPECT_EQ((*r)->ByteSizeLong(), 0u);
  }
  auto add = AddWorkflow("orders", "wf-1", 5);
  auto a = add->Wait();
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(IsShardOwnershipLost(a->status()));
}

TEST_F(MatchingEngineTest, IdlePartitionUnloads) {
  auto options = TestOptions();
  options.idle_unload_after = std::chrono::milliseconds(50);
  engine_ = NewEngine(options);
  auto poll = PollWorkflow("orders");
  AddOk(AddWorkflow("orders", "wf-1", 5));
  EXPECT_EQ(TokenOf(poll.result), FakeHistoryClient::Token("wf-1", 5));
  EXPECT_TRUE(WaitFor([&] { return engine_->LoadedPartitionCount() == 0; }));
  // Loads again on the next call.
  AddOk(AddWorkflow("orders", "wf-2", 5));
  EXPECT_TRUE(WaitFor([&] { return engine_->IsLoaded(kNs, "orders", kWorkflow); }));
}

}  // namespace
}  // namespace tern::matching
