// client::RingRouter's direct path (a service of this process): where the caller's callback runs.
// It never runs on the caller's stack. An answer the service gives before the call returns goes
// to the client executor, unless the caller said it returns without waiting (caller_returns):
// then it runs on the caller's own thread once the caller's work is done. An answer given after
// the call returned runs on the answering executor thread, with no other thread woken. A request
// the caller hands over reaches the callee without a copy.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "client/ring_router.h"
#include "tern/matchingservice/v1/service.grpc.pb.h"
#include "tests/mocks/membership_store.h"

namespace tern::client {
namespace {

namespace ms = tern::matchingservice::v1;

// A local matching service that answers AddWorkflowTask at once, or posts the answer to `later`.
// It remembers the request it was given and the one the options shared with it.
struct FakeMatching {
  Executor* later = nullptr;
  const ms::AddWorkflowTaskRequest* request = nullptr;
  const google::protobuf::Message* shared = nullptr;
  void AddWorkflowTask(const ms::AddWorkflowTaskRequest& r, CallOptions options,
                       Callback<ms::AddWorkflowTaskResponse> done) {
    request = &r;
    shared = options.shared_request.get();
    if (!later) return done(ms::AddWorkflowTaskResponse());
    later->Post([done = std::move(done)] { done(ms::AddWorkflowTaskResponse()); });
  }
};

// Where a callback ran, relative to the call that asked for it.
struct Seen {
  Executor* executor = nullptr;
  std::thread::id thread;
  bool call_had_returned = false;
};

class RingRouterTest : public ::testing::Test {
 protected:
  // Calls the fake from a thread of `work_` (a caller that returns) and reports where `done` ran.
  Seen CallFromWork(bool caller_returns) {
    RingRouter<ms::MatchingService, FakeMatching> router(membership_, Membership::Role::kMatching,
                                                         client_executor_, SystemClock::Instance(),
                                                         "matching");
    router.SetLocal(LocalService<FakeMatching>{.holds = [](const std::string&) { return true; },
                                               .client = &fake_});
    std::promise<Seen> seen;
    std::promise<std::thread::id> caller;
    work_.Post([&] {
      auto returned = std::make_shared<std::atomic<bool>>(false);
      CallOptions options{.deadline = SystemClock::Instance().Now() + std::chrono::seconds(5)};
      options.caller_returns = caller_returns;
      router.Call<ms::AddWorkflowTaskRequest, ms::AddWorkflowTaskResponse>(
          "queue", ms::AddWorkflowTaskRequest(), options,
          [&seen, returned](absl::StatusOr<ms::AddWorkflowTaskResponse>) {
            seen.set_value({Executor::Current(), std::this_thread::get_id(), returned->load()});
          },
          &ms::MatchingService::StubInterface::async_interface::AddWorkflowTask,
          &FakeMatching::AddWorkflowTask);
      *returned = true;
      caller.set_value(std::this_thread::get_id());
    });
    caller_thread_ = caller.get_future().get();
    return seen.get_future().get();
  }

  Membership membership_{std::make_shared<mocks::FakeMembershipStore>(), MembershipConfig{}};
  Executor client_executor_{1, "client"};
  Executor work_{1, "work"};
  FakeMatching fake_;
  std::thread::id caller_thread_;
};

// A request the caller hands over (options.shared_request) reaches the callee as that very object:
// no copy is made for the call. Any other request is copied, once, and the copy shared.
TEST_F(RingRouterTest, AHandedOverRequestIsSharedNotCopied) {
  RingRouter<ms::MatchingService, FakeMatching> router(membership_, Membership::Role::kMatching,
                                                       client_executor_, SystemClock::Instance(),
                                                       "matching");
  router.SetLocal(LocalService<FakeMatching>{.holds = [](const std::string&) { return true; },
                                             .client = &fake_});
  auto call = [&](const ms::AddWorkflowTaskRequest& request, CallOptions options) {
    std::promise<void> answered;
    router.Call<ms::AddWorkflowTaskRequest, ms::AddWorkflowTaskResponse>(
        "queue", request, options,
        [&answered](absl::StatusOr<ms::AddWorkflowTaskResponse>) { answered.set_value(); },
        &ms::MatchingService::StubInterface::async_interface::AddWorkflowTask,
        &FakeMatching::AddWorkflowTask);
    answered.get_future().get();
  };
  CallOptions options{.deadline = SystemClock::Instance().Now() + std::chrono::seconds(5)};
  auto handed = std::make_shared<ms::AddWorkflowTaskRequest>();
  handed->set_namespace_id("ns");
  CallOptions handing = options;
  handing.shared_request = handed;
  call(*handed, handing);
  EXPECT_EQ(fake_.request, handed.get());
  EXPECT_EQ(fake_.shared, handed.get());

  ms::AddWorkflowTaskRequest kept_by_caller;
  kept_by_caller.set_namespace_id("ns");
  call(kept_by_caller, options);
  EXPECT_NE(fake_.request, &kept_by_caller);
  EXPECT_EQ(fake_.request, fake_.shared) << "the copy is the request the callee may keep";
}

TEST_F(RingRouterTest, AnAnswerBeforeTheCallReturnsGoesToTheClientExecutor) {
  Seen seen = CallFromWork(/*caller_returns=*/false);
  EXPECT_EQ(seen.executor, &client_executor_);
  EXPECT_NE(seen.thread, caller_thread_);
}

TEST_F(RingRouterTest, ACallerThatReturnsGetsAnImmediateAnswerOnItsOwnThreadAfterItsWork) {
  Seen seen = CallFromWork(/*caller_returns=*/true);
  EXPECT_TRUE(seen.call_had_returned);
  EXPECT_EQ(seen.executor, &work_);
  EXPECT_EQ(seen.thread, caller_thread_);
}

TEST_F(RingRouterTest, ALaterAnswerRunsOnTheAnsweringThreadEvenIfItIsTheCallersOwn) {
  fake_.later = &work_;  // one thread: the answer comes on the caller's thread, after its work
  Seen seen = CallFromWork(/*caller_returns=*/false);
  EXPECT_TRUE(seen.call_had_returned);
  EXPECT_EQ(seen.executor, &work_);
  EXPECT_EQ(seen.thread, caller_thread_);
}

}  // namespace
}  // namespace tern::client
