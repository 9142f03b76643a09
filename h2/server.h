// h2::Server: a gRPC server for unary calls on nghttp2 and OpenSSL, built to cost as little as a
// call can: the thread that reads a request runs the handler, and the thread that answers writes
// the answer, so a call normally involves no hand-off between threads at all.
//
// Threads: `loop_threads` epoll loops, named "<thread_name>-<i>"; loop 0 also accepts. Each
// connection belongs to one loop (round robin). A loop thread reads a connection's requests and
// calls the handler for each complete one, in order, with no lock held; the handler should return
// quickly (answering inline is fine) and must not block on other calls of the same server.
// Answers come from any thread (Call::Answer).
//
// What of gRPC it serves: unary calls (one request message, one response message or an error
// status), grpc-timeout as Call::deadline(), request compression gzip/deflate, client
// certificates, graceful GOAWAY. Not: streaming calls, response compression, HTTP/1.1, h2c
// upgrade. Invalid requests are answered by the library without reaching the handler: HTTP 405
// (method not POST), 415 (content-type not application/grpc*), INTERNAL (malformed grpc-timeout,
// no message or more than one, corrupt compression), UNIMPLEMENTED (unknown grpc-encoding),
// RESOURCE_EXHAUSTED (a message over max_message_bytes, before or after inflating). Every path
// reaches the handler, known or not.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "h2/call.h"
#include "h2/tls.h"

namespace tern::h2 {

// Gets each call once its request arrived, on the connection's loop thread.
using Handler = std::function<void(std::shared_ptr<Call>)>;

struct ServerOptions {
  std::string listen_address;  // "0.0.0.0:7233", "127.0.0.1:0", "[::]:7233", "localhost:7233"
  int loop_threads = 0;        // 0: one per core
  // Larger requests are answered RESOURCE_EXHAUSTED, compressed or inflated, and never reach the
  // handler; a declared length over the limit is refused before the message is received.
  size_t max_message_bytes = 128 << 20;
  // Called for each accepted connection (on loop 0): its TLS context, or null for plaintext. An
  // unset function means plaintext.
  std::function<std::shared_ptr<TlsContext>()> tls;
  std::string thread_name = "h2";  // loop threads are "<thread_name>-<i>"
};

class Server {
 public:
  // Binds, listens and starts the loop threads. Errors name the address (or the loop) that
  // failed.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, Handler handler);
  // Shutdown(now) unless done.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (useful with port 0).
  int port() const;

  // Stops accepting; sends every connection GOAWAY (a notice with last-stream-id 2^31-1, then,
  // after a PING round trip, the final one naming the last stream served) so clients move new
  // calls elsewhere; waits until every started call is answered and written, or `deadline`; then
  // cancels the calls still unanswered (their OnCancel callbacks run), closes every connection
  // and joins the threads. Idempotent; concurrent callers all return once it is done. Never
  // call it (or ~Server) from a handler or cancel callback: it waits for the loop threads.
  // After it returns, answering any call does nothing.
  void Shutdown(std::chrono::system_clock::time_point deadline);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::h2
