// The BatchOperationStore contract (persistence/batch_operation_store.h) as a typed test suite,
// instantiated once per implementation (batch_operation_store_contract_test.cc: PostgreSQL, bare
// and wrapped in the decorators every service sees):
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, BatchOperationStoreContractTest, PostgresHarness);
//
// A harness is default-constructible and has
//   void SetUp();     // a fresh, empty store; fails the test (ASSERT) when it cannot make one
//   void TearDown();
//   persistence::BatchOperationStore& store();
//
// It covers what the frontend relies on (create with the per-namespace limit on running jobs
// and duplicate job ids, also under concurrent creates; get; list pages; stop as a versioned
// write), what tern-worker relies on (leasing due jobs only, one owner at a time until the lease
// expires, a write ending the lease, the version fencing a worker off a job someone else wrote)
// and namespace deletion. Leases run on the database's clock, so the expiry tests wait for a
// short lease to run out (polling with a deadline). Include it in exactly one file of a test
// program: it defines the tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "persistence/batch_operation_store.h"
#include "tests/mocks/wait_for.h"

namespace tern::testing {

namespace batch_contract {

namespace enums = temporal::api::enums::v1;
using persistence::BatchOperationRow;
using persistence::Timestamp;
using std::chrono::milliseconds;

inline constexpr char kNamespace[] = "ns-batch";
inline constexpr char kOtherNamespace[] = "ns-other";
inline constexpr int kNoLimit = 1000;
inline constexpr milliseconds kLongLease{3'600'000};

// 2024-05-01T10:00:00Z plus `seconds`: whole seconds, so every time survives the store's
// microsecond precision exactly.
inline Timestamp At(int seconds) { return Timestamp(std::chrono::seconds(1714557600 + seconds)); }
// Wake-up times relative to the wall clock, which the database's now() follows.
inline Timestamp Past() { return std::chrono::system_clock::now() - std::chrono::hours(1); }
inline Timestamp Future() { return std::chrono::system_clock::now() + std::chrono::hours(1); }

// A running signal job as the frontend writes it, with something in every kind of field.
inline persistence::v1::BatchOperationRecord Job(const std::string& job_id, int start_second = 0,
                                                 const std::string& namespace_id = kNamespace) {
  persistence::v1::BatchOperationRecord r;
  r.set_namespace_id(namespace_id);
  r.set_namespace_name("name-of-" + namespace_id);
  r.set_job_id(job_id);
  r.mutable_request()->set_job_id(job_id);
  r.mutable_request()->set_reason("reason of " + job_id);
  r.mutable_request()->set_visibility_query("WorkflowType = 'Order'");
  r.mutable_request()->mutable_signal_operation()->set_signal("poke");
  r.set_operation_type(enums::BATCH_OPERATION_TYPE_SIGNAL_WORKFLOW);
  r.set_state(enums::BATCH_OPERATION_STATE_RUNNING);
  *r.mutable_start_time() = ToProto(At(start_second));
  *r.mutable_next_operation_time() = ToProto(At(start_second));
  r.set_identity("tester");
  r.set_effective_query("(WorkflowType = 'Order') AND ExecutionStatus = 'Running'");
  r.set_operations_per_second(50);
  r.set_total_operation_count(3);
  for (int i = 0; i < 3; ++i) {
    auto* run = r.add_pending();
    run->set_workflow_id(absl::StrCat("wf-", i));
    run->set_run_id(absl::StrCat("run-", i));
  }
  r.set_page_token("opaque\x01token");
  return r;
}

// The job ids of rows, in order.
inline std::vector<std::string> JobIds(const std::vector<BatchOperationRow>& rows) {
  std::vector<std::string> ids;
  for (const auto& row : rows) ids.push_back(row.record.job_id());
  return ids;
}

// A worker's progress on a row it read: one execution done.
inline persistence::v1::BatchOperationRecord Progressed(const BatchOperationRow& row) {
  persistence::v1::BatchOperationRecord r = row.record;
  if (!r.pending().empty()) r.mutable_pending()->DeleteSubrange(0, 1);
  r.set_complete_operation_count(r.complete_operation_count() + 1);
  return r;
}

// The frontend's stop of a row it read.
inline persistence::v1::BatchOperationRecord Stopped(const BatchOperationRow& row) {
  persistence::v1::BatchOperationRecord r = row.record;
  r.set_state(enums::BATCH_OPERATION_STATE_FAILED);
  r.set_stop_reason("stopped by the test");
  *r.mutable_close_time() = ToProto(At(60));
  return r;
}

}  // namespace batch_contract

template <typename Harness>
class BatchOperationStoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override { harness_.SetUp(); }
  void TearDown() override { harness_.TearDown(); }

  persistence::BatchOperationStore& store() { return harness_.store(); }

  void Create(const persistence::v1::BatchOperationRecord& record,
              std::optional<persistence::Timestamp> next_wakeup = std::nullopt,
              int max_running = batch_contract::kNoLimit) {
    absl::Status status = store().CreateBatchOperation(record, next_wakeup, max_running);
    ASSERT_TRUE(status.ok()) << record.job_id() << ": " << status;
  }

  persistence::BatchOperationRow Get(const std::string& job_id,
                                     const std::string& ns = batch_contract::kNamespace) {
    auto row = store().GetBatchOperation(ns, job_id);
    EXPECT_TRUE(row.ok()) << job_id << ": " << row.status();
    return row.ok() ? *row : persistence::BatchOperationRow{};
  }

  // Every job of the namespace, page by page; fails the test on an error or a page larger than
  // asked for.
  std::vector<std::string> ListAll(const std::string& ns, int page_size, int* pages = nullptr) {
    std::vector<std::string> ids;
    std::string token;
    int count = 0;
    do {
      auto page = store().ListBatchOperations(ns, page_size, token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->rows.size()), page_size);
      for (const auto& id : batch_contract::JobIds(page->rows)) ids.push_back(id);
      token = page->next_page_token;
      if (++count > 100) {
        ADD_FAILURE() << "listing does not end";
        break;
      }
    } while (!token.empty());
    if (pages) *pages = count;
    return ids;
  }

  Harness harness_;
};

TYPED_TEST_SUITE_P(BatchOperationStoreContractTest);

using namespace batch_contract;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TYPED_TEST_P(BatchOperationStoreContractTest, CreateThenGetReadsBackEveryFieldAtVersionOne) {
  const persistence::v1::BatchOperationRecord job = Job("job-1", 5);
  this->Create(job, At(7));
  this->Create(Job("job-2", 6));  // nothing for the worker to do

  BatchOperationRow row = this->Get("job-1");
  EXPECT_EQ(row.record.SerializeAsString(), job.SerializeAsString()) << row.record.DebugString();
  EXPECT_EQ(row.version, 1);
  EXPECT_EQ(row.next_wakeup, At(7));
  EXPECT_EQ(this->Get("job-2").next_wakeup, std::nullopt);

  // A wake-up time keeps its microseconds.
  const Timestamp precise = At(8) + std::chrono::microseconds(123456);
  this->Create(Job("job-3", 7), precise);
  EXPECT_EQ(this->Get("job-3").next_wakeup, precise);
}

TYPED_TEST_P(BatchOperationStoreContractTest, UnknownJobsAreNotFound) {
  EXPECT_EQ(this->store().GetBatchOperation(kNamespace, "nope").status().code(),
            absl::StatusCode::kNotFound);
  this->Create(Job("job-1"));
  // The job id of another namespace's job.
  EXPECT_EQ(this->store().GetBatchOperation(kOtherNamespace, "job-1").status().code(),
            absl::StatusCode::kNotFound);
  // Updating a job that does not exist.
  EXPECT_EQ(this->store().UpdateBatchOperation(Job("ghost"), 1, std::nullopt).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(this->store().GetBatchOperation(kNamespace, "ghost").status().code(),
            absl::StatusCode::kNotFound);
}

TYPED_TEST_P(BatchOperationStoreContractTest, DuplicateJobIdIsAlreadyExistsWithinANamespaceOnly) {
  this->Create(Job("job-1", 1), At(1));
  persistence::v1::BatchOperationRecord again = Job("job-1", 2);
  again.mutable_request()->set_reason("a second start");
  EXPECT_EQ(this->store().CreateBatchOperation(again, At(2), kNoLimit).code(),
            absl::StatusCode::kAlreadyExists);
  // Also once the first one has finished: a job id is never reused.
  BatchOperationRow first = this->Get("job-1");
  persistence::v1::BatchOperationRecord done = first.record;
  done.set_state(enums::BATCH_OPERATION_STATE_COMPLETED);
  ASSERT_TRUE(this->store().UpdateBatchOperation(done, first.version, std::nullopt).ok());
  EXPECT_EQ(this->store().CreateBatchOperation(again, At(2), kNoLimit).code(),
            absl::StatusCode::kAlreadyExists);
  // The refused creates changed nothing.
  BatchOperationRow row = this->Get("job-1");
  EXPECT_EQ(row.record.request().reason(), "reason of job-1");
  EXPECT_EQ(row.version, first.version + 1);

  // The same job id in another namespace is another job.
  this->Create(Job("job-1", 3, kOtherNamespace));
  EXPECT_EQ(this->Get("job-1", kOtherNamespace).record.namespace_id(), kOtherNamespace);
}

TYPED_TEST_P(BatchOperationStoreContractTest, RunningJobsPerNamespaceAreLimited) {
  auto create = [&](const std::string& job_id, const std::string& ns, int max_running) {
    return this->store().CreateBatchOperation(Job(job_id, 0, ns), Past(), max_running);
  };
  // The limit the frontend passes (frontend.MaxConcurrentBatchOperationPerNamespace): 0 refuses
  // every job.
  EXPECT_EQ(create("job-0", kNamespace, 0).code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(create("job-1", kNamespace, 2).ok());
  ASSERT_TRUE(create("job-2", kNamespace, 2).ok());
  EXPECT_EQ(create("job-3", kNamespace, 2).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(this->store().GetBatchOperation(kNamespace, "job-3").status().code(),
            absl::StatusCode::kNotFound);
  // A higher limit admits more.
  ASSERT_TRUE(create("job-3", kNamespace, 3).ok());
  // Another namespace counts its own jobs.
  ASSERT_TRUE(create("job-1", kOtherNamespace, 1).ok());
  EXPECT_EQ(create("job-2", kOtherNamespace, 1).code(), absl::StatusCode::kResourceExhausted);

  // A job that is no longer RUNNING (completed by the worker, stopped by the frontend) frees
  // its place.
  BatchOperationRow one = this->Get("job-1");
  persistence::v1::BatchOperationRecord completed = one.record;
  completed.set_state(enums::BATCH_OPERATION_STATE_COMPLETED);
  ASSERT_TRUE(this->store().UpdateBatchOperation(completed, one.version, std::nullopt).ok());
  ASSERT_TRUE(create("job-4", kNamespace, 3).ok());
  EXPECT_EQ(create("job-5", kNamespace, 3).code(), absl::StatusCode::kResourceExhausted);
  BatchOperationRow two = this->Get("job-2");
  ASSERT_TRUE(this->store().UpdateBatchOperation(Stopped(two), two.version, std::nullopt).ok());
  ASSERT_TRUE(create("job-5", kNamespace, 3).ok());
  // A progress write keeps the job RUNNING and counted.
  BatchOperationRow three = this->Get("job-3");
  ASSERT_TRUE(this->store().UpdateBatchOperation(Progressed(three), three.version, Future()).ok());
  EXPECT_EQ(create("job-6", kNamespace, 3).code(), absl::StatusCode::kResourceExhausted);
}

TYPED_TEST_P(BatchOperationStoreContractTest, ConcurrentCreatesNeverExceedTheLimit) {
  constexpr int kThreads = 8;
  constexpr int kLimit = 3;
  std::vector<absl::Status> results(kThreads);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        results[i] =
            this->store().CreateBatchOperation(Job(absl::StrCat("job-", i)), Past(), kLimit);
      });
    }
    for (auto& t : threads) t.join();
  }
  int created = 0;
  for (const auto& status : results) {
    if (status.ok()) {
      ++created;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
    }
  }
  EXPECT_EQ(created, kLimit);
  EXPECT_EQ(this->ListAll(kNamespace, 100).size(), static_cast<size_t>(kLimit));
}

TYPED_TEST_P(BatchOperationStoreContractTest, ConcurrentCreatesOfOneJobIdCreateItOnce) {
  constexpr int kThreads = 8;
  std::vector<absl::Status> results(kThreads);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        persistence::v1::BatchOperationRecord job = Job("job-x", i);
        job.set_identity(absl::StrCat("caller-", i));
        results[i] = this->store().CreateBatchOperation(job, Past(), kNoLimit);
      });
    }
    for (auto& t : threads) t.join();
  }
  int winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    if (results[i].ok()) {
      EXPECT_EQ(winner, -1) << "created twice";
      winner = i;
    } else {
      EXPECT_EQ(results[i].code(), absl::StatusCode::kAlreadyExists) << results[i];
    }
  }
  ASSERT_NE(winner, -1);
  BatchOperationRow row = this->Get("job-x");
  EXPECT_EQ(row.record.identity(), absl::StrCat("caller-", winner));
  EXPECT_EQ(row.version, 1);
}

TYPED_TEST_P(BatchOperationStoreContractTest, UpdateIsConditionalOnTheVersion) {
  this->Create(Job("job-1"), Past());
  BatchOperationRow row = this->Get("job-1");

  auto v2 = this->store().UpdateBatchOperation(Progressed(row), row.version, At(30));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(*v2, row.version + 1);
  BatchOperationRow after = this->Get("job-1");
  EXPECT_EQ(after.version, *v2);
  EXPECT_EQ(after.record.SerializeAsString(), Progressed(row).SerializeAsString());
  EXPECT_EQ(after.next_wakeup, At(30));

  // A write naming the version it replaced loses, and changes nothing.
  persistence::v1::BatchOperationRecord late = Progressed(row);
  late.set_complete_operation_count(99);
  auto stale = this->store().UpdateBatchOperation(late, row.version, At(40));
  EXPECT_TRUE(persistence::IsConditionFailed(stale.status())) << stale.status();
  EXPECT_FALSE(persistence::IsFencingError(stale.status()));
  // So does a version the row never had.
  EXPECT_TRUE(persistence::IsConditionFailed(
      this->store().UpdateBatchOperation(late, *v2 + 5, At(40)).status()));
  BatchOperationRow unchanged = this->Get("job-1");
  EXPECT_EQ(unchanged.version, *v2);
  EXPECT_EQ(unchanged.record.complete_operation_count(), 1);
  EXPECT_EQ(unchanged.next_wakeup, At(30));

  // The current version wins again, and may clear the wake-up time.
  auto v3 = this->store().UpdateBatchOperation(late, *v2, std::nullopt);
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ(*v3, *v2 + 1);
  EXPECT_EQ(this->Get("job-1").next_wakeup, std::nullopt);
  EXPECT_EQ(this->Get("job-1").record.complete_operation_count(), 99);
}

TYPED_TEST_P(BatchOperationStoreContractTest, ConcurrentWritesOfOneVersionHaveOneWinner) {
  this->Create(Job("job-1"), Past());
  const BatchOperationRow row = this->Get("job-1");
  constexpr int kThreads = 6;
  std::vector<absl::StatusOr<int64_t>> results(kThreads, absl::UnknownError("not run"));
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        persistence::v1::BatchOperationRecord record = row.record;
        record.set_complete_operation_count(i + 1);
        results[i] = this->store().UpdateBatchOperation(record, row.version, Future());
      });
    }
    for (auto& t : threads) t.join();
  }
  int winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    if (results[i].ok()) {
      EXPECT_EQ(winner, -1) << "two writes of version " << row.version << " won";
      winner = i;
    } else {
      EXPECT_TRUE(persistence::IsConditionFailed(results[i].status())) << results[i].status();
    }
  }
  ASSERT_NE(winner, -1);
  EXPECT_EQ(this->Get("job-1").record.complete_operation_count(), winner + 1);
  EXPECT_EQ(this->Get("job-1").version, row.version + 1);
}

TYPED_TEST_P(BatchOperationStoreContractTest, ListsNewestFirstInPagesPerNamespace) {
  // Start seconds, with ties (broken by job id, descending).
  const std::map<std::string, int> jobs = {{"a", 10}, {"b", 30}, {"c", 20}, {"d", 30},
                                           {"e", 5},  {"f", 20}, {"g", 30}};
  for (const auto& [id, second] : jobs) this->Create(Job(id, second));
  for (const char* id : {"b", "x", "z"}) this->Create(Job(id, 25, kOtherNamespace));

  const std::vector<std::string> newest_first = {"g", "d", "b", "f", "c", "a", "e"};
  auto first = this->store().ListBatchOperations(kNamespace, 100, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(JobIds(first->rows), newest_first);
  EXPECT_EQ(first->next_page_token, "");
  for (const auto& row : first->rows) {
    EXPECT_EQ(row.record.namespace_id(), kNamespace);
    EXPECT_EQ(row.version, 1);
    EXPECT_EQ(FromProto(row.record.start_time()), At(jobs.at(row.record.job_id())));
  }

  // Every page size covers every job once, in the same order; an exact fit has no further page.
  for (int page_size : {1, 2, 3, 6, 7}) {
    int pages = 0;
    EXPECT_EQ(this->ListAll(kNamespace, page_size, &pages), newest_first) << page_size;
    EXPECT_EQ(pages, (7 + page_size - 1) / page_size) << page_size;
  }
  EXPECT_EQ(this->ListAll(kOtherNamespace, 2), (std::vector<std::string>{"z", "x", "b"}));
  EXPECT_THAT(this->ListAll("ns-empty", 2), IsEmpty());

  // A page token keeps its place while jobs are added before it and after it.
  auto page = this->store().ListBatchOperations(kNamespace, 3, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(JobIds(page->rows), (std::vector<std::string>{"g", "d", "b"}));
  this->Create(Job("h", 40));
  this->Create(Job("aa", 20));
  auto next = this->store().ListBatchOperations(kNamespace, 3, page->next_page_token);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(JobIds(next->rows), (std::vector<std::string>{"f", "c", "aa"}));
}

TYPED_TEST_P(BatchOperationStoreContractTest, ListPageSizeDefaultsToOneHundred) {
  for (int i = 0; i < 101; ++i) this->Create(Job(absl::StrCat("job-", 1000 + i), i));
  for (int page_size : {0, -1}) {
    auto page = this->store().ListBatchOperations(kNamespace, page_size, "");
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->rows.size(), 100u) << page_size;
    EXPECT_EQ(page->rows.front().record.job_id(), "job-1100");
    ASSERT_NE(page->next_page_token, "");
    auto rest = this->store().ListBatchOperations(kNamespace, page_size, page->next_page_token);
    ASSERT_TRUE(rest.ok()) << rest.status();
    EXPECT_EQ(JobIds(rest->rows), (std::vector<std::string>{"job-1000"}));
    EXPECT_EQ(rest->next_page_token, "");
  }
}

TYPED_TEST_P(BatchOperationStoreContractTest, ForeignPageTokensAreInvalidArgument) {
  for (int i = 0; i < 3; ++i) {
    this->Create(Job(absl::StrCat("job-", i), i));
    this->Create(Job(absl::StrCat("job-", i), i, kOtherNamespace));
  }
  auto page = this->store().ListBatchOperations(kNamespace, 1, "");
  ASSERT_TRUE(page.ok());
  ASSERT_NE(page->next_page_token, "");
  for (const char* token : {"garbage", ":", "-5:x", "12345", "12345:", "x:y:z"}) {
    EXPECT_EQ(this->store().ListBatchOperations(kNamespace, 1, token).status().code(),
              absl::StatusCode::kInvalidArgument)
        << token;
  }
  // A token of another namespace's listing.
  EXPECT_EQ(
      this->store().ListBatchOperations(kOtherNamespace, 1, page->next_page_token).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(this->store().ListBatchOperations(kNamespace, 1, page->next_page_token).ok());
}

TYPED_TEST_P(BatchOperationStoreContractTest, LeasesOnlyDueJobsEarliestFirst) {
  const Timestamp now = std::chrono::system_clock::now();
  this->Create(Job("due-2"), now - std::chrono::minutes(2));
  this->Create(Job("due-3"), now - std::chrono::minutes(1));
  this->Create(Job("due-1"), now - std::chrono::minutes(3));
  this->Create(Job("due-0", 0, kOtherNamespace), now - std::chrono::minutes(4));
  this->Create(Job("later"), Future());
  this->Create(Job("idle"));  // next_wakeup NULL: nothing to do

  auto leased = this->store().LeaseDueBatchOperations("worker-a", 3, kLongLease);
  ASSERT_TRUE(leased.ok()) << leased.status();
  EXPECT_EQ(JobIds(*leased), (std::vector<std::string>{"due-0", "due-1", "due-2"}));
  for (const auto& row : *leased) {
    // The leased rows are returned as stored; leasing is not a record write.
    EXPECT_EQ(row.version, 1);
    EXPECT_EQ(row.record.SerializeAsString(),
              Job(row.record.job_id(), 0, row.record.namespace_id()).SerializeAsString());
    ASSERT_TRUE(row.next_wakeup.has_value());
  }
  auto rest = this->store().LeaseDueBatchOperations("worker-a", 10, kLongLease);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(JobIds(*rest), (std::vector<std::string>{"due-3"}));
  // Nothing else is due: not the future job, not the idle one, not the leased ones.
  auto none = this->store().LeaseDueBatchOperations("worker-b", 10, kLongLease);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(JobIds(*none), IsEmpty());
}

TYPED_TEST_P(BatchOperationStoreContractTest, ALiveLeaseKeepsOtherWorkersOff) {
  this->Create(Job("job-1"), Past());
  auto a = this->store().LeaseDueBatchOperations("worker-a", 10, kLongLease);
  ASSERT_TRUE(a.ok());
  ASSERT_THAT(JobIds(*a), ElementsAre("job-1"));
  // Neither another worker nor the holder itself leases it again while the lease lives.
  for (const char* owner : {"worker-b", "worker-a"}) {
    auto again = this->store().LeaseDueBatchOperations(owner, 10, kLongLease);
    ASSERT_TRUE(again.ok());
    EXPECT_THAT(JobIds(*again), IsEmpty()) << owner;
  }
  // The lease does not keep the frontend from reading or stopping the job.
  BatchOperationRow row = this->Get("job-1");
  auto stopped = this->store().UpdateBatchOperation(Stopped(row), row.version, std::nullopt);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  // And the holder, writing its progress under the version it leased, loses to that stop.
  auto progress = this->store().UpdateBatchOperation(Progressed((*a)[0]), (*a)[0].version, Past());
  EXPECT_TRUE(persistence::IsConditionFailed(progress.status())) << progress.status();
  BatchOperationRow after = this->Get("job-1");
  EXPECT_EQ(after.record.state(), enums::BATCH_OPERATION_STATE_FAILED);
  EXPECT_EQ(after.record.stop_reason(), "stopped by the test");
  EXPECT_EQ(after.next_wakeup, std::nullopt);
  // A stopped job is never leased again.
  auto none = this->store().LeaseDueBatchOperations("worker-b", 10, kLongLease);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(JobIds(*none), IsEmpty());
}

TYPED_TEST_P(BatchOperationStoreContractTest, AWriteEndsTheLease) {
  this->Create(Job("job-1"), Past());
  auto a = this->store().LeaseDueBatchOperations("worker-a", 10, kLongLease);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  // The holder writes its progress and asks to run again at once: the lease is over, so any
  // worker (another one here) may take the job, at the new version.
  auto v2 = this->store().UpdateBatchOperation(Progressed((*a)[0]), (*a)[0].version, Past());
  ASSERT_TRUE(v2.ok()) << v2.status();
  auto b = this->store().LeaseDueBatchOperations("worker-b", 10, kLongLease);
  ASSERT_TRUE(b.ok());
  ASSERT_THAT(JobIds(*b), ElementsAre("job-1"));
  EXPECT_EQ((*b)[0].version, *v2);
  EXPECT_EQ((*b)[0].record.complete_operation_count(), 1);
  // A write with a wake-up in the future ends the lease but keeps the job until then.
  ASSERT_TRUE(this->store().UpdateBatchOperation(Progressed((*b)[0]), *v2, Future()).ok());
  auto none = this->store().LeaseDueBatchOperations("worker-a", 10, kLongLease);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(JobIds(*none), IsEmpty());
}

TYPED_TEST_P(BatchOperationStoreContractTest, AnExpiredLeaseIsTakenOverAndTheOldHolderFenced) {
  this->Create(Job("job-1"), Past());
  // A worker that leases the job and then stops (crashes) without writing it back.
  auto a = this->store().LeaseDueBatchOperations("worker-a", 10, milliseconds(300));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  auto b = this->store().LeaseDueBatchOperations("worker-b", 10, kLongLease);
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(JobIds(*b), IsEmpty()) << "leased again before the lease ran out";

  // Once the lease has run out, another worker takes the job over where it was left.
  std::vector<BatchOperationRow> taken;
  ASSERT_TRUE(mocks::WaitFor(
      [&] {
        auto leased = this->store().LeaseDueBatchOperations("worker-b", 10, kLongLease);
        EXPECT_TRUE(leased.ok()) << leased.status();
        if (leased.ok()) taken = *leased;
        return !taken.empty();
      },
      std::chrono::seconds(10)));
  ASSERT_THAT(JobIds(taken), ElementsAre("job-1"));
  EXPECT_EQ(taken[0].version, (*a)[0].version);
  EXPECT_EQ(taken[0].record.pending_size(), 3);

  // The new holder writes its progress first; the old one, back from the dead with the same
  // version, is fenced off and must leave the job.
  auto v2 = this->store().UpdateBatchOperation(Progressed(taken[0]), taken[0].version, Future());
  ASSERT_TRUE(v2.ok()) << v2.status();
  auto late = this->store().UpdateBatchOperation(Progressed((*a)[0]), (*a)[0].version, Past());
  EXPECT_TRUE(persistence::IsConditionFailed(late.status())) << late.status();
  BatchOperationRow row = this->Get("job-1");
  EXPECT_EQ(row.version, *v2);
  EXPECT_EQ(row.record.complete_operation_count(), 1);
  EXPECT_EQ(row.record.pending_size(), 2);
}

TYPED_TEST_P(BatchOperationStoreContractTest, ConcurrentWorkersLeaseEachDueJobOnce) {
  constexpr int kJobs = 30;
  constexpr int kWorkers = 4;
  for (int i = 0; i < kJobs; ++i) this->Create(Job(absl::StrCat("job-", i)), Past());
  std::vector<std::vector<std::string>> leased(kWorkers);
  {
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.emplace_back([&, w] {
        for (int attempt = 0; attempt < 100; ++attempt) {
          auto rows =
              this->store().LeaseDueBatchOperations(absl::StrCat("worker-", w), 3, kLongLease);
          EXPECT_TRUE(rows.ok()) << rows.status();
          if (!rows.ok() || rows->empty()) return;
          for (const auto& id : JobIds(*rows)) leased[w].push_back(id);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  std::multiset<std::string> all;
  for (const auto& ids : leased) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), static_cast<size_t>(kJobs))
      << "a job was leased by two workers at once";
}

TYPED_TEST_P(BatchOperationStoreContractTest, CompletionClearsTheWakeupAndKeepsTheJobListed) {
  this->Create(Job("job-1", 1), Past());
  this->Create(Job("job-2", 2), Past());
  auto leased = this->store().LeaseDueBatchOperations("worker-a", 10, kLongLease);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 2u);
  const BatchOperationRow& row =
      (*leased)[0].record.job_id() == "job-1" ? (*leased)[0] : (*leased)[1];
  persistence::v1::BatchOperationRecord done = row.record;
  done.clear_pending();
  done.set_listing_done(true);
  done.set_complete_operation_count(3);
  done.set_total_operation_count(3);
  done.set_state(enums::BATCH_OPERATION_STATE_COMPLETED);
  *done.mutable_close_time() = ToProto(At(9));
  ASSERT_TRUE(this->store().UpdateBatchOperation(done, row.version, std::nullopt).ok());

  BatchOperationRow after = this->Get("job-1");
  EXPECT_EQ(after.record.state(), enums::BATCH_OPERATION_STATE_COMPLETED);
  EXPECT_EQ(after.record.complete_operation_count(), 3);
  EXPECT_EQ(FromProto(after.record.close_time()), At(9));
  EXPECT_EQ(after.next_wakeup, std::nullopt);
  auto page = this->store().ListBatchOperations(kNamespace, 10, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(JobIds(page->rows), (std::vector<std::string>{"job-2", "job-1"}));
  EXPECT_EQ(page->rows[1].record.state(), enums::BATCH_OPERATION_STATE_COMPLETED);
  EXPECT_EQ(page->rows[0].record.state(), enums::BATCH_OPERATION_STATE_RUNNING);
  // Completed, it is never leased again (its write ended worker-a's lease on it).
  auto none = this->store().LeaseDueBatchOperations("worker-b", 10, kLongLease);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(JobIds(*none), IsEmpty());
}

TYPED_TEST_P(BatchOperationStoreContractTest, NamespaceDeletionRemovesItsJobsInBatches) {
  for (int i = 0; i < 5; ++i) {
    this->Create(Job(absl::StrCat("job-", i), i), Past());
    this->Create(Job(absl::StrCat("job-", i), i, kOtherNamespace), Past());
  }
  const BatchOperationRow before = this->Get("job-0");
  auto deleted = this->store().DeleteNamespaceBatchOperations(kNamespace, 2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(this->ListAll(kNamespace, 10).size(), 3u);
  EXPECT_EQ(*this->store().DeleteNamespaceBatchOperations(kNamespace, 2), 2);
  EXPECT_EQ(*this->store().DeleteNamespaceBatchOperations(kNamespace, 2), 1);
  EXPECT_EQ(*this->store().DeleteNamespaceBatchOperations(kNamespace, 2), 0);
  EXPECT_THAT(this->ListAll(kNamespace, 10), IsEmpty());
  EXPECT_EQ(this->store().GetBatchOperation(kNamespace, "job-0").status().code(),
            absl::StatusCode::kNotFound);
  // A worker still holding a deleted job learns it is gone.
  EXPECT_EQ(
      this->store().UpdateBatchOperation(before.record, before.version, Past()).status().code(),
      absl::StatusCode::kNotFound);
  // The other namespace keeps its jobs, and only its jobs are due.
  EXPECT_EQ(this->ListAll(kOtherNamespace, 10).size(), 5u);
  auto leased = this->store().LeaseDueBatchOperations("worker-a", 10, kLongLease);
  ASSERT_TRUE(leased.ok());
  EXPECT_EQ(leased->size(), 5u);
  for (const auto& row : *leased) EXPECT_EQ(row.record.namespace_id(), kOtherNamespace);
  // The deleted namespace's job ids and running places are free again.
  ASSERT_TRUE(this->store().CreateBatchOperation(Job("job-0"), Past(), 1).ok());
}

REGISTER_TYPED_TEST_SUITE_P(
    BatchOperationStoreContractTest, CreateThenGetReadsBackEveryFieldAtVersionOne,
    UnknownJobsAreNotFound, DuplicateJobIdIsAlreadyExistsWithinANamespaceOnly,
    RunningJobsPerNamespaceAreLimited, ConcurrentCreatesNeverExceedTheLimit,
    ConcurrentCreatesOfOneJobIdCreateItOnce, UpdateIsConditionalOnTheVersion,
    ConcurrentWritesOfOneVersionHaveOneWinner, ListsNewestFirstInPagesPerNamespace,
    ListPageSizeDefaultsToOneHundred, ForeignPageTokensAreInvalidArgument,
    LeasesOnlyDueJobsEarliestFirst, ALiveLeaseKeepsOtherWorkersOff, AWriteEndsTheLease,
    AnExpiredLeaseIsTakenOverAndTheOldHolderFenced, ConcurrentWorkersLeaseEachDueJobOnce,
    CompletionClearsTheWakeupAndKeepsTheJobListed, NamespaceDeletionRemovesItsJobsInBatches);

}  // namespace tern::testing
