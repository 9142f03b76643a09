// h2-reference: the floor of a unary gRPC call over HTTP/2, for bench/call-cost to compare a
// frontend with. One thread per connection reads requests with nghttp2 and writes each answer
// itself (no hand-off between threads, no completion queue). Every call is answered with a
// GetSystemInfoResponse, whatever its method: drive it with GetSystemInfo only. Plaintext,
// loopback only, no deadlines, no cancellation, no compression: not a server, a measuring stick.
//
// Usage: h2-reference PORT
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "temporal/api/workflowservice/v1/request_response.pb.h"

namespace ws = temporal::api::workflowservice::v1;

// A header field of two string literals (nghttp2 copies them into its frame).
template <size_t N, size_t M>
nghttp2_nv Header(const char (&name)[N], const char (&value)[M]) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value)), N - 1, M - 1, NGHTTP2_NV_FLAG_NONE};
}

struct Stream {
  std::string body, out;
  size_t sent = 0;
};
struct Conn {
  int fd;
  nghttp2_session* session = nullptr;
  std::map<int32_t, Stream> streams;
};

static ssize_t ReadBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                        uint32_t* flags, nghttp2_data_source* source, void* user) {
  auto* s = static_cast<Stream*>(source->ptr);
  size_t n = std::min(length, s->out.size() - s->sent);
  memcpy(buf, s->out.data() + s->sent, n);
  s->sent += n;
  if (s->sent == s->out.size()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    nghttp2_nv trailers[] = {Header("grpc-status", "0")};
    nghttp2_submit_trailer(session, stream_id, trailers, 1);
  }
  return static_cast<ssize_t>(n);
}

static void Answer(Conn& c, int32_t id) {
  Stream& s = c.streams[id];
  ws::GetSystemInfoRequest request;
  if (s.body.size() >= 5)
    request.ParseFromArray(s.body.data() + 5, static_cast<int>(s.body.size() - 5));
  ws::GetSystemInfoResponse response;
  response.set_server_version("1.24.0");
  auto* caps = response.mutable_capabilities();
  caps->set_signal_and_query_header(true);
  caps->set_internal_error_differentiation(true);
  caps->set_activity_failure_include_heartbeat(true);
  caps->set_supports_schedules(true);
  caps->set_encoded_failure_attributes(true);
  caps->set_upsert_memo(true);
  caps->set_eager_workflow_start(true);
  caps->set_sdk_metadata(true);
  caps->set_count_group_by_execution_status(true);
  std::string msg = response.SerializeAsString();
  s.out.assign(5, '\0');
  uint32_t len = htonl(static_cast<uint32_t>(msg.size()));
  memcpy(&s.out[1], &len, 4);
  s.out += msg;
  nghttp2_nv headers[] = {Header(":status", "200"), Header("content-type", "application/grpc")};
  nghttp2_data_provider provider;
  provider.source.ptr = &s;
  provider.read_callback = ReadBody;
  nghttp2_submit_response(c.session, id, headers, 2, &provider);
}

static void Serve(int fd) {
  Conn c{fd};
  nghttp2_session_callbacks* cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb,
      [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
         void* user) -> int {
        static_cast<Conn*>(user)->streams[id].body.append(reinterpret_cast<const char*>(data), len);
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* f, void* user) -> int {
        if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
            (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
          Answer(*static_cast<Conn*>(user), f->hd.stream_id);
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cb, [](nghttp2_session*, int32_t id, uint32_t, void* user) -> int {
        static_cast<Conn*>(user)->streams.erase(id);
        return 0;
      });
  nghttp2_session_server_new(&c.session, cb, &c);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000}};
  nghttp2_submit_settings(c.session, NGHTTP2_FLAG_NONE, settings, 1);
  char buf[65536];
  for (;;) {
    const uint8_t* out;
    std::string pending;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(c.session, &out)) > 0)
      pending.append(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    if (!pending.empty() && send(fd, pending.data(), pending.size(), MSG_NOSIGNAL) < 0) break;
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r <= 0) break;
    if (nghttp2_session_mem_recv(c.session, reinterpret_cast<const uint8_t*>(buf),
                                 static_cast<size_t>(r)) < 0)
      break;
  }
  nghttp2_session_del(c.session);
  close(fd);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: h2-reference PORT\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(ls, 64) < 0) {
    perror("h2-reference: bind");
    return 1;
  }
  for (;;) {
    int fd = accept(ls, nullptr, nullptr);
    if (fd < 0) continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(Serve, fd).detach();
  }
}
