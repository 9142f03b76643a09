// The history engine: every state transition of a workflow run. It only dispatches: each RPC is
// a handler in api/ (one file per RPC) over the EngineContext (engine_context.h); the commands of
// a completed workflow task are in commands/, the transfer and timer task executors in tasks/.
// Handlers load the run's mutable state under its lock, apply the transition with a
// MutableStateBuilder and persist events, state and tasks in one transaction (Shard::Persist).
//
// Threading: the blocking methods run on the blocking executor (they wait on the database); the
// methods with a `done` callback return at once, park long polls without a thread and call
// `done` exactly once, on an executor thread.
#pragma once

#include <functional>
#include <memory>

#include "services/history/api/api.h"
#include "services/history/engine_context.h"
#include "services/history/rpcs.h"

namespace tern::history {

class HistoryEngine {
 public:
  // `visibility` receives the runs' visibility rows (none are written without it); `namespaces`
  // gives the custom search attributes of a namespace (visibility rows and the checks of search
  // attributes workflows write); without it only built-in attributes exist. The engine reads
  // only HistoryOptions::FromConfig(config); `config` must outlive it.
  HistoryEngine(const Config& config, ShardController& shards, client::MatchingClient& matching,
                client::HistoryClient& history, Executor& blocking, Clock& clock,
                std::shared_ptr<persistence::VisibilityStore> visibility = nullptr,
                std::shared_ptr<persistence::NamespaceCache> namespaces = nullptr);

#define TERN_HISTORY_BLOCKING_API(Method, Response)                     \
  absl::StatusOr<Response> Method(const hs::Method##Request& request) { \
    return api::Method(context_, request);                              \
  }
  TERN_HISTORY_BLOCKING_RPCS(TERN_HISTORY_BLOCKING_API)
#undef TERN_HISTORY_BLOCKING_API

#define TERN_HISTORY_WAITING_API(Method, Response)                            \
  void Method(const hs::Method##Request& request, api::Done<Response> done) { \
    api::Method(context_, request, std::move(done));                          \
  }
  TERN_HISTORY_WAITING_RPCS(TERN_HISTORY_WAITING_API)
#undef TERN_HISTORY_WAITING_API
  void QueryWorkflow(const hs::QueryWorkflowRequest& request, TimePoint deadline,
                     api::Done<ws::QueryWorkflowResponse> done) {
    api::QueryWorkflow(context_, request, deadline, std::move(done));
  }

  // Queue task executors (installed into every shard by the service).
  void ExecuteTransferTask(Shard& shard, TransferQueue::TaskRef task, TransferQueue::Done done);
  absl::Status ExecuteTimerTask(Shard& shard, const pv1::TimerTask& task);

 private:
  EngineContext context_;
};

}  // namespace tern::history
