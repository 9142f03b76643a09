// Workflow updates through the history APIs (api/update_workflow_execution.cc,
// api/poll_workflow_execution_update.cc, updates.cc, commands/update_messages.cc): admission,
// delivery on a workflow task, acceptance, completion, rejection and polling.
#include <gtest/gtest.h>

#include "temporal/api/update/v1/message.pb.h"
#include "tests/unit/history_test_env.h"

namespace tern::history {
namespace {

using namespace test_env;  // NOLINT(build/namespaces): the fixture's vocabulary
namespace uv1 = temporal::api::update::v1;
using Message = temporal::api::protocol::v1::Message;
using UpdateResult = absl::StatusOr<ws::UpdateWorkflowExecutionResponse>;
using PollResult = absl::StatusOr<ws::PollWorkflowExecutionUpdateResponse>;

constexpr auto kAdmitted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
constexpr auto kAccepted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
constexpr auto kCompleted = enums::UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;

Message Accept(const std::string& update_id) {
  Message message;
  message.set_id(update_id + "/accept");
  message.set_protocol_instance_id(update_id);
  uv1::Acceptance acceptance;
  acceptance.set_accepted_request_message_id(update_id + "/request");
  message.mutable_body()->PackFrom(acceptance);
  return message;
}

Message Complete(const std::string& update_id, const std::string& result) {
  Message message;
  message.set_id(update_id + "/complete");
  message.set_protocol_instance_id(update_id);
  uv1::Response response;
  response.mutable_meta()->set_update_id(update_id);
  *response.mutable_outcome()->mutable_success() = Payload(result);
  message.mutable_body()->PackFrom(response);
  return message;
}

Message Reject(const std::string& update_id, const std::string& why) {
  Message message;
  message.set_id(update_id + "/reject");
  message.set_protocol_instance_id(update_id);
  uv1::Rejection rejection;
  rejection.set_rejected_request_message_id(update_id + "/request");
  rejection.mutable_failure()->set_message(why);
  message.mutable_body()->PackFrom(rejection);
  return message;
}

cmd::Command ProtocolMessage(const Message& message) {
  cmd::Command command;
  command.set_command_type(enums::COMMAND_TYPE_PROTOCOL_MESSAGE);
  command.mutable_protocol_message_command_attributes()->set_message_id(message.id());
  return command;
}

class HistoryUpdateTest : public HistoryTestEnv {
 protected:
  // A run whose first workflow task completed without commands: idle, waiting for work.
  Execution IdleRun(const std::string& workflow_id) {
    Execution run = StartRun(workflow_id);
    auto poll = PollWorkflowTask(run);
    EXPECT_TRUE(CompleteWorkflowTask(poll.task_token(), {}).ok());
    return run;
  }

  std::shared_future<UpdateResult> AsyncUpdate(
      const Execution& run, const std::string& update_id,
      enums::UpdateWorkflowExecutionLifecycleStage wait,
      std::chrono::milliseconds long_poll = std::chrono::seconds(5)) {
    hs::UpdateWorkflowExecutionRequest internal;
    internal.set_namespace_id(kNsId);
    *internal.mutable_long_poll_timeout() = ToProtoDuration(long_poll);
    auto* r = internal.mutable_request();
    r->set_namespace_(kNs);
    r->mutable_workflow_execution()->set_workflow_id(run.workflow_id);
    r->mutable_wait_policy()->set_lifecycle_stage(wait);
    auto* update = r->mutable_request();
    update->mutable_meta()->set_update_id(update_id);
    update->mutable_meta()->set_identity("client-1");
    update->mutable_input()->set_name("SetPrice");
    *update->mutable_input()->mutable_args() = Payload("7");
    auto promise = std::make_shared<std::promise<UpdateResult>>();
    engine_.UpdateWorkflowExecution(
        internal, [promise](UpdateResult result) { promise->set_value(std::move(result)); });
    return promise->get_future().share();
  }

  PollResult PollUpdate(const Execution& run, const std::string& update_id,
                        enums::UpdateWorkflowExecutionLifecycleStage wait) {
    hs::PollWorkflowExecutionUpdateRequest internal;
    internal.set_namespace_id(kNsId);
    *internal.mutable_long_poll_timeout() = ToProtoDuration(std::chrono::seconds(1));
    auto* r = internal.mutable_request();
    r->set_namespace_(kNs);
    r->mutable_update_ref()->mutable_workflow_execution()->set_workflow_id(run.workflow_id);
    r->mutable_update_ref()->set_update_id(update_id);
    r->mutable_wait_policy()->set_lifecycle_stage(wait);
    std::promise<PollResult> promise;
    auto future = promise.get_future();
    engine_.PollWorkflowExecutionUpdate(
        internal, [&promise](PollResult result) { promise.set_value(std::move(result)); });
    if (future.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("PollWorkflowExecutionUpdate did not answer");
    }
    return future.get();
  }

  absl::Status CompleteWithMessages(const std::string& token, std::vector<cmd::Command> commands,
                                    std::vector<Message> messages) {
    return CompleteWorkflowTask(token, std::move(commands), false, "", std::move(messages));
  }

  // Completes a workflow task with only protocol messages, answering with the whole response.
  absl::StatusOr<ws::RespondWorkflowTaskCompletedResponse> Respond(const std::string& token,
                                                                   std::vector<Message> messages) {
    return RespondWorkflowTaskCompleted(token, {}, std::move(messages), {});
  }

  static UpdateResult Get(const std::shared_future<UpdateResult>& future) {
    if (future.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("UpdateWorkflowExecution did not answer");
    }
    return future.get();
  }
};

TEST_F(HistoryUpdateTest, AcceptedAndCompletedUpdateIsRecordedAndAnswersTheCaller) {
  Execution run = IdleRun("wf-update");
  auto update = AsyncUpdate(run, "upd-1", kCompleted);

  // The update reaches the worker as a protocol message on a new workflow task.
  auto poll = PollWorkflowTask(run);
  ASSERT_EQ(poll.messages_size(), 1);
  EXPECT_EQ(poll.messages(0).id(), "upd-1/request");
  EXPECT_EQ(poll.messages(0).protocol_instance_id(), "upd-1");
  uv1::Request delivered;
  ASSERT_TRUE(poll.messages(0).body().UnpackTo(&delivered));
  EXPECT_EQ(delivered.meta().update_id(), "upd-1");
  EXPECT_EQ(delivered.input().name(), "SetPrice");
  EXPECT_EQ(update.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);

  Message accept = Accept("upd-1");
  Message complete = Complete("upd-1", "\"ok\"");
  ASSERT_TRUE(CompleteWithMessages(poll.task_token(),
                                   {ProtocolMessage(accept), ProtocolMessage(complete)},
                                   {accept, complete})
                  .ok());

  auto result = Get(update);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stage(), kCompleted);
  EXPECT_EQ(result->update_ref().update_id(), "upd-1");
  EXPECT_EQ(result->update_ref().workflow_execution().run_id(), run.run_id);
  EXPECT_EQ(result->outcome().success().payloads(0).data(), "\"ok\"");

  Events events = History(run);
  ExpectWellFormed(events);
  EXPECT_EQ(Names(events),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
                     "WORKFLOW_EXECUTION_UPDATE_ACCEPTED", "WORKFLOW_EXECUTION_UPDATE_COMPLETED"}));
  const auto& accepted = events[7].workflow_execution_update_accepted_event_attributes();
  EXPECT_EQ(accepted.protocol_instance_id(), "upd-1");
  EXPECT_EQ(accepted.accepted_request().meta().update_id(), "upd-1");
  const auto& completed = events[8].workflow_execution_update_completed_event_attributes();
  EXPECT_EQ(completed.accepted_event_id(), events[7].event_id());
  EXPECT_EQ(completed.outcome().success().payloads(0).data(), "\"ok\"");

  // Polling a completed update answers at once with its outcome.
  auto polled = PollUpdate(run, "upd-1", kCompleted);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(polled->stage(), kCompleted);
  EXPECT_EQ(polled->outcome().success().payloads(0).data(), "\"ok\"");
  EXPECT_EQ(polled->update_ref().workflow_execution().run_id(), run.run_id);
}

TEST_F(HistoryUpdateTest, AdmittedAnswersAtOnceAndAcceptedWaitsForTheWorker) {
  Execution run = IdleRun("wf-update-stages");
  auto admitted = Get(AsyncUpdate(run, "upd-2", kAdmitted));
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->stage(), kAdmitted);
  EXPECT_FALSE(admitted->has_outcome());

  auto accepted = AsyncUpdate(run, "upd-2", kAccepted);
  auto poll = PollWorkflowTask(run);
  ASSERT_EQ(poll.messages_size(), 1);  // admitted once, delivered once
  EXPECT_EQ(accepted.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  ASSERT_TRUE(CompleteWithMessages(poll.task_token(), {}, {Accept("upd-2")}).ok());
  auto result = Get(accepted);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stage(), kAccepted);
  EXPECT_FALSE(result->has_outcome());

  auto polled = PollUpdate(run, "upd-2", kAccepted);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(polled->stage(), kAccepted);
}

TEST_F(HistoryUpdateTest, RejectedUpdateCompletesWithTheFailureAndWritesNothing) {
  Execution run = IdleRun("wf-update-reject");
  const Events idle = History(run);
  auto update = AsyncUpdate(run, "upd-3", kCompleted);
  // The task is speculative: its Scheduled/Started events are in the poll response only.
  auto poll = PollWorkflowTask(run);
  ASSERT_EQ(poll.messages_size(), 1);
  ASSERT_EQ(poll.history().events_size(), 6);
  EXPECT_EQ(poll.history().events(4).event_type(), enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  EXPECT_EQ(poll.started_event_id(), 6);
  EXPECT_EQ(History(run).size(), idle.size());
  auto response = Respond(poll.task_token(), {Reject("upd-3", "bad price")});
  ASSERT_TRUE(response.ok()) << response.status();
  // The worker is told to roll back to the task it completed last.
  EXPECT_EQ(response->reset_history_event_id(), 3);

  auto result = Get(update);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stage(), kCompleted);
  EXPECT_EQ(result->outcome().failure().message(), "bad price");
  EXPECT_EQ(Names(History(run)), Names(idle));

  // The next update's task takes the same ids; accepted, its events are written.
  auto next = AsyncUpdate(run, "upd-3b", kAccepted);
  auto again = PollWorkflowTask(run);
  EXPECT_EQ(again.started_event_id(), 6);
  // The discarded task's token no longer completes anything.
  EXPECT_TRUE(absl::IsNotFound(Respond(poll.task_token(), {Reject("upd-3b", "stale")}).status()));
  Message accept = Accept("upd-3b");
  ASSERT_TRUE(CompleteWithMessages(again.task_token(), {ProtocolMessage(accept)}, {accept}).ok());
  ASSERT_TRUE(Get(next).ok());
  Events events = History(run);
  ExpectWellFormed(events);
  EXPECT_EQ(Names(events).back(), "WORKFLOW_EXECUTION_UPDATE_ACCEPTED");
  EXPECT_EQ(events.size(), idle.size() + 4);
}

TEST_F(HistoryUpdateTest, SpeculativeTaskIsWrittenOnceAnotherEventArrives) {
  Execution run = IdleRun("wf-update-signal");
  auto update = AsyncUpdate(run, "upd-5", kCompleted);
  auto poll = PollWorkflowTask(run);
  // A signal while the task runs changes the run: the task's events are written first and the
  // signal waits for the next task.
  ASSERT_TRUE(Signal(run, "poke").ok());
  auto response = Respond(poll.task_token(), {Reject("upd-5", "no")});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->reset_history_event_id(), 0);
  ASSERT_TRUE(Get(update).ok());
  Events events = History(run);
  ExpectWellFormed(events);
  EXPECT_EQ(Names(events),
            (Strings{"WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "WORKFLOW_TASK_SCHEDULED",
                     "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
                     "WORKFLOW_EXECUTION_SIGNALED", "WORKFLOW_TASK_SCHEDULED"}));
}

TEST_F(HistoryUpdateTest, ReturnsTheNextWorkflowTaskWhenTheWorkerAsks) {
  Execution run = IdleRun("wf-return-new");
  ASSERT_TRUE(Signal(run, "first").ok());
  auto task = PollWorkflowTask(run);
  ASSERT_TRUE(Signal(run, "during").ok());
  auto response = RespondWorkflowTaskCompleted(
      task.task_token(), {}, {}, {.return_new_task = true, .sticky_queue = "sticky-1"});
  ASSERT_TRUE(response.ok()) << response.status();
  // The task for the signal that came meanwhile is started already, with the new events only.
  ASSERT_TRUE(response->has_workflow_task());
  const auto& next = response->workflow_task();
  EXPECT_FALSE(next.task_token().empty());
  EXPECT_EQ(next.previous_started_event_id(), task.started_event_id());
  ASSERT_GT(next.history().events_size(), 0);
  EXPECT_EQ(next.history().events(0).event_id(), task.started_event_id() + 1);
  EXPECT_EQ(next.history().events().rbegin()->event_id(), next.started_event_id());
  ASSERT_TRUE(CompleteWorkflowTask(next.task_token(), {CompleteWorkflow("\"done\"")}).ok());
  Events events = History(run);
  ExpectWellFormed(events);
  EXPECT_EQ(Names(events).back(), "WORKFLOW_EXECUTION_COMPLETED");
}

TEST_F(HistoryUpdateTest, UnknownUpdatesAndPrematureCompletionsAreRefused) {
  Execution run = IdleRun("wf-update-errors");
  auto unknown = PollUpdate(run, "nope", kCompleted);
  EXPECT_TRUE(absl::IsNotFound(unknown.status())) << unknown.status();

  // A long poll that expires answers with the stage reached so far.
  auto waiting = Get(AsyncUpdate(run, "upd-4", kCompleted, std::chrono::milliseconds(200)));
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(waiting->stage(), kAdmitted);

  // Completing before accepting fails the workflow task and records nothing of the update.
  auto poll = PollWorkflowTask(run);
  auto status = CompleteWithMessages(poll.task_token(), {}, {Complete("upd-4", "\"early\"")});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  Events events = History(run);
  EXPECT_EQ(events.back().event_type(), enums::EVENT_TYPE_WORKFLOW_TASK_FAILED);
  EXPECT_EQ(events.back().workflow_task_failed_event_attributes().cause(),
            enums::WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE);
}

}  // namespace
}  // namespace tern::history
