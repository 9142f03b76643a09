// Helpers for the history engine tests over the shared fakes of tests/mocks: the stores, and the
// matching and history clients configured to answer as the engine's peers do.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "membership/membership.h"
#include "tests/mocks/execution_store.h"
#include "tests/mocks/history_client.h"
#include "tests/mocks/matching_client.h"
#include "tests/mocks/membership_store.h"
#include "tests/mocks/shard_store.h"
#include "tests/mocks/visibility_store.h"
#include "tests/mocks/wait_for.h"

namespace tern::history::testing {

namespace pv1 = tern::persistence::v1;
namespace hv1 = temporal::api::history::v1;
namespace msv1 = tern::matchingservice::v1;
namespace hsv1 = tern::historyservice::v1;
namespace wsv1 = temporal::api::workflowservice::v1;
namespace enums = temporal::api::enums::v1;

using mocks::WaitFor;

using mocks::FakeExecutionStore;
using mocks::FakeMembershipStore;
using mocks::FakeShardStore;
using mocks::FakeVisibilityStore;

// The shared matching fake, answering as matching does for history's task pushes: adds succeed
// at once; with RefuseStickyTasks, sticky workflow tasks fail with StickyWorkerUnavailable.
class RecordingMatchingClient : public mocks::FakeMatchingClient {
 public:
  RecordingMatchingClient() {
    AddWorkflowTask_.SetReply([this](const msv1::AddWorkflowTaskRequest& request)
                                  -> absl::StatusOr<msv1::AddWorkflowTaskResponse> {
      std::lock_guard lock(mu_);
      if (refuse_sticky_ && request.task_queue().kind() == enums::TASK_QUEUE_KIND_STICKY) {
        ++refused_sticky_;
        return StickyWorkerUnavailableError(request.task_queue().name());
      }
      workflow_tasks_.push_back(request);
      return msv1::AddWorkflowTaskResponse();
    });
    AddActivityTask_.SetReply(
        [](const msv1::AddActivityTaskRequest&) { return msv1::AddActivityTaskResponse(); });
  }

  void RefuseStickyTasks() {
    std::lock_guard lock(mu_);
    refuse_sticky_ = true;
  }
  int refused_sticky() const {
    std::lock_guard lock(mu_);
    return refused_sticky_;
  }
  // Workflow tasks accepted (refused sticky ones excluded), and activity tasks.
  std::vector<msv1::AddWorkflowTaskRequest> workflow_tasks() const {
    std::lock_guard lock(mu_);
    return workflow_tasks_;
  }
  std::vector<msv1::AddActivityTaskRequest> activity_tasks() const {
    return AddActivityTask_.requests();
  }

 private:
  mutable std::mutex mu_;
  std::vector<msv1::AddWorkflowTaskRequest> workflow_tasks_;
  bool refuse_sticky_ = false;
  int refused_sticky_ = 0;
};

// The shared history fake standing in for other history hosts (children, parents, external
// signals): records the calls and fails them UNIMPLEMENTED, since these tests run single
// workflows only.
class RecordingHistoryClient final : public mocks::FakeHistoryClient {
 public:
  RecordingHistoryClient() {
    FailUnansweredWith(absl::UnimplementedError("no other history host in this test"));
  }
};

}  // namespace tern::history::testing
