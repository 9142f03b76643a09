// WorkflowHandler: the public temporal.api.workflowservice.v1.WorkflowService, behind the gate
// (gated_services.h). Thin: validate (validation.h), resolve the namespace (NamespaceCache), wrap
// the public request into the internal one and hand it to history or matching; errors from those
// services are passed through unchanged. RPCs not listed in api_methods.h answer UNIMPLEMENTED.
//
// Threading: handler methods run on gRPC threads and never block. Namespace RPCs and cache
// misses run on the blocking executor; replies from history/matching arrive on their client
// threads. Every RPC finishes its reactor exactly once, from whichever thread completes it.
//
// Lifetime: must outlive the grpc::Server (as any registered service) and every call it has
// started; the blocking executor must keep running until the server has shut down, or calls
// parked on it never finish.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/executor.h"
#include "services/frontend/api_methods.h"
#include "services/frontend/batch_handler.h"
#include "services/frontend/call_reactor.h"
#include "services/frontend/namespace_handler.h"
#include "services/frontend/rate_limiter.h"
#include "services/frontend/schedule_handler.h"
#include "services/frontend/validation.h"
#include "services/frontend/visibility_handler.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::frontend {

inline constexpr char kServerVersion[] = "tern 0.1.0";

// GetSystemInfo's reply: only capabilities Tern implements (contract §2.2).
ws::GetSystemInfoResponse SystemInfo();
// GetClusterInfo's reply: the cluster's name (also its id), shard count and stores.
ws::GetClusterInfoResponse ClusterInfo(const Config& config);

class WorkflowHandler final {
 public:
  using Random = std::function<uint64_t()>;

  WorkflowHandler(const Config& config, std::shared_ptr<NamespaceCache> cache,
                  std::shared_ptr<NamespaceHandler> namespaces, client::HistoryClient& history,
                  client::MatchingClient& matching, Executor& blocking_executor,
                  PollRegistry& polls, ForwardedCalls& forwarded, RateLimiter& limiter,
                  const Clock& clock, Random random,
                  std::shared_ptr<VisibilityHandler> visibility = nullptr,
                  std::shared_ptr<ScheduleHandler> schedules = nullptr,
                  std::shared_ptr<BatchHandler> batches = nullptr);

  // Every method of TERN_WORKFLOW_SERVICE_METHODS (api_methods.h). Of note: ExecuteMultiOperation
  // is update-with-start (multi_operation.cc); DescribeTaskQueue reports the pollers and, with
  // report_stats, the backlog and task rates summed over the queue's read partitions, and
  // ListTaskQueuePartitions the read partitions of both task types with the matching host that
  // owns each (task_queue_handler.cc); the schedule and batch RPCs run on ScheduleHandler and
  // BatchHandler.
#define TERN_WORKFLOW_HANDLER_DECLARATION(Method, role, kind) TERN_HANDLER_METHOD(ws, Method);
  TERN_WORKFLOW_SERVICE_METHODS(TERN_WORKFLOW_HANDLER_DECLARATION)
#undef TERN_WORKFLOW_HANDLER_DECLARATION

 private:
  using Entry = NamespaceCache::Entry;
  using Fail = std::function<void(const absl::Status&)>;
  using Then = std::function<void(const Entry&)>;
  template <typename Internal, typename Resp>
  using HistoryMethod = void (client::HistoryClient::*)(const Internal&, client::CallOptions,
                                                        client::Callback<Resp>);
  template <typename Internal, typename Resp>
  using MatchingMethod = void (client::MatchingClient::*)(const Internal&, client::CallOptions,
                                                          client::Callback<Resp>);

  // The validation limits in force for the request's namespace (dynamic config, read per call).
  template <typename Req>
  RequestLimits Limits(const Req& request) const {
    return LimitsFor(config_.dynamic, request.namespace_());
  }
  // Looks the namespace up (cache, else store) and checks its state; `fail` or `then` runs once.
  void ResolveByName(const std::string& name, NamespaceUse use, Fail fail, Then then);
  // Asks each read partition of `queue` for each of `types` to describe itself: the answers
  // per type, in `types` order, each per partition in partition order.
  void DescribePartitions(
      const Entry& ns, const temporal::api::taskqueue::v1::TaskQueue& queue,
      const std::vector<temporal::api::enums::v1::TaskQueueType>& types, TimePoint deadline,
      client::Callback<std::vector<std::vector<client::ms::DescribeTaskQueuePartitionResponse>>>
          done);
  // The namespace of a task token; a request that names another namespace is rejected.
  void ResolveByToken(const persistence::v1::TaskToken& token, const std::string& request_ns,
                      Fail fail, Then then);

  // Namespace RPCs: `fn` runs on the blocking executor and its result finishes the call.
  template <typename Resp, typename Fn>
  Reactor* RunBlocking(CallContext* ctx, Resp* response, Fn fn);

  // `adjust` completes the internal request and may refuse it; `transform` edits the reply.
  template <typename Req, typename Internal, typename Resp>
  Reactor* ForwardByName(
      CallContext* ctx, const Req* request, Resp* response, absl::Status valid, NamespaceUse use,
      HistoryMethod<Internal, Resp> method,
      std::function<absl::Status(const Entry&, Internal&)> adjust = nullptr,
      std::type_identity_t<std::function<void(const Entry&, Resp&)>> transform = nullptr);
  // The visibility, schedule and batch RPCs: `method` of `handler` runs on the blocking executor
  // once the namespace is resolved (UNIMPLEMENTED without a handler).
  template <typename Handler, typename Req, typename Resp>
  Reactor* RunOnStore(
      CallContext* ctx, const Req* request, Resp* response, const std::shared_ptr<Handler>& handler,
      absl::StatusOr<Resp> (Handler::*method)(const persistence::v1::NamespaceRecord&, const Req&),
      NamespaceUse use = NamespaceUse::kDefault);
  template <typename Req, typename Internal, typename Resp>
  Reactor* ForwardByToken(CallContext* ctx, const Req* request, Resp* response,
                          absl::StatusOr<persistence::v1::TaskToken> token,
                          HistoryMethod<Internal, Resp> method);
  // History long polls (history, update stages): history holds the call for the long-poll
  // window, which ends before the caller's deadline; a caller that gives up cancels it. With
  // `wait` false (or an internal request without long_poll_timeout, i.e. queries) the call simply
  // runs until the caller's deadline and is still cancelled with the caller. A call that `parks`
  // (a history or update-outcome wait, not an update request) takes a long-poll slot.
  template <typename Req, typename Internal, typename Resp>
  Reactor* ForwardLongPoll(CallContext* ctx, const Req* request, Resp* response, absl::Status valid,
                           bool wait, HistoryMethod<Internal, Resp> method, bool parks);
  // Activity *ById RPCs: the token RPC's history call, with a token built from (namespace,
  // workflow id, run id, activity id). `to_token_request` copies the payload fields.
  template <typename ByIdReq, typename ByIdResp, typename Internal, typename Resp>
  Reactor* ForwardById(CallContext* ctx, const ByIdReq* request, ByIdResp* response,
                       HistoryMethod<Internal, Resp> method,
                       std::function<void(const ByIdReq&, Internal&)> to_internal,
                       std::function<void(const Resp&, ByIdResp*)> to_response);
  template <typename Req, typename Internal, typename Resp>
  Reactor* Poll(CallContext* ctx, const Req* request, Resp* response, absl::Status valid,
                MatchingMethod<Internal, Resp> method);

  // Takes a frontend.namespaceCount slot for `reactor`'s call; false when the namespace has no
  // slot left, in which case the call has been answered RESOURCE_EXHAUSTED.
  bool HoldLongPollSlot(CallReactor& reactor, const std::string& namespace_name);

  const Config& config_;
  std::shared_ptr<NamespaceCache> cache_;
  std::shared_ptr<NamespaceHandler> namespaces_;
  client::HistoryClient& history_;
  client::MatchingClient& matching_;
  Executor& blocking_;
  PollRegistry& polls_;
  ForwardedCalls& forwarded_;  // every other call to history and matching
  RateLimiter& limiter_;       // long polls take a frontend.namespaceCount slot
  const Clock& clock_;
  Random random_;
  std::shared_ptr<VisibilityHandler> visibility_;
  std::shared_ptr<ScheduleHandler> schedules_;
  std::shared_ptr<BatchHandler> batches_;
};

}  // namespace tern::frontend
