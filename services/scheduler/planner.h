// What a schedule owes and what to do about it, as pure functions over its record: which times
// have come due, what the overlap policy makes of them, how starts and closes are recorded, and
// when the worker must look again. tern-worker (services/worker/schedule_runner.h) does the I/O
// around these; the frontend uses them to describe a schedule.
//
// The rules are Temporal's (the server's scheduler workflow):
//   - A time is due when its actual (jittered) time has passed. Due times more than the catch-up
//     window old (default 365 days, at least 10 s) are counted in missed_catchup_window and
//     dropped; while paused, spec times pass without action.
//   - Triggers and backfills queue starts that ignore pause and the catch-up window.
//   - Overlap policies decide, in order, for each queued start while a started workflow still
//     runs: SKIP drops it (overlap_skipped), BUFFER_ONE keeps one, BUFFER_ALL keeps all,
//     CANCEL_OTHER asks the running ones to cancel and waits, TERMINATE_OTHER terminates them
//     and starts, ALLOW_ALL starts regardless. Unspecified means SKIP.
//   - With limited_actions, each start uses one of remaining_actions; at zero nothing more
//     starts.
//   - Started workflows get the id `<workflow id>-<nominal time, RFC 3339>` (unless
//     keep_original_workflow_id) and the search attributes TemporalScheduledStartTime and
//     TemporalScheduledById; their request id is derived from the nominal time, so starting the
//     same time twice (a worker that died before writing the record back) starts one run.
#pragma once

#include <optional>
#include <vector>

#include "common/clock.h"
#include "services/scheduler/spec.h"
#include "temporal/api/history/v1/message.pb.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"
#include "tern/persistence/v1/schedules.pb.h"

namespace tern::scheduler {

namespace pv1 = persistence::v1;
namespace common = temporal::api::common::v1;
namespace enums = temporal::api::enums::v1;

inline constexpr int kMaxRecentActions = 10;
inline constexpr int kDescribeFutureActionTimes = 10;
inline constexpr int kListFutureActionTimes = 5;
// Starts a schedule may queue; more are dropped (buffer_dropped).
inline constexpr int kMaxBufferedStarts = 1000;

// The spec's next time after `after` for this schedule (its jitter seeded by namespace and
// schedule, as in Temporal); nullopt when there is none (or it cannot be computed).
std::optional<CompiledSpec::Fire> NextFire(const CompiledSpec& spec,
                                           const pv1::ScheduleRecord& record, TimePoint after);

// Queues what has come due by `now`: pending triggers, then backfills, then the spec's times
// after last_processed_time (which moves to the last of them).
void CollectDue(pv1::ScheduleRecord& record, const CompiledSpec& spec, TimePoint now);

struct Decision {
  std::vector<pv1::ScheduledStart> starts;  // start these now, in order
  bool cancel_running = false;              // ask every running workflow to cancel
  bool terminate_running = false;           // terminate every running workflow before starting
};
// Applies the overlap policies to the queued starts (the queue keeps what must wait).
Decision Decide(pv1::ScheduleRecord& record);

// A start that happened: counted, listed in recent actions and running workflows.
void RecordStarted(pv1::ScheduleRecord& record, const pv1::ScheduledStart& start,
                   const common::WorkflowExecution& execution, TimePoint now);
// A started workflow closed with `status` (pauses the schedule if pause_on_failure says so).
// Its close event, when known, gives the result and failure later starts carry and the failure
// message of the pause note.
void RecordClosed(pv1::ScheduleRecord& record, const common::WorkflowExecution& execution,
                  enums::WorkflowExecutionStatus status,
                  const temporal::api::history::v1::HistoryEvent* close_event = nullptr);

// The request that starts `start` (namespace name and identity included).
temporal::api::workflowservice::v1::StartWorkflowExecutionRequest StartRequest(
    const pv1::ScheduleRecord& record, const pv1::ScheduledStart& start);

// The next `count` times the spec will act (actual times), none while paused or out of actions.
std::vector<TimePoint> FutureActionTimes(const pv1::ScheduleRecord& record,
                                         const CompiledSpec& spec, TimePoint now, int count);

// When the worker must look at the schedule again: now for queued work it can do, soon while
// started workflows run (to see them close), else the next spec time; nullopt for never.
std::optional<TimePoint> NextWakeup(const pv1::ScheduleRecord& record, const CompiledSpec& spec,
                                    TimePoint now);

}  // namespace tern::scheduler
