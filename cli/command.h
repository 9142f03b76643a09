// A small command tree for the `tern` CLI: groups ("operator", "namespace") hold subcommands,
// leaves hold a handler. Flags declared on a command are inherited by all its descendants, so
// the global flags live on the root and `--config` on the `schema` group.
//
// Syntax: `--name value`, `--name=value`, `-n value`, `-nvalue`; boolean flags take no value
// (`--tls`, or `--tls=false`); `--` ends flag parsing; `--help`/`-h` is accepted everywhere and
// shows the help of the deepest command named before it. A flag value comes from the command
// line, else from the flag's environment variable, else from its default. Flag values are
// checked while parsing (durations, integers, choices), so handlers see only valid values. A
// repeated flag keeps every value in order (`--name A --type Int --name B --type Bool`); any
// other flag keeps the last one.
//
// Exit codes of Run: 0 success or help, 1 the handler failed, 2 usage error. Every failure is
// one line on the error stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tern::cli {

enum class FlagType {
  kString,
  kBool,      // no value on the command line; "true"/"false" from --flag=... or the environment
  kDuration,  // tern::ParseDuration syntax: 30d, 72h, 1h30m, 500ms
  kInt,       // a non-negative decimal integer
  kChoice,    // one of FlagSpec::choices, in any letter case; handlers see the choice's spelling
};

struct FlagSpec {
  std::string name;     // long name without dashes
  char short_name = 0;  // 0 = none; 'h' is reserved for help
  FlagType type = FlagType::kString;
  std::string value_name;  // shown in help, e.g. "DURATION"
  std::string help;
  std::string default_value;         // used when neither the command line nor `env` gives one
  std::string env;                   // environment variable consulted before the default
  std::vector<std::string> choices;  // for kChoice
  bool required = false;
  bool repeated = false;  // may be given several times; read with ParsedFlags::GetAll
  // Other environment variables for the same value (the Temporal CLI's names), consulted in
  // order after `env`.
  std::vector<std::string> env_aliases = {};
};

// Reads an environment variable; injected so tests are hermetic.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> ProcessEnv(const std::string& name);

// The values of every flag visible to the resolved command.
class ParsedFlags {
 public:
  // True if the command line or the environment set the flag (defaults do not count).
  bool Has(const std::string& name) const;
  // The value (command line, environment or default); for a repeated flag the last one, "" when
  // it was not given. Asserts the flag is declared.
  const std::string& Get(const std::string& name) const;
  // Every value, in command-line order. A repeated flag not on the command line has its
  // environment value or default, or no value when both are empty. Asserts the flag is declared.
  const std::vector<std::string>& GetAll(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  std::chrono::milliseconds GetDuration(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;

  // Used by the parser.
  void Set(const FlagSpec& spec, std::vector<std::string> values, bool explicitly);

 private:
  struct Value {
    FlagType type;
    std::vector<std::string> texts;
    bool explicitly;
  };
  const Value& Find(const std::string& name) const;
  std::map<std::string, Value> values_;
};

class Command;

// What a handler gets: the resolved command, its flags and positional arguments, the streams
// to print to (stdout/stderr in the binary, string streams in tests), and the terminal to ask
// for confirmation on: stdin when it is a terminal, else nullptr (a script, a pipe, a test), in
// which case a command that needs confirmation refuses unless --yes is given.
struct Invocation {
  const Command& command;
  const ParsedFlags& flags;
  const std::vector<std::string>& args;
  std::ostream& out;
  std::ostream& err;
  std::istream* terminal = nullptr;
};

// A failed handler returns the error; Run prints "<command path>: <message>" and exits 1.
using Handler = std::function<absl::Status(const Invocation&)>;

class Command {
 public:
  Command(std::string name, std::string summary);
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  // Adds a child and returns it (owned by this command).
  Command& AddSubcommand(std::string name, std::string summary);
  // Returns *this, so declarations chain.
  Command& AddFlag(FlagSpec spec);
  Command& SetHandler(Handler handler);
  Command& SetDescription(std::string description);
  // Allows up to `max_args` positional arguments, described as `usage` in help ("[NAME]").
  Command& SetArgs(std::string usage, int max_args);

  const std::string& name() const { return name_; }
  const std::string& summary() const { return summary_; }
  const Command* parent() const { return parent_; }
  const std::vector<std::unique_ptr<Command>>& subcommands() const { return subcommands_; }
  const std::vector<FlagSpec>& flags() const { return flags_; }
  const Handler& handler() const { return handler_; }
  int max_args() const { return max_args_; }

  // "tern operator namespace create".
  std::string Path() const;
  // The help text printed for --help.
  std::string Help() const;
  // The flag named `name` (long name, or a one-letter short name) declared on this command or
  // an ancestor, nearest first.
  const FlagSpec* FindFlag(const std::string& name, bool is_short) const;
  const Command* FindSubcommand(const std::string& name) const;

 private:
  std::string name_;
  std::string summary_;
  std::string description_;
  std::string args_usage_;
  int max_args_ = 0;
  Command* parent_ = nullptr;
  std::vector<std::unique_ptr<Command>> subcommands_;
  std::vector<FlagSpec> flags_;
  Handler handler_;
};

struct ParseResult {
  const Command* command = nullptr;  // the deepest command named
  bool help = false;                 // show command->Help() instead of running
  ParsedFlags flags;
  std::vector<std::string> args;
};

// Resolves `args` (argv without the program name) against the tree. Errors are usage errors
// (InvalidArgument) whose message names the command, e.g. "tern operator namespace create:
// unknown flag --retnetion (did you mean --retention?)".
absl::StatusOr<ParseResult> Parse(const Command& root, const std::vector<std::string>& args,
                                  const EnvLookup& env = ProcessEnv);

// Parses and runs; returns the exit code (see the top of this file). `terminal` is passed to
// the handler as Invocation::terminal.
int Run(const Command& root, const std::vector<std::string>& args, std::ostream& out,
        std::ostream& err, const EnvLookup& env = ProcessEnv, std::istream* terminal = nullptr);

}  // namespace tern::cli
