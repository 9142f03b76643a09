// Workflow updates (contract §2.5.6, §3.5.12). An update is admitted in memory, delivered to the
// worker as a protocol message on the next workflow task (a speculative one when the run is
// idle), and recorded in history when the workflow accepts it (UpdateAccepted) and completes it
// (UpdateCompleted). Rejections write nothing, not even the workflow task that carried them.
// Callers long-poll for the stage they want.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "services/history/engine_context.h"

namespace tern::history {

struct UpdateStatus {
  enums::UpdateWorkflowExecutionLifecycleStage stage =
      enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
  std::optional<temporal::api::update::v1::Outcome> outcome;
};

// Where update `update_id` of the run stands; NOT_FOUND if unknown (or never accepted before the
// run closed). `admit` (when set) is admitted if the update is new. Blocking.
absl::StatusOr<UpdateStatus> CheckUpdate(EngineContext& engine, Shard& shard,
                                         const ExecutionKey& key, const std::string& update_id,
                                         const temporal::api::update::v1::Request* admit);

// Answers once the update reaches `wanted`, or with its stage when `deadline` passes; parks on
// the run's watch without a thread meanwhile. `done` runs exactly once.
using UpdateDone = std::function<void(absl::StatusOr<UpdateStatus>)>;
void WaitForUpdate(EngineContext& engine, std::shared_ptr<Shard> shard, ExecutionKey key,
                   std::string update_id, std::optional<temporal::api::update::v1::Request> admit,
                   enums::UpdateWorkflowExecutionLifecycleStage wanted, TimePoint deadline,
                   UpdateDone done);

// The stage a caller waits for: the wait policy's, ACCEPTED when unspecified.
enums::UpdateWorkflowExecutionLifecycleStage WantedStage(
    const temporal::api::update::v1::WaitPolicy& policy);

// Poll-response messages for the run's admitted updates.
void AddUpdateMessages(const ExecutionContext& context, int64_t started_event_id,
                       ws::PollWorkflowTaskQueueResponse* response);

}  // namespace tern::history
