// Internal to the gRPC clients: sends a unary call to the owner of a key on one membership
// ring (a history shard, a matching partition) through UnaryCall, asking membership for a
// refresh whenever a peer says it is not the owner. Thread-safe.
#pragma once

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/rpc.h"
#include "membership/membership.h"

namespace tern::client {

template <typename Service>
class RingRouter {
 public:
  template <typename Request, typename Response>
  using AsyncMethod = void (Service::StubInterface::async_interface::*)(
      grpc::ClientContext*, const Request*, Response*, std::function<void(grpc::Status)>);

  RingRouter(Membership& membership, Membership::Role role, Executor& executor, const Clock& clock,
             std::string service_name)
      : membership_(membership),
        role_(role),
        executor_(executor),
        clock_(clock),
        service_name_(std::move(service_name)) {}

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
};

}  // namespace tern::client
