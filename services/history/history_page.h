// History pages as clients receive them: GetWorkflowExecutionHistory pages and the history in a
// workflow task. A page stops at kMaxHistoryPageBytes (and holds at least one event), so a
// history of any size reaches a worker in messages well under gRPC's default 4 MiB limit; the
// rest follows with the page token.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "temporal/api/history/v1/message.pb.h"

namespace tern::history {

inline constexpr int64_t kMaxHistoryPageBytes = 2 << 20;

// Moves the events of [first, end) from `events` (ascending; others are skipped) into `page`
// until it holds kMaxHistoryPageBytes. Returns the id of the last event moved, first - 1 if
// none.
int64_t FillHistoryPage(std::vector<temporal::api::history::v1::HistoryEvent>& events,
                        int64_t first, int64_t end, temporal::api::history::v1::History* page);

// The page token that resumes reading the run at `next_event_id` (and stops before
// `end_event_id`, 0 for wherever the run is when read).
std::string EncodeHistoryPageToken(const std::string& run_id, int64_t next_event_id,
                                   int64_t end_event_id);

}  // namespace tern::history
