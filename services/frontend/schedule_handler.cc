#include "services/frontend/schedule_handler.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/errors.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "persistence/namespace_cache.h"
#include "services/frontend/validation.h"
#include "services/scheduler/planner.h"
#include "services/scheduler/spec.h"
#include "services/scheduler/visibility_row.h"
#include "visibility/payloads.h"
#include "visibility/query.h"

namespace tern::frontend {

namespace {

namespace pv1 = persistence::v1;
namespace sv1 = temporal::api::schedule::v1;
using persistence::ScheduleRow;

// How many times a read-modify-write is retried when the worker wrote the row in between.
constexpr int kWriteAttempts = 5;
constexpr int kMaxRecentRequestIds = 20;

// Temporal's conflict tokens are 8 little-endian bytes of an int64.
std::string TokenBytes(int64_t token) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((token >> (8 * i)) & 0xff);
  return bytes;
}

absl::Status NoStore() { return absl::UnimplementedError("this server has no schedule store"); }

absl::Status ScheduleNotFound(const std::string& schedule_id) {
  return NotFoundError(absl::StrCat("schedule ", schedule_id, " not found"));
}

// The schedule with its spec canonical, or INVALID_ARGUMENT naming what is wrong.
absl::StatusOr<sv1::Schedule> ValidateSchedule(const pv1::NamespaceRecord& ns,
                                               const sv1::Schedule& schedule,
                                               const RequestLimits& limits) {
  if (!schedule.action().has_start_workflow()) {
    return absl::InvalidArgumentError("Schedule.Action.StartWorkflow is not set on request.");
  }
  // The start the worker will make, with a timestamp of the length it appends to the id.
  pv1::ScheduleRecord probe;
  probe.set_namespace_name(ns.info().name());
  *probe.mutable_schedule()->mutable_action() = schedule.action();
  pv1::ScheduledStart start;
  start.mutable_nominal_time()->set_seconds(1257894000);  // 2009-11-10T23:00:00Z
  ws::StartWorkflowExecutionRequest request = scheduler::StartRequest(probe, start);
  RETURN_IF_ERROR(ValidateStartWorkflowExecution(request, limits));
  if (!request.has_task_queue() || request.task_queue().name().empty()) {
    return absl::InvalidArgumentError("TaskQueue is not set on request.");
  }
  auto custom = persistence::CustomSearchAttributesOf(ns);
  RETURN_IF_ERROR(visibility::ValidateSearchAttributes(
      schedule.action().start_workflow().search_attributes(), custom));
  const auto& policies = schedule.policies();
  RETURN_IF_ERROR(CheckTimeout("Schedule.Policies.CatchupWindow", policies.catchup_window()));
  if (schedule.state().remaining_actions() < 0) {
    return absl::InvalidArgumentError("Schedule.State.RemainingActions cannot be negative.");
  }
  ASSIGN_OR_RETURN(sv1::ScheduleSpec spec, scheduler::CanonicalizeSpec(schedule.spec()));
  sv1::Schedule valid = schedule;
  *valid.mutable_spec() = std::move(spec);
  return valid;
}

absl::StatusOr<scheduler::CompiledSpec> Compile(const pv1::ScheduleRecord& record) {
  return scheduler::CompiledSpec::Compile(record.schedule().spec());
}

// Queues the patch's trigger and backfills, and applies its pause or unpause.
void ApplyPatch(pv1::ScheduleRecord& record, const sv1::SchedulePatch& patch, TimePoint now) {
  if (patch.has_trigger_immediately()) {
    auto* trigger = record.add_pending_triggers();
    *trigger = patch.trigger_immediately();
    // Stamped now, so the start it makes has one identity however often the worker retries it.
    if (!trigger->has_scheduled_time()) *trigger->mutable_scheduled_time() = ToProto(now);
  }
  for (const auto& backfill : patch.backfill_request()) *record.add_pending_backfills() = backfill;
  auto* state = record.mutable_schedule()->mutable_state();
  if (!patch.pause().empty()) {
    state->set_paused(true);
    state->set_notes(patch.pause());
  }
  if (!patch.unpause().empty()) {
    state->set_paused(false);
    state->set_notes(patch.unpause());
    // Times that passed while paused are not caught up.
    *record.mutable_last_processed_time() = ToProto(now);
  }
}

// Remembers `request_id`; false if it was seen already (a retried call).
bool FirstTimeFor(pv1::ScheduleRecord& record, const std::string& request_id) {
  if (request_id.empty()) return true;
  auto& ids = *record.mutable_recent_request_ids();
  if (std::find(ids.begin(), ids.end(), request_id) != ids.end()) return false;
  ids.Add(std::string(request_id));
  if (ids.size() > kMaxRecentRequestIds) ids.DeleteSubrange(0, ids.size() - kMaxRecentRequestIds);
  return true;
}

}  // namespace

ScheduleHandler::ScheduleHandler(const Config& config,
                                 std::shared_ptr<persistence::ScheduleStore> store,
                                 std::shared_ptr<persistence::VisibilityStore> visibility,
                                 const Clock& clock)
    : config_(config),
      store_(std::move(store)),
      visibility_(std::move(visibility)),
      clock_(clock) {}

namespace {

// Writes the schedule's visibility row. Best effort: the worker writes it again when it picks
// the change up, so a failure here only delays what lists show.
void UpsertRow(persistence::VisibilityStore* visibility, const pv1::NamespaceRecord& ns,
               const pv1::ScheduleRecord& record, int64_t version, TimePoint now) {
  if (visibility == nullptr) return;
  auto spec = Compile(record);
  if (!spec.ok()) return;
  auto row = scheduler::VisibilityRowOf(record, version, *spec, now,
                                        persistence::CustomSearchAttributesOf(ns));
  if (auto status = visibility->Upsert(row); !status.ok()) {
    Log(spdlog::level::warn, {.namespace_name = ns.info().name(), .error = status.ToString()},
        "schedule {}: visibility row not written; the worker will write it", record.schedule_id());
  }
}

// Reads the schedule, lets `change` edit it, and writes it back (the worker is woken at once).
// Retried when the worker wrote the row in between. `change` returning false writes nothing.
absl::StatusOr<int64_t> Modify(
    persistence::ScheduleStore& store, persistence::VisibilityStore* visibility,
    const pv1::NamespaceRecord& ns, const std::string& schedule_id, TimePoint now,
    const std::function<absl::StatusOr<bool>(pv1::ScheduleRecord&)>& change) {
  for (int attempt = 1;; ++attempt) {
    auto row = store.GetSchedule(ns.info().id(), schedule_id);
    if (absl::IsNotFound(row.status())) return ScheduleNotFound(schedule_id);
    if (!row.ok()) return row.status();
    ASSIGN_OR_RETURN(bool changed, change(row->record));
    if (!changed) return row->version;
    *row->record.mutable_info()->mutable_update_time() = ToProto(now);
    auto version = store.UpdateSchedule(row->record, row->version, now);
    if (version.ok()) {
      UpsertRow(visibility, ns, row->record, *version, now);
      return version;
    }
    if (absl::IsNotFound(version.status())) return ScheduleNotFound(schedule_id);
    if (!persistence::IsConditionFailed(version.status()) || attempt == kWriteAttempts) {
      return version.status();
    }
  }
}

}  // namespace

absl::StatusOr<ScheduleRow> ScheduleHandler::Load(const NamespaceRecord& ns,
                                                  const std::string& schedule_id) {
  if (!store_) return NoStore();
  RETURN_IF_ERROR(CheckId("ScheduleId", schedule_id,
                          LimitsFor(config_.dynamic, ns.info().name()).max_id_length, true));
  auto row = store_->GetSchedule(ns.info().id(), schedule_id);
  if (absl::IsNotFound(row.status())) return ScheduleNotFound(schedule_id);
  return row;
}

absl::StatusOr<ws::CreateScheduleResponse> ScheduleHandler::Create(
    const NamespaceRecord& ns, const ws::CreateScheduleRequest& request) {
  if (!store_) return NoStore();
  const RequestLimits limits = LimitsFor(config_.dynamic, ns.info().name());
  RETURN_IF_ERROR(CheckId("ScheduleId", request.schedule_id(), limits.max_id_length, true));
  RETURN_IF_ERROR(CheckId("RequestId", request.request_id(), limits.max_id_length, false));
  ASSIGN_OR_RETURN(sv1::Schedule schedule, ValidateSchedule(ns, request.schedule(), limits));
  RETURN_IF_ERROR(visibility::ValidateSearchAttributes(request.search_attributes(),
                                                       persistence::CustomSearchAttributesOf(ns)));
  const TimePoint now = clock_.Now();
  pv1::ScheduleRecord record;
  record.set_namespace_id(ns.info().id());
  record.set_namespace_name(ns.info().name());
  record.set_schedule_id(request.schedule_id());
  *record.mutable_schedule() = std::move(schedule);
  *record.mutable_info()->mutable_create_time() = ToProto(now);
  if (request.has_memo()) *record.mutable_memo() = request.memo();
  if (request.has_search_attributes())
    *record.mutable_search_attributes() = request.search_attributes();
  record.set_create_request_id(request.request_id());
  record.set_conflict_token(1);
  *record.mutable_last_processed_time() = ToProto(now);
  ApplyPatch(record, request.initial_patch(), now);

  absl::Status created = store_->CreateSchedule(record, now);
  if (absl::IsAlreadyExists(created)) {
    auto existing = store_->GetSchedule(ns.info().id(), request.schedule_id());
    if (existing.ok() && !request.request_id().empty() &&
        existing->record.create_request_id() == request.request_id()) {
      ws::CreateScheduleResponse response;  // a retried create: answered as the first one was
      response.set_conflict_token(TokenBytes(existing->record.conflict_token()));
      return response;
    }
    return WorkflowAlreadyStartedError(
        absl::StrCat("schedule with this ID is already registered: ", request.schedule_id()),
        existing.ok() ? existing->record.create_request_id() : "", "");
  }
  RETURN_IF_ERROR(created);
  UpsertRow(visibility_.get(), ns, record, 1, now);
  ws::CreateScheduleResponse response;
  response.set_conflict_token(TokenBytes(record.conflict_token()));
  return response;
}

absl::StatusOr<ws::DescribeScheduleResponse> ScheduleHandler::Describe(
    const NamespaceRecord& ns, const ws::DescribeScheduleRequest& request) {
  ASSIGN_OR_RETURN(ScheduleRow row, Load(ns, request.schedule_id()));
  const pv1::ScheduleRecord& record = row.record;
  ASSIGN_OR_RETURN(scheduler::CompiledSpec spec, Compile(record));
  ws::DescribeScheduleResponse response;
  *response.mutable_schedule() = record.schedule();
  *response.mutable_schedule()->mutable_spec() =
      scheduler::WithExplicitRanges(record.schedule().spec());
  *response.mutable_info() = record.info();
  response.mutable_info()->set_buffer_size(record.buffered_starts_size());
  for (TimePoint t : scheduler::FutureActionTimes(record, spec, clock_.Now(),
                                                  scheduler::kDescribeFutureActionTimes)) {
    *response.mutable_info()->add_future_action_times() = ToProto(t);
  }
  if (record.has_memo()) *response.mutable_memo() = record.memo();
  if (record.has_search_attributes()) {
    *response.mutable_search_attributes() = record.search_attributes();
    visibility::SetSearchAttributeTypes(*response.mutable_search_attributes(),
                                        persistence::CustomSearchAttributesOf(ns));
  }
  response.set_conflict_token(TokenBytes(record.conflict_token()));
  return response;
}

absl::StatusOr<ws::UpdateScheduleResponse> ScheduleHandler::Update(
    const NamespaceRecord& ns, const ws::UpdateScheduleRequest& request) {
  if (!store_) return NoStore();
  const RequestLimits limits = LimitsFor(config_.dynamic, ns.info().name());
  RETURN_IF_ERROR(CheckId("ScheduleId", request.schedule_id(), limits.max_id_length, true));
  ASSIGN_OR_RETURN(sv1::Schedule schedule, ValidateSchedule(ns, request.schedule(), limits));
  const auto custom = persistence::CustomSearchAttributesOf(ns);
  RETURN_IF_ERROR(visibility::ValidateSearchAttributes(request.search_attributes(), custom));
  const TimePoint now = clock_.Now();
  auto written = Modify(*store_, visibility_.get(), ns, request.schedule_id(), now,
                        [&](pv1::ScheduleRecord& record) -> absl::StatusOr<bool> {
                          if (!request.conflict_token().empty() &&
                              request.conflict_token() != TokenBytes(record.conflict_token())) {
                            return absl::FailedPreconditionError("mismatched conflict token");
                          }
                          if (!FirstTimeFor(record, request.request_id())) return false;
                          *record.mutable_schedule() = schedule;
                          if (request.has_search_attributes()) {
                            *record.mutable_search_attributes() = request.search_attributes();
                          }
                          if (request.has_memo()) *record.mutable_memo() = request.memo();
                          record.set_conflict_token(record.conflict_token() + 1);
                          // The new definition runs from now: nothing between the last action and
                          // the update is caught up under it.
                          *record.mutable_last_processed_time() =
                              ToProto(std::max(now, FromProto(record.last_processed_time())));
                          return true;
                        });
  if (!written.ok()) return written.status();
  return ws::UpdateScheduleResponse();
}

absl::StatusOr<ws::PatchScheduleResponse> ScheduleHandler::Patch(
    const NamespaceRecord& ns, const ws::PatchScheduleRequest& request) {
  if (!store_) return NoStore();
  const RequestLimits limits = LimitsFor(config_.dynamic, ns.info().name());
  RETURN_IF_ERROR(CheckId("ScheduleId", request.schedule_id(), limits.max_id_length, true));
  for (const auto& backfill : request.patch().backfill_request()) {
    if (FromProto(backfill.end_time()) < FromProto(backfill.start_time())) {
      return absl::InvalidArgumentError("BackfillRequest.EndTime is before its StartTime.");
    }
  }
  const TimePoint now = clock_.Now();
  auto written = Modify(*store_, visibility_.get(), ns, request.schedule_id(), now,
                        [&](pv1::ScheduleRecord& record) -> absl::StatusOr<bool> {
                          if (!FirstTimeFor(record, request.request_id())) return false;
                          ApplyPatch(record, request.patch(), now);
                          return true;
                        });
  if (!written.ok()) return written.status();
  return ws::PatchScheduleResponse();
}

absl::StatusOr<ws::DeleteScheduleResponse> ScheduleHandler::Delete(
    const NamespaceRecord& ns, const ws::DeleteScheduleRequest& request) {
  if (!store_) return NoStore();
  RETURN_IF_ERROR(CheckId("ScheduleId", request.schedule_id(),
                          LimitsFor(config_.dynamic, ns.info().name()).max_id_length, true));
  absl::Status deleted = store_->DeleteSchedule(ns.info().id(), request.schedule_id());
  if (absl::IsNotFound(deleted)) return ScheduleNotFound(request.schedule_id());
  RETURN_IF_ERROR(deleted);
  if (visibility_) {
    RETURN_IF_ERROR(visibility_->Delete(
        ns.info().id(), absl::StrCat(scheduler::kWorkflowIdPrefix, request.schedule_id())));
  }
  return ws::DeleteScheduleResponse();
}

absl::StatusOr<ws::ListSchedulesResponse> ScheduleHandler::List(
    const NamespaceRecord& ns, const ws::ListSchedulesRequest& request) {
  if (!visibility_) return absl::UnimplementedError("visibility is not configured");
  const auto custom = persistence::CustomSearchAttributesOf(ns);
  ASSIGN_OR_RETURN(auto query,
                   visibility::ParseQuery(scheduler::ScheduleListQuery(request.query()), custom));
  ASSIGN_OR_RETURN(auto page, visibility_->List(ns.info().id(), query, request.maximum_page_size(),
                                                request.next_page_token()));
  ws::ListSchedulesResponse response;
  for (const auto& row : page.records) {
    ASSIGN_OR_RETURN(*response.add_schedules(), scheduler::ListEntryOf(row, custom));
  }
  response.set_next_page_token(page.next_page_token);
  return response;
}

absl::StatusOr<ws::CountSchedulesResponse> ScheduleHandler::Count(
    const NamespaceRecord& ns, const ws::CountSchedulesRequest& request) {
  if (!visibility_) return absl::UnimplementedError("visibility is not configured");
  ASSIGN_OR_RETURN(auto query, visibility::ParseQuery(scheduler::ScheduleListQuery(request.query()),
                                                      persistence::CustomSearchAttributesOf(ns)));
  ASSIGN_OR_RETURN(auto count, visibility_->Count(ns.info().id(), query));
  ws::CountSchedulesResponse response;
  response.set_count(count.count);
  return response;
}

absl::StatusOr<ws::ListScheduleMatchingTimesResponse> ScheduleHandler::ListMatchingTimes(
    const NamespaceRecord& ns, const ws::ListScheduleMatchingTimesRequest& request) {
  ASSIGN_OR_RETURN(ScheduleRow row, Load(ns, request.schedule_id()));
  ASSIGN_OR_RETURN(scheduler::CompiledSpec spec, Compile(row.record));
  ASSIGN_OR_RETURN(
      auto times, spec.MatchingTimes(FromProto(request.start_time()), FromProto(request.end_time()),
                                     absl::StrCat(ns.info().id(), "-", request.schedule_id())));
  ws::ListScheduleMatchingTimesResponse response;
  for (TimePoint t : times) *response.add_start_time() = ToProto(t);
  return response;
}

}  // namespace tern::frontend
