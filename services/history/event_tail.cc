#include "services/history/event_tail.h"

namespace tern::history {

void EventTail::Append(std::vector<Event>&& events, int64_t keep_from) {
  if (events.empty()) return;
  if (!events_.empty() && events.front().event_id() != events_.back().event_id() + 1) Clear();
  for (Event& event : events) {
    bytes_ += event.ByteSizeLong();
    events_.push_back(std::move(event));
  }
  while (!events_.empty() && (events_.front().event_id() < keep_from || bytes_ > kMaxBytes)) {
    bytes_ -= events_.front().ByteSizeLong();
    events_.pop_front();
  }
}

void EventTail::Clear() {
  events_.clear();
  bytes_ = 0;
}

std::optional<std::vector<EventTail::Event>> EventTail::Range(int64_t first, int64_t next) const {
  if (first >= next) return std::vector<Event>();
  if (events_.empty() || events_.front().event_id() > first ||
      events_.back().event_id() < next - 1) {
    return std::nullopt;
  }
  std::vector<Event> range;
  range.reserve(static_cast<size_t>(next - first));
  for (auto it = events_.begin() + (first - events_.front().event_id());
       it != events_.end() && it->event_id() < next; ++it) {
    range.push_back(*it);
  }
  return range;
}

}  // namespace tern::history
