// Small helpers shared by the PostgreSQL stores. Internal to persistence/postgres.
#pragma once

#include <chrono>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

inline int64_t ToMicros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

inline int64_t ToMicros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point FromMicros(int64_t micros) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(micros)));
}

}  // namespace tern::persistence::postgres
