// Activity bookkeeping shared by the activity APIs, the commands that schedule activities and the
// timer tasks that time them out: dispatch, deferred started events, failure and retry.
#pragma once

#include <string>

#include "services/history/mutable_state.h"

namespace tern::history {

absl::Status ActivityNotFound();
TimePoint Plus(TimePoint t, const google::protobuf::Duration& d);
// A timer task of `type` for the current attempt of `activity`.
pv1::TimerTask ActivityTimer(const MutableStateBuilder& ms, const pv1::ActivityInfo& activity,
                             pv1::TimerTask::Type type, enums::TimeoutType timeout_type,
                             TimePoint fire);
// Pushes the current attempt to matching, with its schedule-to-start timer (and, for the first
// attempt, the schedule-to-close timer).
void DispatchActivity(MutableStateBuilder& ms, const pv1::ActivityInfo& activity);
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
