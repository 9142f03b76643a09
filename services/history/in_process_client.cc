#include "services/history/in_process_client.h"

#include <mutex>

namespace tern::history {
namespace {

// `done` of a waiting call, run once by whichever of answer, deadline and cancel comes first.
template <typename Response>
class FirstAnswer {
 public:
  explicit FirstAnswer(client::Callback<Response> done) : done_(std::move(done)) {}

  void Finish(absl::StatusOr<Response> result) {
    client::Callback<Response> done;
    {
      std::lock_guard lock(mu_);
      done = std::exchange(done_, nullptr);
      if (deadline_) deadline_->Cancel();
    }
    if (done) done(std::move(result));
  }
  void SetDeadlineTimer(std::shared_ptr<Executor::Timer> timer) {
    std::lock_guard lock(mu_);
    if (done_) deadline_ = std::move(timer);
  }

 private:
  std::mutex mu_;
  client::Callback<Response> done_;
  std::shared_ptr<Executor::Timer> deadline_;
};

}  // namespace

template <typename Response>
void InProcessHistoryClient::Blocking(client::CallOptions options, client::Callback<Response> done,
                                      std::function<absl::StatusOr<Response>()> call) {
  if (options.handle) {
    if (absl::Status cancelled = options.handle->reason(); !cancelled.ok()) return done(cancelled);
  }
  auto run = [call = std::move(call), done = std::move(done)] { done(call()); };
  // A caller on a blocking thread that does not wait for the answer (a workflow task matched
  // while a transfer task ran, say) has the call run on its own thread once its work returns:
  // no other thread is woken for it. Any other caller's call wakes one.
  if (options.caller_returns) return blocking_.Defer(std::move(run));
  blocking_.Post(std::move(run));
}

template <typename Response>
void InProcessHistoryClient::Waiting(client::CallOptions options, client::Callback<Response> done,
                                     std::function<void(client::Callback<Response>)> start) {
  auto answer = std::make_shared<FirstAnswer<Response>>(std::move(done));
  if (options.handle) {
    absl::Status cancelled;
    bool attached = options.handle->Attach(
        [this, answer, handle = options.handle.get()] {
          // Runs under the handle's lock: finish on another thread.
          blocking_.Post([answer, reason = handle->reason()] { answer->Finish(reason); });
        },
        &cancelled);
    if (!attached) return answer->Finish(std::move(cancelled));
  }
  if (options.deadline != TimePoint::max()) {
    answer->SetDeadlineTimer(blocking_.PostAfter(
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.deadline - clock_.Now()),
        [answer] { answer->Finish(absl::DeadlineExceededError("deadline passed")); }));
  }
  start([answer, handle = options.handle](absl::StatusOr<Response> result) {
    if (handle) handle->Detach();
    answer->Finish(std::move(result));
  });
}

#define TERN_BLOCKING_CALL(Method, Response)                              \
  void InProcessHistoryClient::Method(const hs::Method##Request& request, \
                                      client::CallOptions options,        \
                                      client::Callback<Response> done) {  \
    auto kept = client::KeepRequest(request, options);                    \
    Blocking<Response>(std::move(options), std::move(done),               \
                       [this, kept] { return engine_.Method(*kept); });   \
  }
TERN_HISTORY_BLOCKING_RPCS(TERN_BLOCKING_CALL)
#undef TERN_BLOCKING_CALL

#define TERN_WAITING_CALL(Method, Response)                                 \
  void InProcessHistoryClient::Method(const hs::Method##Request& request,   \
                                      client::CallOptions options,          \
                                      client::Callback<Response> done) {    \
    Waiting<Response>(std::move(options), std::move(done),                  \
                      [this, &request](client::Callback<Response> answer) { \
                        engine_.Method(request, std::move(answer));         \
                      });                                                   \
  }
TERN_HISTORY_WAITING_RPCS(TERN_WAITING_CALL)
#undef TERN_WAITING_CALL

void InProcessHistoryClient::QueryWorkflow(const hs::QueryWorkflowRequest& request,
                                           client::CallOptions options,
                                           client::Callback<ws::QueryWorkflowResponse> done) {
  TimePoint deadline = options.deadline;
  Waiting<ws::QueryWorkflowResponse>(
      std::move(options), std::move(done),
      [this, &request, deadline](client::Callback<ws::QueryWorkflowResponse> answer) {
        engine_.QueryWorkflow(request, deadline, std::move(answer));
      });
}

}  // namespace tern::history
