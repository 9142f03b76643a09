// Connection's HTTP/2 side: the nghttp2 callbacks that turn frames into Calls, the checks the
// library answers itself, and answers as frames. Everything here runs under the connection's
// mutex, inside nghttp2_session_mem_recv / mem_send or from Connection::Answer.
#include <cstring>
#include <limits>

#include "absl/strings/escaping.h"
#include "h2/connection.h"

namespace tern::h2 {
namespace {

constexpr uint8_t kStatic = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;

nghttp2_nv Header(std::string_view name, std::string_view value, uint8_t flags) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          flags};
}

Call* CallOf(nghttp2_session* session, int32_t stream_id) {
  return static_cast<Call*>(nghttp2_session_get_stream_user_data(session, stream_id));
}

}  // namespace

grpc::Status RefusalStatus(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

int Connection::OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* self) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto& c = *static_cast<Connection*>(self);
  auto call = std::make_shared<Call>(Call::Key(), c.weak_from_this(), frame->hd.stream_id, c.info_,
                                     c.env_.max_message_bytes);
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, call.get());
  c.streams_.emplace(frame->hd.stream_id, std::move(call));
  return 0;
}

int Connection::OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                         size_t name_len, const uint8_t* value, size_t value_len, uint8_t, void*) {
  // Only the request's headers matter; gRPC clients send no trailers.
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  Call* call = CallOf(session, frame->hd.stream_id);
  if (call == nullptr) return 0;
  call->header_bytes_ += name_len + value_len + 32;  // as SETTINGS_MAX_HEADER_LIST_SIZE counts
  if (call->header_bytes_ > kMaxHeaderListBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  std::string_view key(reinterpret_cast<const char*>(name), name_len);
  std::string_view val(reinterpret_cast<const char*>(value), value_len);
  if (key.starts_with(':')) {
    if (key == ":method") call->post_ = val == "POST";
    if (key == ":path") call->path_ = val;
    return 0;
  }
  if (key == "grpc-timeout") {
    std::optional<std::chrono::nanoseconds> timeout = ParseGrpcTimeout(val);
    auto now = std::chrono::system_clock::now();
    if (!timeout) {
      call->bad_timeout_ = true;
    } else if (*timeout < std::chrono::system_clock::time_point::max() - now) {
      call->deadline_ =
          now + std::chrono::duration_cast<std::chrono::system_clock::duration>(*timeout);
    }
  }
  call->headers_.emplace_back(key, val);
  return 0;
}

int Connection::OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* self) {
  auto& c = *static_cast<Connection*>(self);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
      if (Call* call = CallOf(session, frame->hd.stream_id)) {
        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          c.OnHeadersDoneLocked(*call);
        }
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) c.CompleteLocked(*call);
      }
      break;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) && c.draining_ && !c.final_goaway_ &&
          memcmp(frame->ping.opaque_data, kShutdownPing, sizeof kShutdownPing) == 0) {
        nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session), NGHTTP2_NO_ERROR,
                              nullptr, 0);
        c.final_goaway_ = true;
      }
      break;
    default:
      break;
  }
  return 0;
}

int Connection::OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                            const uint8_t* data, size_t len, void* self) {
  Call* call = CallOf(session, stream_id);
  if (call == nullptr || call->submitted_) return 0;  // answered early: the rest is dropped
  absl::Status status =
      call->reader_.Append(std::string_view(reinterpret_cast<const char*>(data), len));
  if (!status.ok()) static_cast<Connection*>(self)->FailLocked(*call, RefusalStatus(status));
  return 0;
}

int Connection::OnFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
  Call* call = CallOf(session, frame->hd.stream_id);
  if (call != nullptr && call->end_early_ &&
      nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0) {
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

int Connection::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* self) {
  auto& c = *static_cast<Connection*>(self);
  auto it = c.streams_.find(stream_id);
  if (it == c.streams_.end()) return 0;
  std::shared_ptr<Call> call = std::move(it->second);
  c.streams_.erase(it);
  call->stream_open_ = false;
  // Closed before an answer went out: a reset by the client (its cancel or deadline).
  if (call->dispatched_ && !call->submitted_) c.cancelled_.push_back(std::move(call));
  return 0;
}

ssize_t Connection::ReadResponse(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                                 size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                                 void*) {
  Call& call = *static_cast<Call*>(source->ptr);
  const size_t total = sizeof call.prefix_ + call.response_.size();
  const size_t n = std::min(length, total - call.response_sent_);
  for (size_t copied = 0; copied < n;) {
    size_t at = call.response_sent_ + copied;
    if (at < sizeof call.prefix_) {
      size_t k = std::min(sizeof call.prefix_ - at, n - copied);
      memcpy(buf + copied, call.prefix_ + at, k);
      copied += k;
    } else {
      memcpy(buf + copied, call.response_.data() + (at - sizeof call.prefix_), n - copied);
      copied = n;
    }
  }
  call.response_sent_ += n;
  if (call.response_sent_ == total) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    static const nghttp2_nv kTrailers[] = {Header("grpc-status", "0", kStatic)};
    nghttp2_submit_trailer(session, stream_id, kTrailers, std::size(kTrailers));
    std::string().swap(call.response_);
  }
  return static_cast<ssize_t>(n);
}

void Connection::OnHeadersDoneLocked(Call& call) {
  if (!call.post_) return RejectLocked(call, "405");
  if (!call.header("content-type").starts_with("application/grpc")) {
    return RejectLocked(call, "415");
  }
  if (call.bad_timeout_) {
    FailLocked(call, grpc::Status(grpc::StatusCode::INTERNAL, "malformed grpc-timeout"));
  }
}

void Connection::CompleteLocked(Call& call) {
  if (call.submitted_ || call.dispatched_) return;
  call.dispatched_ = true;
  ready_.push_back(streams_.at(call.stream_id_));
}

void Connection::FailLocked(Call& call, const grpc::Status& status) {
  call.MarkAnswered();
  SubmitStatusLocked(call, status);
  EndEarlyLocked(call);
}

void Connection::RejectLocked(Call& call, const char* http_status) {
  call.MarkAnswered();
  call.submitted_ = true;
  const nghttp2_nv headers[] = {Header(":status", http_status, kStatic)};
  nghttp2_submit_response(session_, call.stream_id_, headers, std::size(headers), nullptr);
  EndEarlyLocked(call);
}

void Connection::SubmitAnswerLocked(Call& call, const grpc::Status& status, std::string response) {
  if (!status.ok()) return SubmitStatusLocked(call, status);
  if (response.size() > std::numeric_limits<uint32_t>::max()) {
    return SubmitStatusLocked(call, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                                 "the response message exceeds 4 GiB"));
  }
  call.submitted_ = true;
  uint32_t size = static_cast<uint32_t>(response.size());
  unsigned char prefix[5] = {
      0, static_cast<unsigned char>(size >> 24), static_cast<unsigned char>(size >> 16),
      static_cast<unsigned char>(size >> 8), static_cast<unsigned char>(size)};
  memcpy(call.prefix_, prefix, sizeof prefix);
  call.response_ = std::move(response);
  static const nghttp2_nv kHeaders[] = {
      Header(":status", "200", kStatic),
      Header("content-type", "application/grpc", kStatic),
      Header("grpc-accept-encoding", "identity,deflate,gzip", kStatic),
  };
  nghttp2_data_provider provider;
  provider.source.ptr = &call;
  provider.read_callback = ReadResponse;
  nghttp2_submit_response(session_, call.stream_id_, kHeaders, std::size(kHeaders), &provider);
}

void Connection::SubmitStatusLocked(Call& call, const grpc::Status& status) {
  call.submitted_ = true;
  // A trailers-only response: one HEADERS frame that ends the stream.
  std::string code = std::to_string(static_cast<int>(status.error_code()));
  std::string message = PercentEncode(status.error_message());
  std::string details = absl::Base64Escape(status.error_details());
  nghttp2_nv headers[5] = {
      Header(":status", "200", kStatic),
      Header("content-type", "application/grpc", kStatic),
      Header("grpc-status", code, NGHTTP2_NV_FLAG_NO_COPY_NAME),
  };
  size_t n = 3;
  if (!message.empty()) {
    headers[n++] = Header("grpc-message", message, NGHTTP2_NV_FLAG_NO_COPY_NAME);
  }
  if (!details.empty()) {
    headers[n++] = Header("grpc-status-details-bin", details, NGHTTP2_NV_FLAG_NO_COPY_NAME);
  }
  nghttp2_submit_response(session_, call.stream_id_, headers, n, nullptr);
}

void Connection::EndEarlyLocked(Call& call) {
  // Not at once: a stream with a reset queued drops its pending HEADERS, the answer itself.
  call.end_early_ = nghttp2_session_get_stream_remote_close(session_, call.stream_id_) == 0;
}

}  // namespace tern::h2
