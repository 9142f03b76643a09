// Transfer and timer task executors. Every executor checks the mutable state first: a task
// can run again after a crash, or be overtaken by events, and must then do nothing.
#include <random>

#include <spdlog/spdlog.h>

#include "common/errors.h"
#include "common/task_queue_names.h"
#include "services/history/history_engine.h"

namespace tern::history {
namespace {
constexpr auto kMatchingCallTimeout = std::chrono::seconds(10);

int RandomPartition(int partitions) {
  if (partitions <= 1) return 0;
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<int>(0, partitions - 1)(rng);
}
}  // namespace

void HistoryEngine::ExecuteTransferTask(Shard& shard, const pv1::TransferTask& task,
                                        TransferQueue::Done done) {
  client::CallOptions options;
  options.deadline = std::chrono::system_clock::now() + kMatchingCallTimeout;
  int partition = task.task_queue_kind() == enums::TASK_QUEUE_KIND_STICKY
                      ? 0
                      : RandomPartition(config_.dynamic_config.matching_num_task_queue_partitions);
  switch (task.type()) {
    case pv1::TransferTask::TYPE_WORKFLOW_TASK: {
      tern::matchingservice::v1::AddWorkflowTaskRequest request;
      request.set_namespace_id(task.namespace_id());
      request.mutable_execution()->set_workflow_id(task.workflow_id());
      request.mutable_execution()->set_run_id(task.run_id());
      request.mutable_task_queue()->set_name(PartitionName(task.task_queue(), partition));
      request.mutable_task_queue()->set_kind(task.task_queue_kind());
      request.set_scheduled_event_id(task.scheduled_event_id());
      *request.mutable_schedule_to_start_timeout() = task.schedule_to_start_timeout();
      matching_.AddWorkflowTask(request, options, [this, &shard, task, done](auto result) {
        if (!IsStickyWorkerUnavailable(result.status())) return done(result.status());
        // Nobody polled the sticky queue lately (or its worker shut down): use the normal queue.
        blocking_.Post([this, &shard, task, done] {
          ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
          done(Mutate(shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
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
      tern::matchingservice::v1::AddActivityTaskRequest request;
      request.set_namespace_id(task.namespace_id());
      request.mutable_execution()->set_workflow_id(task.workflow_id());
      request.mutable_execution()->set_run_id(task.run_id());
      request.mutable_task_queue()->set_name(PartitionName(task.task_queue(), partition));
      request.mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
      request.set_scheduled_event_id(task.scheduled_event_id());
      *request.mutable_schedule_to_start_timeout() = task.schedule_to_start_timeout();
      matching_.AddActivityTask(request, options, [done](auto result) { done(result.status()); });
      return;
    }
    case pv1::TransferTask::TYPE_START_CHILD:
      return StartChild(shard, task, std::move(done));
    case pv1::TransferTask::TYPE_CLOSE_EXECUTION:
      return NotifyParent(shard, task, std::move(done));
    case pv1::TransferTask::TYPE_SIGNAL_EXECUTION:
    case pv1::TransferTask::TYPE_CANCEL_EXECUTION:
      return DeliverExternalRequest(shard, task, std::move(done));
    case pv1::TransferTask::TYPE_PARENT_CLOSE_POLICY:
      return ApplyParentClosePolicy(shard, task, std::move(done));
    case pv1::TransferTask::TYPE_UPSERT_VISIBILITY:
      return UpsertVisibility(shard, task, std::move(done));
    default:
      done(absl::OkStatus());
  }
}

absl::Status HistoryEngine::ExecuteTimerTask(Shard& shard, const pv1::TimerTask& task) {
  if (task.type() == pv1::TimerTask::TYPE_DELETE_EXECUTION) return DeleteExecution(shard, task);
  ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
  auto status = Mutate(shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
    if (!ms.IsRunning()) return absl::OkStatus();
    switch (task.type()) {
      case pv1::TimerTask::TYPE_USER_TIMER: {
        auto& timers = *ms.state().mutable_timers();
        auto it = timers.find(task.timer_id());
        if (it == timers.end() || it->second.started_event_id() != task.event_id()) break;
        auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_TIMER_FIRED);
        auto* attrs = event->mutable_timer_fired_event_attributes();
        attrs->set_timer_id(task.timer_id());
        attrs->set_started_event_id(task.event_id());
        timers.erase(it);
        ms.ScheduleWorkflowTask();
        break;
      }
      case pv1::TimerTask::TYPE_ACTIVITY_TIMEOUT: {
        auto& activities = *ms.state().mutable_activities();
        auto it = activities.find(task.event_id());
        if (it == activities.end()) break;
        auto& activity = it->second;
        auto type = static_cast<enums::TimeoutType>(task.timeout_type());
        bool applies = false;
        switch (type) {
          case enums::TIMEOUT_TYPE_SCHEDULE_TO_START:
            applies = !activity.started() && activity.attempt() == task.attempt();
            break;
          case enums::TIMEOUT_TYPE_START_TO_CLOSE:
            applies = activity.started() && activity.attempt() == task.attempt();
            break;
          case enums::TIMEOUT_TYPE_HEARTBEAT: {
            if (!activity.started() || activity.attempt() != task.attempt()) break;
            auto last = activity.has_last_heartbeat_time() ? FromProto(activity.last_heartbeat_time())
                                                           : FromProto(activity.started_time());
            auto deadline = last + std::chrono::duration_cast<TimePoint::duration>(
                                       FromProto(activity.heartbeat_timeout()));
            if (deadline > ms.now()) {
              // A heartbeat arrived since this timer was set: wait for the new deadline.
              auto next = task;
              *next.mutable_fire_time() = ToProto(deadline);
              ms.AddTimerTask(std::move(next));
              break;
            }
            applies = true;
            break;
          }
          case enums::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
            applies = true;
            break;
          default:
            break;
        }
        if (!applies) break;
        temporal::api::failure::v1::Failure failure;
        std::string name = enums::TimeoutType_Name(type);
        failure.set_message("activity " + name.substr(std::string("TIMEOUT_TYPE_").size()) +
                            " timeout");
        auto* info = failure.mutable_timeout_failure_info();
        info->set_timeout_type(type);
        if (activity.has_last_heartbeat_details()) {
          *info->mutable_last_heartbeat_details() = activity.last_heartbeat_details();
        }
        if (activity.has_last_failure()) *failure.mutable_cause() = activity.last_failure();
        FailActivity(ms, activity.scheduled_event_id(), failure, nullptr, "", /*timeout=*/true);
        break;
      }
      case pv1::TimerTask::TYPE_ACTIVITY_RETRY: {
        auto& activities = *ms.state().mutable_activities();
        auto it = activities.find(task.event_id());
        if (it == activities.end() || it->second.started() ||
            it->second.attempt() != task.attempt()) {
          break;
        }
        *it->second.mutable_current_attempt_scheduled_time() = ToProto(ms.now());
        DispatchActivity(ms, it->second);
        ms.MarkDirty();
        break;
      }
      case pv1::TimerTask::TYPE_WORKFLOW_TASK_TIMEOUT: {
        const auto& wft = ms.state().workflow_task();
        if (task.timeout_type() == enums::TIMEOUT_TYPE_SCHEDULE_TO_START) {
          // The sticky worker did not take the task: record it, forget the sticky queue and
          // schedule the task again on the normal queue (with full history).
          if (wft.scheduled_event_id() != task.event_id() || wft.started_event_id() != 0 ||
              wft.task_queue_kind() != enums::TASK_QUEUE_KIND_STICKY) {
            break;
          }
          int64_t scheduled = wft.scheduled_event_id();
          if (wft.type() == pv1::WORKFLOW_TASK_TYPE_NORMAL) {
            auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
            auto* attrs = event->mutable_workflow_task_timed_out_event_attributes();
            attrs->set_scheduled_event_id(scheduled);
            attrs->set_timeout_type(enums::TIMEOUT_TYPE_SCHEDULE_TO_START);
          }
          ms.state().clear_sticky_task_queue();
          ms.ClearWorkflowTask();
          ms.ScheduleWorkflowTask(1);
          break;
        }
        if (wft.scheduled_event_id() != task.event_id() || wft.attempt() != task.attempt() ||
            wft.started_event_id() == 0) {
          break;
        }
        TimeoutWorkflowTask(ms);
        break;
      }
      case pv1::TimerTask::TYPE_WORKFLOW_RUN_TIMEOUT:
      case pv1::TimerTask::TYPE_WORKFLOW_EXECUTION_TIMEOUT: {
        const auto& wft = ms.state().workflow_task();
        if (ms.HasStartedWorkflowTask() && wft.type() == pv1::WORKFLOW_TASK_TYPE_NORMAL) {
          auto* failed = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
          auto* attrs = failed->mutable_workflow_task_failed_event_attributes();
          attrs->set_scheduled_event_id(wft.scheduled_event_id());
          attrs->set_started_event_id(wft.started_event_id());
          attrs->set_cause(enums::WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND);
        }
        // A run timeout retries per the workflow's retry policy; the execution deadline never.
        enums::RetryState retry_state = enums::RETRY_STATE_TIMEOUT;
        std::shared_ptr<MutableStateBuilder> retry;
        if (task.type() == pv1::TimerTask::TYPE_WORKFLOW_RUN_TIMEOUT) {
          temporal::api::failure::v1::Failure failure;
          failure.set_message("workflow run timed out");
          failure.mutable_timeout_failure_info()->set_timeout_type(enums::TIMEOUT_TYPE_START_TO_CLOSE);
          auto next = RetryRun(shard, ms, failure, &retry_state);
          if (!next.ok()) return next.status();
          retry = *next;
        }
        auto* event = ms.AddEvent(enums::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
        auto* attrs = event->mutable_workflow_execution_timed_out_event_attributes();
        attrs->set_retry_state(retry_state);
        if (retry) attrs->set_new_execution_run_id(retry->state().run_id());
        ms.CloseExecution(enums::WORKFLOW_EXECUTION_STATUS_TIMED_OUT, event->event_id());
        if (retry) ms.SetContinuedRun(std::move(retry));
        break;
      }
      case pv1::TimerTask::TYPE_WORKFLOW_BACKOFF: {
        // The first workflow task of a run whose start was delayed (cron, retry, start delay).
        if (ms.HasPendingWorkflowTask() || ms.state().last_completed_workflow_task_started_event_id() != 0) {
          break;
        }
        ms.ScheduleWorkflowTask(1);
        break;
      }
      default:
        break;
    }
    return absl::OkStatus();
  });
  // The run is gone (deleted): nothing to do.
  if (absl::IsNotFound(status)) return absl::OkStatus();
  return status;
}

}  // namespace tern::history
