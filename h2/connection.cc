#include "h2/connection.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tern::h2 {
namespace {

constexpr uint32_t kMaxConcurrentStreams = 1000;
// Generous windows: a unary request of a few MiB never waits for a WINDOW_UPDATE.
constexpr uint32_t kStreamWindow = 4 << 20;
constexpr int32_t kConnectionWindow = 16 << 20;
// Reads per readiness event before the loop turns to its other connections.
constexpr int kMaxReadsPerEvent = 16;

// The connection whose new calls this loop thread is handing to their handlers (RunBatch): the
// answers given inline are written with one send once the batch is done.
thread_local const Connection* batching = nullptr;

// Operators find refused clients (no certificate, another CA, plaintext on a TLS port) in the
// log, with OpenSSL's reason.
void LogRefusedHandshake(const std::string& peer, const char* why = nullptr) {
  char reason[256] = "no reason given";
  if (why != nullptr) {
    std::snprintf(reason, sizeof reason, "%s", why);
  } else if (unsigned long error = ERR_peek_last_error(); error != 0) {
    ERR_error_string_n(error, reason, sizeof reason);
  }
  spdlog::warn("tls: handshake with {} refused: {}", peer, reason);
}

}  // namespace

void ShutdownWatch::Add() {
  std::lock_guard lock(mu_);
  ++busy_;
}

void ShutdownWatch::Done() {
  std::lock_guard lock(mu_);
  if (--busy_ == 0) cv_.notify_all();
}

bool ShutdownWatch::WaitUntil(std::chrono::system_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return busy_ == 0; });
}

Connection::Connection(int fd, std::string peer, const std::shared_ptr<TlsContext>& tls, Env env)
    : fd_(fd), peer_(std::move(peer)), tls_(tls), env_(env) {
  if (!tls_) {
    info_ = std::make_shared<PeerInfo>(PeerInfo{peer_, ""});
    return;
  }
  ssl_ = SSL_new(tls_->native());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || rbio_ == nullptr || wbio_ == nullptr) {
    BIO_free(rbio_);
    BIO_free(wbio_);
    SSL_free(ssl_);
    ssl_ = nullptr;  // Start() closes
    return;
  }
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_accept_state(ssl_);
}

Connection::~Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
}

void Connection::Start() {
  std::unique_lock lock(mu_);
  epoll_event event{};
  event.events = interest_ = EPOLLIN;
  event.data.ptr = static_cast<Pollable*>(this);
  bool ok = epoll_ctl(env_.loop->epoll_fd(), EPOLL_CTL_ADD, fd_, &event) == 0 &&
            (tls_ ? ssl_ != nullptr : StartSessionLocked() && FlushLocked());
  if (ok) {
    UpdateInterestLocked();
    return;
  }
  CloseLocked();
  lock.unlock();
  env_.loop->Release(this);
}

bool Connection::StartSessionLocked() {
  nghttp2_session_callbacks* callbacks;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, OnFrameSend);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
  int rc = nghttp2_session_server_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rc != 0) return false;
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderListBytes},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  if (draining_) {  // a TLS handshake that ended after Shutdown began: no calls at all
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
    final_goaway_ = true;
  }
  return true;
}

void Connection::OnEvent(uint32_t events) {
  Batch batch;
  bool closed;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    bool ok = !broken_;
    if (ok && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) ok = ReadLocked();
    if (ok) ok = FlushLocked();
    if (ok) {
      SettleLocked();
    } else {
      CloseLocked();
      MaybeReportQuietLocked();
    }
    batch = TakeBatchLocked();
    closed = closed_;
  }
  RunBatch(std::move(batch));
  if (closed) env_.loop->Release(this);
}

void Connection::BeginShutdown() {
  std::lock_guard lock(mu_);
  draining_ = true;
  if (!closed_ && session_ != nullptr && !finished_) {
    // The notice (last-stream-id 2^31-1) stops new calls without refusing those in flight; the
    // PING's answer proves the client has seen it, and then the final GOAWAY names the last
    // stream this server will serve (OnFrameRecv).
    nghttp2_submit_shutdown_notice(session_);
    nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kShutdownPing);
    if (!FlushLocked()) broken_ = true;
  } else {
    final_goaway_ = true;  // closed, over, or in its TLS handshake (StartSessionLocked)
  }
  SettleLocked();
}

void Connection::Close() {
  Batch batch;
  {
    std::lock_guard lock(mu_);
    CloseLocked();
    MaybeReportQuietLocked();
    batch = TakeBatchLocked();
  }
  RunBatch(std::move(batch));
  env_.loop->Release(this);
}

void Connection::Answer(Call& call, const grpc::Status& status, std::string response) {
  std::lock_guard lock(mu_);
  if (closed_ || !call.stream_open_ || call.submitted_) return;
  SubmitAnswerLocked(call, status, std::move(response));
  if (batching == this) {
    write_deferred_ = true;  // RunBatch writes it together with the batch's other answers
    return;
  }
  if (!FlushLocked()) broken_ = true;  // the loop thread sees it (EPOLLOUT) and closes
  SettleLocked();
  if (!cancelled_.empty()) {
    // A write on this thread closed other streams (a reset queued by the loop thread): their
    // cancel callbacks belong on the loop thread.
    env_.loop->Post([calls = std::move(cancelled_)] {
      for (const auto& stray : calls) stray->Cancel();
    });
    cancelled_.clear();
  }
}

bool Connection::ReadLocked() {
  std::vector<char>& buffer = env_.loop->read_buffer();
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    // Once finished, only the peer's EOF matters; anything else it sends is dropped.
    if (!finished_ && !ConsumeLocked(buffer.data(), static_cast<size_t>(n))) return false;
    if (static_cast<size_t>(n) < buffer.size()) break;  // drained; epoll is level-triggered
  }
  return true;
}

bool Connection::ConsumeLocked(const char* data, size_t size) {
  if (ssl_ == nullptr) return FeedSessionLocked(data, size);
  ERR_clear_error();
  if (BIO_write(rbio_, data, static_cast<int>(size)) != static_cast<int>(size)) return false;
  if (!handshake_done_) {
    int rc = SSL_do_handshake(ssl_);
    // Over memory BIOs the handshake only ever waits for more input.
    if (rc != 1) {
      if (SSL_get_error(ssl_, rc) == SSL_ERROR_WANT_READ) return true;
      LogRefusedHandshake(peer_);
      return false;
    }
    if (!HandshakeDoneLocked()) {
      LogRefusedHandshake(peer_, "the client did not offer ALPN h2 (not a gRPC client)");
      return false;
    }
  }
  std::vector<char>& buffer = env_.loop->read_buffer();  // `data` is in the BIO now
  for (;;) {
    int n = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
    if (n <= 0) return SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ;  // else close_notify/error
    if (!FeedSessionLocked(buffer.data(), static_cast<size_t>(n))) return false;
  }
}

bool Connection::HandshakeDoneLocked() {
  if (!NegotiatedH2(ssl_)) return false;  // no ALPN at all: not a gRPC client
  handshake_done_ = true;
  info_ = std::make_shared<PeerInfo>(PeerInfo{peer_, VerifiedCommonName(ssl_)});
  return StartSessionLocked();
}

bool Connection::FeedSessionLocked(const char* data, size_t size) {
  return nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size) >= 0;
}

bool Connection::FlushLocked() {
  if (out_sent_ > 0) {
    out_.erase(0, out_sent_);
    out_sent_ = 0;
  }
  if (session_ != nullptr) {
    std::string& sink = ssl_ != nullptr ? plain_ : out_;
    for (;;) {
      const uint8_t* data;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return false;
      if (n == 0) break;
      sink.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
  }
  if (ssl_ != nullptr) {
    ERR_clear_error();
    if (!plain_.empty()) {
      // A memory BIO takes everything: one write, no WANT_WRITE to resume.
      if (SSL_write(ssl_, plain_.data(), static_cast<int>(plain_.size())) !=
          static_cast<int>(plain_.size())) {
        return false;
      }
      plain_.clear();
    }
    while (size_t pending = BIO_ctrl_pending(wbio_)) {
      size_t old = out_.size();
      out_.resize(old + pending);
      int n = BIO_read(wbio_, out_.data() + old, static_cast<int>(pending));
      out_.resize(old + static_cast<size_t>(std::max(n, 0)));
    }
  }
  return SendLocked();
}

bool Connection::SendLocked() {
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n >= 0) {
      out_sent_ += static_cast<size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return true;  // the rest waits for EPOLLOUT
    } else if (errno != EINTR) {
      return false;
    }
  }
  out_.clear();
  out_sent_ = 0;
  if (out_.capacity() > (1 << 20)) std::string().swap(out_);  // after a large response
  if (finished_) shutdown(fd_, SHUT_WR);
  return true;
}

void Connection::UpdateInterestLocked() {
  if (closed_) return;
  uint32_t want = EPOLLIN;
  if (out_sent_ < out_.size() || broken_) want |= EPOLLOUT;
  if (want == interest_) return;
  epoll_event event{};
  event.events = want;
  event.data.ptr = static_cast<Pollable*>(this);
  if (epoll_ctl(env_.loop->epoll_fd(), EPOLL_CTL_MOD, fd_, &event) == 0) interest_ = want;
}

void Connection::SettleLocked() {
  if (closed_) return MaybeReportQuietLocked();
  if (!broken_) MaybeFinishLocked();
  UpdateInterestLocked();
  MaybeReportQuietLocked();
}

void Connection::MaybeFinishLocked() {
  if (finished_ || session_ == nullptr || nghttp2_session_want_read(session_) ||
      nghttp2_session_want_write(session_) || out_sent_ < out_.size()) {
    return;
  }
  // A GOAWAY went either way and no stream is left: shut our side and wait for the peer to close,
  // so nothing it still sends turns our close into a reset that could destroy the last answers.
  finished_ = true;
  if (ssl_ != nullptr) SSL_shutdown(ssl_);  // queues close_notify
  if (!FlushLocked()) broken_ = true;       // SendLocked shuts the write side once all is out
}

void Connection::CloseLocked() {
  if (closed_) return;
  if (!broken_) FlushLocked();  // best effort: nghttp2's GOAWAY, a TLS alert
  closed_ = true;
  epoll_ctl(env_.loop->epoll_fd(), EPOLL_CTL_DEL, fd_, nullptr);
  // Unread input would make close() reset the connection and drop answers the kernel still
  // holds for the peer.
  std::vector<char>& buffer = env_.loop->read_buffer();
  for (int i = 0; i < kMaxReadsPerEvent && !broken_; ++i) {
    if (recv(fd_, buffer.data(), buffer.size(), 0) <= 0) break;
  }
  close(fd_);
  fd_ = -1;
  for (auto& [stream_id, call] : streams_) {
    call->stream_open_ = false;
    if (call->dispatched_ && !call->submitted_) cancelled_.push_back(std::move(call));
  }
  streams_.clear();
  if (session_ != nullptr) nghttp2_session_del(session_);
  session_ = nullptr;
  if (ssl_ != nullptr) SSL_free(ssl_);  // and its BIOs
  ssl_ = nullptr;
  tls_.reset();
  std::string().swap(out_);
  std::string().swap(plain_);
  out_sent_ = 0;
}

void Connection::MaybeReportQuietLocked() {
  if (!draining_ || quiet_reported_) return;
  // With a session, "over" is finished_ (SettleLocked); without one the TLS handshake never
  // ended, and once its bytes are out there is nothing to wait for.
  bool quiet =
      closed_ || finished_ || (final_goaway_ && session_ == nullptr && out_sent_ == out_.size());
  if (!quiet) return;
  quiet_reported_ = true;
  env_.watch->Done();
}

Connection::Batch Connection::TakeBatchLocked() {
  Batch batch;
  batch.ready.swap(ready_);
  batch.cancelled.swap(cancelled_);
  return batch;
}

void Connection::RunBatch(Batch batch) {
  if (!batch.ready.empty()) {
    batching = this;
    for (auto& call : batch.ready) {
      absl::Status status = call->TakeRequest(env_.max_message_bytes);
      if (status.ok()) {
        (*env_.handler)(std::move(call));
      } else {
        call->Answer(RefusalStatus(status), {});
      }
    }
    batching = nullptr;
    std::lock_guard lock(mu_);
    if (write_deferred_ && !closed_) {
      if (!FlushLocked()) broken_ = true;
      SettleLocked();
    }
    write_deferred_ = false;
    for (auto& call : cancelled_) batch.cancelled.push_back(std::move(call));
    cancelled_.clear();
  }
  for (const auto& call : batch.cancelled) call->Cancel();
}

}  // namespace tern::h2
