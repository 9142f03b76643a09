// Printing results as aligned text (--output table, the default) or JSON (--output json, the
// protobuf JSON mapping with camelCase names, as Temporal's CLI prints it).
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "google/protobuf/message.h"

namespace tern::cli {

bool JsonOutput(const ParsedFlags& flags);

// One message as indented JSON.
void PrintJson(std::ostream& out, const google::protobuf::Message& message);

// "Key  value" lines with the values aligned.
void PrintFields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

// A header row and aligned columns; the last column is not padded.
void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace tern::cli
