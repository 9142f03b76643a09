// The history engine: every state transition of a workflow run. Handlers load the run's mutable
// state under its lock, apply the transition with a MutableStateBuilder and persist events,
// state and tasks in one transaction (Shard::Persist).
//
// Threading: the blocking methods run on the blocking executor (they wait on the database);
// GetWorkflowExecutionHistory is asynchronous and parks long polls without a thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/config.h"
#include "persistence/namespace_cache.h"
#include "persistence/visibility_store.h"
#include "services/history/mutable_state.h"
#include "services/history/shard_controller.h"
#include "temporal/api/command/v1/message.pb.h"
#include "temporal/api/protocol/v1/message.pb.h"
#include "tern/historyservice/v1/service.pb.h"

namespace tern::history {

namespace hs = tern::historyservice::v1;
namespace ws = temporal::api::workflowservice::v1;

class HistoryEngine {
 public:
  // `visibility` receives the runs' visibility rows (none are written without it); `namespaces`
  // gives the custom search attributes of a namespace (visibility rows and the checks of search
  // attributes workflows write); without it only built-in attributes exist.
  HistoryEngine(const Config& config, ShardController& shards, client::MatchingClient& matching,
                client::HistoryClient& history, Executor& blocking, Clock& clock,
                std::shared_ptr<persistence::VisibilityStore> visibility = nullptr,
                std::shared_ptr<persistence::NamespaceCache> namespaces = nullptr);

  absl::StatusOr<ws::StartWorkflowExecutionResponse> StartWorkflowExecution(
      const hs::StartWorkflowExecutionRequest& request);
  absl::StatusOr<ws::PollWorkflowTaskQueueResponse> RecordWorkflowTaskStarted(
      const hs::RecordWorkflowTaskStartedRequest& request);
  absl::StatusOr<ws::PollActivityTaskQueueResponse> RecordActivityTaskStarted(
      const hs::RecordActivityTaskStartedRequest& request);
  absl::StatusOr<ws::RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompleted(
      const hs::RespondWorkflowTaskCompletedRequest& request);
  absl::StatusOr<ws::RespondWorkflowTaskFailedResponse> RespondWorkflowTaskFailed(
      const hs::RespondWorkflowTaskFailedRequest& request);
  absl::StatusOr<ws::RespondActivityTaskCompletedResponse> RespondActivityTaskCompleted(
      const hs::RespondActivityTaskCompletedRequest& request);
  absl::StatusOr<ws::RespondActivityTaskFailedResponse> RespondActivityTaskFailed(
      const hs::RespondActivityTaskFailedRequest& request);
  absl::StatusOr<ws::RespondActivityTaskCanceledResponse> RespondActivityTaskCanceled(
      const hs::RespondActivityTaskCanceledRequest& request);
  absl::StatusOr<ws::RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(
      const hs::RecordActivityTaskHeartbeatRequest& request);
  absl::StatusOr<ws::DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(
      const hs::DescribeWorkflowExecutionRequest& request);
  absl::StatusOr<ws::TerminateWorkflowExecutionResponse> TerminateWorkflowExecution(
      const hs::TerminateWorkflowExecutionRequest& request);
  absl::StatusOr<ws::SignalWorkflowExecutionResponse> SignalWorkflowExecution(
      const hs::SignalWorkflowExecutionRequest& request);
  absl::StatusOr<ws::SignalWithStartWorkflowExecutionResponse> SignalWithStartWorkflowExecution(
      const hs::SignalWithStartWorkflowExecutionRequest& request);
  absl::StatusOr<ws::RequestCancelWorkflowExecutionResponse> RequestCancelWorkflowExecution(
      const hs::RequestCancelWorkflowExecutionRequest& request);
  absl::StatusOr<ws::GetWorkflowExecutionHistoryReverseResponse> GetWorkflowExecutionHistoryReverse(
      const hs::GetWorkflowExecutionHistoryReverseRequest& request);
  absl::StatusOr<ws::ResetStickyTaskQueueResponse> ResetStickyTaskQueue(
      const hs::ResetStickyTaskQueueRequest& request);
  absl::StatusOr<ws::ResetWorkflowExecutionResponse> ResetWorkflowExecution(
      const hs::ResetWorkflowExecutionRequest& request);
  // Terminates the run if it is running and deletes it (state, history, current-run pointer,
  // visibility) through a timer task written in the same transaction (engine_delete.cc).
  absl::StatusOr<ws::DeleteWorkflowExecutionResponse> DeleteWorkflowExecution(
      const hs::DeleteWorkflowExecutionRequest& request);
  absl::StatusOr<hs::RecordChildExecutionCompletedResponse> RecordChildExecutionCompleted(
      const hs::RecordChildExecutionCompletedRequest& request);

  // Answers at once, or (wait_new_event) when the run changes, or with an empty page when the
  // long poll expires. `done` runs exactly once, on an executor thread.
  void GetWorkflowExecutionHistory(
      const hs::GetWorkflowExecutionHistoryRequest& request,
      std::function<void(absl::StatusOr<ws::GetWorkflowExecutionHistoryResponse>)> done);

  // Long polls for updates: answer when the update reaches the wait policy's stage, or with the
  // current stage when the long poll expires. `done` runs exactly once.
  void UpdateWorkflowExecution(
      const hs::UpdateWorkflowExecutionRequest& request,
      std::function<void(absl::StatusOr<ws::UpdateWorkflowExecutionResponse>)> done);
  void PollWorkflowExecutionUpdate(
      const hs::PollWorkflowExecutionUpdateRequest& request,
      std::function<void(absl::StatusOr<ws::PollWorkflowExecutionUpdateResponse>)> done);

  // Waits until the run can answer a query (its first workflow task completed and none is in
  // flight, or it is closed), then dispatches a query task through matching. `done` runs once.
  void QueryWorkflow(const hs::QueryWorkflowRequest& request, TimePoint deadline,
                     std::function<void(absl::StatusOr<ws::QueryWorkflowResponse>)> done);

  // The client's view of a worker's answer to a query (legacy query task or query_results).
  static absl::StatusOr<ws::QueryWorkflowResponse> QueryOutcome(
      enums::QueryResultType type, const temporal::api::common::v1::Payloads* answer,
      const std::string& error_message, const temporal::api::failure::v1::Failure* failure);

  // Queue task executors (installed into every shard by the service).
  void ExecuteTransferTask(Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done);
  absl::Status ExecuteTimerTask(Shard& shard, const pv1::TimerTask& task);

 private:
  using Mutation = std::function<absl::Status(MutableStateBuilder&)>;
  // A mutation that also sees the run's in-memory context (pending updates).
  using ContextMutation = std::function<absl::Status(MutableStateBuilder&, ExecutionContext&)>;
  // Adds events to a new run between WorkflowExecutionStarted and the first workflow task.
  using StartHook = std::function<void(MutableStateBuilder&)>;

  struct CommandFailure {
    enums::WorkflowTaskFailedCause cause;
    std::string message;
  };
  // How a run came to be: first start, continue-as-new, retry or cron.
  struct RunOrigin {
    std::string continued_execution_run_id;
    std::string first_execution_run_id;  // empty: the new run starts a chain
    enums::ContinueAsNewInitiator initiator = enums::CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED;
    int32_t attempt = 1;
    std::optional<TimePoint> expiration_time;  // inherited execution deadline
    std::chrono::nanoseconds first_task_backoff{0};
    pv1::ParentInfo parent;  // empty unless the run is (part of) a child workflow
  };
  // A new run with its WorkflowExecutionStarted event, run-timeout timer and first workflow
  // task (or the backoff timer that schedules it). `after_started` adds events before the task.
  std::shared_ptr<MutableStateBuilder> NewRun(const std::string& namespace_id,
                                              const ws::StartWorkflowExecutionRequest& request,
                                              const RunOrigin& origin, TimePoint now,
                                              MutableStateBuilder::TaskIdSource task_ids,
                                              const StartHook& after_started);
  // The run that replaces `ms` after it failed or timed out, if its retry policy allows one
  // (sets *retry_state either way). `failure` becomes the new run's continued_failure.
  absl::StatusOr<std::shared_ptr<MutableStateBuilder>> RetryRun(
      Shard& shard, MutableStateBuilder& ms, const temporal::api::failure::v1::Failure& failure,
      enums::RetryState* retry_state);
  // Executes a TYPE_DELETE_EXECUTION timer task (engine_delete.cc).
  absl::Status DeleteExecution(Shard& shard, const pv1::TimerTask& task);
  // The run a reset creates from `base` (whose history is `base_events`), to be written with
  // `current`, the workflow's current run (engine_reset.cc).
  absl::StatusOr<std::shared_ptr<MutableStateBuilder>> ResetRun(
      const pv1::MutableState& base, const std::vector<hv1::HistoryEvent>& base_events,
      const ws::ResetWorkflowExecutionRequest& request, const std::string& new_run_id,
      MutableStateBuilder& current);
  std::optional<CommandFailure> ContinueAsNew(
      Shard& shard, MutableStateBuilder& ms,
      const temporal::api::command::v1::ContinueAsNewWorkflowExecutionCommandAttributes& attrs,
      int64_t workflow_task_completed_event_id);
  // ---- child workflows and requests to other workflows (engine_child.cc) ----
  std::optional<CommandFailure> StartChildCommand(
      MutableStateBuilder& ms,
      const temporal::api::command::v1::StartChildWorkflowExecutionCommandAttributes& attrs,
      int64_t wtc);
  std::optional<CommandFailure> SignalExternalCommand(
      MutableStateBuilder& ms,
      const temporal::api::command::v1::SignalExternalWorkflowExecutionCommandAttributes& attrs,
      int64_t wtc);
  std::optional<CommandFailure> CancelExternalCommand(
      MutableStateBuilder& ms,
      const temporal::api::command::v1::RequestCancelExternalWorkflowExecutionCommandAttributes& attrs,
      int64_t wtc);
  // Tasks a run's closing produces: notify the parent, apply the parent close policy.
  void AddCloseTasks(MutableStateBuilder& ms);
  void StartChild(Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done);
  void NotifyParent(Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done);
  void DeliverExternalRequest(Shard& shard, const pv1::TransferTask& task,
                              TransferQueue::Done done);
  void ApplyParentClosePolicy(Shard& shard, const pv1::TransferTask& task,
                              TransferQueue::Done done);
  // ---- visibility (engine_visibility.cc) ----
  // Writes the run's visibility row from its current state (TYPE_UPSERT_VISIBILITY).
  void UpsertVisibility(Shard& shard, const pv1::TransferTask& task, TransferQueue::Done done);
  // The namespace's custom search attributes: cached, or read from the store with `reload`.
  absl::StatusOr<visibility::CustomSearchAttributes> CustomSearchAttributesFor(
      const std::string& namespace_id, bool reload);
  // BAD_SEARCH_ATTRIBUTES when `attributes` (of an upsert, continue-as-new or child start
  // command) are not all writable attributes of the namespace with values of their type.
  std::optional<CommandFailure> CheckSearchAttributes(
      const std::string& namespace_id, const temporal::api::common::v1::SearchAttributes& attributes,
      const char* command);
  // The current mutable state of a run (cached), for readers that change nothing.
  absl::StatusOr<pv1::MutableState> Snapshot(Shard& shard, const ExecutionKey& key);
  absl::StatusOr<hv1::HistoryEvent> ReadEvent(Shard& shard, const pv1::MutableState& state,
                                              int64_t event_id);

  // The next run of a cron workflow after `ms` completed (`result`) or failed (`failure`);
  // null when the run has no cron schedule.
  absl::StatusOr<std::shared_ptr<MutableStateBuilder>> CronRun(
      Shard& shard, MutableStateBuilder& ms, const temporal::api::common::v1::Payloads* result,
      const temporal::api::failure::v1::Failure* failure);
  // The WorkflowExecutionStarted attributes of a run (read from its first event).
  absl::StatusOr<hv1::WorkflowExecutionStartedEventAttributes> StartedAttributes(
      Shard& shard, const pv1::MutableState& state);

  // Starts a run of request.workflow_id() applying the id reuse/conflict policies. When a run is
  // open and `on_running` is set, it is applied to that run instead (signal-with-start) and the
  // response says started=false.
  absl::StatusOr<ws::StartWorkflowExecutionResponse> StartRun(
      const std::string& namespace_id, const ws::StartWorkflowExecutionRequest& request,
      const StartHook& after_started, const Mutation* on_running,
      const pv1::ParentInfo& parent = pv1::ParentInfo());
  hv1::HistoryEvent* AddSignal(MutableStateBuilder& ms, const std::string& signal_name,
                 const temporal::api::common::v1::Payloads* input, const std::string& identity,
                 const temporal::api::common::v1::Header* header, const std::string& request_id);

  // Loads the run under its lock, applies `fn` and persists what it produced. If `fn` fails,
  // nothing is written; a handler that must write and still fail uses
  // MutableStateBuilder::FailAfterWrite. Retries a lost optimistic-concurrency race.
  absl::Status Mutate(Shard& shard, const ExecutionKey& key, const Mutation& fn);
  absl::Status MutateWithContext(Shard& shard, const ExecutionKey& key, const ContextMutation& fn);

  // Parks a query on the run's context until a workflow task carries and answers it (see
  // ExecutionContext::PendingQuery); `done` runs once.
  void RideOnWorkflowTask(std::shared_ptr<Shard> shard, ExecutionKey key,
                          hs::QueryWorkflowRequest internal, TimePoint deadline,
                          std::function<void(absl::StatusOr<ws::QueryWorkflowResponse>)> done);

  // ---- updates (engine_update.cc) ----
  struct UpdateStatus {
    enums::UpdateWorkflowExecutionLifecycleStage stage =
        enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
    std::optional<temporal::api::update::v1::Outcome> outcome;
  };
  // Where update `update_id` of the run stands; NOT_FOUND if unknown (or never accepted before
  // the run closed). `admit` (when set) is admitted if the update is new.
  absl::StatusOr<UpdateStatus> CheckUpdate(Shard& shard, const ExecutionKey& key,
                                           const std::string& update_id,
                                           const temporal::api::update::v1::Request* admit);
  using UpdateDone = std::function<void(absl::StatusOr<UpdateStatus>)>;
  void WaitForUpdate(std::shared_ptr<Shard> shard, ExecutionKey key, std::string update_id,
                     std::optional<temporal::api::update::v1::Request> admit,
                     enums::UpdateWorkflowExecutionLifecycleStage wanted, TimePoint deadline,
                     UpdateDone done);
  // Poll-response messages for the run's admitted updates.
  void AddUpdateMessages(const ExecutionContext& context, int64_t started_event_id,
                         ws::PollWorkflowTaskQueueResponse* response);
  // Applies the update protocol messages of a workflow task completion (acceptances and
  // completions become events; rejections are remembered in memory).
  std::optional<CommandFailure> HandleUpdateMessage(
      MutableStateBuilder& ms, ExecutionContext& ctx,
      const temporal::api::protocol::v1::Message& message);
  // Resolves an empty run id to the workflow's current run.
  absl::StatusOr<std::string> ResolveRunId(Shard& shard, const std::string& namespace_id,
                                           const std::string& workflow_id,
                                           const std::string& run_id);
  absl::StatusOr<std::shared_ptr<Shard>> ShardFor(const std::string& namespace_id,
                                                  const std::string& workflow_id);
  // The shard and run an execution (workflow id + optional run id) names.
  struct Target {
    std::shared_ptr<Shard> shard;
    ExecutionKey key;
  };
  absl::StatusOr<Target> ResolveTarget(const std::string& namespace_id,
                                       const temporal::api::common::v1::WorkflowExecution& execution);
  absl::StatusOr<persistence::ExecutionRecord> LoadRecord(Shard& shard, const ExecutionKey& key);
  // The write of `ms`, with its close tasks when it closed and a visibility task when
  // VisibilityChanged(previous, new state); `previous` is the state read (nullptr: a new run).
  persistence::WorkflowWrite BuildWrite(MutableStateBuilder& ms, int64_t expected_version,
                                        bool was_running, const pv1::MutableState* previous);

  // ---- pieces shared by several handlers (engine_*.cc) ----
  // Applies the commands of a completed workflow task in order, one event each. Returns why the
  // task must fail instead (invalid attributes, unhandled events), leaving `ms` to be dropped.
  std::optional<CommandFailure> HandleCommands(Shard& shard, ExecutionContext& ctx,
                                               MutableStateBuilder& ms,
                                               const ws::RespondWorkflowTaskCompletedRequest& request,
                                               int64_t completed_event_id, bool* closed);
  void FailWorkflowTask(MutableStateBuilder& ms, enums::WorkflowTaskFailedCause cause,
                        const temporal::api::failure::v1::Failure& failure,
                        const std::string& identity);
  void TimeoutWorkflowTask(MutableStateBuilder& ms);
  // Retries the activity per its policy, or records its final failure/timeout.
  void FailActivity(MutableStateBuilder& ms, int64_t scheduled_event_id,
                    const temporal::api::failure::v1::Failure& failure,
                    const temporal::api::common::v1::Payloads* heartbeat_details,
                    const std::string& identity, bool timeout);
  // Pushes the current attempt to matching, with its schedule-to-start timer (and, for the
  // first attempt, the schedule-to-close timer).
  void DispatchActivity(MutableStateBuilder& ms, const pv1::ActivityInfo& activity);
  // Applies `fn` to the started activity attempt a worker reports on (by task token).
  using ActivityMutation = std::function<absl::Status(MutableStateBuilder&, pv1::ActivityInfo&)>;
  absl::Status MutateActivity(const std::string& task_token, const ActivityMutation& fn);
  void TerminateRun(MutableStateBuilder& ms, const std::string& reason,
                    const temporal::api::common::v1::Payloads* details,
                    const std::string& identity);
  absl::StatusOr<std::vector<hv1::HistoryEvent>> ReadAllEvents(Shard& shard,
                                                               const pv1::MutableState& state);
  absl::StatusOr<ws::PollWorkflowTaskQueueResponse> BuildWorkflowTaskResponse(
      Shard& shard, const pv1::MutableState& state,
      const std::vector<hv1::HistoryEvent>& transient_events, bool partial);
  void ServeHistory(std::shared_ptr<Shard> shard, hs::GetWorkflowExecutionHistoryRequest request,
                    std::string run_id, TimePoint long_poll_deadline,
                    std::function<void(absl::StatusOr<ws::GetWorkflowExecutionHistoryResponse>)> done);

  const Config& config_;
  ShardController& shards_;
  client::MatchingClient& matching_;
  // Calls to other workflows (children, parents, external signals) may cross shards and hosts.
  client::HistoryClient* history_client_;
  Executor& blocking_;
  Clock& clock_;
  std::shared_ptr<persistence::VisibilityStore> visibility_;
  std::shared_ptr<persistence::NamespaceCache> namespaces_;
};

}  // namespace tern::history
