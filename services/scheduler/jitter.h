// Deterministic jitter for schedule fire times, computed the way Temporal's scheduler does
// (service/worker/scheduler/spec.go, CompiledSpec.addJitter), so that a schedule moved between
// the two servers, or recomputed after a restart, jitters each nominal time identically.
#pragma once

#include <chrono>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace tern::scheduler {

// FarmHash's 32-bit fingerprint (farmhashmk Hash32, as github.com/dgryski/go-farm's
// Fingerprint32). Stable across platforms and versions by definition of a fingerprint.
uint32_t Fingerprint32(absl::string_view bytes);

// The jitter for `nominal_unix_seconds`: a whole number of milliseconds in [0, max_jitter),
// drawn from the fingerprint of the nominal time (as Go's time.MarshalBinary encodes a UTC
// time) followed by `seed`. Zero when max_jitter is below 1 ms; max_jitter is capped at
// 2^32-1 ms (about 49 days), as Temporal caps it.
std::chrono::milliseconds JitterFor(int64_t nominal_unix_seconds, absl::string_view seed,
                                    std::chrono::nanoseconds max_jitter);

}  // namespace tern::scheduler
