// Plumbing shared by the internal service clients: a stub per peer address, and an async unary
// call with routing retries.
//
// A call is routed by a `resolve` function (key -> address) and retried with backoff while the
// error says the owner moved (ShardOwnershipLost) or the peer is unreachable (UNAVAILABLE, or
// CANCELLED when the caller did not cancel: the peer cut the call short as it stopped, and the
// caller gets UNAVAILABLE), until the call's deadline (read from the injected Clock). An
// UNAVAILABLE the peer answered because its database is down (DependencyUnavailable) goes back to
// the caller at once: the peer has already retried, and holding the call until its deadline would
// only hide the outage. `done` runs exactly once, on a gRPC or executor thread: it must not block.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/executor.h"

namespace tern::client {

template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;

// A channel to another service's port: plaintext, or TLS with the credentials set by
// SetInternalChannelCredentials.
std::shared_ptr<grpc::Channel> NewInternalChannel(const std::string& address);
// Internal channels created from now on use `credentials`, expecting `server_name` in the
// peer's certificate ("" = the host dialled). Set once at start, before any channel exists
// (internode TLS, services/server/process_tls.h).
void SetInternalChannelCredentials(std::shared_ptr<grpc::ChannelCredentials> credentials,
                                   std::string server_name);

// One stub per peer address, created on first use and kept for the process lifetime.
template <typename Service>
class StubCache {
 public:
  typename Service::Stub* Get(const std::string& address) {
    std::lock_guard lock(mu_);
    auto& stub = stubs_[address];
    if (!stub) stub = Service::NewStub(NewInternalChannel(address));
    return stub.get();
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<typename Service::Stub>> stubs_;
};

// Lets the owner of a call cancel it (e.g. when the caller's own RPC was cancelled, or the
// caller shuts down). The call then finishes with `reason`, at once: an attempt in flight is
// cancelled, and no retry follows.
class CallHandle {
 public:
  void Cancel(absl::Status reason = absl::CancelledError("call cancelled"));
  // Internal: each attempt registers how to cancel it (run at most once, on the thread that
  // cancels, under the handle's lock: it must not call back into the handle); false (and
  // `reason` set) once cancelled.
  bool Attach(std::function<void()> cancel, absl::Status* reason);
  void Detach();
  // The reason given to Cancel(), or OK while not cancelled.
  absl::Status reason() const;

 private:
  mutable std::mutex mu_;
  std::function<void()> cancel_;
  absl::Status reason_;
};

struct CallOptions {
  TimePoint deadline;
  // Retry routing failures (ownership moved, peer unavailable) until the deadline.
  bool retry = true;
  std::shared_ptr<CallHandle> handle;  // optional
  // The request itself, owned, when the caller keeps it alive anyway (RingRouter keeps each
  // in-process call's request for a reroute) or built it for this call and hands it over: the
  // router and an in-process callee share it (KeepRequest) instead of copying it. Optional.
  std::shared_ptr<const google::protobuf::Message> shared_request;
  // The caller returns without waiting for the answer on its own thread. An in-process callee
  // that answers before the call returns (on the caller's executor thread) then has the answer
  // run on that thread after the caller's work returns (Executor::Defer) instead of waking a
  // client thread for it. Leave it false where the caller may block until the answer (a
  // promise, worker::Await): an answer deferred to the blocked thread would never run.
  bool caller_returns = false;
};

// `options` for a call whose request the caller built for it and hands over: the router and an
// in-process callee share `request` instead of copying it (KeepRequest). Call with `*request`.
inline CallOptions HandOver(CallOptions options,
                            std::shared_ptr<const google::protobuf::Message> request) {
  options.shared_request = std::move(request);
  return options;
}

// `request`, owned for as long as the callee needs it: options.shared_request when that is
// `request` itself, else a copy.
template <typename Request>
std::shared_ptr<const Request> KeepRequest(const Request& request, const CallOptions& options) {
  if (options.shared_request.get() == &request) {
    return std::shared_ptr<const Request>(options.shared_request, &request);
  }
  return std::make_shared<const Request>(request);
}

// Issues `invoke(address, ctx, request, response, on_done)` against resolve()'s address.
template <typename Request, typename Response>
class UnaryCall : public std::enable_shared_from_this<UnaryCall<Request, Response>> {
 public:
  using Invoke = std::function<void(const std::string& address, grpc::ClientContext*,
                                    const Request*, Response*, std::function<void(grpc::Status)>)>;
  using Resolve = std::function<absl::StatusOr<std::string>()>;

  static void Start(Executor& executor, const Clock& clock, Resolve resolve, Invoke invoke,
                    Request request, CallOptions options, Callback<Response> done,
                    std::function<void()> on_wrong_owner) {
    auto call = std::shared_ptr<UnaryCall>(
        new UnaryCall(executor, clock, std::move(resolve), std::move(invoke), std::move(request),
                      std::move(options), std::move(done), std::move(on_wrong_owner)));
    call->Attempt();
  }

 private:
  UnaryCall(Executor& executor, const Clock& clock, Resolve resolve, Invoke invoke, Request request,
            CallOptions options, Callback<Response> done, std::function<void()> on_wrong_owner)
      : executor_(executor),
        clock_(clock),
        resolve_(std::move(resolve)),
        invoke_(std::move(invoke)),
        request_(std::move(request)),
        options_(std::move(options)),
        done_(std::move(done)),
        on_wrong_owner_(std::move(on_wrong_owner)) {}

  void Attempt() {
    auto address = resolve_();
    if (!address.ok()) return RetryOrFinish(address.status());
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(options_.deadline);
    if (absl::Status cancelled;
        options_.handle &&
        !options_.handle->Attach([ctx = ctx_.get()] { ctx->TryCancel(); }, &cancelled)) {
      return Finish(std::move(cancelled));
    }
    response_ = Response();
    auto self = this->shared_from_this();
    invoke_(*address, ctx_.get(), &request_, &response_, [self](grpc::Status status) {
      if (self->options_.handle) self->options_.handle->Detach();
      if (status.ok()) return self->Finish(std::move(self->response_));
      self->RetryOrFinish(FromGrpcStatus(status));
    });
  }

  void RetryOrFinish(absl::Status status) {
    if (options_.handle) {
      if (absl::Status cancelled = options_.handle->reason(); !cancelled.ok()) {
        return Finish(std::move(cancelled));
      }
    }
    // Not cancelled by us (checked above): the peer cut the call short as it stopped. Like an
    // unreachable peer, that is a routing failure: try the key's owner again, and never hand a
    // CANCELLED to a caller that cancelled nothing (an SDK gives up on it instead of retrying).
    if (status.code() == absl::StatusCode::kCancelled) {
      status = absl::UnavailableError(
          absl::StrCat("the peer cancelled the call (it was stopping): ", status.message()));
    }
    bool wrong_owner = IsShardOwnershipLost(status);
    bool retryable = wrong_owner || (status.code() == absl::StatusCode::kUnavailable &&
                                     !IsDependencyUnavailable(status));
    if (wrong_owner && on_wrong_owner_) on_wrong_owner_();
    auto backoff = std::min(std::chrono::milliseconds(50 << std::min(attempts_, 5)),
                            std::chrono::milliseconds(1000));
    ++attempts_;
    if (!options_.retry || !retryable || clock_.Now() + backoff >= options_.deadline) {
      return Finish(std::move(status));
    }
    auto self = this->shared_from_this();
    executor_.PostAfter(backoff, [self] { self->Attempt(); });
  }

  void Finish(absl::StatusOr<Response> result) { done_(std::move(result)); }

  Executor& executor_;
  const Clock& clock_;
  Resolve resolve_;
  Invoke invoke_;
  Request request_;
  CallOptions options_;
  Callback<Response> done_;
  std::function<void()> on_wrong_owner_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  Response response_;
  int attempts_ = 0;
};

}  // namespace tern::client
