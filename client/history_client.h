// Client of tern-history. Routes every call to the owner of the workflow's shard (from the
// history ring) and retries while ownership moves. Thread-safe; callbacks run on gRPC or
// executor threads and must not block.
#pragma once

#include "client/rpc.h"
#include "membership/membership.h"
#include "tern/historyservice/v1/service.grpc.pb.h"

namespace tern::client {

namespace hs = tern::historyservice::v1;
namespace ws = temporal::api::workflowservice::v1;

// Every HistoryService RPC as X(Method, Response); the client routes each by workflow id.
#define TERN_HISTORY_RPCS(X) \
  X(StartWorkflowExecution, ws::StartWorkflowExecutionResponse) \
  X(RecordWorkflowTaskStarted, ws::PollWorkflowTaskQueueResponse) \
  X(RecordActivityTaskStarted, ws::PollActivityTaskQueueResponse) \
  X(RespondWorkflowTaskCompleted, ws::RespondWorkflowTaskCompletedResponse) \
  X(RespondWorkflowTaskFailed, ws::RespondWorkflowTaskFailedResponse) \
  X(RespondActivityTaskCompleted, ws::RespondActivityTaskCompletedResponse) \
  X(RespondActivityTaskFailed, ws::RespondActivityTaskFailedResponse) \
  X(RespondActivityTaskCanceled, ws::RespondActivityTaskCanceledResponse) \
  X(RecordActivityTaskHeartbeat, ws::RecordActivityTaskHeartbeatResponse) \
  X(GetWorkflowExecutionHistory, ws::GetWorkflowExecutionHistoryResponse) \
  X(DescribeWorkflowExecution, ws::DescribeWorkflowExecutionResponse) \
  X(TerminateWorkflowExecution, ws::TerminateWorkflowExecutionResponse) \
  X(DeleteWorkflowExecution, ws::DeleteWorkflowExecutionResponse) \
  X(ResetWorkflowExecution, ws::ResetWorkflowExecutionResponse) \
  X(SignalWorkflowExecution, ws::SignalWorkflowExecutionResponse) \
  X(SignalWithStartWorkflowExecution, ws::SignalWithStartWorkflowExecutionResponse) \
  X(RequestCancelWorkflowExecution, ws::RequestCancelWorkflowExecutionResponse) \
  X(RecordChildExecutionCompleted, hs::RecordChildExecutionCompletedResponse) \
  X(UpdateWorkflowExecution, ws::UpdateWorkflowExecutionResponse) \
  X(PollWorkflowExecutionUpdate, ws::PollWorkflowExecutionUpdateResponse) \
  X(QueryWorkflow, ws::QueryWorkflowResponse) \
  X(ResetStickyTaskQueue, ws::ResetStickyTaskQueueResponse) \
  X(GetWorkflowExecutionHistoryReverse, ws::GetWorkflowExecutionHistoryReverseResponse)

class HistoryClient {
 public:
  HistoryClient(Membership& membership, Executor& executor, int32_t num_shards);
  virtual ~HistoryClient() = default;

  int32_t ShardFor(const std::string& namespace_id, const std::string& workflow_id) const;

#define TERN_DECLARE_HISTORY_RPC(Method, Response)                             \
  virtual void Method(const hs::Method##Request& request, CallOptions options, \
                      Callback<Response> done);
  TERN_HISTORY_RPCS(TERN_DECLARE_HISTORY_RPC)
#undef TERN_DECLARE_HISTORY_RPC

 private:
  absl::StatusOr<std::string> Resolve(int32_t shard) const;

  Membership& membership_;
  Executor& executor_;
  int32_t num_shards_;
  StubCache<hs::HistoryService> stubs_;
};

}  // namespace tern::client
