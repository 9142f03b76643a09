// Internal to h2: one accepted HTTP/2 connection (optionally TLS) serving unary gRPC calls.
//
// State (socket, SSL, nghttp2 session, output buffer, streams) is guarded by mu_. The loop
// thread reads, feeds nghttp2 and writes; handlers and cancel callbacks run on the loop thread
// with mu_ released. Answer runs on the answering thread: it submits the response and writes it
// at once; only what the socket does not take is left for the loop thread (EPOLLOUT).
//
// TLS runs over memory BIOs: every byte reaches the socket through one recv/send path
// (MSG_NOSIGNAL, so a peer gone away never raises SIGPIPE on a caller's thread).
//
// A connection is closed only on its loop thread. Closing releases the socket, the SSL and the
// session at once; Calls refer to the connection weakly, so they keep none of it alive.
//
// connection.cc has the socket, TLS and lifecycle; connection_streams.cc the HTTP/2 side
// (nghttp2 callbacks, the library's own answers, answers as frames).
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "h2/call.h"
#include "h2/loop.h"
#include "h2/server.h"
#include "h2/tls.h"

struct bio_st;  // BIO

namespace tern::h2 {

// A request the library refuses itself, as the gRPC status it answers (absl and gRPC number their
// codes alike). Code and message only: unlike common/errors.h's ToGrpcStatus, which packs a
// status's error details, the library's refusals carry none.
grpc::Status RefusalStatus(const absl::Status& status);

// Counts the connections that still have calls to finish while the server shuts down.
class ShutdownWatch {
 public:
  void Add();
  void Done();
  // True when every connection added is done; false at the deadline.
  bool WaitUntil(std::chrono::system_clock::time_point deadline);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int busy_ = 0;
};

class Connection : public Pollable, public std::enable_shared_from_this<Connection> {
 public:
  // What a connection uses of its server; valid while the connection is open.
  struct Env {
    Loop* loop;
    const Handler* handler;
    size_t max_message_bytes;
    ShutdownWatch* watch;
  };
  // `fd`: an accepted non-blocking socket, owned from now on. `tls` null for plaintext.
  Connection(int fd, std::string peer, const std::shared_ptr<TlsContext>& tls, Env env);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Loop thread.
  void Start();
  void OnEvent(uint32_t events) override;
  // Sends GOAWAY (a notice, then after a PING round trip the final one) and reports to the
  // watch once every started call is answered and written.
  void BeginShutdown();
  // Cancels the unanswered calls and closes.
  void Close();

  // Any thread (Call::Answer, after the call was marked answered).
  void Answer(Call& call, const grpc::Status& status, std::string response);

 private:
  struct Batch {
    std::vector<std::shared_ptr<Call>> ready;
    std::vector<std::shared_ptr<Call>> cancelled;
  };

  bool StartSessionLocked();
  bool ReadLocked();
  bool ConsumeLocked(const char* data, size_t size);
  bool FeedSessionLocked(const char* data, size_t size);
  bool HandshakeDoneLocked();
  bool FlushLocked();
  bool SendLocked();
  void UpdateInterestLocked();
  // After a change: finishes a session that is over, updates the epoll interest and reports to
  // the shutdown watch.
  void SettleLocked();
  void MaybeFinishLocked();
  void CloseLocked();
  void MaybeReportQuietLocked();
  Batch TakeBatchLocked();
  void RunBatch(Batch batch);

  // nghttp2 callbacks; they run under mu_ (inside mem_recv / mem_send).
  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* self);
  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_len, const uint8_t* value, size_t value_len, uint8_t flags,
                      void* self);
  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* self);
  static int OnDataChunk(nghttp2_session* session, uint8_t flags, int32_t stream_id,
                         const uint8_t* data, size_t len, void* self);
  static int OnFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void* self);
  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                           void* self);
  static ssize_t ReadResponse(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                              size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                              void* self);

  static constexpr size_t kMaxHeaderListBytes = 64 << 10;
  static constexpr uint8_t kShutdownPing[8] = {'h', '2', '-', 'd', 'r', 'a', 'i', 'n'};

  void OnHeadersDoneLocked(Call& call);
  void CompleteLocked(Call& call);
  void SubmitAnswerLocked(Call& call, const grpc::Status& status, std::string response);
  // Answers on the library's behalf (the handler never sees the call).
  void FailLocked(Call& call, const grpc::Status& status);
  void RejectLocked(Call& call, const char* http_status);
  void SubmitStatusLocked(Call& call, const grpc::Status& status);
  // For an answer submitted before the request ended: once it is sent (OnFrameSend), a
  // RST_STREAM(NO_ERROR) asks the client to stop sending the request.
  void EndEarlyLocked(Call& call);

  std::mutex mu_;
  int fd_;
  const std::string peer_;
  std::shared_ptr<TlsContext> tls_;  // keeps SSL_CTX alive for ssl_
  ssl_st* ssl_ = nullptr;
  bio_st* rbio_ = nullptr;  // what came from the socket, for OpenSSL to decrypt
  bio_st* wbio_ = nullptr;  // what OpenSSL encrypted, for the socket
  bool handshake_done_ = false;
  Env env_;
  std::shared_ptr<const PeerInfo> info_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::shared_ptr<Call>> streams_;
  std::string plain_;  // TLS: session output to encrypt
  std::string out_;    // bytes for the socket, from out_sent_ on
  size_t out_sent_ = 0;
  uint32_t interest_ = 0;  // the events registered with epoll
  bool closed_ = false;
  bool broken_ = false;    // a write failed; the loop thread closes
  bool finished_ = false;  // session over, write side shut: waiting for the peer's EOF
  bool draining_ = false;
  bool final_goaway_ = false;
  bool quiet_reported_ = false;
  bool write_deferred_ = false;  // an inline answer waits for the end of RunBatch
  std::vector<std::shared_ptr<Call>> ready_;
  std::vector<std::shared_ptr<Call>> cancelled_;
};

}  // namespace tern::h2
