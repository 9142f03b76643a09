// Group commit: callers that arrive while writes are in flight wait, and the first of them to find
// a free slot writes everything queued (its own item and the others') in one batch. Under load a
// batch grows to what arrived during the previous write, so the cost of a round trip, a commit or
// an HTTP request is shared; with one caller at a time each item is written alone, at once.
//
// Used by the shard's transactions (services/history/shard.h) and the visibility stores. Submit
// blocks its thread until the batch holding its item is written.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/adaptive_mutex.h"

namespace tern {

template <typename Item>
class GroupCommit {
 public:
  struct Options {
    // Batches written at once; more callers wait for one to finish.
    int max_in_flight = 1;
    // A batch holds at most this many items, and at most max_weight of weight(item) together
    // (at least one item, whatever its weight).
    size_t max_items = std::numeric_limits<size_t>::max();
    size_t max_weight = std::numeric_limits<size_t>::max();
    std::function<size_t(const Item&)> weight;
  };
  // Writes a batch; returns one outcome per item, in order, or a single outcome for them all.
  using WriteFn = std::function<std::vector<absl::Status>(const std::vector<Item*>& batch)>;

  GroupCommit(WriteFn write, Options options) : write_(std::move(write)), options_(options) {}
  explicit GroupCommit(WriteFn write) : GroupCommit(std::move(write), Options()) {}

  // Queues `item` and returns its outcome once its batch is written. `item` must stay alive and
  // untouched until then; the write may change it (a write that moves items and back, say).
  //
  // Wake-ups are targeted: a finished batch wakes its own callers and, when items are queued
  // and a slot is free, the one caller at the head of the queue to write the next batch. No
  // caller is woken only to find it has nothing to do (each wake-up is a context switch and a
  // fight for the mutex), and none is woken while the mutex is held: it would wake only to
  // block on the mutex, a second switch.
  absl::Status Submit(Item& item) {
    // Shared: whoever wakes this caller does so after releasing the mutex, when the caller may
    // already have returned.
    auto mine = std::make_shared<Pending>(&item);
    std::unique_lock lock(mu_);
    queued_.push_back(mine);
    while (!mine->done) {
      if (queued_.empty() || in_flight_ >= options_.max_in_flight) {
        mine->wake.wait(lock, [&] {
          return mine->done || (!queued_.empty() && in_flight_ < options_.max_in_flight);
        });
        continue;
      }
      Batch batch = TakeBatch();
      ++in_flight_;
      // More queued than one batch holds, and another slot free.
      std::shared_ptr<Pending> next_writer = NextWriterLocked();
      lock.unlock();
      if (next_writer) next_writer->wake.notify_one();
      Write(batch);
      lock.lock();
      --in_flight_;
      for (const auto& pending : batch) pending->done = true;
      // Still queued (the batch was full before reaching our item): write the next batch
      // ourselves. Otherwise hand the free slot to the caller at the head of the queue.
      next_writer = mine->done ? NextWriterLocked() : nullptr;
      lock.unlock();
      for (const auto& pending : batch) {
        if (pending != mine) pending->wake.notify_one();
      }
      if (next_writer) next_writer->wake.notify_one();
      lock.lock();
    }
    return mine->outcome;
  }

  // Callers waiting for a batch to start (introspection for tests).
  size_t Queued() const {
    std::lock_guard lock(mu_);
    return queued_.size();
  }

 private:
  struct Pending {
    explicit Pending(Item* item) : item(item) {}
    Item* item;
    absl::Status outcome;
    bool done = false;     // guarded by mu_
    AdaptiveCondVar wake;  // done, or may lead the next batch (checked under mu_)
  };
  using Batch = std::vector<std::shared_ptr<Pending>>;

  // The caller at the head of the queue, if items are queued and a write slot is free: it writes
  // them once woken.
  std::shared_ptr<Pending> NextWriterLocked() {
    if (queued_.empty() || in_flight_ >= options_.max_in_flight) return nullptr;
    return queued_.front();
  }

  Batch TakeBatch() {  // mu_ held
    Batch batch;
    size_t weight = 0;
    while (!queued_.empty() && batch.size() < options_.max_items) {
      size_t next = options_.weight ? options_.weight(*queued_.front()->item) : 0;
      if (!batch.empty() && weight + next > options_.max_weight) break;
      weight += next;
      batch.push_back(std::move(queued_.front()));
      queued_.pop_front();
    }
    return batch;
  }

  void Write(const Batch& batch) {
    std::vector<Item*> items;
    items.reserve(batch.size());
    for (const auto& pending : batch) items.push_back(pending->item);
    std::vector<absl::Status> outcomes = write_(items);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->outcome =
          outcomes.size() == batch.size() ? std::move(outcomes[i])
          : outcomes.size() == 1
              ? outcomes[0]
              : absl::InternalError("group commit: the write gave " +
                                    std::to_string(outcomes.size()) + " outcomes for a batch of " +
                                    std::to_string(batch.size()));
    }
  }

  const WriteFn write_;
  const Options options_;
  mutable AdaptiveMutex mu_;  // held only to queue, take a batch or mark one done
  std::deque<std::shared_ptr<Pending>> queued_;  // guarded by mu_
  int in_flight_ = 0;                            // guarded by mu_
};

}  // namespace tern
