// TYPE_SIGNAL_EXECUTION and TYPE_CANCEL_EXECUTION: requests from one workflow to another.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "services/history/tasks/tasks.h"

namespace tern::history::tasks {

void DeliverExternalRequest(EngineContext& engine, Shard& shard, const pv1::TransferTask& task,
                            TransferQueue::Done done) {
  engine.blocking().Post([&engine, &shard, task, done] {
    ExecutionKey key{task.namespace_id(), task.workflow_id(), task.run_id()};
    auto source = engine.Snapshot(shard, key);
    if (absl::IsNotFound(source.status())) return done(absl::OkStatus());
    if (!source.ok()) return done(source.status());
    if (source->status() != enums::WORKFLOW_EXECUTION_STATUS_RUNNING ||
        !source->external_requests().contains(task.scheduled_event_id())) {
      return done(absl::OkStatus());
    }
    auto initiated = engine.ReadEvent(shard, *source, task.scheduled_event_id());
    if (!initiated.ok()) return done(initiated.status());
    temporal::api::common::v1::WorkflowExecution self;
    self.set_workflow_id(source->workflow_id());
    self.set_run_id(source->run_id());
    bool is_signal = task.type() == pv1::TransferTask::TYPE_SIGNAL_EXECUTION;
    temporal::api::common::v1::WorkflowExecution target;
    std::string control;

    // Records the outcome in the source run once the target answered.
    auto record = [&engine, &shard, key, task, is_signal, done](
                      temporal::api::common::v1::WorkflowExecution target, std::string control,
                      absl::Status outcome) {
      engine.blocking().Post([=, &engine, &shard] {
        if (!outcome.ok() && !absl::IsNotFound(outcome)) return done(outcome);
        auto status = engine.Mutate(shard, key, [&](MutableStateBuilder& ms) -> absl::Status {
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
            auto* a =
                ms.AddExternalEvent(enums::EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
                    ->mutable_signal_external_workflow_execution_failed_event_attributes();
            a->set_cause(
                enums::
                    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
            a->set_initiated_event_id(task.scheduled_event_id());
            a->set_namespace_(ns);
            a->set_namespace_id(ns_id);
            *a->mutable_workflow_execution() = target;
            a->set_control(control);
          } else if (outcome.ok()) {
            auto* a =
                ms.AddExternalEvent(enums::EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
                    ->mutable_external_workflow_execution_cancel_requested_event_attributes();
            a->set_initiated_event_id(task.scheduled_event_id());
            a->set_namespace_(ns);
            a->set_namespace_id(ns_id);
            *a->mutable_workflow_execution() = target;
          } else {
            auto* a =
                ms.AddExternalEvent(
                      enums::EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
                    ->mutable_request_cancel_external_workflow_execution_failed_event_attributes();
            a->set_cause(
                enums::
                    CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
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
      engine.history().SignalWorkflowExecution(
          request, engine.CallDeadline(kCrossWorkflowCallTimeout),
          [record, target = a.workflow_execution(), control = a.control()](auto result) {
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
      engine.history().RequestCancelWorkflowExecution(
          request, engine.CallDeadline(kCrossWorkflowCallTimeout),
          [record, target = a.workflow_execution(), control = a.control()](auto result) {
            record(target, control, result.status());
          });
    }
  });
}
}  // namespace tern::history::tasks
