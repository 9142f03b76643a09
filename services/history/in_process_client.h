// The history service's RPCs as HistoryClient calls on this process's engine: what the gRPC
// handler serves (history_service.cc), and what the other services of the same process call
// directly, without gRPC, for the shards this host holds (client::LocalHistory).
//
// Blocking engine calls run on the blocking executor. The waiting calls (update, poll update,
// query, history long poll) finish at the first of: the engine's answer, options.deadline
// (DeadlineExceeded) or options.handle being cancelled (its reason). No routing and no retry:
// a shard this host does not hold answers ShardOwnershipLost.
#pragma once

#include "client/history_client.h"
#include "services/history/history_engine.h"
#include "services/history/rpcs.h"

namespace tern::history {

class InProcessHistoryClient final : public client::HistoryClient {
 public:
  InProcessHistoryClient(HistoryEngine& engine, Executor& blocking, const Clock& clock)
      : engine_(engine), blocking_(blocking), clock_(clock) {}

#define TERN_IN_PROCESS_CALL(Method, Response)                                 \
  void Method(const hs::Method##Request& request, client::CallOptions options, \
              client::Callback<Response> done) override;
  TERN_HISTORY_BLOCKING_RPCS(TERN_IN_PROCESS_CALL)
  TERN_HISTORY_WAITING_RPCS(TERN_IN_PROCESS_CALL)
  TERN_IN_PROCESS_CALL(QueryWorkflow, ws::QueryWorkflowResponse)
#undef TERN_IN_PROCESS_CALL

 private:
  // Runs `call` (which returns the answer) on the blocking executor.
  template <typename Response>
  void Blocking(client::CallOptions options, client::Callback<Response> done,
                std::function<absl::StatusOr<Response>()> call);
  // Starts `start` (which answers through the callback it is given, at any time) and finishes
  // `done` at the first of that answer, the deadline and a cancel. `start` runs before Waiting
  // returns, so it may use the caller's request by reference.
  template <typename Response>
  void Waiting(client::CallOptions options, client::Callback<Response> done,
               std::function<void(client::Callback<Response>)> start);

  HistoryEngine& engine_;
  Executor& blocking_;
  const Clock& clock_;
};

}  // namespace tern::history
