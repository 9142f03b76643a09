#include "cli/output.h"

#include <algorithm>
#include <cassert>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace tern::cli {
namespace {

constexpr char kYesFlag[] = "yes";

// IndexedValueType -> INDEXED_VALUE_TYPE_, the prefix protobuf style gives every value name.
std::string ValuePrefix(const std::string& enum_name) {
  std::string prefix;
  for (size_t i = 0; i < enum_name.size(); ++i) {
    if (i > 0 && absl::ascii_isupper(enum_name[i])) prefix += '_';
    prefix += absl::ascii_toupper(enum_name[i]);
  }
  return prefix + "_";
}

}  // namespace

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

void PrintDone(const Invocation& inv, const google::protobuf::Message& response,
               absl::string_view done) {
  if (JsonOutput(inv.flags)) {
    PrintJson(inv.out, response);
  } else {
    inv.out << done << "\n";
  }
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

std::string EnumDisplayName(const google::protobuf::EnumDescriptor& type, int value) {
  const google::protobuf::EnumValueDescriptor* descriptor = type.FindValueByNumber(value);
  if (descriptor == nullptr) return absl::StrCat(value);
  absl::string_view name = descriptor->name();
  absl::ConsumePrefix(&name, ValuePrefix(type.name()));
  std::string display;
  for (absl::string_view word : absl::StrSplit(name, '_', absl::SkipEmpty())) {
    absl::StrAppend(&display, absl::AsciiStrToUpper(word.substr(0, 1)),
                    absl::AsciiStrToLower(word.substr(1)));
  }
  return display;
}

std::optional<int> EnumFromDisplayName(const google::protobuf::EnumDescriptor& type,
                                       absl::string_view name) {
  for (int i = 0; i < type.value_count(); ++i) {
    int number = type.value(i)->number();
    if (absl::EqualsIgnoreCase(EnumDisplayName(type, number), name)) return number;
  }
  return std::nullopt;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "";
  return google::protobuf::util::TimeUtil::ToString(timestamp);
}

FlagSpec ConfirmFlag() {
  return {.name = kYesFlag,
          .short_name = 'y',
          .type = FlagType::kBool,
          .help = "Do not ask for confirmation"};
}

absl::Status Confirm(const Invocation& inv, absl::string_view action) {
  if (inv.flags.GetBool(kYesFlag)) return absl::OkStatus();
  if (inv.terminal == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to ", action, " without confirmation: stdin is not a terminal, add --yes"));
  }
  inv.err << "Really " << action << "? [y/N] " << std::flush;
  std::string answer;
  std::getline(*inv.terminal, answer);
  answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  if (answer == "y" || answer == "yes") return absl::OkStatus();
  return absl::CancelledError(absl::StrCat("did not ", action, ": not confirmed"));
}

}  // namespace tern::cli
