// GetWorkflowExecutionHistory: paging and long polls.
#include "common/errors.h"
#include "services/history/api/api.h"
#include "services/history/history_page.h"

namespace tern::history::api {

namespace {
using GetHistoryResponse = ws::GetWorkflowExecutionHistoryResponse;
using GetHistoryDone = std::function<void(absl::StatusOr<GetHistoryResponse>)>;

// Shared by the reruns of a long poll, which copy it only by pointer.
using SharedRequest = std::shared_ptr<const hs::GetWorkflowExecutionHistoryRequest>;

void ServeHistory(EngineContext& engine, std::shared_ptr<Shard> shard, SharedRequest request,
                  std::string run_id, TimePoint long_poll_deadline, GetHistoryDone done) {
  if (shard->stopped()) return done(ShardOwnershipLostError(shard->id(), ""));
  const auto& req = request->request();
  ExecutionKey key{request->namespace_id(), req.execution().workflow_id(), run_id};
  bool close_only = req.history_event_filter_type() == enums::HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;

  pv1::HistoryPageToken token;
  if (!req.next_page_token().empty()) token.ParseFromString(req.next_page_token());

  // Registers the watch before reading, so a change between the read and the wait is not lost.
  auto poll = std::make_shared<ParkedPoll>();
  auto rerun = [&engine, shard, request, run_id, long_poll_deadline, done, poll, key]() {
    if (poll->done.exchange(true)) return;
    shard->Unwatch(key, poll->watch_id);
    if (poll->timer) poll->timer->Cancel();
    // On the committing thread once its work returns (Executor::Defer), not another one woken.
    engine.blocking().Defer(
        [=, &engine] { ServeHistory(engine, shard, request, run_id, long_poll_deadline, done); });
  };
  if (req.wait_new_event()) {
    poll->watch_id = shard->Watch(key, [rerun, close_only](ExecutionChange change) {
      // A reader of the close event has nothing new to read until the run closes.
      if (close_only && !change.closed && !change.shard_stopped) return;
      rerun();
    });
  }
  auto finish = [&](absl::StatusOr<GetHistoryResponse> result) {
    if (poll->done.exchange(true)) return;
    if (poll->watch_id) shard->Unwatch(key, poll->watch_id);
    done(std::move(result));
  };

  struct RunPosition {
    bool running;
    int64_t next_event_id, completion_event_id;
  };
  auto position = engine.Inspect(*shard, key, [](const pv1::MutableState& s) {
    return RunPosition{s.status() == enums::WORKFLOW_EXECUTION_STATUS_RUNNING, s.next_event_id(),
                       s.completion_event_id()};
  });
  if (!position.ok()) return finish(position.status());
  const auto [running, next_event_id, completion_event_id] = *position;
  GetHistoryResponse response;

  auto park = [&](std::string next_token) {
    // Nothing new yet: wait for a change or answer empty when the long poll expires.
    poll->timer = engine.blocking().PostAfter(long_poll_deadline - engine.clock().Now(),
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
      auto events = shard->ReadEvents(key, completion_event_id, completion_event_id + 1, 1);
      if (!events.ok()) return finish(events.status());
      for (auto& e : *events) {
        if (e.event_id() == completion_event_id) *response.mutable_history()->add_events() = e;
      }
      return finish(std::move(response));
    }
    std::string next = EncodeHistoryPageToken(run_id, next_event_id, 0);
    if (!req.wait_new_event() || engine.clock().Now() >= long_poll_deadline) {
      response.mutable_history();
      response.set_next_page_token(next);
      return finish(std::move(response));
    }
    return park(next);
  }

  int64_t first = token.next_event_id() > 0 ? token.next_event_id() : 1;
  // A non-waiting reader pages up to where the run was when it started reading, and its last
  // page has no token even if the run goes on; a waiting reader follows the run until it closes.
  int64_t end = req.wait_new_event()
                    ? next_event_id
                    : (token.end_event_id() > 0 ? token.end_event_id() : next_event_id);
  if (req.wait_new_event() && first >= end && running) {
    std::string same = EncodeHistoryPageToken(run_id, first, 0);
    if (engine.clock().Now() >= long_poll_deadline) {
      response.mutable_history();
      response.set_next_page_token(same);
      return finish(std::move(response));
    }
    return park(same);
  }
  int page_size = req.maximum_page_size() > 0 ? req.maximum_page_size()
                                              : engine.options(key.namespace_id).history_page_size;
  auto events = shard->executions().ReadHistory(shard->id(), key.namespace_id, key.workflow_id,
                                                run_id, first, end, page_size);
  if (!events.ok()) return finish(events.status());
  int64_t last = FillHistoryPage(*events, first, end, response.mutable_history());
  bool more = last + 1 < end;
  if (more || (req.wait_new_event() && running)) {
    response.set_next_page_token(
        EncodeHistoryPageToken(run_id, last + 1, req.wait_new_event() ? 0 : end));
  }
  finish(std::move(response));
}
}  // namespace

void GetWorkflowExecutionHistory(EngineContext& engine,
                                 const hs::GetWorkflowExecutionHistoryRequest& request,
                                 GetHistoryDone done) {
  auto shared = std::make_shared<const hs::GetWorkflowExecutionHistoryRequest>(request);
  engine.blocking().Post([&engine, request = std::move(shared), done = std::move(done)]() mutable {
    auto execution = request->request().execution();
    if (!request->request().next_page_token().empty()) {
      pv1::HistoryPageToken token;
      if (!token.ParseFromString(request->request().next_page_token()) || token.run_id().empty()) {
        return done(absl::InvalidArgumentError("Invalid NextPageToken."));
      }
      execution.set_run_id(token.run_id());
    }
    auto target = engine.ResolveTarget(request->namespace_id(), execution);
    if (!target.ok()) return done(target.status());
    auto deadline = engine.LongPollDeadline(
        target->key.namespace_id,
        request->has_long_poll_timeout() ? &request->long_poll_timeout() : nullptr);
    ServeHistory(engine, target->shard, std::move(request), target->key.run_id, deadline,
                 std::move(done));
  });
}

}  // namespace tern::history::api
