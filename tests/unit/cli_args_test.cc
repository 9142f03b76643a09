// Argument parsing of the `tern` CLI: the command tree helper (cli/command.h) on a small tree,
// the real tree from BuildApp for the checks that happen before any server is contacted, and
// the output helpers that need no server either.
#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/command.h"
#include "cli/output.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "temporal/api/enums/v1/common.pb.h"
#include "temporal/api/enums/v1/event_type.pb.h"
#include "temporal/api/enums/v1/namespace.pb.h"
#include "temporal/api/enums/v1/workflow.pb.h"

namespace tern::cli {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
const EnvLookup kNoEnv = FakeEnv({});

// tern [--address A] [-n NS] [--verbose]
//   group [--config FILE (required)]
//     leaf [--retention D] [--color red|blue] [--limit N] [--tag T]... [ARG]
//   other
class CommandTreeTest : public ::testing::Test {
 protected:
  CommandTreeTest() : root_("tool", "A tool") {
    root_
        .AddFlag({.name = "address",
                  .value_name = "HOST:PORT",
                  .help = "Where",
                  .default_value = "127.0.0.1:7233",
                  .env = "TOOL_ADDRESS"})
        .AddFlag({.name = "namespace",
                  .short_name = 'n',
                  .help = "Namespace",
                  .default_value = "default"})
        .AddFlag({.name = "verbose", .type = FlagType::kBool, .help = "Talk more"});
    Command& group = root_.AddSubcommand("group", "A group");
    group.AddFlag({.name = "config", .help = "Config", .env = "TOOL_CONFIG", .required = true});
    group.AddSubcommand("leaf", "A leaf")
        .SetArgs("[ARG]", 1)
        .AddFlag({.name = "retention", .type = FlagType::kDuration, .default_value = "72h"})
        .AddFlag({.name = "color",
                  .type = FlagType::kChoice,
                  .default_value = "red",
                  .choices = {"red", "blue"}})
        .AddFlag({.name = "limit", .type = FlagType::kInt, .default_value = "0"})
        .AddFlag({.name = "tag", .repeated = true})
        .SetHandler([this](const Invocation& inv) {
          ran_ = true;
          inv.out << "retention=" << inv.flags.GetDuration("retention").count();
          if (inv.flags.Get("color") == "blue") return absl::NotFoundError("no blue\nhere");
          return absl::OkStatus();
        });
    root_.AddSubcommand("other", "Another").SetHandler([](const Invocation&) {
      return absl::OkStatus();
    });
  }

  absl::StatusOr<ParseResult> Parse(std::vector<std::string> args, EnvLookup env = kNoEnv) {
    return cli::Parse(root_, args, env);
  }
  // Runs and returns the exit code; output in out_, err_.
  int RunArgs(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return cli::Run(root_, args, out_, err_, kNoEnv);
  }
  std::string ParseError(std::vector<std::string> args) {
    absl::StatusOr<ParseResult> r = Parse(std::move(args));
    EXPECT_FALSE(r.ok());
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  }

  Command root_;
  bool ran_ = false;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandTreeTest, ResolvesLeafWithDefaults) {
  absl::StatusOr<ParseResult> r = Parse({"group", "leaf", "--config", "c.yaml"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->command->Path(), "tool group leaf");
  EXPECT_FALSE(r->help);
  EXPECT_EQ(r->flags.Get("address"), "127.0.0.1:7233");
  EXPECT_FALSE(r->flags.Has("address"));
  EXPECT_EQ(r->flags.Get("namespace"), "default");
  EXPECT_FALSE(r->flags.GetBool("verbose"));
  EXPECT_EQ(r->flags.GetDuration("retention"), std::chrono::hours(72));
  EXPECT_TRUE(r->flags.Has("config"));
  EXPECT_EQ(r->flags.Get("config"), "c.yaml");
  EXPECT_TRUE(r->args.empty());
}

TEST_F(CommandTreeTest, FlagSyntaxes) {
  absl::StatusOr<ParseResult> r = Parse({"--address=h:1", "group", "-nfoo", "leaf", "--config=c",
                                         "--retention", "30d", "--verbose", "positional"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("address"), "h:1");
  EXPECT_TRUE(r->flags.Has("address"));
  EXPECT_EQ(r->flags.Get("namespace"), "foo");
  EXPECT_EQ(r->flags.Get("config"), "c");
  EXPECT_EQ(r->flags.GetDuration("retention"), std::chrono::hours(24 * 30));
  EXPECT_TRUE(r->flags.GetBool("verbose"));
  EXPECT_EQ(r->args, std::vector<std::string>{"positional"});

  r = Parse({"group", "leaf", "-n", "bar", "-n=baz", "--config", "c", "--verbose=false"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("namespace"), "baz");  // the last one wins
  EXPECT_FALSE(r->flags.GetBool("verbose"));
  EXPECT_TRUE(r->flags.Has("verbose"));
}

TEST_F(CommandTreeTest, RepeatedFlagKeepsEveryValueInOrder) {
  absl::StatusOr<ParseResult> r =
      Parse({"group", "leaf", "--config", "c", "--tag", "b", "--tag=a", "--tag", "b"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.GetAll("tag"), (std::vector<std::string>{"b", "a", "b"}));
  EXPECT_EQ(r->flags.Get("tag"), "b");
  EXPECT_TRUE(r->flags.Has("tag"));
  // Not given and no default: no values at all.
  r = Parse({"group", "leaf", "--config", "c"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->flags.GetAll("tag").empty());
  EXPECT_EQ(r->flags.Get("tag"), "");
  EXPECT_FALSE(r->flags.Has("tag"));
  // A single-valued flag has its one value in GetAll too.
  EXPECT_EQ(r->flags.GetAll("color"), std::vector<std::string>{"red"});
}

TEST_F(CommandTreeTest, IntegerFlags) {
  absl::StatusOr<ParseResult> r = Parse({"group", "leaf", "--config", "c", "--limit", "250"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.GetInt("limit"), 250);
  r = Parse({"group", "leaf", "--config", "c"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.GetInt("limit"), 0);
  for (const char* bad : {"-1", "ten", "", "1e3", "+5", "99999999999999999999"}) {
    EXPECT_THAT(ParseError({"group", "leaf", "--config", "c", "--limit", bad}),
                HasSubstr("for --limit: must be a non-negative integer"))
        << bad;
  }
}

TEST_F(CommandTreeTest, ChoicesInAnyCaseBecomeTheChoicesSpelling) {
  absl::StatusOr<ParseResult> r = Parse({"group", "leaf", "--config", "c", "--color", "BLUE"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("color"), "blue");
}

TEST_F(CommandTreeTest, DoubleDashEndsFlags) {
  absl::StatusOr<ParseResult> r = Parse({"group", "leaf", "--config", "c", "--", "--help"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->help);
  EXPECT_EQ(r->args, std::vector<std::string>{"--help"});
}

TEST_F(CommandTreeTest, EnvironmentBeforeDefaultAfterCommandLine) {
  EnvLookup env = FakeEnv({{"TOOL_ADDRESS", "env:7"}, {"TOOL_CONFIG", "env.yaml"}});
  absl::StatusOr<ParseResult> r = Parse({"group", "leaf"}, env);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("address"), "env:7");
  EXPECT_TRUE(r->flags.Has("address"));
  EXPECT_EQ(r->flags.Get("config"), "env.yaml");
  r = Parse({"group", "leaf", "--address", "cli:8"}, env);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("address"), "cli:8");
  // An empty variable counts as unset.
  r = Parse({"group", "leaf", "--config", "c"}, FakeEnv({{"TOOL_ADDRESS", ""}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("address"), "127.0.0.1:7233");
}

TEST_F(CommandTreeTest, UsageErrorsNameTheCommandAndProblem) {
  EXPECT_THAT(
      ParseError({"group", "leaf", "--config", "c", "--retnetion", "1d"}),
      AllOf(StartsWith("tool group leaf: unknown flag --retnetion"),
            HasSubstr("did you mean --retention?"), HasSubstr("see 'tool group leaf --help'")));
  EXPECT_THAT(ParseError({"-x"}), StartsWith("tool: unknown flag -x"));
  // A leaf's flag is unknown before the leaf is named.
  EXPECT_THAT(ParseError({"--retention", "1d", "group", "leaf"}),
              StartsWith("tool: unknown flag --retention"));
  EXPECT_THAT(ParseError({"gruop"}), AllOf(StartsWith("tool: unknown command \"gruop\""),
                                           HasSubstr("did you mean \"group\"?")));
  EXPECT_THAT(ParseError({"group", "leaf", "--config"}),
              StartsWith("tool group leaf: flag --config needs a value"));
  EXPECT_THAT(ParseError({"group", "leaf", "--config", "c", "--retention", "10"}),
              AllOf(StartsWith("tool group leaf: invalid value \"10\" for --retention: "),
                    HasSubstr("missing unit")));
  EXPECT_THAT(ParseError({"group", "leaf", "--config", "c", "--color", "green"}),
              HasSubstr("invalid value \"green\" for --color: must be one of red, blue"));
  EXPECT_THAT(ParseError({"group", "leaf", "--config", "c", "--verbose=maybe"}),
              HasSubstr("invalid value \"maybe\" for --verbose: must be true or false"));
  EXPECT_THAT(ParseError({"group", "leaf"}),
              StartsWith("tool group leaf: missing required flag --config"));
  EXPECT_THAT(ParseError({"group", "leaf", "--config", "c", "a", "b"}),
              StartsWith("tool group leaf: unexpected argument \"b\""));
  EXPECT_THAT(ParseError({"other", "x"}), StartsWith("tool other: unexpected argument \"x\""));
}

TEST_F(CommandTreeTest, InvalidEnvironmentValueNamesTheVariable) {
  Command root("tool", "t");
  root.AddFlag({.name = "timeout", .type = FlagType::kDuration, .env = "TOOL_TIMEOUT"})
      .SetHandler([](const Invocation&) { return absl::OkStatus(); });
  absl::StatusOr<ParseResult> r = cli::Parse(root, {}, FakeEnv({{"TOOL_TIMEOUT", "soon"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("invalid value \"soon\" for --timeout (from $TOOL_TIMEOUT)"));
}

TEST_F(CommandTreeTest, EnvironmentAliasesAreConsultedInOrder) {
  Command root("tool", "t");
  root.AddFlag({.name = "cert", .env = "TOOL_CERT", .env_aliases = {"OTHER_CERT", "THIRD_CERT"}})
      .SetHandler([](const Invocation&) { return absl::OkStatus(); });
  auto cert = [&root](std::map<std::string, std::string> vars) {
    absl::StatusOr<ParseResult> r = cli::Parse(root, {}, FakeEnv(std::move(vars)));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->flags.Get("cert") : "";
  };
  EXPECT_EQ(cert({{"THIRD_CERT", "c"}}), "c");
  EXPECT_EQ(cert({{"OTHER_CERT", "b"}, {"THIRD_CERT", "c"}}), "b");
  EXPECT_EQ(cert({{"TOOL_CERT", "a"}, {"OTHER_CERT", "b"}}), "a");
  // An empty variable does not hide the next one.
  EXPECT_EQ(cert({{"TOOL_CERT", ""}, {"OTHER_CERT", "b"}}), "b");
  absl::StatusOr<ParseResult> r =
      cli::Parse(root, {"--cert", "flag"}, FakeEnv({{"TOOL_CERT", "a"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags.Get("cert"), "flag");
}

TEST_F(CommandTreeTest, HelpEverywhere) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"group", "leaf", "--help"},
                                             {"group", "leaf", "-h"},
                                             {"-h", "group", "leaf"},
                                             // help wins over the missing --config and a typo
                                             {"group", "leaf", "--bogus", "--help"}}) {
    absl::StatusOr<ParseResult> r = Parse(args);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->help);
    EXPECT_EQ(r->command->Path(), "tool group leaf");
  }
  absl::StatusOr<ParseResult> r = Parse({"group", "--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
  EXPECT_EQ(r->command->Path(), "tool group");
  // A group named without a subcommand shows its help.
  r = Parse({"group"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
  r = Parse({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
  EXPECT_EQ(r->command, &root_);
}

TEST_F(CommandTreeTest, HelpText) {
  const Command* leaf = root_.FindSubcommand("group")->FindSubcommand("leaf");
  std::string help = leaf->Help();
  EXPECT_THAT(help, HasSubstr("tool group leaf [flags] [ARG]"));
  EXPECT_THAT(help, HasSubstr("--retention VALUE"));
  EXPECT_THAT(help, HasSubstr("(default 72h)"));
  EXPECT_THAT(help, HasSubstr("one of red, blue"));
  EXPECT_THAT(help, HasSubstr("-h, --help"));
  EXPECT_THAT(help, HasSubstr("repeatable"));
  // Inherited flags, from the group and from the root.
  EXPECT_THAT(help, HasSubstr("Global flags:"));
  EXPECT_THAT(help, HasSubstr("--config VALUE"));
  EXPECT_THAT(help, HasSubstr("required"));
  EXPECT_THAT(help, HasSubstr("-n, --namespace"));
  EXPECT_THAT(help, HasSubstr("env TOOL_ADDRESS"));
  std::string root_help = root_.Help();
  EXPECT_THAT(root_help, HasSubstr("tool <command> [flags]"));
  EXPECT_THAT(root_help, HasSubstr("group   A group"));
  EXPECT_THAT(root_help, Not(HasSubstr("--config")));
}

TEST_F(CommandTreeTest, RunExitCodesAndOneLineErrors) {
  EXPECT_EQ(RunArgs({"group", "leaf", "--config", "c", "--retention", "1s"}), 0);
  EXPECT_TRUE(ran_);
  EXPECT_EQ(out_.str(), "retention=1000");
  EXPECT_EQ(err_.str(), "");

  EXPECT_EQ(RunArgs({"group", "leaf", "--config", "c", "--color", "blue"}), 1);
  EXPECT_EQ(err_.str(), "tool group leaf: no blue here\n");

  EXPECT_EQ(RunArgs({"group", "leaf", "--bogus"}), 2);
  EXPECT_THAT(err_.str(), StartsWith("tool group leaf: unknown flag --bogus"));
  const std::string err = err_.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_EQ(out_.str(), "");

  EXPECT_EQ(RunArgs({"group", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("leaf   A leaf"));
  EXPECT_EQ(err_.str(), "");
}

// ---- the real tree -----------------------------------------------------------------------------

class AppTest : public ::testing::Test {
 protected:
  int RunApp(std::vector<std::string> args, EnvLookup env = kNoEnv) {
    out_.str("");
    err_.str("");
    return cli::Run(*app_, args, out_, err_, env);
  }
  std::unique_ptr<Command> app_ = BuildApp();
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(AppTest, GlobalFlagDefaults) {
  absl::StatusOr<ParseResult> r = Parse(*app_, {"operator", "namespace", "list"}, kNoEnv);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get(kAddressFlag), "127.0.0.1:7233");
  EXPECT_EQ(r->flags.Get(kNamespaceFlag), "default");
  EXPECT_EQ(r->flags.Get(kOutputFlag), "table");
  EXPECT_EQ(r->flags.GetDuration(kCommandTimeoutFlag), std::chrono::seconds(10));
  r = Parse(*app_, {"operator", "namespace", "list"}, FakeEnv({{"TERN_ADDRESS", "h:9"}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get(kAddressFlag), "h:9");
}

TEST_F(AppTest, EveryCommandHasHelp) {
  std::vector<const Command*> pending = {app_.get()};
  int count = 0;
  while (!pending.empty()) {
    const Command* command = pending.back();
    pending.pop_back();
    for (const auto& child : command->subcommands()) pending.push_back(child.get());
    std::vector<std::string> args;
    for (const Command* c = command; c->parent() != nullptr; c = c->parent()) {
      args.insert(args.begin(), c->name());
    }
    args.push_back("--help");
    EXPECT_EQ(RunApp(args), 0) << command->Path();
    EXPECT_THAT(out_.str(), HasSubstr("Usage:\n  " + command->Path())) << command->Path();
    ++count;
  }
  // Every command and group, `tern` included; update when adding one.
  EXPECT_EQ(count, 53);
}

TEST_F(AppTest, TaskQueueDescribeNeedsATaskQueue) {
  EXPECT_EQ(RunApp({"task-queue", "describe"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--task-queue"));
}

TEST_F(AppTest, CommandsExist) {
  for (std::vector<std::string> path :
       std::vector<std::vector<std::string>>{{"schema", "setup"},
                                             {"schema", "update"},
                                             {"schema", "version"},
                                             {"operator", "namespace", "create"},
                                             {"operator", "namespace", "describe"},
                                             {"operator", "namespace", "list"},
                                             {"operator", "namespace", "update"},
                                             {"operator", "namespace", "delete"},
                                             {"operator", "search-attribute", "create"},
                                             {"operator", "search-attribute", "list"},
                                             {"operator", "search-attribute", "remove"},
                                             {"workflow", "describe"},
                                             {"workflow", "show"},
                                             {"workflow", "signal"},
                                             {"workflow", "cancel"},
                                             {"workflow", "terminate"},
                                             {"workflow", "delete"},
                                             {"workflow", "list"},
                                             {"workflow", "count"},
                                             {"cluster", "health"},
                                             {"task-queue", "describe"}}) {
    path.push_back("-h");
    absl::StatusOr<ParseResult> r = Parse(*app_, path, kNoEnv);
    ASSERT_TRUE(r.ok()) << r.status();
    path.pop_back();
    EXPECT_EQ(r->command->name(), path.back());
    EXPECT_TRUE(r->command->handler());
  }
}

TEST_F(AppTest, SchemaNeedsConfig) {
  EXPECT_EQ(RunApp({"schema", "setup"}), 2);
  EXPECT_THAT(err_.str(), StartsWith("tern schema setup: missing required flag --config"));
  EXPECT_EQ(RunApp({"schema", "version", "--config", "/nonexistent/tern.yaml"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot read config file /nonexistent/tern.yaml"));
}

TEST_F(AppTest, BadRetentionIsAUsageError) {
  EXPECT_EQ(RunApp({"operator", "namespace", "create", "-n", "x", "--retention", "30 days"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("invalid value \"30 days\" for --retention"));
}

TEST_F(AppTest, BadOutputIsAUsageError) {
  EXPECT_EQ(RunApp({"-o", "yaml", "operator", "namespace", "list"}), 2);
  EXPECT_THAT(err_.str(),
              HasSubstr("invalid value \"yaml\" for --output: must be one of table, json"));
}

// These fail before any connection is attempted, so no server is needed.
TEST_F(AppTest, NamespaceChecksBeforeConnecting) {
  EXPECT_EQ(RunApp({"operator", "namespace", "create"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("name the namespace with --namespace NAME"));
  EXPECT_EQ(RunApp({"operator", "namespace", "update", "-n", "x"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("nothing to update"));
  EXPECT_EQ(RunApp({"operator", "namespace", "describe", "-n", "a", "b"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("namespace given twice"));
}

TEST_F(AppTest, WorkflowCommandsNeedAWorkflowId) {
  for (const char* command : {"describe", "show"}) {
    EXPECT_EQ(RunApp({"workflow", command}), 2) << command;
    EXPECT_THAT(err_.str(), StartsWith(std::string("tern workflow ") + command +
                                       ": missing required flag --workflow-id"));
  }
  // The commands with a batch form take -w or --query, exactly one.
  for (const char* command : {"cancel", "terminate", "delete"}) {
    for (std::vector<std::string> args : {std::vector<std::string>{"workflow", command},
                                          {"workflow", command, "-w", "x", "-q", "A = 'b'"}}) {
      err_.str("");
      EXPECT_EQ(RunApp(args), 1) << command;
      EXPECT_EQ(err_.str(), std::string("tern workflow ") + command +
                                ": give exactly one of -w/--workflow-id and --query\n");
    }
  }
  absl::StatusOr<ParseResult> r = Parse(
      *app_, {"workflow", "cancel", "-w", "order-7", "-r", "run-1", "--reason", "why"}, kNoEnv);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("workflow-id"), "order-7");
  EXPECT_EQ(r->flags.Get("run-id"), "run-1");
  EXPECT_EQ(r->flags.Get("reason"), "why");
}

TEST_F(AppTest, SignalChecksBeforeConnecting) {
  EXPECT_EQ(RunApp({"workflow", "signal", "-w", "x"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing required flag --name"));
  EXPECT_EQ(RunApp({"workflow", "signal", "-w", "x", "--name", "go", "--input", "{oops"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("tern workflow signal: --input is not valid JSON"));
  const std::string err = err_.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST_F(AppTest, ListAndCountFlags) {
  absl::StatusOr<ParseResult> r =
      Parse(*app_, {"workflow", "list", "-q", "WorkflowType = 'Order'", "--limit", "5"}, kNoEnv);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.Get("query"), "WorkflowType = 'Order'");
  EXPECT_EQ(r->flags.GetInt("limit"), 5);
  EXPECT_EQ(RunApp({"workflow", "list", "--limit", "many"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("invalid value \"many\" for --limit"));
  EXPECT_EQ(RunApp({"workflow", "count", "--limit", "5"}), 2);
  EXPECT_THAT(err_.str(), StartsWith("tern workflow count: unknown flag --limit"));
}

TEST_F(AppTest, SearchAttributeCreatePairsNamesWithTypes) {
  absl::StatusOr<ParseResult> r =
      Parse(*app_,
            {"operator", "search-attribute", "create", "--name", "A", "--type", "keyword", "--name",
             "B", "--type", "INT", "--name", "C", "--type", "keywordList"},
            kNoEnv);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flags.GetAll("name"), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(r->flags.GetAll("type"), (std::vector<std::string>{"Keyword", "Int", "KeywordList"}));

  EXPECT_EQ(RunApp({"operator", "search-attribute", "create", "--name", "A", "--type", "Date"}), 2);
  EXPECT_THAT(err_.str(),
              HasSubstr("invalid value \"Date\" for --type: must be one of Text, Keyword, Int, "
                        "Double, Bool, Datetime, KeywordList"));
  EXPECT_EQ(RunApp({"operator", "search-attribute", "create", "--name", "A"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing required flag --type"));
  EXPECT_EQ(RunApp({"operator", "search-attribute", "create", "--name", "A", "--name", "B",
                    "--type", "Int"}),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("give one --type for each --name (2 --name, 1 --type)"));
  EXPECT_EQ(RunApp({"operator", "search-attribute", "create", "--name", "A", "--type", "Int",
                    "--name", "A", "--type", "Bool"}),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("--name A is given twice"));
}

// Without --yes, destructive commands ask on the terminal; with none they refuse, before any
// connection is attempted (the default address has no server in this test).
TEST_F(AppTest, DestructiveCommandsRefuseWithoutTerminalOrYes) {
  EXPECT_EQ(RunApp({"operator", "namespace", "delete", "-n", "orders"}), 1);
  EXPECT_EQ(err_.str(),
            "tern operator namespace delete: refusing to delete namespace orders and every "
            "workflow in it without confirmation: stdin is not a terminal, add --yes\n");
  EXPECT_EQ(RunApp({"operator", "search-attribute", "remove", "--name", "A", "--name", "B"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("refusing to remove search attributes A, B from namespace "
                                    "default without confirmation"));
  // A forgotten -n never deletes "default".
  EXPECT_EQ(RunApp({"operator", "namespace", "delete", "--yes"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("name the namespace with --namespace NAME"));

  std::istringstream no("n\n");
  out_.str("");
  err_.str("");
  EXPECT_EQ(cli::Run(*app_, {"operator", "namespace", "delete", "orders"}, out_, err_, kNoEnv, &no),
            1);
  EXPECT_EQ(err_.str(),
            "Really delete namespace orders and every workflow in it? [y/N] tern operator "
            "namespace delete: did not delete namespace orders and every workflow in it: not "
            "confirmed\n");
  std::istringstream closed("");
  EXPECT_EQ(cli::Run(*app_, {"operator", "search-attribute", "remove", "--name", "A"}, out_, err_,
                     kNoEnv, &closed),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("not confirmed"));
}

TEST_F(AppTest, TlsFlagErrors) {
  EXPECT_EQ(RunApp({"cluster", "health", "--tls-cert-path", "/tmp/c.pem"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--tls-cert-path and --tls-key-path must be given together"));
  EXPECT_EQ(RunApp({"cluster", "health", "--tls-ca-path", "/nonexistent/ca.pem"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot read --tls-ca-path /nonexistent/ca.pem"));
}

// ---- output helpers ----------------------------------------------------------------------------

TEST(CliOutputTest, EnumDisplayNames) {
  namespace enums = temporal::api::enums::v1;
  EXPECT_EQ(EnumDisplayName(enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
            "WorkflowExecutionStarted");
  EXPECT_EQ(EnumDisplayName(enums::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW), "ContinuedAsNew");
  EXPECT_EQ(EnumDisplayName(enums::WORKFLOW_EXECUTION_STATUS_TERMINATED), "Terminated");
  EXPECT_EQ(EnumDisplayName(enums::NAMESPACE_STATE_REGISTERED), "Registered");
  EXPECT_EQ(EnumDisplayName(enums::INDEXED_VALUE_TYPE_KEYWORD_LIST), "KeywordList");
  EXPECT_EQ(EnumDisplayName(static_cast<enums::IndexedValueType>(99)), "99");

  const google::protobuf::EnumDescriptor& type = *enums::IndexedValueType_descriptor();
  EXPECT_EQ(EnumFromDisplayName(type, "keywordlist"), enums::INDEXED_VALUE_TYPE_KEYWORD_LIST);
  EXPECT_EQ(EnumFromDisplayName(type, "Datetime"), enums::INDEXED_VALUE_TYPE_DATETIME);
  EXPECT_EQ(EnumFromDisplayName(type, "Date"), std::nullopt);
}

TEST(CliOutputTest, Timestamps) {
  google::protobuf::Timestamp t;
  EXPECT_EQ(FormatTimestamp(t), "");
  t.set_seconds(1714557600);
  EXPECT_EQ(FormatTimestamp(t), "2024-05-01T10:00:00Z");
  t.set_nanos(123000000);
  EXPECT_EQ(FormatTimestamp(t), "2024-05-01T10:00:00.123Z");
}

}  // namespace
}  // namespace tern::cli
