// libFuzzer target for tern::jwt (common/jwt.h, common/jwt_keys.h); `scripts/fuzz jwt` builds and
// runs it, tests/fuzz/README.md says how.
//
// Every input is parsed as a JWKS document. It is also split at its first newline or NUL: the
// part before is a token, verified against the fixed keys of $JWT_FUZZ_JWKS merged with the keys
// of the part after (when that parses as a JWKS), so kid selection over fuzzed keys is reached.
// Beyond the sanitizers, one property is checked: a token that verifies has not expired.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "common/jwt.h"

namespace {

using tern::jwt::KeySet;

// The seeds' tokens are valid at this instant (scripts/fuzz jwt signs them for it).
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

const KeySet* fixed_keys = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("JWT_FUZZ_JWKS");
  if (path == nullptr) {
    std::fprintf(stderr, "jwt_fuzz: JWT_FUZZ_JWKS must name a JWKS file (scripts/fuzz jwt)\n");
    std::abort();
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<KeySet> keys = KeySet::Parse(text.str());
  if (!keys.ok() || keys->keys().empty()) {
    std::fprintf(stderr, "jwt_fuzz: %s holds no usable key: %s\n", path,
                 std::string(keys.status().message()).c_str());
    std::abort();
  }
  fixed_keys = new KeySet(*std::move(keys));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  KeySet::Parse(input).status().IgnoreError();

  const size_t split = input.find_first_of(std::string_view("\n\0", 2));
  KeySet keys = *fixed_keys;
  if (split != std::string_view::npos) {
    if (absl::StatusOr<KeySet> extra = KeySet::Parse(input.substr(split + 1)); extra.ok()) {
      const KeySet both[] = {*fixed_keys, *std::move(extra)};
      keys = KeySet::Merge(both);
    }
  }
  tern::jwt::VerifyOptions options;
  options.now = kNow;
  options.audience = "tern";
  options.leeway = absl::Seconds(30);
  absl::StatusOr<tern::jwt::Claims> claims =
      tern::jwt::Verify(input.substr(0, split), keys, options);
  if (claims.ok() && claims->expires + options.leeway <= options.now) std::abort();
  return 0;
}
