#include "services/matching/query_dispatcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/errors.h"

namespace tern::matching {

absl::Status QueryNotFoundError() {
  return NotFoundError("query task not found: unknown id, or the query already timed out");
}

void QueryOp::Cancel() {
  // `dispatcher` is set before the handle is returned and never changes afterwards.
  if (auto d = dispatcher.lock()) d->Cancel(shared_from_this());
}

QueryDispatcher::QueryDispatcher(Executor& timers, const Clock& clock, std::string task_queue)
    : timers_(timers), clock_(clock), task_queue_(std::move(task_queue)) {}

void QueryDispatcher::Add(std::shared_ptr<QueryOp> query, Deferred& after) {
  std::lock_guard lock(mu_);
  query->dispatcher = weak_from_this();
  if (closed_) {
    query->state = QueryOp::State::kDone;
    after([query, st = close_status_] { query->done(st); });
    return;
  }
  if (queries_.count(query->query_id)) {
    query->state = QueryOp::State::kDone;
    after([query] {
      query->done(
          absl::AlreadyExistsError(absl::StrCat("query ", query->query_id, " is already pending")));
    });
    return;
  }
  queries_.emplace(query->query_id, query);
  query->state = QueryOp::State::kWaiting;
  query->list_pos = unclaimed_.insert(unclaimed_.end(), query);
  if (query->answer_by != TimePoint::max()) {
    auto delay = std::max<std::chrono::nanoseconds>(query->answer_by - clock_.Now(),
                                                    std::chrono::nanoseconds(0));
    std::weak_ptr<QueryDispatcher> weak_self = weak_from_this();
    std::weak_ptr<QueryOp> weak_query = query;
    query->timer = timers_.PostAfter(delay, [weak_self, weak_query] {
      auto self = weak_self.lock();
      auto q = weak_query.lock();
      if (self && q) self->OnTimeout(q);
    });
  }
}

std::shared_ptr<QueryOp> QueryDispatcher::Claim() {
  std::lock_guard lock(mu_);
  if (unclaimed_.empty()) return nullptr;
  auto query = unclaimed_.front();
  unclaimed_.pop_front();
  query->state = QueryOp::State::kDispatched;
  return query;
}

void QueryDispatcher::Cancel(const std::shared_ptr<QueryOp>& query) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (query->state == QueryOp::State::kNew || query->state == QueryOp::State::kDone) return;
  FinishLocked(query, after, absl::CancelledError("query cancelled by the caller"));
}

void QueryDispatcher::OnTimeout(const std::shared_ptr<QueryOp>& query) {
  Deferred after;
  std::lock_guard lock(mu_);
  if (query->state == QueryOp::State::kWaiting) {
    FinishLocked(query, after,
                 absl::DeadlineExceededError(
                     absl::StrCat("no worker polled task queue \"", task_queue_, "\" in time")));
  } else if (query->state == QueryOp::State::kDispatched) {
    FinishLocked(
        query, after,
        absl::DeadlineExceededError(absl::StrCat("the worker of task queue \"", task_queue_,
                                                 "\" did not answer the query in time")));
  }
}

void QueryDispatcher::FinishLocked(std::shared_ptr<QueryOp> query, Deferred& after,
                                   absl::StatusOr<ms::QueryWorkflowResponse> result) {
  if (query->state == QueryOp::State::kWaiting) unclaimed_.erase(query->list_pos);
  queries_.erase(query->query_id);
  query->state = QueryOp::State::kDone;
  if (auto timer = query->timer) after([timer] { timer->Cancel(); });
  after([query, result = std::move(result)] { query->done(result); });
}

void QueryDispatcher::Respond(const ms::RespondQueryTaskCompletedRequest& request,
                              client::Callback<ms::RespondQueryTaskCompletedResponse> done) {
  const auto& answer = request.request();
  ms::QueryWorkflowResponse result;
  result.set_completed_type(answer.completed_type());
  if (answer.has_query_result()) *result.mutable_query_result() = answer.query_result();
  result.set_error_message(answer.error_message());
  if (answer.has_failure()) *result.mutable_failure() = answer.failure();

  Deferred after;
  std::lock_guard lock(mu_);
  auto it = queries_.find(request.query_id());
  if (it == queries_.end()) {
    after([done] { done(QueryNotFoundError()); });
    return;
  }
  FinishLocked(it->second, after, std::move(result));
  after([done] { done(ms::RespondQueryTaskCompletedResponse()); });
}

void QueryDispatcher::Close(absl::Status status, Deferred& after) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  closed_ = true;
  close_status_ = std::move(status);
  // Queries cannot outlive the partition: callers retry against the new owner.
  while (!queries_.empty()) FinishLocked(queries_.begin()->second, after, close_status_);
}

size_t QueryDispatcher::pending() const {
  std::lock_guard lock(mu_);
  return queries_.size();
}

}  // namespace tern::matching
