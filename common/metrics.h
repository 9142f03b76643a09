// Every metric Tern emits, declared once (metrics.cc) with its type, labels, owning service and
// meaning, under Temporal server's names so that Temporal's dashboards and alert rules work
// unchanged: counters without a `_total` suffix (what Temporal's default Prometheus reporter
// exposes), latencies as histograms in seconds. docs/operations.md lists them
// (MetricsMarkdown(), printed by tern-metrics-docs).
//
// Every series carries `service_name`: the owning service for a service's own metrics, else the
// process's (SetProcessServiceName: the service it runs, or "server" when it runs several).
// Labels never hold a workflow id, run id or task token: their values come from a bounded set
// (operations, namespaces, task queues, types).
//
// Use: kWorkflowSuccess.With({namespace, workflow_type}).Increment(). The values follow the
// order of the definition's labels. Thread-safe; a family is registered on first use.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tern {

// The process registry every metric lives in; the process exposes it on each metrics address.
std::shared_ptr<prometheus::Registry> MetricsRegistry();

namespace metrics {

enum class Type { kCounter, kGauge, kHistogram };

// The `namespace` label of a series whose namespace is absent or not registered.
inline constexpr char kUnknownNamespace[] = "_unknown_";

// service_name of the metrics the whole process shares (persistence, internal clients, process).
// Set once at start, before any thread records a metric; "server" until then.
void SetProcessServiceName(std::string name);
const std::string& ProcessServiceName();

// Turns recording off for a process that serves no metrics (no service has a
// metrics.listenAddress): With() then hands out one unlabelled series per metric that nobody
// reads, with no label lookup. Call once at start, before any thread records a metric.
void DisableRecording();

class Def {
 public:
  virtual ~Def();
  // Creates the series of a metric without labels at zero, so a scrape shows it from the start
  // (a family is only listed once it has a series).
  virtual void Initialize() const {}
  Def(const Def&) = delete;
  Def& operator=(const Def&) = delete;

  Type type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& owner() const { return owner_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const std::string& help() const { return help_; }
  const std::vector<double>& buckets() const { return buckets_; }

 protected:
  // `owner`: "frontend", "history", "matching", "worker", or "" for the process's metrics and
  // for those whose service is given at each call (the request interceptor). Adds itself to
  // AllDefs().
  Def(Type type, std::string name, std::string owner, std::vector<std::string> labels,
      std::string help, std::vector<double> buckets);

  // The full label set: service_name, then `values` under the definition's label names.
  prometheus::Labels LabelsFor(std::initializer_list<std::string_view> values,
                               std::string_view service) const;

  // The series handed out so far, by label values: a hit costs one hash of the values instead of
  // building and hashing a label map in the family (metrics.cc).
  class SeriesCache;
  SeriesCache& cache() const { return *cache_; }

 private:
  Type type_;
  std::string name_;
  std::string owner_;
  std::vector<std::string> labels_;
  std::string help_;
  std::vector<double> buckets_;
  std::unique_ptr<SeriesCache> cache_;
};

template <typename Metric>
class TypedDef : public Def {
 public:
  TypedDef(std::string name, std::string owner, std::vector<std::string> labels, std::string help,
           std::vector<double> buckets = {})
      : Def(std::is_same_v<Metric, prometheus::Counter> ? Type::kCounter
            : std::is_same_v<Metric, prometheus::Gauge> ? Type::kGauge
                                                        : Type::kHistogram,
            std::move(name), std::move(owner), std::move(labels), std::move(help),
            std::move(buckets)) {}
  // The series for `values` (in label order). `service` overrides the owner for definitions
  // without one.
  Metric& With(std::initializer_list<std::string_view> values = {},
               std::string_view service = {}) const;
  // Drops a series With() returned (a gauge of something this host no longer owns).
  void Remove(Metric* metric) const;
  void Initialize() const override {
    if (labels().empty()) With();
  }

 private:
  prometheus::Family<Metric>& Family() const;
  // The series every With() returns while recording is off.
  Metric& Discarded() const;
  mutable std::once_flag registered_;
  mutable prometheus::Family<Metric>* family_ = nullptr;
  mutable std::once_flag discarded_once_;
  mutable Metric* discarded_ = nullptr;
};

using CounterDef = TypedDef<prometheus::Counter>;
using GaugeDef = TypedDef<prometheus::Gauge>;
using HistogramDef = TypedDef<prometheus::Histogram>;

// A metric computed at scrape time by a collector (process_*), never registered.
class CollectedDef final : public Def {
 public:
  CollectedDef(Type type, std::string name, std::string help)
      : Def(type, std::move(name), "", {}, std::move(help), {}) {}
};

// Every definition, in the order docs/operations.md lists them (process_* included: they are
// computed at scrape time by ProcessCollector, not registered).
const std::vector<const Def*>& AllDefs();
// Initializes the label-free metrics of the process and of `services`' own (Def::Initialize).
void InitializeMetrics(const std::vector<std::string>& services);

// The markdown table of every metric. docs/operations.md holds it between these two lines.
std::string MetricsMarkdown();
inline constexpr std::string_view kDocsBegin = "<!-- BEGIN generated by tern-metrics-docs -->";
inline constexpr std::string_view kDocsEnd = "<!-- END generated by tern-metrics-docs -->";

// ---- requests (the request interceptor, every service) ----------------------------------------
extern const CounterDef kServiceRequests;
extern const CounterDef kServiceErrors;
extern const CounterDef kServiceErrorWithType;
extern const CounterDef kServiceErrInvalidArgument;
extern const CounterDef kServiceErrEntityNotFound;
extern const CounterDef kServiceErrExecutionAlreadyStarted;
extern const CounterDef kServiceErrNamespaceAlreadyExists;
extern const CounterDef kServiceErrCancellationAlreadyRequested;
extern const CounterDef kServiceErrQueryFailed;
extern const CounterDef kServiceErrResourceExhausted;
extern const CounterDef kServiceErrContextTimeout;
extern const HistogramDef kServiceLatency;

// ---- persistence and internal clients (decorators) ---------------------------------------------
extern const CounterDef kPersistenceRequests;
extern const CounterDef kPersistenceErrors;
extern const HistogramDef kPersistenceLatency;
extern const CounterDef kVisibilityPersistenceRequests;
extern const CounterDef kVisibilityPersistenceErrors;
extern const HistogramDef kVisibilityPersistenceLatency;
extern const CounterDef kClientRequests;
extern const CounterDef kClientErrors;
extern const HistogramDef kClientLatency;

// ---- workflows (history)
// -------------------------------------------------------------------------
extern const CounterDef kWorkflowSuccess;
extern const CounterDef kWorkflowFailed;
extern const CounterDef kWorkflowTimeout;
extern const CounterDef kWorkflowTerminate;
extern const CounterDef kWorkflowCancel;
extern const CounterDef kWorkflowContinuedAsNew;
extern const HistogramDef kStateTransitionCount;
extern const CounterDef kDeletedExecutions;
extern const CounterDef kBatchOperationExecutions;
extern const HistogramDef kVisibilityLag;

// ---- matching
// ------------------------------------------------------------------------------------
extern const CounterDef kPollSuccess;
extern const CounterDef kPollSuccessSync;
extern const CounterDef kPollTimeouts;
extern const HistogramDef kSyncMatchLatency;
extern const HistogramDef kAsyncMatchLatency;
extern const HistogramDef kTaskScheduleToStartLatency;
extern const GaugeDef kApproximateBacklogCount;
extern const GaugeDef kApproximateBacklogAgeSeconds;

// ---- history shards and queues ------------------------------------------------------------------
extern const GaugeDef kNumShards;
extern const CounterDef kShardClosedCount;
extern const CounterDef kShardItemCreatedCount;
extern const CounterDef kShardItemRemovedCount;
extern const HistogramDef kAcquireShardsLatency;
extern const HistogramDef kLockLatency;
extern const HistogramDef kCacheLatency;
extern const HistogramDef kTaskLatencyProcessing;
extern const HistogramDef kTaskAttempt;
extern const HistogramDef kImmediateQueueLag;
extern const HistogramDef kScheduledQueueLag;

// ---- process ------------------------------------------------------------------------------------
extern const CounterDef kRestarts;
extern const CounterDef kMembershipChangedCount;
extern const CounterDef kTlsReloads;
extern const GaugeDef kBuildInformation;
// Read from /proc at each scrape by ProcessCollector (process_metrics.h), never registered.
extern const CollectedDef kProcessCpuSeconds;
extern const CollectedDef kProcessResidentMemory;
extern const CollectedDef kProcessOpenFds;
extern const CollectedDef kProcessMaxFds;
extern const CollectedDef kProcessStartTime;

}  // namespace metrics
}  // namespace tern
