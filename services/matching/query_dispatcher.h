// Internal to tern::matching: the legacy queries of one workflow partition. A query carries a
// task history built completely; it is handed to a parked workflow poll (no record-start,
// nothing persisted) and then waits for the worker's RespondQueryTaskCompleted.
//
// Contract:
//   - Threading: the dispatcher has its own mutex; no callback runs under it. Methods taking
//     `Deferred& after` answer through it, so the owner may call them under its own mutex (lock
//     order: owner, then dispatcher). Timers run on the timer executor.
//   - A query is answered exactly once: with the worker's result (Respond), DEADLINE_EXCEEDED
//     naming the task queue at `answer_by` (whether or not a poll took it), CANCELLED
//     (QueryOp::Cancel), ALREADY_EXISTS when its id is already pending, or the close status.
//   - Respond() for an id that is not pending (unknown, answered, expired, cancelled) is
//     NOT_FOUND.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "services/matching/core.h"

namespace tern::matching {

class QueryDispatcher;

// One query: waits for a poll (kWaiting), then for the worker's answer (kDispatched).
class QueryOp : public PollHandle, public std::enable_shared_from_this<QueryOp> {
 public:
  enum class State { kNew, kWaiting, kDispatched, kDone };

  QueryOp(std::string query_id, ws::PollWorkflowTaskQueueResponse task, TimePoint answer_by,
          client::Callback<ms::QueryWorkflowResponse> done)
      : query_id(std::move(query_id)),
        task(std::move(task)),
        answer_by(answer_by),
        done(std::move(done)) {}

  void Cancel() override;

  const std::string query_id;
  const ws::PollWorkflowTaskQueueResponse task;
  const TimePoint answer_by;  // time_point::max(): no deadline
  const client::Callback<ms::QueryWorkflowResponse> done;

  // Guarded by the dispatcher's mutex (set by Add, never changed afterwards).
  std::weak_ptr<QueryDispatcher> dispatcher;
  State state = State::kNew;
  std::list<std::shared_ptr<QueryOp>>::iterator list_pos;  // in unclaimed_ (kWaiting)
  std::shared_ptr<Executor::Timer> timer;
};

class QueryDispatcher : public std::enable_shared_from_this<QueryDispatcher> {
 public:
  // `task_queue` (the base name) appears in the DEADLINE_EXCEEDED messages.
  QueryDispatcher(Executor& timers, const Clock& clock, std::string task_queue);

  // Registers `query` (FIFO) and arms its deadline.
  void Add(std::shared_ptr<QueryOp> query, Deferred& after);
  // The oldest query no poll took yet, now waiting for its answer; null if none. The caller
  // hands query->task to a poll.
  std::shared_ptr<QueryOp> Claim();
  void Respond(const ms::RespondQueryTaskCompletedRequest& request,
               client::Callback<ms::RespondQueryTaskCompletedResponse> done);
  void Cancel(const std::shared_ptr<QueryOp>& query);
  // Answers every pending query with `status` and every later Add too. Idempotent.
  void Close(absl::Status status, Deferred& after);
  // Queries waiting for a poll or for their answer.
  size_t pending() const;

 private:
  void OnTimeout(const std::shared_ptr<QueryOp>& query);
  // Takes `query` by value: the caller's reference may point into queries_, which this erases.
  void FinishLocked(std::shared_ptr<QueryOp> query, Deferred& after,
                    absl::StatusOr<ms::QueryWorkflowResponse> result);

  Executor& timers_;
  const Clock& clock_;
  const std::string task_queue_;

  mutable std::mutex mu_;
  bool closed_ = false;
  absl::Status close_status_;
  std::unordered_map<std::string, std::shared_ptr<QueryOp>> queries_;  // live, by id
  std::list<std::shared_ptr<QueryOp>> unclaimed_;                      // waiting for a poll
};

// NOT_FOUND for RespondQueryTaskCompleted of a query that is not (or no longer) pending.
absl::Status QueryNotFoundError();

}  // namespace tern::matching
