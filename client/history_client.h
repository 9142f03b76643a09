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

class HistoryClient {
 public:
  HistoryClient(Membership& membership, Executor& executor, int32_t num_shards);
  virtual ~HistoryClient() = default;

  int32_t ShardFor(const std::string& namespace_id, const std::string& workflow_id) const;

#define TERN_HISTORY_METHOD(Method, Response)                                      \
  virtual void Method(const hs::Method##Request& request, CallOptions options,     \
                      Callback<Response> done);
  TERN_HISTORY_METHOD(StartWorkflowExecution, ws::StartWorkflowExecutionResponse)
  TERN_HISTORY_METHOD(RecordWorkflowTaskStarted, ws::PollWorkflowTaskQueueResponse)
  TERN_HISTORY_METHOD(RecordActivityTaskStarted, ws::PollActivityTaskQueueResponse)
  TERN_HISTORY_METHOD(RespondWorkflowTaskCompleted, ws::RespondWorkflowTaskCompletedResponse)
  TERN_HISTORY_METHOD(RespondWorkflowTaskFailed, ws::RespondWorkflowTaskFailedResponse)
  TERN_HISTORY_METHOD(RespondActivityTaskCompleted, ws::RespondActivityTaskCompletedResponse)
  TERN_HISTORY_METHOD(RespondActivityTaskFailed, ws::RespondActivityTaskFailedResponse)
  TERN_HISTORY_METHOD(RespondActivityTaskCanceled, ws::RespondActivityTaskCanceledResponse)
  TERN_HISTORY_METHOD(RecordActivityTaskHeartbeat, ws::RecordActivityTaskHeartbeatResponse)
  TERN_HISTORY_METHOD(GetWorkflowExecutionHistory, ws::GetWorkflowExecutionHistoryResponse)
  TERN_HISTORY_METHOD(DescribeWorkflowExecution, ws::DescribeWorkflowExecutionResponse)
  TERN_HISTORY_METHOD(TerminateWorkflowExecution, ws::TerminateWorkflowExecutionResponse)
  TERN_HISTORY_METHOD(SignalWorkflowExecution, ws::SignalWorkflowExecutionResponse)
  TERN_HISTORY_METHOD(SignalWithStartWorkflowExecution, ws::SignalWithStartWorkflowExecutionResponse)
  TERN_HISTORY_METHOD(RequestCancelWorkflowExecution, ws::RequestCancelWorkflowExecutionResponse)
  TERN_HISTORY_METHOD(RecordChildExecutionCompleted, hs::RecordChildExecutionCompletedResponse)
  TERN_HISTORY_METHOD(UpdateWorkflowExecution, ws::UpdateWorkflowExecutionResponse)
  TERN_HISTORY_METHOD(PollWorkflowExecutionUpdate, ws::PollWorkflowExecutionUpdateResponse)
  TERN_HISTORY_METHOD(QueryWorkflow, ws::QueryWorkflowResponse)
  TERN_HISTORY_METHOD(ResetStickyTaskQueue, ws::ResetStickyTaskQueueResponse)
  TERN_HISTORY_METHOD(GetWorkflowExecutionHistoryReverse,
                      ws::GetWorkflowExecutionHistoryReverseResponse)
#undef TERN_HISTORY_METHOD

 private:
  absl::StatusOr<std::string> Resolve(int32_t shard) const;

  Membership& membership_;
  Executor& executor_;
  int32_t num_shards_;
  StubCache<hs::HistoryService> stubs_;
};

}  // namespace tern::client
