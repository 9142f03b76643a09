#include "cli/command.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/config.h"

namespace tern::cli {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The candidate within two edits of `word`, or "".
std::string Closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

// Checks `value` against the flag's type and returns a description of the problem, or "". A
// choice given in another letter case is replaced by the choice's own spelling.
std::string CheckValue(const FlagSpec& spec, std::string* value) {
  switch (spec.type) {
    case FlagType::kString:
      return "";
    case FlagType::kBool:
      return *value == "true" || *value == "false" || *value == "1" || *value == "0"
                 ? ""
                 : "must be true or false";
    case FlagType::kDuration: {
      absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(*value);
      return d.ok() ? "" : std::string(d.status().message());
    }
    case FlagType::kInt: {
      int64_t parsed;
      bool digits =
          !value->empty() && std::all_of(value->begin(), value->end(), absl::ascii_isdigit);
      return digits && absl::SimpleAtoi(*value, &parsed) ? "" : "must be a non-negative integer";
    }
    case FlagType::kChoice:
      for (const std::string& choice : spec.choices) {
        if (absl::EqualsIgnoreCase(choice, *value)) {
          *value = choice;
          return "";
        }
      }
      return absl::StrCat("must be one of ", absl::StrJoin(spec.choices, ", "));
  }
  return "";
}

std::string FlagUsage(const FlagSpec& spec) {
  std::string text = spec.short_name != 0
                         ? absl::StrCat("  -", std::string(1, spec.short_name), ", --", spec.name)
                         : absl::StrCat("      --", spec.name);
  if (spec.type != FlagType::kBool) {
    absl::StrAppend(&text, " ", spec.value_name.empty() ? "VALUE" : spec.value_name);
  }
  return text;
}

// The environment variables that may set `spec`, in the order they are consulted.
std::vector<std::string> EnvNames(const FlagSpec& spec) {
  std::vector<std::string> names;
  if (!spec.env.empty()) names.push_back(spec.env);
  names.insert(names.end(), spec.env_aliases.begin(), spec.env_aliases.end());
  return names;
}

std::string FlagHelp(const FlagSpec& spec) {
  std::string text = spec.help;
  std::vector<std::string> notes;
  if (spec.type == FlagType::kChoice) {
    notes.push_back(absl::StrCat("one of ", absl::StrJoin(spec.choices, ", ")));
  }
  if (spec.required) notes.push_back("required");
  if (spec.repeated) notes.push_back("repeatable");
  if (!spec.default_value.empty()) notes.push_back(absl::StrCat("default ", spec.default_value));
  if (std::vector<std::string> names = EnvNames(spec); !names.empty()) {
    notes.push_back(absl::StrCat("env ", absl::StrJoin(names, ", ")));
  }
  if (!notes.empty()) absl::StrAppend(&text, " (", absl::StrJoin(notes, "; "), ")");
  return text;
}

void AppendFlagSection(std::string* out, const std::string& title,
                       const std::vector<FlagSpec>& flags) {
  if (flags.empty()) return;
  size_t width = 0;
  for (const FlagSpec& spec : flags) width = std::max(width, FlagUsage(spec).size());
  absl::StrAppend(out, "\n", title, ":\n");
  for (const FlagSpec& spec : flags) {
    std::string usage = FlagUsage(spec);
    absl::StrAppend(out, usage, std::string(width - usage.size() + 3, ' '), FlagHelp(spec), "\n");
  }
}

const FlagSpec kHelpFlag{.name = "help",
                         .short_name = 'h',
                         .type = FlagType::kBool,
                         .help = "Show help for this command"};

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// ---- ParsedFlags -------------------------------------------------------------------------------

const ParsedFlags::Value& ParsedFlags::Find(const std::string& name) const {
  auto it = values_.find(name);
  assert(it != values_.end() && "flag not declared on this command or its ancestors");
  return it->second;
}

bool ParsedFlags::Has(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second.explicitly;
}

const std::string& ParsedFlags::Get(const std::string& name) const {
  static const std::string kEmpty;
  const Value& value = Find(name);
  return value.texts.empty() ? kEmpty : value.texts.back();
}

const std::vector<std::string>& ParsedFlags::GetAll(const std::string& name) const {
  return Find(name).texts;
}

bool ParsedFlags::GetBool(const std::string& name) const {
  const std::string& text = Get(name);
  return text == "true" || text == "1";
}

std::chrono::milliseconds ParsedFlags::GetDuration(const std::string& name) const {
  const std::string& text = Get(name);
  if (text.empty()) return std::chrono::milliseconds(0);
  absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(text);
  assert(d.ok() && "durations are validated while parsing");
  return *d;
}

int64_t ParsedFlags::GetInt(const std::string& name) const {
  const std::string& text = Get(name);
  int64_t value = 0;
  if (text.empty()) return value;
  bool ok = absl::SimpleAtoi(text, &value);
  assert(ok && "integers are validated while parsing");
  (void)ok;
  return value;
}

void ParsedFlags::Set(const FlagSpec& spec, std::vector<std::string> values, bool explicitly) {
  values_[spec.name] = Value{spec.type, std::move(values), explicitly};
}

// ---- Command -----------------------------------------------------------------------------------

Command::Command(std::string name, std::string summary)
    : name_(std::move(name)), summary_(std::move(summary)) {}

Command& Command::AddSubcommand(std::string name, std::string summary) {
  assert(FindSubcommand(name) == nullptr);
  subcommands_.push_back(std::make_unique<Command>(std::move(name), std::move(summary)));
  subcommands_.back()->parent_ = this;
  return *subcommands_.back();
}

Command& Command::AddFlag(FlagSpec spec) {
  assert(!spec.name.empty() && spec.name != "help" && spec.short_name != 'h');
  assert(FindFlag(spec.name, false) == nullptr && "flag already declared on an ancestor");
  flags_.push_back(std::move(spec));
  return *this;
}

Command& Command::SetHandler(Handler handler) {
  handler_ = std::move(handler);
  return *this;
}

Command& Command::SetDescription(std::string description) {
  description_ = std::move(description);
  return *this;
}

Command& Command::SetArgs(std::string usage, int max_args) {
  args_usage_ = std::move(usage);
  max_args_ = max_args;
  return *this;
}

std::string Command::Path() const {
  return parent_ == nullptr ? name_ : absl::StrCat(parent_->Path(), " ", name_);
}

const FlagSpec* Command::FindFlag(const std::string& name, bool is_short) const {
  for (const Command* c = this; c != nullptr; c = c->parent_) {
    for (const FlagSpec& spec : c->flags_) {
      if (is_short ? (name.size() == 1 && spec.short_name == name[0]) : spec.name == name) {
        return &spec;
      }
    }
  }
  return nullptr;
}

const Command* Command::FindSubcommand(const std::string& name) const {
  for (const auto& child : subcommands_) {
    if (child->name_ == name) return child.get();
  }
  return nullptr;
}

std::string Command::Help() const {
  std::string out = description_.empty() ? summary_ : description_;
  absl::StrAppend(&out, "\n\nUsage:\n  ", Path());
  if (!subcommands_.empty()) absl::StrAppend(&out, " <command>");
  absl::StrAppend(&out, " [flags]");
  if (!args_usage_.empty()) absl::StrAppend(&out, " ", args_usage_);
  absl::StrAppend(&out, "\n");

  if (!subcommands_.empty()) {
    size_t width = 0;
    for (const auto& child : subcommands_) width = std::max(width, child->name_.size());
    absl::StrAppend(&out, "\nCommands:\n");
    for (const auto& child : subcommands_) {
      absl::StrAppend(&out, "  ", child->name_, std::string(width - child->name_.size() + 3, ' '),
                      child->summary_, "\n");
    }
  }

  std::vector<FlagSpec> own = flags_;
  own.push_back(kHelpFlag);
  AppendFlagSection(&out, "Flags", own);
  std::vector<FlagSpec> inherited;
  for (const Command* c = parent_; c != nullptr; c = c->parent_) {
    inherited.insert(inherited.end(), c->flags_.begin(), c->flags_.end());
  }
  AppendFlagSection(&out, "Global flags", inherited);

  if (!subcommands_.empty()) {
    absl::StrAppend(&out, "\nRun '", Path(), " <command> --help' for more about a command.\n");
  }
  return out;
}

// ---- parsing -----------------------------------------------------------------------------------

absl::StatusOr<ParseResult> Parse(const Command& root, const std::vector<std::string>& args,
                                  const EnvLookup& env) {
  ParseResult result;
  const Command* command = &root;
  // Command-line values by flag name: every occurrence of a repeated flag, else the last one.
  std::map<std::string, std::vector<std::string>> given;
  bool flags_ended = false;
  // --help anywhere (before "--") wins over every other problem on the line.
  bool wants_help = false;
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") wants_help = true;
  }
  auto usage_error = [&](const std::string& message) -> absl::StatusOr<ParseResult> {
    if (wants_help) {
      ParseResult help;
      help.command = command;
      help.help = true;
      return help;
    }
    return absl::InvalidArgumentError(
        absl::StrCat(command->Path(), ": ", message, " (see '", command->Path(), " --help')"));
  };

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!flags_ended && arg == "--") {
      flags_ended = true;
      continue;
    }
    if (!flags_ended && (arg == "--help" || arg == "-h")) continue;
    if (!flags_ended && arg.size() > 1 && arg[0] == '-') {
      bool is_short = arg[1] != '-';
      std::string name;
      std::optional<std::string> inline_value;
      if (is_short) {
        name = arg.substr(1, 1);
        if (arg.size() > 2) inline_value = arg.substr(arg[2] == '=' ? 3 : 2);
      } else {
        size_t eq = arg.find('=');
        name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        if (eq != std::string::npos) inline_value = arg.substr(eq + 1);
      }
      const FlagSpec* spec = command->FindFlag(name, is_short);
      if (spec == nullptr) {
        std::string message = absl::StrCat("unknown flag ", is_short ? "-" : "--", name);
        if (!is_short) {
          std::vector<std::string> names;
          for (const Command* c = command; c != nullptr; c = c->parent()) {
            for (const FlagSpec& f : c->flags()) names.push_back(f.name);
          }
          std::string suggestion = Closest(name, names);
          if (!suggestion.empty()) absl::StrAppend(&message, " (did you mean --", suggestion, "?)");
        }
        return usage_error(message);
      }
      std::string value;
      if (spec->type == FlagType::kBool) {
        value = inline_value.value_or("true");
      } else if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return usage_error(absl::StrCat("flag --", spec->name, " needs a value"));
      }
      std::string problem = CheckValue(*spec, &value);
      if (!problem.empty()) {
        return usage_error(
            absl::StrCat("invalid value \"", value, "\" for --", spec->name, ": ", problem));
      }
      std::vector<std::string>& values = given[spec->name];
      if (!spec->repeated) values.clear();
      values.push_back(std::move(value));
      continue;
    }
    if (!command->subcommands().empty() && result.args.empty()) {
      const Command* child = command->FindSubcommand(arg);
      if (child == nullptr) {
        std::vector<std::string> names;
        for (const auto& c : command->subcommands()) names.push_back(c->name());
        std::string message = absl::StrCat("unknown command \"", arg, "\"");
        std::string suggestion = Closest(arg, names);
        if (!suggestion.empty()) absl::StrAppend(&message, " (did you mean \"", suggestion, "\"?)");
        return usage_error(message);
      }
      command = child;
      continue;
    }
    result.args.push_back(arg);
  }

  result.command = command;
  // A group named without a subcommand shows its help, as cobra-based CLIs do.
  if (wants_help || (!command->subcommands().empty() && !command->handler())) {
    result.help = true;
    return result;
  }
  if (static_cast<int>(result.args.size()) > command->max_args()) {
    return usage_error(
        absl::StrCat("unexpected argument \"", result.args[command->max_args()], "\""));
  }
  // Flags given for an ancestor before the subcommand was named were resolved against the
  // ancestor; FindFlag from the leaf finds the same spec, so one pass over the chain suffices.
  for (const Command* c = command; c != nullptr; c = c->parent()) {
    for (const FlagSpec& spec : c->flags()) {
      auto it = given.find(spec.name);
      if (it != given.end()) {
        result.flags.Set(spec, it->second, /*explicitly=*/true);
        continue;
      }
      std::optional<std::string> from_env;
      std::string env_name;
      for (const std::string& name : EnvNames(spec)) {
        from_env = env(name);
        env_name = name;
        if (from_env && !from_env->empty()) break;
      }
      if (from_env && !from_env->empty()) {
        std::string problem = CheckValue(spec, &*from_env);
        if (!problem.empty()) {
          return usage_error(absl::StrCat("invalid value \"", *from_env, "\" for --", spec.name,
                                          " (from $", env_name, "): ", problem));
        }
        result.flags.Set(spec, {*from_env}, /*explicitly=*/true);
        continue;
      }
      if (spec.required) return usage_error(absl::StrCat("missing required flag --", spec.name));
      std::vector<std::string> defaults;
      if (!spec.default_value.empty() || !spec.repeated) defaults.push_back(spec.default_value);
      result.flags.Set(spec, std::move(defaults), /*explicitly=*/false);
    }
  }
  return result;
}

int Run(const Command& root, const std::vector<std::string>& args, std::ostream& out,
        std::ostream& err, const EnvLookup& env, std::istream* terminal) {
  absl::StatusOr<ParseResult> parsed = Parse(root, args, env);
  if (!parsed.ok()) {
    err << parsed.status().message() << "\n";
    return 2;
  }
  if (parsed->help) {
    out << parsed->command->Help();
    return 0;
  }
  Invocation invocation{*parsed->command, parsed->flags, parsed->args, out, err, terminal};
  absl::Status status = parsed->command->handler()(invocation);
  if (!status.ok()) {
    // One line, whatever the server or libpq put in the message.
    std::vector<absl::string_view> words =
        absl::StrSplit(status.message(), absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
    err << parsed->command->Path() << ": " << absl::StrJoin(words, " ") << "\n";
    return 1;
  }
  return 0;
}

}  // namespace tern::cli
