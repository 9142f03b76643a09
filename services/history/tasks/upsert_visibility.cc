// TYPE_UPSERT_VISIBILITY: the run's visibility row (see visibility_record.h for when a row is
// written and what it holds).
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "services/history/tasks/tasks.h"
#include "services/history/visibility_record.h"

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
    auto custom = engine.CustomSearchAttributesFor(state->namespace_id(), /*reload=*/false);
    if (absl::IsNotFound(custom.status())) return done(absl::OkStatus());  // namespace deleted
    if (!custom.ok()) return done(custom.status());
    std::vector<std::string> dropped;
    persistence::VisibilityRecord record = BuildVisibilityRecord(*state, *custom, &dropped);
    if (!dropped.empty() && engine.namespaces()) {
      // The cache may predate an attribute registered a moment ago: the store decides.
      custom = engine.CustomSearchAttributesFor(state->namespace_id(), /*reload=*/true);
      if (!custom.ok()) return done(custom.status());
      dropped.clear();
      record = BuildVisibilityRecord(*state, *custom, &dropped);
    }
    if (!dropped.empty()) {
      std::string name = engine.NamespaceForLogs(key.namespace_id);
      Log(spdlog::level::warn,
          {.namespace_name = name,
           .workflow_id = key.workflow_id,
           .run_id = key.run_id,
           .shard_id = shard.id()},
          "history: the visibility row leaves out search attributes the namespace does not "
          "define (any more): {}",
          absl::StrJoin(dropped, ", "));
    }
    absl::Status status = engine.visibility()->Upsert(record);
    if (status.ok()) {
      auto lag = engine.clock().Now() - FromProto(task.visibility_time());
      metrics::kVisibilityLag.With().Observe(std::chrono::duration<double>(lag).count());
    }
    done(status);
  });
}
}  // namespace tern::history::tasks
