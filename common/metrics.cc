#include "common/metrics.h"

namespace tern {

std::shared_ptr<prometheus::Registry> MetricsRegistry() {
  static auto registry = std::make_shared<prometheus::Registry>();
  return registry;
}

}  // namespace tern
