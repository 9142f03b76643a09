// The gRPC connection to a Tern frontend, built from the global flags (--address, --tls*,
// --command-timeout). Every RPC the CLI makes goes through one Connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace tern::cli {

class Connection {
 public:
  // Builds the channel (plaintext, or TLS when --tls or any --tls-* flag is given; the PEM
  // files are read here, so a missing file is reported before anything is sent). Does not
  // connect: the first RPC does.
  static absl::StatusOr<Connection> Open(const ParsedFlags& flags);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& address() const { return address_; }

  // A context whose deadline is --command-timeout from now (or `timeout`, for long polls that
  // outlive it), carrying the --api-key (or --auth-token) as `authorization: Bearer <key>`.
  std::unique_ptr<grpc::ClientContext> NewContext(
      std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;

  // Turns a failed RPC into a one-line error with the same code: "<what>: <server message>",
  // with the address for connection failures and the timeout for deadlines.
  absl::Status Error(absl::string_view what, const grpc::Status& status) const;

 private:
  Connection(std::shared_ptr<grpc::Channel> channel, std::string address,
             std::chrono::milliseconds timeout, std::string bearer_token)
      : channel_(std::move(channel)),
        address_(std::move(address)),
        timeout_(timeout),
        bearer_token_(std::move(bearer_token)) {}

  std::shared_ptr<grpc::Channel> channel_;
  std::string address_;
  std::chrono::milliseconds timeout_;
  std::string bearer_token_;
};

// A Connection with the stub of one generated gRPC service (WorkflowService, OperatorService);
// what every command handler talks to the server through.
template <typename Service>
class ServiceClient {
 public:
  using Stub = typename Service::Stub;
  template <typename Request, typename Response>
  using Rpc = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

  static absl::StatusOr<ServiceClient> Open(const ParsedFlags& flags) {
    absl::StatusOr<Connection> connection = Connection::Open(flags);
    if (!connection.ok()) return connection.status();
    return ServiceClient(*std::move(connection));
  }

  // One unary call, e.g. Call(&WorkflowService::Stub::DescribeNamespace, request, &response,
  // "failed to describe namespace x"), with the deadline of --command-timeout. A failure
  // becomes Connection::Error(what, status).
  template <typename Request, typename Response>
  absl::Status Call(Rpc<Request, Response> rpc, const Request& request, Response* response,
                    absl::string_view what) const {
    grpc::Status status = (stub_.get()->*rpc)(connection_.NewContext().get(), request, response);
    return status.ok() ? absl::OkStatus() : connection_.Error(what, status);
  }
  // The same for a long poll the server may hold for up to `timeout` (waiting for a result),
  // which --command-timeout would cut short.
  template <typename Request, typename Response>
  absl::Status LongPoll(Rpc<Request, Response> rpc, const Request& request, Response* response,
                        absl::string_view what, std::chrono::milliseconds timeout) const {
    grpc::Status status =
        (stub_.get()->*rpc)(connection_.NewContext(timeout).get(), request, response);
    return status.ok() ? absl::OkStatus() : connection_.Error(what, status);
  }

 private:
  explicit ServiceClient(Connection connection)
      : connection_(std::move(connection)), stub_(Service::NewStub(connection_.channel())) {}

  Connection connection_;
  std::unique_ptr<Stub> stub_;
};

// Reads a paged list: calls `fetch_page` with "" and then with each next-page token it returns,
// until it returns "" (the server's last page, or the caller has all it wants). Stops at the
// first failed page, and fails with "<what>: the server repeated a page token" rather than loop.
using PageFetcher = std::function<absl::StatusOr<std::string>(const std::string& page_token)>;
absl::Status FetchPages(absl::string_view what, const PageFetcher& fetch_page);

}  // namespace tern::cli
