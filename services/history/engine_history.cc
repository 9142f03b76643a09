// Reading a run: GetWorkflowExecutionHistory (paging and long polls) and Describe.
#include "common/errors.h"
#include "services/history/history_engine.h"
#include "services/history/visibility_record.h"

namespace tern::history {
namespace {
using GetHistoryResponse = ws::GetWorkflowExecutionHistoryResponse;
using GetHistoryDone = std::function<void(absl::StatusOr<GetHistoryResponse>)>;

std::string EncodePageToken(const std::string& run_id, int64_t next_event_id, int64_t end_event_id) {
  pv1::HistoryPageToken token;
  token.set_run_id(run_id);
  token.set_next_event_id(next_event_id);
  token.set_end_event_id(end_event_id);
  return token.SerializeAsString();
}
}  // namespace

void HistoryEngine::GetWorkflowExecutionHistory(const hs::GetWorkflowExecutionHistoryRequest& request,
                                                GetHistoryDone done) {
  blocking_.Post([this, request, done = std::move(done)]() mutable {
    const auto& execution = request.request().execution();
    auto shard = ShardFor(request.namespace_id(), execution.workflow_id());
    if (!shard.ok()) return done(shard.status());
    std::string run_id = execution.run_id();
    if (!request.request().next_page_token().empty()) {
      pv1::HistoryPageToken token;
      if (!token.ParseFromString(request.request().next_page_token()) || token.run_id().empty()) {
        return done(absl::InvalidArgumentError("Invalid NextPageToken."));
      }
      run_id = token.run_id();
    }
    auto resolved = ResolveRunId(**shard, request.namespace_id(), execution.workflow_id(), run_id);
    if (!resolved.ok()) return done(resolved.status());
    auto timeout = request.has_long_poll_timeout()
                       ? std::chrono::duration_cast<TimePoint::duration>(FromProto(request.long_poll_timeout()))
                       : std::chrono::duration_cast<TimePoint::duration>(
                             config_.dynamic_config.history_long_poll_expiration);
    ServeHistory(*shard, request, *resolved, clock_.Now() + timeout, std::move(done));
  });
}

void HistoryEngine::ServeHistory(std::shared_ptr<Shard> shard,
                                 hs::GetWorkflowExecutionHistoryRequest request, std::string run_id,
                                 TimePoint long_poll_deadline, GetHistoryDone done) {
  if (shard->stopped()) return done(ShardOwnershipLostError(shard->id(), ""));
  const auto& req = request.request();
  ExecutionKey key{request.namespace_id(), req.execution().workflow_id(), run_id};
  bool close_only = req.history_event_filter_type() == enums::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;

  pv1::HistoryPageToken token;
  if (!req.next_page_token().empty()) token.ParseFromString(req.next_page_token());

  // Registers the watch before reading, so a change between the read and the wait is not lost.
  auto poll = std::make_shared<ParkedPoll>();
  auto rerun = [this, shard, request, run_id, long_poll_deadline, done, poll, key]() {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    if (poll->timer) poll->timer->Cancel();
    blocking_.Post([=, this] { ServeHistory(shard, request, run_id, long_poll_deadline, done); });
  };
  if (req.wait_new_event()) {
    poll->watch_id = shard->Watch(key, [rerun](ExecutionChange) { rerun(); });
  }
  auto finish = [&](absl::StatusOr<GetHistoryResponse> result) {
    if (poll->done.exchange(true)) return;
    if (poll->watch_id) shard->Unwatch(key, poll->watch_id);
    done(std::move(result));
  };

  auto snapshot = Snapshot(*shard, key);
  if (!snapshot.ok()) return finish(snapshot.status());
  const pv1::MutableState& state = *snapshot;
  bool running = state.status() == enums::WORKFLOW_EXECUTION_STATUS_RUNNING;
  GetHistoryResponse response;

  auto park = [&](std::string next_token) {
    // Nothing new yet: wait for a change or answer empty when the long poll expires.
    poll->timer = blocking_.PostAfter(long_poll_deadline - clock_.Now(),
                                      [shard, key, poll, done, next_token] {
                                        if (poll->done.exchange(true)) return;
                                        shard->Unwatch(key, poll->watch_id);
                                        GetHistoryResponse empty;
                                        empty.mutable_history();
                                        empty.set_next_page_token(next_token);
                                        done(std::move(empty));
                                      });
  };

  if (close_only) {
    if (!running) {
      auto events = shard->executions().ReadHistory(shard->id(), key.namespace_id, key.workflow_id,
                                                    run_id, state.completion_event_id(),
                                                    state.completion_event_id() + 1, 1);
      if (!events.ok()) return finish(events.status());
      for (auto& e : *events) {
        if (e.event_id() == state.completion_event_id()) *response.mutable_history()->add_events() = e;
      }
      return finish(std::move(response));
    }
    std::string next = EncodePageToken(run_id, state.next_event_id(), 0);
    if (!req.wait_new_event() || clock_.Now() >= long_poll_deadline) {
      response.mutable_history();
      response.set_next_page_token(next);
      return finish(std::move(response));
    }
    return park(next);
  }

  int64_t first = token.next_event_id() > 0 ? token.next_event_id() : 1;
  // A non-waiting reader pages up to where the run was when it started reading, and its last
  // page has no token even if the run goes on; a waiting reader follows the run until it closes.
  int64_t end = req.wait_new_event() ? state.next_event_id()
                                     : (token.end_event_id() > 0 ? token.end_event_id()
                                                                 : state.next_event_id());
  if (req.wait_new_event() && first >= end && running) {
    std::string same = EncodePageToken(run_id, first, 0);
    if (clock_.Now() >= long_poll_deadline) {
      response.mutable_history();
      response.set_next_page_token(same);
      return finish(std::move(response));
    }
    return park(same);
  }
  int page_size = req.maximum_page_size() > 0 ? req.maximum_page_size()
                                              : config_.dynamic_config.history_page_size;
  auto events = shard->executions().ReadHistory(shard->id(), key.namespace_id, key.workflow_id,
                                                run_id, first, end, page_size);
  if (!events.ok()) return finish(events.status());
  int64_t last = first - 1;
  for (auto& e : *events) {
    if (e.event_id() < first || e.event_id() >= end) continue;
    last = e.event_id();
    *response.mutable_history()->add_events() = std::move(e);
  }
  response.mutable_history();
  bool more = last + 1 < end;
  if (more || (req.wait_new_event() && running)) {
    response.set_next_page_token(EncodePageToken(run_id, last + 1, req.wait_new_event() ? 0 : end));
  }
  finish(std::move(response));
}

absl::StatusOr<ws::GetWorkflowExecutionHistoryReverseResponse>
HistoryEngine::GetWorkflowExecutionHistoryReverse(
    const hs::GetWorkflowExecutionHistoryReverseRequest& internal) {
  const auto& request = internal.request();
  const auto& execution = request.execution();
  auto shard = ShardFor(internal.namespace_id(), execution.workflow_id());
  if (!shard.ok()) return shard.status();
  std::string run_id = execution.run_id();
  pv1::HistoryPageToken token;
  if (!request.next_page_token().empty()) {
    if (!token.ParseFromString(request.next_page_token()) || token.run_id().empty()) {
      return absl::InvalidArgumentError("Invalid NextPageToken.");
    }
    run_id = token.run_id();
  }
  auto resolved = ResolveRunId(**shard, internal.namespace_id(), execution.workflow_id(), run_id);
  if (!resolved.ok()) return resolved.status();
  auto state = Snapshot(**shard, {internal.namespace_id(), execution.workflow_id(), *resolved});
  if (!state.ok()) return state.status();
  // Newest first: the page ends at `last` (the token's position, else the latest event).
  int64_t last = token.next_event_id() > 0 ? token.next_event_id() : state->next_event_id() - 1;
  int page_size = request.maximum_page_size() > 0 ? request.maximum_page_size()
                                                  : config_.dynamic_config.history_page_size;
  int64_t first = std::max<int64_t>(1, last - page_size + 1);
  ws::GetWorkflowExecutionHistoryReverseResponse response;
  auto* history = response.mutable_history();
  if (last >= 1) {
    auto events = (*shard)->executions().ReadHistory(
        (*shard)->id(), state->namespace_id(), state->workflow_id(), state->run_id(), first,
        last + 1, std::numeric_limits<int>::max());
    if (!events.ok()) return events.status();
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
      if (it->event_id() >= first && it->event_id() <= last) *history->add_events() = *it;
    }
  }
  if (first > 1) {
    pv1::HistoryPageToken next;
    next.set_run_id(state->run_id());
    next.set_next_event_id(first - 1);
    response.set_next_page_token(next.SerializeAsString());
  }
  return response;
}

absl::StatusOr<ws::DescribeWorkflowExecutionResponse> HistoryEngine::DescribeWorkflowExecution(
    const hs::DescribeWorkflowExecutionRequest& internal) {
  const auto& execution = internal.request().execution();
  auto target = ResolveTarget(internal.namespace_id(), execution);
  if (!target.ok()) return target.status();
  auto snapshot = Snapshot(*target->shard, target->key);
  if (!snapshot.ok()) return snapshot.status();
  const pv1::MutableState& state = *snapshot;
  ws::DescribeWorkflowExecutionResponse response;
  auto* config = response.mutable_execution_config();
  config->mutable_task_queue()->set_name(state.task_queue());
  config->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  *config->mutable_workflow_execution_timeout() = state.workflow_execution_timeout();
  *config->mutable_workflow_run_timeout() = state.workflow_run_timeout();
  *config->mutable_default_workflow_task_timeout() = state.default_workflow_task_timeout();
  auto* info = response.mutable_workflow_execution_info();
  info->mutable_execution()->set_workflow_id(state.workflow_id());
  info->mutable_execution()->set_run_id(state.run_id());
  *info->mutable_type() = state.workflow_type();
  *info->mutable_start_time() = state.start_time();
  if (state.has_close_time()) {
    *info->mutable_close_time() = state.close_time();
    *info->mutable_execution_duration() =
        ToProtoDuration(FromProto(state.close_time()) - FromProto(state.start_time()));
  }
  info->set_status(state.status());
  info->set_history_length(state.next_event_id() - 1);
  *info->mutable_execution_time() = state.execution_time();
  if (state.has_memo()) *info->mutable_memo() = state.memo();
  if (state.has_search_attributes()) *info->mutable_search_attributes() = state.search_attributes();
  info->set_task_queue(state.task_queue());
  info->set_state_transition_count(state.state_transition_count());
  info->set_history_size_bytes(state.history_size_bytes());
  info->set_first_run_id(state.first_execution_run_id());
  if (state.has_parent()) {
    info->set_parent_namespace_id(state.parent().namespace_id());
    info->mutable_parent_execution()->set_workflow_id(state.parent().workflow_id());
    info->mutable_parent_execution()->set_run_id(state.parent().run_id());
  }
  *info->mutable_root_execution() = RootExecution(state);
  for (const auto& [id, child] : state.children()) {
    auto* pending = response.add_pending_children();
    pending->set_workflow_id(child.workflow_id());
    pending->set_run_id(child.run_id());
    pending->set_workflow_type_name(child.workflow_type().name());
    pending->set_initiated_id(child.initiated_event_id());
    pending->set_parent_close_policy(child.parent_close_policy());
  }
  for (const auto& [id, activity] : state.activities()) {
    auto* pending = response.add_pending_activities();
    pending->set_activity_id(activity.activity_id());
    *pending->mutable_activity_type() = activity.activity_type();
    pending->set_state(activity.cancel_requested() ? enums::PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
                       : activity.started()        ? enums::PENDING_ACTIVITY_STATE_STARTED
                                                   : enums::PENDING_ACTIVITY_STATE_SCHEDULED);
    if (activity.has_last_heartbeat_details()) {
      *pending->mutable_heartbeat_details() = activity.last_heartbeat_details();
    }
    if (activity.has_last_heartbeat_time()) {
      *pending->mutable_last_heartbeat_time() = activity.last_heartbeat_time();
    }
    if (activity.has_started_time()) *pending->mutable_last_started_time() = activity.started_time();
    pending->set_attempt(activity.attempt());
    pending->set_maximum_attempts(activity.retry_policy().maximum_attempts());
    *pending->mutable_scheduled_time() = activity.scheduled_time();
    if (activity.has_last_failure()) *pending->mutable_last_failure() = activity.last_failure();
    pending->set_last_worker_identity(activity.started_identity());
  }
  const auto& wft = state.workflow_task();
  if (wft.scheduled_event_id() != 0) {
    auto* pending = response.mutable_pending_workflow_task();
    pending->set_state(wft.started_event_id() != 0 ? enums::PENDING_WORKFLOW_TASK_STATE_STARTED
                                                   : enums::PENDING_WORKFLOW_TASK_STATE_SCHEDULED);
    *pending->mutable_scheduled_time() = wft.scheduled_time();
    *pending->mutable_original_scheduled_time() = wft.scheduled_time();
    if (wft.has_started_time()) *pending->mutable_started_time() = wft.started_time();
    pending->set_attempt(wft.attempt());
  }
  return response;
}

}  // namespace tern::history
