// JWT verification for the frontend's authorization (Temporal's default JWT authorizer: a
// bearer token signed by an identity provider whose public keys come from JWKS URIs).
//
// Accepted: a compact JWS (header.payload.signature, base64url without padding) of at most
// kMaxTokenBytes, signed with RS256 or ES256 (RFC 7518) by a key of the KeySet. The header's
// kid selects the key; a token without kid is checked against every key of its algorithm.
// Refused: `alg` none, HS256 and every other algorithm; a `crit` header (no extension is
// understood); a payload without `exp`.
//
// The header and the claims' JSON types are read first (a claim of the wrong type is a malformed
// token); their values are checked only once the signature verifies, in this order: exp (now
// must be before it), nbf when present (now must not be before it), iat when present (must not
// be after now), each with options.leeway for clock skew; then aud, when options.audience is
// set.
//
// Every failure is UNAUTHENTICATED with a message a person can act on, which may be logged or
// returned to the client: it never holds the token, its signature or key material, only the
// values at fault, quoted, escaped and cut short (`token expired at 2026-12-05T10:00:00Z`,
// `token names unknown key id "k9"`, `token algorithm "HS256" is not accepted (RS256, ES256)`,
// `token audience ["a"] does not include "tern"`,
// `malformed token: payload is not a base64url JSON object`).
//
// Pure function: no I/O and no clock (the caller passes `now`); callable from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/jwt_keys.h"

namespace tern::jwt {

// Longer tokens are refused before they are decoded.
inline constexpr size_t kMaxTokenBytes = 16 * 1024;

struct Claims {
  std::string subject;                   // sub ("" when absent)
  std::string issuer;                    // iss ("" when absent)
  std::vector<std::string> audiences;    // aud: a string or an array of strings
  std::vector<std::string> permissions;  // options.permissions_claim (empty when absent)
  absl::Time expires;                    // exp
};

struct VerifyOptions {
  // The caller's clock reading. The default refuses every token as expired, so a caller that
  // forgets to set it fails closed.
  absl::Time now = absl::InfiniteFuture();
  // The claim holding the permissions: an array of strings; any other JSON type is refused.
  std::string permissions_claim = "permissions";
  // When set, the token's aud must contain it.
  std::string audience;
  // Clock skew tolerated on exp, nbf and iat.
  absl::Duration leeway = absl::ZeroDuration();
};

absl::StatusOr<Claims> Verify(std::string_view token, const KeySet& keys,
                              const VerifyOptions& options);

}  // namespace tern::jwt
