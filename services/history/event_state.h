// What history events do to a run's mutable state. The command handlers record the state an
// event creates through these functions, and reset replays a history prefix through them, so a
// rebuilt run holds exactly what the original held after the same events.
//
// Pure functions over protos; no tasks are produced here (the caller decides which timers and
// transfer tasks the state needs).
#pragma once

#include <vector>

#include "persistence/store.h"
#include "temporal/api/history/v1/message.pb.h"

namespace tern::history {

namespace pv1 = tern::persistence::v1;
namespace hv1 = temporal::api::history::v1;

// Pending-work records created by an event, keyed in the state by the event's id (by timer id
// for timers). Each returns the stored record.
pv1::ActivityInfo& RecordActivityScheduled(pv1::MutableState& state,
                                           const hv1::HistoryEvent& scheduled);
pv1::TimerInfo& RecordTimerStarted(pv1::MutableState& state, const hv1::HistoryEvent& started);
pv1::ChildInfo& RecordChildInitiated(pv1::MutableState& state, const hv1::HistoryEvent& initiated);
// SignalExternal... or RequestCancelExternal...Initiated.
pv1::ExternalRequestInfo& RecordExternalRequestInitiated(pv1::MutableState& state,
                                                         const hv1::HistoryEvent& initiated);

// Upserts: an empty, `null` (or, for search attributes, `[]`) value removes the key.
void ApplySearchAttributeUpserts(pv1::MutableState& state,
                                 const temporal::api::common::v1::SearchAttributes& upserts);
void ApplyMemoUpserts(pv1::MutableState& state, const temporal::api::common::v1::Memo& upserts);

// The state of a run after `events` (a prefix of its history starting at event 1): pending
// activities, timers, children, requests to other workflows, accepted updates, memo, search
// attributes, cancel request, the last workflow task and the next event id. `base` provides what
// the events do not carry (ids, namespace, timeouts, chain links); its dynamic parts are
// discarded, history_size_bytes included (the builder that writes the events counts them).
// Activities come back not started, on attempt 1.
pv1::MutableState ReplayHistory(const pv1::MutableState& base,
                                const std::vector<hv1::HistoryEvent>& events);

}  // namespace tern::history
