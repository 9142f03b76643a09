// Child workflows and requests to other workflows: the commands, the transfer tasks that carry
// them out across shards, and the parent's side of a child's close (contract §3.5.5).
#include <spdlog/spdlog.h>

// Older SDKs still send the deprecated `namespace` and `control` fields; the reference server
// reads and copies them, so do we.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "common/errors.h"
#include "services/history/event_state.h"
#include "services/history/history_engine.h"
#include "services/history/visibility_record.h"

namespace tern::history {
namespace {
constexpr auto kCrossWorkflowCallTimeout = std::chrono::seconds(10);

client::CallOptions CallDeadline() {
  client::CallOptions options;
  options.deadline = std::chrono::system_clock::now() + kCrossWorkflowCallTimeout;
  return options;
}

bool SameNamespace(const std::string& requested, const pv1::MutableState& state) {
  return requested.empty() || requested == state.namespace_name();
}

// Request ids derived from the initiating event, so a retried task is deduplicated.
std::string DerivedRequestId(const pv1::MutableState& state, int64_t initiated_event_id) {
  return state.run_id() + ":" + std::to_string(initiated_event_id);
}
}  // namespace

absl::StatusOr<pv1::MutableState> HistoryEngine::Snapshot(Shard& shard, const ExecutionKey& key) {
  auto context = shard.Context(key);
  std::lock_guard lock(context->mu);
  if (!context->record) {
    auto loaded = LoadRecord(shard, key);
    if (!loaded.ok()) return loaded.status();
    context->record = std::move(*loaded);
  }
  return context->record->state;
}

absl::StatusOr<hv1::HistoryEvent> HistoryEngine::ReadEvent(Shard& shard,
                                                          const pv1::MutableState& state,
                                                          int64_t event_id) {
  auto events = shard.executions().ReadHistory(shard.id(), state.namespace_id(), state.workflow_id(),
                                               state.run_id(), event_id, event_id + 1, 1);
  if (!events.ok()) return events.status();
  for (auto& e : *events) {
    if (e.event_id() == event_id) return std::move(e);
  }
  return absl::InternalError("event " + std::to_string(event_id) + " of run " + state.run_id() +
                             " is missing");
}

// ---- commands ----------------------------------------------------------------------------------

std::optional<HistoryEngine::CommandFailure> HistoryEngine::StartChildCommand(
    MutableStateBuilder& ms,
    const temporal::api::command::v1::StartChildWorkflowExecutionCommandAttributes& a, int64_t wtc) {
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES;
  if (a.workflow_id().empty()) return CommandFailure{kBad, "WorkflowId is not set on command."};
  if (a.workflow_type().name().empty()) {
    return CommandFailure{kBad, "WorkflowType is not set on command."};
  }
  if (!SameNamespace(a.namespace_(), ms.state())) {
    return CommandFailure{kBad, "Child workflows in another namespace are not supported."};
  }
  if (!IsValidDuration(a.workflow_execution_timeout()) || !IsValidDuration(a.workflow_run_timeout()) ||
      !IsValidDuration(a.workflow_task_timeout())) {
    return CommandFailure{kBad, "A valid timeout may not be negative."};
  }
  if (auto failure = CheckSearchAttributes(ms.state().namespace_id(), a.search_attributes(),
                                           "StartChildWorkflowExecutionCommand")) {
    return failure;
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
  auto* attrs = event->mutable_start_child_workflow_execution_initiated_event_attributes();
  attrs->set_namespace_(ms.state().namespace_name());
  attrs->set_namespace_id(ms.state().namespace_id());
  attrs->set_workflow_id(a.workflow_id());
  *attrs->mutable_workflow_type() = a.workflow_type();
  attrs->mutable_task_queue()->set_name(a.task_queue().name().empty() ? ms.state().task_queue()
                                                                      : a.task_queue().name());
  attrs->mutable_task_queue()->set_kind(enums::TASK_QUEUE_KIND_NORMAL);
  if (a.has_input()) *attrs->mutable_input() = a.input();
  *attrs->mutable_workflow_execution_timeout() = a.workflow_execution_timeout();
  *attrs->mutable_workflow_run_timeout() = a.workflow_run_timeout();
  *attrs->mutable_workflow_task_timeout() = a.workflow_task_timeout();
  auto policy = a.parent_close_policy() == enums::PARENT_CLOSE_POLICY_UNSPECIFIED
                    ? enums::PARENT_CLOSE_POLICY_TERMINATE
                    : a.parent_close_policy();
  attrs->set_parent_close_policy(policy);
  attrs->set_workflow_task_completed_event_id(wtc);
  attrs->set_workflow_id_reuse_policy(a.workflow_id_reuse_policy());
  if (a.has_retry_policy()) *attrs->mutable_retry_policy() = a.retry_policy();
  attrs->set_cron_schedule(a.cron_schedule());
  if (a.has_header()) *attrs->mutable_header() = a.header();
  if (a.has_memo()) *attrs->mutable_memo() = a.memo();
  if (a.has_search_attributes()) *attrs->mutable_search_attributes() = a.search_attributes();
  if (a.has_priority()) *attrs->mutable_priority() = a.priority();

  RecordChildInitiated(ms.state(), *event);
  auto task = NewTransferTask(ms.state(), pv1::TransferTask::TYPE_START_CHILD);
  task.set_scheduled_event_id(event->event_id());
  ms.AddTransferTask(std::move(task));
  return std::nullopt;
}

std::optional<HistoryEngine::CommandFailure> HistoryEngine::SignalExternalCommand(
    MutableStateBuilder& ms,
    const temporal::api::command::v1::SignalExternalWorkflowExecutionCommandAttributes& a,
    int64_t wtc) {
  constexpr auto kBad = enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES;
  if (a.execution().workflow_id().empty()) {
    return CommandFailure{kBad, "WorkflowId is not set on command."};
  }
  if (a.signal_name().empty()) return CommandFailure{kBad, "SignalName is not set on command."};
  if (!SameNamespace(a.namespace_(), ms.state())) {
    return CommandFailure{kBad, "Signals to another namespace are not supported."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
  auto* attrs = event->mutable_signal_external_workflow_execution_initiated_event_attributes();
  attrs->set_workflow_task_completed_event_id(wtc);
  attrs->set_namespace_(ms.state().namespace_name());
  attrs->set_namespace_id(ms.state().namespace_id());
  *attrs->mutable_workflow_execution() = a.execution();
  attrs->set_signal_name(a.signal_name());
  if (a.has_input()) *attrs->mutable_input() = a.input();
  attrs->set_control(a.control());
  attrs->set_child_workflow_only(a.child_workflow_only());
  if (a.has_header()) *attrs->mutable_header() = a.header();
  RecordExternalRequestInitiated(ms.state(), *event);
  auto task = NewTransferTask(ms.state(), pv1::TransferTask::TYPE_SIGNAL_EXECUTION);
  task.set_scheduled_event_id(event->event_id());
  ms.AddTransferTask(std::move(task));
  return std::nullopt;
}

std::optional<HistoryEngine::CommandFailure> HistoryEngine::CancelExternalCommand(
    MutableStateBuilder& ms,
    const temporal::api::command::v1::RequestCancelExternalWorkflowExecutionCommandAttributes& a,
    int64_t wtc) {
  constexpr auto kBad =
      enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES;
  if (a.workflow_id().empty()) return CommandFailure{kBad, "WorkflowId is not set on command."};
  if (!SameNamespace(a.namespace_(), ms.state())) {
    return CommandFailure{kBad, "Cancellation requests to another namespace are not supported."};
  }
  auto* event = ms.AddEvent(enums::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
  auto* attrs =
      event->mutable_request_cancel_external_workflow_execution_initiated_event_attributes();
  attrs->set_workflow_task_completed_event_id(wtc);
  attrs->set_namespace_(ms.state().namespace_name());
  attrs->set_namespace_id(ms.state().namespace_id());
  attrs->mutable_workflow_execution()->set_workflow_id(a.workflow_id());
  attrs->mutable_workflow_execution()->set_run_id(a.run_id());
  attrs->set_control(a.control());
  attrs->set_child_workflow_only(a.child_workflow_only());
  attrs->set_reason(a.reason());
  RecordExternalRequestInitiated(ms.state(), *event);
  auto task = NewTransferTask(ms.state(), pv1::TransferTask::TYPE_CANCEL_EXECUTION);
  task.set_scheduled_event_id(event->event_id());
  ms.AddTransferTask(std::move(task));
  return std::nullopt;
}

void HistoryEngine::AddCloseTasks(MutableStateBuilder& ms) {
  const auto& state = ms.state();
  if (state.has_parent() && !ms.continued_run()) {
    ms.AddTransferTask(NewTransferTask(state, pv1::TransferTask::TYPE_CLOSE_EXECUTION));
  }
  for (const auto& [id, child] : state.children()) {
    if (child.parent_close_policy() != enums::PARENT_CLOSE_POLICY_ABANDON) {
      ms.AddTransferTask(NewTransferTask(state, pv1::TransferTask::TYPE_PARENT_CLOSE_POLICY));
      break;
    }
  }
}

// ---- transfer tasks ----------------------------------------------------------------------------

void HistoryEngine::StartChild(Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done) {
  blocking_.Post([this, &shard, task, done] {
    ExecutionKey parent_key{task.namespace_id(), task.workflow_id(), task.run_id()};
    auto parent = Snapshot(shard, parent_key);
    if (absl::IsNotFound(parent.status())) return done(absl::OkStatus());
    if (!parent.ok()) return done(parent.status());
    auto it = parent->children().find(task.scheduled_event_id());
    if (parent->status() != enums::WORKFLOW_EXECUTION_STATUS_RUNNING ||
        it == parent->children().end() || it->second.started()) {
      return done(absl::OkStatus());  // already handled, or the parent is gone
    }
    auto initiated = ReadEvent(shard, *parent, task.scheduled_event_id());
    if (!initiated.ok()) return done(initiated.status());
    const auto& a = initiated->start_child_workflow_execution_initiated_event_attributes();
    hs::StartWorkflowExecutionRequest request;
    request.set_namespace_id(parent->namespace_id());
    auto* r = request.mutable_request();
    r->set_namespace_(parent->namespace_name());
    r->set_workflow_id(a.workflow_id());
    *r->mutable_workflow_type() = a.workflow_type();
    *r->mutable_task_queue() = a.task_queue();
    if (a.has_input()) *r->mutable_input() = a.input();
    *r->mutable_workflow_execution_timeout() = a.workflow_execution_timeout();
    *r->mutable_workflow_run_timeout() = a.workflow_run_timeout();
    *r->mutable_workflow_task_timeout() = a.workflow_task_timeout();
    r->set_request_id(DerivedRequestId(*parent, task.scheduled_event_id()));
    r->set_workflow_id_reuse_policy(a.workflow_id_reuse_policy());
    if (a.has_retry_policy()) *r->mutable_retry_policy() = a.retry_policy();
    r->set_cron_schedule(a.cron_schedule());
    if (a.has_memo()) *r->mutable_memo() = a.memo();
    if (a.has_search_attributes()) *r->mutable_search_attributes() = a.search_attributes();
    if (a.has_header()) *r->mutable_header() = a.header();
    if (a.has_priority()) *r->mutable_priority() = a.priority();
    auto* p = request.mutable_parent();
    p->set_namespace_id(parent->namespace_id());
    p->set_namespace_(parent->namespace_name());
    p->set_workflow_id(parent->workflow_id());
    p->set_run_id(parent->run_id());
    p->set_initiated_event_id(task.scheduled_event_id());
    auto root = RootExecution(*parent);
    p->set_root_workflow_id(root.workflow_id());
    p->set_root_run_id(root.run_id());
    history_client_->StartWorkflowExecution(request, CallDeadline(), [this, &shard, task, parent_key,
                                                                      a, done](auto result) {
      blocking_.Post([this, &shard, task, parent_key, a, done, result = std::move(result)] {
        if (!result.ok() && result.status().code() != absl::StatusCode::kAlreadyExists) {
          return done(result.status());
        }
        auto status = Mutate(shard, parent_key, [&](MutableStateBuilder& ms) -> absl::Status {
          auto& children = *ms.state().mutable_children();
          auto it = children.find(task.scheduled_event_id());
          if (!ms.IsRunning() || it == children.end() || it->second.started()) {
            return absl::OkStatus();
          }
          if (result.ok()) {
            auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
            auto* attrs = event->mutable_child_workflow_execution_started_event_attributes();
            attrs->set_namespace_(a.namespace_());
            attrs->set_namespace_id(a.namespace_id());
            attrs->set_initiated_event_id(task.scheduled_event_id());
            attrs->mutable_workflow_execution()->set_workflow_id(a.workflow_id());
            attrs->mutable_workflow_execution()->set_run_id(result->run_id());
            *attrs->mutable_workflow_type() = a.workflow_type();
            if (a.has_header()) *attrs->mutable_header() = a.header();
            it->second.set_started(true);
            it->second.set_started_event_id(event->event_id());
            it->second.set_run_id(result->run_id());
          } else {
            auto* event = ms.AddExternalEvent(enums::EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED);
            auto* attrs = event->mutable_start_child_workflow_execution_failed_event_attributes();
            attrs->set_namespace_(a.namespace_());
            attrs->set_namespace_id(a.namespace_id());
            attrs->set_workflow_id(a.workflow_id());
            *attrs->mutable_workflow_type() = a.workflow_type();
            attrs->set_cause(enums::START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
            attrs->set_initiated_event_id(task.scheduled_event_id());
            attrs->set_workflow_task_completed_event_id(a.workflow_task_completed_event_id());
            children.erase(it);
          }
          ms.ScheduleWorkflowTask();
          return absl::OkStatus();
        });
        done(absl::IsNotFound(status) ? absl::OkStatus() : status);
      });
    });
  });
}

void HistoryEngine::NotifyParent(Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done) {
  blocking_.Post([this, &shard, task, done] {
    auto child = Snapshot(shard, {task.namespace_id(), task.workflow_id(), task.run_id()});
    if (absl::IsNotFound(child.status())) return done(absl::OkStatus());
    if (!child.ok()) return done(child.status());
    auto completion = ReadEvent(shard, *child, child->completion_event_id());
    if (!completion.ok()) return done(completion.status());
    hs::RecordChildExecutionCompletedRequest request;
    request.set_namespace_id(child->parent().namespace_id());
    request.mutable_parent_execution()->set_workflow_id(child->parent().workflow_id());
    request.mutable_parent_execution()->set_run_id(child->parent().run_id());
    request.set_parent_initiated_event_id(child->parent().initiated_event_id());
    request.mutable_child_execution()->set_workflow_id(child->workflow_id());
    request.mutable_child_execution()->set_run_id(child->run_id());
    *request.mutable_completion_event() = std::move(*completion);
    history_client_->RecordChildExecutionCompleted(request, CallDeadline(), [done](auto result) {
      // A parent that is gone no longer cares.
      done(absl::IsNotFound(result.status()) ? absl::OkStatus() : result.status());
    });
  });
}

absl::StatusOr<hs::RecordChildExecutionCompletedResponse>
HistoryEngine::RecordChildExecutionCompleted(const hs::RecordChildExecutionCompletedRequest& request) {
  const auto& parent = request.parent_execution();
  auto shard = ShardFor(request.namespace_id(), parent.workflow_id());
  if (!shard.ok()) return shard.status();
  auto status = Mutate(**shard, {request.namespace_id(), parent.workflow_id(), parent.run_id()},
                       [&](MutableStateBuilder& ms) -> absl::Status {
    auto& children = *ms.state().mutable_children();
    auto it = children.find(request.parent_initiated_event_id());
    if (!ms.IsRunning() || it == children.end()) return absl::OkStatus();
    if (!it->second.started()) {
      // The child closed before the parent recorded its start; the child's task retries.
      return absl::UnavailableError("the parent has not recorded the child's start yet");
    }
    const auto& child = it->second;
    const auto& completion = request.completion_event();
    // The first run of the child's chain, as the parent knows it.
    temporal::api::common::v1::WorkflowExecution execution;
    execution.set_workflow_id(child.workflow_id());
    execution.set_run_id(child.run_id());
    auto fill = [&](auto* attrs) {
      attrs->set_namespace_(child.namespace_());
      attrs->set_namespace_id(child.namespace_id());
      *attrs->mutable_workflow_execution() = execution;
      *attrs->mutable_workflow_type() = child.workflow_type();
      attrs->set_initiated_event_id(child.initiated_event_id());
      attrs->set_started_event_id(child.started_event_id());
    };
    switch (completion.event_type()) {
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
        auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
                          ->mutable_child_workflow_execution_completed_event_attributes();
        fill(attrs);
        const auto& c = completion.workflow_execution_completed_event_attributes();
        if (c.has_result()) *attrs->mutable_result() = c.result();
        break;
      }
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
        auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED)
                          ->mutable_child_workflow_execution_failed_event_attributes();
        fill(attrs);
        const auto& c = completion.workflow_execution_failed_event_attributes();
        *attrs->mutable_failure() = c.failure();
        attrs->set_retry_state(c.retry_state());
        break;
      }
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: {
        auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED)
                          ->mutable_child_workflow_execution_canceled_event_attributes();
        fill(attrs);
        const auto& c = completion.workflow_execution_canceled_event_attributes();
        if (c.has_details()) *attrs->mutable_details() = c.details();
        break;
      }
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: {
        auto* attrs = ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT)
                          ->mutable_child_workflow_execution_timed_out_event_attributes();
        fill(attrs);
        attrs->set_retry_state(completion.workflow_execution_timed_out_event_attributes().retry_state());
        break;
      }
      case enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
        fill(ms.AddExternalEvent(enums::EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED)
                 ->mutable_child_workflow_execution_terminated_event_attributes());
        break;
      }
      default:
        return absl::InvalidArgumentError("not a close event: " +
                                          enums::EventType_Name(completion.event_type()));
    }
    children.erase(it);
    ms.ScheduleWorkflowTask();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return hs::RecordChildExecutionCompletedResponse();
}

void HistoryEngine::DeliverExternalRequest(Shard& shard, const pv1::TransferTask& task,
                                           TransferQueue::Done done) {
  blocking_.Post([this, &shard, task, done] {
    ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
    auto source = Snapshot(shard, key);
    if (absl::IsNotFound(source.status())) return done(absl::OkStatus());
    if (!source.ok()) return done(source.status());
    if (source->status() != enums::WORKFLOW_EXECUTION_STATUS_RUNNING ||
        !source->external_requests().contains(task.scheduled_event_id())) {
      return done(absl::OkStatus());
    }
    auto initiated = ReadEvent(shard, *source, task.scheduled_event_id());
    if (!initiated.ok()) return done(initiated.status());
    temporal::api::common::v1::WorkflowExecution self;
    self.set_workflow_id(source->workflow_id());
    self.set_run_id(source->run_id());
    bool is_signal = task.type() == pv1::TransferTask::TYPE_SIGNAL_EXECUTION;
    temporal::api::common::v1::WorkflowExecution target;
    std::string control;

    // Records the outcome in the source run once the target answered.
    auto record = [this, &shard, key, task, is_signal, done](
                      temporal::api::common::v1::WorkflowExecution target, std::string control,
                      absl::Status outcome) {
      blocking_.Post([=, this, &shard] {
        if (!outcome.ok() && !absl::IsNotFound(outcome)) return done(outcome);
        auto status = Mutate(shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
          auto& pending = *ms.state().mutable_external_requests();
          if (!ms.IsRunning() || !pending.contains(task.scheduled_event_id())) {
            return absl::OkStatus();
          }
          pending.erase(task.scheduled_event_id());
          const auto& ns = ms.state().namespace_name();
          const auto& ns_id = ms.state().namespace_id();
          if (is_signal && outcome.ok()) {
            auto* a = ms.AddExternalEvent(enums::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED)
                          ->mutable_external_workflow_execution_signaled_event_attributes();
            a->set_initiated_event_id(task.scheduled_event_id());
            a->set_namespace_(ns);
            a->set_namespace_id(ns_id);
            *a->mutable_workflow_execution() = target;
            a->set_control(control);
          } else if (is_signal) {
            auto* a = ms.AddExternalEvent(enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
                          ->mutable_signal_external_workflow_execution_failed_event_attributes();
            a->set_cause(enums::SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
            a->set_initiated_event_id(task.scheduled_event_id());
            a->set_namespace_(ns);
            a->set_namespace_id(ns_id);
            *a->mutable_workflow_execution() = target;
            a->set_control(control);
          } else if (outcome.ok()) {
            auto* a = ms.AddExternalEvent(enums::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
                          ->mutable_external_workflow_execution_cancel_requested_event_attributes();
            a->set_initiated_event_id(task.scheduled_event_id());
            a->set_namespace_(ns);
            a->set_namespace_id(ns_id);
            *a->mutable_workflow_execution() = target;
          } else {
            auto* a =
                ms.AddExternalEvent(enums::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
                    ->mutable_request_cancel_external_workflow_execution_failed_event_attributes();
            a->set_cause(enums::CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
            a->set_initiated_event_id(task.scheduled_event_id());
            a->set_namespace_(ns);
            a->set_namespace_id(ns_id);
            *a->mutable_workflow_execution() = target;
            a->set_control(control);
          }
          ms.ScheduleWorkflowTask();
          return absl::OkStatus();
        });
        done(absl::IsNotFound(status) ? absl::OkStatus() : status);
      });
    };

    if (is_signal) {
      const auto& a = initiated->signal_external_workflow_execution_initiated_event_attributes();
      hs::SignalWorkflowExecutionRequest request;
      request.set_namespace_id(source->namespace_id());
      auto* r = request.mutable_request();
      r->set_namespace_(source->namespace_name());
      *r->mutable_workflow_execution() = a.workflow_execution();
      r->set_signal_name(a.signal_name());
      if (a.has_input()) *r->mutable_input() = a.input();
      r->set_request_id(DerivedRequestId(*source, task.scheduled_event_id()));
      if (a.has_header()) *r->mutable_header() = a.header();
      *request.mutable_external_workflow_execution() = self;
      history_client_->SignalWorkflowExecution(
          request, CallDeadline(), [record, target = a.workflow_execution(), control = a.control()](auto result) {
            record(target, control, result.status());
          });
    } else {
      const auto& a =
          initiated->request_cancel_external_workflow_execution_initiated_event_attributes();
      hs::RequestCancelWorkflowExecutionRequest request;
      request.set_namespace_id(source->namespace_id());
      auto* r = request.mutable_request();
      r->set_namespace_(source->namespace_name());
      *r->mutable_workflow_execution() = a.workflow_execution();
      r->set_request_id(DerivedRequestId(*source, task.scheduled_event_id()));
      r->set_reason(a.reason());
      *request.mutable_external_workflow_execution() = self;
      request.set_external_initiated_event_id(task.scheduled_event_id());
      history_client_->RequestCancelWorkflowExecution(
          request, CallDeadline(), [record, target = a.workflow_execution(), control = a.control()](auto result) {
            record(target, control, result.status());
          });
    }
  });
}

void HistoryEngine::ApplyParentClosePolicy(Shard& shard, const pv1::TransferTask& task,
                                           TransferQueue::Done done) {
  blocking_.Post([this, &shard, task, done] {
    auto parent = Snapshot(shard, {task.namespace_id(), task.workflow_id(), task.run_id()});
    if (absl::IsNotFound(parent.status())) return done(absl::OkStatus());
    if (!parent.ok()) return done(parent.status());
    struct Pending {
      std::atomic<int> remaining{1};
      std::mutex mu;
      absl::Status first_error;
    };
    auto pending = std::make_shared<Pending>();
    auto finish_one = [pending, done](absl::Status status) {
      // A child that is already gone needs nothing.
      if (!status.ok() && !absl::IsNotFound(status)) {
        std::lock_guard lock(pending->mu);
        if (pending->first_error.ok()) pending->first_error = status;
      }
      if (--pending->remaining == 0) done(pending->first_error);
    };
    for (const auto& [id, child] : parent->children()) {
      if (!child.started() || child.parent_close_policy() == enums::PARENT_CLOSE_POLICY_ABANDON) {
        continue;
      }
      temporal::api::common::v1::WorkflowExecution execution;
      execution.set_workflow_id(child.workflow_id());
      ++pending->remaining;
      if (child.parent_close_policy() == enums::PARENT_CLOSE_POLICY_TERMINATE) {
        hs::TerminateWorkflowExecutionRequest request;
        request.set_namespace_id(child.namespace_id());
        auto* r = request.mutable_request();
        r->set_namespace_(child.namespace_());
        *r->mutable_workflow_execution() = execution;
        r->set_reason("by parent close policy");
        r->set_first_execution_run_id(child.run_id());
        history_client_->TerminateWorkflowExecution(request, CallDeadline(),
                                                    [finish_one](auto result) { finish_one(result.status()); });
      } else {
        hs::RequestCancelWorkflowExecutionRequest request;
        request.set_namespace_id(child.namespace_id());
        auto* r = request.mutable_request();
        r->set_namespace_(child.namespace_());
        *r->mutable_workflow_execution() = execution;
        r->set_reason("by parent close policy");
        r->set_first_execution_run_id(child.run_id());
        r->set_request_id(DerivedRequestId(*parent, child.initiated_event_id()) + ":close");
        history_client_->RequestCancelWorkflowExecution(
            request, CallDeadline(), [finish_one](auto result) { finish_one(result.status()); });
      }
    }
    finish_one(absl::OkStatus());
  });
}

}  // namespace tern::history
