#include "services/history/workflow_task.h"

#include <limits>

#include "common/errors.h"
#include "common/task_token.h"
#include "services/history/history_page.h"
#include "services/history/updates.h"

namespace tern::history {

namespace {
// Events a worker that declares discard_speculative_workflow_task_with_events may be sent again
// after a discarded task (Temporal's default for DiscardSpeculativeWorkflowTaskMaximumEventsCount).
constexpr int64_t kMaxResentEvents = 10;
}  // namespace

absl::Status WorkflowTaskNotFound() { return NotFoundError("Workflow task not found."); }

bool IsCurrentWorkflowTask(const MutableStateBuilder& ms, const pv1::TaskToken& token) {
  const auto& wft = ms.state().workflow_task();
  // The start time tells apart a speculative task from one discarded before it with the same
  // ids.
  return ms.IsRunning() && wft.started_event_id() != 0 &&
         wft.scheduled_event_id() == token.scheduled_event_id() &&
         wft.started_event_id() == token.started_event_id() && wft.attempt() == token.attempt() &&
         (!token.has_started_time() ||
          FromProto(token.started_time()) == FromProto(wft.started_time()));
}

WorkflowTaskStart StartWorkflowTaskResponse(const pv1::MutableState& state, bool partial) {
  const auto& wft = state.workflow_task();
  WorkflowTaskStart start;
  auto& response = start.response;
  pv1::TaskToken token;
  token.set_namespace_id(state.namespace_id());
  token.set_workflow_id(state.workflow_id());
  token.set_run_id(state.run_id());
  token.set_scheduled_event_id(wft.scheduled_event_id());
  token.set_started_event_id(wft.started_event_id());
  token.set_attempt(wft.attempt());
  *token.mutable_started_time() = wft.started_time();
  response.set_task_token(EncodeTaskToken(token));
  response.mutable_workflow_execution()->set_workflow_id(state.workflow_id());
  response.mutable_workflow_execution()->set_run_id(state.run_id());
  *response.mutable_workflow_type() = state.workflow_type();
  response.set_previous_started_event_id(state.last_completed_workflow_task_started_event_id());
  response.set_started_event_id(wft.started_event_id());
  response.set_attempt(wft.attempt());
  response.mutable_workflow_execution_task_queue()->set_name(state.task_queue());
  response.mutable_workflow_execution_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  *response.mutable_scheduled_time() = wft.scheduled_time();
  *response.mutable_started_time() = wft.started_time();
  start.key = {state.namespace_id(), state.workflow_id(), state.run_id()};
  start.first_event_id = partial ? state.last_completed_workflow_task_started_event_id() + 1 : 1;
  start.next_event_id = state.next_event_id();
  return start;
}

absl::StatusOr<temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse>
WorkflowTaskResponse(Shard& shard, WorkflowTaskStart start,
                     const std::vector<hv1::HistoryEvent>& transient_events) {
  const int64_t first = start.first_event_id;
  auto events = shard.ReadEvents(start.key, first, start.next_event_id);
  if (!events.ok()) return events.status();
  auto& response = start.response;
  auto* history = response.mutable_history();
  if (transient_events.empty()) {
    // A long history comes in pages: the worker reads the rest with the token.
    int64_t last = FillHistoryPage(*events, first, start.next_event_id, history);
    if (last + 1 < start.next_event_id) {
      response.set_next_page_token(
          EncodeHistoryPageToken(start.key.run_id, last + 1, start.next_event_id));
    }
    return std::move(response);
  }
  // The attempt's transient events are not stored, so no page could carry them: one message.
  for (auto& e : *events) {
    if (e.event_id() >= first) *history->add_events() = std::move(e);
  }
  for (const auto& e : transient_events) *history->add_events() = e;
  return std::move(response);
}

void FailWorkflowTask(MutableStateBuilder& ms, enums::WorkflowTaskFailedCause cause,
                      const temporal::api::failure::v1::Failure& failure,
                      const std::string& identity) {
  const auto wft = ms.state().workflow_task();
  // The worker may have lost the run: the next task goes to the normal queue, full history.
  bool was_sticky = wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY;
  ms.state().clear_sticky_task_queue();
  if (wft.type() != pv1::WORKFLOW_TASK_TYPE_TRANSIENT ||
      cause == enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND || ms.HasBufferedEvents()) {
    // The failure is recorded in history; a transient or speculative task's events are written
    // first.
    ms.WriteWorkflowTaskEvents();
    auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
    auto* attrs = event->mutable_workflow_task_failed_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_started_event_id(wft.started_event_id());
    attrs->set_cause(cause);
    *attrs->mutable_failure() = failure;
    attrs->set_identity(identity);
  }
  ms.ClearWorkflowTask();
  bool had_buffered = ms.HasBufferedEvents();
  ms.FlushBufferedEvents();
  // New events or an unhandled command restart the attempt count; otherwise the next attempt is
  // transient (its events appear only in the poll response).
  bool reset_attempts =
      had_buffered || was_sticky || cause == enums::WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  ms.ScheduleWorkflowTask(reset_attempts ? 1 : wft.attempt() + 1);
  ms.MarkDirty();
}

void TimeoutWorkflowTask(MutableStateBuilder& ms) {
  const auto wft = ms.state().workflow_task();
  bool was_sticky = wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY;
  ms.state().clear_sticky_task_queue();
  if (wft.type() != pv1::WORKFLOW_TASK_TYPE_TRANSIENT || ms.HasBufferedEvents()) {
    ms.WriteWorkflowTaskEvents();
    auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    auto* attrs = event->mutable_workflow_task_timed_out_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_started_event_id(wft.started_event_id());
    attrs->set_timeout_type(enums::TIMEOUT_TYPE_START_TO_CLOSE);
  }
  ms.ClearWorkflowTask();
  bool had_buffered = ms.HasBufferedEvents();
  ms.FlushBufferedEvents();
  ms.ScheduleWorkflowTask(had_buffered || was_sticky ? 1 : wft.attempt() + 1);
  ms.MarkDirty();
}
void MarkWorkflowTaskStarted(MutableStateBuilder& ms, const HistoryOptions& limits,
                             const std::string& identity, const std::string& request_id) {
  auto& wft = *ms.state().mutable_workflow_task();
  wft.set_request_id(request_id);
  wft.set_identity(identity);
  *wft.mutable_started_time() = ToProto(ms.now());
  if (!ms.WorkflowTaskEventsWritten()) {
    wft.set_started_event_id(wft.scheduled_event_id() + 1);
    ms.MarkDirty();
  } else {
    auto* started = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_STARTED);
    auto* attrs = started->mutable_workflow_task_started_event_attributes();
    attrs->set_scheduled_event_id(wft.scheduled_event_id());
    attrs->set_identity(identity);
    attrs->set_request_id(request_id);
    attrs->set_history_size_bytes(ms.state().history_size_bytes());
    if (started->event_id() >= limits.history_count_suggest_continue_as_new) {
      attrs->set_suggest_continue_as_new(true);
      attrs->add_suggest_continue_as_new_reasons(
          enums::SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS);
    }
    if (ms.state().history_size_bytes() >= limits.history_size_suggest_continue_as_new) {
      attrs->set_suggest_continue_as_new(true);
      attrs->add_suggest_continue_as_new_reasons(
          enums::SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE);
    }
    ms.state().mutable_workflow_task()->set_started_event_id(started->event_id());
  }
  const auto& started_wft = ms.state().workflow_task();
  auto timer = NewTimerTask(ms.state(), pv1::TimerTask::TYPE_WORKFLOW_TASK_TIMEOUT,
                            AddSaturating(ms.now(), started_wft.start_to_close_timeout()));
  timer.set_event_id(started_wft.scheduled_event_id());
  timer.set_attempt(started_wft.attempt());
  timer.set_timeout_type(enums::TIMEOUT_TYPE_START_TO_CLOSE);
  ms.AddTimerTask(std::move(timer));
}

temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse PendingWorkForTask(
    ExecutionContext& context, int64_t started_event_id) {
  temporal::api::workflowservice::v1::PollWorkflowTaskQueueResponse extras;
  AddUpdateMessages(context, started_event_id, &extras);
  for (auto& [id, query] : context.queries) {
    if (query.started_event_id == 0) query.started_event_id = started_event_id;
    if (query.started_event_id == started_event_id) (*extras.mutable_queries())[id] = query.query;
  }
  return extras;
}

bool DiscardsSpeculativeWorkflowTask(
    const MutableStateBuilder& ms,
    const temporal::api::workflowservice::v1::RespondWorkflowTaskCompletedRequest& request) {
  if (ms.state().workflow_task().type() != pv1::WORKFLOW_TASK_TYPE_SPECULATIVE ||
      request.commands_size() > 0 || request.force_create_new_workflow_task()) {
    return false;
  }
  // Past the last completed task come its WorkflowTaskCompleted event and the events of its
  // commands; the worker saw those commands, but only some SDKs can take their events twice.
  int64_t unseen =
      ms.state().next_event_id() - (ms.state().last_completed_workflow_task_started_event_id() + 2);
  bool resend_ok = request.capabilities().discard_speculative_workflow_task_with_events();
  if (unseen > (resend_ok ? kMaxResentEvents : 0)) return false;
  for (const auto& message : request.messages()) {
    if (!message.body().Is<temporal::api::update::v1::Rejection>()) return false;
  }
  return true;
}

}  // namespace tern::history
