#include "services/history/history_page.h"

#include <utility>

#include "tern/persistence/v1/records.pb.h"

namespace tern::history {

int64_t FillHistoryPage(std::vector<temporal::api::history::v1::HistoryEvent>& events,
                        int64_t first, int64_t end, temporal::api::history::v1::History* page) {
  int64_t last = first - 1;
  int64_t bytes = 0;
  for (auto& event : events) {
    if (event.event_id() < first || event.event_id() >= end) continue;
    bytes += static_cast<int64_t>(event.ByteSizeLong());
    if (bytes > kMaxHistoryPageBytes && page->events_size() > 0) break;
    last = event.event_id();
    *page->add_events() = std::move(event);
  }
  return last;
}

std::string EncodeHistoryPageToken(const std::string& run_id, int64_t next_event_id,
                                   int64_t end_event_id) {
  persistence::v1::HistoryPageToken token;
  token.set_run_id(run_id);
  token.set_next_event_id(next_event_id);
  token.set_end_event_id(end_event_id);
  return token.SerializeAsString();
}

}  // namespace tern::history
