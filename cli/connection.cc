#include "cli/connection.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace tern::cli {
namespace {

absl::StatusOr<std::string> ReadPem(const ParsedFlags& flags, const char* flag) {
  if (!flags.Has(flag)) return std::string();
  const std::string& path = flags.Get(flag);
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read --", flag, " ", path, ": ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<Connection> Connection::Open(const ParsedFlags& flags) {
  const std::string& address = flags.Get(kAddressFlag);
  if (address.empty()) return absl::InvalidArgumentError("--address must not be empty");
  if (flags.Has(kTlsCertPathFlag) != flags.Has(kTlsKeyPathFlag)) {
    return absl::InvalidArgumentError("--tls-cert-path and --tls-key-path must be given together");
  }
  bool tls = flags.GetBool(kTlsFlag) || flags.Has(kTlsCertPathFlag) || flags.Has(kTlsCaPathFlag) ||
             flags.Has(kTlsServerNameFlag);

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments arguments;
  if (tls) {
    grpc::SslCredentialsOptions options;
    ASSIGN_OR_RETURN(std::string ca, ReadPem(flags, kTlsCaPathFlag));
    ASSIGN_OR_RETURN(std::string cert, ReadPem(flags, kTlsCertPathFlag));
    ASSIGN_OR_RETURN(std::string key, ReadPem(flags, kTlsKeyPathFlag));
    options.pem_root_certs = ca;
    options.pem_cert_chain = cert;
    options.pem_private_key = key;
    credentials = grpc::SslCredentials(options);
    if (flags.Has(kTlsServerNameFlag)) {
      arguments.SetSslTargetNameOverride(flags.Get(kTlsServerNameFlag));
    }
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  return Connection(grpc::CreateCustomChannel(address, credentials, arguments), address,
                    flags.GetDuration(kCommandTimeoutFlag));
}

std::unique_ptr<grpc::ClientContext> Connection::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout_);
  return context;
}

absl::Status Connection::Error(absl::string_view what, const grpc::Status& status) const {
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string detail = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      detail = absl::StrCat("cannot reach ", address_, ": ", detail);
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      detail = absl::StrCat("no answer from ", address_, " within ", FormatDuration(timeout_),
                            " (--command-timeout)");
      break;
    default:
      if (detail.empty()) detail = absl::StatusCodeToString(code);
  }
  return absl::Status(code, absl::StrCat(what, ": ", detail));
}

absl::Status FetchPages(absl::string_view what, const PageFetcher& fetch_page) {
  std::set<std::string> seen;
  std::string token;
  while (true) {
    ASSIGN_OR_RETURN(std::string next, fetch_page(token));
    if (next.empty()) return absl::OkStatus();
    if (!seen.insert(next).second) {
      return absl::InternalError(absl::StrCat(what, ": the server repeated a page token"));
    }
    token = std::move(next);
  }
}

}  // namespace tern::cli
