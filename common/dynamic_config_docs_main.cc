// tern-dynamic-config-docs: prints the table of dynamic-config keys (markdown).
//   tern-dynamic-config-docs                 print it
//   tern-dynamic-config-docs --update FILE   replace the generated part of FILE with it
#include "common/dynamic_config_keys.h"
#include "common/generated_docs.h"

int main(int argc, char** argv) {
  namespace dc = tern::dynamicconfig;
  return tern::GeneratedDocsMain(argc, argv, dc::KeysMarkdown(), {dc::kDocsBegin, dc::kDocsEnd});
}
