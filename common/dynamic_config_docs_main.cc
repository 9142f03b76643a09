// tern-dynamic-config-docs: prints the table of dynamic-config keys (markdown).
//   tern-dynamic-config-docs                 print it
//   tern-dynamic-config-docs --update FILE   replace the generated part of FILE with it
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "common/dynamic_config_keys.h"

namespace dc = tern::dynamicconfig;

int main(int argc, char** argv) {
  const std::string table = dc::KeysMarkdown();
  if (argc == 1) {
    std::cout << table;
    return 0;
  }
  if (argc != 3 || std::string(argv[1]) != "--update") {
    std::cerr << "usage: " << argv[0] << " [--update FILE]\n";
    return 2;
  }
  const std::string path = argv[2];
  std::stringstream buffer;
  buffer << std::ifstream(path).rdbuf();
  std::string doc = buffer.str();
  size_t begin = doc.find(dc::kDocsBegin);
  size_t end = doc.find(dc::kDocsEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    std::cerr << path << ": missing the lines " << dc::kDocsBegin << " and " << dc::kDocsEnd
              << "\n";
    return 1;
  }
  begin += dc::kDocsBegin.size() + 1;
  doc.replace(begin, end - begin, table);
  std::ofstream(path) << doc;
  return 0;
}
