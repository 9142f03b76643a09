// Public keys for verifying JWTs, read from JWKS documents (RFC 7517, RFC 7518 section 6).
//
// Accepted keys: RSA (kty "RSA", n and e, a 2048- to 8192-bit modulus) for RS256, and EC P-256
// (kty "EC", crv "P-256", x and y, a point on the curve) for ES256. Keys meant for something
// else are skipped, not refused, and listed in skipped(): `use` other than "sig", `key_ops`
// without "verify", an `alg` other than the key's (RS256 / ES256), another kty or crv. An
// identity provider publishes such keys beside its signing keys, so they must not fail a load.
//
// Refused (KeySet::Parse returns INVALID_ARGUMENT): a document that is not a JSON object with a
// "keys" array, larger than kMaxKeySetBytes, or holding a key with a member missing, of the
// wrong JSON type, not base64url, or not forming a valid key. The message names the key by its
// index and kid and says what is wrong (`keys[2] (kid "k1"): n is not base64url`); messages
// never carry key material.
//
// Threading: PublicKey and KeySet are immutable once built; copies share the OpenSSL keys and
// may be used from any number of threads.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tern::jwt {

// The JWS algorithms accepted. Each key type verifies exactly one of them, so a token cannot
// choose how its key is used (no RSA key read as an HMAC secret).
enum class Algorithm { kRS256, kES256 };
const char* AlgorithmName(Algorithm algorithm);  // "RS256", "ES256"

// A JWKS document larger than this is refused (by Parse and by KeyProvider's fetches).
inline constexpr size_t kMaxKeySetBytes = 1 << 20;

// base64url without padding (RFC 7515 section 2), as tokens and JWKs spell their bytes;
// nullopt when `text` is anything else (padding, '+', '/', whitespace, a dangling character).
std::optional<std::string> Base64UrlDecode(std::string_view text);

// A value read from a token or a JWK, fit for an error message: in double quotes, C-escaped,
// and cut after 64 bytes (marked "...") so that a hostile value cannot flood a log line.
std::string QuoteForMessage(std::string_view text);

class PublicKey {
 public:
  // "" when the JWK has no kid.
  const std::string& kid() const { return kid_; }
  Algorithm algorithm() const { return algorithm_; }

  // True when `signature` signs `signing_input` with this key under algorithm(). `signature` is
  // as a JWS carries it: the PKCS#1 v1.5 signature for RS256, the 64 bytes r||s for ES256.
  bool Verifies(std::string_view signing_input, std::string_view signature) const;

 private:
  friend class KeySet;
  PublicKey(std::string kid, Algorithm algorithm, std::shared_ptr<EVP_PKEY> key);

  std::string kid_;
  Algorithm algorithm_;
  std::shared_ptr<EVP_PKEY> key_;
};

class KeySet {
 public:
  KeySet() = default;  // no keys: every token is refused

  static absl::StatusOr<KeySet> Parse(std::string_view json);
  // The keys of every set, in order. Sets from several sources may repeat a kid; a token naming
  // it is checked against each of those keys.
  static KeySet Merge(std::span<const KeySet> sets);

  const std::vector<PublicKey>& keys() const { return keys_; }
  // Why each skipped JWK was skipped, for logs: `keys[1] (kid "e1"): use "enc" is not "sig"`.
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  std::vector<PublicKey> keys_;
  std::vector<std::string> skipped_;
};

}  // namespace tern::jwt
