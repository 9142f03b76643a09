// Workflow task bookkeeping shared by the workflow task APIs and the timer tasks: which task a
// token names, failure and timeout (with the transient-attempt rules), and the poll response.
#pragma once

#include <string>
#include <vector>

#include "services/history/engine_context.h"
#include "services/history/mutable_state.h"
#include "services/history/shard.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace tern::history {

absl::Status WorkflowTaskNotFound();
// Whether a worker's token names the workflow task now started (not a stale attempt).
bool IsCurrentWorkflowTask(const MutableStateBuilder& ms, const pv1::TaskToken& token);
// Records the failure (unless the attempt is transient) and schedules the next attempt.
void FailWorkflowTask(MutableStateBuilder& ms, enums::WorkflowTaskFailedCause cause,
                      const temporal::api::failure::v1::Failure& failure,
                      const std::string& identity);
// Marks the scheduled workflow task started by `identity` (a WorkflowTaskStarted event unless the
// attempt is transient, with continue-as-new suggested past `limits`) and arms its
// start-to-close timeout.
void MarkWorkflowTaskStarted(MutableStateBuilder& ms, const HistoryOptions& limits,
                             const std::string& identity, const std::string& request_id);
// What the started workflow task of the run carries besides history: the messages of its
// admitted updates, and the queries waiting for a task (which ride on this one from now on).
// Called under the run's lock.
temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse PendingWorkForTask(
    ExecutionContext& context, int64_t started_event_id);
// Whether the completion of the run's started workflow task lets it vanish from history, as
// Temporal decides it: a speculative task answered with no commands and no heartbeat, only
// update rejections, whose history the worker had already seen (or, for an SDK that can take
// events twice, had seen all but a few events of).
bool DiscardsSpeculativeWorkflowTask(
    const MutableStateBuilder& ms,
    const temporal::api::workflowservice::v1::RespondWorkflowTaskCompletedRequest& request);
// The same for a started task whose start-to-close timeout fired.
void TimeoutWorkflowTask(MutableStateBuilder& ms);
// The poll response of the started workflow task of a run, in two steps: what comes from the
// run's state (WorkflowTaskStart, taken while the run is locked, without copying the state), then
// the history (WorkflowTaskResponse, once the task's start is written): the whole history, or
// (`partial`, a sticky worker that has the run cached) the events since the last completed task,
// followed by the transient events of the attempt.
struct WorkflowTaskStart {
  temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse response;  // no history yet
  ExecutionKey key;
  int64_t first_event_id = 1;  // the first event the response carries
  int64_t next_event_id = 1;   // the run's next event id
};
WorkflowTaskStart StartWorkflowTaskResponse(const pv1::MutableState& state, bool partial);
absl::StatusOr<temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse>
WorkflowTaskResponse(Shard& shard, WorkflowTaskStart start,
                     const std::vector<hv1::HistoryEvent>& transient_events = {});

}  // namespace tern::history
