// The one place that builds the clients a process hands to its services: each gRPC
// implementation wrapped in its decorators (metrics), so no service sees an undecorated client.
#pragma once

#include <cstdint>
#include <memory>

#include "client/grpc_history_client.h"
#include "client/grpc_matching_client.h"
#include "client/history_client.h"
#include "client/matching_client.h"
#include "membership/membership.h"

namespace tern::client {

struct Clients {
  std::shared_ptr<HistoryClient> history;
  std::shared_ptr<MatchingClient> matching;
  // The routers under `history` and `matching`, to give them the process's own services
  // (SetLocal).
  std::shared_ptr<GrpcHistoryClient> history_router;
  std::shared_ptr<GrpcMatchingClient> matching_router;
};

// Retries and backoff run on `executor`; `clock` times deadlines and latency. `membership` and
// `executor` must outlive the clients.
Clients NewClients(Membership& membership, Executor& executor, int32_t num_history_shards,
                   const Clock& clock);

}  // namespace tern::client
