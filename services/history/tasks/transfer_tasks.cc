// The transfer task dispatcher; workflow and activity tasks go to matching from here.
#include <random>

#include "common/errors.h"
#include "common/task_queue_names.h"
#include "services/history/tasks/tasks.h"

namespace tern::history::tasks {

namespace {
constexpr auto kMatchingCallTimeout = std::chrono::seconds(10);

int RandomPartition(int partitions) {
  if (partitions <= 1) return 0;
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<int>(0, partitions - 1)(rng);
}
}  // namespace

std::string DerivedRequestId(const pv1::MutableState& state, int64_t initiated_event_id) {
  return state.run_id() + ":" + std::to_string(initiated_event_id);
}

void ExecuteTransferTask(EngineContext& engine, Shard& shard, TransferQueue::TaskRef task_ref,
                         TransferQueue::Done done) {
  const pv1::TransferTask& task = *task_ref;
  auto options = engine.CallDeadline(kMatchingCallTimeout);
  options.caller_returns = true;  // matching answers a sync match at once, on this thread
  int partition =
      task.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY
          ? 0
          : RandomPartition(engine.WritePartitions(task.namespace_id(), task.task_queue()));
  switch (task.type()) {
    case pv1::TransferTask::TYPE_WORKFLOW_TASK: {
      auto request = std::make_shared<tern::matchingservice::v1::AddWorkflowTaskRequest>();
      request->set_namespace_id(task.namespace_id());
      request->mutable_execution()->set_workflow_id(task.workflow_id());
      request->mutable_execution()->set_run_id(task.run_id());
      request->mutable_task_queue()->set_name(PartitionName(task.task_queue(), partition));
      request->mutable_task_queue()->set_kind(task.task_queue_kind());
      request->set_scheduled_event_id(task.scheduled_event_id());
      *request->mutable_schedule_to_start_timeout() = task.schedule_to_start_timeout();
      engine.matching().AddWorkflowTask(
          *request, client::HandOver(options, request),
          [&engine, &shard, task_ref, done = std::move(done)](auto result) mutable {
            if (!IsStickyWorkerUnavailable(result.status())) return done(result.status());
            // Nobody polled the sticky queue lately (or its worker shut down): use the normal
            // queue.
            engine.blocking().Post([&engine, &shard, task_ref, done = std::move(done)] {
              const pv1::TransferTask& task = *task_ref;
              ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
              done(engine.Mutate(shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
                const auto& wft = ms.state().workflow_task();
                if (ms.IsRunning() && wft.scheduled_event_id() == task.scheduled_event_id() &&
                    wft.started_event_id() == 0 &&
                    wft.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY) {
                  ms.MoveWorkflowTaskToNormalQueue();
                }
                return absl::OkStatus();
              }));
            });
          });
      return;
    }
    case pv1::TransferTask::TYPE_ACTIVITY_TASK: {
      auto request = std::make_shared<tern::matchingservice::v1::AddActivityTaskRequest>();
      request->set_namespace_id(task.namespace_id());
      request->mutable_execution()->set_workflow_id(task.workflow_id());
      request->mutable_execution()->set_run_id(task.run_id());
      request->mutable_task_queue()->set_name(PartitionName(task.task_queue(), partition));
      request->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
      request->set_scheduled_event_id(task.scheduled_event_id());
      *request->mutable_schedule_to_start_timeout() = task.schedule_to_start_timeout();
      engine.matching().AddActivityTask(
          *request, client::HandOver(options, request),
          [done = std::move(done)](auto result) { done(result.status()); });
      return;
    }
    case pv1::TransferTask::TYPE_START_CHILD:
      return StartChild(engine, shard, task, std::move(done));
    case pv1::TransferTask::TYPE_CLOSE_EXECUTION:
      return NotifyParent(engine, shard, task, std::move(done));
    case pv1::TransferTask::TYPE_SIGNAL_EXECUTION:
    case pv1::TransferTask::TYPE_CANCEL_EXECUTION:
      return DeliverExternalRequest(engine, shard, task, std::move(done));
    case pv1::TransferTask::TYPE_PARENT_CLOSE_POLICY:
      return ApplyParentClosePolicy(engine, shard, task, std::move(done));
    case pv1::TransferTask::TYPE_UPSERT_VISIBILITY:
      return UpsertVisibility(engine, shard, task, std::move(done));
    default:
      done(absl::OkStatus());
  }
}

}  // namespace tern::history::tasks
