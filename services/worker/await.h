// Await: calls a history method and blocks until its answer arrives. For tern-worker's passes,
// which run on the blocking executor; never call it from a client or timer thread.
#pragma once

#include <chrono>
#include <future>

#include "absl/status/statusor.h"
#include "client/history_client.h"
#include "common/clock.h"

namespace tern::worker {

template <typename Req, typename Resp>
absl::StatusOr<Resp> Await(client::HistoryClient& history,
                           void (client::HistoryClient::*method)(const Req&, client::CallOptions,
                                                                 client::Callback<Resp>),
                           const Req& request, const Clock& clock,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  std::promise<absl::StatusOr<Resp>> done;
  client::CallOptions options;
  options.deadline = clock.Now() + timeout;
  (history.*method)(request, options,
                    [&done](absl::StatusOr<Resp> result) { done.set_value(std::move(result)); });
  return done.get_future().get();
}

}  // namespace tern::worker
