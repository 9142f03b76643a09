// Tables generated from code that live in a markdown file between two marker lines (the
// dynamic-config keys in docs/dynamic-config.md, the metrics in docs/operations.md). Each has a
// tool that prints or rewrites its table, and a unit test that fails while the file is stale.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern {

struct GeneratedSection {
  std::string_view begin;  // the marker line before the table
  std::string_view end;    // the marker line after it
};

// The whole file; "" if it cannot be read.
std::string ReadTextFile(const std::string& path);
// The text between the markers, or nullopt if they are missing or out of order.
std::optional<std::string> SectionText(const std::string& doc, GeneratedSection section);

// main() of a docs tool: no arguments prints `table`; `--update FILE` rewrites FILE's section.
int GeneratedDocsMain(int argc, char** argv, const std::string& table, GeneratedSection section);

}  // namespace tern
