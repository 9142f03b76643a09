#include "services/worker/worker_service.h"

#include <prometheus/counter.h>
#include <spdlog/spdlog.h>

#include <cassert>

#include "absl/strings/str_cat.h"
#include "common/hashing.h"
#include "common/metrics.h"
#include "persistence/visibility_store.h"
#include "visibility/values.h"

namespace tern::worker {
namespace {

namespace enums = temporal::api::enums::v1;

// Rows deleted per store call: small enough to keep transactions short.
constexpr int kBatch = 500;
// At most this many retention deletions per namespace and pass, so one namespace with a large
// backlog does not starve the others; the next pass goes on.
constexpr int kMaxRetentionDeletesPerPass = 10 * kBatch;

prometheus::Family<prometheus::Counter>& DeletedFamily() {
  static auto& family = prometheus::BuildCounter()
                            .Name("tern_worker_deleted_executions_total")
                            .Help("Workflow runs deleted by tern-worker, by reason")
                            .Register(*MetricsRegistry());
  return family;
}

prometheus::Counter& RetentionDeletions() {
  static auto& counter = DeletedFamily().Add({{"reason", "retention"}});
  return counter;
}

prometheus::Counter& NamespaceDeletions() {
  static auto& counter = DeletedFamily().Add({{"reason", "namespace_deleted"}});
  return counter;
}

// Every closed run of the namespace that closed before `before`, system workflows (namespace
// divisions) included.
absl::StatusOr<visibility::Query> ClosedBefore(TimePoint before) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(before.time_since_epoch());
  return visibility::ParseQuery(
      absl::StrCat("CloseTime < '", visibility::FormatDatetimeMicros(micros.count()),
                   "' AND (TemporalNamespaceDivision IS NULL OR "
                   "TemporalNamespaceDivision IS NOT NULL)"),
      {});
}

}  // namespace

WorkerService::WorkerService(const Config& config, persistence::Stores stores,
                             Membership& membership, Executor& blocking, Executor& timers,
                             Clock& clock, std::string self_address)
    : config_(config),
      stores_(std::move(stores)),
      membership_(membership),
      blocking_(blocking),
      timers_(timers),
      clock_(clock),
      self_address_(std::move(self_address)) {}

WorkerService::~WorkerService() { Stop(); }

void WorkerService::Start() {
  std::lock_guard lock(mu_);
  if (!stopped_) return;
  stopped_ = false;
  timer_ = timers_.PostAfter(std::chrono::nanoseconds(0), [this] { blocking_.Post([this] { RunPass(); }); });
}

void WorkerService::Stop() {
  std::unique_lock lock(mu_);
  stopped_ = true;
  if (timer_) timer_->Cancel();
  idle_.wait(lock, [this] { return !running_; });
}

void WorkerService::Schedule() {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  timer_ = timers_.PostAfter(config_.dynamic_config.worker_scan_interval,
                             [this] { blocking_.Post([this] { RunPass(); }); });
}

bool WorkerService::Owns(const std::string& namespace_id) const {
  auto ring = membership_.Ring(persistence::Role::kWorker);
  return ring->empty() || ring->Lookup(namespace_id) == self_address_;
}

void WorkerService::RunPass() {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || running_) return;
    running_ = true;
  }
  std::string token;
  do {
    auto page = stores_.namespaces->ListNamespaces(100, token);
    if (!page.ok()) {
      spdlog::warn("worker: listing namespaces failed: {}", page.status().ToString());
      break;
    }
    for (const auto& record : page->namespaces) {
      if (!Owns(record.info().id())) continue;
      if (record.info().state() == enums::NAMESPACE_STATE_DELETED) {
        PurgeNamespace(record);
      } else {
        ApplyRetention(record);
      }
    }
    token = page->next_page_token;
  } while (!token.empty());
  {
    std::lock_guard lock(mu_);
    running_ = false;
  }
  idle_.notify_all();
  Schedule();
}

void WorkerService::PurgeNamespace(const persistence::v1::NamespaceRecord& record) {
  const std::string& id = record.info().id();
  const int32_t shards = config_.persistence.num_history_shards;
  for (int32_t shard = 1; shard <= shards; ++shard) {
    for (;;) {
      auto deleted = stores_.executions->DeleteNamespaceExecutions(shard, id, kBatch);
      if (!deleted.ok()) {
        spdlog::warn("worker: deleting executions of namespace {} failed: {}", id,
                     deleted.status().ToString());
        return;
      }
      NamespaceDeletions().Increment(*deleted);
      if (*deleted == 0) break;
    }
  }
  if (auto st = stores_.tasks->DeleteNamespaceTaskQueues(id); !st.ok()) {
    spdlog::warn("worker: deleting task queues of namespace {} failed: {}", id, st.ToString());
    return;
  }
  if (stores_.visibility) {
    auto everything = visibility::ParseQuery(
        "TemporalNamespaceDivision IS NULL OR TemporalNamespaceDivision IS NOT NULL", {});
    assert(everything.ok());
    for (;;) {
      auto page = stores_.visibility->List(id, *everything, kBatch, "");
      if (!page.ok()) {
        spdlog::warn("worker: listing visibility of namespace {} failed: {}", id,
                     page.status().ToString());
        return;
      }
      if (page->records.empty()) break;
      for (const auto& row : page->records) {
        if (auto st = stores_.visibility->Delete(id, row.run_id); !st.ok()) return;
      }
    }
  }
  if (auto st = stores_.namespaces->DeleteNamespace(id); !st.ok() && !absl::IsNotFound(st)) {
    spdlog::warn("worker: deleting namespace record {} failed: {}", id, st.ToString());
    return;
  }
  spdlog::info("worker: namespace {} ({}) and all its data deleted", record.info().name(), id);
}

void WorkerService::ApplyRetention(const persistence::v1::NamespaceRecord& record) {
  if (!stores_.visibility) return;
  const std::string& id = record.info().id();
  auto retention = FromProto(record.config().workflow_execution_retention_ttl());
  if (retention.count() <= 0) return;  // unset: keep forever
  auto query = ClosedBefore(clock_.Now() - std::chrono::duration_cast<TimePoint::duration>(retention));
  if (!query.ok()) {
    spdlog::error("worker: retention query: {}", query.status().ToString());
    return;
  }
  const int32_t shards = config_.persistence.num_history_shards;
  int deleted = 0;
  while (deleted < kMaxRetentionDeletesPerPass) {
    auto page = stores_.visibility->List(id, *query, kBatch, "");
    if (!page.ok()) {
      spdlog::warn("worker: retention listing of namespace {} failed: {}", id,
                   page.status().ToString());
      return;
    }
    if (page->records.empty()) return;
    for (const auto& row : page->records) {
      int32_t shard = ShardForWorkflow(id, row.workflow_id, shards);
      auto st = stores_.executions->DeleteClosedExecution(shard, id, row.workflow_id, row.run_id);
      if (st.ok()) st = stores_.visibility->Delete(id, row.run_id);
      if (!st.ok()) {
        spdlog::warn("worker: retention of {}/{} failed: {}", row.workflow_id, row.run_id,
                     st.ToString());
        return;
      }
      RetentionDeletions().Increment();
      ++deleted;
    }
  }
}

}  // namespace tern::worker
