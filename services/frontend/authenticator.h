// Authenticator: the default claim mapper. Who is calling, and with which permissions:
//   - a JWT in the `authorization` header ("Bearer <token>"), verified (RS256/ES256, exp, nbf,
//     aud) against the JWKS keys of global.authorization.jwtKeyProvider, whose permissions claim
//     ("billing:write", "system:admin", ...) becomes the caller's permissions;
//   - a client certificate whose common name global.authorization.certificatePermissions lists.
// Both together add up. A call with neither, or with a token that does not verify, is
// UNAUTHENTICATED with a message naming what is wrong (never the token).
//
// Verified tokens are remembered until they expire (or the keys change), so a worker's stream of
// calls with one token costs one signature check.
//
// Thread-safe. Start() begins refreshing the keys every refreshInterval; Stop() ends it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/jwt.h"
#include "common/jwt_key_provider.h"
#include "common/permissions.h"
#include "services/frontend/call_transport.h"

namespace tern::frontend {

struct Caller {
  // "jwt:<sub>", "cert:<common name>", or "anonymous" (no credentials, authorization off).
  std::string identity;
  Permissions permissions;
};

// The caller as far as it can be told without authorization (for the audit log): the client
// certificate's common name, else "anonymous".
Caller UnauthenticatedCaller(const CallTransport& call);

class Authenticator {
 public:
  // Loads the keys once (a key source that cannot be read is an error naming it).
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(const AuthorizationConfig& config,
                                                               const Clock& clock);
  ~Authenticator();

  void Start();
  void Stop();

  absl::StatusOr<Caller> Authenticate(const CallTransport& call);

 private:
  Authenticator(const AuthorizationConfig& config, std::unique_ptr<jwt::KeyProvider> keys,
                const Clock& clock);
  absl::StatusOr<jwt::Claims> VerifyCached(const std::string& token);

  const AuthorizationConfig config_;
  std::map<std::string, Permissions> certificate_permissions_;
  std::unique_ptr<jwt::KeyProvider> keys_;  // null without key sources
  const Clock& clock_;

  std::mutex mu_;
  std::shared_ptr<const jwt::KeySet> cached_with_;  // the keys `verified_` was checked against
  std::unordered_map<std::string, jwt::Claims> verified_;
};

}  // namespace tern::frontend
