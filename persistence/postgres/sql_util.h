// Small helpers shared by the PostgreSQL stores. Internal to persistence/postgres.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "google/protobuf/message_lite.h"
#include "google/protobuf/timestamp.pb.h"

namespace tern::persistence::postgres {

// Every blob column has an encoding column beside it; this is the only encoding written so far.
inline constexpr char kEncodingProto3[] = "proto3";

// A bytea parameter holding the serialized message.
inline pqxx::binarystring Blob(const google::protobuf::MessageLite& message) {
  return pqxx::binarystring(message.SerializeAsString());
}

// Parses a bytea column (with its encoding column) into `out`.
inline absl::Status ParseBlob(const pqxx::field& data, const pqxx::field& encoding,
                              google::protobuf::MessageLite& out) {
  absl::string_view enc = encoding.c_str();
  if (enc != kEncodingProto3) {
    return absl::DataLossError(
        absl::StrCat("unknown blob encoding '", enc, "' in ", out.GetTypeName()));
  }
  pqxx::binarystring bytes(data);
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("corrupt ", out.GetTypeName(), " blob"));
  }
  return absl::OkStatus();
}

// A PostgreSQL bigint[] literal, for `= ANY($n::bigint[])`.
inline std::string BigintArray(const std::vector<int64_t>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// A PostgreSQL array literal built element by element, for `unnest($n::text[], ...)`: one
// parameter carries a column of many rows. Elements are quoted, so any text (or a number's or a
// timestamp's text form, cast by the statement) is safe.
class ArrayLiteral {
 public:
  void Add(std::string_view value) {
    Open();
    text_ += '"';
    // Appends the runs between the characters to escape whole. memchr (vectorized) finds the
    // next quote and the next backslash: most values have neither, and are appended at once.
    const char* run = value.data();
    const char* const end = run + value.size();
    const char* quote = Find(run, end, '"');
    const char* backslash = Find(run, end, '\\');
    while (quote != end || backslash != end) {
      const char* special = std::min(quote, backslash);
      text_.append(run, special);
      text_ += '\\';
      run = special;  // the character itself opens the next run
      if (special == quote) {
        quote = Find(special + 1, end, '"');
      } else {
        backslash = Find(special + 1, end, '\\');
      }
    }
    text_.append(run, end);
    text_ += "\"}";
  }
  void Add(int64_t value) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    Add(std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  void AddNull() {
    Open();
    text_ += "NULL}";
  }
  // `value`, or NULL when it is empty.
  void AddOrNull(std::string_view value) { value.empty() ? AddNull() : Add(value); }
  // The literal, always complete (no copy made to finish it); from an rvalue, moved out.
  const std::string& Finish() const& { return text_; }
  std::string Finish() && { return std::move(text_); }

 private:
  // The first `c` in [from, end), or end.
  static const char* Find(const char* from, const char* end, char c) {
    const void* at = std::memchr(from, c, static_cast<size_t>(end - from));
    return at != nullptr ? static_cast<const char*>(at) : end;
  }
  // Reopens the literal for one more element.
  void Open() {
    text_.pop_back();
    if (text_.size() > 1) text_ += ',';
  }

  std::string text_ = "{}";
};

// A bytea[] parameter in PostgreSQL's binary array format (what array_recv reads), for
// `unnest($n::bytea[])`: the blobs of many rows travel as they are, not as hex text.
class ByteaArray {
 public:
  ByteaArray() : array_(kHeaderBytes, '\0') {}

  void Add(std::string_view bytes) {
    AddWritten([bytes](std::string& out) { out.append(bytes); });
  }
  // `message` serialized straight into the array.
  void AddMessage(const google::protobuf::MessageLite& message) {
    AddWritten([&message](std::string& out) { message.AppendToString(&out); });
  }
  // One element that `write(out)` appends to `out`.
  template <typename Write>
  void AddWritten(Write&& write) {
    const size_t at = array_.size();
    AppendInt32(array_, 0);
    write(array_);
    WriteInt32(&array_[at], static_cast<int32_t>(array_.size() - at - 4));
    ++count_;
  }
  // The parameter (its one copy of the bytes: pqxx's binarystring copies what it is given).
  pqxx::binarystring Finish() {
    constexpr int32_t kByteaOid = 17;
    // An empty array has no dimension, so its header is two fields shorter.
    char* header = &array_[count_ == 0 ? 8 : 0];
    const auto put = [&header](int32_t value) {
      WriteInt32(header, value);
      header += 4;
    };
    put(count_ == 0 ? 0 : 1);  // dimensions
    put(0);                    // no NULL elements
    put(kByteaOid);
    if (count_ > 0) {
      put(count_);  // length of the dimension
      put(1);       // its lower bound
    }
    const size_t skip = count_ == 0 ? 8 : 0;
    return pqxx::binarystring(array_.data() + skip, array_.size() - skip);
  }

 private:
  static constexpr size_t kHeaderBytes = 20;  // five int32 fields before the elements

  static void WriteInt32(char* at, int32_t value) {
    auto v = static_cast<uint32_t>(value);
    for (int shift = 24; shift >= 0; shift -= 8) *at++ = static_cast<char>((v >> shift) & 0xff);
  }
  static void AppendInt32(std::string& out, int32_t value) {
    char bytes[4];
    WriteInt32(bytes, value);
    out.append(bytes, 4);
  }
  std::string array_;  // the header's room, then each element: its length and its bytes
  int32_t count_ = 0;
};

// Times as microseconds since the epoch (common/clock.h).
using tern::FromMicros;
using tern::ToMicros;

}  // namespace tern::persistence::postgres
