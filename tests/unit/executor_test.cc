// Executor (common/executor.h): which thread runs posted and deferred work.
#include "common/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace tern {
namespace {

TEST(ExecutorTest, CurrentNamesThePoolOfTheCallingThread) {
  Executor executor(2, "exec-test");
  EXPECT_EQ(Executor::Current(), nullptr) << "the test's own thread belongs to no pool";
  std::promise<Executor*> seen;
  executor.Post([&] { seen.set_value(Executor::Current()); });
  EXPECT_EQ(seen.get_future().get(), &executor);
}

TEST(ExecutorTest, DeferredWorkRunsOnTheSameThreadOnceTheCurrentWorkReturns) {
  Executor executor(4, "exec-test");
  std::atomic<bool> outer_returned{false};
  std::promise<std::thread::id> outer_thread;
  std::promise<std::pair<std::thread::id, bool>> deferred;
  executor.Post([&] {
    outer_thread.set_value(std::this_thread::get_id());
    executor.Defer([&] {
      deferred.set_value({std::this_thread::get_id(), outer_returned.load()});
    });
    outer_returned = true;  // the deferred work cannot have started: it waits for this return
  });
  auto [thread, after_return] = deferred.get_future().get();
  EXPECT_EQ(thread, outer_thread.get_future().get());
  EXPECT_TRUE(after_return);
}

TEST(ExecutorTest, DeferFromOutsideThePoolIsAPost) {
  Executor executor(1, "exec-test");
  std::promise<Executor*> ran;
  executor.Defer([&] { ran.set_value(Executor::Current()); });
  EXPECT_EQ(ran.get_future().get(), &executor);
}

}  // namespace
}  // namespace tern
