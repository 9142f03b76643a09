#include "services/worker/worker_service.h"

#include <cassert>
#include <future>

#include "absl/strings/str_cat.h"
#include "common/hashing.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "persistence/batch_operation_store.h"
#include "persistence/schedule_store.h"
#include "persistence/visibility_store.h"
#include "visibility/values.h"

namespace tern::worker {
namespace {

namespace enums = temporal::api::enums::v1;
namespace hs = tern::historyservice::v1;

// Rows deleted per store call (and retention deletions per namespace and pass): small enough
// to keep transactions short and to let every namespace have its turn.
constexpr int kBatch = 500;

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
                             Membership& membership, client::HistoryClient& history,
                             Executor& blocking, Executor& timers, Clock& clock,
                             std::string self_address)
    : config_(config),
      stores_(std::move(stores)),
      membership_(membership),
      history_(history),
      clock_(clock),
      self_address_(std::move(self_address)),
      housekeeping_(blocking, timers,
                    [this] {
                      RunPass();
                      return std::chrono::duration_cast<std::chrono::milliseconds>(
                          config_.dynamic.Get(dynamicconfig::kWorkerScanInterval));
                    }),
      schedules_(stores_, history, blocking, timers, clock, self_address_),
      batches_(stores_, history, blocking, timers, clock, self_address_) {}

WorkerService::~WorkerService() { Stop(); }

void WorkerService::Start() {
  housekeeping_.Start();
  schedules_.Start();
  batches_.Start();
}

void WorkerService::Stop() {
  batches_.Stop();
  schedules_.Stop();
  housekeeping_.Stop();
}

bool WorkerService::Owns(const std::string& namespace_id) const {
  auto ring = membership_.Ring(persistence::Role::kWorker);
  return ring->empty() || ring->Lookup(namespace_id) == self_address_;
}

void WorkerService::RunPass() {
  std::string token;
  do {
    auto page = stores_.namespaces->ListNamespaces(100, token);
    if (!page.ok()) {
      Log(spdlog::level::warn, {.error = page.status().ToString()},
          "worker: listing namespaces failed");
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
}

void WorkerService::PurgeNamespace(const persistence::v1::NamespaceRecord& record) {
  const std::string& id = record.info().id();
  ScopedLogFields fields({.namespace_name = record.info().name()});
  const int32_t shards = config_.persistence.num_history_shards;
  for (int32_t shard = 1; shard <= shards; ++shard) {
    for (;;) {
      auto deleted = stores_.executions->DeleteNamespaceExecutions(shard, id, kBatch);
      if (!deleted.ok()) {
        Log(spdlog::level::warn, {.shard_id = shard, .error = deleted.status().ToString()},
            "worker: deleting the executions of deleted namespace {} failed", id);
        return;
      }
      metrics::kDeletedExecutions.With({"namespace_deleted"}).Increment(*deleted);
      if (*deleted == 0) break;
    }
  }
  if (auto st = stores_.tasks->DeleteNamespaceTaskQueues(id); !st.ok()) {
    Log(spdlog::level::warn, {.error = st.ToString()},
        "worker: deleting the task queues of deleted namespace {} failed", id);
    return;
  }
  while (stores_.schedules) {
    auto deleted = stores_.schedules->DeleteNamespaceSchedules(id, kBatch);
    if (!deleted.ok()) {
      Log(spdlog::level::warn, {.error = deleted.status().ToString()},
          "worker: deleting the schedules of deleted namespace {} failed", id);
      return;
    }
    if (*deleted == 0) break;
  }
  while (stores_.batch_operations) {
    auto deleted = stores_.batch_operations->DeleteNamespaceBatchOperations(id, kBatch);
    if (!deleted.ok()) {
      Log(spdlog::level::warn, {.error = deleted.status().ToString()},
          "worker: deleting the batch operations of deleted namespace {} failed", id);
      return;
    }
    if (*deleted == 0) break;
  }
  if (stores_.visibility) {
    auto everything = visibility::ParseQuery(
        "TemporalNamespaceDivision IS NULL OR TemporalNamespaceDivision IS NOT NULL", {});
    assert(everything.ok());
    for (;;) {
      auto page = stores_.visibility->List(id, *everything, kBatch, "");
      if (!page.ok()) {
        Log(spdlog::level::warn, {.error = page.status().ToString()},
            "worker: listing the visibility rows of deleted namespace {} failed", id);
        return;
      }
      if (page->records.empty()) break;
      for (const auto& row : page->records) {
        if (auto st = stores_.visibility->Delete(id, row.run_id); !st.ok()) return;
      }
    }
  }
  if (auto st = stores_.namespaces->DeleteNamespace(id); !st.ok() && !absl::IsNotFound(st)) {
    Log(spdlog::level::warn, {.error = st.ToString()},
        "worker: deleting the record of deleted namespace {} failed", id);
    return;
  }
  spdlog::info("worker: deleted namespace {} and all its data are gone", id);
}

void WorkerService::ApplyRetention(const persistence::v1::NamespaceRecord& record) {
  if (!stores_.visibility) return;
  const std::string& id = record.info().id();
  ScopedLogFields fields({.namespace_name = record.info().name()});
  auto retention = FromProto(record.config().workflow_execution_retention_ttl());
  if (retention.count() <= 0) return;  // unset: keep forever
  auto query =
      ClosedBefore(clock_.Now() - std::chrono::duration_cast<TimePoint::duration>(retention));
  if (!query.ok()) {
    Log(spdlog::level::err, {.error = query.status().ToString()}, "worker: retention query");
    return;
  }
  // One page per pass: history deletes asynchronously, so a second page now could repeat rows.
  auto page = stores_.visibility->List(id, *query, kBatch, "");
  if (!page.ok()) {
    Log(spdlog::level::warn, {.error = page.status().ToString()},
        "worker: listing the closed runs past retention failed");
    return;
  }
  for (const auto& row : page->records) {
    // History deletes the run (under its lock, evicting its cache) and its visibility row.
    hs::DeleteWorkflowExecutionRequest request;
    request.set_namespace_id(id);
    request.set_retention(true);
    request.mutable_request()->set_namespace_(record.info().name());
    request.mutable_request()->mutable_workflow_execution()->set_workflow_id(row.workflow_id);
    request.mutable_request()->mutable_workflow_execution()->set_run_id(row.run_id);
    std::promise<absl::Status> done;
    client::CallOptions options;
    options.deadline = clock_.Now() + std::chrono::seconds(30);
    history_.DeleteWorkflowExecution(request, options,
                                     [&done](auto result) { done.set_value(result.status()); });
    auto st = done.get_future().get();
    if (!st.ok() && !absl::IsNotFound(st)) {
      Log(spdlog::level::warn,
          {.workflow_id = row.workflow_id, .run_id = row.run_id, .error = st.ToString()},
          "worker: deleting a closed run past retention failed");
      return;
    }
  }
}

}  // namespace tern::worker
