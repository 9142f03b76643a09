#include "common/metrics.h"

#include <algorithm>
#include <atomic>
#include <shared_mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace tern {

std::shared_ptr<prometheus::Registry> MetricsRegistry() {
  static auto registry = std::make_shared<prometheus::Registry>();
  return registry;
}

namespace metrics {
namespace {

std::string& ProcessName() {
  static std::string name = "server";
  return name;
}

std::atomic<bool> recording{true};

// Families of the discarded series: registered, but never exposed.
prometheus::Registry& DiscardRegistry() {
  static prometheus::Registry registry;
  return registry;
}

template <typename Metric>
auto Builder() {
  if constexpr (std::is_same_v<Metric, prometheus::Counter>) return prometheus::BuildCounter();
  if constexpr (std::is_same_v<Metric, prometheus::Gauge>) return prometheus::BuildGauge();
  if constexpr (std::is_same_v<Metric, prometheus::Histogram>) return prometheus::BuildHistogram();
}

// Seconds, from a millisecond to a minute.
std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}
// How many of something: attempts, transitions.
std::vector<double> CountBuckets() { return {1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 5000}; }
// Tasks waiting, from one to a million.
std::vector<double> BacklogBuckets() { return {1, 10, 100, 1000, 10000, 100000, 1000000}; }

std::vector<const Def*>& Registered() {
  static std::vector<const Def*> defs;
  return defs;
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "";
}

const std::vector<std::string> kRequestLabels = {"operation", "namespace"};
const std::vector<std::string> kTaskQueueLabels = {"namespace", "taskqueue", "task_type",
                                                   "partition"};
const std::vector<std::string> kWorkflowLabels = {"namespace", "workflowType", "operation"};

}  // namespace

class Def::SeriesCache {
 public:
  // The series for `values` and `service`; `add` registers it on the first call. Series are
  // added and removed under the cache's lock, so the cache never holds a removed one.
  template <typename Metric, typename AddFn>
  Metric& Get(std::initializer_list<std::string_view> values, std::string_view service,
              const AddFn& add) {
    thread_local std::string key;
    key.assign(service);
    for (std::string_view value : values) {
      key.push_back('\0');
      key.append(value);
    }
    {
      std::shared_lock lock(mu_);
      if (auto it = series_.find(key); it != series_.end())
        return *static_cast<Metric*>(it->second);
    }
    std::unique_lock lock(mu_);
    if (auto it = series_.find(key); it != series_.end()) return *static_cast<Metric*>(it->second);
    Metric& series = add();  // may throw (wrong label count): nothing is cached then
    series_.emplace(key, &series);
    return series;
  }

  template <typename RemoveFn>
  void Remove(const void* series, const RemoveFn& remove) {
    std::unique_lock lock(mu_);
    std::erase_if(series_, [series](const auto& entry) { return entry.second == series; });
    remove();
  }

 private:
  std::shared_mutex mu_;
  std::unordered_map<std::string, void*> series_;
};

void SetProcessServiceName(std::string name) { ProcessName() = std::move(name); }

const std::string& ProcessServiceName() { return ProcessName(); }

void DisableRecording() { recording.store(false, std::memory_order_relaxed); }

Def::Def(Type type, std::string name, std::string owner, std::vector<std::string> labels,
         std::string help, std::vector<double> buckets)
    : type_(type),
      name_(std::move(name)),
      owner_(std::move(owner)),
      labels_(std::move(labels)),
      help_(std::move(help)),
      buckets_(std::move(buckets)),
      cache_(std::make_unique<SeriesCache>()) {
  Registered().push_back(this);
}

Def::~Def() = default;

prometheus::Labels Def::LabelsFor(std::initializer_list<std::string_view> values,
                                  std::string_view service) const {
  if (values.size() != labels_.size()) {
    throw std::logic_error("metric " + name_ + " takes " + std::to_string(labels_.size()) +
                           " label values, got " + std::to_string(values.size()));
  }
  prometheus::Labels labels;
  if (!service.empty()) {
    labels.emplace("service_name", service);
  } else if (!owner_.empty()) {
    labels.emplace("service_name", owner_);
  } else {
    labels.emplace("service_name", ProcessServiceName());
  }
  auto value = values.begin();
  for (const auto& name : labels_) labels.emplace(name, *value++);
  return labels;
}

template <typename Metric>
prometheus::Family<Metric>& TypedDef<Metric>::Family() const {
  std::call_once(registered_, [this] {
    family_ = &Builder<Metric>().Name(name()).Help(help()).Register(*MetricsRegistry());
  });
  return *family_;
}

template <typename Metric>
Metric& TypedDef<Metric>::Discarded() const {
  std::call_once(discarded_once_, [this] {
    auto& family = Builder<Metric>().Name(name()).Help(help()).Register(DiscardRegistry());
    if constexpr (std::is_same_v<Metric, prometheus::Histogram>) {
      discarded_ = &family.Add({}, buckets());
    } else {
      discarded_ = &family.Add({});
    }
  });
  return *discarded_;
}

template <typename Metric>
void TypedDef<Metric>::Remove(Metric* metric) const {
  if (!recording.load(std::memory_order_relaxed)) return;
  cache().Remove(metric, [&] { Family().Remove(metric); });
}

template <typename Metric>
Metric& TypedDef<Metric>::With(std::initializer_list<std::string_view> values,
                               std::string_view service) const {
  if (!recording.load(std::memory_order_relaxed)) return Discarded();
  return cache().Get<Metric>(values, service, [&]() -> Metric& {
    if constexpr (std::is_same_v<Metric, prometheus::Histogram>) {
      return Family().Add(LabelsFor(values, service), buckets());
    } else {
      return Family().Add(LabelsFor(values, service));
    }
  });
}

template class TypedDef<prometheus::Counter>;
template class TypedDef<prometheus::Gauge>;
template class TypedDef<prometheus::Histogram>;

const std::vector<const Def*>& AllDefs() { return Registered(); }

void InitializeMetrics(const std::vector<std::string>& services) {
  for (const Def* def : AllDefs()) {
    if (def->owner().empty() ||
        std::find(services.begin(), services.end(), def->owner()) != services.end()) {
      def->Initialize();
    }
  }
}

std::string MetricsMarkdown() {
  std::ostringstream out;
  out << "| metric | type | labels (besides `service_name`) | service | meaning |\n"
      << "| --- | --- | --- | --- | --- |\n";
  for (const Def* def : AllDefs()) {
    std::string labels;
    for (const auto& label : def->labels()) {
      labels += (labels.empty() ? "`" : ", `") + label + "`";
    }
    out << "| `" << def->name() << "` | " << TypeName(def->type()) << " | " << labels << " | "
        << (def->owner().empty() ? "any" : def->owner()) << " | " << def->help() << " |\n";
  }
  return out.str();
}

// ---- the definitions, in the order the docs list them -------------------------------------------
// Declared in one translation unit, so their construction order (and AllDefs()) is this order.

const CounterDef kServiceRequests("service_requests", "", kRequestLabels,
                                  "RPCs received, by method (`operation`)");
const CounterDef kServiceErrors(
    "service_errors", "", kRequestLabels,
    "RPCs that failed unexpectedly (internal, unavailable, unknown); expected outcomes count "
    "under `service_errors_<kind>`");
const CounterDef kServiceErrorWithType("service_error_with_type", "",
                                       {"operation", "namespace", "error_type"},
                                       "Every failed RPC, by the Temporal error type it returned");
const CounterDef kServiceErrInvalidArgument("service_errors_invalid_argument", "", kRequestLabels,
                                            "RPCs refused as invalid");
const CounterDef kServiceErrEntityNotFound(
    "service_errors_entity_not_found", "", kRequestLabels,
    "RPCs naming a workflow or namespace that does not exist");
const CounterDef kServiceErrExecutionAlreadyStarted(
    "service_errors_execution_already_started", "", kRequestLabels,
    "Starts refused because the workflow id is running");
const CounterDef kServiceErrNamespaceAlreadyExists("service_errors_namespace_already_exists", "",
                                                   kRequestLabels,
                                                   "Namespace registrations refused");
const CounterDef kServiceErrCancellationAlreadyRequested(
    "service_errors_cancellation_already_requested", "", kRequestLabels,
    "Cancellations of a workflow already asked to cancel");
const CounterDef kServiceErrQueryFailed("service_errors_query_failed", "", kRequestLabels,
                                        "Queries the workflow answered with an error");
const CounterDef kServiceErrResourceExhausted("service_errors_resource_exhausted", "",
                                              kRequestLabels,
                                              "RPCs refused by a limit (rate, size, concurrency)");
const CounterDef kServiceErrContextTimeout("service_errors_context_timeout", "", kRequestLabels,
                                           "RPCs that ran past their deadline or were cancelled");
const HistogramDef kServiceLatency("service_latency", "", kRequestLabels,
                                   "RPC latency in seconds (long polls included)",
                                   LatencyBuckets());

const CounterDef kPersistenceRequests(
    "persistence_requests", "", {"operation"},
    "Database call attempts, by store method (each retry counts)");
const CounterDef kPersistenceErrors("persistence_errors", "", {"operation"},
                                    "Database call attempts that failed (each retry counts)");
const HistogramDef kPersistenceLatency("persistence_latency", "", {"operation"},
                                       "Database call latency in seconds, per attempt",
                                       LatencyBuckets());
const CounterDef kVisibilityPersistenceRequests(
    "visibility_persistence_requests", "", {"operation"},
    "Visibility store calls (PostgreSQL or Elasticsearch)");
const CounterDef kVisibilityPersistenceErrors("visibility_persistence_errors", "", {"operation"},
                                              "Visibility store calls that failed");
const HistogramDef kVisibilityPersistenceLatency("visibility_persistence_latency", "",
                                                 {"operation"},
                                                 "Visibility store call latency in seconds",
                                                 LatencyBuckets());
const CounterDef kClientRequests("client_requests", "", {"operation"},
                                 "Calls from this process to history or matching");
const CounterDef kClientErrors("client_errors", "", {"operation"}, "Internal calls that failed");
const HistogramDef kClientLatency("client_latency", "", {"operation"},
                                  "Internal call latency in seconds", LatencyBuckets());

const CounterDef kWorkflowSuccess("workflow_success", "history", kWorkflowLabels,
                                  "Runs completed (`operation` is always `CompletionStats`)");
const CounterDef kWorkflowFailed("workflow_failed", "history", kWorkflowLabels, "Runs failed");
const CounterDef kWorkflowTimeout("workflow_timeout", "history", kWorkflowLabels,
                                  "Runs timed out (run or execution timeout)");
const CounterDef kWorkflowTerminate("workflow_terminate", "history", kWorkflowLabels,
                                    "Runs terminated");
const CounterDef kWorkflowCancel("workflow_cancel", "history", kWorkflowLabels, "Runs canceled");
const CounterDef kWorkflowContinuedAsNew(
    "workflow_continued_as_new", "history", kWorkflowLabels,
    "Runs closed by continue-as-new (cron and retry included)");
const HistogramDef kStateTransitionCount(
    "state_transition_count", "history", {"namespace"},
    "State transitions of a run so far, observed at each transition's commit", CountBuckets());
const CounterDef kDeletedExecutions(
    "tern_deleted_executions_total", "", {"reason"},
    "Runs deleted (state, history, visibility): `retention`, `request`, `namespace_deleted`");
const CounterDef kBatchOperationExecutions(
    "tern_batch_operation_executions_total", "", {"operation", "outcome"},
    "Executions a batch operation acted on (`terminate`, `cancel`, `signal`, `delete`, `reset`), "
    "by outcome: `completed` (not found included, as in Temporal) or `failed`");
const HistogramDef kVisibilityLag("tern_visibility_lag_seconds", "history", {},
                                  "From a state change to its visibility row being written (0 "
                                  "when the row is written with the state)",
                                  LatencyBuckets());

const CounterDef kPollSuccess("poll_success", "matching", kTaskQueueLabels,
                              "Polls answered with a task");
const CounterDef kPollSuccessSync("poll_success_sync", "matching", kTaskQueueLabels,
                                  "Polls answered with a task handed over without the backlog");
const CounterDef kPollTimeouts("poll_timeouts", "matching", kTaskQueueLabels,
                               "Polls that expired empty");
const HistogramDef kSyncMatchLatency("syncmatch_latency", "matching", kTaskQueueLabels,
                                     "Seconds a task offered to a waiting poller took to match",
                                     LatencyBuckets());
const HistogramDef kAsyncMatchLatency("asyncmatch_latency", "matching", kTaskQueueLabels,
                                      "Seconds a task spent in the backlog before a poller took it",
                                      LatencyBuckets());
const HistogramDef kTaskScheduleToStartLatency(
    "task_schedule_to_start_latency", "matching", kTaskQueueLabels,
    "Seconds from a task being added to the queue to a poller receiving it", LatencyBuckets());
const GaugeDef kApproximateBacklogCount("approximate_backlog_count", "matching", kTaskQueueLabels,
                                        "Tasks waiting in a partition this host owns");
const GaugeDef kApproximateBacklogAgeSeconds(
    "approximate_backlog_age_seconds", "matching", kTaskQueueLabels,
    "Age of the oldest task waiting in a partition this host owns (0 when empty)");

const GaugeDef kNumShards("numshards_gauge", "history", {}, "History shards this host owns");
const CounterDef kShardClosedCount("shard_closed_count", "history", {},
                                   "Shards this host released or lost");
const CounterDef kShardItemCreatedCount("sharditem_created_count", "history", {},
                                        "Shards this host acquired");
const CounterDef kShardItemRemovedCount(
    "sharditem_removed_count", "history", {},
    "Shards this host stopped owning (released, lost, stopped)");
const HistogramDef kAcquireShardsLatency("acquire_shards_latency", "history", {},
                                         "Seconds one acquisition of a shard took (range_id bump)",
                                         LatencyBuckets());
const HistogramDef kLockLatency("lock_latency", "history", {"operation"},
                                "Seconds a call waited for a run's lock", LatencyBuckets());
const HistogramDef kCacheLatency("cache_latency", "history", {"operation"},
                                 "Seconds to get a run's state (cache hit or load)",
                                 LatencyBuckets());
const HistogramDef kTaskLatencyProcessing("task_latency_processing", "history",
                                          {"namespace", "task_type"},
                                          "Seconds one attempt of a transfer or timer task took",
                                          LatencyBuckets());
const HistogramDef kTaskAttempt("task_attempt", "history", {"namespace", "task_type"},
                                "Attempts a transfer or timer task took to succeed",
                                CountBuckets());
const HistogramDef kImmediateQueueLag(
    "shardinfo_immediate_queue_lag", "history", {"task_category"},
    "Transfer tasks of a shard added but not yet done (`task_category` transfer), observed as "
    "each one finishes",
    BacklogBuckets());
const HistogramDef kScheduledQueueLag(
    "shardinfo_scheduled_queue_lag", "history", {"task_category"},
    "Seconds a due timer task waited past its fire time before it ran (`task_category` timer)",
    LatencyBuckets());

const CounterDef kRestarts("restarts", "", {},
                           "Process starts (1 per process; a sum over time counts restarts)");
const CounterDef kMembershipChangedCount("membership_changed_count", "", {},
                                         "Changes this process saw in a role's ring of hosts");
const CounterDef kTlsReloads(
    "tern_tls_reloads_total", "", {"group", "outcome"},
    "Changed TLS files (`group` frontend or internode): `reloaded` (in use for new connections) "
    "or `rejected` (unusable; the previous files stay in use)");
const GaugeDef kBuildInformation("build_information", "", {"build_version", "git_revision"},
                                 "Always 1; the labels say which build runs");
const CollectedDef kProcessCpuSeconds(Type::kCounter, "process_cpu_seconds_total",
                                      "User and system CPU seconds the process used");
const CollectedDef kProcessResidentMemory(Type::kGauge, "process_resident_memory_bytes",
                                          "Resident memory in bytes");
const CollectedDef kProcessOpenFds(Type::kGauge, "process_open_fds", "Open file descriptors");
const CollectedDef kProcessMaxFds(Type::kGauge, "process_max_fds",
                                  "The open file descriptor limit");
const CollectedDef kProcessStartTime(Type::kGauge, "process_start_time_seconds",
                                     "Start time of the process, in seconds since the epoch");

}  // namespace metrics
}  // namespace tern
