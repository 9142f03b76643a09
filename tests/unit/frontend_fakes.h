// Test doubles for the frontend tests: an in-memory NamespaceStore and history/matching clients
// that record what they are asked and answer as the test says.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "membership/membership.h"
#include "persistence/store.h"

namespace tern::frontend::testing {

namespace hs = tern::historyservice::v1;
namespace ms = tern::matchingservice::v1;
namespace ws = temporal::api::workflowservice::v1;
using persistence::v1::NamespaceRecord;

// Polls `pred` until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline NamespaceRecord MakeNamespace(const std::string& name, const std::string& id) {
  NamespaceRecord record;
  record.mutable_info()->set_name(name);
  record.mutable_info()->set_id(id);
  record.mutable_info()->set_state(temporal::api::enums::v1::NAMESPACE_STATE_REGISTERED);
  record.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(86400);
  return record;
}

class FakeNamespaceStore final : public persistence::NamespaceStore {
 public:
  absl::Status CreateNamespace(const NamespaceRecord& record) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (by_name_.count(record.info().name())) return absl::AlreadyExistsError("name taken");
    for (const auto& [_, r] : by_name_) {
      if (r.info().id() == record.info().id()) return absl::AlreadyExistsError("id taken");
    }
    by_name_[record.info().name()] = record;
    return absl::OkStatus();
  }
  absl::StatusOr<NamespaceRecord> GetNamespaceByName(const std::string& name) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (!error_.ok()) return error_;
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return absl::NotFoundError("no such namespace");
    return it->second;
  }
  absl::StatusOr<NamespaceRecord> GetNamespaceById(const std::string& id) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (!error_.ok()) return error_;
    for (const auto& [_, r] : by_name_) {
      if (r.info().id() == id) return r;
    }
    return absl::NotFoundError("no such namespace");
  }
  absl::Status UpdateNamespace(const NamespaceRecord& record) override {
    std::lock_guard lock(mu_);
    ++calls_;
    for (auto& [name, r] : by_name_) {
      if (r.info().id() == record.info().id()) {
        by_name_.erase(name);
        by_name_[record.info().name()] = record;
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError("no such namespace");
  }
  absl::StatusOr<Page> ListNamespaces(int page_size, const std::string& token) override {
    std::lock_guard lock(mu_);
    ++calls_;
    ++list_calls_;
    if (!error_.ok()) return error_;
    Page page;
    for (auto it = by_name_.upper_bound(token); it != by_name_.end(); ++it) {
      if (static_cast<int>(page.namespaces.size()) == page_size) {
        page.next_page_token = page.namespaces.back().info().name();
        break;
      }
      page.namespaces.push_back(it->second);
    }
    return page;
  }
  absl::Status DeleteNamespace(const std::string& id) override {
    std::lock_guard lock(mu_);
    ++calls_;
    for (auto it = by_name_.begin(); it != by_name_.end(); ++it) {
      if (it->second.info().id() == id) {
        by_name_.erase(it);
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError("no such namespace");
  }

  // Every call fails with `error` (OkStatus to heal).
  void SetError(absl::Status error) {
    std::lock_guard lock(mu_);
    error_ = std::move(error);
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int list_calls() const {
    std::lock_guard lock(mu_);
    return list_calls_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, NamespaceRecord> by_name_;
  absl::Status error_;
  int calls_ = 0;
  int list_calls_ = 0;
};

// One recorded internal call.
template <typename Request, typename Response>
struct Recorded {
  Request request;
  client::CallOptions options;
  client::Callback<Response> done;
};

// Records calls; each answers with `reply` if set, else stays pending until the test completes
// it through the recorded callback.
template <typename Request, typename Response>
class Recorder {
 public:
  using Reply = std::function<absl::StatusOr<Response>(const Request&)>;
  void Call(const Request& request, client::CallOptions options, client::Callback<Response> done) {
    Reply reply;
    {
      std::lock_guard lock(mu_);
      calls_.push_back({request, options, done});
      reply = reply_;
    }
    if (reply) done(reply(request));
  }
  void SetReply(Reply reply) {
    std::lock_guard lock(mu_);
    reply_ = std::move(reply);
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return calls_.size();
  }
  Recorded<Request, Response> at(size_t i) const {
    std::lock_guard lock(mu_);
    return calls_.at(i);
  }

 private:
  mutable std::mutex mu_;
  std::vector<Recorded<Request, Response>> calls_;
  Reply reply_;
};

class FakeHistoryClient final : public client::HistoryClient {
 public:
  FakeHistoryClient(Membership& membership, Executor& executor)
      : HistoryClient(membership, executor, 4) {}

#define TERN_FAKE_HISTORY(Method, Response)                                    \
  void Method(const hs::Method##Request& request, client::CallOptions options, \
              client::Callback<Response> done) override {                      \
    Method##_.Call(request, options, std::move(done));                         \
  }                                                                            \
  Recorder<hs::Method##Request, Response> Method##_;
  TERN_FAKE_HISTORY(StartWorkflowExecution, ws::StartWorkflowExecutionResponse)
  TERN_FAKE_HISTORY(RespondWorkflowTaskCompleted, ws::RespondWorkflowTaskCompletedResponse)
  TERN_FAKE_HISTORY(RespondWorkflowTaskFailed, ws::RespondWorkflowTaskFailedResponse)
  TERN_FAKE_HISTORY(RespondActivityTaskCompleted, ws::RespondActivityTaskCompletedResponse)
  TERN_FAKE_HISTORY(RespondActivityTaskFailed, ws::RespondActivityTaskFailedResponse)
  TERN_FAKE_HISTORY(RespondActivityTaskCanceled, ws::RespondActivityTaskCanceledResponse)
  TERN_FAKE_HISTORY(RecordActivityTaskHeartbeat, ws::RecordActivityTaskHeartbeatResponse)
  TERN_FAKE_HISTORY(GetWorkflowExecutionHistory, ws::GetWorkflowExecutionHistoryResponse)
  TERN_FAKE_HISTORY(DescribeWorkflowExecution, ws::DescribeWorkflowExecutionResponse)
  TERN_FAKE_HISTORY(TerminateWorkflowExecution, ws::TerminateWorkflowExecutionResponse)
  TERN_FAKE_HISTORY(QueryWorkflow, ws::QueryWorkflowResponse)
#undef TERN_FAKE_HISTORY
};

class FakeMatchingClient final : public client::MatchingClient {
 public:
  FakeMatchingClient(Membership& membership, Executor& executor)
      : MatchingClient(membership, executor) {}

  void PollWorkflowTaskQueue(const ms::PollWorkflowTaskQueueRequest& request,
                             client::CallOptions options,
                             client::Callback<ws::PollWorkflowTaskQueueResponse> done) override {
    workflow_polls_.Call(request, options, std::move(done));
  }
  void PollActivityTaskQueue(const ms::PollActivityTaskQueueRequest& request,
                             client::CallOptions options,
                             client::Callback<ws::PollActivityTaskQueueResponse> done) override {
    activity_polls_.Call(request, options, std::move(done));
  }
  void RespondQueryTaskCompleted(
      const ms::RespondQueryTaskCompletedRequest& request, client::CallOptions options,
      client::Callback<ms::RespondQueryTaskCompletedResponse> done) override {
    query_answers_.Call(request, options, std::move(done));
  }

  void ReleaseStickyTaskQueue(const ms::ReleaseStickyTaskQueueRequest& request,
                              client::CallOptions options,
                              client::Callback<ms::ReleaseStickyTaskQueueResponse> done) override {
    sticky_releases_.Call(request, options, std::move(done));
  }

  Recorder<ms::PollWorkflowTaskQueueRequest, ws::PollWorkflowTaskQueueResponse> workflow_polls_;
  Recorder<ms::ReleaseStickyTaskQueueRequest, ms::ReleaseStickyTaskQueueResponse>
      sticky_releases_;
  Recorder<ms::PollActivityTaskQueueRequest, ws::PollActivityTaskQueueResponse> activity_polls_;
  Recorder<ms::RespondQueryTaskCompletedRequest, ms::RespondQueryTaskCompletedResponse>
      query_answers_;
};

// True once `handle` was cancelled (a cancelled handle refuses new attempts).
inline bool IsCancelled(client::CallHandle& handle) {
  grpc::ClientContext probe;
  if (!handle.Attach(&probe)) return true;
  handle.Detach();
  return false;
}

}  // namespace tern::frontend::testing
