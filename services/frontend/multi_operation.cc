// ExecuteMultiOperation: update-with-start (the SDKs' executeUpdateWithStart /
// UpdateWithStartWorkflow). The operations must be exactly [StartWorkflow, UpdateWorkflow] on
// one workflow id. The start runs first (its conflict policy decides whether a running workflow
// is used), then the update is sent to the run the start named, and waits for its stage as
// UpdateWorkflowExecution does. Errors come as Temporal sends them: the code of the operation
// that failed, "MultiOperation could not be executed.", and a MultiOperationExecutionFailure
// with one status per operation (OK for a start that happened, ABORTED "Operation was aborted."
// for one that never ran).
#include "common/errors.h"
#include "services/frontend/workflow_handler.h"
#include "services/frontend/workflow_handler_forward.h"
#include "temporal/api/errordetails/v1/message.pb.h"

namespace tern::frontend {
namespace {

namespace details = temporal::api::errordetails::v1;
using OperationStatus = details::MultiOperationExecutionFailure::OperationStatus;

OperationStatus StatusOf(const absl::Status& status) {
  OperationStatus out;
  out.set_code(static_cast<int32_t>(status.code()));
  out.set_message(std::string(status.message()));
  status.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = out.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return out;
}

OperationStatus Aborted() {
  OperationStatus out;
  out.set_code(static_cast<int32_t>(absl::StatusCode::kAborted));
  out.set_message("Operation was aborted.");
  return out;
}

// The error of a multi-operation whose operation `failed_index` failed with `failed`; the start
// before it (if any) succeeded, the operations after it were aborted.
absl::Status MultiOperationError(int failed_index, const absl::Status& failed) {
  details::MultiOperationExecutionFailure failure;
  for (int i = 0; i < 2; ++i) {
    if (i < failed_index) {
      failure.add_statuses()->set_code(static_cast<int32_t>(absl::StatusCode::kOk));
    } else if (i == failed_index) {
      *failure.add_statuses() = StatusOf(failed);
    } else {
      *failure.add_statuses() = Aborted();
    }
  }
  return WithDetail(absl::Status(failed.code(), "MultiOperation could not be executed."), failure);
}

// Which operation of the request is wrong, and why; nullopt when the shape is right.
std::optional<std::pair<int, absl::Status>> CheckShape(const ws::ExecuteMultiOperationRequest& r,
                                                       const RequestLimits& limits) {
  if (r.operations_size() != 2 || !r.operations(0).has_start_workflow() ||
      !r.operations(1).has_update_workflow()) {
    return std::pair(0,
                     absl::InvalidArgumentError("Operations have to be exactly [Start, Update]."));
  }
  const auto& start = r.operations(0).start_workflow();
  const auto& update = r.operations(1).update_workflow();
  if (auto valid = ValidateStartWorkflowExecution(start, limits); !valid.ok()) {
    return std::pair(0, valid);
  }
  if (!start.cron_schedule().empty()) {
    return std::pair(
        0, absl::InvalidArgumentError("Cron schedules are not allowed in an update-with-start."));
  }
  if (start.has_workflow_start_delay() && !IsZero(start.workflow_start_delay())) {
    return std::pair(
        0, absl::InvalidArgumentError("A start delay is not allowed in an update-with-start."));
  }
  if (start.namespace_() != r.namespace_() || update.namespace_() != r.namespace_()) {
    return std::pair(
        0, absl::InvalidArgumentError("Every operation must use the namespace of the request."));
  }
  if (auto valid = ValidateUpdateWorkflowExecution(update, limits); !valid.ok()) {
    return std::pair(1, valid);
  }
  if (update.workflow_execution().workflow_id() != start.workflow_id()) {
    return std::pair(1,
                     absl::InvalidArgumentError("The operations must have the same workflow id."));
  }
  if (!update.workflow_execution().run_id().empty() || !update.first_execution_run_id().empty()) {
    return std::pair(
        1, absl::InvalidArgumentError("The update of an update-with-start cannot name a run."));
  }
  return std::nullopt;
}

}  // namespace

Reactor* WorkflowHandler::ExecuteMultiOperation(CallContext* ctx,
                                                const ws::ExecuteMultiOperationRequest* request,
                                                ws::ExecuteMultiOperationResponse* response) {
  if (auto valid = ValidateNamespaceName(request->namespace_(), Limits(*request).max_id_length);
      !valid.ok()) {
    return Finished(ctx, valid);
  }
  if (auto wrong = CheckShape(*request, Limits(*request))) {
    return Finished(ctx, MultiOperationError(wrong->first, wrong->second));
  }
  // Cancellable like UpdateWorkflowExecution: a client that gives up releases the history calls.
  auto reactor = CallReactor::Create(*ctx, nullptr);
  forwarded_.Track(reactor->handle());
  const auto now = clock_.Now();
  const TimePoint start_deadline = CallDeadline(now, ctx->deadline());
  const auto timing = HistoryLongPollTiming(
      now, ctx->deadline(),
      config_.dynamic.Get(dc::kHistoryLongPollExpirationInterval, request->namespace_()));
  auto fail = [reactor](const absl::Status& status) { reactor->TryFinish(ToGrpcStatus(status)); };
  ResolveByName(
      request->namespace_(), NamespaceUse::kStart, fail,
      [this, reactor, request, response, start_deadline, timing](const Entry& ns) {
        hs::StartWorkflowExecutionRequest start;
        start.set_namespace_id(ns->info().id());
        *start.mutable_request() = request->operations(0).start_workflow();
        start.mutable_request()->set_namespace_(ns->info().name());
        start.mutable_request()->set_request_eager_execution(false);
        auto update = std::make_shared<hs::UpdateWorkflowExecutionRequest>();
        update->set_namespace_id(ns->info().id());
        *update->mutable_request() = request->operations(1).update_workflow();
        update->mutable_request()->set_namespace_(ns->info().name());
        *update->mutable_long_poll_timeout() = ToProtoDuration(timing.wait);
        history_.StartWorkflowExecution(
            start, client::CallOptions{start_deadline, true, reactor->handle()},
            [this, reactor, response, update,
             timing](absl::StatusOr<ws::StartWorkflowExecutionResponse> started) {
              if (!started.ok()) {
                if (reactor->Claim()) {
                  reactor->Finish(ToGrpcStatus(MultiOperationError(0, started.status())));
                }
                return;
              }
              update->mutable_request()->mutable_workflow_execution()->set_run_id(
                  started->run_id());
              history_.UpdateWorkflowExecution(
                  *update, client::CallOptions{timing.deadline, true, reactor->handle()},
                  [reactor, response, started = *std::move(started)](
                      absl::StatusOr<ws::UpdateWorkflowExecutionResponse> done) {
                    // Only the Claim() winner may touch the response.
                    if (!reactor->Claim()) return;
                    if (!done.ok()) {
                      reactor->Finish(ToGrpcStatus(MultiOperationError(1, done.status())));
                      return;
                    }
                    *response->add_responses()->mutable_start_workflow() = started;
                    *response->add_responses()->mutable_update_workflow() = *std::move(done);
                    reactor->Finish(grpc::Status::OK);
                  });
            });
      });
  return reactor.get();
}

}  // namespace tern::frontend
