// The transfer and timer task executors a shard's queues run (installed by HistoryService
// through HistoryEngine). Every executor checks the mutable state first: a task can run again
// after a crash, or be overtaken by events, and must then do nothing.
//
// Transfer executors are asynchronous: they may return at once and call `done` exactly once
// later, from any thread; work that blocks on the database is posted to the blocking executor.
// Timer executors run on the blocking executor and return their status.
#pragma once

#include <chrono>
#include <string>

#include "services/history/engine_context.h"

namespace tern::history::tasks {

// How long a call to another workflow (on any history host) may take before the task retries.
constexpr auto kCrossWorkflowCallTimeout = std::chrono::seconds(10);
// Request ids derived from the initiating event, so a retried task is deduplicated.
std::string DerivedRequestId(const pv1::MutableState& state, int64_t initiated_event_id);

void ExecuteTransferTask(EngineContext& engine, Shard& shard, TransferQueue::TaskRef task_ref,
                         TransferQueue::Done done);
absl::Status ExecuteTimerTask(EngineContext& engine, Shard& shard, const pv1::TimerTask& task);

// TYPE_START_CHILD: starts the child run and records ChildWorkflowExecutionStarted (or
// StartChildWorkflowExecutionFailed) in the parent.
void StartChild(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                TransferQueue::Done done);
// TYPE_CLOSE_EXECUTION: tells the parent how its child closed (RecordChildExecutionCompleted).
void NotifyParent(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                  TransferQueue::Done done);
// TYPE_SIGNAL_EXECUTION / TYPE_CANCEL_EXECUTION: delivers a signal or cancel request to another
// workflow and records the outcome in the source run.
void DeliverExternalRequest(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                            TransferQueue::Done done);
// TYPE_PARENT_CLOSE_POLICY: terminates or cancels the children of a closed run.
void ApplyParentClosePolicy(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                            TransferQueue::Done done);
// TYPE_UPSERT_VISIBILITY: writes the run's visibility row from its current state (metric
// tern_visibility_lag_seconds).
void UpsertVisibility(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                      TransferQueue::Done done);
// TYPE_DELETE_EXECUTION (timer): removes the closed run's state, history, current-run pointer
// and visibility row under the run's lock.
absl::Status DeleteExecution(EngineContext& engine, Shard& shard, const pv1::TimerTask& task);

}  // namespace tern::history::tasks
