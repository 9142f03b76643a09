// The Schedule API of the WorkflowService as blocking functions over the ScheduleStore and the
// visibility store: CreateSchedule, DescribeSchedule, UpdateSchedule, PatchSchedule,
// DeleteSchedule, ListSchedules, CountSchedules and ListScheduleMatchingTimes. WorkflowHandler
// resolves the namespace and runs these on the blocking executor.
//
// The frontend only writes the schedule's definition and queues patches (trigger, backfill);
// tern-worker carries them out and runs the schedule (services/worker/schedule_runner.h). Every
// write sets the schedule's next wake-up, so the worker picks the change up at once.
//
// Errors as Temporal answers them, which the SDKs map to their own types:
//   - an id in use: ALREADY_EXISTS with WorkflowExecutionAlreadyStartedFailure
//     (ScheduleAlreadyRunning); a retried create with the same request id succeeds;
//   - an unknown schedule: NOT_FOUND (ScheduleNotFoundError);
//   - an update whose conflict token is not the current one: FAILED_PRECONDITION
//     "mismatched conflict token";
//   - a bad spec, action or policy: INVALID_ARGUMENT naming the field.
// The list and count RPCs read visibility, so a change shows there shortly after it commits.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/config.h"
#include "persistence/schedule_store.h"
#include "persistence/visibility_store.h"
#include "temporal/api/workflowservice/v1/request_response.pb.h"
#include "tern/persistence/v1/records.pb.h"

namespace tern::frontend {

namespace ws = temporal::api::workflowservice::v1;

class ScheduleHandler {
 public:
  using NamespaceRecord = persistence::v1::NamespaceRecord;

  // `store` null: every RPC answers UNIMPLEMENTED. `visibility` null: list and count do.
  ScheduleHandler(const Config& config, std::shared_ptr<persistence::ScheduleStore> store,
                  std::shared_ptr<persistence::VisibilityStore> visibility, const Clock& clock);

  absl::StatusOr<ws::CreateScheduleResponse> Create(const NamespaceRecord& ns,
                                                    const ws::CreateScheduleRequest& request);
  absl::StatusOr<ws::DescribeScheduleResponse> Describe(const NamespaceRecord& ns,
                                                        const ws::DescribeScheduleRequest& request);
  absl::StatusOr<ws::UpdateScheduleResponse> Update(const NamespaceRecord& ns,
                                                    const ws::UpdateScheduleRequest& request);
  absl::StatusOr<ws::PatchScheduleResponse> Patch(const NamespaceRecord& ns,
                                                  const ws::PatchScheduleRequest& request);
  absl::StatusOr<ws::DeleteScheduleResponse> Delete(const NamespaceRecord& ns,
                                                    const ws::DeleteScheduleRequest& request);
  absl::StatusOr<ws::ListSchedulesResponse> List(const NamespaceRecord& ns,
                                                 const ws::ListSchedulesRequest& request);
  absl::StatusOr<ws::CountSchedulesResponse> Count(const NamespaceRecord& ns,
                                                   const ws::CountSchedulesRequest& request);
  absl::StatusOr<ws::ListScheduleMatchingTimesResponse> ListMatchingTimes(
      const NamespaceRecord& ns, const ws::ListScheduleMatchingTimesRequest& request);

 private:
  // The schedule's row; INVALID_ARGUMENT for a bad id, NOT_FOUND when there is none.
  absl::StatusOr<persistence::ScheduleRow> Load(const NamespaceRecord& ns,
                                                const std::string& schedule_id);

  const Config& config_;
  std::shared_ptr<persistence::ScheduleStore> store_;
  std::shared_ptr<persistence::VisibilityStore> visibility_;
  const Clock& clock_;
};

}  // namespace tern::frontend
