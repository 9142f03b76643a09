// Internal to the gRPC clients: sends a unary call to the owner of a key on one membership
// ring (a history shard, a matching partition) through UnaryCall, asking membership for a
// refresh whenever a peer says it is not the owner; or, when the service runs in this process
// and holds the key, straight to it (LocalService). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/rpc.h"
#include "google/protobuf/descriptor.h"
#include "membership/membership.h"

namespace tern::client {

// A service of this process (tern-server), as a direct path for the process's own calls: no gRPC,
// no serialization.
template <typename Client>
struct LocalService {
  // Whether the service holds the routing key (a shard, a partition) now.
  std::function<bool(const std::string& key)> holds;
  // Answers calls for held keys; ShardOwnershipLost when the key moved meanwhile, and the call
  // is then routed like any other.
  Client* client = nullptr;
  // Told of every answer `client` gives (the service's request metrics).
  std::function<void(std::string_view operation, const std::string& namespace_id,
                     const absl::Status& status, double seconds)>
      observe;
};

namespace detail {
// The direct call this thread is inside now (the address of a marker on its caller's stack), so
// that an answer given before the call returns is told apart from one given later.
inline thread_local const void* direct_call_in_progress = nullptr;
}  // namespace detail

// StartWorkflowExecutionRequest -> StartWorkflowExecution, the method's name.
std::string OperationOf(const google::protobuf::Descriptor& request);

template <typename Service, typename Client>
class RingRouter {
 public:
  template <typename Request, typename Response>
  using AsyncMethod = void (Service::StubInterface::async_interface::*)(
      grpc::ClientContext*, const Request*, Response*, std::function<void(grpc::Status)>);
  template <typename Request, typename Response>
  using DirectMethod = void (Client::*)(const Request&, CallOptions, Callback<Response>);

  RingRouter(Membership& membership, Membership::Role role, Executor& executor, const Clock& clock,
             std::string service_name)
      : membership_(membership),
        role_(role),
        executor_(executor),
        clock_(clock),
        service_name_(std::move(service_name)) {}

  // Sends calls for the keys `local` holds to it from now on (nullopt: none). Set it once the
  // service is built, and clear it before the service stops.
  void SetLocal(std::optional<LocalService<Client>> local) {
    std::lock_guard lock(local_mu_);
    local_ = local ? std::make_shared<const LocalService<Client>>(*std::move(local)) : nullptr;
  }

  // Calls `direct` on the local service if it holds `key`, else `method` on the owner of `key`.
  template <typename Request, typename Response>
  void Call(std::string key, const Request& request, CallOptions options, Callback<Response> done,
            AsyncMethod<Request, Response> method, DirectMethod<Request, Response> direct) {
    std::shared_ptr<const LocalService<Client>> local;
    {
      std::lock_guard lock(local_mu_);
      local = local_;
    }
    if (!local || !local->holds(key)) {
      return Call(std::move(key), request, std::move(options), std::move(done), method);
    }
    // Kept for a reroute (shared with the caller when it handed it over, else a copy), and
    // shared with the callee, which then needs no copy of its own.
    auto kept = KeepRequest(request, options);
    options.shared_request = kept;
    auto start = std::chrono::steady_clock::now();
    const char marker = 0;
    const void* outer_call = detail::direct_call_in_progress;
    detail::direct_call_in_progress = &marker;
    ((*local->client).*direct)(
        *kept, options,
        [this, local, kept, key = std::move(key), options, done = std::move(done), method, start,
         call = static_cast<const void*>(&marker)](absl::StatusOr<Response> result) mutable {
          if (local->observe) {
            static const std::string operation = OperationOf(*Request::descriptor());
            std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
            local->observe(operation, kept->namespace_id(), result.status(), elapsed.count());
          }
          if (IsShardOwnershipLost(result.status())) {
            return Call(std::move(key), *kept, std::move(options), std::move(done), method);
          }
          // As over gRPC, `done` never runs on the caller's stack nor inside the service (which
          // may answer under its own locks). An answer given on an executor thread runs there
          // once the work running now returns, with no other thread woken for it; one given
          // before the call returned is handed to another thread instead, unless the caller
          // does not block for it (it could be waiting for it on this very thread).
          auto answer = [done = std::move(done), result = std::move(result)]() mutable {
            done(std::move(result));
          };
          Executor* here = Executor::Current();
          bool before_return = detail::direct_call_in_progress == call;
          if (here && (options.caller_returns || !before_return)) {
            return here->Defer(std::move(answer));
          }
          executor_.Post(std::move(answer));
        });
    detail::direct_call_in_progress = outer_call;
  }

  // Calls `method` on the owner of `key`.
  template <typename Request, typename Response>
  void Call(std::string key, const Request& request, CallOptions options, Callback<Response> done,
            AsyncMethod<Request, Response> method) {
    UnaryCall<Request, Response>::Start(
        executor_, clock_,
        [this, key = std::move(key)]() -> absl::StatusOr<std::string> {
          std::string owner = membership_.Ring(role_)->Lookup(key);
          if (owner.empty()) {
            return absl::UnavailableError(absl::StrCat("no ", service_name_, " host is available"));
          }
          return owner;
        },
        [this, method](const std::string& address, grpc::ClientContext* ctx, const Request* req,
                       Response* resp, std::function<void(grpc::Status)> on_done) {
          (stubs_.Get(address)->async()->*method)(ctx, req, resp, std::move(on_done));
        },
        request, std::move(options), std::move(done), [this] { membership_.RequestRefresh(); });
  }

 private:
  Membership& membership_;
  const Membership::Role role_;
  Executor& executor_;
  const Clock& clock_;
  const std::string service_name_;
  StubCache<Service> stubs_;
  std::mutex local_mu_;
  std::shared_ptr<const LocalService<Client>> local_;
};

}  // namespace tern::client
