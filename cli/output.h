// Printing results as aligned text (--output table, the default) or JSON (--output json, the
// protobuf JSON mapping with camelCase names, as Temporal's CLI prints it), and asking the user
// to confirm destructive commands.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"
#include "google/protobuf/generated_enum_reflection.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace tern::cli {

bool JsonOutput(const ParsedFlags& flags);

// One message as indented JSON.
void PrintJson(std::ostream& out, const google::protobuf::Message& message);

// For commands whose answer is an acknowledgement: `response` as JSON with --output json, else
// the line `done`.
void PrintDone(const Invocation& inv, const google::protobuf::Message& response,
               absl::string_view done);

// "Key  value" lines with the values aligned.
void PrintFields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

// A header row and aligned columns; the last column is not padded.
void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

// An enum value as Temporal's CLI shows it: the name without the enum's own prefix, in
// PascalCase (EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> WorkflowExecutionStarted,
// INDEXED_VALUE_TYPE_KEYWORD_LIST -> KeywordList); the number for a value the descriptor lacks.
std::string EnumDisplayName(const google::protobuf::EnumDescriptor& type, int value);
template <typename Enum>
std::string EnumDisplayName(Enum value) {
  return EnumDisplayName(*google::protobuf::GetEnumDescriptor<Enum>(), static_cast<int>(value));
}
// The value whose display name is `name` in any letter case ("keywordlist" -> 7).
std::optional<int> EnumFromDisplayName(const google::protobuf::EnumDescriptor& type,
                                       absl::string_view name);

// RFC 3339 in UTC ("2024-05-01T10:00:00.123Z"); "" for an unset timestamp.
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

// The --yes/-y flag of commands that Confirm.
FlagSpec ConfirmFlag();

// Lets a destructive command go ahead: at once with --yes; else asks "Really <action>? [y/N]" on
// Invocation::terminal (the question on the error stream) and succeeds only for y or yes. With
// no terminal it fails without asking, naming --yes.
absl::Status Confirm(const Invocation& inv, absl::string_view action);

}  // namespace tern::cli
