// A history engine over in-memory stores for unit tests: a real ShardController (that owns
// every shard through a one-member ring), real shards and queues, a matching client that records
// what history dispatches and a history client that records cross-workflow calls. The fixture
// plays clients, workers and matching through the engine's RPCs, so tests assert what a user
// would observe (histories, responses, errors).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/hashing.h"
#include "common/ids.h"
#include "common/task_token.h"
#include "services/history/history_engine.h"
#include "temporal/api/command/v1/message.pb.h"
#include "temporal/api/errordetails/v1/message.pb.h"
#include "temporal/api/protocol/v1/message.pb.h"
#include "tests/unit/history_fakes.h"

namespace tern::history::test_env {

namespace fakes = tern::history::testing;
namespace cmd = temporal::api::command::v1;
namespace cv1 = temporal::api::common::v1;
namespace msv1 = tern::matchingservice::v1;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Events = std::vector<hv1::HistoryEvent>;
using Strings = std::vector<std::string>;
using HistoryResult = absl::StatusOr<ws::GetWorkflowExecutionHistoryResponse>;

inline constexpr char kNsId[] = "ns-id-1";
inline constexpr char kNs[] = "default";
inline constexpr char kSelf[] = "127.0.0.1:7234";
inline constexpr char kQueue[] = "orders-tq";
inline constexpr int32_t kShards = 4;
inline constexpr auto kWait = seconds(5);

struct Execution {
  std::string workflow_id;
  std::string run_id;
};

inline Config TestConfig() {
  Config config;
  config.persistence.num_history_shards = kShards;
  dynamicconfig::Values values;
  values.Set(dynamicconfig::kMatchingNumTaskqueuePartitions, 1);
  config.dynamic.Update(values);
  return config;
}

inline cv1::Payloads Payload(const std::string& data) {
  cv1::Payloads payloads;
  auto* p = payloads.add_payloads();
  (*p->mutable_metadata())["encoding"] = "json/plain";
  p->set_data(data);
  return payloads;
}

inline Events ToVector(const google::protobuf::RepeatedPtrField<hv1::HistoryEvent>& events) {
  return Events(events.begin(), events.end());
}

// Event types without the EVENT_TYPE_ prefix, for readable failures.
inline Strings Names(const Events& events) {
  Strings names;
  for (const auto& e : events) names.push_back(enums::EventType_Name(e.event_type()).substr(11));
  return names;
}

// Ids 1..N without gaps, each event with a time.
inline void ExpectWellFormed(const Events& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event_id(), static_cast<int64_t>(i + 1)) << "event #" << i;
    EXPECT_TRUE(events[i].has_event_time()) << "event " << events[i].event_id();
  }
}

inline cmd::Command ScheduleActivity(const std::string& activity_id,
                                     std::chrono::seconds start_to_close = seconds(60),
                                     std::optional<cv1::RetryPolicy> retry = std::nullopt) {
  cmd::Command command;
  command.set_command_type(enums::COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
  auto* a = command.mutable_schedule_activity_task_command_attributes();
  a->set_activity_id(activity_id);
  a->mutable_activity_type()->set_name("Charge");
  *a->mutable_input() = Payload("\"card-1\"");
  if (start_to_close.count() > 0)
    *a->mutable_start_to_close_timeout() = ToProtoDuration(start_to_close);
  if (retry) *a->mutable_retry_policy() = *retry;
  return command;
}

inline cmd::Command StartTimer(const std::string& timer_id, std::chrono::nanoseconds fire_after) {
  cmd::Command command;
  command.set_command_type(enums::COMMAND_TYPE_START_TIMER);
  auto* a = command.mutable_start_timer_command_attributes();
  a->set_timer_id(timer_id);
  *a->mutable_start_to_fire_timeout() = ToProtoDuration(fire_after);
  return command;
}

inline cmd::Command CompleteWorkflow(const std::string& result) {
  cmd::Command command;
  command.set_command_type(enums::COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
  *command.mutable_complete_workflow_execution_command_attributes()->mutable_result() =
      Payload(result);
  return command;
}

inline cmd::Command RequestCancelActivity(int64_t scheduled_event_id) {
  cmd::Command command;
  command.set_command_type(enums::COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK);
  command.mutable_request_cancel_activity_task_command_attributes()->set_scheduled_event_id(
      scheduled_event_id);
  return command;
}

inline cv1::RetryPolicy FastRetry(int32_t maximum_attempts) {
  cv1::RetryPolicy retry;
  *retry.mutable_initial_interval() = ToProtoDuration(milliseconds(10));
  retry.set_backoff_coefficient(1.0);
  retry.set_maximum_attempts(maximum_attempts);
  return retry;
}

// Plays the history hosts the engine calls for other workflows (children, parents, external
// signals) by calling back into the same engine on the executor, as if every shard were local.
// Attach() before the first call; other methods fail UNIMPLEMENTED.
class LoopbackHistoryClient final : public mocks::FakeHistoryClient {
 public:
  LoopbackHistoryClient() {
    FailUnansweredWith(absl::UnimplementedError("not looped back in this test"));
  }

  void Attach(HistoryEngine* engine, Executor* executor) {
    Loop(StartWorkflowExecution_, engine, executor, &HistoryEngine::StartWorkflowExecution);
    Loop(SignalWorkflowExecution_, engine, executor, &HistoryEngine::SignalWorkflowExecution);
    Loop(RequestCancelWorkflowExecution_, engine, executor,
         &HistoryEngine::RequestCancelWorkflowExecution);
    Loop(TerminateWorkflowExecution_, engine, executor, &HistoryEngine::TerminateWorkflowExecution);
    Loop(RecordChildExecutionCompleted_, engine, executor,
         &HistoryEngine::RecordChildExecutionCompleted);
  }

 private:
  template <typename Request, typename Response>
  static void Loop(mocks::Recorder<Request, Response>& method, HistoryEngine* engine,
                   Executor* executor,
                   absl::StatusOr<Response> (HistoryEngine::*handler)(const Request&)) {
    method.SetReply(
        [engine, handler](const Request& request) { return (engine->*handler)(request); },
        executor);
  }
};

// The matching fake of fakes::RecordingMatchingClient that also answers legacy query tasks
// (QueryWorkflow) with what the test scripts (UNAVAILABLE until it does).
class QueryAnsweringMatchingClient final : public fakes::RecordingMatchingClient {
 public:
  using Answer =
      std::function<absl::StatusOr<msv1::QueryWorkflowResponse>(const msv1::QueryWorkflowRequest&)>;

  QueryAnsweringMatchingClient() {
    QueryWorkflow_.SetReply([](const msv1::QueryWorkflowRequest&) {
      return absl::StatusOr<msv1::QueryWorkflowResponse>(
          absl::UnavailableError("no worker answers queries in this test"));
    });
  }

  void AnswerQueriesWith(Answer answer) { QueryWorkflow_.SetReply(std::move(answer)); }
  std::vector<msv1::QueryWorkflowRequest> queries() const { return QueryWorkflow_.requests(); }
};

// The engine and its in-memory world; the clients are parameters so a test can swap in the
// loopback history client or the query-answering matching client.
template <typename MatchingClientT, typename HistoryClientT>
class BasicHistoryTestEnv : public ::testing::Test {
 protected:
  BasicHistoryTestEnv()
      : config_(TestConfig()),
        executor_(2, "hist-test"),
        shard_store_(std::make_shared<fakes::FakeShardStore>()),
        executions_(std::make_shared<fakes::FakeExecutionStore>(shard_store_)),
        membership_store_(std::make_shared<fakes::FakeMembershipStore>()),
        membership_(membership_store_, MembershipConfig{}),
        controller_(kShards, kSelf, Stores(), membership_, executor_, SystemClock::Instance()),
        engine_(config_, controller_, matching_, history_client_, executor_,
                SystemClock::Instance(), visibility_) {
    controller_.SetTaskExecutors(
        [this](Shard& shard, TransferQueue::TaskRef task, TransferQueue::Done done) {
          engine_.ExecuteTransferTask(shard, std::move(task), std::move(done));
        },
        [this](Shard& shard, const pv1::TimerTask& task) {
          return engine_.ExecuteTimerTask(shard, task);
        });
    persistence::Member self;
    self.role = persistence::Role::kHistory;
    self.host_id = "history-host-1";
    self.rpc_address = kSelf;
    self.session_start = std::chrono::system_clock::now();
    auto status = membership_.Start({self});
    EXPECT_TRUE(status.ok()) << status;
    controller_.Start();
  }

  ~BasicHistoryTestEnv() override {
    controller_.Stop();
    membership_.Stop();
    executor_.Stop();
  }

  persistence::Stores Stores() {
    persistence::Stores stores;
    stores.membership = membership_store_;
    stores.shards = shard_store_;
    stores.executions = executions_;
    return stores;
  }

  // ---- client calls ----

  ws::StartWorkflowExecutionRequest StartRequest(const std::string& workflow_id,
                                                 const std::string& request_id) {
    ws::StartWorkflowExecutionRequest request;
    request.set_namespace_(kNs);
    request.set_workflow_id(workflow_id);
    request.mutable_workflow_type()->set_name("OrderWorkflow");
    request.mutable_task_queue()->set_name(kQueue);
    *request.mutable_input() = Payload("\"input\"");
    request.set_identity("client-1");
    request.set_request_id(request_id);
    return request;
  }

  absl::StatusOr<ws::StartWorkflowExecutionResponse> Start(
      const ws::StartWorkflowExecutionRequest& request) {
    hs::StartWorkflowExecutionRequest internal;
    internal.set_namespace_id(kNsId);
    *internal.mutable_request() = request;
    return engine_.StartWorkflowExecution(internal);
  }

  Execution StartRun(const std::string& workflow_id) {
    auto started = Start(StartRequest(workflow_id, NewUuid()));
    EXPECT_TRUE(started.ok()) << started.status();
    return {workflow_id, started.ok() ? started->run_id() : ""};
  }

  absl::StatusOr<ws::DescribeWorkflowExecutionResponse> Describe(const Execution& run) {
    hs::DescribeWorkflowExecutionRequest request;
    request.set_namespace_id(kNsId);
    request.mutable_request()->set_namespace_(kNs);
    request.mutable_request()->mutable_execution()->set_workflow_id(run.workflow_id);
    request.mutable_request()->mutable_execution()->set_run_id(run.run_id);
    return engine_.DescribeWorkflowExecution(request);
  }

  absl::Status Terminate(const Execution& run, const std::string& reason) {
    hs::TerminateWorkflowExecutionRequest request;
    request.set_namespace_id(kNsId);
    auto* r = request.mutable_request();
    r->set_namespace_(kNs);
    r->mutable_workflow_execution()->set_workflow_id(run.workflow_id);
    r->mutable_workflow_execution()->set_run_id(run.run_id);
    r->set_reason(reason);
    r->set_identity("admin");
    return engine_.TerminateWorkflowExecution(request).status();
  }

  hs::GetWorkflowExecutionHistoryRequest HistoryRequest(const Execution& run, int page_size = 0,
                                                        const std::string& token = "") {
    hs::GetWorkflowExecutionHistoryRequest request;
    request.set_namespace_id(kNsId);
    auto* r = request.mutable_request();
    r->set_namespace_(kNs);
    r->mutable_execution()->set_workflow_id(run.workflow_id);
    r->mutable_execution()->set_run_id(run.run_id);
    r->set_maximum_page_size(page_size);
    r->set_next_page_token(token);
    return request;
  }

  // Starts a (possibly long-polling) history read; the future holds its one answer.
  std::shared_future<HistoryResult> AsyncHistory(const hs::GetWorkflowExecutionHistoryRequest& r) {
    auto promise = std::make_shared<std::promise<HistoryResult>>();
    std::shared_future<HistoryResult> future = promise->get_future().share();
    engine_.GetWorkflowExecutionHistory(
        r, [promise](HistoryResult result) { promise->set_value(std::move(result)); });
    return future;
  }

  HistoryResult GetHistory(const hs::GetWorkflowExecutionHistoryRequest& r) {
    auto future = AsyncHistory(r);
    if (future.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("GetWorkflowExecutionHistory did not answer");
    }
    return future.get();
  }

  // The whole history as a client pages through it.
  Events History(const Execution& run) {
    Events events;
    std::string token;
    for (int page = 0; page < 1000; ++page) {
      auto response = GetHistory(HistoryRequest(run, 0, token));
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      for (const auto& e : response->history().events()) events.push_back(e);
      token = response->next_page_token();
      if (token.empty()) break;
    }
    return events;
  }

  absl::Status Signal(const Execution& run, const std::string& name) {
    hs::SignalWorkflowExecutionRequest request;
    request.set_namespace_id(kNsId);
    auto* r = request.mutable_request();
    r->set_namespace_(kNs);
    r->mutable_workflow_execution()->set_workflow_id(run.workflow_id);
    r->mutable_workflow_execution()->set_run_id(run.run_id);
    r->set_signal_name(name);
    *r->mutable_input() = Payload("\"" + name + "\"");
    r->set_identity("client-1");
    r->set_request_id(NewUuid());
    return engine_.SignalWorkflowExecution(request).status();
  }

  // ---- worker calls ----

  absl::StatusOr<ws::PollWorkflowTaskQueueResponse> RecordWorkflowTaskStarted(
      const Execution& run, int64_t scheduled_event_id, const std::string& request_id) {
    hs::RecordWorkflowTaskStartedRequest request;
    request.set_namespace_id(kNsId);
    request.mutable_workflow_execution()->set_workflow_id(run.workflow_id);
    request.mutable_workflow_execution()->set_run_id(run.run_id);
    request.set_scheduled_event_id(scheduled_event_id);
    request.set_request_id(request_id);
    request.mutable_poll_request()->set_namespace_(kNs);
    request.mutable_poll_request()->mutable_task_queue()->set_name(kQueue);
    request.mutable_poll_request()->set_identity("workflow-worker");
    return engine_.RecordWorkflowTaskStarted(request);
  }

  // Plays matching: takes the workflow tasks history dispatched for `run` in order, drops the
  // ones history refuses with NOT_FOUND (stale), and returns the poll response of the first
  // one that starts.
  ws::PollWorkflowTaskQueueResponse PollWorkflowTask(const Execution& run) {
    while (true) {
      std::optional<msv1::AddWorkflowTaskRequest> task;
      size_t& cursor = workflow_cursor_[run.run_id];
      bool found = fakes::WaitFor([&] {
        auto all = matching_.workflow_tasks();
        for (; cursor < all.size(); ++cursor) {
          // Sticky tasks are taken by the tests that are about them.
          if (all[cursor].execution().run_id() == run.run_id &&
              all[cursor].task_queue().kind() != enums::TASK_QUEUE_KIND_STICKY) {
            task = all[cursor++];
            return true;
          }
        }
        return false;
      });
      if (!found) {
        ADD_FAILURE() << "no workflow task was dispatched for " << run.workflow_id;
        return {};
      }
      EXPECT_EQ(task->namespace_id(), kNsId);
      EXPECT_EQ(task->task_queue().name(), kQueue);
      auto response = RecordWorkflowTaskStarted(run, task->scheduled_event_id(), NewUuid());
      if (absl::IsNotFound(response.status())) continue;
      EXPECT_TRUE(response.ok()) << response.status();
      return response.ok() ? *response : ws::PollWorkflowTaskQueueResponse();
    }
  }

  absl::StatusOr<ws::PollActivityTaskQueueResponse> RecordActivityTaskStarted(
      const Execution& run, int64_t scheduled_event_id, const std::string& request_id) {
    hs::RecordActivityTaskStartedRequest request;
    request.set_namespace_id(kNsId);
    request.mutable_workflow_execution()->set_workflow_id(run.workflow_id);
    request.mutable_workflow_execution()->set_run_id(run.run_id);
    request.set_scheduled_event_id(scheduled_event_id);
    request.set_request_id(request_id);
    request.mutable_poll_request()->set_namespace_(kNs);
    request.mutable_poll_request()->set_identity("activity-worker");
    return engine_.RecordActivityTaskStarted(request);
  }

  // The same for activity tasks.
  ws::PollActivityTaskQueueResponse PollActivityTask(const Execution& run) {
    while (true) {
      std::optional<msv1::AddActivityTaskRequest> task;
      size_t& cursor = activity_cursor_[run.run_id];
      bool found = fakes::WaitFor([&] {
        auto all = matching_.activity_tasks();
        for (; cursor < all.size(); ++cursor) {
          if (all[cursor].execution().run_id() == run.run_id) {
            task = all[cursor++];
            return true;
          }
        }
        return false;
      });
      if (!found) {
        ADD_FAILURE() << "no activity task was dispatched for " << run.workflow_id;
        return {};
      }
      auto response = RecordActivityTaskStarted(run, task->scheduled_event_id(), NewUuid());
      if (absl::IsNotFound(response.status())) continue;
      EXPECT_TRUE(response.ok()) << response.status();
      return response.ok() ? *response : ws::PollActivityTaskQueueResponse();
    }
  }

  absl::Status CompleteWorkflowTask(
      const std::string& token, std::vector<cmd::Command> commands, bool force_new_task = false,
      const std::string& sticky_queue = "",
      std::vector<temporal::api::protocol::v1::Message> messages = {}) {
    return RespondWorkflowTaskCompleted(
               token, std::move(commands), std::move(messages),
               {.force_new_task = force_new_task, .sticky_queue = sticky_queue})
        .status();
  }

  struct CompletionOptions {
    bool force_new_task = false;
    bool return_new_task = false;
    std::string sticky_queue;  // the worker's sticky queue; empty: none
  };
  // Completes a workflow task, answering with the whole response.
  absl::StatusOr<ws::RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompleted(
      const std::string& token, std::vector<cmd::Command> commands,
      std::vector<temporal::api::protocol::v1::Message> messages, CompletionOptions options) {
    hs::RespondWorkflowTaskCompletedRequest request;
    request.set_namespace_id(kNsId);
    auto* r = request.mutable_request();
    r->set_namespace_(kNs);
    r->set_task_token(token);
    r->set_identity("workflow-worker");
    for (auto& c : commands) *r->add_commands() = std::move(c);
    for (auto& m : messages) *r->add_messages() = std::move(m);
    r->set_force_create_new_workflow_task(options.force_new_task);
    r->set_return_new_workflow_task(options.return_new_task);
    if (!options.sticky_queue.empty()) {
      r->mutable_sticky_attributes()->mutable_worker_task_queue()->set_name(options.sticky_queue);
      r->mutable_sticky_attributes()->mutable_worker_task_queue()->set_kind(
          enums::TASK_QUEUE_KIND_STICKY);
      r->mutable_sticky_attributes()->mutable_schedule_to_start_timeout()->set_seconds(10);
    }
    return engine_.RespondWorkflowTaskCompleted(request);
  }

  absl::Status FailWorkflowTask(const std::string& token, const std::string& message) {
    hs::RespondWorkflowTaskFailedRequest request;
    request.set_namespace_id(kNsId);
    auto* r = request.mutable_request();
    r->set_namespace_(kNs);
    r->set_task_token(token);
    r->set_cause(enums::WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE);
    r->mutable_failure()->set_message(message);
    r->set_identity("workflow-worker");
    return engine_.RespondWorkflowTaskFailed(request).status();
  }

  absl::Status CompleteActivity(const std::string& token, const std::string& result) {
    hs::RespondActivityTaskCompletedRequest request;
    request.set_namespace_id(kNsId);
    auto* r = request.mutable_request();
    r->set_namespace_(kNs);
    r->set_task_token(token);
    *r->mutable_result() = Payload(result);
    r->set_identity("activity-worker");
    return engine_.RespondActivityTaskCompleted(request).status();
  }

  absl::Status FailActivity(const std::string& token, const std::string& message) {
    hs::RespondActivityTaskFailedRequest request;
    request.set_namespace_id(kNsId);
    auto* r = request.mutable_request();
    r->set_namespace_(kNs);
    r->set_task_token(token);
    r->mutable_failure()->set_message(message);
    r->mutable_failure()->mutable_application_failure_info()->set_type("TransientError");
    r->set_identity("activity-worker");
    return engine_.RespondActivityTaskFailed(request).status();
  }

  absl::StatusOr<ws::RecordActivityTaskHeartbeatResponse> Heartbeat(const std::string& token) {
    hs::RecordActivityTaskHeartbeatRequest request;
    request.set_namespace_id(kNsId);
    request.mutable_request()->set_namespace_(kNs);
    request.mutable_request()->set_task_token(token);
    *request.mutable_request()->mutable_details() = Payload("\"progress\"");
    request.mutable_request()->set_identity("activity-worker");
    return engine_.RecordActivityTaskHeartbeat(request);
  }

  absl::Status CancelActivity(const std::string& token, const std::string& details) {
    hs::RespondActivityTaskCanceledRequest request;
    request.set_namespace_id(kNsId);
    request.mutable_request()->set_namespace_(kNs);
    request.mutable_request()->set_task_token(token);
    *request.mutable_request()->mutable_details() = Payload(details);
    request.mutable_request()->set_identity("activity-worker");
    return engine_.RespondActivityTaskCanceled(request).status();
  }

  // ---- internals the tests drive directly ----

  int32_t ShardId(const Execution& run) {
    return ShardForWorkflow(kNsId, run.workflow_id, kShards);
  }

  std::shared_ptr<Shard> ShardOf(const Execution& run) {
    auto shard = controller_.GetShard(ShardId(run));
    EXPECT_TRUE(shard.ok()) << shard.status();
    return shard.ok() ? *shard : nullptr;
  }

  // The user-timer task written for `timer_id` of `run`.
  std::optional<pv1::TimerTask> UserTimer(const Execution& run, const std::string& timer_id) {
    std::optional<pv1::TimerTask> found;
    for (const auto& task : executions_->TimerTasksWritten()) {
      if (task.type() == pv1::TimerTask::TYPE_USER_TIMER && task.run_id() == run.run_id &&
          task.timer_id() == timer_id) {
        found = task;
      }
    }
    return found;
  }

  // The last timer task of `type`/`timeout_type` (and `attempt`, unless 0) written for `run`.
  std::optional<pv1::TimerTask> TimerTask(const Execution& run, pv1::TimerTask::Type type,
                                          enums::TimeoutType timeout_type, int32_t attempt = 0) {
    std::optional<pv1::TimerTask> found;
    for (const auto& task : executions_->TimerTasksWritten()) {
      if (task.type() == type && task.run_id() == run.run_id &&
          task.timeout_type() == timeout_type && (attempt == 0 || task.attempt() == attempt)) {
        found = task;
      }
    }
    return found;
  }

  Config config_;
  Executor executor_;
  std::shared_ptr<fakes::FakeShardStore> shard_store_;
  std::shared_ptr<fakes::FakeExecutionStore> executions_;
  std::shared_ptr<fakes::FakeMembershipStore> membership_store_;
  std::shared_ptr<fakes::FakeVisibilityStore> visibility_ =
      std::make_shared<fakes::FakeVisibilityStore>();
  Membership membership_;
  MatchingClientT matching_;
  HistoryClientT history_client_;
  ShardController controller_;
  HistoryEngine engine_;
  std::map<std::string, size_t> workflow_cursor_;
  std::map<std::string, size_t> activity_cursor_;
};

using HistoryTestEnv =
    BasicHistoryTestEnv<fakes::RecordingMatchingClient, fakes::RecordingHistoryClient>;

}  // namespace tern::history::test_env
