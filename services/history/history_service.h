// tern-history as a component of a process: the shard controller, the engine, and the engine's
// RPCs both as the gRPC handler of tern.historyservice.v1.HistoryService and in process.
#pragma once

#include <memory>

#include "client/grpc_history_client.h"
#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/config.h"
#include "membership/membership.h"
#include "services/history/history_engine.h"
#include "services/history/in_process_client.h"
#include "services/history/shard_controller.h"
#include "tern/historyservice/v1/service.grpc.pb.h"

namespace tern::history {

class HistoryHandler;

class HistoryService {
 public:
  // `namespaces` is the process's namespace cache, started and stopped by the caller.
  HistoryService(const Config& config, persistence::Stores stores,
                 std::shared_ptr<persistence::NamespaceCache> namespaces, Membership& membership,
                 client::MatchingClient& matching, client::HistoryClient& history,
                 Executor& blocking, Clock& clock, std::string self_address);
  ~HistoryService();

  grpc::Service* GrpcService();
  // This host's shards as a direct path for the process's own history client (set with
  // GrpcHistoryClient::SetLocal; the caller adds the request metrics).
  client::LocalHistory Local();
  // Acquires this host's shards (blocking) and starts their queues.
  void Start();
  // Releases every shard so other hosts can take them at once.
  void Stop();

 private:
  // Records the shards' task attempts and queue lags (common/metrics.h, history section).
  TaskObserver TaskMetrics() const;

  ShardController shards_;
  // Custom search attributes of namespaces, for visibility rows and command checks.
  std::shared_ptr<persistence::NamespaceCache> namespaces_;
  HistoryEngine engine_;
  InProcessHistoryClient in_process_;
  std::unique_ptr<HistoryHandler> handler_;
};

}  // namespace tern::history
