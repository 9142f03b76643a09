#include "common/jwt_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace tern::jwt {

namespace {

using Json = nlohmann::json;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

// OpenSSL reports failures on the calling thread's error queue, where a later TLS call on the
// same thread would take them for its own; every entry point here leaves the queue empty.
struct ClearOpenSslErrorsOnExit {
  ~ClearOpenSslErrorsOnExit() { ERR_clear_error(); }
};

int SextetOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

BignumPtr ToBignum(std::string_view bytes) {
  return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()), nullptr));
}

// What a JWK holds: a key for `algorithm`, or (key null) why it is skipped.
struct JwkContents {
  std::shared_ptr<EVP_PKEY> key;
  Algorithm algorithm = Algorithm::kRS256;
  std::string skipped_because;
};

JwkContents Skip(std::string reason) { return {.skipped_because = std::move(reason)}; }

// Member `name` of a JWK: nullopt when absent, an error when not a string.
absl::StatusOr<std::optional<std::string>> StringMember(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return std::nullopt;
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat(name, " is not a string"));
  return it->get_ref<const std::string&>();
}

// The bytes of a required base64url member (n, e, x, y).
absl::StatusOr<std::string> BytesMember(const Json& jwk, const char* name) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, StringMember(jwk, name));
  if (!text) return absl::InvalidArgumentError(absl::StrCat(name, " is missing"));
  std::optional<std::string> bytes = Base64UrlDecode(*text);
  if (!bytes) return absl::InvalidArgumentError(absl::StrCat(name, " is not base64url"));
  return *std::move(bytes);
}

std::shared_ptr<EVP_PKEY> FromData(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaKey(const Json& jwk) {
  ASSIGN_OR_RETURN(std::string n_bytes, BytesMember(jwk, "n"));
  ASSIGN_OR_RETURN(std::string e_bytes, BytesMember(jwk, "e"));
  BignumPtr n = ToBignum(n_bytes);
  BignumPtr e = ToBignum(e_bytes);
  if (!n || !e) return absl::ResourceExhaustedError("out of memory reading n and e");
  // RFC 7518 section 3.3 requires 2048 bits; the upper bound caps the cost of a verification.
  const int bits = BN_num_bits(n.get());
  if (bits < 2048 || bits > 8192) {
    return absl::InvalidArgumentError(
        absl::StrCat("n is a ", bits, "-bit modulus; RS256 keys must have 2048 to 8192 bits"));
  }
  if (!BN_is_odd(n.get())) return absl::InvalidArgumentError("n is even, not an RSA modulus");
  if (BN_num_bits(e.get()) > 64 || !BN_is_odd(e.get()) || BN_is_one(e.get())) {
    return absl::InvalidArgumentError(
        "e is not an RSA public exponent (an odd number from 3 to 2^64 - 1)");
  }
  std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>> builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return absl::ResourceExhaustedError("out of memory building the RSA key");
  }
  std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>> params(
      OSSL_PARAM_BLD_to_param(builder.get()));
  std::shared_ptr<EVP_PKEY> key = params ? FromData("RSA", params.get()) : nullptr;
  if (!key) return absl::InvalidArgumentError("n and e do not form an RSA public key");
  return key;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> EcKey(const Json& jwk) {
  ASSIGN_OR_RETURN(std::string x, BytesMember(jwk, "x"));
  ASSIGN_OR_RETURN(std::string y, BytesMember(jwk, "y"));
  // RFC 7518 section 6.2.1.2: coordinates are the full 32 bytes, leading zeros included.
  for (const auto& [name, value] : {std::pair{"x", &x}, std::pair{"y", &y}}) {
    if (value->size() != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " is ", value->size(), " bytes, not a 32-byte P-256 coordinate"));
    }
  }
  std::string point = absl::StrCat("\x04", x, y);  // SEC 1 uncompressed form
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  std::shared_ptr<EVP_PKEY> key = FromData("EC", params);
  std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>> check(
      key ? EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr) : nullptr);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return absl::InvalidArgumentError("x and y are not a point on P-256");
  }
  return key;
}

absl::StatusOr<JwkContents> ReadJwk(const Json& jwk) {
  ASSIGN_OR_RETURN(std::optional<std::string> use, StringMember(jwk, "use"));
  if (use && *use != "sig") {
    return Skip(absl::StrCat("use ", QuoteForMessage(*use), " is not \"sig\""));
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array()) return absl::InvalidArgumentError("key_ops is not an array");
    if (std::none_of(ops->begin(), ops->end(), [](const Json& op) { return op == "verify"; })) {
      return Skip("key_ops does not include \"verify\"");
    }
  }
  ASSIGN_OR_RETURN(std::optional<std::string> kty, StringMember(jwk, "kty"));
  if (!kty) return absl::InvalidArgumentError("kty is missing");
  JwkContents contents;
  if (*kty == "RSA") {
    contents.algorithm = Algorithm::kRS256;
  } else if (*kty == "EC") {
    ASSIGN_OR_RETURN(std::optional<std::string> crv, StringMember(jwk, "crv"));
    if (!crv) return absl::InvalidArgumentError("crv is missing");
    if (*crv != "P-256") {
      return Skip(absl::StrCat("crv ", QuoteForMessage(*crv), " is not supported (P-256)"));
    }
    contents.algorithm = Algorithm::kES256;
  } else {
    return Skip(absl::StrCat("kty ", QuoteForMessage(*kty), " is not supported (RSA, EC)"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> alg, StringMember(jwk, "alg"));
  const char* accepted = AlgorithmName(contents.algorithm);
  if (alg && *alg != accepted) {
    return Skip(absl::StrCat("alg ", QuoteForMessage(*alg), " is not supported (", accepted,
                             " for ", *kty, " keys)"));
  }
  ASSIGN_OR_RETURN(contents.key,
                   contents.algorithm == Algorithm::kRS256 ? RsaKey(jwk) : EcKey(jwk));
  return contents;
}

// ES256 signatures are r||s (RFC 7518 section 3.4); OpenSSL verifies the DER ECDSA-Sig-Value.
std::optional<std::string> EcdsaSignatureDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>> signature(ECDSA_SIG_new());
  BignumPtr r = ToBignum(raw.substr(0, 32));
  BignumPtr s = ToBignum(raw.substr(32));
  if (!signature || !r || !s || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    return std::nullopt;
  }
  r.release();  // owned by `signature` now
  s.release();
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature.get(), &der);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace

const char* AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kES256:
      return "ES256";
  }
  return "unknown";
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // a lone sextet cannot end a byte
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t pending = 0;  // bits read but not yet emitted; fewer than 8 between characters
  int pending_bits = 0;
  for (char c : text) {
    const int sextet = SextetOf(c);
    if (sextet < 0) return std::nullopt;
    pending = (pending << 6) | static_cast<uint32_t>(sextet);
    pending_bits += 6;
    if (pending_bits >= 8) {
      pending_bits -= 8;
      out.push_back(static_cast<char>(pending >> pending_bits));
      pending &= (1u << pending_bits) - 1;
    }
  }
  return out;
}

std::string QuoteForMessage(std::string_view text) {
  constexpr size_t kMaxQuoted = 64;
  const size_t kept = std::min(text.size(), kMaxQuoted);
  return absl::StrCat("\"", absl::CHexEscape(absl::string_view(text.data(), kept)), "\"",
                      kept < text.size() ? "..." : "");
}

PublicKey::PublicKey(std::string kid, Algorithm algorithm, std::shared_ptr<EVP_PKEY> key)
    : kid_(std::move(kid)), algorithm_(algorithm), key_(std::move(key)) {}

bool PublicKey::Verifies(std::string_view signing_input, std::string_view signature) const {
  ClearOpenSslErrorsOnExit clear_errors;
  std::optional<std::string> der;
  if (algorithm_ == Algorithm::kES256) {
    der = EcdsaSignatureDer(signature);
    if (!der) return false;
    signature = *der;
  }
  std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
  // RSA keys default to PKCS#1 v1.5 padding, which RS256 is.
  return ctx &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(),
                                 nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

absl::StatusOr<KeySet> KeySet::Parse(std::string_view json) {
  ClearOpenSslErrorsOnExit clear_errors;
  if (json.size() > kMaxKeySetBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JWKS is ", json.size(), " bytes, more than the ", kMaxKeySetBytes, " accepted"));
  }
  const Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("JWKS is not JSON");
  auto keys = doc.find("keys");  // end() unless doc is an object with "keys"
  if (keys == doc.end() || !keys->is_array()) {
    return absl::InvalidArgumentError("JWKS is not a JSON object with a \"keys\" array");
  }
  KeySet set;
  for (size_t i = 0; i < keys->size(); ++i) {
    const Json& jwk = (*keys)[i];
    std::string label = absl::StrCat("keys[", i, "]");
    if (!jwk.is_object()) return absl::InvalidArgumentError(label + ": not a JSON object");
    auto refuse = [&label](const absl::Status& status) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": ", status.message()));
    };
    absl::StatusOr<std::optional<std::string>> kid = StringMember(jwk, "kid");
    if (!kid.ok()) return refuse(kid.status());
    if (kid->has_value()) absl::StrAppend(&label, " (kid ", QuoteForMessage(**kid), ")");
    absl::StatusOr<JwkContents> contents = ReadJwk(jwk);
    if (!contents.ok()) return refuse(contents.status());
    if (!contents->key) {
      set.skipped_.push_back(absl::StrCat(label, ": ", contents->skipped_because));
      continue;
    }
    set.keys_.push_back(
        PublicKey(kid->value_or(""), contents->algorithm, std::move(contents->key)));
  }
  return set;
}

KeySet KeySet::Merge(std::span<const KeySet> sets) {
  KeySet merged;
  for (const KeySet& set : sets) {
    merged.keys_.insert(merged.keys_.end(), set.keys_.begin(), set.keys_.end());
    merged.skipped_.insert(merged.skipped_.end(), set.skipped_.begin(), set.skipped_.end());
  }
  return merged;
}

}  // namespace tern::jwt
