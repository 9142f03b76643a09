#include "services/history/event_tail.h"

namespace tern::history {

void EventTail::Append(std::vector<Event>&& events, int64_t keep_from) {
  if (events.empty()) return;
  if (!events_.empty() && events.front().event_id() != events_.back().event.event_id() + 1) {
    Clear();
  }
  for (Event& event : events) {
    const size_t bytes = event.ByteSizeLong();
    bytes_ += bytes;
    events_.push_back({std::move(event), bytes});
  }
  while (!events_.empty() && (events_.front().event.event_id() < keep_from || bytes_ > kMaxBytes)) {
    bytes_ -= events_.front().bytes;
    events_.pop_front();
  }
}

void EventTail::Clear() {
  events_.clear();
  bytes_ = 0;
}

std::optional<std::vector<EventTail::Event>> EventTail::Range(int64_t first, int64_t next) const {
  if (first >= next) return std::vector<Event>();
  if (events_.empty() || events_.front().event.event_id() > first ||
      events_.back().event.event_id() < next - 1) {
    return std::nullopt;
  }
  std::vector<Event> range;
  range.reserve(static_cast<size_t>(next - first));
  for (auto it = events_.begin() + (first - events_.front().event.event_id());
       it != events_.end() && it->event.event_id() < next; ++it) {
    range.push_back(it->event);
  }
  return range;
}

}  // namespace tern::history
