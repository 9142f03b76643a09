// One unary gRPC call received by h2::Server, handed to the server's Handler once its request
// message has fully arrived (and decoded: the library answers malformed, oversized or
// undecodable requests itself, without calling the handler).
//
// Contract:
//   - The handler gets the call as a shared_ptr and keeps it until it answers. Every call should be
//     answered exactly once; only the first Answer counts, later ones are ignored.
//   - Answer may be called from any thread, inline in the handler or later. It never blocks on
//     the network: under the connection's lock it writes what the socket takes at once and leaves
//     the rest to the connection's loop thread. Answering a call whose client reset it, whose
//     connection closed or whose server shut down does nothing.
//   - OnCancel's callback runs at most once, only if the call was not answered first: when the
//     client resets the stream (a client-side cancel or deadline), the connection closes, or
//     Server::Shutdown gives up on the call. It runs on a loop thread, outside every lock, or at
//     once on the registering thread when the call is already cancelled. It may call Answer
//     (which then does nothing). Deadlines are the handler's business: passing one cancels
//     nothing here.
//   - The request accessors are immutable and safe from any thread.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "h2/grpc_framing.h"

namespace tern::h2 {

class Connection;

// What the calls of one connection share.
struct PeerInfo {
  std::string peer;                     // "ipv4:127.0.0.1:5555", "ipv6:[::1]:5555"
  std::string certificate_common_name;  // of the verified client certificate, "" without one
};

class Call {
 public:
  // Only a Connection makes calls (passkey: keeps the constructor usable by make_shared).
  class Key {
    friend class Connection;
    Key() = default;
  };
  Call(Key, std::weak_ptr<Connection> connection, int32_t stream_id,
       std::shared_ptr<const PeerInfo> peer_info, size_t max_message_bytes);
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // ":path", e.g. "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo".
  const std::string& path() const { return path_; }
  // The value of request header `name` (lower-case), "" when absent.
  std::string_view header(std::string_view name) const;
  const std::string& peer() const { return peer_info_->peer; }
  const std::string& certificate_common_name() const { return peer_info_->certificate_common_name; }
  // From grpc-timeout, measured from when the request headers arrived; time_point::max()
  // without one.
  std::chrono::system_clock::time_point deadline() const { return deadline_; }
  // The request message, decompressed.
  const std::string& request() const { return request_; }

  // With an OK status `response` is the serialized response message; otherwise it is ignored and
  // the status (code, message, error_details) is sent as trailers.
  void Answer(const grpc::Status& status, std::string response);
  void OnCancel(std::function<void()> on_cancel);
  bool cancelled() const;

 private:
  friend class Connection;
  enum class State { kOpen, kAnswered, kCancelled };

  // kOpen -> kAnswered; false (and nothing changes) otherwise. Drops the cancel callback.
  bool MarkAnswered();
  // kOpen -> kCancelled and runs the callback; nothing otherwise. Call without locks held.
  void Cancel();
  // Checks and decodes the received message into request_ (on the loop thread, before the
  // handler sees the call). Errors are the status to answer with.
  absl::Status TakeRequest(size_t max_message_bytes);

  const std::weak_ptr<Connection> connection_;
  const int32_t stream_id_;
  const std::shared_ptr<const PeerInfo> peer_info_;

  // The request, written by the connection while it is received, constant once dispatched.
  std::string path_;
  std::vector<std::pair<std::string, std::string>> headers_;
  size_t header_bytes_ = 0;
  bool post_ = false;
  bool bad_timeout_ = false;
  std::chrono::system_clock::time_point deadline_ = std::chrono::system_clock::time_point::max();
  MessageReader reader_;
  std::string request_;

  // Stream state, guarded by the connection's mutex.
  bool stream_open_ = true;
  bool dispatched_ = false;  // its request is complete and goes to the handler
  bool submitted_ = false;   // an answer (the handler's or the library's) went to nghttp2
  bool end_early_ = false;   // reset the stream once the (early) answer is sent
  unsigned char prefix_[5] = {};
  std::string response_;
  size_t response_sent_ = 0;  // of prefix_ + response_

  mutable std::mutex mu_;
  State state_ = State::kOpen;       // guarded by mu_
  std::function<void()> on_cancel_;  // guarded by mu_
};

}  // namespace tern::h2
