// The one place that wraps the stores a process opens in their decorators
// (decorators/store_decorators.h), so no service sees an undecorated store: each call is
// retried while it fails transiently (RetryPolicy, outermost) and every attempt is measured
// (MetricsPolicy).
#pragma once

#include "common/clock.h"
#include "persistence/decorators/policies.h"
#include "persistence/store.h"

namespace tern::persistence {

// Returns `stores` with every non-null store decorated. `clock` times backoff and latency and
// must outlive the stores.
Stores DecorateStores(const Stores& stores, const Clock& clock, RetryOptions retry = {});

}  // namespace tern::persistence
