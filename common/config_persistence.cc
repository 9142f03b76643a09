// The persistence section: SQL and Elasticsearch datastores and which one holds what.
#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/config_internal.h"

namespace tern::config_internal {
namespace {

void ReadSqlStore(Reader& r, const YAML::Node& node, const std::string& path,
                  SqlStoreConfig* store) {
  if (!r.CheckMap(node, path,
                  {"pluginName", "databaseName", "connectAddr", "user", "password", "maxConns",
                   "connectAttributes"})) {
    return;
  }
  r.OneOf(Reader::Child(node, "pluginName"), path + ".pluginName", {"postgres"},
          &store->plugin_name);
  r.String(Reader::Child(node, "databaseName"), path + ".databaseName", &store->database_name,
           /*allow_empty=*/false);
  r.String(Reader::Child(node, "user"), path + ".user", &store->user, /*allow_empty=*/false);
  r.String(Reader::Child(node, "password"), path + ".password", &store->password);
  r.Integer(Reader::Child(node, "maxConns"), path + ".maxConns", 1, 10000, &store->max_conns);

  YAML::Node addr = Reader::Child(node, "connectAddr");
  std::string connect_addr = store->connect_addr;
  r.String(addr, path + ".connectAddr", &connect_addr, /*allow_empty=*/false);
  if (!connect_addr.starts_with('/')) {  // a unix socket directory needs no port
    std::string host;
    int port = 0;
    std::string problem = SplitHostPort(connect_addr, &host, &port);
    if (problem.empty() && port == 0) problem = "port must be in 1..65535, got 0";
    if (!problem.empty()) {
      r.Fail(addr, path + ".connectAddr", problem);
    }
  }
  store->connect_addr = connect_addr;

  YAML::Node attributes = Reader::Child(node, "connectAttributes");
  if (Reader::Present(attributes)) {
    if (!attributes.IsMap()) {
      r.Fail(attributes, path + ".connectAttributes", "must be a map of libpq keywords");
    } else {
      for (const auto& entry : attributes) {
        std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
        std::string value;
        r.String(entry.second, Reader::Join(path + ".connectAttributes", key), &value);
        store->connect_attributes[key] = value;
      }
    }
  }
}

// Elasticsearch index names: lowercase, and no character that would need escaping in a URL.
bool IsValidIndexName(const std::string& name) {
  if (name.empty() || name.size() > 255 || !absl::ascii_isalnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isdigit(c) || absl::ascii_islower(c) || c == '.' || c == '_' || c == '-';
  });
}

void ReadElasticsearchStore(Reader& r, const YAML::Node& node, const std::string& path,
                            ElasticsearchConfig* store) {
  if (!r.CheckMap(node, path, {"version", "url", "username", "password", "indices", "tls"})) {
    return;
  }
  // A required key that is missing is reported at its parent's line.
  auto required = [&](const YAML::Node& parent, const std::string& parent_path,
                      absl::string_view key, absl::string_view what) {
    YAML::Node child = Reader::Child(parent, key);
    if (!Reader::Present(child)) r.Fail(parent, Reader::Join(parent_path, key), what);
    return child;
  };
  r.OneOf(required(node, path, "version", "is required (v7 or v8)"), path + ".version",
          {"v7", "v8"}, &store->version);

  const std::string url_path = path + ".url";
  YAML::Node url = required(node, path, "url", "is required ({scheme: http, host: \"host:port\"})");
  if (Reader::Present(url) && r.CheckMap(url, url_path, {"scheme", "host"})) {
    r.OneOf(required(url, url_path, "scheme", "is required (http or https)"), url_path + ".scheme",
            {"http", "https"}, &store->scheme);
    YAML::Node host = required(url, url_path, "host", "is required (\"host:port\")");
    r.String(host, url_path + ".host", &store->host, /*allow_empty=*/false);
    if (!store->host.empty()) {
      std::string name;
      int port = 0;
      std::string problem = SplitHostPort(store->host, &name, &port);
      if (problem.empty() && port == 0) problem = "port must be in 1..65535, got 0";
      if (!problem.empty()) r.Fail(host, url_path + ".host", problem);
    }
  }

  YAML::Node password = Reader::Child(node, "password");
  r.String(Reader::Child(node, "username"), path + ".username", &store->username);
  r.String(password, path + ".password", &store->password);
  if (store->username.empty() && !store->password.empty()) {
    r.Fail(password, path + ".password", "needs a username");
  }

  const std::string indices_path = path + ".indices";
  YAML::Node indices = required(node, path, "indices", "is required ({visibility: <index name>})");
  if (Reader::Present(indices) && r.CheckMap(indices, indices_path, {"visibility"})) {
    YAML::Node index = required(indices, indices_path, "visibility", "is required");
    r.String(index, indices_path + ".visibility", &store->visibility_index);
    if (!store->visibility_index.empty() && !IsValidIndexName(store->visibility_index)) {
      r.Fail(index, indices_path + ".visibility",
             absl::StrCat("must be lowercase letters, digits, '.', '_' or '-', starting with a "
                          "letter or digit, got \"",
                          store->visibility_index, "\""));
    }
  }

  YAML::Node tls = Reader::Child(node, "tls");
  if (r.CheckMap(tls, path + ".tls", {"caFile", "certFile", "keyFile"})) {
    r.String(Reader::Child(tls, "caFile"), path + ".tls.caFile", &store->tls_ca_file);
    r.String(Reader::Child(tls, "certFile"), path + ".tls.certFile", &store->tls_cert_file);
    r.String(Reader::Child(tls, "keyFile"), path + ".tls.keyFile", &store->tls_key_file);
    if (store->tls_cert_file.empty() != store->tls_key_file.empty()) {
      r.Fail(tls, path + (store->tls_cert_file.empty() ? ".tls.certFile" : ".tls.keyFile"),
             "certFile and keyFile must be given together");
    }
    bool any = !store->tls_ca_file.empty() || !store->tls_cert_file.empty();
    if (any && store->scheme != "https") r.Fail(tls, path + ".tls", "needs url.scheme https");
  }
}

}  // namespace

void ReadPersistence(Reader& r, const YAML::Node& node, Config* config) {
  const std::string path = "persistence";
  PersistenceConfig& p = config->persistence;
  if (!r.CheckMap(node, path,
                  {"numHistoryShards", "defaultStore", "visibilityStore", "datastores"})) {
    return;
  }
  YAML::Node shards = Reader::Child(node, "numHistoryShards");
  r.Integer(shards, "persistence.numHistoryShards", 1, 1 << 20, &p.num_history_shards);
  if ((p.num_history_shards & (p.num_history_shards - 1)) != 0) {
    r.Fail(shards, "persistence.numHistoryShards",
           absl::StrCat("must be a power of two, got ", p.num_history_shards));
  }

  YAML::Node default_store = Reader::Child(node, "defaultStore");
  YAML::Node visibility_store = Reader::Child(node, "visibilityStore");
  r.String(default_store, "persistence.defaultStore", &p.default_store, /*allow_empty=*/false);
  // Without its own visibilityStore, visibility lives in the default store.
  if (!Reader::Present(visibility_store)) p.visibility_store = p.default_store;
  r.String(visibility_store, "persistence.visibilityStore", &p.visibility_store,
           /*allow_empty=*/false);

  YAML::Node datastores = Reader::Child(node, "datastores");
  if (Reader::Present(datastores)) {
    if (!datastores.IsMap() || datastores.size() == 0) {
      r.Fail(datastores, "persistence.datastores", "must be a non-empty map of named datastores");
    } else {
      for (const auto& entry : datastores) {
        if (!entry.first.IsScalar()) {
          r.Fail(entry.first, "persistence.datastores", "names must be plain strings");
          continue;
        }
        const std::string name = entry.first.Scalar();
        const std::string store_path = "persistence.datastores." + name;
        if (p.datastores.contains(name) || p.elasticsearch_datastores.contains(name)) {
          r.Fail(entry.first, store_path, "duplicate key");
          continue;
        }
        if (!r.CheckMap(entry.second, store_path, {"sql", "elasticsearch"})) continue;
        YAML::Node sql = Reader::Child(entry.second, "sql");
        YAML::Node elasticsearch = Reader::Child(entry.second, "elasticsearch");
        const YAML::Node& where = entry.second.IsDefined() ? entry.second : entry.first;
        if (Reader::Present(sql) == Reader::Present(elasticsearch)) {
          r.Fail(where, store_path,
                 Reader::Present(sql) ? "must have either a sql or an elasticsearch section, "
                                        "not both"
                                      : "must have a sql section or an elasticsearch section");
          continue;
        }
        if (Reader::Present(sql)) {
          ReadSqlStore(r, sql, store_path + ".sql", &p.datastores[name]);
        } else {
          ReadElasticsearchStore(r, elasticsearch, store_path + ".elasticsearch",
                                 &p.elasticsearch_datastores[name]);
        }
      }
    }
  }
  if (p.datastores.empty() && !Reader::Present(datastores)) {
    // No datastores at all: one named like defaultStore, with every default.
    p.datastores[p.default_store] = SqlStoreConfig{};
  }
  if (p.elasticsearch_datastores.contains(p.default_store)) {
    r.Fail(default_store, "persistence.defaultStore",
           absl::StrCat("datastore \"", p.default_store,
                        "\" is elasticsearch, which can only be the visibilityStore; the default "
                        "store must be a sql datastore"));
  } else if (!p.datastores.contains(p.default_store)) {
    r.Fail(default_store, "persistence.defaultStore",
           absl::StrCat("no datastore named \"", p.default_store, "\" in persistence.datastores"));
  }
  if (!p.datastores.contains(p.visibility_store) &&
      !p.elasticsearch_datastores.contains(p.visibility_store)) {
    r.Fail(
        visibility_store, "persistence.visibilityStore",
        absl::StrCat("no datastore named \"", p.visibility_store, "\" in persistence.datastores"));
  }
}

}  // namespace tern::config_internal
