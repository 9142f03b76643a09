// tern-matching as a component of a process: a MatchingEngine wired to the membership ring, and
// its RPCs both as the gRPC tern.matchingservice.v1.MatchingService (callback API) and in process.
//
// Composition root usage:
//   MatchingService matching(config, stores.tasks, membership, history_client, matching_client,
//                            blocking_executor, timer_executor, self_address);
//   builder.RegisterService(matching.GrpcService());
//   ... membership.Start(...); matching.Start(); server->Start ...
//   // shutdown: matching.Stop() (answers parked polls), then server->Shutdown(), then stop the
//   // executors. Stop() must run before the executors stop: it waits for calls in flight.
//
// `self_address` must be this host's rpc address exactly as it appears on the matching ring
// (services.matching.broadcast_address). The blocking executor runs TaskStore calls; size it to
// the connection pool. Handlers never block a gRPC thread; a parked poll holds no thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "client/grpc_matching_client.h"
#include "client/history_client.h"
#include "client/matching_client.h"
#include "common/config.h"
#include "common/executor.h"
#include "membership/membership.h"
#include "persistence/store.h"
#include "services/matching/in_process_client.h"
#include "services/matching/matching_engine.h"

namespace tern::matching {

class MatchingService {
 public:
  // `namespace_name` names namespaces in metric labels (EngineOptions::namespace_name).
  MatchingService(const Config& config, std::shared_ptr<persistence::TaskStore> store,
                  Membership& membership, client::HistoryClient& history,
                  client::MatchingClient& matching, Executor& blocking_executor,
                  Executor& timer_executor, std::string self_address,
                  std::function<std::string(const std::string&)> namespace_name);
  // Same, with explicit engine options and clock (tests).
  MatchingService(EngineOptions options, std::shared_ptr<persistence::TaskStore> store,
                  Membership& membership, client::HistoryClient& history,
                  client::MatchingClient& matching, Executor& blocking_executor,
                  Executor& timer_executor, const Clock& clock);
  ~MatchingService();

  MatchingService(const MatchingService&) = delete;
  MatchingService& operator=(const MatchingService&) = delete;

  // Register with the grpc::ServerBuilder; valid for the lifetime of this object.
  grpc::Service* GrpcService();
  // The partitions this host owns as a direct path for the process's own matching client (set
  // with GrpcMatchingClient::SetLocal; the caller adds the request metrics).
  client::LocalMatching Local();
  // Follows matching-ring changes (partitions that moved away unload) and starts housekeeping.
  void Start();
  // Answers every parked poll empty, unloads every partition, waits for in-flight calls; later
  // calls get ShardOwnershipLost so callers re-route to the new owners. Idempotent.
  void Stop();

  MatchingEngine& engine() { return *engine_; }

 private:
  class Handler;

  Membership& membership_;
  const std::string self_address_;
  std::shared_ptr<MatchingEngine> engine_;
  std::unique_ptr<InProcessMatchingClient> in_process_;
  std::unique_ptr<Handler> handler_;
};

}  // namespace tern::matching
