// Schedules in the visibility store, so ListSchedules and CountSchedules run the same queries
// (and the same SQL or Elasticsearch translation) as workflow lists. As in Temporal, a schedule
// is a row with workflow id `temporal-sys-scheduler:<schedule id>`, search attribute
// TemporalNamespaceDivision = "TemporalScheduler" (which hides it from workflow lists) and
// TemporalSchedulePaused, the user's search attributes, and a memo holding the user's memo plus
// the ScheduleListInfo under "ScheduleInfo".
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "persistence/visibility_store.h"
#include "services/scheduler/spec.h"
#include "temporal/api/schedule/v1/message.pb.h"
#include "tern/persistence/v1/schedules.pb.h"
#include "visibility/search_attributes.h"

namespace tern::scheduler {

inline constexpr char kWorkflowIdPrefix[] = "temporal-sys-scheduler:";
inline constexpr char kNamespaceDivision[] = "TemporalScheduler";
inline constexpr char kListInfoMemoField[] = "ScheduleInfo";

// The query that selects the namespace's schedules, and `user_query` (may be empty) among them.
std::string ScheduleListQuery(const std::string& user_query);

// The row of `record` at `version` (rows of older versions never replace it).
persistence::VisibilityRecord VisibilityRowOf(const persistence::v1::ScheduleRecord& record,
                                              int64_t version, const CompiledSpec& spec,
                                              TimePoint now,
                                              const visibility::CustomSearchAttributes& custom);

// A list entry from a row VisibilityRowOf wrote.
absl::StatusOr<temporal::api::schedule::v1::ScheduleListEntry> ListEntryOf(
    const persistence::VisibilityRecord& row, const visibility::CustomSearchAttributes& custom);

}  // namespace tern::scheduler
