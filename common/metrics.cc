#include "common/metrics.h"

namespace tern {

std::shared_ptr<prometheus::Registry> MetricsRegistry() {
  static auto registry = std::make_shared<prometheus::Registry>();
  return registry;
}

prometheus::Counter& DeletedExecutions(const std::string& reason) {
  static auto& family = prometheus::BuildCounter()
                            .Name("tern_deleted_executions_total")
                            .Help("Workflow runs deleted (state, history, visibility), by reason")
                            .Register(*MetricsRegistry());
  return family.Add({{"reason", reason}});
}

}  // namespace tern
