// Activity bookkeeping shared by the activity APIs, the commands that schedule activities and the
// timer tasks that time them out: dispatch, deferred started events, failure and retry.
#pragma once

#include <string>

#include "services/history/mutable_state.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace tern::history {

absl::Status ActivityNotFound();
// A timer task of `type` for the current attempt of `activity`.
pv1::TimerTask ActivityTimer(const MutableStateBuilder& ms, const pv1::ActivityInfo& activity,
                             pv1::TimerTask::Type type, enums::TimeoutType timeout_type,
                             TimePoint fire);
// Pushes the current attempt to matching, with its schedule-to-start timer (and, for the first
// attempt, the schedule-to-close timer).
void DispatchActivity(MutableStateBuilder& ms, const pv1::ActivityInfo& activity);
// The schedule-to-close timer of an activity's first attempt (none without that timeout).
void ArmScheduleToClose(MutableStateBuilder& ms, const pv1::ActivityInfo& activity);
// Marks the current attempt started by `identity` (no event yet: AddActivityStarted writes it with
// the outcome) and arms its start-to-close and heartbeat timers.
void MarkActivityStarted(MutableStateBuilder& ms, pv1::ActivityInfo& activity,
                         const std::string& identity, const std::string& request_id);
// The task a worker gets for the started attempt (a poll's answer, or an eager dispatch).
temporal::api::workflowservice::v1::PollActivityTaskQueueResponse ActivityTaskFor(
    const pv1::MutableState& state, const pv1::ActivityInfo& activity,
    const std::string& namespace_name);
// Adds the deferred ActivityTaskStarted event (if the attempt started) and returns its id (0 when
// buffered: the flush wires it into the outcome event).
int64_t AddActivityStarted(MutableStateBuilder& ms, const pv1::ActivityInfo& activity);
// The started attempt a worker reports on, by token. A token built for a *ById call has the
// activity id instead of the scheduled event id and attempt.
absl::StatusOr<pv1::ActivityInfo*> FindStartedActivity(MutableStateBuilder& ms,
                                                       const pv1::TaskToken& token);
// Retries the activity per its policy, or records its final failure/timeout.
void FailActivity(MutableStateBuilder& ms, int64_t scheduled_event_id,
                  const temporal::api::failure::v1::Failure& failure,
                  const temporal::api::common::v1::Payloads* heartbeat_details,
                  const std::string& identity, bool timeout);

}  // namespace tern::history
