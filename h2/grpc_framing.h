// The gRPC-over-HTTP/2 encodings the server needs, as pure functions (no I/O, no clock) so each
// rule is testable as a table: the grpc-timeout header, grpc-message percent-encoding, the
// length-prefixed message framing of a unary request, and zlib decompression.
//
// Failures are absl::Status values whose codes are the gRPC status to answer with (absl and gRPC
// number their codes alike).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tern::h2 {

// "<1-8 digits><unit>", unit one of H M S m u n. Values beyond the range of nanoseconds saturate
// at nanoseconds::max(). std::nullopt when malformed.
std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value);

// grpc-message: bytes outside 0x20-0x7E, and '%', become "%XX" (upper-case hex).
std::string PercentEncode(std::string_view text);

// The request message of a unary call, fed the DATA of its stream as it arrives. Each message is
// a 1-byte compressed flag, a 4-byte big-endian length and the message; a unary call carries
// exactly one. Oversized messages are refused as soon as their declared length is known, so they
// are never buffered.
class MessageReader {
 public:
  explicit MessageReader(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Errors: RESOURCE_EXHAUSTED when the declared length exceeds max_bytes, INTERNAL for a bad
  // compressed flag or a second message. After an error the reader must not be fed again.
  absl::Status Append(std::string_view data);
  // At the end of the stream: INTERNAL when no message or only part of one arrived.
  absl::Status Finish() const;

  bool compressed() const { return prefix_[0] == 1; }
  // The message bytes (still compressed when compressed()); valid after Finish() succeeded.
  std::string& message() { return message_; }

 private:
  size_t max_bytes_;
  unsigned char prefix_[5] = {};
  size_t prefix_len_ = 0;
  size_t length_ = 0;
  std::string message_;
};

// The message a request with the compressed flag set carries, inflated per `encoding` (the
// grpc-encoding header): "gzip" or "deflate" (zlib format). UNIMPLEMENTED for any other encoding,
// INTERNAL for "" / "identity" or corrupt data, RESOURCE_EXHAUSTED when the result would exceed
// max_bytes. Reuses one zlib stream per thread.
absl::StatusOr<std::string> Decompress(std::string_view encoding, std::string_view data,
                                       size_t max_bytes);

}  // namespace tern::h2
