// The narrow context every history API (api/), command handler (commands/) and task executor
// (tasks/) works over: shard lookup, target resolution, snapshot reads, mutate-with-retry, the
// clients of matching and of other history hosts, the clock, the executor, visibility and the
// namespace cache, and the options history reads from the configuration.
//
// Threading: every method that returns a value blocks on the database and must run on the
// blocking executor. A run's changes are serialized by its ExecutionContext mutex, which
// Mutate, MutateWithContext and Snapshot take; callers must not hold it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/config.h"
#include "persistence/namespace_cache.h"
#include "persistence/visibility_store.h"
#include "services/history/mutable_state.h"
#include "services/history/shard_controller.h"
#include "tern/historyservice/v1/service.pb.h"
#include "visibility/search_attributes.h"

namespace tern::history {

namespace hs = tern::historyservice::v1;
namespace ws = temporal::api::workflowservice::v1;

// The dynamic config values history reads for one namespace; nothing else of Config.
struct HistoryOptions {
  int max_id_length = 0;
  std::chrono::milliseconds history_long_poll_expiration{0};
  int history_page_size = 0;
  int history_count_suggest_continue_as_new = 0;
  int64_t history_size_suggest_continue_as_new = 0;
  int history_count_limit_error = 0;
  int64_t history_size_limit_error = 0;

  // The values in force now for the namespace named `namespace_name` ("" = unconstrained ones).
  static HistoryOptions For(const dynamicconfig::Collection& dynamic,
                            const std::string& namespace_name);
};

// NOT_FOUND naming the workflow (and run) the way clients expect it.
absl::Status WorkflowNotFound(const ExecutionKey& key);

class EngineContext {
 public:
  using Mutation = std::function<absl::Status(MutableStateBuilder&)>;
  // A mutation that also sees the run's in-memory context (pending updates and queries).
  using ContextMutation = std::function<absl::Status(MutableStateBuilder&, ExecutionContext&)>;
  using ActivityMutation = std::function<absl::Status(MutableStateBuilder&, pv1::ActivityInfo&)>;

  // The shard and run an execution (workflow id + optional run id) names.
  struct Target {
    std::shared_ptr<Shard> shard;
    ExecutionKey key;
  };
  // The same for a worker's task token, with the decoded token.
  struct TokenTarget {
    std::shared_ptr<Shard> shard;
    ExecutionKey key;
    pv1::TaskToken token;
  };

  // Only `config.dynamic` is kept (it shares the values a reload replaces, so options() sees
  // changes without a restart). `visibility` and `namespaces` may be null (no visibility
  // rows; only built-in search attributes).
  EngineContext(const Config& config, ShardController& shards, client::MatchingClient& matching,
                client::HistoryClient& history, Executor& blocking, Clock& clock,
                std::shared_ptr<persistence::VisibilityStore> visibility,
                std::shared_ptr<persistence::NamespaceCache> namespaces);

  // The dynamic config values for a namespace (by id, named through the namespace cache).
  HistoryOptions options(const std::string& namespace_id) const;
  // How many partitions of a task queue take new tasks (matching.numTaskqueueWritePartitions).
  int WritePartitions(const std::string& namespace_id, const std::string& task_queue) const;
  client::MatchingClient& matching() { return matching_; }
  // Calls to other workflows (children, parents, external signals) may cross shards and hosts.
  client::HistoryClient& history() { return history_; }
  Executor& blocking() { return blocking_; }
  Clock& clock() { return clock_; }
  persistence::VisibilityStore* visibility() { return visibility_.get(); }
  persistence::NamespaceCache* namespaces() { return namespaces_.get(); }
  // The namespace field of a log line: the namespace's name, or its id if the cache does not
  // know it.
  std::string NamespaceForLogs(const std::string& namespace_id) const {
    std::string name = NamespaceName(namespace_id);
    return name.empty() ? namespace_id : name;
  }
  // When a long poll ends: after `requested` (the caller's long_poll_timeout, if it sent one),
  // else after the configured history long-poll expiration.
  TimePoint LongPollDeadline(const std::string& namespace_id,
                             const google::protobuf::Duration* requested) const;
  // Options of a call to another service that must answer within `timeout`.
  client::CallOptions CallDeadline(std::chrono::nanoseconds timeout) const;

  absl::StatusOr<std::shared_ptr<Shard>> ShardFor(const std::string& namespace_id,
                                                  const std::string& workflow_id);
  // Resolves an empty run id to the workflow's current run (NOT_FOUND without one).
  absl::StatusOr<std::string> ResolveRunId(Shard& shard, const std::string& namespace_id,
                                           const std::string& workflow_id,
                                           const std::string& run_id);
  absl::StatusOr<Target> ResolveTarget(
      const std::string& namespace_id,
      const temporal::api::common::v1::WorkflowExecution& execution);
  // Decodes a worker's task token; a token without a run id (*ById calls) names the current run.
  absl::StatusOr<TokenTarget> ResolveTaskToken(const std::string& task_token);

  absl::StatusOr<persistence::ExecutionRecord> LoadRecord(Shard& shard, const ExecutionKey& key);
  // Loads the run's record into `context` unless it is cached; the caller holds context.mu.
  absl::Status LoadInto(Shard& shard, const ExecutionKey& key, ExecutionContext& context);
  // The current mutable state of a run (cached), for readers that change nothing.
  absl::StatusOr<pv1::MutableState> Snapshot(Shard& shard, const ExecutionKey& key);
  // What `read` takes from the run's current mutable state (cached), under the run's lock: for
  // readers of a few fields, without copying the whole state.
  template <typename Read>
  auto Inspect(Shard& shard, const ExecutionKey& key, Read read)
      -> absl::StatusOr<decltype(read(std::declval<const pv1::MutableState&>()))> {
    auto context = shard.Context(key);
    std::lock_guard lock(context->mu);
    if (absl::Status loaded = LoadInto(shard, key, *context); !loaded.ok()) return loaded;
    return read(std::as_const(context->record->state));
  }
  absl::StatusOr<hv1::HistoryEvent> ReadEvent(Shard& shard, const pv1::MutableState& state,
                                              int64_t event_id);
  absl::StatusOr<std::vector<hv1::HistoryEvent>> ReadAllEvents(Shard& shard,
                                                               const pv1::MutableState& state);
  // The WorkflowExecutionStarted attributes of a run (read from its first event).
  absl::StatusOr<hv1::WorkflowExecutionStartedEventAttributes> StartedAttributes(
      Shard& shard, const pv1::MutableState& state);

  // Loads the run under its lock, applies `fn` and persists what it produced. If `fn` fails,
  // nothing is written; a handler that must write and still fail uses
  // MutableStateBuilder::FailAfterWrite. Retries a lost optimistic-concurrency race.
  absl::Status Mutate(Shard& shard, const ExecutionKey& key, const Mutation& fn);
  absl::Status MutateWithContext(Shard& shard, const ExecutionKey& key, const ContextMutation& fn);
  // Applies `fn` to the started activity attempt a worker reports on (by task token).
  absl::Status MutateActivity(const std::string& task_token, const ActivityMutation& fn);
  // The write of `ms` on `shard`, with its close tasks when it closed; the write takes the
  // builder's state (moved: read the new state from the write afterwards). When
  // VisibilityChanged(previous, new state) (`previous` is the state read, or its
  // VisibilityFieldsOf; nullptr for a new run) the write carries the new visibility row if the
  // shard's store writes it with the state (Stores::visibility_in_executions), else a
  // visibility task.
  persistence::WorkflowWrite BuildWrite(Shard& shard, MutableStateBuilder& ms,
                                        int64_t expected_version, bool was_running,
                                        const pv1::MutableState* previous);

  // The namespace's custom search attributes: cached, or read from the store with `reload`.
  absl::StatusOr<visibility::CustomSearchAttributes> CustomSearchAttributesFor(
      const std::string& namespace_id, bool reload);

  // The visibility row of a run's `state` (search attributes the namespace does not define are
  // left out, with a warning naming them); nullopt when the namespace is gone.
  absl::StatusOr<std::optional<persistence::VisibilityRecord>> VisibilityRecordFor(
      int32_t shard_id, const pv1::MutableState& state);

 private:
  // The namespace's name for dynamic config constraints ("" if the cache does not know it).
  std::string NamespaceName(const std::string& namespace_id) const;
  // Metrics of a committed transition: state_transition_count, and the run's workflow_*
  // outcome counter when it `closed`.
  void RecordCommitted(const pv1::MutableState& state, bool closed) const;

  dynamicconfig::Collection dynamic_;
  ShardController& shards_;
  client::MatchingClient& matching_;
  client::HistoryClient& history_;
  Executor& blocking_;
  Clock& clock_;
  std::shared_ptr<persistence::VisibilityStore> visibility_;
  std::shared_ptr<persistence::NamespaceCache> namespaces_;
};

}  // namespace tern::history
