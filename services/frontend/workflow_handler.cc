#include "services/frontend/workflow_handler.h"

#include "common/errors.h"
#include "common/ids.h"
#include "common/task_token.h"
#include "services/frontend/routing.h"
#include "visibility/payloads.h"

namespace tern::frontend {
namespace {

namespace dc = tern::dynamicconfig;
namespace hs = tern::historyservice::v1;
namespace ms = tern::matchingservice::v1;

template <typename Resp>
void FinishWith(grpc::ServerUnaryReactor* reactor, Resp* response, absl::StatusOr<Resp> result) {
  if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
  *response = std::move(*result);
  reactor->Finish(grpc::Status::OK);
}

template <typename Resp>
client::Callback<Resp> Reply(grpc::ServerUnaryReactor* reactor, Resp* response) {
  return [reactor, response](absl::StatusOr<Resp> result) {
    FinishWith(reactor, response, std::move(result));
  };
}

std::function<void(const absl::Status&)> FailWith(grpc::ServerUnaryReactor* reactor) {
  return [reactor](const absl::Status& status) { reactor->Finish(ToGrpcStatus(status)); };
}

grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

ws::GetSystemInfoResponse SystemInfo() {
  ws::GetSystemInfoResponse out;
  out.set_server_version(kServerVersion);
  auto* caps = out.mutable_capabilities();
  caps->set_signal_and_query_header(true);
  caps->set_activity_failure_include_heartbeat(true);
  caps->set_encoded_failure_attributes(true);
  caps->set_sdk_metadata(true);
  return out;
}

WorkflowHandler::WorkflowHandler(const Config& config, std::shared_ptr<NamespaceCache> cache,
                                 std::shared_ptr<NamespaceHandler> namespaces,
                                 client::HistoryClient& history, client::MatchingClient& matching,
                                 Executor& blocking_executor, PollRegistry& polls,
                                 const Clock& clock, Random random,
                                 std::shared_ptr<VisibilityHandler> visibility)
    : config_(config),
      cache_(std::move(cache)),
      namespaces_(std::move(namespaces)),
      history_(history),
      matching_(matching),
      blocking_(blocking_executor),
      polls_(polls),
      clock_(clock),
      random_(std::move(random)),
      visibility_(std::move(visibility)) {}

// ---- helpers
// -------------------------------------------------------------------------------------

void WorkflowHandler::ResolveByName(const std::string& name, NamespaceUse use, Fail fail,
                                    Then then) {
  cache_->GetByName(
      name, [use, fail = std::move(fail), then = std::move(then)](absl::StatusOr<Entry> ns) {
        if (!ns.ok()) return fail(ns.status());
        if (auto st = CheckNamespaceState(**ns, use); !st.ok()) return fail(st);
        then(*ns);
      });
}

void WorkflowHandler::ResolveByToken(const persistence::v1::TaskToken& token,
                                     const std::string& request_ns, Fail fail, Then then) {
  cache_->GetById(token.namespace_id(), [request_ns, fail = std::move(fail),
                                         then = std::move(then)](absl::StatusOr<Entry> ns) {
    if (!ns.ok()) return fail(ns.status());
    if (auto st = CheckTokenNamespace(request_ns, **ns); !st.ok()) return fail(st);
    if (auto st = CheckNamespaceState(**ns, NamespaceUse::kDefault); !st.ok()) return fail(st);
    then(*ns);
  });
}

template <typename Resp, typename Fn>
grpc::ServerUnaryReactor* WorkflowHandler::RunBlocking(grpc::CallbackServerContext* ctx,
                                                       Resp* response, Fn fn) {
  auto* reactor = ctx->DefaultReactor();
  blocking_.Post([reactor, response, fn = std::move(fn)] { FinishWith(reactor, response, fn()); });
  return reactor;
}

template <typename Req, typename Internal, typename Resp>
grpc::ServerUnaryReactor* WorkflowHandler::ForwardByName(
    grpc::CallbackServerContext* ctx, const Req* request, Resp* response, absl::Status valid,
    NamespaceUse use, HistoryMethod<Internal, Resp> method,
    std::function<absl::Status(const Entry&, Internal&)> adjust,
    std::type_identity_t<std::function<void(const Entry&, Resp&)>> transform) {
  if (!valid.ok()) return Finished(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByName(
      request->namespace_(), use, FailWith(reactor),
      [this, request, response, reactor, deadline, method, adjust, transform](const Entry& ns) {
        Internal internal;
        internal.set_namespace_id(ns->info().id());
        *internal.mutable_request() = *request;
        if (adjust) {
          if (auto st = adjust(ns, internal); !st.ok()) return reactor->Finish(ToGrpcStatus(st));
        }
        client::Callback<Resp> reply = Reply(reactor, response);
        if (transform) {
          reply = [reactor, response, transform, ns](absl::StatusOr<Resp> result) {
            if (result.ok()) transform(ns, *result);
            FinishWith(reactor, response, std::move(result));
          };
        }
        (history_.*method)(internal, client::CallOptions{deadline}, std::move(reply));
      });
  return reactor;
}

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* WorkflowHandler::ForwardToVisibility(
    grpc::CallbackServerContext* ctx, const Req* request, Resp* response,
    absl::StatusOr<Resp> (VisibilityHandler::*method)(const persistence::v1::NamespaceRecord&,
                                                      const Req&)) {
  auto valid = ValidateNamespaceName(request->namespace_(), Limits(*request).max_id_length);
  if (!valid.ok()) return Finished(ctx, valid);
  if (!visibility_) return Finished(ctx, absl::UnimplementedError("visibility is not configured"));
  auto* reactor = ctx->DefaultReactor();
  ResolveByName(request->namespace_(), NamespaceUse::kDefault, FailWith(reactor),
                [this, request, response, reactor, method](const Entry& ns) {
                  blocking_.Post([this, request, response, reactor, method, ns] {
                    FinishWith(reactor, response, ((*visibility_).*method)(*ns, *request));
                  });
                });
  return reactor;
}

template <typename Req, typename Internal, typename Resp>
grpc::ServerUnaryReactor* WorkflowHandler::ForwardByToken(
    grpc::CallbackServerContext* ctx, const Req* request, Resp* response,
    absl::StatusOr<persistence::v1::TaskToken> token, HistoryMethod<Internal, Resp> method) {
  if (!token.ok()) return Finished(ctx, token.status());
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByToken(*token, request->namespace_(), FailWith(reactor),
                 [this, request, response, reactor, deadline, method](const Entry& ns) {
                   Internal internal;
                   internal.set_namespace_id(ns->info().id());
                   *internal.mutable_request() = *request;
                   internal.mutable_request()->set_namespace_(ns->info().name());
                   (history_.*method)(internal, client::CallOptions{deadline},
                                      Reply(reactor, response));
                 });
  return reactor;
}

template <typename ByIdReq, typename ByIdResp, typename Internal, typename Resp>
grpc::ServerUnaryReactor* WorkflowHandler::ForwardById(
    grpc::CallbackServerContext* ctx, const ByIdReq* request, ByIdResp* response,
    HistoryMethod<Internal, Resp> method,
    std::function<void(const ByIdReq&, Internal&)> to_internal,
    std::function<void(const Resp&, ByIdResp*)> to_response) {
  auto valid = ValidateActivityById(request->namespace_(), request->workflow_id(),
                                    request->run_id(), request->activity_id(), Limits(*request));
  if (!valid.ok()) return Finished(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByName(request->namespace_(), NamespaceUse::kDefault, FailWith(reactor),
                [this, request, response, reactor, deadline, method, to_internal,
                 to_response](const Entry& ns) {
                  persistence::v1::TaskToken token;
                  token.set_namespace_id(ns->info().id());
                  token.set_workflow_id(request->workflow_id());
                  token.set_run_id(request->run_id());
                  token.set_activity_id(request->activity_id());
                  Internal internal;
                  internal.set_namespace_id(ns->info().id());
                  to_internal(*request, internal);
                  internal.mutable_request()->set_task_token(EncodeTaskToken(token));
                  internal.mutable_request()->set_namespace_(ns->info().name());
                  (history_.*method)(internal, client::CallOptions{deadline},
                                     [reactor, response, to_response](absl::StatusOr<Resp> result) {
                                       if (result.ok()) to_response(*result, response);
                                       reactor->Finish(ToGrpcStatus(result.status()));
                                     });
                });
  return reactor;
}

grpc::ServerUnaryReactor* WorkflowHandler::GetWorkflowExecutionHistoryReverse(
    grpc::CallbackServerContext* ctx, const ws::GetWorkflowExecutionHistoryReverseRequest* request,
    ws::GetWorkflowExecutionHistoryReverseResponse* response) {
  return ForwardByName<ws::GetWorkflowExecutionHistoryReverseRequest,
                       hs::GetWorkflowExecutionHistoryReverseRequest>(
      ctx, request, response,
      ValidateGetWorkflowExecutionHistoryReverse(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::GetWorkflowExecutionHistoryReverse);
}

grpc::ServerUnaryReactor* WorkflowHandler::DeleteWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::DeleteWorkflowExecutionRequest* request,
    ws::DeleteWorkflowExecutionResponse* response) {
  return ForwardByName<ws::DeleteWorkflowExecutionRequest, hs::DeleteWorkflowExecutionRequest>(
      ctx, request, response, ValidateDeleteWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::DeleteWorkflowExecution);
}

grpc::ServerUnaryReactor* WorkflowHandler::ResetWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::ResetWorkflowExecutionRequest* request,
    ws::ResetWorkflowExecutionResponse* response) {
  return ForwardByName<ws::ResetWorkflowExecutionRequest, hs::ResetWorkflowExecutionRequest>(
      ctx, request, response, ValidateResetWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::ResetWorkflowExecution);
}

grpc::ServerUnaryReactor* WorkflowHandler::ResetStickyTaskQueue(
    grpc::CallbackServerContext* ctx, const ws::ResetStickyTaskQueueRequest* request,
    ws::ResetStickyTaskQueueResponse* response) {
  return ForwardByName<ws::ResetStickyTaskQueueRequest, hs::ResetStickyTaskQueueRequest>(
      ctx, request, response, ValidateResetStickyTaskQueue(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::ResetStickyTaskQueue);
}

grpc::ServerUnaryReactor* WorkflowHandler::RespondActivityTaskCompletedById(
    grpc::CallbackServerContext* ctx, const ws::RespondActivityTaskCompletedByIdRequest* request,
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

grpc::ServerUnaryReactor* WorkflowHandler::RespondActivityTaskFailedById(
    grpc::CallbackServerContext* ctx, const ws::RespondActivityTaskFailedByIdRequest* request,
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

grpc::ServerUnaryReactor* WorkflowHandler::RespondActivityTaskCanceledById(
    grpc::CallbackServerContext* ctx, const ws::RespondActivityTaskCanceledByIdRequest* request,
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

grpc::ServerUnaryReactor* WorkflowHandler::RecordActivityTaskHeartbeatById(
    grpc::CallbackServerContext* ctx, const ws::RecordActivityTaskHeartbeatByIdRequest* request,
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

template <typename Req, typename Internal, typename Resp>
grpc::ServerUnaryReactor* WorkflowHandler::Poll(grpc::CallbackServerContext* ctx,
                                                const Req* request, Resp* response,
                                                absl::Status valid,
                                                MatchingMethod<Internal, Resp> method) {
  auto reactor = CallReactor::Create(&polls_);
  if (!valid.ok()) {
    reactor->TryFinish(ToGrpcStatus(valid));
    return reactor.get();
  }
  const std::string& queue = request->task_queue().name();
  auto deadline = PollDeadline(
      clock_.Now(), ctx->deadline(),
      config_.dynamic.Get(dc::kMatchingLongPollExpirationInterval, request->namespace_(), queue));
  // Shutting down, or too little time left to wait: the empty response, at once.
  if (!deadline || !polls_.Add(reactor.get())) {
    reactor->TryFinish(grpc::Status::OK);
    return reactor.get();
  }
  // Built now: `request` dies with the call, which shutdown may finish before the namespace
  // lookup returns.
  auto internal = std::make_shared<Internal>();
  internal->set_poller_id(NewUuid());
  *internal->mutable_poll_request() = *request;
  int partitions =
      config_.dynamic.Get(dc::kMatchingNumTaskqueueReadPartitions, request->namespace_(), queue);
  internal->mutable_poll_request()->mutable_task_queue()->set_name(
      PickPartition(request->task_queue(), partitions, random_()));

  auto fail = [reactor](const absl::Status& status) { reactor->TryFinish(ToGrpcStatus(status)); };
  ResolveByName(request->namespace_(), NamespaceUse::kDefault, fail,
                [this, reactor, response, internal, deadline = *deadline, method](const Entry& ns) {
                  if (reactor->claimed()) return;  // answered by shutdown meanwhile
                  internal->set_namespace_id(ns->info().id());
                  (matching_.*method)(*internal,
                                      client::CallOptions{deadline, true, reactor->handle()},
                                      [reactor, response](absl::StatusOr<Resp> result) {
                                        if (!reactor->Claim()) return;
                                        if (result.ok()) {
                                          *response = std::move(*result);
                                          return reactor->Finish(grpc::Status::OK);
                                        }
                                        // No task before the deadline, or the worker went away: an
                                        // empty poll, never an error (contract §5.2).
                                        auto code = result.status().code();
                                        if (code == absl::StatusCode::kDeadlineExceeded ||
                                            code == absl::StatusCode::kCancelled) {
                                          return reactor->Finish(grpc::Status::OK);
                                        }
                                        reactor->Finish(ToGrpcStatus(result.status()));
                                      });
                });
  return reactor.get();
}

// ---- system and namespaces
// -----------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkflowHandler::GetSystemInfo(grpc::CallbackServerContext* ctx,
                                                         const ws::GetSystemInfoRequest*,
                                                         ws::GetSystemInfoResponse* response) {
  *response = SystemInfo();
  return Finished(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* WorkflowHandler::RegisterNamespace(
    grpc::CallbackServerContext* ctx, const ws::RegisterNamespaceRequest* request,
    ws::RegisterNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Register(*request); });
}

grpc::ServerUnaryReactor* WorkflowHandler::DescribeNamespace(
    grpc::CallbackServerContext* ctx, const ws::DescribeNamespaceRequest* request,
    ws::DescribeNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Describe(*request); });
}

grpc::ServerUnaryReactor* WorkflowHandler::ListNamespaces(grpc::CallbackServerContext* ctx,
                                                          const ws::ListNamespacesRequest* request,
                                                          ws::ListNamespacesResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->List(*request); });
}

grpc::ServerUnaryReactor* WorkflowHandler::UpdateNamespace(
    grpc::CallbackServerContext* ctx, const ws::UpdateNamespaceRequest* request,
    ws::UpdateNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Update(*request); });
}

grpc::ServerUnaryReactor* WorkflowHandler::DeprecateNamespace(
    grpc::CallbackServerContext* ctx, const ws::DeprecateNamespaceRequest* request,
    ws::DeprecateNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Deprecate(*request); });
}

// ---- workflows
// -----------------------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkflowHandler::StartWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::StartWorkflowExecutionRequest* request,
    ws::StartWorkflowExecutionResponse* response) {
  return ForwardByName<ws::StartWorkflowExecutionRequest, hs::StartWorkflowExecutionRequest>(
      ctx, request, response, ValidateStartWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kStart, &client::HistoryClient::StartWorkflowExecution,
      [](const Entry& ns, hs::StartWorkflowExecutionRequest& internal) {
        // History deduplicates retried starts by request id, so every start needs one.
        if (internal.request().request_id().empty()) {
          internal.mutable_request()->set_request_id(NewUuid());
        }
        return visibility::ValidateSearchAttributes(internal.request().search_attributes(),
                                                    persistence::CustomSearchAttributesOf(*ns));
      });
}

template <typename Req, typename Internal, typename Resp>
grpc::ServerUnaryReactor* WorkflowHandler::ForwardLongPoll(grpc::CallbackServerContext* ctx,
                                                           const Req* request, Resp* response,
                                                           absl::Status valid, bool wait,
                                                           HistoryMethod<Internal, Resp> method) {
  if (!valid.ok()) return Finished(ctx, valid);
  // Cancellable: a client that gives up on a long poll releases the history call too.
  auto reactor = CallReactor::Create(nullptr);
  auto internal = std::make_shared<Internal>();
  *internal->mutable_request() = *request;
  auto now = clock_.Now();
  TimePoint deadline = CallDeadline(now, ctx->deadline());
  if constexpr (requires { internal->mutable_long_poll_timeout(); }) {
    if (wait) {
      auto timing = HistoryLongPollTiming(
          now, ctx->deadline(),
          config_.dynamic.Get(dc::kHistoryLongPollExpirationInterval, request->namespace_()));
      *internal->mutable_long_poll_timeout() = ToProtoDuration(timing.wait);
      deadline = timing.deadline;
    }
  }
  auto fail = [reactor](const absl::Status& status) { reactor->TryFinish(ToGrpcStatus(status)); };
  ResolveByName(request->namespace_(), NamespaceUse::kDefault, fail,
                [this, reactor, response, internal, deadline, method](const Entry& ns) {
                  internal->set_namespace_id(ns->info().id());
                  (history_.*method)(*internal,
                                     client::CallOptions{deadline, true, reactor->handle()},
                                     [reactor, response](absl::StatusOr<Resp> result) {
                                       if (!reactor->Claim()) return;
                                       FinishWith<Resp>(reactor.get(), response, std::move(result));
                                     });
                });
  return reactor.get();
}

grpc::ServerUnaryReactor* WorkflowHandler::GetWorkflowExecutionHistory(
    grpc::CallbackServerContext* ctx, const ws::GetWorkflowExecutionHistoryRequest* request,
    ws::GetWorkflowExecutionHistoryResponse* response) {
  return ForwardLongPoll<ws::GetWorkflowExecutionHistoryRequest,
                         hs::GetWorkflowExecutionHistoryRequest>(
      ctx, request, response, ValidateGetWorkflowExecutionHistory(*request, Limits(*request)),
      request->wait_new_event(), &client::HistoryClient::GetWorkflowExecutionHistory);
}

grpc::ServerUnaryReactor* WorkflowHandler::UpdateWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::UpdateWorkflowExecutionRequest* request,
    ws::UpdateWorkflowExecutionResponse* response) {
  return ForwardLongPoll<ws::UpdateWorkflowExecutionRequest, hs::UpdateWorkflowExecutionRequest>(
      ctx, request, response, ValidateUpdateWorkflowExecution(*request, Limits(*request)), true,
      &client::HistoryClient::UpdateWorkflowExecution);
}

grpc::ServerUnaryReactor* WorkflowHandler::PollWorkflowExecutionUpdate(
    grpc::CallbackServerContext* ctx, const ws::PollWorkflowExecutionUpdateRequest* request,
    ws::PollWorkflowExecutionUpdateResponse* response) {
  return ForwardLongPoll<ws::PollWorkflowExecutionUpdateRequest,
                         hs::PollWorkflowExecutionUpdateRequest>(
      ctx, request, response, ValidatePollWorkflowExecutionUpdate(*request, Limits(*request)), true,
      &client::HistoryClient::PollWorkflowExecutionUpdate);
}

grpc::ServerUnaryReactor* WorkflowHandler::DescribeWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::DescribeWorkflowExecutionRequest* request,
    ws::DescribeWorkflowExecutionResponse* response) {
  return ForwardByName<ws::DescribeWorkflowExecutionRequest, hs::DescribeWorkflowExecutionRequest>(
      ctx, request, response, ValidateDescribeWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::DescribeWorkflowExecution, nullptr,
      [](const Entry& ns, ws::DescribeWorkflowExecutionResponse& described) {
        // The SDK's typedSearchAttributes needs each payload's type.
        auto* info = described.mutable_workflow_execution_info();
        if (info->has_search_attributes()) {
          visibility::SetSearchAttributeTypes(*info->mutable_search_attributes(),
                                              persistence::CustomSearchAttributesOf(*ns));
        }
      });
}

grpc::ServerUnaryReactor* WorkflowHandler::SignalWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::SignalWorkflowExecutionRequest* request,
    ws::SignalWorkflowExecutionResponse* response) {
  return ForwardByName<ws::SignalWorkflowExecutionRequest, hs::SignalWorkflowExecutionRequest>(
      ctx, request, response, ValidateSignalWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::SignalWorkflowExecution);
}

grpc::ServerUnaryReactor* WorkflowHandler::SignalWithStartWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::SignalWithStartWorkflowExecutionRequest* request,
    ws::SignalWithStartWorkflowExecutionResponse* response) {
  return ForwardByName<ws::SignalWithStartWorkflowExecutionRequest,
                       hs::SignalWithStartWorkflowExecutionRequest>(
      ctx, request, response, ValidateSignalWithStartWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kStart, &client::HistoryClient::SignalWithStartWorkflowExecution,
      [](const Entry& ns, hs::SignalWithStartWorkflowExecutionRequest& internal) {
        if (internal.request().request_id().empty()) {
          internal.mutable_request()->set_request_id(NewUuid());
        }
        return visibility::ValidateSearchAttributes(internal.request().search_attributes(),
                                                    persistence::CustomSearchAttributesOf(*ns));
      });
}

grpc::ServerUnaryReactor* WorkflowHandler::RequestCancelWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::RequestCancelWorkflowExecutionRequest* request,
    ws::RequestCancelWorkflowExecutionResponse* response) {
  return ForwardByName<ws::RequestCancelWorkflowExecutionRequest,
                       hs::RequestCancelWorkflowExecutionRequest>(
      ctx, request, response, ValidateRequestCancelWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::RequestCancelWorkflowExecution);
}

grpc::ServerUnaryReactor* WorkflowHandler::QueryWorkflow(grpc::CallbackServerContext* ctx,
                                                         const ws::QueryWorkflowRequest* request,
                                                         ws::QueryWorkflowResponse* response) {
  // No server-side soft timeout: history waits for the run, then matching for a worker, until
  // the caller's deadline (kDefaultCallTimeout if it set none); a caller that gives up cancels
  // the history call.
  return ForwardLongPoll<ws::QueryWorkflowRequest, hs::QueryWorkflowRequest>(
      ctx, request, response, ValidateQueryWorkflow(*request, Limits(*request)),
      /*wait=*/false, &client::HistoryClient::QueryWorkflow);
}

grpc::ServerUnaryReactor* WorkflowHandler::TerminateWorkflowExecution(
    grpc::CallbackServerContext* ctx, const ws::TerminateWorkflowExecutionRequest* request,
    ws::TerminateWorkflowExecutionResponse* response) {
  return ForwardByName<ws::TerminateWorkflowExecutionRequest,
                       hs::TerminateWorkflowExecutionRequest>(
      ctx, request, response, ValidateTerminateWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::TerminateWorkflowExecution);
}

// ---- visibility
// --------------------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkflowHandler::ListWorkflowExecutions(
    grpc::CallbackServerContext* ctx, const ws::ListWorkflowExecutionsRequest* request,
    ws::ListWorkflowExecutionsResponse* response) {
  return ForwardToVisibility(ctx, request, response, &VisibilityHandler::List);
}

grpc::ServerUnaryReactor* WorkflowHandler::ScanWorkflowExecutions(
    grpc::CallbackServerContext* ctx, const ws::ScanWorkflowExecutionsRequest* request,
    ws::ScanWorkflowExecutionsResponse* response) {
  return ForwardToVisibility(ctx, request, response, &VisibilityHandler::Scan);
}

grpc::ServerUnaryReactor* WorkflowHandler::CountWorkflowExecutions(
    grpc::CallbackServerContext* ctx, const ws::CountWorkflowExecutionsRequest* request,
    ws::CountWorkflowExecutionsResponse* response) {
  return ForwardToVisibility(ctx, request, response, &VisibilityHandler::Count);
}

grpc::ServerUnaryReactor* WorkflowHandler::ListOpenWorkflowExecutions(
    grpc::CallbackServerContext* ctx, const ws::ListOpenWorkflowExecutionsRequest* request,
    ws::ListOpenWorkflowExecutionsResponse* response) {
  return ForwardToVisibility(ctx, request, response, &VisibilityHandler::ListOpen);
}

grpc::ServerUnaryReactor* WorkflowHandler::ListClosedWorkflowExecutions(
    grpc::CallbackServerContext* ctx, const ws::ListClosedWorkflowExecutionsRequest* request,
    ws::ListClosedWorkflowExecutionsResponse* response) {
  return ForwardToVisibility(ctx, request, response, &VisibilityHandler::ListClosed);
}

grpc::ServerUnaryReactor* WorkflowHandler::GetSearchAttributes(
    grpc::CallbackServerContext* ctx, const ws::GetSearchAttributesRequest*,
    ws::GetSearchAttributesResponse* response) {
  if (!visibility_) return Finished(ctx, absl::UnimplementedError("visibility is not configured"));
  *response = visibility_->GetSearchAttributes();
  return Finished(ctx, absl::OkStatus());
}

// ---- workers
// -------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkflowHandler::PollWorkflowTaskQueue(
    grpc::CallbackServerContext* ctx, const ws::PollWorkflowTaskQueueRequest* request,
    ws::PollWorkflowTaskQueueResponse* response) {
  return Poll<ws::PollWorkflowTaskQueueRequest, ms::PollWorkflowTaskQueueRequest>(
      ctx, request, response, ValidatePollWorkflowTaskQueue(*request, Limits(*request)),
      &client::MatchingClient::PollWorkflowTaskQueue);
}

grpc::ServerUnaryReactor* WorkflowHandler::PollActivityTaskQueue(
    grpc::CallbackServerContext* ctx, const ws::PollActivityTaskQueueRequest* request,
    ws::PollActivityTaskQueueResponse* response) {
  return Poll<ws::PollActivityTaskQueueRequest, ms::PollActivityTaskQueueRequest>(
      ctx, request, response, ValidatePollActivityTaskQueue(*request, Limits(*request)),
      &client::MatchingClient::PollActivityTaskQueue);
}

grpc::ServerUnaryReactor* WorkflowHandler::RespondWorkflowTaskCompleted(
    grpc::CallbackServerContext* ctx, const ws::RespondWorkflowTaskCompletedRequest* request,
    ws::RespondWorkflowTaskCompletedResponse* response) {
  return ForwardByToken<ws::RespondWorkflowTaskCompletedRequest,
                        hs::RespondWorkflowTaskCompletedRequest>(
      ctx, request, response, ValidateRespondWorkflowTaskCompleted(*request, Limits(*request)),
      &client::HistoryClient::RespondWorkflowTaskCompleted);
}

grpc::ServerUnaryReactor* WorkflowHandler::RespondWorkflowTaskFailed(
    grpc::CallbackServerContext* ctx, const ws::RespondWorkflowTaskFailedRequest* request,
    ws::RespondWorkflowTaskFailedResponse* response) {
  return ForwardByToken<ws::RespondWorkflowTaskFailedRequest, hs::RespondWorkflowTaskFailedRequest>(
      ctx, request, response, ValidateRespondWorkflowTaskFailed(*request, Limits(*request)),
      &client::HistoryClient::RespondWorkflowTaskFailed);
}

grpc::ServerUnaryReactor* WorkflowHandler::RespondActivityTaskCompleted(
    grpc::CallbackServerContext* ctx, const ws::RespondActivityTaskCompletedRequest* request,
    ws::RespondActivityTaskCompletedResponse* response) {
  return ForwardByToken<ws::RespondActivityTaskCompletedRequest,
                        hs::RespondActivityTaskCompletedRequest>(
      ctx, request, response, ValidateRespondActivityTaskCompleted(*request, Limits(*request)),
      &client::HistoryClient::RespondActivityTaskCompleted);
}

grpc::ServerUnaryReactor* WorkflowHandler::RespondActivityTaskFailed(
    grpc::CallbackServerContext* ctx, const ws::RespondActivityTaskFailedRequest* request,
    ws::RespondActivityTaskFailedResponse* response) {
  return ForwardByToken<ws::RespondActivityTaskFailedRequest, hs::RespondActivityTaskFailedRequest>(
      ctx, request, response, ValidateRespondActivityTaskFailed(*request, Limits(*request)),
      &client::HistoryClient::RespondActivityTaskFailed);
}

grpc::ServerUnaryReactor* WorkflowHandler::RespondActivityTaskCanceled(
    grpc::CallbackServerContext* ctx, const ws::RespondActivityTaskCanceledRequest* request,
    ws::RespondActivityTaskCanceledResponse* response) {
  return ForwardByToken<ws::RespondActivityTaskCanceledRequest,
                        hs::RespondActivityTaskCanceledRequest>(
      ctx, request, response, ValidateRespondActivityTaskCanceled(*request, Limits(*request)),
      &client::HistoryClient::RespondActivityTaskCanceled);
}

grpc::ServerUnaryReactor* WorkflowHandler::RecordActivityTaskHeartbeat(
    grpc::CallbackServerContext* ctx, const ws::RecordActivityTaskHeartbeatRequest* request,
    ws::RecordActivityTaskHeartbeatResponse* response) {
  return ForwardByToken<ws::RecordActivityTaskHeartbeatRequest,
                        hs::RecordActivityTaskHeartbeatRequest>(
      ctx, request, response, ValidateRecordActivityTaskHeartbeat(*request, Limits(*request)),
      &client::HistoryClient::RecordActivityTaskHeartbeat);
}

grpc::ServerUnaryReactor* WorkflowHandler::RespondQueryTaskCompleted(
    grpc::CallbackServerContext* ctx, const ws::RespondQueryTaskCompletedRequest* request,
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
                       internal, client::CallOptions{deadline},
                       [reactor](absl::StatusOr<ms::RespondQueryTaskCompletedResponse> result) {
                         reactor->Finish(ToGrpcStatus(result.status()));
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* WorkflowHandler::ShutdownWorker(grpc::CallbackServerContext* ctx,
                                                          const ws::ShutdownWorkerRequest* request,
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
                      internal, client::CallOptions{deadline},
                      [reactor](absl::StatusOr<ms::ReleaseStickyTaskQueueResponse> result) {
                        reactor->Finish(ToGrpcStatus(result.status()));
                      });
                });
  return reactor;
}

}  // namespace tern::frontend
