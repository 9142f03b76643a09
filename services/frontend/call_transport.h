// CallTransport: the connection side of one frontend call, whichever server carries it (gRPC's
// callback server, gated_services.h; or the h2 server, h2_services.h). The gate reads who is
// calling from it (request_gate.h, authenticator.h) and the call's reactor answers through it
// (call_reactor.h).
//
// Contract for implementations:
//   - the object lives until its reactor's OnDone has run (the call's record points at it);
//   - Bind() is called once, when the handler has returned the call's reactor, before any
//     reactor callback: from then on the transport calls the reactor's OnCancel (at most once,
//     only before the call is done, possibly racing with Answer) and OnDone (exactly once,
//     after Answer and after any OnCancel has returned);
//   - Answer() is called once, from any thread, by Reactor::Finish; OnDone may run inside it.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <string>
#include <string_view>

namespace tern::frontend {

class Reactor;

class CallTransport {
 public:
  // time_point::max() when the caller set no deadline.
  virtual std::chrono::system_clock::time_point deadline() const = 0;
  // The request header `name` (lower case), "" without it.
  virtual std::string_view header(std::string_view name) const = 0;
  // "ipv4:10.0.0.7:51234", as gRPC formats peers (the audit log records it).
  virtual std::string peer() const = 0;
  // The verified client certificate's common name, "" without one.
  virtual std::string certificate_common_name() const = 0;

  virtual void Bind(Reactor* reactor) = 0;
  // Sends the handler's response message (OK) or `status` (anything else).
  virtual void Answer(const grpc::Status& status) = 0;

 protected:
  ~CallTransport() = default;
};

}  // namespace tern::frontend
