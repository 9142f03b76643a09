#include "services/frontend/workflow_handler.h"

#include "services/frontend/workflow_handler_forward.h"
#include "visibility/payloads.h"

namespace tern::frontend {

ws::GetSystemInfoResponse SystemInfo() {
  ws::GetSystemInfoResponse out;
  out.set_server_version(kServerVersion);
  auto* caps = out.mutable_capabilities();
  caps->set_signal_and_query_header(true);
  caps->set_activity_failure_include_heartbeat(true);
  caps->set_encoded_failure_attributes(true);
  caps->set_sdk_metadata(true);
  caps->set_supports_schedules(true);
  caps->set_eager_workflow_start(true);
  caps->set_upsert_memo(true);
  caps->set_count_group_by_execution_status(true);
  return out;
}

WorkflowHandler::WorkflowHandler(const Config& config, std::shared_ptr<NamespaceCache> cache,
                                 std::shared_ptr<NamespaceHandler> namespaces,
                                 client::HistoryClient& history, client::MatchingClient& matching,
                                 Executor& blocking_executor, PollRegistry& polls,
                                 ForwardedCalls& forwarded, RateLimiter& limiter,
                                 const Clock& clock, Random random,
                                 std::shared_ptr<VisibilityHandler> visibility,
                                 std::shared_ptr<ScheduleHandler> schedules,
                                 std::shared_ptr<BatchHandler> batches)
    : config_(config),
      cache_(std::move(cache)),
      namespaces_(std::move(namespaces)),
      history_(history),
      matching_(matching),
      blocking_(blocking_executor),
      polls_(polls),
      forwarded_(forwarded),
      limiter_(limiter),
      clock_(clock),
      random_(std::move(random)),
      visibility_(std::move(visibility)),
      schedules_(std::move(schedules)),
      batches_(std::move(batches)) {}

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

Reactor* WorkflowHandler::GetWorkflowExecutionHistoryReverse(
    CallContext* ctx, const ws::GetWorkflowExecutionHistoryReverseRequest* request,
    ws::GetWorkflowExecutionHistoryReverseResponse* response) {
  return ForwardByName<ws::GetWorkflowExecutionHistoryReverseRequest,
                       hs::GetWorkflowExecutionHistoryReverseRequest>(
      ctx, request, response,
      ValidateGetWorkflowExecutionHistoryReverse(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::GetWorkflowExecutionHistoryReverse);
}

Reactor* WorkflowHandler::DeleteWorkflowExecution(CallContext* ctx,
                                                  const ws::DeleteWorkflowExecutionRequest* request,
                                                  ws::DeleteWorkflowExecutionResponse* response) {
  return ForwardByName<ws::DeleteWorkflowExecutionRequest, hs::DeleteWorkflowExecutionRequest>(
      ctx, request, response, ValidateDeleteWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::DeleteWorkflowExecution);
}

Reactor* WorkflowHandler::ResetWorkflowExecution(CallContext* ctx,
                                                 const ws::ResetWorkflowExecutionRequest* request,
                                                 ws::ResetWorkflowExecutionResponse* response) {
  return ForwardByName<ws::ResetWorkflowExecutionRequest, hs::ResetWorkflowExecutionRequest>(
      ctx, request, response, ValidateResetWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::ResetWorkflowExecution);
}

Reactor* WorkflowHandler::ResetStickyTaskQueue(CallContext* ctx,
                                               const ws::ResetStickyTaskQueueRequest* request,
                                               ws::ResetStickyTaskQueueResponse* response) {
  return ForwardByName<ws::ResetStickyTaskQueueRequest, hs::ResetStickyTaskQueueRequest>(
      ctx, request, response, ValidateResetStickyTaskQueue(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::ResetStickyTaskQueue);
}

bool WorkflowHandler::HoldLongPollSlot(CallReactor& reactor, const std::string& namespace_name) {
  absl::StatusOr<RateLimiter::LongPollSlot> slot = limiter_.AdmitLongPoll(namespace_name);
  if (!slot.ok()) {
    reactor.TryFinish(ToGrpcStatus(slot.status()));
    return false;
  }
  reactor.Hold(*std::move(slot));
  return true;
}

// ---- system and namespaces
// -----------------------------------------------------------------------

ws::GetClusterInfoResponse ClusterInfo(const Config& config) {
  ws::GetClusterInfoResponse out;
  // The client versions Tern is tested with (docs/compatibility.md).
  auto& clients = *out.mutable_supported_clients();
  for (const char* sdk : {"temporal-typescript", "temporal-python", "temporal-go"}) {
    clients[sdk] = ">=1.0.0 <2.0.0";
  }
  out.set_server_version(kServerVersion);
  out.set_cluster_name(config.cluster_name);
  out.set_cluster_id(config.cluster_name);
  out.set_history_shard_count(config.persistence.num_history_shards);
  out.set_persistence_store("postgres");
  out.set_visibility_store(config.persistence.VisibilityElasticsearch() ? "elasticsearch"
                                                                        : "postgres");
  out.set_initial_failover_version(1);
  out.set_failover_version_increment(10);
  return out;
}

Reactor* WorkflowHandler::GetClusterInfo(CallContext* ctx, const ws::GetClusterInfoRequest*,
                                         ws::GetClusterInfoResponse* response) {
  *response = ClusterInfo(config_);
  return Finished(ctx, absl::OkStatus());
}

Reactor* WorkflowHandler::GetSystemInfo(CallContext* ctx, const ws::GetSystemInfoRequest*,
                                        ws::GetSystemInfoResponse* response) {
  *response = SystemInfo();
  return Finished(ctx, absl::OkStatus());
}

Reactor* WorkflowHandler::RegisterNamespace(CallContext* ctx,
                                            const ws::RegisterNamespaceRequest* request,
                                            ws::RegisterNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Register(*request); });
}

Reactor* WorkflowHandler::DescribeNamespace(CallContext* ctx,
                                            const ws::DescribeNamespaceRequest* request,
                                            ws::DescribeNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Describe(*request); });
}

Reactor* WorkflowHandler::ListNamespaces(CallContext* ctx, const ws::ListNamespacesRequest* request,
                                         ws::ListNamespacesResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->List(*request); });
}

Reactor* WorkflowHandler::UpdateNamespace(CallContext* ctx,
                                          const ws::UpdateNamespaceRequest* request,
                                          ws::UpdateNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Update(*request); });
}

Reactor* WorkflowHandler::DeprecateNamespace(CallContext* ctx,
                                             const ws::DeprecateNamespaceRequest* request,
                                             ws::DeprecateNamespaceResponse* response) {
  return RunBlocking(ctx, response, [this, request] { return namespaces_->Deprecate(*request); });
}

// ---- workflows
// -----------------------------------------------------------------------------------

Reactor* WorkflowHandler::StartWorkflowExecution(CallContext* ctx,
                                                 const ws::StartWorkflowExecutionRequest* request,
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

Reactor* WorkflowHandler::GetWorkflowExecutionHistory(
    CallContext* ctx, const ws::GetWorkflowExecutionHistoryRequest* request,
    ws::GetWorkflowExecutionHistoryResponse* response) {
  return ForwardLongPoll<ws::GetWorkflowExecutionHistoryRequest,
                         hs::GetWorkflowExecutionHistoryRequest>(
      ctx, request, response, ValidateGetWorkflowExecutionHistory(*request, Limits(*request)),
      request->wait_new_event(), &client::HistoryClient::GetWorkflowExecutionHistory,
      /*parks=*/request->wait_new_event());
}

Reactor* WorkflowHandler::UpdateWorkflowExecution(CallContext* ctx,
                                                  const ws::UpdateWorkflowExecutionRequest* request,
                                                  ws::UpdateWorkflowExecutionResponse* response) {
  return ForwardLongPoll<ws::UpdateWorkflowExecutionRequest, hs::UpdateWorkflowExecutionRequest>(
      ctx, request, response, ValidateUpdateWorkflowExecution(*request, Limits(*request)), true,
      &client::HistoryClient::UpdateWorkflowExecution, /*parks=*/false);
}

Reactor* WorkflowHandler::PollWorkflowExecutionUpdate(
    CallContext* ctx, const ws::PollWorkflowExecutionUpdateRequest* request,
    ws::PollWorkflowExecutionUpdateResponse* response) {
  return ForwardLongPoll<ws::PollWorkflowExecutionUpdateRequest,
                         hs::PollWorkflowExecutionUpdateRequest>(
      ctx, request, response, ValidatePollWorkflowExecutionUpdate(*request, Limits(*request)), true,
      &client::HistoryClient::PollWorkflowExecutionUpdate, /*parks=*/true);
}

Reactor* WorkflowHandler::DescribeWorkflowExecution(
    CallContext* ctx, const ws::DescribeWorkflowExecutionRequest* request,
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

Reactor* WorkflowHandler::SignalWorkflowExecution(CallContext* ctx,
                                                  const ws::SignalWorkflowExecutionRequest* request,
                                                  ws::SignalWorkflowExecutionResponse* response) {
  return ForwardByName<ws::SignalWorkflowExecutionRequest, hs::SignalWorkflowExecutionRequest>(
      ctx, request, response, ValidateSignalWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::SignalWorkflowExecution);
}

Reactor* WorkflowHandler::SignalWithStartWorkflowExecution(
    CallContext* ctx, const ws::SignalWithStartWorkflowExecutionRequest* request,
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

Reactor* WorkflowHandler::RequestCancelWorkflowExecution(
    CallContext* ctx, const ws::RequestCancelWorkflowExecutionRequest* request,
    ws::RequestCancelWorkflowExecutionResponse* response) {
  return ForwardByName<ws::RequestCancelWorkflowExecutionRequest,
                       hs::RequestCancelWorkflowExecutionRequest>(
      ctx, request, response, ValidateRequestCancelWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::RequestCancelWorkflowExecution);
}

Reactor* WorkflowHandler::QueryWorkflow(CallContext* ctx, const ws::QueryWorkflowRequest* request,
                                        ws::QueryWorkflowResponse* response) {
  // No server-side soft timeout: history waits for the run, then matching for a worker, until
  // the caller's deadline (kDefaultCallTimeout if it set none); a caller that gives up cancels
  // the history call.
  return ForwardLongPoll<ws::QueryWorkflowRequest, hs::QueryWorkflowRequest>(
      ctx, request, response, ValidateQueryWorkflow(*request, Limits(*request)),
      /*wait=*/false, &client::HistoryClient::QueryWorkflow, /*parks=*/false);
}

Reactor* WorkflowHandler::TerminateWorkflowExecution(
    CallContext* ctx, const ws::TerminateWorkflowExecutionRequest* request,
    ws::TerminateWorkflowExecutionResponse* response) {
  return ForwardByName<ws::TerminateWorkflowExecutionRequest,
                       hs::TerminateWorkflowExecutionRequest>(
      ctx, request, response, ValidateTerminateWorkflowExecution(*request, Limits(*request)),
      NamespaceUse::kDefault, &client::HistoryClient::TerminateWorkflowExecution);
}

// ---- visibility
// --------------------------------------------------------------------------------

Reactor* WorkflowHandler::ListWorkflowExecutions(CallContext* ctx,
                                                 const ws::ListWorkflowExecutionsRequest* request,
                                                 ws::ListWorkflowExecutionsResponse* response) {
  return RunOnStore(ctx, request, response, visibility_, &VisibilityHandler::List);
}

Reactor* WorkflowHandler::ScanWorkflowExecutions(CallContext* ctx,
                                                 const ws::ScanWorkflowExecutionsRequest* request,
                                                 ws::ScanWorkflowExecutionsResponse* response) {
  return RunOnStore(ctx, request, response, visibility_, &VisibilityHandler::Scan);
}

Reactor* WorkflowHandler::CountWorkflowExecutions(CallContext* ctx,
                                                  const ws::CountWorkflowExecutionsRequest* request,
                                                  ws::CountWorkflowExecutionsResponse* response) {
  return RunOnStore(ctx, request, response, visibility_, &VisibilityHandler::Count);
}

Reactor* WorkflowHandler::ListOpenWorkflowExecutions(
    CallContext* ctx, const ws::ListOpenWorkflowExecutionsRequest* request,
    ws::ListOpenWorkflowExecutionsResponse* response) {
  return RunOnStore(ctx, request, response, visibility_, &VisibilityHandler::ListOpen);
}

Reactor* WorkflowHandler::ListClosedWorkflowExecutions(
    CallContext* ctx, const ws::ListClosedWorkflowExecutionsRequest* request,
    ws::ListClosedWorkflowExecutionsResponse* response) {
  return RunOnStore(ctx, request, response, visibility_, &VisibilityHandler::ListClosed);
}

Reactor* WorkflowHandler::GetSearchAttributes(CallContext* ctx,
                                              const ws::GetSearchAttributesRequest*,
                                              ws::GetSearchAttributesResponse* response) {
  if (!visibility_) return Finished(ctx, absl::UnimplementedError("visibility is not configured"));
  *response = visibility_->GetSearchAttributes();
  return Finished(ctx, absl::OkStatus());
}

// ---- schedules
// --------------------------------------------------------------------------------

#define TERN_SCHEDULE_RPC(Method, handler_method, use)                                      \
  Reactor* WorkflowHandler::Method(CallContext* ctx, const ws::Method##Request* request,    \
                                   ws::Method##Response* response) {                        \
    return RunOnStore(ctx, request, response, schedules_, &ScheduleHandler::handler_method, \
                      NamespaceUse::use);                                                   \
  }
TERN_SCHEDULE_RPC(CreateSchedule, Create, kStart)
TERN_SCHEDULE_RPC(DescribeSchedule, Describe, kDefault)
TERN_SCHEDULE_RPC(UpdateSchedule, Update, kDefault)
TERN_SCHEDULE_RPC(PatchSchedule, Patch, kDefault)
TERN_SCHEDULE_RPC(DeleteSchedule, Delete, kDefault)
TERN_SCHEDULE_RPC(ListSchedules, List, kDefault)
TERN_SCHEDULE_RPC(CountSchedules, Count, kDefault)
TERN_SCHEDULE_RPC(ListScheduleMatchingTimes, ListMatchingTimes, kDefault)
#undef TERN_SCHEDULE_RPC

// ---- batch operations
// ------------------------------------------------------------------------

#define TERN_BATCH_RPC(Method, handler_method)                                           \
  Reactor* WorkflowHandler::Method(CallContext* ctx, const ws::Method##Request* request, \
                                   ws::Method##Response* response) {                     \
    return RunOnStore(ctx, request, response, batches_, &BatchHandler::handler_method);  \
  }
TERN_BATCH_RPC(StartBatchOperation, Start)
TERN_BATCH_RPC(DescribeBatchOperation, Describe)
TERN_BATCH_RPC(ListBatchOperations, List)
TERN_BATCH_RPC(StopBatchOperation, Stop)
#undef TERN_BATCH_RPC

}  // namespace tern::frontend
