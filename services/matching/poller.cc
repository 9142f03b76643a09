#include "services/matching/poller.h"

#include <type_traits>

#include "common/task_queue_names.h"
#include "services/matching/partition.h"
#include "tern/historyservice/v1/service.pb.h"

namespace tern::matching {
namespace {

namespace hs = tern::historyservice::v1;

struct WorkflowTraits {
  using Request = ms::PollWorkflowTaskQueueRequest;
  using Response = ws::PollWorkflowTaskQueueResponse;
  using RecordRequest = hs::RecordWorkflowTaskStartedRequest;
  static void Record(client::HistoryClient& history, const RecordRequest& request,
                     client::CallOptions options, client::Callback<Response> done) {
    history.RecordWorkflowTaskStarted(request, std::move(options), std::move(done));
  }
  static void Forward(client::MatchingClient& matching, const Request& request,
                      client::CallOptions options, client::Callback<Response> done) {
    matching.PollWorkflowTaskQueue(request, std::move(options), std::move(done));
  }
  static double RatePerSecond(const Request&) { return Poller::kDefaultRatePerSecond; }
};

struct ActivityTraits {
  using Request = ms::PollActivityTaskQueueRequest;
  using Response = ws::PollActivityTaskQueueResponse;
  using RecordRequest = hs::RecordActivityTaskStartedRequest;
  static void Record(client::HistoryClient& history, const RecordRequest& request,
                     client::CallOptions options, client::Callback<Response> done) {
    history.RecordActivityTaskStarted(request, std::move(options), std::move(done));
  }
  static void Forward(client::MatchingClient& matching, const Request& request,
                      client::CallOptions options, client::Callback<Response> done) {
    matching.PollActivityTaskQueue(request, std::move(options), std::move(done));
  }
  static double RatePerSecond(const Request& request) {
    const auto& metadata = request.poll_request().task_queue_metadata();
    return metadata.has_max_tasks_per_second() ? metadata.max_tasks_per_second().value()
                                               : Poller::kDefaultRatePerSecond;
  }
};

template <typename Traits>
class TypedPoller final : public Poller {
 public:
  using Request = typename Traits::Request;
  using Response = typename Traits::Response;

  TypedPoller(Request request, TimePoint timeout_at, TimePoint rpc_deadline,
              client::Callback<Response> done)
      : Poller(request.poller_id(), request.poll_request().identity(),
               Traits::RatePerSecond(request), !request.forwarded_from().empty(), timeout_at,
               rpc_deadline),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void RecordStart(client::HistoryClient& history, const Task& task, client::CallOptions options,
                   std::function<void(absl::Status)> done) override {
    auto record = std::make_shared<typename Traits::RecordRequest>();
    record->set_namespace_id(task.info.namespace_id());
    record->mutable_workflow_execution()->set_workflow_id(task.info.workflow_id());
    record->mutable_workflow_execution()->set_run_id(task.info.run_id());
    record->set_scheduled_event_id(task.info.scheduled_event_id());
    record->set_request_id(poller_id);
    *record->mutable_poll_request() = request_.poll_request();
    // History sees the queue the worker polled, not the partition this poll landed on.
    auto* task_queue = record->mutable_poll_request()->mutable_task_queue();
    task_queue->set_name(ParsePartitionName(task_queue->name()).base_name);
    auto self = std::static_pointer_cast<TypedPoller>(shared_from_this());
    options.caller_returns = true;  // matching never waits for the answer on its thread
    Traits::Record(history, *record, client::HandOver(std::move(options), record),
                   [self, done = std::move(done)](absl::StatusOr<Response> response) {
                     absl::Status status = response.status();
                     if (status.ok()) self->response_ = *std::move(response);
                     done(std::move(status));
                   });
  }

  void Forward(client::MatchingClient& matching, const std::string& root_name,
               const std::string& from_name, client::CallOptions options,
               std::function<void(absl::Status, bool)> done) override {
    auto forwarded = std::make_shared<Request>(request_);
    forwarded->mutable_poll_request()->mutable_task_queue()->set_name(root_name);
    forwarded->set_forwarded_from(from_name);
    auto self = std::static_pointer_cast<TypedPoller>(shared_from_this());
    Traits::Forward(matching, *forwarded, client::HandOver(std::move(options), forwarded),
                    [self, done = std::move(done)](absl::StatusOr<Response> response) {
                      if (!response.ok()) return done(response.status(), false);
                      bool has_task = !response->task_token().empty();
                      if (has_task) self->response_ = *std::move(response);
                      done(absl::OkStatus(), has_task);
                    });
  }

  void FinishWithTask() override { done_(std::move(response_)); }
  void FinishWithQuery(const ws::PollWorkflowTaskQueueResponse& task) override {
    if constexpr (std::is_same_v<Response, ws::PollWorkflowTaskQueueResponse>) {
      done_(task);
    } else {
      // The engine dispatches queries on workflow partitions only.
      done_(absl::InternalError("a query task reached an activity poller"));
    }
  }
  void FinishEmpty() override { done_(Response()); }
  void FinishError(absl::Status status) override { done_(std::move(status)); }

 private:
  const Request request_;
  const client::Callback<Response> done_;
  Response response_;  // written by the record-start/forward callback, read by FinishWithTask
};

}  // namespace

void Poller::Cancel() {
  // `partition` is set before the handle is returned and never changes afterwards.
  if (auto p = partition.lock()) p->CancelPoll(shared_from_this());
}

std::shared_ptr<Poller> NewWorkflowPoller(
    ms::PollWorkflowTaskQueueRequest request, TimePoint timeout_at, TimePoint rpc_deadline,
    client::Callback<ws::PollWorkflowTaskQueueResponse> done) {
  return std::make_shared<TypedPoller<WorkflowTraits>>(std::move(request), timeout_at, rpc_deadline,
                                                       std::move(done));
}

std::shared_ptr<Poller> NewActivityPoller(
    ms::PollActivityTaskQueueRequest request, TimePoint timeout_at, TimePoint rpc_deadline,
    client::Callback<ws::PollActivityTaskQueueResponse> done) {
  return std::make_shared<TypedPoller<ActivityTraits>>(std::move(request), timeout_at, rpc_deadline,
                                                       std::move(done));
}

}  // namespace tern::matching
