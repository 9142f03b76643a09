// The gRPC connection to a Tern frontend, built from the global flags (--address, --tls*,
// --command-timeout). Every RPC the CLI makes goes through one Connection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

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

  // A context whose deadline is --command-timeout from now.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

  // Turns a failed RPC into a one-line error with the same code: "<what>: <server message>",
  // with the address for connection failures and the timeout for deadlines.
  absl::Status Error(absl::string_view what, const grpc::Status& status) const;

 private:
  Connection(std::shared_ptr<grpc::Channel> channel, std::string address,
             std::chrono::milliseconds timeout)
      : channel_(std::move(channel)), address_(std::move(address)), timeout_(timeout) {}

  std::shared_ptr<grpc::Channel> channel_;
  std::string address_;
  std::chrono::milliseconds timeout_;
};

}  // namespace tern::cli
