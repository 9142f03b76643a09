// Visibility: the transfer task that writes a run's visibility row, and the checks of the search
// attributes workflows write (upsert, continue-as-new, child start). See visibility_record.h for
// when a row is written and what it holds.
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/metrics.h"
#include "persistence/visibility_store.h"
#include "services/history/history_engine.h"
#include "services/history/visibility_record.h"
#include "visibility/payloads.h"

namespace tern::history {
namespace {

// From the state change (the task's visibility_time, taken just before the commit) to the row
// being written.
prometheus::Histogram& VisibilityLag() {
  static prometheus::Histogram& histogram =
      prometheus::BuildHistogram()
          .Name("tern_visibility_lag_seconds")
          .Help("Time from a workflow state change to its visibility row being written")
          .Register(*MetricsRegistry())
          .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  return histogram;
}

}  // namespace

absl::StatusOr<visibility::CustomSearchAttributes> HistoryEngine::CustomSearchAttributesFor(
    const std::string& namespace_id, bool reload) {
  if (!namespaces_) return visibility::CustomSearchAttributes();
  persistence::NamespaceCache::Entry entry = reload ? nullptr : namespaces_->FindById(namespace_id);
  if (!entry) {
    auto loaded = namespaces_->LoadById(namespace_id);
    if (!loaded.ok()) return loaded.status();
    entry = *loaded;
  }
  return persistence::CustomSearchAttributesOf(*entry);
}

std::optional<HistoryEngine::CommandFailure> HistoryEngine::CheckSearchAttributes(
    const std::string& namespace_id, const temporal::api::common::v1::SearchAttributes& attributes,
    const char* command) {
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES;
  if (attributes.indexed_fields_size() == 0) return std::nullopt;
  absl::Status status;
  // A cached namespace may not have an attribute registered a moment ago: read it again before
  // failing the task.
  for (bool reload : {false, true}) {
    auto custom = CustomSearchAttributesFor(namespace_id, reload);
    if (!custom.ok()) {
      return CommandFailure{kBad, absl::StrCat("unable to read the search attributes of the "
                                               "namespace: ",
                                               custom.status().message())};
    }
    status = visibility::ValidateSearchAttributes(attributes, *custom);
    if (status.ok() || !namespaces_) break;
  }
  if (status.ok()) return std::nullopt;
  return CommandFailure{
      kBad, absl::StrCat("invalid SearchAttributes on ", command, ": ", status.message())};
}

void HistoryEngine::UpsertVisibility(Shard& shard, const pv1::TransferTask& task,
                                     TransferQueue::Done done) {
  if (!visibility_) return done(absl::OkStatus());
  // Off the committing thread: that thread may still hold the run's lock, which Snapshot takes.
  blocking_.Post([this, &shard, task, done = std::move(done)] {
    ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
    auto state = Snapshot(shard, key);
    // The run was deleted since (retention): there is nothing to show.
    if (absl::IsNotFound(state.status())) return done(absl::OkStatus());
    if (!state.ok()) return done(state.status());
    auto custom = CustomSearchAttributesFor(state->namespace_id(), /*reload=*/false);
    if (absl::IsNotFound(custom.status())) return done(absl::OkStatus());  // namespace deleted
    if (!custom.ok()) return done(custom.status());
    std::vector<std::string> dropped;
    persistence::VisibilityRecord record = BuildVisibilityRecord(*state, *custom, &dropped);
    if (!dropped.empty() && namespaces_) {
      // The cache may predate an attribute registered a moment ago: the store decides.
      custom = CustomSearchAttributesFor(state->namespace_id(), /*reload=*/true);
      if (!custom.ok()) return done(custom.status());
      dropped.clear();
      record = BuildVisibilityRecord(*state, *custom, &dropped);
    }
    if (!dropped.empty()) {
      spdlog::warn(
          "history: visibility row of {} leaves out search attributes the namespace "
          "does not define (any more): {}",
          key.ToString(), absl::StrJoin(dropped, ", "));
    }
    absl::Status status = visibility_->Upsert(record);
    if (status.ok()) {
      auto lag = clock_.Now() - FromProto(task.visibility_time());
      VisibilityLag().Observe(std::chrono::duration<double>(lag).count());
    }
    done(status);
  });
}

}  // namespace tern::history
