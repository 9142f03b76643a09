// Partition picking and the deadlines the frontend gives internal calls.
#include <gtest/gtest.h>

#include <set>

#include "services/frontend/routing.h"

namespace tern::frontend {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace enums = temporal::api::enums::v1;

temporal::api::taskqueue::v1::TaskQueue Queue(
    const std::string& name, enums::TaskQueueKind kind = enums::TASK_QUEUE_KIND_NORMAL) {
  temporal::api::taskqueue::v1::TaskQueue tq;
  tq.set_name(name);
  tq.set_kind(kind);
  return tq;
}

TEST(PickPartition, SpreadsOverAllPartitions) {
  std::set<std::string> seen;
  for (uint64_t r = 0; r < 8; ++r) seen.insert(PickPartition(Queue("orders"), 4, r));
  EXPECT_EQ(seen, (std::set<std::string>{"orders", "/_sys/orders/1", "/_sys/orders/2",
                                         "/_sys/orders/3"}));
}

TEST(PickPartition, RandomModuloPartitions) {
  EXPECT_EQ(PickPartition(Queue("q"), 4, 0), "q");
  EXPECT_EQ(PickPartition(Queue("q"), 4, 5), "/_sys/q/1");
  EXPECT_EQ(PickPartition(Queue("q"), 4, 1003), "/_sys/q/3");
}

TEST(PickPartition, StickyQueuesUseOnlyTheRoot) {
  for (uint64_t r = 0; r < 8; ++r) {
    EXPECT_EQ(PickPartition(Queue("worker-1-abc", enums::TASK_QUEUE_KIND_STICKY), 4, r),
              "worker-1-abc");
  }
}

TEST(PickPartition, PartitionNamesAreUsedAsIs) {
  EXPECT_EQ(PickPartition(Queue("/_sys/orders/2"), 4, 1), "/_sys/orders/2");
}

TEST(PickPartition, OneOrNoPartitionsMeansRoot) {
  EXPECT_EQ(PickPartition(Queue("q"), 1, 7), "q");
  EXPECT_EQ(PickPartition(Queue("q"), 0, 7), "q");
}

const TimePoint kNow = TimePoint() + std::chrono::hours(24 * 365 * 50);

TEST(CallDeadline, CallerDeadlineOrThirtySeconds) {
  EXPECT_EQ(CallDeadline(kNow, kNow + seconds(5)), kNow + seconds(5));
  EXPECT_EQ(CallDeadline(kNow, TimePoint::max()), kNow + seconds(30));
}

TEST(PollDeadline, OneSecondBeforeTheCallersDeadline) {
  EXPECT_EQ(PollDeadline(kNow, kNow + seconds(70), seconds(60)), kNow + seconds(60));
  EXPECT_EQ(PollDeadline(kNow, kNow + seconds(11), seconds(60)), kNow + seconds(10));
  EXPECT_EQ(PollDeadline(kNow, TimePoint::max(), seconds(60)), kNow + seconds(60));
}

TEST(PollDeadline, NoTimeLeftMeansAnswerNow) {
  EXPECT_EQ(PollDeadline(kNow, kNow + milliseconds(900), seconds(60)), std::nullopt);
  EXPECT_EQ(PollDeadline(kNow, kNow - seconds(1), seconds(60)), std::nullopt);
  EXPECT_EQ(PollDeadline(kNow, kNow + milliseconds(1500), seconds(60)), kNow + milliseconds(500));
}

TEST(HistoryLongPoll, TwentySecondsWithoutCallerDeadline) {
  auto t = HistoryLongPollTiming(kNow, TimePoint::max(), seconds(20));
  EXPECT_EQ(t.wait, seconds(20));
  EXPECT_EQ(t.deadline, kNow + seconds(25));
}

TEST(HistoryLongPoll, ShortenedByTheCallersDeadline) {
  auto t = HistoryLongPollTiming(kNow, kNow + seconds(70), seconds(20));
  EXPECT_EQ(t.wait, seconds(20));
  EXPECT_EQ(t.deadline, kNow + seconds(25));

  t = HistoryLongPollTiming(kNow, kNow + seconds(10), seconds(20));
  EXPECT_EQ(t.wait, seconds(9));
  EXPECT_EQ(t.deadline, kNow + seconds(10));

  t = HistoryLongPollTiming(kNow, kNow + milliseconds(500), seconds(20));
  EXPECT_EQ(t.wait, milliseconds(100));
  EXPECT_EQ(t.deadline, kNow + milliseconds(500));
}

}  // namespace
}  // namespace tern::frontend
