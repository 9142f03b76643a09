#include "common/generated_docs.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace tern {
namespace {

// [first, last) of the text between the markers.
std::optional<std::pair<size_t, size_t>> SectionRange(const std::string& doc,
                                                      GeneratedSection section) {
  size_t begin = doc.find(section.begin);
  size_t end = doc.find(section.end);
  if (begin == std::string::npos || end == std::string::npos || end < begin) return std::nullopt;
  begin += section.begin.size() + 1;
  if (begin > end) return std::nullopt;
  return std::make_pair(begin, end);
}

}  // namespace

std::string ReadTextFile(const std::string& path) {
  std::stringstream buffer;
  buffer << std::ifstream(path).rdbuf();
  return buffer.str();
}

std::optional<std::string> SectionText(const std::string& doc, GeneratedSection section) {
  auto range = SectionRange(doc, section);
  if (!range) return std::nullopt;
  return doc.substr(range->first, range->second - range->first);
}

int GeneratedDocsMain(int argc, char** argv, const std::string& table, GeneratedSection section) {
  if (argc == 1) {
    std::cout << table;
    return 0;
  }
  if (argc != 3 || std::string(argv[1]) != "--update") {
    std::cerr << "usage: " << argv[0] << " [--update FILE]\n";
    return 2;
  }
  const std::string path = argv[2];
  std::string doc = ReadTextFile(path);
  auto range = SectionRange(doc, section);
  if (!range) {
    std::cerr << path << ": missing the lines " << section.begin << " and " << section.end << "\n";
    return 1;
  }
  doc.replace(range->first, range->second - range->first, table);
  std::ofstream(path) << doc;
  return 0;
}

}  // namespace tern
