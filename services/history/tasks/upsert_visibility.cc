// TYPE_UPSERT_VISIBILITY: the run's visibility row (see visibility_record.h for when a row is
// written and what it holds).
#include "common/metrics.h"
#include "services/history/tasks/tasks.h"

namespace tern::history::tasks {

void UpsertVisibility(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                      TransferQueue::Done done) {
  if (!engine.visibility()) return done(absl::OkStatus());
  // Off the committing thread: that thread may still hold the run's lock, which Snapshot takes.
  engine.blocking().Post([&engine, &shard, task, done = std::move(done)] {
    ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
    auto state = engine.Snapshot(shard, key);
    // The run was deleted since (retention): there is nothing to show.
    if (absl::IsNotFound(state.status())) return done(absl::OkStatus());
    if (!state.ok()) return done(state.status());
    auto record = engine.VisibilityRecordFor(shard.id(), *state);
    if (!record.ok()) return done(record.status());
    if (!*record) return done(absl::OkStatus());  // namespace deleted
    absl::Status status = engine.visibility()->Upsert(**record);
    if (status.ok()) {
      auto lag = engine.clock().Now() - FromProto(task.visibility_time());
      metrics::kVisibilityLag.With().Observe(std::chrono::duration<double>(lag).count());
    }
    done(status);
  });
}
}  // namespace tern::history::tasks
