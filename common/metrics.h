// The process-wide Prometheus registry. Components register their families on it; the process
// exposes it on every configured metrics address.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace tern {

std::shared_ptr<prometheus::Registry> MetricsRegistry();

// tern_deleted_executions_total{reason}: workflow runs deleted ("retention", "request" for
// DeleteWorkflowExecution, "namespace_deleted").
prometheus::Counter& DeletedExecutions(const std::string& reason);

}  // namespace tern
