// `tern schema setup|update|version`: the PostgreSQL schema of the config's default datastore,
// and with an Elasticsearch visibility store its index template and index. These talk to the
// databases directly, not to a server.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/output.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "persistence/elasticsearch/visibility_store.h"
#include "persistence/postgres/postgres_stores.h"
#include "persistence/postgres/schema.h"
#include "visibility/search_attributes.h"

namespace tern::cli {
namespace {

namespace es = tern::persistence::elasticsearch;
namespace pg = tern::persistence::postgres;

absl::StatusOr<SqlStoreConfig> DefaultStore(const Invocation& inv) {
  ASSIGN_OR_RETURN(Config config, LoadConfig(inv.flags.Get("config")));
  return config.persistence.DefaultStore();
}

// The custom search attributes of every namespace. One index serves every namespace, so a name
// registered with two types cannot be mapped.
absl::StatusOr<visibility::CustomSearchAttributes> AllCustomSearchAttributes(
    const SqlStoreConfig& store) {
  ASSIGN_OR_RETURN(persistence::Stores stores, pg::OpenPostgresStores(store));
  visibility::CustomSearchAttributes all;
  std::map<std::string, std::string> first_namespace;  // attribute -> namespace that set its type
  std::string token;
  do {
    auto page = stores.namespaces->ListNamespaces(100, token);
    if (!page.ok()) return page.status();
    for (const auto& ns : page->namespaces) {
      for (const auto& [name, type] : ns.custom_search_attributes()) {
        auto [it, inserted] = all.emplace(name, static_cast<visibility::IndexedValueType>(type));
        if (inserted) first_namespace[name] = ns.info().name();
        if (!inserted && it->second != type) {
          auto type_name = [](int t) {
            return std::string(
                visibility::IndexedValueTypeName(static_cast<visibility::IndexedValueType>(t)));
          };
          return absl::FailedPreconditionError(absl::StrCat(
              "search attribute ", name, " is ", type_name(it->second), " in namespace ",
              first_namespace[name], " but ", type_name(type), " in namespace ", ns.info().name(),
              "; the Elasticsearch index needs one type per name"));
        }
      }
    }
    token = page->next_page_token;
  } while (!token.empty());
  return all;
}

// Installs the index template, creates the index and maps every registered custom search
// attribute when visibility is on Elasticsearch; returns the index's description ("" without
// Elasticsearch).
absl::StatusOr<std::string> SetupVisibilityIndex(const Config& config) {
  const ElasticsearchConfig* elasticsearch = config.persistence.VisibilityElasticsearch();
  if (elasticsearch == nullptr) return std::string();
  std::string index = absl::StrCat("Elasticsearch index ", elasticsearch->visibility_index, " at ",
                                   elasticsearch->Url());
  auto store = es::NewElasticsearchVisibilityStore(*elasticsearch);
  absl::Status status = store->SetupIndex();
  if (status.ok()) {
    absl::StatusOr<visibility::CustomSearchAttributes> custom =
        AllCustomSearchAttributes(config.persistence.DefaultStore());
    status = custom.ok() ? store->AddSearchAttributeMappings(*custom) : custom.status();
  }
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("setup of ", index, " failed: ", status.message()));
  }
  return index;
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
  ASSIGN_OR_RETURN(Config config, LoadConfig(inv.flags.Get("config")));
  const SqlStoreConfig& store = config.persistence.DefaultStore();
  absl::Status status = setup ? pg::SetupSchema(store) : pg::UpdateSchema(store);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("schema ", setup ? "setup" : "update", " of ", Describe(store),
                                     " failed: ", status.message()));
  }
  ASSIGN_OR_RETURN(int version, pg::GetSchemaVersion(store));
  ASSIGN_OR_RETURN(std::string index, SetupVisibilityIndex(config));
  if (JsonOutput(inv.flags)) {
    PrintVersion(inv, version);
  } else {
    inv.out << "Schema of " << Describe(store) << " is at version " << version << ".\n";
    if (!index.empty()) {
      inv.out << index << " is ready (index template " << es::kIndexTemplateName << ").\n";
    }
  }
  return absl::OkStatus();
}

absl::Status Version(const Invocation& inv) {
  ASSIGN_OR_RETURN(SqlStoreConfig store, DefaultStore(inv));
  absl::StatusOr<int> version = pg::GetSchemaVersion(store);
  if (!version.ok()) {
    return absl::Status(version.status().code(),
                        absl::StrCat("cannot read the schema version of ", Describe(store), ": ",
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
              "(persistence.defaultStore); setup and update also install the index template\n"
              "and create the index of an Elasticsearch persistence.visibilityStore.\n"
              "Safe to run concurrently and repeatedly.")
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
