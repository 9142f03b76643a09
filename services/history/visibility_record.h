// What history writes to the visibility store, and when.
//
// A run's visibility row is rewritten (TransferTask TYPE_UPSERT_VISIBILITY, written in the same
// transaction as the change) when the run starts, when it closes and when its memo or search
// attributes change: VisibilityChanged decides, comparing the state before and after a write.
// The task's executor reads the run's current mutable state and upserts the row built by
// BuildVisibilityRecord, so a row always reflects a whole committed state, and the store's
// newest-wins rule (state_transition_count) keeps a late task from undoing a newer one.
//
// Between those writes the row's history length, size and state transition count are those of
// the last start/close/upsert (as in the reference server).
//
// Pure functions: safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "persistence/visibility_store.h"
#include "tern/persistence/v1/records.pb.h"
#include "visibility/search_attributes.h"

namespace tern::history {

// True when the write from `before` (nullptr for a new run) to `after` needs a new visibility
// row: a new run, a status change, or a different memo or search attributes.
bool VisibilityChanged(const persistence::v1::MutableState* before,
                       const persistence::v1::MutableState& after);
// Only the fields of `state` VisibilityChanged compares: what a write keeps of the state before
// it, instead of a copy of the whole state.
persistence::v1::MutableState VisibilityFieldsOf(const persistence::v1::MutableState& state);

// The root of the run's parent chain: the root recorded in its parent info; the parent itself
// for runs written before roots were recorded; the run itself when it has no parent.
temporal::api::common::v1::WorkflowExecution RootExecution(
    const persistence::v1::MutableState& state);

// The visibility row of the run. Search attributes are stored with the types of `custom` (the
// namespace's custom attributes) and the built-in catalog; values whose attribute has no type
// any more (removed from the namespace after the value was written) are left out, their names
// appended to `dropped` when given. ExecutionDuration is close time minus execution time, never
// negative (a run closed during its start delay has 0).
persistence::VisibilityRecord BuildVisibilityRecord(
    const persistence::v1::MutableState& state, const visibility::CustomSearchAttributes& custom,
    std::vector<std::string>* dropped = nullptr);

}  // namespace tern::history
