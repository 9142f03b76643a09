// Helpers for the frontend tests over the shared fakes of tests/mocks (namespace store, history
// and matching clients that record what they are asked and answer as the test says).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "membership/membership.h"
#include "tests/mocks/history_client.h"
#include "tests/mocks/matching_client.h"
#include "tests/mocks/namespace_store.h"
#include "tests/mocks/wait_for.h"

namespace tern::frontend::testing {

namespace hs = tern::historyservice::v1;
namespace ms = tern::matchingservice::v1;
namespace ws = temporal::api::workflowservice::v1;
using persistence::v1::NamespaceRecord;

using mocks::WaitFor;

inline NamespaceRecord MakeNamespace(const std::string& name, const std::string& id) {
  NamespaceRecord record;
  record.mutable_info()->set_name(name);
  record.mutable_info()->set_id(id);
  record.mutable_info()->set_state(temporal::api::enums::v1::NAMESPACE_STATE_REGISTERED);
  record.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(86400);
  return record;
}

using mocks::FakeHistoryClient;
using mocks::FakeNamespaceStore;
using mocks::Recorded;
using mocks::Recorder;

// The shared fake, with the names these tests give the recorders they read.
class FakeMatchingClient final : public mocks::FakeMatchingClient {
 public:
  Recorder<ms::PollWorkflowTaskQueueRequest, ws::PollWorkflowTaskQueueResponse>& workflow_polls_ =
      PollWorkflowTaskQueue_;
  Recorder<ms::PollActivityTaskQueueRequest, ws::PollActivityTaskQueueResponse>& activity_polls_ =
      PollActivityTaskQueue_;
  Recorder<ms::RespondQueryTaskCompletedRequest, ms::RespondQueryTaskCompletedResponse>&
      query_answers_ = RespondQueryTaskCompleted_;
  Recorder<ms::ReleaseStickyTaskQueueRequest, ms::ReleaseStickyTaskQueueResponse>&
      sticky_releases_ = ReleaseStickyTaskQueue_;
};

inline bool IsCancelled(client::CallHandle& handle) { return !handle.reason().ok(); }

}  // namespace tern::frontend::testing
