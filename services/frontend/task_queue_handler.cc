// DescribeTaskQueue: one DescribeTaskQueuePartition per read partition of the queue (a sticky
// queue has one), merged: pollers by identity (latest access, rates summed), backlog counts
// summed, the oldest backlog age. Older clients ask for the backlog through the deprecated
// include_task_queue_status, which is answered too.
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

// Gathers the partitions' answers; the last one to arrive finishes the call.
class PartitionDescriptions {
 public:
  PartitionDescriptions(size_t partitions,
                        client::Callback<ms::DescribeTaskQueuePartitionResponse> done)
      : remaining_(partitions), done_(std::move(done)) {}

  void Add(absl::StatusOr<ms::DescribeTaskQueuePartitionResponse> result) {
    bool last;
    {
      std::lock_guard lock(mu_);
      if (!result.ok()) {
        if (status_.ok()) status_ = result.status();
      } else {
        Merge(*result);
      }
      last = --remaining_ == 0;
    }
    if (!last) return;
    if (!status_.ok()) return done_(status_);
    done_(std::move(merged_));
  }

 private:
  void Merge(const ms::DescribeTaskQueuePartitionResponse& part) {
    merged_.set_backlog_count(merged_.backlog_count() + part.backlog_count());
    if (part.has_backlog_age() &&
        (!merged_.has_backlog_age() || part.backlog_age() > merged_.backlog_age())) {
      *merged_.mutable_backlog_age() = part.backlog_age();
    }
    for (const auto& poller : part.pollers()) {
      auto* pollers = merged_.mutable_pollers();
      auto it = std::find_if(pollers->begin(), pollers->end(), [&](const tq::PollerInfo& p) {
        return p.identity() == poller.identity();
      });
      if (it == pollers->end()) {
        *merged_.add_pollers() = poller;
        continue;
      }
      it->set_rate_per_second(it->rate_per_second() + poller.rate_per_second());
      if (poller.last_access_time() > it->last_access_time()) {
        *it->mutable_last_access_time() = poller.last_access_time();
      }
    }
  }

  std::mutex mu_;
  size_t remaining_;
  absl::Status status_;
  ms::DescribeTaskQueuePartitionResponse merged_;
  client::Callback<ms::DescribeTaskQueuePartitionResponse> done_;
};

}  // namespace

grpc::ServerUnaryReactor* WorkflowHandler::DescribeTaskQueue(
    grpc::CallbackServerContext* ctx, const ws::DescribeTaskQueueRequest* request,
    ws::DescribeTaskQueueResponse* response) {
  auto valid = ValidateDescribeTaskQueue(*request, Limits(*request));
  if (!valid.ok()) return Finished(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByName(
      request->namespace_(), NamespaceUse::kDefault, FailWith(reactor),
      [this, request, response, reactor, deadline](const Entry& ns) {
        const auto& queue = request->task_queue();
        int partitions = queue.kind() == enums::TASK_QUEUE_KIND_STICKY
                             ? 1
                             : config_.dynamic.Get(dc::kMatchingNumTaskqueueReadPartitions,
                                                   ns->info().name(), queue.name());
        auto merged = std::make_shared<PartitionDescriptions>(
            partitions, [request, response,
                         reactor](absl::StatusOr<ms::DescribeTaskQueuePartitionResponse> result) {
              if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
              *response->mutable_pollers() = result->pollers();
              if (request->report_stats()) {
                auto* stats = response->mutable_stats();
                stats->set_approximate_backlog_count(result->backlog_count());
                *stats->mutable_approximate_backlog_age() = result->backlog_age();
              }
              if (request->include_task_queue_status()) {
                response->mutable_task_queue_status()->set_backlog_count_hint(
                    result->backlog_count());
              }
              reactor->Finish(grpc::Status::OK);
            });
        for (int i = 0; i < partitions; ++i) {
          ms::DescribeTaskQueuePartitionRequest internal;
          internal.set_namespace_id(ns->info().id());
          *internal.mutable_task_queue() = queue;
          internal.mutable_task_queue()->set_name(PartitionName(queue.name(), i));
          internal.set_task_queue_type(request->task_queue_type() ==
                                               enums::TASK_QUEUE_TYPE_UNSPECIFIED
                                           ? enums::TASK_QUEUE_TYPE_WORKFLOW
                                           : request->task_queue_type());
          matching_.DescribeTaskQueuePartition(
              internal, client::CallOptions{deadline},
              [merged](absl::StatusOr<ms::DescribeTaskQueuePartitionResponse> result) {
                merged->Add(std::move(result));
              });
        }
      });
  return reactor;
}

}  // namespace tern::frontend
