// Internal to services/frontend: the request plumbing the WorkflowHandler RPCs share (answer a
// reactor from a result, run on the blocking executor, resolve a namespace or task token and
// forward to history, matching or visibility). Included by workflow_handler.cc and
// workflow_worker_handler.cc only.
#pragma once

#include <functional>

#include "common/errors.h"
#include "common/ids.h"
#include "common/task_token.h"
#include "services/frontend/routing.h"
#include "services/frontend/workflow_handler.h"

namespace tern::frontend {

namespace dc = tern::dynamicconfig;
namespace hs = tern::historyservice::v1;
namespace ms = tern::matchingservice::v1;

namespace handler_internal {

template <typename Resp>
void FinishWith(Reactor* reactor, Resp* response, absl::StatusOr<Resp> result) {
  if (!result.ok()) return reactor->Finish(ToGrpcStatus(result.status()));
  *response = std::move(*result);
  reactor->Finish(grpc::Status::OK);
}

template <typename Resp>
client::Callback<Resp> Reply(Reactor* reactor, Resp* response) {
  return [reactor, response](absl::StatusOr<Resp> result) {
    FinishWith(reactor, response, std::move(result));
  };
}

inline std::function<void(const absl::Status&)> FailWith(Reactor* reactor) {
  return [reactor](const absl::Status& status) { reactor->Finish(ToGrpcStatus(status)); };
}

inline Reactor* Finished(CallContext* ctx, const absl::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace handler_internal

using handler_internal::FailWith;
using handler_internal::Finished;
using handler_internal::FinishWith;
using handler_internal::Reply;

template <typename Resp, typename Fn>
Reactor* WorkflowHandler::RunBlocking(CallContext* ctx, Resp* response, Fn fn) {
  auto* reactor = ctx->DefaultReactor();
  blocking_.Post([reactor, response, fn = std::move(fn)] { FinishWith(reactor, response, fn()); });
  return reactor;
}

template <typename Req, typename Internal, typename Resp>
Reactor* WorkflowHandler::ForwardByName(
    CallContext* ctx, const Req* request, Resp* response, absl::Status valid, NamespaceUse use,
    HistoryMethod<Internal, Resp> method,
    std::function<absl::Status(const Entry&, Internal&)> adjust,
    std::type_identity_t<std::function<void(const Entry&, Resp&)>> transform) {
  if (!valid.ok()) return Finished(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByName(
      request->namespace_(), use, FailWith(reactor),
      [this, request, response, reactor, deadline, method, adjust, transform](const Entry& ns) {
        auto internal = std::make_shared<Internal>();
        internal->set_namespace_id(ns->info().id());
        *internal->mutable_request() = *request;
        if (adjust) {
          if (auto st = adjust(ns, *internal); !st.ok()) return reactor->Finish(ToGrpcStatus(st));
        }
        client::Callback<Resp> reply = Reply(reactor, response);
        if (transform) {
          reply = [reactor, response, transform, ns](absl::StatusOr<Resp> result) {
            if (result.ok()) transform(ns, *result);
            FinishWith(reactor, response, std::move(result));
          };
        }
        (history_.*method)(*internal, client::HandOver(forwarded_.Options(deadline), internal),
                           std::move(reply));
      });
  return reactor;
}

template <typename Handler, typename Req, typename Resp>
Reactor* WorkflowHandler::RunOnStore(
    CallContext* ctx, const Req* request, Resp* response, const std::shared_ptr<Handler>& handler,
    absl::StatusOr<Resp> (Handler::*method)(const persistence::v1::NamespaceRecord&, const Req&),
    NamespaceUse use) {
  auto valid = ValidateNamespaceName(request->namespace_(), Limits(*request).max_id_length);
  if (!valid.ok()) return Finished(ctx, valid);
  if (!handler) return Finished(ctx, absl::UnimplementedError("no store serves this call"));
  auto* reactor = ctx->DefaultReactor();
  ResolveByName(request->namespace_(), use, FailWith(reactor),
                [this, request, response, reactor, handler, method](const Entry& ns) {
                  blocking_.Post([request, response, reactor, handler, method, ns] {
                    FinishWith(reactor, response, ((*handler).*method)(*ns, *request));
                  });
                });
  return reactor;
}

template <typename Req, typename Internal, typename Resp>
Reactor* WorkflowHandler::ForwardByToken(CallContext* ctx, const Req* request, Resp* response,
                                         absl::StatusOr<persistence::v1::TaskToken> token,
                                         HistoryMethod<Internal, Resp> method) {
  if (!token.ok()) return Finished(ctx, token.status());
  auto* reactor = ctx->DefaultReactor();
  auto deadline = CallDeadline(clock_.Now(), ctx->deadline());
  ResolveByToken(*token, request->namespace_(), FailWith(reactor),
                 [this, request, response, reactor, deadline, method](const Entry& ns) {
                   auto internal = std::make_shared<Internal>();
                   internal->set_namespace_id(ns->info().id());
                   *internal->mutable_request() = *request;
                   internal->mutable_request()->set_namespace_(ns->info().name());
                   (history_.*method)(*internal,
                                      client::HandOver(forwarded_.Options(deadline), internal),
                                      Reply(reactor, response));
                 });
  return reactor;
}

template <typename ByIdReq, typename ByIdResp, typename Internal, typename Resp>
Reactor* WorkflowHandler::ForwardById(CallContext* ctx, const ByIdReq* request, ByIdResp* response,
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
                  auto internal = std::make_shared<Internal>();
                  internal->set_namespace_id(ns->info().id());
                  to_internal(*request, *internal);
                  internal->mutable_request()->set_task_token(EncodeTaskToken(token));
                  internal->mutable_request()->set_namespace_(ns->info().name());
                  (history_.*method)(*internal,
                                     client::HandOver(forwarded_.Options(deadline), internal),
                                     [reactor, response, to_response](absl::StatusOr<Resp> result) {
                                       if (result.ok()) to_response(*result, response);
                                       reactor->Finish(ToGrpcStatus(result.status()));
                                     });
                });
  return reactor;
}

template <typename Req, typename Internal, typename Resp>
Reactor* WorkflowHandler::Poll(CallContext* ctx, const Req* request, Resp* response,
                               absl::Status valid, MatchingMethod<Internal, Resp> method) {
  auto reactor = CallReactor::Create(*ctx, &polls_);
  if (!valid.ok()) {
    reactor->TryFinish(ToGrpcStatus(valid));
    return reactor.get();
  }
  if (!HoldLongPollSlot(*reactor, request->namespace_())) return reactor.get();
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
                  (matching_.*method)(
                      *internal, client::HandOver({deadline, true, reactor->handle()}, internal),
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

template <typename Req, typename Internal, typename Resp>
Reactor* WorkflowHandler::ForwardLongPoll(CallContext* ctx, const Req* request, Resp* response,
                                          absl::Status valid, bool wait,
                                          HistoryMethod<Internal, Resp> method, bool parks) {
  if (!valid.ok()) return Finished(ctx, valid);
  // Cancellable: a client that gives up on a long poll releases the history call too.
  auto reactor = CallReactor::Create(*ctx, nullptr);
  if (parks && !HoldLongPollSlot(*reactor, request->namespace_())) return reactor.get();
  forwarded_.Track(reactor->handle());
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
                  (history_.*method)(
                      *internal, client::HandOver({deadline, true, reactor->handle()}, internal),
                      [reactor, response](absl::StatusOr<Resp> result) {
                        if (!reactor->Claim()) return;
                        FinishWith<Resp>(reactor.get(), response, std::move(result));
                      });
                });
  return reactor.get();
}

}  // namespace tern::frontend
