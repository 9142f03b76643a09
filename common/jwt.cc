#include "common/jwt.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace tern::jwt {

namespace {

using Json = nlohmann::json;

absl::Status Refused(const std::string& message) { return absl::UnauthenticatedError(message); }

absl::Status Malformed(const std::string& what) {
  return absl::UnauthenticatedError(absl::StrCat("malformed token: ", what));
}

std::string TimeForMessage(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// ["a", "b"], quoted and cut short like every token value in a message.
std::string ListForMessage(const std::vector<std::string>& values) {
  constexpr size_t kMaxListed = 8;
  std::string out = "[";
  for (size_t i = 0; i < values.size() && i < kMaxListed; ++i) {
    absl::StrAppend(&out, i ? ", " : "", QuoteForMessage(values[i]));
  }
  if (values.size() > kMaxListed) absl::StrAppend(&out, ", ... (", values.size(), " in all)");
  return out + "]";
}

// A token's parts, decoded and type-checked. None of it is trusted before CheckSignature.
struct ParsedToken {
  Algorithm algorithm = Algorithm::kRS256;
  std::optional<std::string> kid;
  std::string_view signing_input;  // "header.payload", the bytes signed
  std::string signature;
  Claims claims;
  std::optional<absl::Time> not_before;
  std::optional<absl::Time> issued_at;
};

std::optional<Json> DecodeJsonObject(std::string_view part) {
  std::optional<std::string> text = Base64UrlDecode(part);
  if (!text) return std::nullopt;
  Json value = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

absl::StatusOr<Algorithm> ReadAlgorithm(const Json& header) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Malformed("header has no \"alg\" string");
  const std::string& name = alg->get_ref<const std::string&>();
  for (Algorithm accepted : {Algorithm::kRS256, Algorithm::kES256}) {
    if (name == AlgorithmName(accepted)) return accepted;
  }
  return Refused(
      absl::StrCat("token algorithm ", QuoteForMessage(name), " is not accepted (RS256, ES256)"));
}

absl::Status StringClaim(const Json& payload, const char* name, std::string* out) {
  auto it = payload.find(name);
  if (it == payload.end()) return absl::OkStatus();
  if (!it->is_string()) return Malformed(absl::StrCat("claim \"", name, "\" is not a string"));
  *out = it->get_ref<const std::string&>();
  return absl::OkStatus();
}

// An absent claim is an empty list; `aud` may also be a single string (RFC 7519 section 4.1.3).
absl::StatusOr<std::vector<std::string>> ListClaim(const Json& payload, const std::string& name,
                                                   bool single_string_allowed) {
  std::vector<std::string> out;
  auto it = payload.find(name);
  if (it == payload.end()) return out;
  if (single_string_allowed && it->is_string()) {
    out.push_back(it->get_ref<const std::string&>());
    return out;
  }
  if (it->is_array() &&
      std::all_of(it->begin(), it->end(), [](const Json& value) { return value.is_string(); })) {
    for (const Json& value : *it) out.push_back(value.get_ref<const std::string&>());
    return out;
  }
  return Malformed(absl::StrCat("claim ", QuoteForMessage(name),
                                single_string_allowed ? " is neither a string nor " : " is not ",
                                "an array of strings"));
}

// NumericDate (RFC 7519 section 2): seconds since the epoch, possibly fractional. Values beyond
// absl::Time's range saturate to the infinite past or future.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const Json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::nullopt;
  if (!it->is_number()) return Malformed(absl::StrCat("claim \"", name, "\" is not a number"));
  return absl::UnixEpoch() + absl::Seconds(it->get<double>());
}

absl::StatusOr<ParsedToken> ParseToken(std::string_view token,
                                       const std::string& permissions_claim) {
  if (token.size() > kMaxTokenBytes) {
    return Malformed(absl::StrCat("it is ", token.size(), " bytes, more than the ", kMaxTokenBytes,
                                  " accepted"));
  }
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Malformed("not three parts separated by dots (header.payload.signature)");
  }
  ParsedToken parsed;
  parsed.signing_input = token.substr(0, second_dot);

  std::optional<Json> header = DecodeJsonObject(token.substr(0, first_dot));
  if (!header) return Malformed("header is not a base64url JSON object");
  ASSIGN_OR_RETURN(parsed.algorithm, ReadAlgorithm(*header));
  // RFC 7515 section 4.1.11: extensions listed in crit must be understood; we know none.
  if (header->contains("crit")) return Refused("token header lists critical extensions (crit)");
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string()) return Malformed("header \"kid\" is not a string");
    parsed.kid = kid->get_ref<const std::string&>();
  }

  std::optional<Json> payload =
      DecodeJsonObject(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!payload) return Malformed("payload is not a base64url JSON object");
  std::optional<std::string> signature = Base64UrlDecode(token.substr(second_dot + 1));
  if (!signature) return Malformed("signature is not base64url");
  parsed.signature = *std::move(signature);

  Claims& claims = parsed.claims;
  RETURN_IF_ERROR(StringClaim(*payload, "sub", &claims.subject));
  RETURN_IF_ERROR(StringClaim(*payload, "iss", &claims.issuer));
  ASSIGN_OR_RETURN(claims.audiences, ListClaim(*payload, "aud", true));
  ASSIGN_OR_RETURN(claims.permissions, ListClaim(*payload, permissions_claim, false));
  ASSIGN_OR_RETURN(std::optional<absl::Time> expires, TimeClaim(*payload, "exp"));
  if (!expires) return Refused("token has no expiry (exp); tokens without one are refused");
  claims.expires = *expires;
  ASSIGN_OR_RETURN(parsed.not_before, TimeClaim(*payload, "nbf"));
  ASSIGN_OR_RETURN(parsed.issued_at, TimeClaim(*payload, "iat"));
  return parsed;
}

absl::Status CheckSignature(const ParsedToken& token, const KeySet& keys) {
  const std::string alg = QuoteForMessage(AlgorithmName(token.algorithm));
  const std::string kid = token.kid ? QuoteForMessage(*token.kid) : "";
  // The keys the token may be signed with: those it names, or all when it names none.
  std::vector<const PublicKey*> named;
  for (const PublicKey& key : keys.keys()) {
    if (!token.kid || key.kid() == *token.kid) named.push_back(&key);
  }
  if (token.kid && named.empty()) return Refused(absl::StrCat("token names unknown key id ", kid));
  bool algorithm_matched = false;
  for (const PublicKey* key : named) {
    if (key->algorithm() != token.algorithm) continue;
    algorithm_matched = true;
    if (key->Verifies(token.signing_input, token.signature)) return absl::OkStatus();
  }
  if (!token.kid) {
    return Refused(algorithm_matched ? absl::StrCat("token signature does not verify with any ",
                                                    alg, " key (the token names no key id)")
                                     : absl::StrCat("no key accepts ", alg,
                                                    " tokens (the token names no key id)"));
  }
  if (!algorithm_matched) {
    return Refused(absl::StrCat("token algorithm ", alg, " does not match key ", kid, " (",
                                AlgorithmName(named.front()->algorithm()), ")"));
  }
  return Refused(absl::StrCat("token signature does not verify with key ", kid));
}

absl::Status CheckClaims(const ParsedToken& token, const VerifyOptions& options) {
  const Claims& claims = token.claims;
  if (options.now >= claims.expires + options.leeway) {
    return Refused(absl::StrCat("token expired at ", TimeForMessage(claims.expires)));
  }
  if (token.not_before && options.now + options.leeway < *token.not_before) {
    return Refused(absl::StrCat("token is not valid before ", TimeForMessage(*token.not_before)));
  }
  if (token.issued_at && *token.issued_at > options.now + options.leeway) {
    return Refused(
        absl::StrCat("token issue time ", TimeForMessage(*token.issued_at), " is in the future"));
  }
  if (!options.audience.empty() && std::find(claims.audiences.begin(), claims.audiences.end(),
                                             options.audience) == claims.audiences.end()) {
    const std::string wanted = QuoteForMessage(options.audience);
    if (claims.audiences.empty()) {
      return Refused(absl::StrCat("token has no audience (aud); ", wanted, " is required"));
    }
    return Refused(absl::StrCat("token audience ", ListForMessage(claims.audiences),
                                " does not include ", wanted));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Claims> Verify(std::string_view token, const KeySet& keys,
                              const VerifyOptions& options) {
  ASSIGN_OR_RETURN(ParsedToken parsed, ParseToken(token, options.permissions_claim));
  RETURN_IF_ERROR(CheckSignature(parsed, keys));
  RETURN_IF_ERROR(CheckClaims(parsed, options));
  return std::move(parsed.claims);
}

}  // namespace tern::jwt
