// The process-wide Prometheus registry. Components register their families on it; the process
// exposes it on every configured metrics address.
#pragma once

#include <prometheus/registry.h>

#include <memory>

namespace tern {

std::shared_ptr<prometheus::Registry> MetricsRegistry();

}  // namespace tern
