#include "client/history_client.h"

#include "common/hashing.h"
#include "common/task_token.h"

namespace tern::client {
namespace {

// The workflow id a request is about, for shard routing.
absl::StatusOr<std::string> FromToken(const std::string& token) {
  auto decoded = DecodeTaskToken(token);
  if (!decoded.ok()) return decoded.status();
  return decoded->workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::StartWorkflowExecutionRequest& r) {
  return r.request().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RecordWorkflowTaskStartedRequest& r) {
  return r.workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RecordActivityTaskStartedRequest& r) {
  return r.workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RespondWorkflowTaskCompletedRequest& r) {
  return FromToken(r.request().task_token());
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RespondWorkflowTaskFailedRequest& r) {
  return FromToken(r.request().task_token());
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RespondActivityTaskCompletedRequest& r) {
  return FromToken(r.request().task_token());
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RespondActivityTaskFailedRequest& r) {
  return FromToken(r.request().task_token());
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RespondActivityTaskCanceledRequest& r) {
  return FromToken(r.request().task_token());
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RecordActivityTaskHeartbeatRequest& r) {
  return FromToken(r.request().task_token());
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::GetWorkflowExecutionHistoryRequest& r) {
  return r.request().execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::DescribeWorkflowExecutionRequest& r) {
  return r.request().execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::TerminateWorkflowExecutionRequest& r) {
  return r.request().workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::DeleteWorkflowExecutionRequest& r) {
  return r.request().workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::ResetWorkflowExecutionRequest& r) {
  return r.request().workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::SignalWorkflowExecutionRequest& r) {
  return r.request().workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::SignalWithStartWorkflowExecutionRequest& r) {
  return r.request().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RequestCancelWorkflowExecutionRequest& r) {
  return r.request().workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::RecordChildExecutionCompletedRequest& r) {
  return r.parent_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::UpdateWorkflowExecutionRequest& r) {
  return r.request().workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::PollWorkflowExecutionUpdateRequest& r) {
  return r.request().update_ref().workflow_execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::QueryWorkflowRequest& r) {
  return r.request().execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::ResetStickyTaskQueueRequest& r) {
  return r.request().execution().workflow_id();
}
absl::StatusOr<std::string> WorkflowIdOf(const hs::GetWorkflowExecutionHistoryReverseRequest& r) {
  return r.request().execution().workflow_id();
}

}  // namespace

HistoryClient::HistoryClient(Membership& membership, Executor& executor, int32_t num_shards)
    : membership_(membership), executor_(executor), num_shards_(num_shards) {}

int32_t HistoryClient::ShardFor(const std::string& namespace_id,
                                const std::string& workflow_id) const {
  return ShardForWorkflow(namespace_id, workflow_id, num_shards_);
}

absl::StatusOr<std::string> HistoryClient::Resolve(int32_t shard) const {
  const std::string& owner = membership_.Ring(Membership::Role::kHistory)->Lookup(std::to_string(shard));
  if (owner.empty()) return absl::UnavailableError("no history host is available");
  return owner;
}

#define TERN_DEFINE_HISTORY_RPC(Method, Response)                                                 \
  void HistoryClient::Method(const hs::Method##Request& request, CallOptions options,          \
                             Callback<Response> done) {                                       \
    auto workflow_id = WorkflowIdOf(request);                                                 \
    if (!workflow_id.ok()) return done(workflow_id.status());                                 \
    int32_t shard = ShardFor(request.namespace_id(), *workflow_id);                           \
    UnaryCall<hs::Method##Request, Response>::Start(                                          \
        executor_, [this, shard] { return Resolve(shard); },                                  \
        [this](const std::string& address, grpc::ClientContext* ctx,                          \
               const hs::Method##Request* req, Response* resp,                                \
               std::function<void(grpc::Status)> on_done) {                                   \
          stubs_.Get(address)->async()->Method(ctx, req, resp, std::move(on_done));           \
        },                                                                                    \
        request, std::move(options), std::move(done),                                         \
        [this] { membership_.RequestRefresh(); });                                            \
  }
TERN_HISTORY_RPCS(TERN_DEFINE_HISTORY_RPC)
#undef TERN_DEFINE_HISTORY_RPC

}  // namespace tern::client
