#include "cli/output.h"

#include <algorithm>
#include <cassert>

#include "cli/app.h"
#include "google/protobuf/util/json_util.h"

namespace tern::cli {

bool JsonOutput(const ParsedFlags& flags) { return flags.Get(kOutputFlag) == "json"; }

void PrintJson(std::ostream& out, const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  // Printing a well-formed message cannot fail (no Any with unknown types in our output).
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  assert(status.ok());
  (void)status;
  out << json;
  if (json.empty() || json.back() != '\n') out << "\n";
}

void PrintFields(std::ostream& out,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size());
  for (const auto& [key, value] : fields) {
    out << key << std::string(width - key.size() + 2, ' ') << value << "\n";
  }
}

void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(headers.size());
  for (size_t c = 0; c < headers.size(); ++c) widths[c] = headers[c].size();
  for (const auto& row : rows) {
    assert(row.size() == headers.size());
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) {
      out << row[c];
      if (c + 1 < row.size()) out << std::string(widths[c] - row[c].size() + 2, ' ');
    }
    out << "\n";
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
}

}  // namespace tern::cli
