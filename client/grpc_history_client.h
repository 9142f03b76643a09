// The gRPC implementation of HistoryClient: routes each call to the owner of the workflow's
// shard on the history ring and retries while ownership moves (see history_client.h). In a
// process that also runs the history service, calls for the shards it holds go to that service
// directly (SetLocal), with no gRPC and no serialization.
#pragma once

#include "client/history_client.h"
#include "client/ring_router.h"
#include "membership/membership.h"
#include "tern/historyservice/v1/service.grpc.pb.h"

namespace tern::client {

using LocalHistory = LocalService<HistoryClient>;

class GrpcHistoryClient final : public HistoryClient {
 public:
  GrpcHistoryClient(Membership& membership, Executor& executor, int32_t num_shards,
                    const Clock& clock = SystemClock::Instance());

  // Sends calls for the shards `local` holds (keys: shard numbers) to it from now on (nullopt:
  // none). Set it once the service is built, and clear it before the service stops.
  void SetLocal(std::optional<LocalHistory> local) { router_.SetLocal(std::move(local)); }

  int32_t ShardFor(const std::string& namespace_id, const std::string& workflow_id) const;
  void StartWorkflowExecution(const hs::StartWorkflowExecutionRequest& request, CallOptions options,
                              Callback<ws::StartWorkflowExecutionResponse> done) override;
  void RecordWorkflowTaskStarted(const hs::RecordWorkflowTaskStartedRequest& request,
                                 CallOptions options,
                                 Callback<ws::PollWorkflowTaskQueueResponse> done) override;
  void RecordActivityTaskStarted(const hs::RecordActivityTaskStartedRequest& request,
                                 CallOptions options,
                                 Callback<ws::PollActivityTaskQueueResponse> done) override;
  void RespondWorkflowTaskCompleted(
      const hs::RespondWorkflowTaskCompletedRequest& request, CallOptions options,
      Callback<ws::RespondWorkflowTaskCompletedResponse> done) override;
  void RespondWorkflowTaskFailed(const hs::RespondWorkflowTaskFailedRequest& request,
                                 CallOptions options,
                                 Callback<ws::RespondWorkflowTaskFailedResponse> done) override;
  void RespondActivityTaskCompleted(
      const hs::RespondActivityTaskCompletedRequest& request, CallOptions options,
      Callback<ws::RespondActivityTaskCompletedResponse> done) override;
  void RespondActivityTaskFailed(const hs::RespondActivityTaskFailedRequest& request,
                                 CallOptions options,
                                 Callback<ws::RespondActivityTaskFailedResponse> done) override;
  void RespondActivityTaskCanceled(const hs::RespondActivityTaskCanceledRequest& request,
                                   CallOptions options,
                                   Callback<ws::RespondActivityTaskCanceledResponse> done) override;
  void RecordActivityTaskHeartbeat(const hs::RecordActivityTaskHeartbeatRequest& request,
                                   CallOptions options,
                                   Callback<ws::RecordActivityTaskHeartbeatResponse> done) override;
  void GetWorkflowExecutionHistory(const hs::GetWorkflowExecutionHistoryRequest& request,
                                   CallOptions options,
                                   Callback<ws::GetWorkflowExecutionHistoryResponse> done) override;
  void DescribeWorkflowExecution(const hs::DescribeWorkflowExecutionRequest& request,
                                 CallOptions options,
                                 Callback<ws::DescribeWorkflowExecutionResponse> done) override;
  void TerminateWorkflowExecution(const hs::TerminateWorkflowExecutionRequest& request,
                                  CallOptions options,
                                  Callback<ws::TerminateWorkflowExecutionResponse> done) override;
  void DeleteWorkflowExecution(const hs::DeleteWorkflowExecutionRequest& request,
                               CallOptions options,
                               Callback<ws::DeleteWorkflowExecutionResponse> done) override;
  void ResetWorkflowExecution(const hs::ResetWorkflowExecutionRequest& request, CallOptions options,
                              Callback<ws::ResetWorkflowExecutionResponse> done) override;
  void SignalWorkflowExecution(const hs::SignalWorkflowExecutionRequest& request,
                               CallOptions options,
                               Callback<ws::SignalWorkflowExecutionResponse> done) override;
  void SignalWithStartWorkflowExecution(
      const hs::SignalWithStartWorkflowExecutionRequest& request, CallOptions options,
      Callback<ws::SignalWithStartWorkflowExecutionResponse> done) override;
  void RequestCancelWorkflowExecution(
      const hs::RequestCancelWorkflowExecutionRequest& request, CallOptions options,
      Callback<ws::RequestCancelWorkflowExecutionResponse> done) override;
  void RecordChildExecutionCompleted(
      const hs::RecordChildExecutionCompletedRequest& request, CallOptions options,
      Callback<hs::RecordChildExecutionCompletedResponse> done) override;
  void UpdateWorkflowExecution(const hs::UpdateWorkflowExecutionRequest& request,
                               CallOptions options,
                               Callback<ws::UpdateWorkflowExecutionResponse> done) override;
  void PollWorkflowExecutionUpdate(const hs::PollWorkflowExecutionUpdateRequest& request,
                                   CallOptions options,
                                   Callback<ws::PollWorkflowExecutionUpdateResponse> done) override;
  void QueryWorkflow(const hs::QueryWorkflowRequest& request, CallOptions options,
                     Callback<ws::QueryWorkflowResponse> done) override;
  void ResetStickyTaskQueue(const hs::ResetStickyTaskQueueRequest& request, CallOptions options,
                            Callback<ws::ResetStickyTaskQueueResponse> done) override;
  void GetWorkflowExecutionHistoryReverse(
      const hs::GetWorkflowExecutionHistoryReverseRequest& request, CallOptions options,
      Callback<ws::GetWorkflowExecutionHistoryReverseResponse> done) override;

 private:
  using Stub = hs::HistoryService::StubInterface::async_interface;
  using Router = RingRouter<hs::HistoryService, HistoryClient>;
  template <typename Request, typename Response>
  using Async = Router::AsyncMethod<Request, Response>;
  template <typename Request, typename Response>
  using Direct = Router::DirectMethod<Request, Response>;

  // Routes by the shard of (request.namespace_id(), workflow_id): `direct` on the local service
  // when it holds the shard, else `method` on the owner's stub.
  template <typename Request, typename Response>
  void Route(absl::StatusOr<std::string> workflow_id, const Request& request, CallOptions options,
             Callback<Response> done, Async<Request, Response> method,
             Direct<Request, Response> direct);

  const int32_t num_shards_;
  Router router_;
};

}  // namespace tern::client
