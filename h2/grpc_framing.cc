#include "h2/grpc_framing.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"

namespace tern::h2 {

std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t amount = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    amount = amount * 10 + (c - '0');
  }
  int64_t unit_ns;
  switch (value.back()) {
    case 'H':
      unit_ns = int64_t{3'600'000'000'000};
      break;
    case 'M':
      unit_ns = int64_t{60'000'000'000};
      break;
    case 'S':
      unit_ns = 1'000'000'000;
      break;
    case 'm':
      unit_ns = 1'000'000;
      break;
    case 'u':
      unit_ns = 1'000;
      break;
    case 'n':
      unit_ns = 1;
      break;
    default:
      return std::nullopt;
  }
  // 99999999H is about 3.6e20 ns, past int64: saturate rather than wrap.
  if (amount > std::numeric_limits<int64_t>::max() / unit_ns) {
    return std::chrono::nanoseconds::max();
  }
  return std::chrono::nanoseconds(amount * unit_ns);
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7E || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

absl::Status MessageReader::Append(std::string_view data) {
  while (!data.empty()) {
    if (prefix_len_ < sizeof prefix_) {
      size_t n = std::min(sizeof prefix_ - prefix_len_, data.size());
      memcpy(prefix_ + prefix_len_, data.data(), n);
      prefix_len_ += n;
      data.remove_prefix(n);
      if (prefix_len_ < sizeof prefix_) break;
      if (prefix_[0] > 1) {
        return absl::InternalError(
            absl::StrCat("invalid compressed flag ", prefix_[0], " in the request message"));
      }
      length_ = size_t{prefix_[1]} << 24 | size_t{prefix_[2]} << 16 | size_t{prefix_[3]} << 8 |
                size_t{prefix_[4]};
      if (length_ > max_bytes_) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "request message of ", length_, " bytes exceeds the limit of ", max_bytes_, " bytes"));
      }
      // A client may declare a length and never send it: grow with what arrives beyond 1 MiB.
      message_.reserve(std::min<size_t>(length_, 1 << 20));
      continue;
    }
    if (message_.size() == length_) {
      return absl::InternalError("a unary request carries more than one message");
    }
    size_t n = std::min(length_ - message_.size(), data.size());
    message_.append(data.data(), n);
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::Status MessageReader::Finish() const {
  if (prefix_len_ == 0) return absl::InternalError("a unary request carries no message");
  if (prefix_len_ < sizeof prefix_ || message_.size() < length_) {
    return absl::InternalError(absl::StrCat("the request ended inside its message (",
                                            message_.size(), " of ", length_, " bytes)"));
  }
  return absl::OkStatus();
}

namespace {

// One inflate stream per thread, reset (inflateReset2) for each message instead of set up anew.
struct Inflater {
  z_stream z{};
  bool ready = false;
  ~Inflater() {
    if (ready) inflateEnd(&z);
  }
};

// The SDKs' core compresses every request with gzip, whose trailer states the inflated size:
// libdeflate inflates the whole message into a buffer of that size in one call, at about half
// zlib's instructions. Anything else than a clean, complete inflation of exactly that size
// (including a size over `max_bytes`) returns nullopt, and zlib's careful path decides.
std::optional<std::string> InflateGzipFast(std::string_view data, size_t max_bytes) {
  constexpr size_t kGzipOverhead = 18;  // header (10) + trailer (8)
  if (data.size() < kGzipOverhead) return std::nullopt;
  const auto* trailer = reinterpret_cast<const unsigned char*>(data.data() + data.size() - 4);
  const size_t size =
      trailer[0] | (trailer[1] << 8) | (trailer[2] << 16) | (static_cast<size_t>(trailer[3]) << 24);
  if (size > max_bytes) return std::nullopt;
  struct Decompressor {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~Decompressor() { libdeflate_free_decompressor(d); }
  };
  thread_local Decompressor decompressor;
  if (decompressor.d == nullptr) return std::nullopt;
  std::string out(size, '\0');
  size_t consumed = 0;
  size_t produced = 0;
  if (libdeflate_gzip_decompress_ex(decompressor.d, data.data(), data.size(), out.data(), size,
                                    &consumed, &produced) != LIBDEFLATE_SUCCESS ||
      consumed != data.size() || produced != size) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> Decompress(std::string_view encoding, std::string_view data,
                                       size_t max_bytes) {
  const std::string name(encoding);  // for messages (this absl's StrCat takes no std::string_view)
  int window_bits;
  if (encoding == "gzip") {
    window_bits = 15 + 16;  // gzip header and trailer
  } else if (encoding == "deflate") {
    window_bits = 15;  // zlib format, as gRPC's "deflate" is
  } else if (encoding.empty() || encoding == "identity") {
    return absl::InternalError("the request message is flagged compressed without grpc-encoding");
  } else {
    return absl::UnimplementedError(
        absl::StrCat("grpc-encoding ", name, " is not supported (identity, deflate, gzip are)"));
  }
  if (encoding == "gzip") {
    if (std::optional<std::string> inflated = InflateGzipFast(data, max_bytes))
      return std::move(*inflated);
  }
  thread_local Inflater inflater;
  z_stream& z = inflater.z;
  int rc = inflater.ready ? inflateReset2(&z, window_bits) : inflateInit2(&z, window_bits);
  if (rc != Z_OK) return absl::InternalError(absl::StrCat("zlib: cannot start inflating: ", rc));
  inflater.ready = true;

  // One byte past the limit tells "exactly max_bytes" from "more".
  const size_t cap = max_bytes + 1;
  std::string out(std::min(cap, std::max<size_t>(4096, data.size() * 4)), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  size_t produced = 0;
  auto too_large = [&] {
    return absl::ResourceExhaustedError(absl::StrCat("request message of ", data.size(),
                                                     " bytes inflates past the limit of ",
                                                     max_bytes, " bytes (", name, ")"));
  };
  for (;;) {
    if (produced == out.size()) {
      if (out.size() == cap) return too_large();
      out.resize(std::min(cap, out.size() * 2));
    }
    size_t room = std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max());
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(room);
    rc = inflate(&z, Z_NO_FLUSH);
    produced += room - z.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && z.avail_out != 0) {
      return absl::InternalError(absl::StrCat("the ", name, " request message is truncated"));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::InternalError(absl::StrCat(
          "the ", name, " request message is corrupt: ", z.msg != nullptr ? z.msg : "zlib error"));
    }
  }
  if (produced > max_bytes) return too_large();
  if (z.avail_in != 0) {
    return absl::InternalError(
        absl::StrCat("the ", name, " request message has data after its end"));
  }
  out.resize(produced);
  return out;
}

}  // namespace tern::h2
