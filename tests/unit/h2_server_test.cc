// tern::h2 (h2/): the gRPC framing helpers as tables, and h2::Server driven by real gRPC C++
// clients over loopback: plaintext, TLS and mutual TLS with certificates made at test time.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "h2/grpc_framing.h"
#include "h2/server.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::h2 {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace ws = temporal::api::workflowservice::v1;

constexpr auto kWait = seconds(10);  // upper bound of every wait for a condition
constexpr char kEcho[] = "/test.Echo/Echo";

// ---- the framing helpers

TEST(GrpcFramingTest, ParsesGrpcTimeout) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(ParseGrpcTimeout("1H"), nanoseconds(3'600'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("2M"), nanoseconds(120'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("30S"), nanoseconds(30'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("250m"), nanoseconds(250'000'000));
  EXPECT_EQ(ParseGrpcTimeout("7u"), nanoseconds(7'000));
  EXPECT_EQ(ParseGrpcTimeout("99999999n"), nanoseconds(99'999'999));
  EXPECT_EQ(ParseGrpcTimeout("0S"), nanoseconds(0));
  EXPECT_EQ(ParseGrpcTimeout("99999999H"), nanoseconds::max());  // saturates, never wraps
  for (const char* bad : {"", "S", "1", "123456789S", "1s", "-1S", "1.5S", " 1S", "1SS"}) {
    EXPECT_EQ(ParseGrpcTimeout(bad), std::nullopt) << bad;
  }
}

TEST(GrpcFramingTest, PercentEncodesGrpcMessage) {
  EXPECT_EQ(PercentEncode("plain text: ok!"), "plain text: ok!");
  EXPECT_EQ(PercentEncode("100%"), "100%25");
  EXPECT_EQ(PercentEncode("a\nb\t"), "a%0Ab%09");
  EXPECT_EQ(PercentEncode("\xE2\x9C\x93"), "%E2%9C%93");
  EXPECT_EQ(PercentEncode(std::string("\0~\x7F", 3)), "%00~%7F");
}

std::string Frame(std::string_view message, bool compressed = false) {
  uint32_t n = static_cast<uint32_t>(message.size());
  std::string out = {static_cast<char>(compressed), static_cast<char>(n >> 24),
                     static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return out.append(message);
}

TEST(GrpcFramingTest, ReadsOneMessageFedInPieces) {
  MessageReader reader(100);
  std::string framed = Frame("hello");
  for (char c : framed) ASSERT_TRUE(reader.Append(std::string_view(&c, 1)).ok());
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_FALSE(reader.compressed());
  EXPECT_EQ(reader.message(), "hello");

  MessageReader empty_message(100);
  ASSERT_TRUE(empty_message.Append(Frame("")).ok());
  EXPECT_TRUE(empty_message.Finish().ok());
  EXPECT_EQ(empty_message.message(), "");
}

TEST(GrpcFramingTest, RefusesWhatIsNotOneMessage) {
  MessageReader none(100);
  EXPECT_EQ(none.Finish().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(none.Finish().message(), HasSubstr("no message"));

  MessageReader two(100);
  absl::Status status = two.Append(Frame("a") + Frame("b"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("more than one message"));

  MessageReader partial(100);
  ASSERT_TRUE(partial.Append(Frame("hello").substr(0, 7)).ok());
  EXPECT_THAT(partial.Finish().message(), HasSubstr("2 of 5 bytes"));

  MessageReader bad_flag(100);
  EXPECT_EQ(bad_flag.Append(std::string("\x02\0\0\0\0", 5)).code(), absl::StatusCode::kInternal);

  // The declared length is enough to refuse: the message itself never has to arrive.
  MessageReader too_large(1000);
  status = too_large.Append(Frame(std::string(1001, 'x')).substr(0, 5));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("1001 bytes exceeds the limit of 1000 bytes"));
}

// `data` compressed as gRPC's gzip (window bits 31) or deflate (zlib format, 15).
std::string Compress(std::string_view data, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(GrpcFramingTest, Decompresses) {
  const std::string text(100'000, 'a');
  for (auto [encoding, bits] : {std::pair{"gzip", 31}, std::pair{"deflate", 15}}) {
    absl::StatusOr<std::string> out = Decompress(encoding, Compress(text, bits), text.size());
    ASSERT_TRUE(out.ok()) << encoding << ": " << out.status();
    EXPECT_EQ(*out, text) << encoding;
    absl::Status over = Decompress(encoding, Compress(text, bits), text.size() - 1).status();
    EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted) << encoding;
  }
  absl::Status status = Decompress("snappy", "x", 10).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(status.message(),
            "grpc-encoding snappy is not supported (identity, deflate, gzip are)");
  EXPECT_EQ(Decompress("identity", "x", 10).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Decompress("gzip", "not gzip at all", 10).status().code(), absl::StatusCode::kInternal);
  std::string gzip = Compress(text, 31);
  EXPECT_THAT(Decompress("gzip", gzip.substr(0, gzip.size() / 2), text.size()).status().message(),
              HasSubstr("truncated"));
  // A trailer that states another size than the data inflates to: refused, whichever size it
  // claims (the one-call inflation trusts it only to size its buffer).
  for (const uint32_t claimed : {100u, 99'999u, 100'001u}) {
    std::string lying = gzip;
    for (int i = 0; i < 4; ++i) lying[lying.size() - 4 + i] = static_cast<char>(claimed >> (8 * i));
    EXPECT_EQ(Decompress("gzip", lying, 1 << 20).status().code(), absl::StatusCode::kInternal)
        << "trailer claims " << claimed;
  }
  // Data after the gzip member is refused too.
  EXPECT_THAT(Decompress("gzip", gzip + "x", 1 << 20).status().message(),
              HasSubstr("after its end"));
}

// ---- test plumbing

class Event {
 public:
  void Set() {
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool WaitFor(std::chrono::nanoseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return set_; });
  }
  bool IsSet() {
    std::lock_guard lock(mu_);
    return set_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// The calls a handler received.
class Calls {
 public:
  void Add(std::shared_ptr<Call> call) {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(call));
    cv_.notify_all();
  }
  // Waits until `n` calls arrived, then returns them all.
  std::vector<std::shared_ptr<Call>> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kWait, [&] { return calls_.size() >= n; });
    return calls_;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return calls_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Call>> calls_;
};

std::unique_ptr<Server> StartServer(Handler handler, ServerOptions options = {}) {
  if (options.listen_address.empty()) options.listen_address = "127.0.0.1:0";
  if (options.loop_threads == 0) options.loop_threads = 2;
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(std::move(options), std::move(handler));
  if (!server.ok()) {
    ADD_FAILURE() << server.status();
    return nullptr;
  }
  return *std::move(server);
}

// A channel with a connection of its own (gRPC shares subchannels between channels otherwise).
std::shared_ptr<grpc::Channel> Channel(
    int port, std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (credentials) args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   credentials ? credentials : grpc::InsecureChannelCredentials(),
                                   args);
}

// One call through grpc::GenericStub with raw bytes; the client context is set up by the test.
struct ClientCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request, response;
  grpc::Status status;
  Event done;

  ~ClientCall() {
    context.TryCancel();  // a failed test must not leave gRPC writing into freed memory
    done.WaitFor();
  }
  void Start(grpc::GenericStub& stub, const std::string& path, const std::string& payload) {
    grpc::Slice slice(payload);
    request = grpc::ByteBuffer(&slice, 1);
    stub.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                   [this](grpc::Status s) {
                     status = std::move(s);
                     done.Set();
                   });
  }
  std::string text() const {
    std::vector<grpc::Slice> slices;
    std::string out;
    if (!response.Dump(&slices).ok()) return out;
    for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return out;
  }
};

// Runs a call to completion.
std::unique_ptr<ClientCall> Unary(grpc::GenericStub& stub, const std::string& path,
                                  const std::string& payload,
                                  const std::function<void(grpc::ClientContext&)>& setup = {}) {
  auto call = std::make_unique<ClientCall>();
  if (setup) setup(call->context);
  call->Start(stub, path, payload);
  EXPECT_TRUE(call->done.WaitFor()) << "no answer to " << path;
  return call;
}

// Answers every call at once with "echo:" + its request.
void EchoInline(std::shared_ptr<Call> call) {
  call->Answer(grpc::Status::OK, "echo:" + call->request());
}

// ---- the server over plaintext

TEST(H2ServerTest, AnswersATypedUnaryCall) {
  auto server = StartServer([](std::shared_ptr<Call> call) {
    ws::GetSystemInfoRequest request;
    ws::GetSystemInfoResponse response;
    if (call->path() != "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo" ||
        !request.ParseFromString(call->request())) {
      call->Answer(grpc::Status(grpc::StatusCode::INTERNAL, "unexpected"), "");
      return;
    }
    response.set_server_version(std::string(call->header("x-version")));
    response.mutable_capabilities()->set_sdk_metadata(true);
    call->Answer(grpc::Status::OK, response.SerializeAsString());
  });
  ASSERT_NE(server, nullptr);
  auto stub = ws::WorkflowService::NewStub(Channel(server->port()));
  for (const char* version : {"1.24.0", "2.0.0"}) {  // twice: the connection stays usable
    grpc::ClientContext context;
    context.AddMetadata("x-version", version);
    ws::GetSystemInfoResponse response;
    grpc::Status status = stub->GetSystemInfo(&context, {}, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.server_version(), version);
    EXPECT_TRUE(response.capabilities().sdk_metadata());
  }
}

// 200 calls in flight at once over two connections; `answer_elsewhere`: the handler only
// collects them and a pool of threads answers once all 200 arrived.
void RunManyCalls(bool answer_elsewhere) {
  constexpr int kCalls = 200;
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) {
    if (answer_elsewhere) {
      calls.Add(std::move(call));
    } else {
      EchoInline(std::move(call));
    }
  });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stubs[] = {grpc::GenericStub(Channel(server->port())),
                               grpc::GenericStub(Channel(server->port()))};
  std::vector<std::unique_ptr<ClientCall>> client_calls;
  for (int i = 0; i < kCalls; ++i) {
    client_calls.push_back(std::make_unique<ClientCall>());
    client_calls.back()->Start(stubs[i % 2], kEcho, "call-" + std::to_string(i));
  }
  if (answer_elsewhere) {
    std::vector<std::shared_ptr<Call>> received = calls.WaitFor(kCalls);
    ASSERT_EQ(received.size(), size_t{kCalls});
    std::set<std::string> peers;
    for (const auto& call : received) peers.insert(call->peer());
    EXPECT_EQ(peers.size(), 2u) << "two channels, two connections";
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
      pool.emplace_back([&received, t] {
        for (size_t i = t; i < received.size(); i += 4) EchoInline(received[i]);
      });
    }
    for (auto& thread : pool) thread.join();
  }
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(client_calls[i]->done.WaitFor()) << i;
    ASSERT_TRUE(client_calls[i]->status.ok()) << client_calls[i]->status.error_message();
    EXPECT_EQ(client_calls[i]->text(), "echo:call-" + std::to_string(i));
  }
}

TEST(H2ServerTest, ManyConcurrentCallsAnsweredFromOtherThreads) { RunManyCalls(true); }
TEST(H2ServerTest, ManyConcurrentCallsAnsweredInline) { RunManyCalls(false); }

TEST(H2ServerTest, HandlerSeesHeadersPeerAndDeadline) {
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) {
    calls.Add(call);
    EchoInline(std::move(call));
  });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));
  const system_clock::time_point deadline = system_clock::now() + seconds(30);
  auto with_deadline = Unary(stub, kEcho, "x", [&](grpc::ClientContext& context) {
    context.AddMetadata("authorization", "Bearer t0ken");
    context.set_deadline(deadline);
  });
  ASSERT_TRUE(with_deadline->status.ok()) << with_deadline->status.error_message();
  auto without_deadline = Unary(stub, kEcho, "y");
  ASSERT_TRUE(without_deadline->status.ok());

  std::vector<std::shared_ptr<Call>> received = calls.WaitFor(2);
  ASSERT_EQ(received.size(), 2u);
  const Call& call = *received[0];
  EXPECT_EQ(call.path(), kEcho);
  EXPECT_EQ(call.header("authorization"), "Bearer t0ken");
  EXPECT_THAT(std::string(call.header("user-agent")), HasSubstr("grpc-c++"));
  EXPECT_EQ(call.header("no-such-header"), "");
  EXPECT_THAT(call.peer(), StartsWith("ipv4:127.0.0.1:"));
  EXPECT_EQ(call.certificate_common_name(), "");
  EXPECT_LT(std::chrono::abs(call.deadline() - deadline), seconds(1));
  EXPECT_EQ(received[1]->deadline(), system_clock::time_point::max());
}

TEST(H2ServerTest, PeerOfAnIpv6Client) {
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(
      {.listen_address = "[::1]:0", .loop_threads = 1},
      [](std::shared_ptr<Call> call) { call->Answer(grpc::Status::OK, call->peer()); });
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.status();
  grpc::GenericStub stub(grpc::CreateChannel("[::1]:" + std::to_string((*server)->port()),
                                             grpc::InsecureChannelCredentials()));
  auto call = Unary(stub, kEcho, "");
  ASSERT_TRUE(call->status.ok()) << call->status.error_message();
  EXPECT_THAT(call->text(), StartsWith("ipv6:[::1]:"));
}

TEST(H2ServerTest, DecodesCompressedRequests) {
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) {
    calls.Add(call);
    call->Answer(grpc::Status::OK, std::to_string(call->request().size()) + " " +
                                       std::string(call->header("grpc-encoding")));
  });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));
  std::string large;  // 1 MiB, compressible
  for (int i = 0; large.size() < (1 << 20); ++i) large += "line " + std::to_string(i % 977) + "\n";
  large.resize(1 << 20);
  int n = 0;
  for (auto algorithm : {GRPC_COMPRESS_GZIP, GRPC_COMPRESS_DEFLATE}) {
    auto call = Unary(stub, kEcho, large, [&](grpc::ClientContext& context) {
      context.set_compression_algorithm(algorithm);
    });
    ASSERT_TRUE(call->status.ok()) << call->status.error_message();
    EXPECT_EQ(call->text(), std::to_string(large.size()) +
                                (algorithm == GRPC_COMPRESS_GZIP ? " gzip" : " deflate"));
    std::vector<std::shared_ptr<Call>> received = calls.WaitFor(++n);
    ASSERT_EQ(received.size(), size_t(n));
    EXPECT_TRUE(received.back()->request() == large);
  }
}

TEST(H2ServerTest, ErrorStatusArrivesIntact) {
  const std::string message = "bad \xE2\x9C\x93 100% done\nnext line";
  const std::string details(
      "\x00\x01\xFE\xFF"
      "binary details\n",
      19);
  auto server = StartServer([&](std::shared_ptr<Call> call) {
    call->Answer(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, message, details), "ignored");
  });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));
  auto call = Unary(stub, kEcho, "x");
  EXPECT_EQ(call->status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call->status.error_message(), message);
  EXPECT_EQ(call->status.error_details(), details);
}

TEST(H2ServerTest, OversizedRequestsNeverReachTheHandler) {
  std::atomic<int> handled = 0;
  auto server = StartServer(
      [&](std::shared_ptr<Call> call) {
        ++handled;
        EchoInline(std::move(call));
      },
      {.max_message_bytes = 64 << 10});
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));

  auto over = Unary(stub, kEcho, std::string((64 << 10) + 1, 'x'));
  EXPECT_EQ(over->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over->status.error_message(), HasSubstr("65537 bytes exceeds the limit of 65536"));
  // Refused on its declared length, long before 8 MiB arrive.
  auto far_over = Unary(stub, kEcho, std::string(8 << 20, 'x'));
  EXPECT_EQ(far_over->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Small on the wire, too large once inflated.
  auto bomb = Unary(stub, kEcho, std::string(1 << 20, '\0'), [](grpc::ClientContext& context) {
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  });
  EXPECT_EQ(bomb->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(bomb->status.error_message(), HasSubstr("inflates past the limit"));
  EXPECT_EQ(handled, 0);

  auto fits = Unary(stub, kEcho, std::string(64 << 10, 'x'));  // the same connection, still fine
  EXPECT_TRUE(fits->status.ok()) << fits->status.error_message();
  EXPECT_EQ(handled, 1);
}

TEST(H2ServerTest, LargeMessagesBothWays) {
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) { calls.Add(std::move(call)); });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));
  std::string large(3 << 20, '\0');  // past every flow-control window and socket buffer
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 7919) >> 3);
  ClientCall client_call;
  client_call.Start(stub, kEcho, large);
  std::vector<std::shared_ptr<Call>> received = calls.WaitFor(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0]->request() == large);
  std::thread([&] {
    received[0]->Answer(grpc::Status::OK, std::string(large.rbegin(), large.rend()));
  }).join();
  ASSERT_TRUE(client_call.done.WaitFor());
  ASSERT_TRUE(client_call.status.ok()) << client_call.status.error_message();
  EXPECT_TRUE(client_call.text() == std::string(large.rbegin(), large.rend()));
}

// A bare HTTP/2 client (nghttp2) for what no gRPC client sends: one request on stream 1, after
// `pings` PINGs, read until the stream closes.
struct RawExchange {
  std::map<std::string, std::string> headers;  // response headers and trailers
  std::string body;
  bool closed = false;
  int ping_acks = 0;
  bool goaway = false;
};

RawExchange RawRequest(int port, const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, int pings = 0) {
  RawExchange exchange;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ADD_FAILURE() << "connect: " << strerror(errno);
    close(fd);
    return exchange;
  }
  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(
      callbacks, [](nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t name_len,
                    const uint8_t* value, size_t value_len, uint8_t, void* user) {
        static_cast<RawExchange*>(user)
            ->headers[std::string(reinterpret_cast<const char*>(name), name_len)] =
            std::string(reinterpret_cast<const char*>(value), value_len);
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      callbacks,
      [](nghttp2_session*, uint8_t, int32_t, const uint8_t* data, size_t len, void* user) {
        static_cast<RawExchange*>(user)->body.append(reinterpret_cast<const char*>(data), len);
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
        auto* exchange = static_cast<RawExchange*>(user);
        if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK)) {
          ++exchange->ping_acks;
        }
        if (frame->hd.type == NGHTTP2_GOAWAY) exchange->goaway = true;
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      callbacks, [](nghttp2_session*, int32_t, uint32_t, void* user) {
        static_cast<RawExchange*>(user)->closed = true;
        return 0;
      });
  nghttp2_session* session;
  nghttp2_session_client_new(&session, callbacks, &exchange);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  for (int i = 0; i < pings; ++i) nghttp2_submit_ping(session, NGHTTP2_FLAG_NONE, nullptr);
  std::vector<nghttp2_nv> nva;
  for (const auto& [name, value] : headers) {
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  struct Source {
    const std::string* body;
    size_t sent = 0;
  } source{&body};
  nghttp2_data_provider provider;
  provider.source.ptr = &source;
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                              uint32_t* flags, nghttp2_data_source* data, void*) -> ssize_t {
    auto* source = static_cast<Source*>(data->ptr);
    size_t n = std::min(length, source->body->size() - source->sent);
    memcpy(buf, source->body->data() + source->sent, n);
    source->sent += n;
    if (source->sent == source->body->size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  };
  nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), &provider, nullptr);
  char buffer[16384];
  while (!exchange.closed || exchange.ping_acks < pings) {
    const uint8_t* data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session, &data)) > 0) {
      if (send(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    ssize_t received = recv(fd, buffer, sizeof buffer, 0);
    if (received <= 0) break;
    if (nghttp2_session_mem_recv(session, reinterpret_cast<uint8_t*>(buffer),
                                 static_cast<size_t>(received)) < 0) {
      break;
    }
  }
  nghttp2_session_del(session);
  close(fd);
  return exchange;
}

std::vector<std::pair<std::string, std::string>> GrpcHeaders(
    std::vector<std::pair<std::string, std::string>> more = {}) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {":method", "POST"}, {":scheme", "http"}, {":authority", "localhost"},
      {":path", kEcho},    {"te", "trailers"},  {"content-type", "application/grpc"}};
  for (auto& [name, value] : more) {
    auto it =
        std::find_if(headers.begin(), headers.end(), [&](auto& h) { return h.first == name; });
    if (it != headers.end()) {
      it->second = value;
    } else {
      headers.emplace_back(name, value);
    }
  }
  return headers;
}

TEST(H2ServerTest, AnswersMalformedRequestsItself) {
  std::atomic<int> handled = 0;
  auto server = StartServer([&](std::shared_ptr<Call> call) {
    ++handled;
    EchoInline(std::move(call));
  });
  ASSERT_NE(server, nullptr);
  const int port = server->port();

  RawExchange ok = RawRequest(port, GrpcHeaders(), Frame("hi"), /*pings=*/20);
  EXPECT_EQ(ok.headers["grpc-status"], "0");
  EXPECT_EQ(ok.body, Frame("echo:hi"));
  EXPECT_EQ(ok.ping_acks, 20) << "keepalive pings are answered";
  EXPECT_FALSE(ok.goaway) << "and never punished";
  EXPECT_EQ(handled, 1);

  RawExchange json = RawRequest(port, GrpcHeaders({{"content-type", "application/json"}}), "{}");
  EXPECT_EQ(json.headers[":status"], "415");
  EXPECT_EQ(json.headers.count("grpc-status"), 0u);
  RawExchange get = RawRequest(port, GrpcHeaders({{":method", "GET"}}), "");
  EXPECT_EQ(get.headers[":status"], "405");

  struct Case {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string status, message;
  };
  const Case cases[] = {
      {{{"grpc-timeout", "1x"}}, Frame("hi"), "13", "malformed grpc-timeout"},
      {{}, "", "13", "a unary request carries no message"},
      {{}, Frame("a") + Frame("b"), "13", "a unary request carries more than one message"},
      {{{"grpc-encoding", "br"}},
       Frame("xx", true),
       "12",
       "grpc-encoding br is not supported (identity, deflate, gzip are)"},
  };
  for (const Case& c : cases) {
    RawExchange exchange = RawRequest(port, GrpcHeaders(c.headers), c.body);
    EXPECT_TRUE(exchange.closed);
    EXPECT_EQ(exchange.headers[":status"], "200");
    EXPECT_EQ(exchange.headers["grpc-status"], c.status) << c.message;
    EXPECT_EQ(exchange.headers["grpc-message"], PercentEncode(c.message));
  }
  EXPECT_EQ(handled, 1);
}

TEST(H2ServerTest, UnknownPathReachesTheHandler) {
  auto server = StartServer([](std::shared_ptr<Call> call) {
    call->Answer(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method " + call->path()),
                 "");
  });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));
  auto call = Unary(stub, "/no.such.Service/Nope", "x");
  EXPECT_EQ(call->status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(call->status.error_message(), "unknown method /no.such.Service/Nope");
}

// The client gives up on a call (cancel, or its deadline): OnCancel runs, a late answer is
// harmless, and a callback registered afterwards runs at once.
TEST(H2ServerTest, ClientCancelRunsOnCancel) {
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) { calls.Add(std::move(call)); });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));
  for (bool by_deadline : {false, true}) {
    SCOPED_TRACE(by_deadline ? "deadline" : "TryCancel");
    auto client_call = std::make_unique<ClientCall>();
    if (by_deadline) client_call->context.set_deadline(system_clock::now() + milliseconds(300));
    client_call->Start(stub, kEcho, "x");
    std::vector<std::shared_ptr<Call>> received = calls.WaitFor(by_deadline ? 2 : 1);
    ASSERT_EQ(received.size(), by_deadline ? 2u : 1u);
    std::shared_ptr<Call> call = received.back();
    Event cancelled;
    call->OnCancel([&] { cancelled.Set(); });
    if (!by_deadline) client_call->context.TryCancel();
    ASSERT_TRUE(cancelled.WaitFor());
    EXPECT_TRUE(call->cancelled());
    call->Answer(grpc::Status::OK, "too late");
    ASSERT_TRUE(client_call->done.WaitFor());
    EXPECT_EQ(client_call->status.error_code(),
              by_deadline ? grpc::StatusCode::DEADLINE_EXCEEDED : grpc::StatusCode::CANCELLED);
    bool ran_at_once = false;
    call->OnCancel([&] { ran_at_once = true; });
    EXPECT_TRUE(ran_at_once);
  }
  ClientCall after;  // the connection survives its calls' resets
  after.Start(stub, kEcho, "x");
  std::vector<std::shared_ptr<Call>> received = calls.WaitFor(3);
  ASSERT_EQ(received.size(), 3u);
  EchoInline(received.back());
  ASSERT_TRUE(after.done.WaitFor());
  EXPECT_TRUE(after.status.ok());
}

TEST(H2ServerTest, AnsweredCallIsNeverCancelled) {
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) { calls.Add(std::move(call)); });
  ASSERT_NE(server, nullptr);
  auto channel = Channel(server->port());
  grpc::GenericStub stub(channel);
  auto client_call = std::make_unique<ClientCall>();
  client_call->Start(stub, kEcho, "x");
  std::vector<std::shared_ptr<Call>> received = calls.WaitFor(1);
  ASSERT_EQ(received.size(), 1u);
  bool cancelled = false;
  received[0]->OnCancel([&] { cancelled = true; });
  EchoInline(received[0]);
  ASSERT_TRUE(client_call->done.WaitFor());
  EXPECT_TRUE(client_call->status.ok());
  server->Shutdown(system_clock::now() + kWait);  // closes the connection
  EXPECT_FALSE(cancelled);
  EXPECT_FALSE(received[0]->cancelled());
}

TEST(H2ServerTest, ShutdownGivesUpOnUnansweredCallsAtItsDeadline) {
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) { calls.Add(std::move(call)); });
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(Channel(server->port()));
  ClientCall client_call;
  client_call.Start(stub, kEcho, "x");
  std::vector<std::shared_ptr<Call>> received = calls.WaitFor(1);
  ASSERT_EQ(received.size(), 1u);
  Event cancelled;
  received[0]->OnCancel([&] { cancelled.Set(); });

  const auto start = system_clock::now();
  server->Shutdown(start + milliseconds(300));
  const auto elapsed = system_clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(250)) << "it waits for the unanswered call";
  EXPECT_LT(elapsed, seconds(3));
  EXPECT_TRUE(cancelled.IsSet()) << "OnCancel ran before Shutdown returned";
  received[0]->Answer(grpc::Status::OK, "after shutdown");  // harmless
  ASSERT_TRUE(client_call.done.WaitFor());
  EXPECT_FALSE(client_call.status.ok());
  server->Shutdown(system_clock::now() + kWait);  // idempotent
}

TEST(H2ServerTest, ShutdownWaitsForCallsAnsweredDuringIt) {
  constexpr int kCalls = 5;
  Calls calls;
  auto server = StartServer([&](std::shared_ptr<Call> call) { calls.Add(std::move(call)); });
  ASSERT_NE(server, nullptr);
  auto channel = Channel(server->port());
  grpc::GenericStub stub(channel);
  std::vector<std::unique_ptr<ClientCall>> client_calls;
  for (int i = 0; i < kCalls; ++i) {
    client_calls.push_back(std::make_unique<ClientCall>());
    client_calls.back()->Start(stub, kEcho, "call-" + std::to_string(i));
  }
  std::vector<std::shared_ptr<Call>> received = calls.WaitFor(kCalls);
  ASSERT_EQ(received.size(), size_t{kCalls});
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  bool saw_goaway = false;
  std::thread answerer([&] {
    // The client's channel leaves READY when the shutdown's GOAWAY arrives.
    saw_goaway = channel->WaitForStateChange(GRPC_CHANNEL_READY, system_clock::now() + kWait);
    for (const auto& call : received) EchoInline(call);
  });
  const auto start = system_clock::now();
  server->Shutdown(start + seconds(30));
  EXPECT_LT(system_clock::now() - start, seconds(15)) << "returns once all are answered";
  answerer.join();
  EXPECT_TRUE(saw_goaway);
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(client_calls[i]->done.WaitFor());
    EXPECT_TRUE(client_calls[i]->status.ok()) << client_calls[i]->status.error_message();
    EXPECT_EQ(client_calls[i]->text(), "echo:call-" + std::to_string(i));
  }
}

TEST(H2ServerTest, StartNamesAnAddressItCannotListenOn) {
  auto first = StartServer(EchoInline);
  ASSERT_NE(first, nullptr);
  const std::string address = "127.0.0.1:" + std::to_string(first->port());
  absl::StatusOr<std::unique_ptr<Server>> second =
      Server::Start({.listen_address = address, .loop_threads = 1}, EchoInline);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("cannot listen on " + address));
  EXPECT_FALSE(Server::Start({.listen_address = "no-port"}, EchoInline).ok());
}

// ---- TLS

// A private CA and the certificates it signs, written to a temporary directory.
class TestPki {
 public:
  TestPki() {
    char dir[] = "/tmp/h2_server_test.XXXXXX";
    dir_ = mkdtemp(dir);
    ca_key_ = EVP_EC_gen("P-256");
    ca_ = Sign(ca_key_, "Test CA", nullptr, nullptr, "critical,CA:TRUE", "", "");
    ca_pem_ = ToPem(ca_);
    Write("ca.pem", ca_pem_);
  }
  ~TestPki() {
    X509_free(ca_);
    EVP_PKEY_free(ca_key_);
    std::filesystem::remove_all(dir_);
  }

  struct Issued {
    std::string cert_pem, key_pem;
    std::string cert_file, key_file;
  };
  Issued Issue(const std::string& cn, bool server) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = Sign(key, cn, ca_, ca_key_, "CA:FALSE", server ? "serverAuth" : "clientAuth",
                      server ? "DNS:localhost,IP:127.0.0.1" : "");
    Issued issued{ToPem(cert), KeyPem(key), "", ""};
    issued.cert_file = Write(cn + ".pem", issued.cert_pem);
    issued.key_file = Write(cn + ".key", issued.key_pem);
    X509_free(cert);
    EVP_PKEY_free(key);
    return issued;
  }
  const std::string& ca_pem() const { return ca_pem_; }
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string dir() const { return dir_; }

 private:
  static X509* Sign(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                    const char* basic_constraints, const char* eku, const std::string& san) {
    static long serial = 1;
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    std::vector<std::pair<int, std::string>> extensions = {
        {NID_basic_constraints, basic_constraints}, {NID_subject_key_identifier, "hash"}};
    if (issuer) extensions.push_back({NID_authority_key_identifier, "keyid"});
    if (*eku) extensions.push_back({NID_ext_key_usage, eku});
    if (!san.empty()) extensions.push_back({NID_subject_alt_name, san});
    for (const auto& [nid, value] : extensions) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      EXPECT_NE(ext, nullptr) << value;
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    EXPECT_GT(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()), 0);
    return cert;
  }
  static std::string FromBio(BIO* bio) {
    char* data;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
  }
  static std::string ToPem(X509* cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    return FromBio(bio);
  }
  static std::string KeyPem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    return FromBio(bio);
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  std::string dir_;
  EVP_PKEY* ca_key_;
  X509* ca_;
  std::string ca_pem_;
};

std::unique_ptr<Server> StartTlsServer(const TlsFiles& files) {
  absl::StatusOr<std::shared_ptr<TlsContext>> context = TlsContext::Load(files);
  if (!context.ok()) {
    ADD_FAILURE() << context.status();
    return nullptr;
  }
  return StartServer(
      [](std::shared_ptr<Call> call) {
        call->Answer(grpc::Status::OK, "cn=" + call->certificate_common_name());
      },
      {.tls = [context = *context] { return context; }});
}

TEST(H2TlsTest, ServesAnSslClient) {
  TestPki pki;
  TestPki::Issued server_cert = pki.Issue("localhost", true);
  auto server = StartTlsServer({server_cert.cert_file, server_cert.key_file});
  ASSERT_NE(server, nullptr);
  grpc::GenericStub stub(
      Channel(server->port(), grpc::SslCredentials({.pem_root_certs = pki.ca_pem()})));
  auto call = Unary(stub, kEcho, "x");
  ASSERT_TRUE(call->status.ok()) << call->status.error_message();
  EXPECT_EQ(call->text(), "cn=");
  // A plaintext client gets nowhere.
  grpc::GenericStub plaintext(Channel(server->port()));
  auto refused = Unary(plaintext, kEcho, "x", [](grpc::ClientContext& context) {
    context.set_deadline(system_clock::now() + seconds(5));
  });
  EXPECT_FALSE(refused->status.ok());
}

TEST(H2TlsTest, MutualTlsShowsTheClientCommonName) {
  TestPki pki;
  TestPki::Issued server_cert = pki.Issue("localhost", true);
  TestPki::Issued client_cert = pki.Issue("worker-7", false);
  auto server = StartTlsServer({server_cert.cert_file, server_cert.key_file, pki.ca_file(), true});
  ASSERT_NE(server, nullptr);

  grpc::GenericStub with_cert(
      Channel(server->port(), grpc::SslCredentials({.pem_root_certs = pki.ca_pem(),
                                                    .pem_private_key = client_cert.key_pem,
                                                    .pem_cert_chain = client_cert.cert_pem})));
  auto call = Unary(with_cert, kEcho, "x");
  ASSERT_TRUE(call->status.ok()) << call->status.error_message();
  EXPECT_EQ(call->text(), "cn=worker-7");

  grpc::GenericStub without_cert(
      Channel(server->port(), grpc::SslCredentials({.pem_root_certs = pki.ca_pem()})));
  auto refused = Unary(without_cert, kEcho, "x", [](grpc::ClientContext& context) {
    context.set_deadline(system_clock::now() + seconds(5));
  });
  EXPECT_FALSE(refused->status.ok());
}

TEST(H2TlsTest, LoadNamesTheFileAndTheProblem) {
  TestPki pki;
  TestPki::Issued cert = pki.Issue("localhost", true);
  absl::Status missing = TlsContext::Load({pki.dir() + "/missing.pem", cert.key_file}).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.message()), HasSubstr(pki.dir() + "/missing.pem"));
  TestPki::Issued other = pki.Issue("other", true);
  absl::Status mismatch = TlsContext::Load({cert.cert_file, other.key_file}).status();
  EXPECT_THAT(std::string(mismatch.message()), HasSubstr(other.key_file));
  EXPECT_THAT(std::string(mismatch.message()), HasSubstr("mismatch"));
}

}  // namespace
}  // namespace tern::h2
