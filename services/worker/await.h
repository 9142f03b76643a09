// Await: calls a history method and blocks until its answer arrives, for tern-worker's passes,
// which run on the blocking executor (never call it from a client or timer thread); ToHistory
// builds the requests it is given.
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

// An internal history request for the namespace of `record` (a schedule or batch job: anything
// with namespace_id() and namespace_name()), its public request's namespace set too.
template <typename Internal, typename Record>
Internal ToHistory(const Record& record) {
  Internal internal;
  internal.set_namespace_id(record.namespace_id());
  internal.mutable_request()->set_namespace_(record.namespace_name());
  return internal;
}

}  // namespace tern::worker
