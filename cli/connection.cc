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
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
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
  if (flags.Has(kApiKeyFlag) && flags.Has(kAuthTokenFlag)) {
    return absl::InvalidArgumentError(
        "--api-key and --auth-token are two names for the bearer token; give one");
  }
  std::string bearer_token =
      flags.Has(kApiKeyFlag) ? flags.Get(kApiKeyFlag) : flags.Get(kAuthTokenFlag);
  bool tls = flags.GetBool(kTlsFlag) || flags.Has(kTlsCertPathFlag) || flags.Has(kTlsCaPathFlag) ||
             flags.Has(kTlsServerNameFlag) || flags.GetBool(kTlsDisableHostVerificationFlag);

  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments;
  if (tls) {
    namespace ex = grpc::experimental;
    ASSIGN_OR_RETURN(std::string ca, ReadPem(flags, kTlsCaPathFlag));
    ASSIGN_OR_RETURN(std::string cert, ReadPem(flags, kTlsCertPathFlag));
    ASSIGN_OR_RETURN(std::string key, ReadPem(flags, kTlsKeyPathFlag));
    std::vector<ex::IdentityKeyCertPair> identity;
    if (!cert.empty()) identity.push_back({.private_key = key, .certificate_chain = cert});
    ex::TlsChannelCredentialsOptions options;
    options.set_certificate_provider(
        std::make_shared<ex::StaticDataCertificateProvider>(ca, identity));
    if (!identity.empty()) options.watch_identity_key_cert_pairs();
    if (!ca.empty()) options.watch_root_certs();  // else the system's roots
    if (flags.GetBool(kTlsDisableHostVerificationFlag)) {
      // The chain is still verified against the roots; only the name check is skipped.
      options.set_certificate_verifier(std::make_shared<ex::NoOpCertificateVerifier>());
      options.set_check_call_host(false);
    }
    credentials = ex::TlsCredentials(options);
    if (flags.Has(kTlsServerNameFlag)) {
      arguments.SetSslTargetNameOverride(flags.Get(kTlsServerNameFlag));
    }
  }
  return Connection(grpc::CreateCustomChannel(address, credentials, arguments), address,
                    flags.GetDuration(kCommandTimeoutFlag), std::move(bearer_token));
}

std::unique_ptr<grpc::ClientContext> Connection::NewContext(
    std::optional<std::chrono::milliseconds> timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout.value_or(timeout_));
  if (!bearer_token_.empty()) context->AddMetadata("authorization", "Bearer " + bearer_token_);
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
