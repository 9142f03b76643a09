// Group commit (common/group_commit.h): callers that arrive during a write share the next one,
// within the batch limits, and each gets its own outcome.
#include "common/group_commit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"

namespace tern {
namespace {

// Blocks the first write until released, so that the callers after it queue up.
class GatedWrites {
 public:
  std::vector<absl::Status> Write(const std::vector<std::string*>& batch) {
    std::vector<std::string> items;
    for (const std::string* item : batch) items.push_back(*item);
    std::vector<absl::Status> outcomes;
    for (const std::string& item : items) {
      outcomes.push_back(item.starts_with("bad") ? absl::InvalidArgumentError(item)
                                                 : absl::OkStatus());
    }
    bool first;
    {
      std::lock_guard lock(mu_);
      batches_.push_back(std::move(items));
      first = batches_.size() == 1;
    }
    if (first) release_.WaitForNotification();
    return outcomes;
  }
  void Release() { release_.Notify(); }
  std::vector<std::vector<std::string>> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<std::string>> batches_;
  absl::Notification release_;
};

void WaitForQueued(const GroupCommit<std::string>& group, size_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (group.Queued() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(group.Queued(), n);
}

// Starts a caller per item after the first, once the first write is in flight.
std::vector<absl::Status> SubmitAll(GroupCommit<std::string>& group, GatedWrites& writes,
                                    std::vector<std::string> items) {
  std::vector<absl::Status> outcomes(items.size());
  std::vector<std::thread> callers;
  callers.emplace_back([&] { outcomes[0] = group.Submit(items[0]); });
  auto started = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (writes.batches().empty() && std::chrono::steady_clock::now() < started) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (size_t i = 1; i < items.size(); ++i) {
    callers.emplace_back([&, i] { outcomes[i] = group.Submit(items[i]); });
  }
  WaitForQueued(group, items.size() - 1);
  writes.Release();
  for (auto& caller : callers) caller.join();
  return outcomes;
}

TEST(GroupCommitTest, CallersDuringAWriteShareTheNextAndGetTheirOwnOutcome) {
  GatedWrites writes;
  GroupCommit<std::string> group(
      [&](const std::vector<std::string*>& batch) { return writes.Write(batch); });
  auto outcomes = SubmitAll(group, writes, {"first", "a", "bad-b", "c"});
  ASSERT_EQ(writes.batches().size(), 2u);
  EXPECT_EQ(writes.batches()[0], std::vector<std::string>{"first"});
  EXPECT_EQ(writes.batches()[1].size(), 3u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_TRUE(outcomes[1].ok());
  EXPECT_EQ(outcomes[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(outcomes[3].ok());
}

TEST(GroupCommitTest, BatchesKeepToTheItemAndWeightLimits) {
  GatedWrites writes;
  GroupCommit<std::string> group(
      [&](const std::vector<std::string*>& batch) { return writes.Write(batch); },
      {.max_items = 3, .max_weight = 10, .weight = [](const std::string& item) {
         return item.size();
       }});
  auto outcomes = SubmitAll(group, writes, {"first", "aaaa", "bbbb", "cccc", "d", "e", "f", "g"});
  for (const auto& outcome : outcomes) EXPECT_TRUE(outcome.ok()) << outcome;
  size_t written = 0;
  for (const auto& batch : writes.batches()) {
    size_t weight = 0;
    for (const auto& item : batch) weight += item.size();
    EXPECT_LE(batch.size(), 3u);
    EXPECT_TRUE(weight <= 10 || batch.size() == 1) << weight;
    written += batch.size();
  }
  EXPECT_EQ(written, 8u);
}

TEST(GroupCommitTest, OneOutcomeForTheBatchReachesEveryCaller) {
  GatedWrites gate;
  GroupCommit<std::string> group([&](const std::vector<std::string*>& batch) {
    gate.Write(batch);
    return std::vector<absl::Status>{absl::UnavailableError("database down")};
  });
  auto outcomes = SubmitAll(group, gate, {"first", "a", "b"});
  for (const auto& outcome : outcomes) EXPECT_EQ(outcome.code(), absl::StatusCode::kUnavailable);
}

// Callers wake only when their batch is written or when they are to write the next one: under
// a stream of callers from many threads, with batches smaller than the queue and one or two
// writes in flight, every caller returns with its own outcome and every item is written once.
TEST(GroupCommitTest, ManyCallersAllReturnAndEveryItemIsWrittenOnce) {
  for (int in_flight : {1, 2}) {
    std::mutex mu;
    std::vector<std::string> written;
    GroupCommit<std::string> group(
        [&](const std::vector<std::string*>& batch) {
          std::vector<absl::Status> outcomes;
          std::lock_guard lock(mu);
          for (const std::string* item : batch) {
            written.push_back(*item);
            outcomes.push_back(item->ends_with("7") ? absl::AbortedError(*item) : absl::OkStatus());
          }
          return outcomes;
        },
        {.max_in_flight = in_flight, .max_items = 3});
    constexpr int kThreads = 8, kEach = 300;
    std::vector<int> wrong(kThreads, 0);
    std::vector<std::thread> callers;
    for (int t = 0; t < kThreads; ++t) {
      callers.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          std::string item = std::to_string(t) + "-" + std::to_string(i);
          absl::Status outcome = group.Submit(item);
          bool aborted = item.ends_with("7");
          if (outcome.ok() == aborted || (aborted && outcome.message() != item)) ++wrong[t];
        }
      });
    }
    for (auto& caller : callers) caller.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
    std::sort(written.begin(), written.end());
    EXPECT_EQ(written.size(), size_t{kThreads * kEach}) << "in flight " << in_flight;
    EXPECT_EQ(std::adjacent_find(written.begin(), written.end()), written.end());
    EXPECT_EQ(group.Queued(), 0u);
  }
}

}  // namespace
}  // namespace tern
