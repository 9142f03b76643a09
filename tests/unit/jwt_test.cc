// JWT verification (common/jwt.h), JWKS key sets (common/jwt_keys.h) and key sources
// (common/jwt_key_provider.h). Keys are generated here with OpenSSL and tokens are signed here,
// so every case is a token an identity provider, or an attacker, could send.
#include "common/jwt.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/jwt_key_provider.h"
#include "common/jwt_keys.h"

namespace tern::jwt {
namespace {

using Json = nlohmann::json;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::Not;

constexpr int64_t kNowSeconds = 1'800'000'000;  // 2027-01-15T08:00:00Z
const absl::Time kNow = absl::FromUnixSeconds(kNowSeconds);

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t pending = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    pending = (pending << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(pending >> bits) & 63];
    }
    pending &= (1u << bits) - 1;
  }
  if (bits > 0) out += kAlphabet[(pending << (6 - bits)) & 63];
  return out;
}

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyFree>;

// Generated once: RSA-2048 keygen takes a while. The "other" keys sign forgeries.
struct TestKeys {
  PrivateKey rsa{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})};
  PrivateKey ec{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  PrivateKey other_rsa{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})};
  PrivateKey other_ec{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
};
const TestKeys& Keys() {
  static const TestKeys keys;
  return keys;
}

// A big-endian integer parameter of `key`, left-padded to `width` bytes (0: as short as can be).
std::string IntegerParam(const EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* value = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &value), 1) << name;
  std::string out(width ? width : BN_num_bytes(value), '\0');
  BN_bn2binpad(value, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(value);
  return out;
}

Json Jwk(const PrivateKey& key, const std::string& kid) {
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    return {{"kty", "RSA"},
            {"kid", kid},
            {"use", "sig"},
            {"alg", "RS256"},
            {"n", Base64Url(IntegerParam(key.get(), OSSL_PKEY_PARAM_RSA_N))},
            {"e", Base64Url(IntegerParam(key.get(), OSSL_PKEY_PARAM_RSA_E))}};
  }
  return {{"kty", "EC"},
          {"kid", kid},
          {"crv", "P-256"},
          {"x", Base64Url(IntegerParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
          {"y", Base64Url(IntegerParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
}

std::string Jwks(std::vector<Json> keys) { return Json{{"keys", std::move(keys)}}.dump(); }

// SHA-256 signature as a JWS carries it: PKCS#1 v1.5 for RSA, r||s for EC.
std::string Sign(const PrivateKey& key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EXPECT_EQ(
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr), 1);
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  size_t length = 0;
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()), 1);
  std::string signature(length, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                           data, input.size()),
            1);
  signature.resize(length);
  if (!EVP_PKEY_is_a(key.get(), "EC")) return signature;
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(parsed), out, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(parsed), out + 32, 32);
  ECDSA_SIG_free(parsed);
  return raw;
}

std::string Token(const Json& header, const Json& payload, const PrivateKey& key) {
  const std::string input = Base64Url(header.dump()) + "." + Base64Url(payload.dump());
  return input + "." + Base64Url(Sign(key, input));
}

// A token with an arbitrary signature: for the checks made before the signature's.
std::string UnsignedToken(const Json& header, const Json& payload) {
  return Base64Url(header.dump()) + "." + Base64Url(payload.dump()) + "." + Base64Url("sig");
}

Json Header(const std::string& alg, const std::string& kid) {
  return {{"alg", alg}, {"typ", "JWT"}, {"kid", kid}};
}

Json Payload() {
  return {{"sub", "alice"},
          {"iss", "https://idp.example"},
          {"aud", {"tern", "billing"}},
          {"permissions", {"default:admin", "orders:read"}},
          {"iat", kNowSeconds - 60},
          {"exp", kNowSeconds + 3600}};
}

VerifyOptions Options() {
  VerifyOptions options;
  options.now = kNow;
  options.audience = "tern";
  return options;
}

std::vector<std::string> Kids(const KeySet& set) {
  std::vector<std::string> kids;
  for (const PublicKey& key : set.keys()) kids.push_back(key.kid());
  return kids;
}

MATCHER_P(RefusedWith, message, "") {
  if (arg.ok()) {
    *result_listener << "accepted";
    return false;
  }
  *result_listener << arg.status();
  return arg.status().code() == absl::StatusCode::kUnauthenticated &&
         std::string(arg.status().message()) == message;
}

MATCHER_P(FailsWith, substring, "") {
  if (arg.ok()) return false;
  *result_listener << arg;
  return std::string(arg.message()).find(substring) != std::string::npos;
}

class JwtTest : public testing::Test {
 protected:
  KeySet ParseOrDie(const std::string& json) {
    absl::StatusOr<KeySet> set = KeySet::Parse(json);
    EXPECT_TRUE(set.ok()) << set.status();
    return set.ok() ? *set : KeySet();
  }

  const TestKeys& k_ = Keys();
  const KeySet keys_ = ParseOrDie(Jwks({Jwk(k_.rsa, "rsa1"), Jwk(k_.ec, "ec1")}));
};

TEST_F(JwtTest, Rs256TokenYieldsItsClaims) {
  absl::StatusOr<Claims> claims =
      Verify(Token(Header("RS256", "rsa1"), Payload(), k_.rsa), keys_, Options());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->issuer, "https://idp.example");
  EXPECT_THAT(claims->audiences, ElementsAre("tern", "billing"));
  EXPECT_THAT(claims->permissions, ElementsAre("default:admin", "orders:read"));
  EXPECT_EQ(claims->expires, kNow + absl::Hours(1));
}

TEST_F(JwtTest, Es256TokenYieldsItsClaims) {
  absl::StatusOr<Claims> claims =
      Verify(Token(Header("ES256", "ec1"), Payload(), k_.ec), keys_, Options());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_THAT(claims->permissions, ElementsAre("default:admin", "orders:read"));
}

TEST_F(JwtTest, TokenWithoutKidIsCheckedAgainstEveryKeyOfItsAlgorithm) {
  const KeySet keys = ParseOrDie(Jwks({Jwk(k_.other_rsa, "old"), Jwk(k_.rsa, "new")}));
  EXPECT_TRUE(Verify(Token({{"alg", "RS256"}}, Payload(), k_.rsa), keys, Options()).ok());
  EXPECT_THAT(Verify(Token({{"alg", "RS256"}}, Payload(), k_.other_ec), keys, Options()),
              RefusedWith("token signature does not verify with any \"RS256\" key (the token "
                          "names no key id)"));
  EXPECT_THAT(Verify(Token({{"alg", "ES256"}}, Payload(), k_.ec), keys, Options()),
              RefusedWith("no key accepts \"ES256\" tokens (the token names no key id)"));
}

TEST_F(JwtTest, ExpiredTokenIsRefusedWithItsExpiry) {
  Json payload = Payload();
  payload["exp"] = kNowSeconds - 1;
  const std::string token = Token(Header("RS256", "rsa1"), payload, k_.rsa);
  EXPECT_THAT(Verify(token, keys_, Options()),
              RefusedWith("token expired at 2027-01-15T07:59:59Z"));
  VerifyOptions lenient = Options();
  lenient.leeway = absl::Seconds(5);
  EXPECT_TRUE(Verify(token, keys_, lenient).ok());

  payload["exp"] = kNowSeconds;  // the expiry instant is already too late
  EXPECT_THAT(Verify(Token(Header("RS256", "rsa1"), payload, k_.rsa), keys_, Options()),
              RefusedWith("token expired at 2027-01-15T08:00:00Z"));
  payload["exp"] = kNowSeconds - 0.5;
  EXPECT_THAT(Verify(Token(Header("RS256", "rsa1"), payload, k_.rsa), keys_, Options()),
              RefusedWith("token expired at 2027-01-15T07:59:59.5Z"));
}

TEST_F(JwtTest, OptionsWithoutNowRefuseEveryToken) {
  VerifyOptions forgot_now;
  EXPECT_FALSE(Verify(Token(Header("RS256", "rsa1"), Payload(), k_.rsa), keys_, forgot_now).ok());
}

TEST_F(JwtTest, TokenNotYetValidIsRefused) {
  Json payload = Payload();
  payload["nbf"] = kNowSeconds + 60;
  const std::string token = Token(Header("RS256", "rsa1"), payload, k_.rsa);
  EXPECT_THAT(Verify(token, keys_, Options()),
              RefusedWith("token is not valid before 2027-01-15T08:01:00Z"));
  VerifyOptions lenient = Options();
  lenient.leeway = absl::Seconds(60);
  EXPECT_TRUE(Verify(token, keys_, lenient).ok());
}

TEST_F(JwtTest, TokenIssuedInTheFutureIsRefused) {
  Json payload = Payload();
  payload["iat"] = kNowSeconds + 120;
  const std::string token = Token(Header("ES256", "ec1"), payload, k_.ec);
  EXPECT_THAT(Verify(token, keys_, Options()),
              RefusedWith("token issue time 2027-01-15T08:02:00Z is in the future"));
  VerifyOptions lenient = Options();
  lenient.leeway = absl::Minutes(2);
  EXPECT_TRUE(Verify(token, keys_, lenient).ok());
}

TEST_F(JwtTest, TokenWithoutExpiryIsRefused) {
  Json payload = Payload();
  payload.erase("exp");
  EXPECT_THAT(Verify(Token(Header("RS256", "rsa1"), payload, k_.rsa), keys_, Options()),
              RefusedWith("token has no expiry (exp); tokens without one are refused"));
}

TEST_F(JwtTest, SignatureByAnotherKeyUnderTheSameKidIsRefused) {
  EXPECT_THAT(Verify(Token(Header("RS256", "rsa1"), Payload(), k_.other_rsa), keys_, Options()),
              RefusedWith("token signature does not verify with key \"rsa1\""));
  EXPECT_THAT(Verify(Token(Header("ES256", "ec1"), Payload(), k_.other_ec), keys_, Options()),
              RefusedWith("token signature does not verify with key \"ec1\""));
}

TEST_F(JwtTest, AlteredPayloadIsRefused) {
  const std::string token = Token(Header("ES256", "ec1"), Payload(), k_.ec);
  Json payload = Payload();
  payload["permissions"] = {"system:admin"};
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.find('.', first_dot + 1);
  const std::string altered =
      token.substr(0, first_dot + 1) + Base64Url(payload.dump()) + token.substr(second_dot);
  EXPECT_THAT(Verify(altered, keys_, Options()),
              RefusedWith("token signature does not verify with key \"ec1\""));
}

TEST_F(JwtTest, UnknownKidIsRefused) {
  EXPECT_THAT(Verify(Token(Header("RS256", "k9"), Payload(), k_.rsa), keys_, Options()),
              RefusedWith("token names unknown key id \"k9\""));
}

TEST_F(JwtTest, OnlyRs256AndEs256AreAccepted) {
  for (const char* alg : {"none", "HS256", "RS512", "PS256", "ES384", "EdDSA", ""}) {
    SCOPED_TRACE(alg);
    EXPECT_THAT(
        Verify(UnsignedToken(Header(alg, "rsa1"), Payload()), keys_, Options()),
        RefusedWith(absl::StrCat("token algorithm \"", alg, "\" is not accepted (RS256, ES256)")));
  }
  // The classic forgery: alg none and an empty signature.
  const std::string none = Base64Url(R"({"alg":"none"})") + "." + Base64Url(Payload().dump()) + ".";
  EXPECT_THAT(Verify(none, keys_, Options()),
              RefusedWith("token algorithm \"none\" is not accepted (RS256, ES256)"));
  EXPECT_THAT(Verify(UnsignedToken({{"kid", "rsa1"}}, Payload()), keys_, Options()),
              RefusedWith("malformed token: header has no \"alg\" string"));
}

TEST_F(JwtTest, AlgorithmMustBeTheNamedKeys) {
  EXPECT_THAT(Verify(Token(Header("ES256", "rsa1"), Payload(), k_.ec), keys_, Options()),
              RefusedWith("token algorithm \"ES256\" does not match key \"rsa1\" (RS256)"));
}

TEST_F(JwtTest, CriticalHeaderExtensionsAreRefused) {
  Json header = Header("RS256", "rsa1");
  header["crit"] = {"b64"};
  header["b64"] = false;
  EXPECT_THAT(Verify(Token(header, Payload(), k_.rsa), keys_, Options()),
              RefusedWith("token header lists critical extensions (crit)"));
}

TEST_F(JwtTest, AudienceMustIncludeTheExpectedOne) {
  auto verify_with_aud = [&](const Json& aud, const std::string& audience) {
    Json payload = Payload();
    if (aud.is_null()) {
      payload.erase("aud");
    } else {
      payload["aud"] = aud;
    }
    VerifyOptions options = Options();
    options.audience = audience;
    return Verify(Token(Header("RS256", "rsa1"), payload, k_.rsa), keys_, options);
  };
  absl::StatusOr<Claims> single = verify_with_aud("tern", "tern");
  ASSERT_TRUE(single.ok()) << single.status();
  EXPECT_THAT(single->audiences, ElementsAre("tern"));
  EXPECT_TRUE(verify_with_aud(Json::array({"billing", "tern"}), "tern").ok());
  EXPECT_THAT(verify_with_aud(Json::array({"a"}), "tern"),
              RefusedWith("token audience [\"a\"] does not include \"tern\""));
  EXPECT_THAT(verify_with_aud("a", "tern"),
              RefusedWith("token audience [\"a\"] does not include \"tern\""));
  EXPECT_THAT(verify_with_aud(nullptr, "tern"),
              RefusedWith("token has no audience (aud); \"tern\" is required"));
  EXPECT_TRUE(verify_with_aud(Json::array({"a"}), "").ok())
      << "no audience configured: not checked";
  EXPECT_THAT(
      verify_with_aud(7, "tern"),
      RefusedWith("malformed token: claim \"aud\" is neither a string nor an array of strings"));
}

TEST_F(JwtTest, PermissionsComeFromTheNamedClaim) {
  Json payload = Payload();
  payload["https://tern.example/perms"] = {"orders:write"};
  const std::string token = Token(Header("RS256", "rsa1"), payload, k_.rsa);
  VerifyOptions options = Options();
  options.permissions_claim = "https://tern.example/perms";
  absl::StatusOr<Claims> claims = Verify(token, keys_, options);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_THAT(claims->permissions, ElementsAre("orders:write"));

  options.permissions_claim = "roles";
  claims = Verify(token, keys_, options);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_THAT(claims->permissions, IsEmpty()) << "a missing claim grants nothing";

  for (const Json& wrong : {Json("default:admin"), Json{1, 2}, Json{{"a", "b"}}}) {
    payload["permissions"] = wrong;
    EXPECT_THAT(Verify(Token(Header("RS256", "rsa1"), payload, k_.rsa), keys_, Options()),
                RefusedWith("malformed token: claim \"permissions\" is not an array of strings"))
        << wrong.dump();
  }
}

TEST_F(JwtTest, MalformedTokensAreRefusedWithoutEchoingThem) {
  const std::string header = Base64Url(R"({"alg":"RS256","kid":"rsa1"})");
  const std::string payload = Base64Url(Payload().dump());
  auto with_payload = [&](const char* key, const Json& value) {
    Json claims = Payload();
    claims[key] = value;
    return header + "." + Base64Url(claims.dump()) + ".c2ln";
  };
  const struct {
    std::string token;
    std::string message;
  } cases[] = {
      {"", "not three parts separated by dots (header.payload.signature)"},
      {"abc", "not three parts separated by dots (header.payload.signature)"},
      {header + "." + payload, "not three parts separated by dots (header.payload.signature)"},
      {header + "." + payload + ".c2ln.c2ln",
       "not three parts separated by dots (header.payload.signature)"},
      {"!!!!." + payload + ".c2ln", "header is not a base64url JSON object"},
      {header + "=." + payload + ".c2ln", "header is not a base64url JSON object"},
      {Base64Url("not json") + "." + payload + ".c2ln", "header is not a base64url JSON object"},
      {Base64Url("[1]") + "." + payload + ".c2ln", "header is not a base64url JSON object"},
      {Base64Url(R"({"alg":"RS256","kid":7})") + "." + payload + ".c2ln",
       "header \"kid\" is not a string"},
      {header + ".x.c2ln", "payload is not a base64url JSON object"},
      {header + "." + Base64Url("{\"sub\":") + ".c2ln", "payload is not a base64url JSON object"},
      {header + "." + payload + ".c2ln+", "signature is not base64url"},
      {with_payload("sub", 5), "claim \"sub\" is not a string"},
      {with_payload("iss", Json::array()), "claim \"iss\" is not a string"},
      {with_payload("exp", "tomorrow"), "claim \"exp\" is not a number"},
      {with_payload("nbf", true), "claim \"nbf\" is not a number"},
      {std::string(kMaxTokenBytes + 1, 'a'), "it is 16385 bytes, more than the 16384 accepted"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.token.substr(0, 80));
    absl::StatusOr<Claims> result = Verify(c.token, keys_, Options());
    EXPECT_THAT(result, RefusedWith("malformed token: " + c.message));
    if (c.token.size() > 8) {
      EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr(c.token)));
    }
  }
}

TEST(Base64UrlTest, DecodesOnlyUnpaddedBase64Url) {
  EXPECT_EQ(Base64UrlDecode(""), "");
  EXPECT_EQ(Base64UrlDecode("YQ"), "a");
  EXPECT_EQ(Base64UrlDecode("YWI"), "ab");
  EXPECT_EQ(Base64UrlDecode("YWJj"), "abc");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
  for (const char* bad : {"YQ==", "YW+j", "YW/j", "Y", "YWJjZ", "YW J", "YW\nJ"}) {
    EXPECT_EQ(Base64UrlDecode(bad), std::nullopt) << bad;
  }
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= every_byte.size(); length += 37) {
    EXPECT_EQ(Base64UrlDecode(Base64Url(every_byte.substr(0, length))),
              every_byte.substr(0, length));
  }
}

TEST(QuoteForMessageTest, EscapesAndCutsValues) {
  EXPECT_EQ(QuoteForMessage("k1"), "\"k1\"");
  EXPECT_EQ(QuoteForMessage("a\"b\n\x01"), R"("a\"b\n\x01")");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x')), "\"" + std::string(64, 'x') + "\"...");
}

TEST_F(JwtTest, KeySetErrorsNameTheKeyAndTheProblem) {
  Json rsa = Jwk(k_.rsa, "r1");
  Json ec = Jwk(k_.ec, "e1");
  auto with = [](Json jwk, const char* member, const Json& value) {
    if (value.is_null()) {
      jwk.erase(member);
    } else {
      jwk[member] = value;
    }
    return Jwks({Jwk(Keys().ec, "fine"), jwk});
  };
  const std::string modulus_1024 = Base64Url("\xc1" + std::string(127, '\x01'));
  const std::string modulus_even = Base64Url("\xc1" + std::string(255, '\x02'));
  const std::string ones = Base64Url(std::string(32, '\x01'));
  Json off_curve = ec;
  off_curve["x"] = ones;
  const struct {
    std::string json;
    std::string message;
  } cases[] = {
      {"not json", "JWKS is not JSON"},
      {"[]", "JWKS is not a JSON object with a \"keys\" array"},
      {R"({"keys":{}})", "JWKS is not a JSON object with a \"keys\" array"},
      {R"({"keys":[1]})", "keys[0]: not a JSON object"},
      {with(rsa, "kid", 5), "keys[1]: kid is not a string"},
      {with(rsa, "kty", nullptr), "keys[1] (kid \"r1\"): kty is missing"},
      {with(rsa, "use", 1), "keys[1] (kid \"r1\"): use is not a string"},
      {with(rsa, "key_ops", "verify"), "keys[1] (kid \"r1\"): key_ops is not an array"},
      {with(rsa, "n", nullptr), "keys[1] (kid \"r1\"): n is missing"},
      {with(rsa, "n", "AQAB="), "keys[1] (kid \"r1\"): n is not base64url"},
      {with(rsa, "e", 65537), "keys[1] (kid \"r1\"): e is not a string"},
      {with(rsa, "n", modulus_1024),
       "keys[1] (kid \"r1\"): n is a 1024-bit modulus; RS256 keys must have 2048 to 8192 bits"},
      {with(rsa, "n", modulus_even), "keys[1] (kid \"r1\"): n is even, not an RSA modulus"},
      {with(rsa, "e", "AQ"),
       "keys[1] (kid \"r1\"): e is not an RSA public exponent (an odd number from 3 to 2^64 - 1)"},
      {with(rsa, "e", "Ag"),
       "keys[1] (kid \"r1\"): e is not an RSA public exponent (an odd number from 3 to 2^64 - 1)"},
      {with(ec, "crv", nullptr), "keys[1] (kid \"e1\"): crv is missing"},
      {with(ec, "x", Base64Url(std::string(31, '\x01'))),
       "keys[1] (kid \"e1\"): x is 31 bytes, not a 32-byte P-256 coordinate"},
      {with(ec, "y", "!"), "keys[1] (kid \"e1\"): y is not base64url"},
      {with(off_curve, "y", ones), "keys[1] (kid \"e1\"): x and y are not a point on P-256"},
      {std::string(kMaxKeySetBytes + 1, ' '),
       "JWKS is 1048577 bytes, more than the 1048576 accepted"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json.substr(0, 200));
    absl::StatusOr<KeySet> set = KeySet::Parse(c.json);
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(set.status().message(), c.message);
  }
}

TEST_F(JwtTest, KeysForOtherUsesAreSkipped) {
  Json encryption = Jwk(k_.other_rsa, "enc1");
  encryption["use"] = "enc";
  Json rs512 = Jwk(k_.other_rsa, "rs512");
  rs512["alg"] = "RS512";
  Json wrap_only = Jwk(k_.other_rsa, "wrap");
  wrap_only["key_ops"] = {"wrapKey"};
  Json p384 = Jwk(k_.other_ec, "p384");
  p384["crv"] = "P-384";
  const Json hmac = {{"kty", "oct"}, {"kid", "hs"}, {"k", "c2VjcmV0"}};
  const KeySet set = ParseOrDie(
      Jwks({encryption, Jwk(k_.rsa, "rsa1"), rs512, wrap_only, p384, hmac, Jwk(k_.ec, "ec1")}));
  EXPECT_THAT(Kids(set), ElementsAre("rsa1", "ec1"));
  EXPECT_THAT(set.skipped(),
              ElementsAre("keys[0] (kid \"enc1\"): use \"enc\" is not \"sig\"",
                          "keys[2] (kid \"rs512\"): alg \"RS512\" is not supported (RS256 for RSA "
                          "keys)",
                          "keys[3] (kid \"wrap\"): key_ops does not include \"verify\"",
                          "keys[4] (kid \"p384\"): crv \"P-384\" is not supported (P-256)",
                          "keys[5] (kid \"hs\"): kty \"oct\" is not supported (RSA, EC)"));
  EXPECT_TRUE(Verify(Token(Header("ES256", "ec1"), Payload(), k_.ec), set, Options()).ok());
}

TEST_F(JwtTest, MergedSetsKeepEveryKeyOfEverySource) {
  // During a rotation two sources may publish the same kid; either key verifies it.
  const KeySet first = ParseOrDie(Jwks({Jwk(k_.rsa, "rsa1")}));
  const KeySet second = ParseOrDie(Jwks({Jwk(k_.ec, "ec1"), Jwk(k_.other_rsa, "rsa1")}));
  const KeySet merged = KeySet::Merge(std::vector<KeySet>{first, second});
  EXPECT_THAT(Kids(merged), ElementsAre("rsa1", "ec1", "rsa1"));
  for (const PrivateKey* key : {&k_.rsa, &k_.other_rsa}) {
    EXPECT_TRUE(Verify(Token(Header("RS256", "rsa1"), Payload(), *key), merged, Options()).ok());
  }
  EXPECT_THAT(Kids(KeySet::Merge({})), IsEmpty());
}

// ---- KeyProvider ---------------------------------------------------------------------------

template <typename Predicate>
bool WaitFor(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Serves `response` on 127.0.0.1 (a port of its own) until destroyed: to the first `answered`
// requests; later ones get no answer until the client hangs up.
class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(std::string response, int answered = 1'000'000)
      : response_(std::move(response)), answered_(answered) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(listener_, 8), 0);
    EXPECT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackHttpServer() {
    shutdown(listener_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(listener_);
  }

  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/jwks.json"); }
  int requests() const { return requests_; }

  static std::string Response(const std::string& status, const std::string& body) {
    return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: application/json\r\n",
                        "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
  }

 private:
  void Serve() {
    while (true) {
      const int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(connection, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      if (++requests_ > answered_) {
        // Bounded, so that a client that never hangs up fails the test instead of hanging it.
        const timeval timeout{.tv_sec = 30, .tv_usec = 0};
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        while (read(connection, buffer, sizeof(buffer)) > 0) {
        }
        close(connection);
        continue;
      }
      for (size_t sent = 0; sent < response_.size();) {
        // The client may hang up early (a body too large): no SIGPIPE.
        const ssize_t n =
            send(connection, response_.data() + sent, response_.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      close(connection);
    }
  }

  const std::string response_;
  const int answered_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

class KeyProviderTest : public JwtTest {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "jwt_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "jwks.json").string();
    uri_ = "file://" + path_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteJwks(const std::string& text) {
    // Replaced by a rename, as a deployment would, so a refresh never reads half a file.
    const std::string temporary = path_ + ".new";
    std::ofstream(temporary, std::ios::binary | std::ios::trunc) << text;
    std::filesystem::rename(temporary, path_);
  }

  bool Accepts(const KeyProvider& provider, const std::string& kid, const PrivateKey& key) {
    const char* alg = EVP_PKEY_is_a(key.get(), "EC") ? "ES256" : "RS256";
    return Verify(Token(Header(alg, kid), Payload(), key), *provider.Keys(), Options()).ok();
  }

  std::filesystem::path dir_;
  std::string path_;
  std::string uri_;
};

TEST_F(KeyProviderTest, LoadsAFileAndPicksUpItsReplacementOnRefresh) {
  WriteJwks(Jwks({Jwk(k_.rsa, "rsa1")}));
  absl::StatusOr<std::unique_ptr<KeyProvider>> provider =
      KeyProvider::Create({uri_}, absl::Hours(1));
  ASSERT_TRUE(provider.ok()) << provider.status();
  std::shared_ptr<const KeySet> before = (*provider)->Keys();
  EXPECT_THAT(Kids(*before), ElementsAre("rsa1"));
  EXPECT_TRUE(Accepts(**provider, "rsa1", k_.rsa));

  WriteJwks(Jwks({Jwk(k_.ec, "ec1")}));
  ASSERT_TRUE((*provider)->Refresh().ok());
  EXPECT_THAT(Kids(*(*provider)->Keys()), ElementsAre("ec1"));
  EXPECT_TRUE(Accepts(**provider, "ec1", k_.ec));
  EXPECT_FALSE(Accepts(**provider, "rsa1", k_.rsa));
  EXPECT_THAT(Kids(*before), ElementsAre("rsa1")) << "a snapshot does not change";
}

TEST_F(KeyProviderTest, ABrokenSourceKeepsItsPreviousKeys) {
  WriteJwks(Jwks({Jwk(k_.rsa, "rsa1")}));
  auto provider = KeyProvider::Create({uri_}, absl::Hours(1));
  ASSERT_TRUE(provider.ok()) << provider.status();
  const std::shared_ptr<const KeySet> loaded = (*provider)->Keys();

  WriteJwks(R"({"keys": [)");
  testing::internal::CaptureStdout();
  const absl::Status refreshed = (*provider)->Refresh();
  spdlog::default_logger()->flush();
  const std::string log = testing::internal::GetCapturedStdout();
  EXPECT_EQ(refreshed.message(), "JWT key source " + uri_ + ": JWKS is not JSON");
  EXPECT_THAT(log, HasSubstr("JWT key source " + uri_ +
                             ": JWKS is not JSON; keeping its "
                             "previous keys"));
  EXPECT_EQ((*provider)->Keys(), loaded);

  std::filesystem::remove(path_);
  EXPECT_THAT((*provider)->Refresh(), FailsWith(uri_ + ": cannot read " + path_));
  EXPECT_EQ((*provider)->Keys(), loaded);
  EXPECT_TRUE(Accepts(**provider, "rsa1", k_.rsa));
}

TEST_F(KeyProviderTest, CreateFailsNamingTheSourceAndTheProblem) {
  const std::string missing = "file://" + (dir_ / "missing.json").string();
  EXPECT_THAT(KeyProvider::Create({missing}, absl::Hours(1)).status(),
              FailsWith("JWT key source " + missing + ": cannot read " +
                        (dir_ / "missing.json").string() + ": No such file or directory"));
  WriteJwks(Jwks({Jwk(k_.rsa, "rsa1")}));
  EXPECT_THAT(KeyProvider::Create({uri_, "ftp://idp.example/jwks"}, absl::Hours(1)).status(),
              FailsWith("JWT key source ftp://idp.example/jwks: unsupported scheme"));
  EXPECT_THAT(KeyProvider::Create({"file://jwks.json"}, absl::Hours(1)).status(),
              FailsWith("file://jwks.json: a file URI must name an absolute path"));
  EXPECT_THAT(KeyProvider::Create({}, absl::Hours(1)).status(),
              FailsWith("no JWT key source URIs"));
  EXPECT_THAT(KeyProvider::Create({uri_}, absl::ZeroDuration()).status(),
              FailsWith("refresh interval 0 must be positive"));
}

TEST_F(KeyProviderTest, StartRefreshesOnItsOwnUntilStopped) {
  WriteJwks(Jwks({Jwk(k_.rsa, "rsa1")}));
  auto provider = KeyProvider::Create({uri_}, absl::Milliseconds(10));
  ASSERT_TRUE(provider.ok()) << provider.status();
  (*provider)->Start();
  WriteJwks(Jwks({Jwk(k_.ec, "ec1")}));
  EXPECT_TRUE(
      WaitFor([&] { return Kids(*(*provider)->Keys()) == std::vector<std::string>{"ec1"}; }));
  (*provider)->Stop();
  (*provider)->Stop();  // idempotent
}

TEST_F(KeyProviderTest, StopDoesNotWaitForTheNextRefresh) {
  WriteJwks(Jwks({Jwk(k_.rsa, "rsa1")}));
  auto provider = KeyProvider::Create({uri_}, absl::Hours(1));
  ASSERT_TRUE(provider.ok()) << provider.status();
  (*provider)->Start();
  const auto start = std::chrono::steady_clock::now();
  provider->reset();  // the destructor stops the thread
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(KeyProviderTest, ReadsHttpSources) {
  LoopbackHttpServer server(
      LoopbackHttpServer::Response("200 OK", Jwks({Jwk(k_.rsa, "rsa1"), Jwk(k_.ec, "ec1")})));
  auto provider = KeyProvider::Create({server.Url(), uri_ + ".absent"}, absl::Hours(1));
  EXPECT_THAT(provider.status(), FailsWith(uri_ + ".absent: cannot read"));
  provider = KeyProvider::Create({server.Url()}, absl::Hours(1));
  ASSERT_TRUE(provider.ok()) << provider.status();
  EXPECT_THAT(Kids(*(*provider)->Keys()), ElementsAre("rsa1", "ec1"));
  EXPECT_TRUE(Accepts(**provider, "ec1", k_.ec));
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(KeyProviderTest, StopAbortsATransferInProgress) {
  LoopbackHttpServer server(LoopbackHttpServer::Response("200 OK", Jwks({Jwk(k_.rsa, "rsa1")})),
                            /*answered=*/1);
  auto provider = KeyProvider::Create({server.Url()}, absl::Milliseconds(10));
  ASSERT_TRUE(provider.ok()) << provider.status();
  (*provider)->Start();
  ASSERT_TRUE(WaitFor([&] { return server.requests() == 2; })) << "a refresh is waiting";
  const auto start = std::chrono::steady_clock::now();
  (*provider)->Stop();
  // The transfer timeout is 10 s; a cancelled transfer ends within libcurl's ~1 s progress tick.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(Accepts(**provider, "rsa1", k_.rsa));
}

TEST_F(KeyProviderTest, HttpFailuresNameTheSource) {
  LoopbackHttpServer not_found(LoopbackHttpServer::Response("404 Not Found", "{}"));
  EXPECT_THAT(KeyProvider::Create({not_found.Url()}, absl::Hours(1)).status(),
              FailsWith("JWT key source " + not_found.Url() + ": HTTP status 404"));
  LoopbackHttpServer too_large(
      LoopbackHttpServer::Response("200 OK", std::string(kMaxKeySetBytes + 1, ' ')));
  EXPECT_THAT(KeyProvider::Create({too_large.Url()}, absl::Hours(1)).status(),
              FailsWith(too_large.Url() + ": the document is larger than 1048576 bytes"));
  std::string closed_port;
  {
    LoopbackHttpServer gone("");
    closed_port = gone.Url();
  }
  EXPECT_THAT(KeyProvider::Create({closed_port}, absl::Hours(1)).status(),
              FailsWith("JWT key source " + closed_port + ": "));
}

}  // namespace
}  // namespace tern::jwt
