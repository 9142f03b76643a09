// The one place that builds the clients a process hands to its services: each gRPC
// implementation wrapped in its decorators (metrics), so no service sees an undecorated client.
#pragma once

#include <cstdint>
#include <memory>

#include "client/history_client.h"
#include "client/matching_client.h"
#include "membership/membership.h"

namespace tern::client {

struct Clients {
  std::shared_ptr<HistoryClient> history;
  std::shared_ptr<MatchingClient> matching;
};

// Retries and backoff run on `executor`; `clock` times deadlines and latency. `membership` and
// `executor` must outlive the clients.
Clients NewClients(Membership& membership, Executor& executor, int32_t num_history_shards,
                   const Clock& clock);

}  // namespace tern::client
