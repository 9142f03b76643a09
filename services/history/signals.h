// A signal delivered to a run, shared by SignalWorkflowExecution and signal-with-start.
#pragma once

#include <string>

#include "services/history/mutable_state.h"

namespace tern::history {

// Adds WorkflowExecutionSignaled (buffered while a workflow task runs), remembers `request_id`
// for deduplication and schedules a workflow task.
hv1::HistoryEvent* AddSignal(MutableStateBuilder& ms, const std::string& signal_name,
                             const temporal::api::common::v1::Payloads* input,
                             const std::string& identity,
                             const temporal::api::common::v1::Header* header,
                             const std::string& request_id);

}  // namespace tern::history
