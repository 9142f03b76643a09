// `tern schema setup|update|version`: the PostgreSQL schema of the config's default datastore.
// These talk to the database directly, not to a server.
#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/output.h"
#include "common/config.h"
#include "persistence/postgres/schema.h"

namespace tern::cli {
namespace {

namespace pg = tern::persistence::postgres;

absl::StatusOr<SqlStoreConfig> DefaultStore(const Invocation& inv) {
  absl::StatusOr<Config> config = LoadConfig(inv.flags.Get("config"));
  if (!config.ok()) return config.status();
  return config->persistence.DefaultStore();
}

std::string Describe(const SqlStoreConfig& store) {
  return absl::StrCat("database ", store.database_name, " at ", store.connect_addr);
}

void PrintVersion(const Invocation& inv, int database_version) {
  if (JsonOutput(inv.flags)) {
    inv.out << "{\n  \"databaseVersion\": " << database_version
            << ",\n  \"binaryVersion\": " << pg::kSchemaVersion << "\n}\n";
  } else {
    inv.out << "Database schema version: " << database_version
            << "\nBinary schema version:   " << pg::kSchemaVersion << "\n";
  }
}

// Runs setup or update, then reports the version the database ended at.
absl::Status Apply(const Invocation& inv, bool setup) {
  absl::StatusOr<SqlStoreConfig> store = DefaultStore(inv);
  if (!store.ok()) return store.status();
  absl::Status status = setup ? pg::SetupSchema(*store) : pg::UpdateSchema(*store);
  if (!status.ok()) {
    return absl::Status(
        status.code(), absl::StrCat("schema ", setup ? "setup" : "update", " of ", Describe(*store),
                                    " failed: ", status.message()));
  }
  absl::StatusOr<int> version = pg::GetSchemaVersion(*store);
  if (!version.ok()) return version.status();
  if (JsonOutput(inv.flags)) {
    PrintVersion(inv, *version);
  } else {
    inv.out << "Schema of " << Describe(*store) << " is at version " << *version << ".\n";
  }
  return absl::OkStatus();
}

absl::Status Version(const Invocation& inv) {
  absl::StatusOr<SqlStoreConfig> store = DefaultStore(inv);
  if (!store.ok()) return store.status();
  absl::StatusOr<int> version = pg::GetSchemaVersion(*store);
  if (!version.ok()) {
    return absl::Status(version.status().code(),
                        absl::StrCat("cannot read the schema version of ", Describe(*store), ": ",
                                     version.status().message()));
  }
  PrintVersion(inv, *version);
  return absl::OkStatus();
}

}  // namespace

void AddSchemaCommands(Command& root) {
  Command& schema =
      root.AddSubcommand("schema", "Create and upgrade the PostgreSQL schema")
          .SetDescription(
              "Create and upgrade the PostgreSQL schema of the config's default datastore\n"
              "(persistence.defaultStore). Safe to run concurrently and repeatedly.")
          .AddFlag({.name = "config",
                    .short_name = 'c',
                    .value_name = "FILE",
                    .help = "Server config file (YAML) naming the database",
                    .env = "TERN_CONFIG",
                    .required = true});
  schema.AddSubcommand("setup", "Create the database if missing and apply every migration")
      .SetHandler([](const Invocation& inv) { return Apply(inv, /*setup=*/true); });
  schema.AddSubcommand("update", "Apply the pending migrations (never downgrades)")
      .SetHandler([](const Invocation& inv) { return Apply(inv, /*setup=*/false); });
  schema.AddSubcommand("version", "Print the database's schema version and this binary's")
      .SetHandler(Version);
}

}  // namespace tern::cli
