// EventTail: the newest committed events of a run, served instead of a history read when they
// cover the range a workflow task needs.
#include <gtest/gtest.h>

#include "services/history/event_tail.h"

namespace tern::history {
namespace {

std::vector<EventTail::Event> Events(int64_t first, int64_t last, size_t payload_bytes = 0) {
  std::vector<EventTail::Event> events;
  for (int64_t id = first; id <= last; ++id) {
    auto& e = events.emplace_back();
    e.set_event_id(id);
    e.mutable_workflow_execution_signaled_event_attributes()->set_signal_name(
        std::string(payload_bytes, 'x'));
  }
  return events;
}

std::vector<int64_t> Ids(const std::optional<std::vector<EventTail::Event>>& events) {
  std::vector<int64_t> ids;
  for (const auto& e : events.value()) ids.push_back(e.event_id());
  return ids;
}

TEST(EventTailTest, ServesOnlyRangesItCoversWhole) {
  EventTail tail;
  EXPECT_FALSE(tail.Range(1, 3).has_value());
  tail.Append(Events(1, 3), 1);
  tail.Append(Events(4, 5), 1);
  EXPECT_EQ(Ids(tail.Range(1, 6)), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(Ids(tail.Range(4, 6)), (std::vector<int64_t>{4, 5}));
  EXPECT_FALSE(tail.Range(1, 7).has_value()) << "event 6 is not held";
  EXPECT_TRUE(tail.Range(6, 6)->empty());
}

TEST(EventTailTest, KeepsOnlyEventsAfterTheLastCompletedTask) {
  EventTail tail;
  tail.Append(Events(1, 3), 1);
  tail.Append(Events(4, 5), /*keep_from=*/4);
  EXPECT_FALSE(tail.Range(1, 6).has_value());
  EXPECT_EQ(Ids(tail.Range(4, 6)), (std::vector<int64_t>{4, 5}));
}

TEST(EventTailTest, EventsThatDoNotContinueTheTailReplaceIt) {
  EventTail tail;
  tail.Append(Events(1, 3), 1);
  tail.Append(Events(7, 8), 1);  // 4..6 were written elsewhere
  EXPECT_FALSE(tail.Range(1, 9).has_value());
  EXPECT_EQ(Ids(tail.Range(7, 9)), (std::vector<int64_t>{7, 8}));
}

TEST(EventTailTest, DropsTheOldestEventsOverItsBudget) {
  EventTail tail;
  tail.Append(Events(1, 3, 100 * 1024), 1);  // 300 KiB: more than the tail keeps
  EXPECT_FALSE(tail.Range(1, 4).has_value());
  EXPECT_EQ(Ids(tail.Range(3, 4)), (std::vector<int64_t>{3}));
}

}  // namespace
}  // namespace tern::history
