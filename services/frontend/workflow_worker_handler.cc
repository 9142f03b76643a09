#include "services/frontend/workflow_handler_forward.h"

// The RPCs workers call: task polls, task completions, heartbeats, query answers, shutdown.

namespace tern::frontend {

Reactor* WorkflowHandler::RespondActivityTaskCompletedById(
    CallContext* ctx, const ws::RespondActivityTaskCompletedByIdRequest* request,
    ws::RespondActivityTaskCompletedByIdResponse* response) {
  return ForwardById<
      ws::RespondActivityTaskCompletedByIdRequest, ws::RespondActivityTaskCompletedByIdResponse,
      hs::RespondActivityTaskCompletedRequest, ws::RespondActivityTaskCompletedResponse>(
      ctx, request, response, &client::HistoryClient::RespondActivityTaskCompleted,
      [](const auto& r, auto& internal) {
        if (r.has_result()) *internal.mutable_request()->mutable_result() = r.result();
        internal.mutable_request()->set_identity(r.identity());
      },
      [](const auto&, auto*) {});
}

Reactor* WorkflowHandler::RespondActivityTaskFailedById(
    CallContext* ctx, const ws::RespondActivityTaskFailedByIdRequest* request,
    ws::RespondActivityTaskFailedByIdResponse* response) {
  return ForwardById<ws::RespondActivityTaskFailedByIdRequest,
                     ws::RespondActivityTaskFailedByIdResponse,
                     hs::RespondActivityTaskFailedRequest, ws::RespondActivityTaskFailedResponse>(
      ctx, request, response, &client::HistoryClient::RespondActivityTaskFailed,
      [](const auto& r, auto& internal) {
        if (r.has_failure()) *internal.mutable_request()->mutable_failure() = r.failure();
        if (r.has_last_heartbeat_details()) {
          *internal.mutable_request()->mutable_last_heartbeat_details() =
              r.last_heartbeat_details();
        }
        internal.mutable_request()->set_identity(r.identity());
      },
      [](const auto&, auto*) {});
}

Reactor* WorkflowHandler::RespondActivityTaskCanceledById(
    CallContext* ctx, const ws::RespondActivityTaskCanceledByIdRequest* request,
    ws::RespondActivityTaskCanceledByIdResponse* response) {
  return ForwardById<
      ws::RespondActivityTaskCanceledByIdRequest, ws::RespondActivityTaskCanceledByIdResponse,
      hs::RespondActivityTaskCanceledRequest, ws::RespondActivityTaskCanceledResponse>(
      ctx, request, response, &client::HistoryClient::RespondActivityTaskCanceled,
      [](const auto& r, auto& internal) {
        if (r.has_details()) *internal.mutable_request()->mutable_details() = r.details();
        internal.mutable_request()->set_identity(r.identity());
      },
      [](const auto&, auto*) {});
}

Reactor* WorkflowHandler::RecordActivityTaskHeartbeatById(
    CallContext* ctx, const ws::RecordActivityTaskHeartbeatByIdRequest* request,
    ws::RecordActivityTaskHeartbeatByIdResponse* response) {
  return ForwardById<
      ws::RecordActivityTaskHeartbeatByIdRequest, ws::RecordActivityTaskHeartbeatByIdResponse,
      hs::RecordActivityTaskHeartbeatRequest, ws::RecordActivityTaskHeartbeatResponse>(
      ctx, request, response, &client::HistoryClient::RecordActivityTaskHeartbeat,
      [](const auto& r, auto& internal) {
        if (r.has_details()) *internal.mutable_request()->mutable_details() = r.details();
        internal.mutable_request()->set_identity(r.identity());
      },
      [](const ws::RecordActivityTaskHeartbeatResponse& in, auto* out) {
        out->set_cancel_requested(in.cancel_requested());
      });
}

// ---- workers
// -------------------------------------------------------------------------------------

Reactor* WorkflowHandler::PollWorkflowTaskQueue(CallContext* ctx,
                                                const ws::PollWorkflowTaskQueueRequest* request,
                                                ws::PollWorkflowTaskQueueResponse* response) {
  return Poll<ws::PollWorkflowTaskQueueRequest, ms::PollWorkflowTaskQueueRequest>(
      ctx, request, response, ValidatePollWorkflowTaskQueue(*request, Limits(*request)),
      &client::MatchingClient::PollWorkflowTaskQueue);
}

Reactor* WorkflowHandler::PollActivityTaskQueue(CallContext* ctx,
                                                const ws::PollActivityTaskQueueRequest* request,
                                                ws::PollActivityTaskQueueResponse* response) {
  return Poll<ws::PollActivityTaskQueueRequest, ms::PollActivityTaskQueueRequest>(
      ctx, request, response, ValidatePollActivityTaskQueue(*request, Limits(*request)),
      &client::MatchingClient::PollActivityTaskQueue);
}

Reactor* WorkflowHandler::RespondWorkflowTaskCompleted(
    CallContext* ctx, const ws::RespondWorkflowTaskCompletedRequest* request,
    ws::RespondWorkflowTaskCompletedResponse* response) {
  return ForwardByToken<ws::RespondWorkflowTaskCompletedRequest,
                        hs::RespondWorkflowTaskCompletedRequest>(
      ctx, request, response, ValidateRespondWorkflowTaskCompleted(*request, Limits(*request)),
      &client::HistoryClient::RespondWorkflowTaskCompleted);
}

Reactor* WorkflowHandler::RespondWorkflowTaskFailed(
    CallContext* ctx, const ws::RespondWorkflowTaskFailedRequest* request,
    ws::RespondWorkflowTaskFailedResponse* response) {
  return ForwardByToken<ws::RespondWorkflowTaskFailedRequest, hs::RespondWorkflowTaskFailedRequest>(
      ctx, request, response, ValidateRespondWorkflowTaskFailed(*request, Limits(*request)),
      &client::HistoryClient::RespondWorkflowTaskFailed);
}

Reactor* WorkflowHandler::RespondActivityTaskCompleted(
    CallContext* ctx, const ws::RespondActivityTaskCompletedRequest* request,
    ws::RespondActivityTaskCompletedResponse* response) {
  return ForwardByToken<ws::RespondActivityTaskCompletedRequest,
                        hs::RespondActivityTaskCompletedRequest>(
      ctx, request, response, ValidateRespondActivityTaskCompleted(*request, Limits(*request)),
      &client::HistoryClient::RespondActivityTaskCompleted);
}

Reactor* WorkflowHandler::RespondActivityTaskFailed(
    CallContext* ctx, const ws::RespondActivityTaskFailedRequest* request,
    ws::RespondActivityTaskFailedResponse* response) {
  return ForwardByToken<ws::RespondActivityTaskFailedRequest, hs::RespondActivityTaskFailedRequest>(
      ctx, request, response, ValidateRespondActivityTaskFailed(*request, Limits(*request)),
      &client::HistoryClient::RespondActivityTaskFailed);
}

Reactor* WorkflowHandler::RespondActivityTaskCanceled(
    CallContext* ctx, const ws::RespondActivityTaskCanceledRequest* request,
    ws::RespondActivityTaskCanceledResponse* response) {
  return ForwardByToken<ws::RespondActivityTaskCanceledRequest,
                        hs::RespondActivityTaskCanceledRequest>(
      ctx, request, response, ValidateRespondActivityTaskCanceled(*request, Limits(*request)),
      &client::HistoryClient::RespondActivityTaskCanceled);
}

Reactor* WorkflowHandler::RecordActivityTaskHeartbeat(
    CallContext* ctx, const ws::RecordActivityTaskHeartbeatRequest* request,
    ws::RecordActivityTaskHeartbeatResponse* response) {
  return ForwardByToken<ws::RecordActivityTaskHeartbeatRequest,
                        hs::RecordActivityTaskHeartbeatRequest>(
      ctx, request, response, ValidateRecordActivityTaskHeartbeat(*request, Limits(*request)),
      &client::HistoryClient::RecordActivityTaskHeartbeat);
}

Reactor* WorkflowHandler::RespondQueryTaskCompleted(
    CallContext* ctx, const ws::RespondQueryTaskCompletedRequest* request,
    ws::RespondQueryTaskCompletedResponse* /*response: always empty*/) {
  auto token = ValidateRespondQueryTaskCompleted(*request, Limits(*request));
  if (!token.ok()) return Finished(ctx, token.status());
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  // The answer goes to the matching partition that dispatched the query (named in the token).
  ResolveByToken(*token, request->namespace_(), FailWith(reactor),
                 [this, request, reactor, deadline, token = *token](const Entry& ns) {
                   ms::RespondQueryTaskCompletedRequest internal;
                   internal.set_namespace_id(ns->info().id());
                   internal.mutable_task_queue()->set_name(token.query_task_queue());
                   internal.set_query_id(token.query_id());
                   *internal.mutable_request() = *request;
                   internal.mutable_request()->set_namespace_(ns->info().name());
                   matching_.RespondQueryTaskCompleted(
                       internal, forwarded_.Options(deadline),
                       [reactor](absl::StatusOr<ms::RespondQueryTaskCompletedResponse> result) {
                         reactor->Finish(ToGrpcStatus(result.status()));
                       });
                 });
  return reactor;
}

Reactor* WorkflowHandler::ShutdownWorker(CallContext* ctx, const ws::ShutdownWorkerRequest* request,
                                         ws::ShutdownWorkerResponse*) {
  auto valid = ValidateShutdownWorker(*request, Limits(*request));
  if (!valid.ok() || request->sticky_task_queue().empty()) return Finished(ctx, valid);
  // The worker's sticky queue is released so its runs' next tasks go to the normal queue at once.
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByName(request->namespace_(), NamespaceUse::kDefault, FailWith(reactor),
                [this, request, reactor, deadline](const Entry& ns) {
                  ms::ReleaseStickyTaskQueueRequest internal;
                  internal.set_namespace_id(ns->info().id());
                  internal.set_task_queue(request->sticky_task_queue());
                  matching_.ReleaseStickyTaskQueue(
                      internal, forwarded_.Options(deadline),
                      [reactor](absl::StatusOr<ms::ReleaseStickyTaskQueueResponse> result) {
                        reactor->Finish(ToGrpcStatus(result.status()));
                      });
                });
  return reactor;
}

}  // namespace tern::frontend
