// DescribeTaskQueue and ListTaskQueuePartitions: one DescribeTaskQueuePartition per read
// partition of the queue (a sticky queue has one) and task type, answered by the partition's
// owner.
//
// DescribeTaskQueue merges the partitions of a type: pollers by identity (latest access, the
// largest rate), backlog counts and add/dispatch rates summed, the oldest backlog age. Older
// clients ask for the backlog through the deprecated include_task_queue_status, and for every
// type at once through the deprecated ENHANCED mode (versions_info[""]: Tern has no worker
// versioning, so only the unversioned queue exists); both are answered.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <algorithm>
#include <mutex>

#include "common/task_queue_names.h"
#include "google/protobuf/util/time_util.h"  // Timestamp and Duration comparisons
#include "services/frontend/workflow_handler_forward.h"

namespace tern::frontend {
namespace {

namespace enums = temporal::api::enums::v1;
namespace tq = temporal::api::taskqueue::v1;
using PartitionDescription = ms::DescribeTaskQueuePartitionResponse;
// Per task type asked for, in that order: per read partition, in partition order.
using Descriptions = std::vector<std::vector<PartitionDescription>>;

// Collects `n` answers by index; the last to arrive calls `done` with all of them, or with the
// first error.
template <typename T>
class Gather : public std::enable_shared_from_this<Gather<T>> {
 public:
  using Done = std::function<void(absl::StatusOr<std::vector<T>>)>;
  static std::shared_ptr<Gather> Start(size_t n, Done done) {
    auto gather = std::shared_ptr<Gather>(new Gather(n, std::move(done)));
    if (n == 0) gather->done_(std::vector<T>());
    return gather;
  }

  // The callback of answer `index`.
  client::Callback<T> Slot(size_t index) {
    return [self = this->shared_from_this(), index](absl::StatusOr<T> result) {
      self->Add(index, std::move(result));
    };
  }

 private:
  Gather(size_t n, Done done) : results_(n), remaining_(n), done_(std::move(done)) {}

  void Add(size_t index, absl::StatusOr<T> result) {
    {
      std::lock_guard lock(mu_);
      if (!result.ok()) {
        if (status_.ok()) status_ = result.status();
      } else {
        results_[index] = *std::move(result);
      }
      if (--remaining_ > 0) return;
    }
    if (!status_.ok()) return done_(status_);
    done_(std::move(results_));
  }

  std::mutex mu_;
  std::vector<T> results_;
  size_t remaining_;
  absl::Status status_;
  Done done_;
};

PartitionDescription Merge(const std::vector<PartitionDescription>& parts) {
  PartitionDescription merged;
  for (const auto& part : parts) {
    merged.set_backlog_count(merged.backlog_count() + part.backlog_count());
    merged.set_tasks_add_rate(merged.tasks_add_rate() + part.tasks_add_rate());
    merged.set_tasks_dispatch_rate(merged.tasks_dispatch_rate() + part.tasks_dispatch_rate());
    if (part.has_backlog_age() &&
        (!merged.has_backlog_age() || part.backlog_age() > merged.backlog_age())) {
      *merged.mutable_backlog_age() = part.backlog_age();
    }
    for (const auto& poller : part.pollers()) {
      auto* pollers = merged.mutable_pollers();
      auto it = std::find_if(pollers->begin(), pollers->end(), [&](const tq::PollerInfo& p) {
        return p.identity() == poller.identity();
      });
      if (it == pollers->end()) {
        *merged.add_pollers() = poller;
        continue;
      }
      // One worker polls several partitions with the same limit: not a sum.
      it->set_rate_per_second(std::max(it->rate_per_second(), poller.rate_per_second()));
      if (poller.last_access_time() > it->last_access_time()) {
        *it->mutable_last_access_time() = poller.last_access_time();
      }
    }
  }
  return merged;
}

tq::TaskQueueStats Stats(const PartitionDescription& merged) {
  tq::TaskQueueStats stats;
  stats.set_approximate_backlog_count(merged.backlog_count());
  *stats.mutable_approximate_backlog_age() = merged.backlog_age();
  stats.set_tasks_add_rate(merged.tasks_add_rate());
  stats.set_tasks_dispatch_rate(merged.tasks_dispatch_rate());
  return stats;
}

}  // namespace

void WorkflowHandler::DescribePartitions(const Entry& ns, const tq::TaskQueue& queue,
                                         const std::vector<enums::TaskQueueType>& types,
                                         TimePoint deadline, client::Callback<Descriptions> done) {
  int partitions = queue.kind() == enums::TASK_QUEUE_KIND_STICKY
                       ? 1
                       : config_.dynamic.Get(dc::kMatchingNumTaskqueueReadPartitions,
                                             ns->info().name(), queue.name());
  auto by_type = Gather<std::vector<PartitionDescription>>::Start(types.size(), std::move(done));
  for (size_t t = 0; t < types.size(); ++t) {
    auto by_partition = Gather<PartitionDescription>::Start(partitions, by_type->Slot(t));
    for (int i = 0; i < partitions; ++i) {
      ms::DescribeTaskQueuePartitionRequest internal;
      internal.set_namespace_id(ns->info().id());
      *internal.mutable_task_queue() = queue;
      internal.mutable_task_queue()->set_name(PartitionName(queue.name(), i));
      internal.set_task_queue_type(types[t]);
      matching_.DescribeTaskQueuePartition(internal, forwarded_.Options(deadline),
                                           by_partition->Slot(i));
    }
  }
}

Reactor* WorkflowHandler::DescribeTaskQueue(CallContext* ctx,
                                            const ws::DescribeTaskQueueRequest* request,
                                            ws::DescribeTaskQueueResponse* response) {
  auto valid = ValidateDescribeTaskQueue(*request, Limits(*request));
  if (!valid.ok()) return Finished(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  const bool enhanced = request->api_mode() == enums::DESCRIBE_TASK_QUEUE_MODE_ENHANCED;
  std::vector<enums::TaskQueueType> types;
  if (!enhanced) {
    types.push_back(request->task_queue_type() == enums::TASK_QUEUE_TYPE_UNSPECIFIED
                        ? enums::TASK_QUEUE_TYPE_WORKFLOW
                        : request->task_queue_type());
  } else if (request->task_queue_types().empty()) {
    types = {enums::TASK_QUEUE_TYPE_WORKFLOW, enums::TASK_QUEUE_TYPE_ACTIVITY};
  } else {
    for (int type : request->task_queue_types()) {
      types.push_back(static_cast<enums::TaskQueueType>(type));
    }
  }
  ResolveByName(
      request->namespace_(), NamespaceUse::kDefault, FailWith(reactor),
      [this, request, response, reactor, deadline, enhanced, types](const Entry& ns) {
        DescribePartitions(
            ns, request->task_queue(), types, deadline,
            [request, response, reactor, enhanced, types](absl::StatusOr<Descriptions> result) {
              if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
              if (enhanced) {
                auto& info = (*response->mutable_versions_info())[""];
                for (size_t t = 0; t < types.size(); ++t) {
                  auto merged = Merge((*result)[t]);
                  auto& type_info = (*info.mutable_types_info())[types[t]];
                  if (request->report_pollers()) *type_info.mutable_pollers() = merged.pollers();
                  if (request->report_stats()) *type_info.mutable_stats() = Stats(merged);
                }
                return reactor->Finish(grpc::Status::OK);
              }
              auto merged = Merge(result->front());
              *response->mutable_pollers() = merged.pollers();
              if (request->report_stats()) *response->mutable_stats() = Stats(merged);
              if (request->include_task_queue_status()) {
                response->mutable_task_queue_status()->set_backlog_count_hint(
                    merged.backlog_count());
              }
              reactor->Finish(grpc::Status::OK);
            });
      });
  return reactor;
}

Reactor* WorkflowHandler::ListTaskQueuePartitions(CallContext* ctx,
                                                  const ws::ListTaskQueuePartitionsRequest* request,
                                                  ws::ListTaskQueuePartitionsResponse* response) {
  auto valid = ValidateListTaskQueuePartitions(*request, Limits(*request));
  if (!valid.ok()) return Finished(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByName(request->namespace_(), NamespaceUse::kDefault, FailWith(reactor),
                [this, request, response, reactor, deadline](const Entry& ns) {
                  DescribePartitions(
                      ns, request->task_queue(),
                      {enums::TASK_QUEUE_TYPE_WORKFLOW, enums::TASK_QUEUE_TYPE_ACTIVITY}, deadline,
                      [request, response, reactor](absl::StatusOr<Descriptions> result) {
                        if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
                        auto list = [&](const std::vector<PartitionDescription>& parts, auto* out) {
                          for (size_t i = 0; i < parts.size(); ++i) {
                            auto* partition = out->Add();
                            partition->set_key(
                                PartitionName(request->task_queue().name(), static_cast<int>(i)));
                            partition->set_owner_host_name(parts[i].owner_host());
                          }
                        };
                        list((*result)[0], response->mutable_workflow_task_queue_partitions());
                        list((*result)[1], response->mutable_activity_task_queue_partitions());
                        reactor->Finish(grpc::Status::OK);
                      });
                });
  return reactor;
}

}  // namespace tern::frontend
