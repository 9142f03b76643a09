#include "client/factory.h"

#include "client/grpc_history_client.h"
#include "client/grpc_matching_client.h"
#include "client/metrics_clients.h"

namespace tern::client {

Clients NewClients(Membership& membership, Executor& executor, int32_t num_history_shards,
                   const Clock& clock) {
  Clients clients;
  clients.history_router =
      std::make_shared<GrpcHistoryClient>(membership, executor, num_history_shards, clock);
  clients.history = std::make_shared<MetricsHistoryClient>(clients.history_router, clock);
  clients.matching_router = std::make_shared<GrpcMatchingClient>(membership, executor, clock);
  clients.matching = std::make_shared<MetricsMatchingClient>(clients.matching_router, clock);
  return clients;
}

}  // namespace tern::client
