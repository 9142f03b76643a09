#include "services/matching/matching_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/errors.h"
#include "common/ids.h"
#include "common/task_queue_names.h"
#include "services/matching/partition.h"

namespace tern::matching {
namespace {

namespace enums = temporal::api::enums::v1;
constexpr int kWorkflow = enums::TASK_QUEUE_TYPE_WORKFLOW;
constexpr int kActivity = enums::TASK_QUEUE_TYPE_ACTIVITY;

absl::Status ValidateTaskQueue(const std::string& namespace_id,
                               const temporal::api::taskqueue::v1::TaskQueue& task_queue) {
  if (namespace_id.empty()) return absl::InvalidArgumentError("namespace_id is not set");
  if (task_queue.name().empty()) return absl::InvalidArgumentError("task queue name is not set");
  if (task_queue.kind() == enums::TASK_QUEUE_KIND_STICKY &&
      ParsePartitionName(task_queue.name()).partition != 0) {
    return absl::InvalidArgumentError("a sticky task queue has a single partition");
  }
  return absl::OkStatus();
}

}  // namespace

EngineOptions EngineOptions::FromConfig(const Config& config, std::string self_address) {
  EngineOptions options;
  options.self_address = std::move(self_address);
  // The unconstrained value at start; the frontend applies the namespace and task-queue values
  // (and reloads) to each poll's deadline before it reaches matching.
  options.long_poll_expiration =
      config.dynamic.Get(dynamicconfig::kMatchingLongPollExpirationInterval, "", "");
  options.poller_history_ttl = std::chrono::duration_cast<std::chrono::milliseconds>(
      config.dynamic.Get(dynamicconfig::kMatchingPollerHistoryTTL));
  return options;
}

std::shared_ptr<MatchingEngine> MatchingEngine::Create(
    EngineOptions options, std::shared_ptr<persistence::TaskStore> store, OwnerLookup owner_of,
    client::HistoryClient& history, client::MatchingClient& matching, Executor& blocking_executor,
    Executor& timer_executor, const Clock& clock) {
  auto core = std::make_shared<EngineCore>(
      EngineCore{{std::move(options), std::move(store), blocking_executor, timer_executor, clock},
                 history,
                 matching});
  auto engine = std::shared_ptr<MatchingEngine>(new MatchingEngine(core, std::move(owner_of)));
  std::weak_ptr<MatchingEngine> weak = engine;
  core->on_unloaded = [weak](Partition* partition, bool fenced) {
    if (auto e = weak.lock()) e->OnPartitionUnloaded(partition, fenced);
  };
  return engine;
}

MatchingEngine::MatchingEngine(std::shared_ptr<EngineCore> core, OwnerLookup owner_of)
    : core_(std::move(core)), owner_of_(std::move(owner_of)) {}

MatchingEngine::~MatchingEngine() { Stop(); }

// ---- partitions --------------------------------------------------------------------------------

absl::StatusOr<std::shared_ptr<Partition>> MatchingEngine::GetOrLoad(
    const std::string& namespace_id, const std::string& name, int task_type,
    enums::TaskQueueKind kind) {
  std::string key = PartitionKey(namespace_id, name, task_type);
  {
    std::lock_guard lock(mu_);
    if (stopped_) return ShardOwnershipLostError(0, "");
    if (auto it = partitions_.find(key); it != partitions_.end()) return it->second;
  }
  // The ring lookup takes the membership lock: never under ours.
  std::string owner = owner_of_(key);
  if (owner != core_->options.self_address) return ShardOwnershipLostError(0, owner);
  std::shared_ptr<Partition> created;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return ShardOwnershipLostError(0, "");
    if (auto it = partitions_.find(key); it != partitions_.end()) return it->second;
    if (auto it = fenced_until_.find(key); it != fenced_until_.end()) {
      if (core_->clock.Now() < it->second) return ShardOwnershipLostError(0, "");
      fenced_until_.erase(it);
    }
    created = Partition::Create(core_, persistence::TaskQueueKey{namespace_id, name, task_type},
                                key, kind);
    partitions_.emplace(key, created);
  }
  created->Load();
  return created;
}

void MatchingEngine::OnPartitionUnloaded(Partition* partition, bool fenced) {
  std::lock_guard lock(mu_);
  const std::string& key = partition->placement_key();
  if (auto it = partitions_.find(key); it != partitions_.end() && it->second.get() == partition) {
    partitions_.erase(it);
  }
  if (fenced) fenced_until_[key] = core_->clock.Now() + core_->options.fenced_hold;
}

std::vector<std::shared_ptr<Partition>> MatchingEngine::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Partition>> out;
  out.reserve(partitions_.size());
  for (const auto& [key, partition] : partitions_) out.push_back(partition);
  return out;
}

bool MatchingEngine::IsLoaded(const std::string& namespace_id, const std::string& partition_name,
                              int task_type) const {
  std::shared_ptr<Partition> partition;
  {
    std::lock_guard lock(mu_);
    auto it = partitions_.find(PartitionKey(namespace_id, partition_name, task_type));
    if (it == partitions_.end()) return false;
    partition = it->second;
  }
  return partition->loaded();
}

size_t MatchingEngine::LoadedPartitionCount() const {
  size_t n = 0;
  for (const auto& partition : Snapshot()) n += partition->loaded() ? 1 : 0;
  return n;
}

size_t MatchingEngine::ParkedPollCount() const {
  size_t n = 0;
  for (const auto& partition : Snapshot()) n += partition->parked_polls();
  return n;
}

size_t MatchingEngine::PendingQueryCount() const {
  size_t n = 0;
  for (const auto& partition : Snapshot()) n += partition->pending_queries();
  return n;
}

// ---- lifecycle ---------------------------------------------------------------------------------

void MatchingEngine::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stopped_) return;
  started_ = true;
  std::weak_ptr<MatchingEngine> weak = weak_from_this();
  maintenance_timer_ = core_->timers.PostAfter(core_->options.maintenance_interval, [weak] {
    if (auto e = weak.lock()) e->Maintain();
  });
}

void MatchingEngine::Maintain() {
  TimePoint now = core_->clock.Now();
  for (const auto& partition : Snapshot()) partition->Maintain(now);
  std::lock_guard lock(mu_);
  if (stopped_) return;
  std::erase_if(fenced_until_, [now](const auto& entry) { return entry.second <= now; });
  std::weak_ptr<MatchingEngine> weak = weak_from_this();
  maintenance_timer_ = core_->timers.PostAfter(core_->options.maintenance_interval, [weak] {
    if (auto e = weak.lock()) e->Maintain();
  });
}

void MatchingEngine::OnRingChanged() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    fenced_until_.clear();
  }
  for (const auto& partition : Snapshot()) {
    if (owner_of_(partition->placement_key()) != core_->options.self_address) {
      partition->Unload(Partition::Reason::kRingMoved);
    }
  }
}

void MatchingEngine::Stop() {
  std::vector<std::shared_ptr<Partition>> all;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    if (maintenance_timer_) maintenance_timer_->Cancel();
    for (const auto& [key, partition] : partitions_) all.push_back(partition);
  }
  for (const auto& partition : all) partition->Unload(Partition::Reason::kStopped);
  if (!core_->tracker->WaitIdle(core_->options.stop_drain_timeout)) {
    spdlog::warn("matching: calls still in flight after {} ms at shutdown",
                 core_->options.stop_drain_timeout.count());
  }
}

// ---- adds --------------------------------------------------------------------------------------

template <typename Request, typename Response>
void MatchingEngine::Add(const Request& request, int task_type, TimePoint deadline,
                         client::Callback<Response> done) {
  if (auto st = ValidateTaskQueue(request.namespace_id(), request.task_queue()); !st.ok()) {
    return done(st);
  }
  if (request.execution().workflow_id().empty()) {
    return done(absl::InvalidArgumentError("execution.workflow_id is not set"));
  }
  TimePoint now = core_->clock.Now();
  auto op = std::make_shared<AddOp>();
  auto& info = op->task.info;
  info.set_namespace_id(request.namespace_id());
  info.set_workflow_id(request.execution().workflow_id());
  info.set_run_id(request.execution().run_id());
  info.set_scheduled_event_id(request.scheduled_event_id());
  *info.mutable_create_time() = ToProto(now);
  if (request.has_schedule_to_start_timeout() && !IsZero(request.schedule_to_start_timeout())) {
    *info.mutable_expiry_time() = ToProto(AddSaturating(now, request.schedule_to_start_timeout()));
  }
  op->forwarded = !request.forwarded_from().empty();
  op->deadline = deadline;
  op->done = [done](absl::StatusOr<bool> matched) {
    if (!matched.ok()) return done(matched.status());
    Response response;
    response.set_matched(*matched);
    done(std::move(response));
  };
  auto partition = GetOrLoad(request.namespace_id(), request.task_queue().name(), task_type,
                             request.task_queue().kind());
  if (!partition.ok()) return done(partition.status());
  (*partition)->Add(std::move(op));
}

void MatchingEngine::AddWorkflowTask(const ms::AddWorkflowTaskRequest& request, TimePoint deadline,
                                     client::Callback<ms::AddWorkflowTaskResponse> done) {
  Add(request, kWorkflow, deadline, std::move(done));
}

void MatchingEngine::AddActivityTask(const ms::AddActivityTaskRequest& request, TimePoint deadline,
                                     client::Callback<ms::AddActivityTaskResponse> done) {
  Add(request, kActivity, deadline, std::move(done));
}

// ---- polls -------------------------------------------------------------------------------------

TimePoint MatchingEngine::PollTimeout(TimePoint now, TimePoint deadline) const {
  TimePoint by_expiration = now + core_->options.long_poll_expiration;
  // time_point::max() (no deadline) minus the margin cannot overflow.
  return std::min(by_expiration, deadline - core_->options.poll_deadline_margin);
}

std::shared_ptr<PollHandle> MatchingEngine::StartPoll(
    std::shared_ptr<Poller> poller, const std::string& namespace_id,
    const temporal::api::taskqueue::v1::TaskQueue& task_queue, int task_type) {
  absl::Status status = ValidateTaskQueue(namespace_id, task_queue);
  std::shared_ptr<Partition> partition;
  if (status.ok()) {
    auto found = GetOrLoad(namespace_id, task_queue.name(), task_type, task_queue.kind());
    if (found.ok()) {
      partition = *std::move(found);
    } else {
      status = found.status();
    }
  }
  if (!status.ok()) {
    // Never attached to a partition: nobody else can finish it, Cancel() is a no-op.
    poller->state = Poller::State::kDone;
    poller->FinishError(std::move(status));
    return poller;
  }
  partition->Poll(poller);
  return poller;
}

std::shared_ptr<PollHandle> MatchingEngine::PollWorkflowTaskQueue(
    const ms::PollWorkflowTaskQueueRequest& request, TimePoint deadline,
    client::Callback<ws::PollWorkflowTaskQueueResponse> done) {
  TimePoint now = core_->clock.Now();
  ms::PollWorkflowTaskQueueRequest copy = request;
  if (copy.poller_id().empty()) copy.set_poller_id(NewUuid());
  auto poller =
      NewWorkflowPoller(std::move(copy), PollTimeout(now, deadline), deadline, std::move(done));
  return StartPoll(std::move(poller), request.namespace_id(), request.poll_request().task_queue(),
                   kWorkflow);
}

std::shared_ptr<PollHandle> MatchingEngine::PollActivityTaskQueue(
    const ms::PollActivityTaskQueueRequest& request, TimePoint deadline,
    client::Callback<ws::PollActivityTaskQueueResponse> done) {
  TimePoint now = core_->clock.Now();
  ms::PollActivityTaskQueueRequest copy = request;
  if (copy.poller_id().empty()) copy.set_poller_id(NewUuid());
  auto poller =
      NewActivityPoller(std::move(copy), PollTimeout(now, deadline), deadline, std::move(done));
  return StartPoll(std::move(poller), request.namespace_id(), request.poll_request().task_queue(),
                   kActivity);
}

// ---- queries ----------------------------------------------------------------------------------

TimePoint MatchingEngine::QueryAnswerBy(TimePoint now, TimePoint deadline) const {
  if (deadline == TimePoint::max()) return deadline;
  // Every hop (frontend, history, matching) carries the client's deadline: answering a little
  // before it lets our DEADLINE_EXCEEDED, which names the task queue, reach the client instead
  // of a bare transport timeout.
  auto margin = std::min<TimePoint::duration>(
      core_->options.poll_deadline_margin, std::max<TimePoint::duration>(deadline - now, {}) / 5);
  return deadline - margin;
}

std::shared_ptr<PollHandle> MatchingEngine::QueryWorkflow(
    const ms::QueryWorkflowRequest& request, TimePoint deadline,
    client::Callback<ms::QueryWorkflowResponse> done) {
  auto query =
      std::make_shared<QueryOp>(request.query_id(), request.task(),
                                QueryAnswerBy(core_->clock.Now(), deadline), std::move(done));
  absl::Status status = ValidateTaskQueue(request.namespace_id(), request.task_queue());
  if (status.ok() && request.query_id().empty()) {
    status = absl::InvalidArgumentError("query_id is not set");
  }
  if (status.ok() && request.task().task_token().empty()) {
    status = absl::InvalidArgumentError("task.task_token is not set");
  }
  std::shared_ptr<Partition> partition;
  if (status.ok()) {
    auto found = GetOrLoad(request.namespace_id(), request.task_queue().name(), kWorkflow,
                           request.task_queue().kind());
    if (found.ok()) {
      partition = *std::move(found);
    } else {
      status = found.status();
    }
  }
  if (!status.ok()) {
    // Never attached to a partition: nobody else can finish it, Cancel() is a no-op.
    query->state = QueryOp::State::kDone;
    query->done(std::move(status));
    return query;
  }
  partition->Query(query);
  return query;
}

void MatchingEngine::RespondQueryTaskCompleted(
    const ms::RespondQueryTaskCompletedRequest& request,
    client::Callback<ms::RespondQueryTaskCompletedResponse> done) {
  if (auto st = ValidateTaskQueue(request.namespace_id(), request.task_queue()); !st.ok()) {
    return done(st);
  }
  if (request.query_id().empty()) return done(absl::InvalidArgumentError("query_id is not set"));
  std::string key = PartitionKey(request.namespace_id(), request.task_queue().name(), kWorkflow);
  std::shared_ptr<Partition> partition;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return done(ShardOwnershipLostError(0, ""));
    if (auto it = partitions_.find(key); it != partitions_.end()) partition = it->second;
  }
  if (partition) return partition->RespondQuery(request, std::move(done));
  // Not loaded here: the query is not pending here. Another owner may hold it.
  std::string owner = owner_of_(key);
  if (owner != core_->options.self_address) return done(ShardOwnershipLostError(0, owner));
  done(QueryNotFoundError());
}

// ---- describe ----------------------------------------------------------------------------------

void MatchingEngine::ReleaseStickyTaskQueue(const std::string& namespace_id,
                                            const std::string& task_queue) {
  std::shared_ptr<Partition> partition;
  {
    std::lock_guard lock(mu_);
    auto it = partitions_.find(PartitionKey(namespace_id, task_queue, kWorkflow));
    if (it == partitions_.end()) return;
    partition = it->second;
  }
  partition->Unload(Partition::Reason::kReleased);
}

void MatchingEngine::DescribeTaskQueuePartition(
    const ms::DescribeTaskQueuePartitionRequest& request,
    client::Callback<ms::DescribeTaskQueuePartitionResponse> done) {
  if (auto st = ValidateTaskQueue(request.namespace_id(), request.task_queue()); !st.ok()) {
    return done(st);
  }
  int task_type = request.task_queue_type() == enums::TASK_QUEUE_TYPE_UNSPECIFIED
                      ? kWorkflow
                      : static_cast<int>(request.task_queue_type());
  std::string key = PartitionKey(request.namespace_id(), request.task_queue().name(), task_type);
  std::shared_ptr<Partition> partition;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return done(ShardOwnershipLostError(0, ""));
    if (auto it = partitions_.find(key); it != partitions_.end()) partition = it->second;
  }
  if (partition) return partition->Describe(std::move(done));
  // Not loaded: no pollers here; count the backlog without taking the lease.
  std::string owner = owner_of_(key);
  if (owner != core_->options.self_address) return done(ShardOwnershipLostError(0, owner));
  persistence::TaskQueueKey task_queue{request.namespace_id(), request.task_queue().name(),
                                       task_type};
  core_->RunBlocking([core = core_, task_queue, done = std::move(done)] {
    auto count = core->store->CountTasks(task_queue);
    if (!count.ok()) return done(count.status());
    ms::DescribeTaskQueuePartitionResponse response;
    response.set_backlog_count(*count);
    response.set_owner_host(core->options.self_address);
    done(std::move(response));
  });
}

}  // namespace tern::matching
