#include <limits>

#include "common/status_macros.h"
#include "services/history/api/api.h"

namespace tern::history::api {

absl::StatusOr<ws::GetWorkflowExecutionHistoryReverseResponse> GetWorkflowExecutionHistoryReverse(
    EngineContext& engine, const hs::GetWorkflowExecutionHistoryReverseRequest& internal) {
  const auto& request = internal.request();
  auto execution = request.execution();
  pv1::HistoryPageToken token;
  if (!request.next_page_token().empty()) {
    if (!token.ParseFromString(request.next_page_token()) || token.run_id().empty()) {
      return absl::InvalidArgumentError("Invalid NextPageToken.");
    }
    execution.set_run_id(token.run_id());
  }
  ASSIGN_OR_RETURN(auto target, engine.ResolveTarget(internal.namespace_id(), execution));
  Shard& shard = *target.shard;
  auto state = engine.Snapshot(shard, target.key);
  if (!state.ok()) return state.status();
  // Newest first: the page ends at `last` (the token's position, else the latest event).
  int64_t last = token.next_event_id() > 0 ? token.next_event_id() : state->next_event_id() - 1;
  int page_size = request.maximum_page_size() > 0
                      ? request.maximum_page_size()
                      : engine.options(internal.namespace_id()).history_page_size;
  int64_t first = std::max<int64_t>(1, last - page_size + 1);
  ws::GetWorkflowExecutionHistoryReverseResponse response;
  auto* history = response.mutable_history();
  if (last >= 1) {
    auto events = shard.executions().ReadHistory(shard.id(), state->namespace_id(),
                                                 state->workflow_id(), state->run_id(), first,
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

}  // namespace tern::history::api
