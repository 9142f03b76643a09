#include "services/scheduler/jitter.h"

#include <algorithm>
#include <bit>
#include <string>

namespace tern::scheduler {
namespace {

constexpr uint32_t kC1 = 0xcc9e2d51;
constexpr uint32_t kC2 = 0x1b873593;

uint32_t Load32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

uint32_t RotateRight(uint32_t value, int bits) { return std::rotr(value, bits); }

uint32_t FinalMix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

uint32_t Combine(uint32_t a, uint32_t h) {
  a *= kC1;
  a = RotateRight(a, 17);
  a *= kC2;
  h ^= a;
  h = RotateRight(h, 19);
  return h * 5 + 0xe6546b64;
}

uint32_t HashUpTo4(const char* s, size_t len) {
  uint32_t b = 0;
  uint32_t c = 9;
  for (size_t i = 0; i < len; ++i) {
    b = b * kC1 + static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(s[i])));
    c ^= b;
  }
  return FinalMix(Combine(b, Combine(static_cast<uint32_t>(len), c)));
}

uint32_t Hash5To12(const char* s, size_t len) {
  uint32_t a = static_cast<uint32_t>(len);
  uint32_t b = static_cast<uint32_t>(len * 5);
  uint32_t c = 9;
  const uint32_t d = b;
  a += Load32(s);
  b += Load32(s + len - 4);
  c += Load32(s + ((len >> 1) & 4));
  return FinalMix(Combine(c, Combine(b, Combine(a, d))));
}

uint32_t Hash13To24(const char* s, size_t len) {
  uint32_t a = Load32(s - 4 + (len >> 1));
  const uint32_t b = Load32(s + 4);
  const uint32_t c = Load32(s + len - 8);
  const uint32_t d = Load32(s + (len >> 1));
  const uint32_t e = Load32(s);
  const uint32_t f = Load32(s + len - 4);
  uint32_t h = d * kC1 + static_cast<uint32_t>(len);
  a = RotateRight(a, 12) + f;
  h = Combine(c, h) + a;
  a = RotateRight(a, 3) + c;
  h = Combine(e, h) + a;
  a = RotateRight(a + f, 12) + d;
  h = Combine(b, h) + a;
  return FinalMix(h);
}

uint32_t Scramble(uint32_t word) { return RotateRight(word * kC1, 17) * kC2; }

// Mixes `value` into `h` the way the long-input path folds its tail words.
uint32_t Fold(uint32_t h, uint32_t value) { return RotateRight(h ^ value, 19) * 5 + 0xe6546b64; }

}  // namespace

uint32_t Fingerprint32(absl::string_view bytes) {
  const char* s = bytes.data();
  const size_t len = bytes.size();
  if (len <= 4) return HashUpTo4(s, len);
  if (len <= 12) return Hash5To12(s, len);
  if (len <= 24) return Hash13To24(s, len);

  uint32_t h = static_cast<uint32_t>(len);
  uint32_t g = kC1 * static_cast<uint32_t>(len);
  uint32_t f = g;
  h = Fold(Fold(h, Scramble(Load32(s + len - 4))), Scramble(Load32(s + len - 16)));
  g = Fold(Fold(g, Scramble(Load32(s + len - 8))), Scramble(Load32(s + len - 12)));
  f = RotateRight(f + Scramble(Load32(s + len - 20)), 19) + 113;
  for (size_t blocks = (len - 1) / 20; blocks > 0; --blocks, s += 20) {
    const uint32_t a = Load32(s);
    const uint32_t b = Load32(s + 4);
    const uint32_t c = Load32(s + 8);
    const uint32_t d = Load32(s + 12);
    const uint32_t e = Load32(s + 16);
    h = Combine(d, h + a) + e;
    g = Combine(c, g + b) + a;
    f = Combine(b + e * kC1, f + c) + d;
    f += g;
    g += f;
  }
  g = RotateRight(RotateRight(g, 11) * kC1, 17) * kC1;
  f = RotateRight(RotateRight(f, 11) * kC1, 17) * kC1;
  h = RotateRight(h + g, 19) * 5 + 0xe6546b64;
  h = RotateRight(h, 17) * kC1;
  h = RotateRight(h + f, 19) * 5 + 0xe6546b64;
  h = RotateRight(h, 17) * kC1;
  return h;
}

std::chrono::milliseconds JitterFor(int64_t nominal_unix_seconds, absl::string_view seed,
                                    std::chrono::nanoseconds max_jitter) {
  const int64_t max_millis = std::chrono::duration_cast<std::chrono::milliseconds>(max_jitter)
                                 .count();  // truncates toward zero, like Go's Milliseconds()
  if (max_millis <= 0) return std::chrono::milliseconds(0);
  // Go's binary form of a UTC time.Time: version 1, seconds since 0001-01-01 and nanoseconds
  // (both big-endian), then the zone offset in minutes, -1 meaning UTC.
  constexpr int64_t kUnixToYearOne = 62'135'596'800;
  const uint64_t seconds = static_cast<uint64_t>(nominal_unix_seconds + kUnixToYearOne);
  std::string input;
  input.reserve(15 + seed.size());
  input.push_back(1);
  for (int shift = 56; shift >= 0; shift -= 8) {
    input.push_back(static_cast<char>(seconds >> shift & 0xff));
  }
  input.append(4, '\0');  // nanoseconds: nominal times are whole seconds
  input.append(2, '\xff');
  input.append(seed.data(), seed.size());

  const uint64_t range = std::min<uint64_t>(static_cast<uint64_t>(max_millis), 0xffffffff);
  const uint64_t fingerprint = Fingerprint32(input);
  return std::chrono::milliseconds(static_cast<int64_t>((fingerprint * range) >> 32));
}

}  // namespace tern::scheduler
