#include <gtest/gtest.h>

#include "tests/integration/postgres_fixture.h"

namespace tern::testing {
namespace {

using persistence::BacklogTask;
using persistence::TaskQueueKey;

BacklogTask Task(int64_t task_id, const std::string& workflow_id) {
  BacklogTask t;
  t.task_id = task_id;
  t.task.set_namespace_id("ns-id");
  t.task.set_workflow_id(workflow_id);
  t.task.set_scheduled_event_id(task_id);
  return t;
}

std::vector<int64_t> Ids(const std::vector<BacklogTask>& tasks) {
  std::vector<int64_t> ids;
  for (const auto& t : tasks) ids.push_back(t.task_id);
  return ids;
}

using TaskStoreTest = PostgresTest;

TEST_F(TaskStoreTest, LeaseFencesThePreviousOwner) {
  TaskQueueKey key{"ns-id", "orders", temporal::api::enums::v1::TASK_QUEUE_TYPE_WORKFLOW};
  auto first = stores_.tasks->LeaseTaskQueue(key);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->range_id, 1);
  EXPECT_EQ(first->info.name(), "orders");
  EXPECT_EQ(first->info.namespace_id(), "ns-id");
  EXPECT_EQ(first->info.task_type(), temporal::api::enums::v1::TASK_QUEUE_TYPE_WORKFLOW);

  persistence::v1::TaskQueueInfo info = first->info;
  info.set_ack_level(7);
  ASSERT_TRUE(stores_.tasks->UpdateTaskQueue(key, first->range_id, info).ok());
  ASSERT_TRUE(stores_.tasks->CreateTasks(key, first->range_id, {Task(1, "a")}).ok());

  auto second = stores_.tasks->LeaseTaskQueue(key);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->range_id, 2);
  EXPECT_EQ(second->info.ack_level(), 7);  // the new owner sees the old owner's ack level

  // The old owner can neither add tasks nor move the ack level.
  absl::Status stale = stores_.tasks->CreateTasks(key, first->range_id, {Task(2, "b")});
  EXPECT_TRUE(persistence::IsFencingError(stale)) << stale;
  info.set_ack_level(9);
  EXPECT_TRUE(
      persistence::IsFencingError(stores_.tasks->UpdateTaskQueue(key, first->range_id, info)));
  EXPECT_EQ(*stores_.tasks->CountTasks(key), 1);
  EXPECT_EQ(stores_.tasks->LeaseTaskQueue(key)->info.ack_level(), 7);

  // A partition that was never leased cannot take tasks.
  TaskQueueKey unleased{"ns-id", "never", temporal::api::enums::v1::TASK_QUEUE_TYPE_WORKFLOW};
  EXPECT_TRUE(persistence::IsFencingError(stores_.tasks->CreateTasks(unleased, 1, {Task(1, "a")})));
}

TEST_F(TaskStoreTest, BacklogCreateGetDeleteCount) {
  TaskQueueKey workflow{"ns-id", "orders", temporal::api::enums::v1::TASK_QUEUE_TYPE_WORKFLOW};
  TaskQueueKey activity{"ns-id", "orders", temporal::api::enums::v1::TASK_QUEUE_TYPE_ACTIVITY};
  auto lease = stores_.tasks->LeaseTaskQueue(workflow);
  auto activity_lease = stores_.tasks->LeaseTaskQueue(activity);
  ASSERT_TRUE(lease.ok() && activity_lease.ok());

  ASSERT_TRUE(stores_.tasks
                  ->CreateTasks(workflow, lease->range_id,
                                {Task(3, "c"), Task(1, "a"), Task(2, "b"), Task(4, "d")})
                  .ok());
  ASSERT_TRUE(stores_.tasks->CreateTasks(activity, activity_lease->range_id, {Task(1, "x")}).ok());
  EXPECT_EQ(*stores_.tasks->CountTasks(workflow), 4);
  EXPECT_EQ(*stores_.tasks->CountTasks(activity), 1);

  auto page = stores_.tasks->GetTasks(workflow, 0, 2);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Ids(*page), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ((*page)[0].task.workflow_id(), "a");
  EXPECT_EQ((*page)[1].task.scheduled_event_id(), 2);
  EXPECT_EQ(Ids(*stores_.tasks->GetTasks(workflow, 2, 100)), (std::vector<int64_t>{3, 4}));

  ASSERT_TRUE(stores_.tasks->DeleteTasks(workflow, {1, 3}).ok());
  EXPECT_EQ(Ids(*stores_.tasks->GetTasks(workflow, 0, 100)), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(*stores_.tasks->CountTasks(workflow), 2);
  EXPECT_EQ(*stores_.tasks->CountTasks(activity), 1);  // other task type untouched

  // Writing a batch again (the pool repeats a statement whose answer was lost) is harmless: the
  // tasks already stored stay as they are.
  ASSERT_TRUE(
      stores_.tasks->CreateTasks(workflow, lease->range_id, {Task(5, "e"), Task(2, "again")}).ok());
  EXPECT_EQ(*stores_.tasks->CountTasks(workflow), 3);
  EXPECT_EQ(Ids(*stores_.tasks->GetTasks(workflow, 0, 100)), (std::vector<int64_t>{2, 4, 5}));
  EXPECT_EQ((*stores_.tasks->GetTasks(workflow, 1, 1))[0].task.workflow_id(), "b");
}

TEST_F(TaskStoreTest, DeleteNamespaceTaskQueuesDropsQueuesAndBacklogOfThatNamespaceOnly) {
  TaskQueueKey doomed{"ns-id", "orders", temporal::api::enums::v1::TASK_QUEUE_TYPE_WORKFLOW};
  TaskQueueKey kept{"other-ns", "orders", temporal::api::enums::v1::TASK_QUEUE_TYPE_WORKFLOW};
  for (const auto& key : {doomed, kept}) {
    auto lease = stores_.tasks->LeaseTaskQueue(key);
    ASSERT_TRUE(lease.ok()) << lease.status();
    ASSERT_TRUE(
        stores_.tasks->CreateTasks(key, lease->range_id, {Task(1, "a"), Task(2, "b")}).ok());
  }
  ASSERT_TRUE(stores_.tasks->DeleteNamespaceTaskQueues("ns-id").ok());
  EXPECT_EQ(*stores_.tasks->CountTasks(doomed), 0);
  EXPECT_EQ(*stores_.tasks->CountTasks(kept), 2);
  // The queue row is gone too: a new lease starts from the first range.
  EXPECT_EQ(stores_.tasks->LeaseTaskQueue(doomed)->range_id, 1);
}

}  // namespace
}  // namespace tern::testing
