// The newest committed events of a run, kept with its cached mutable state so that starting a
// workflow task sends them without reading history back from the database. It holds what a
// sticky worker is sent (the events after the last completed workflow task) and, before the
// first task completes, the whole history. Committed events never change, so whatever the tail
// holds is right; it only has to cover the range asked for.
//
// Not thread-safe: guarded by the run's ExecutionContext::mu.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "temporal/api/history/v1/message.pb.h"

namespace tern::history {

class EventTail {
 public:
  using Event = temporal::api::history::v1::HistoryEvent;

  // Adds the events one commit wrote. Events that do not continue the tail replace it. Then
  // drops the events before `keep_from`, and the oldest while the tail is over its budget.
  void Append(std::vector<Event>&& events, int64_t keep_from);
  void Clear();
  // Events [first, next), or nullopt unless the tail holds all of them.
  std::optional<std::vector<Event>> Range(int64_t first, int64_t next) const;

 private:
  static constexpr size_t kMaxBytes = 256 * 1024;
  struct Held {
    Event event;
    size_t bytes;  // its serialized size, measured once
  };
  std::deque<Held> events_;
  size_t bytes_ = 0;
};

}  // namespace tern::history
