#include "services/history/history_engine.h"

#include "services/history/tasks/tasks.h"

namespace tern::history {

HistoryEngine::HistoryEngine(const Config& config, ShardController& shards,
                             client::MatchingClient& matching, client::HistoryClient& history,
                             Executor& blocking, Clock& clock,
                             std::shared_ptr<persistence::VisibilityStore> visibility,
                             std::shared_ptr<persistence::NamespaceCache> namespaces)
    : context_(config, shards, matching, history, blocking, clock, std::move(visibility),
               std::move(namespaces)) {}

void HistoryEngine::ExecuteTransferTask(Shard& shard, TransferQueue::TaskRef task,
                                        TransferQueue::Done done) {
  tasks::ExecuteTransferTask(context_, shard, std::move(task), std::move(done));
}

absl::Status HistoryEngine::ExecuteTimerTask(Shard& shard, const pv1::TimerTask& task) {
  return tasks::ExecuteTimerTask(context_, shard, task);
}

}  // namespace tern::history
