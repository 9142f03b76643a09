#include "services/frontend/authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tern::frontend {
namespace {

// Verified tokens kept at most; past it the cache starts over (tokens are re-verified).
constexpr size_t kMaxCachedTokens = 4096;

// The bearer token of the call's `authorization` header: "" without one, an error for another
// scheme.
absl::StatusOr<std::string> BearerToken(const CallTransport& call) {
  const std::string_view header = call.header("authorization");
  if (header.empty()) return std::string();
  absl::string_view value(header.data(), header.size());
  constexpr absl::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size() || !absl::StartsWithIgnoreCase(value, kBearer)) {
    return absl::UnauthenticatedError(
        "the authorization header must be \"Bearer <token>\" (a JWT signed by a key of "
        "global.authorization.jwtKeyProvider)");
  }
  return std::string(value.substr(kBearer.size()));
}

}  // namespace

Caller UnauthenticatedCaller(const CallTransport& call) {
  std::string name = call.certificate_common_name();
  return Caller{name.empty() ? "anonymous" : absl::StrCat("cert:", name), {}};
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const AuthorizationConfig& config, const Clock& clock) {
  std::unique_ptr<jwt::KeyProvider> keys;
  if (!config.key_source_uris.empty()) {
    auto provider = jwt::KeyProvider::Create(config.key_source_uris,
                                             absl::FromChrono(config.key_refresh_interval));
    if (!provider.ok()) {
      return absl::Status(provider.status().code(),
                          absl::StrCat("global.authorization.jwtKeyProvider.keySourceURIs: ",
                                       provider.status().message()));
    }
    keys = *std::move(provider);
  }
  return std::unique_ptr<Authenticator>(new Authenticator(config, std::move(keys), clock));
}

Authenticator::Authenticator(const AuthorizationConfig& config,
                             std::unique_ptr<jwt::KeyProvider> keys, const Clock& clock)
    : config_(config), keys_(std::move(keys)), clock_(clock) {
  for (const auto& [name, permissions] : config_.certificate_permissions) {
    certificate_permissions_[name] = Permissions::Parse(permissions);
  }
}

Authenticator::~Authenticator() { Stop(); }

void Authenticator::Start() {
  if (keys_) keys_->Start();
}

void Authenticator::Stop() {
  if (keys_) keys_->Stop();
}

absl::StatusOr<Caller> Authenticator::Authenticate(const CallTransport& call) {
  Caller caller;
  const std::string common_name = call.certificate_common_name();
  auto by_certificate = certificate_permissions_.find(common_name);
  if (!common_name.empty() && by_certificate != certificate_permissions_.end()) {
    caller.identity = absl::StrCat("cert:", common_name);
    caller.permissions = by_certificate->second;
  }
  absl::StatusOr<std::string> token = BearerToken(call);
  if (!token.ok()) return token.status();
  if (!token->empty()) {
    if (!keys_) {
      return absl::UnauthenticatedError(
          "the call carries a bearer token but this cluster has no "
          "global.authorization.jwtKeyProvider to verify it with");
    }
    absl::StatusOr<jwt::Claims> claims = VerifyCached(*token);
    if (!claims.ok()) return claims.status();
    caller.identity = absl::StrCat("jwt:", claims->subject);
    caller.permissions.Merge(Permissions::Parse(claims->permissions));
  }
  if (caller.identity.empty()) {
    return absl::UnauthenticatedError(
        common_name.empty()
            ? "no credentials: send a bearer token (a JWT) in the authorization header"
            : absl::StrCat("no credentials: the client certificate \"", common_name,
                           "\" is not in global.authorization.certificatePermissions and the "
                           "call carries no bearer token"));
  }
  return caller;
}

absl::StatusOr<jwt::Claims> Authenticator::VerifyCached(const std::string& token) {
  const absl::Time now = absl::FromChrono(clock_.Now());
  std::shared_ptr<const jwt::KeySet> keys = keys_->Keys();
  {
    std::lock_guard lock(mu_);
    if (cached_with_ != keys) {
      verified_.clear();
      cached_with_ = keys;
    }
    auto it = verified_.find(token);
    if (it != verified_.end()) {
      if (it->second.expires > now) return it->second;
      verified_.erase(it);
    }
  }
  jwt::VerifyOptions options;
  options.now = now;
  options.permissions_claim = config_.permissions_claim_name;
  options.audience = config_.audience;
  absl::StatusOr<jwt::Claims> claims = jwt::Verify(token, *keys, options);
  if (!claims.ok()) return claims.status();
  std::lock_guard lock(mu_);
  if (cached_with_ == keys) {
    if (verified_.size() >= kMaxCachedTokens) verified_.clear();
    verified_.emplace(token, *claims);
  }
  return claims;
}

}  // namespace tern::frontend
