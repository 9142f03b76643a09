// Value formats of the visibility query language and of stored search attributes: datetimes,
// execution durations and execution status names. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "temporal/api/enums/v1/workflow.pb.h"

namespace tern::visibility {

// The earliest and latest datetimes accepted (0001-01-01 and 9999-12-31T23:59:59.999999, UTC),
// so that every formatted datetime has a four-digit year and sorts as a string.
inline constexpr int64_t kMinDatetimeMicros = -62135596800000000;
inline constexpr int64_t kMaxDatetimeMicros = 253402300799999999;

// Parses an RFC 3339 timestamp with optional fractional seconds (up to nanoseconds) and a "Z"
// or numeric offset, e.g. "2024-05-01T10:00:00.123456789+02:00". Returns microseconds since the
// Unix epoch in UTC, truncated toward the past; nullopt when malformed or out of range.
std::optional<int64_t> ParseDatetimeMicros(std::string_view text);

// Unix nanoseconds (the integer form of a Datetime in queries) to microseconds, truncated
// toward the past.
int64_t UnixNanosToMicros(int64_t unix_nanos);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ": UTC, always six fractional digits, so that string order is time
// order. This is how Datetime attributes are stored in the search_attributes JSONB column and
// passed as SQL parameters. `unix_micros` must be within [kMinDatetimeMicros, kMaxDatetimeMicros].
std::string FormatDatetimeMicros(int64_t unix_micros);

// Parses an ExecutionDuration written as a Go-style duration ("300ms", "2h45m", "1.5h", "3d";
// units ns, us, µs, ms, s, m, h, d; optional sign), as "hh:mm:ss[.fraction]", or as a plain
// integer of nanoseconds. Returns nanoseconds; nullopt when malformed or out of int64 range.
std::optional<int64_t> ParseDurationNanos(std::string_view text);

// Parses an execution status, case-insensitively: "Running", "Completed", "Failed", "Canceled",
// "Terminated", "ContinuedAsNew", "TimedOut", "Paused", or the enum names
// ("WORKFLOW_EXECUTION_STATUS_RUNNING"). UNSPECIFIED is not accepted.
std::optional<temporal::api::enums::v1::WorkflowExecutionStatus> ParseExecutionStatus(
    std::string_view text);

// The short name of a status ("Running", "ContinuedAsNew", ...), as Elasticsearch stores it;
// "Unspecified" for anything else.
std::string_view ExecutionStatusName(int status);

}  // namespace tern::visibility
