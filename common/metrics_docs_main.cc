// tern-metrics-docs: prints the table of every metric (markdown).
//   tern-metrics-docs                 print it
//   tern-metrics-docs --update FILE   replace the generated part of FILE (docs/operations.md)
#include "common/generated_docs.h"
#include "common/metrics.h"

int main(int argc, char** argv) {
  namespace m = tern::metrics;
  return tern::GeneratedDocsMain(argc, argv, m::MetricsMarkdown(), {m::kDocsBegin, m::kDocsEnd});
}
