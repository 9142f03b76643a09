#include "common/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace tern {
namespace {

constexpr int kMaxReportedErrors = 20;
constexpr absl::string_view kServiceNames[] = {"frontend", "history", "matching", "worker"};
constexpr int kDefaultPorts[] = {7233, 7234, 7235, 7239};

// ---- ${VAR} / ${VAR:-default} ------------------------------------------------------------------

bool IsVarStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsVarChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Substitutes one line. Full-line comments are left alone so that commented-out examples do not
// require their variables to be set.
absl::Status SubstituteLine(absl::string_view line, const std::string& where, std::string* out) {
  absl::string_view stripped = absl::StripLeadingAsciiWhitespace(line);
  if (!stripped.empty() && stripped.front() == '#') {
    absl::StrAppend(out, line);
    return absl::OkStatus();
  }
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] != '$' || i + 1 >= line.size() || line[i + 1] != '{') {
      out->push_back(line[i++]);
      continue;
    }
    size_t close = line.find('}', i + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unterminated variable reference \"", line.substr(i), "\""));
    }
    absl::string_view ref = line.substr(i + 2, close - i - 2);
    size_t name_end = 0;
    while (name_end < ref.size() && IsVarChar(ref[name_end])) ++name_end;
    std::string name(ref.substr(0, name_end));
    absl::string_view rest = ref.substr(name_end);
    bool has_default = absl::StartsWith(rest, ":-");
    if (name.empty() || !IsVarStart(name[0]) || (!rest.empty() && !has_default)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": invalid variable reference \"${",
                                                     ref,
                                                     "}\"; expected ${NAME} or ${NAME:-default}"));
    }
    const char* value = std::getenv(name.c_str());
    if (has_default && (value == nullptr || *value == '\0')) {
      absl::StrAppend(out, rest.substr(2));
    } else if (value != nullptr) {
      out->append(value);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(where, ": environment variable ", name,
                                                     " is not set (write ${", name,
                                                     ":-default} to make it optional)"));
    }
    i = close + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SubstituteEnv(const std::string& text, const std::string& source) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  int line_number = 1;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    absl::Status status = SubstituteLine(absl::string_view(text).substr(start, end - start),
                                         absl::StrCat(source, ":", line_number), &out);
    if (!status.ok()) return status;
    if (end == text.size()) break;
    out.push_back('\n');
    start = end + 1;
    ++line_number;
  }
  return out;
}

// ---- address helpers ---------------------------------------------------------------------------

bool IsIpLiteral(const std::string& text) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool IsIpv6Literal(const std::string& text) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::string JoinHostPort(const std::string& host, int port) {
  if (IsIpv6Literal(host)) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

bool ParsePort(absl::string_view text, int* port) {
  if (text.empty()) return false;
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0 || value > 65535) {
    return false;
  }
  *port = value;
  return true;
}

// Splits "host:port" or "[v6]:port". Returns an error description, or "" on success.
std::string SplitHostPort(const std::string& text, std::string* host, int* port) {
  absl::string_view port_text;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::StrCat("expected [ipv6]:port, got \"", text, "\"");
    }
    *host = text.substr(1, close - 1);
    port_text = absl::string_view(text).substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return absl::StrCat("expected host:port, got \"", text, "\"");
    }
    *host = text.substr(0, colon);
    port_text = absl::string_view(text).substr(colon + 1);
  }
  if (host->empty()) return absl::StrCat("missing host in \"", text, "\"");
  if (!ParsePort(port_text, port)) {
    return absl::StrCat("port must be a number in 0..65535, got \"", port_text, "\"");
  }
  return "";
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// ---- the YAML walker ---------------------------------------------------------------------------

// Reads typed values out of the document, recording every problem with its file, line and key
// path instead of stopping at the first one. A missing or null value leaves the default alone.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  void Fail(const YAML::Node& node, const std::string& path, absl::string_view message) {
    std::string where = source_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      absl::StrAppend(&where, ":", node.Mark().line + 1);
    }
    errors_.push_back(absl::StrCat(where, ": ", path, ": ", message));
  }
  void FailNoNode(const std::string& path, absl::string_view message) {
    errors_.push_back(absl::StrCat(source_, ": ", path, ": ", message));
  }

  const std::vector<std::string>& errors() const { return errors_; }

  static bool Present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

  // The value of `key` in `map`; undefined if absent or if `map` is not a map.
  static YAML::Node Child(const YAML::Node& map, absl::string_view key) {
    if (!map.IsDefined() || !map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    return map[std::string(key)];
  }

  // Reports keys of `node` that are not in `allowed` (with a suggestion when one is close),
  // duplicates and non-string keys. Returns false only if `node` is present but not a map, so
  // callers go on reading the known keys and every problem is reported in one pass.
  bool CheckMap(const YAML::Node& node, const std::string& path,
                std::initializer_list<absl::string_view> allowed) {
    if (!Present(node)) return true;
    if (!node.IsMap()) {
      Fail(node, path, "must be a map");
      return false;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        Fail(entry.first, path, "keys must be plain strings");
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string key_path = Join(path, key);
      if (!seen.insert(key).second) {
        Fail(entry.first, key_path, "duplicate key");
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string message = "unknown key";
      absl::string_view best;
      size_t best_distance = 3;  // suggest only near misses
      for (absl::string_view candidate : allowed) {
        size_t distance = EditDistance(key, candidate);
        if (distance < best_distance) {
          best_distance = distance;
          best = candidate;
        }
      }
      if (!best.empty()) {
        absl::StrAppend(&message, " (did you mean \"", best, "\"?)");
      } else {
        absl::StrAppend(&message, "; allowed keys: ", absl::StrJoin(allowed, ", "));
      }
      Fail(entry.first, key_path, message);
    }
    return true;
  }

  // The scalar text of `node`, or nullopt when absent (no error) or not a scalar (error).
  std::optional<std::string> Scalar(const YAML::Node& node, const std::string& path) {
    if (!Present(node)) return std::nullopt;
    if (!node.IsScalar()) {
      Fail(node, path, "must be a single value, not a list or map");
      return std::nullopt;
    }
    return node.Scalar();
  }

  void String(const YAML::Node& node, const std::string& path, std::string* out,
              bool allow_empty = true) {
    std::optional<std::string> text = Scalar(node, path);
    if (!text) return;
    if (!allow_empty && text->empty()) {
      Fail(node, path, "must not be empty");
      return;
    }
    *out = *text;
  }

  template <typename Int>
  void Integer(const YAML::Node& node, const std::string& path, int64_t min, int64_t max,
               Int* out) {
    std::optional<std::string> text = Scalar(node, path);
    if (!text) return;
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || ptr != text->data() + text->size()) {
      Fail(node, path, absl::StrCat("must be an integer, got \"", *text, "\""));
      return;
    }
    if (value < min || value > max) {
      Fail(node, path, absl::StrCat("must be in ", min, "..", max, ", got ", value));
      return;
    }
    *out = static_cast<Int>(value);
  }

  void Bool(const YAML::Node& node, const std::string& path, bool* out) {
    std::optional<std::string> text = Scalar(node, path);
    if (!text) return;
    if (*text == "true") {
      *out = true;
    } else if (*text == "false") {
      *out = false;
    } else {
      Fail(node, path, absl::StrCat("must be true or false, got \"", *text, "\""));
    }
  }

  void Duration(const YAML::Node& node, const std::string& path, std::chrono::milliseconds min,
                std::chrono::milliseconds* out) {
    std::optional<std::string> text = Scalar(node, path);
    if (!text) return;
    absl::StatusOr<std::chrono::milliseconds> value = ParseDuration(*text);
    if (!value.ok()) {
      Fail(node, path, value.status().message());
      return;
    }
    if (*value < min) {
      Fail(node, path, absl::StrCat("must be at least ", min.count(), "ms, got \"", *text, "\""));
      return;
    }
    *out = *value;
  }

  void OneOf(const YAML::Node& node, const std::string& path,
             std::initializer_list<absl::string_view> allowed, std::string* out) {
    std::optional<std::string> text = Scalar(node, path);
    if (!text) return;
    if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
      Fail(node, path,
           absl::StrCat("must be one of ", absl::StrJoin(allowed, ", "), ", got \"", *text, "\""));
      return;
    }
    *out = *text;
  }

  static std::string Join(const std::string& path, absl::string_view key) {
    return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
  }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

// ---- sections ----------------------------------------------------------------------------------

void ReadGlobal(Reader& r, const YAML::Node& node, Config* config) {
  const std::string path = "global";
  if (!r.CheckMap(node, path, {"clusterName", "log", "membership"})) return;
  r.String(Reader::Child(node, "clusterName"), "global.clusterName", &config->cluster_name,
           /*allow_empty=*/false);

  YAML::Node log = Reader::Child(node, "log");
  if (r.CheckMap(log, "global.log", {"level", "format"})) {
    r.OneOf(Reader::Child(log, "level"), "global.log.level",
            {"trace", "debug", "info", "warn", "error"}, &config->log_level);
    r.OneOf(Reader::Child(log, "format"), "global.log.format", {"json", "text"},
            &config->log_format);
  }

  YAML::Node membership = Reader::Child(node, "membership");
  if (r.CheckMap(membership, "global.membership", {"heartbeatInterval", "maxHeartbeatAge"})) {
    MembershipConfig& m = config->membership;
    r.Duration(Reader::Child(membership, "heartbeatInterval"),
               "global.membership.heartbeatInterval", std::chrono::milliseconds(1),
               &m.heartbeat_interval);
    r.Duration(Reader::Child(membership, "maxHeartbeatAge"), "global.membership.maxHeartbeatAge",
               std::chrono::milliseconds(1), &m.max_heartbeat_age);
    if (m.max_heartbeat_age <= m.heartbeat_interval) {
      r.FailNoNode(
          "global.membership.maxHeartbeatAge",
          absl::StrCat("must be longer than heartbeatInterval (", m.heartbeat_interval.count(),
                       "ms), got ", m.max_heartbeat_age.count(), "ms"));
    }
  }
}

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

void ReadService(Reader& r, const YAML::Node& node, const std::string& name, int default_port,
                 ServiceConfig* service) {
  const std::string path = "services." + name;
  service->grpc_port = default_port;
  if (!r.CheckMap(node, path, {"rpc", "metrics", "tls"})) return;

  YAML::Node rpc = Reader::Child(node, "rpc");
  YAML::Node broadcast = Reader::Child(rpc, "broadcastAddress");
  if (r.CheckMap(rpc, path + ".rpc", {"grpcPort", "bindOnIP", "broadcastAddress"})) {
    r.Integer(Reader::Child(rpc, "grpcPort"), path + ".rpc.grpcPort", 0, 65535,
              &service->grpc_port);
    YAML::Node bind = Reader::Child(rpc, "bindOnIP");
    r.String(bind, path + ".rpc.bindOnIP", &service->bind_on_ip, /*allow_empty=*/false);
    if (!IsIpLiteral(service->bind_on_ip)) {
      r.Fail(bind, path + ".rpc.bindOnIP",
             absl::StrCat("must be an IP address, got \"", service->bind_on_ip, "\""));
    }
    r.String(broadcast, path + ".rpc.broadcastAddress", &service->broadcast_address);
  }
  // Resolve broadcast_address to host:port. An unspecified bind address is reachable on
  // loopback, which is right for a single host; multi-host clusters set broadcastAddress.
  if (service->broadcast_address.empty()) {
    std::string host = service->bind_on_ip;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    service->broadcast_address = JoinHostPort(host, service->grpc_port);
  } else if (IsIpv6Literal(service->broadcast_address) ||
             service->broadcast_address.find(':') == std::string::npos) {
    service->broadcast_address = JoinHostPort(service->broadcast_address, service->grpc_port);
  } else {
    std::string host;
    int port = 0;
    std::string problem = SplitHostPort(service->broadcast_address, &host, &port);
    if (!problem.empty()) r.Fail(broadcast, path + ".rpc.broadcastAddress", problem);
  }

  YAML::Node metrics = Reader::Child(node, "metrics");
  if (r.CheckMap(metrics, path + ".metrics", {"listenAddress"})) {
    YAML::Node listen = Reader::Child(metrics, "listenAddress");
    r.String(listen, path + ".metrics.listenAddress", &service->metrics_listen_address);
    if (!service->metrics_listen_address.empty()) {
      std::string host;
      int port = 0;
      std::string problem = SplitHostPort(service->metrics_listen_address, &host, &port);
      if (!problem.empty()) r.Fail(listen, path + ".metrics.listenAddress", problem);
    }
  }

  YAML::Node tls = Reader::Child(node, "tls");
  if (r.CheckMap(tls, path + ".tls",
                 {"certFile", "keyFile", "clientCaFile", "requireClientAuth"})) {
    TlsConfig& t = service->tls;
    r.String(Reader::Child(tls, "certFile"), path + ".tls.certFile", &t.cert_file);
    r.String(Reader::Child(tls, "keyFile"), path + ".tls.keyFile", &t.key_file);
    r.String(Reader::Child(tls, "clientCaFile"), path + ".tls.clientCaFile", &t.client_ca_file);
    r.Bool(Reader::Child(tls, "requireClientAuth"), path + ".tls.requireClientAuth",
           &t.require_client_auth);
    bool any = !t.cert_file.empty() || !t.key_file.empty() || !t.client_ca_file.empty() ||
               t.require_client_auth;
    if (any && name != "frontend") {
      r.Fail(tls, path + ".tls", "TLS is only supported on the frontend service for now");
    } else if (t.cert_file.empty() != t.key_file.empty()) {
      r.Fail(tls, path + (t.cert_file.empty() ? ".tls.certFile" : ".tls.keyFile"),
             "certFile and keyFile must be given together");
    } else if (t.cert_file.empty() && (!t.client_ca_file.empty() || t.require_client_auth)) {
      r.Fail(tls, path + ".tls.certFile", "required when clientCaFile or requireClientAuth is set");
    } else if (t.require_client_auth && t.client_ca_file.empty()) {
      r.Fail(tls, path + ".tls.clientCaFile", "required when requireClientAuth is true");
    }
  }
}

void ReadServices(Reader& r, const YAML::Node& node, Config* config) {
  if (!r.CheckMap(node, "services",
                  {kServiceNames[0], kServiceNames[1], kServiceNames[2], kServiceNames[3]})) {
    return;
  }
  for (size_t i = 0; i < std::size(kServiceNames); ++i) {
    const std::string name(kServiceNames[i]);
    YAML::Node service = Reader::Child(node, name);
    if (!service.IsDefined()) continue;
    ReadService(r, service, name, kDefaultPorts[i], &config->services[name]);
  }
  if (config->services.empty()) {
    r.FailNoNode("services",
                 "at least one service (frontend, history, matching, worker) is required");
    return;
  }
  // Two services of one process (or of one host) cannot share a listening port.
  std::map<std::pair<std::string, int>, std::string> bound;
  for (const auto& [name, service] : config->services) {
    if (service.grpc_port == 0) continue;
    auto [it, inserted] = bound.emplace(std::pair(service.bind_on_ip, service.grpc_port), name);
    if (!inserted) {
      r.FailNoNode("services." + name + ".rpc.grpcPort",
                   absl::StrCat("port ", service.grpc_port, " on ", service.bind_on_ip,
                                " is already used by services.", it->second));
    }
  }
}

void ReadDynamicConfig(Reader& r, const YAML::Node& node, Config* config) {
  DynamicConfig& d = config->dynamic_config;
  if (!r.CheckMap(node, "dynamicConfig",
                  {"matching.numTaskqueuePartitions", "matching.longPollExpirationInterval",
                   "history.longPollExpirationInterval", "limit.blobSizeError", "limit.maxIDLength",
                   "history.defaultPageSize", "namespace.minRetention",
                   "limit.historyCount.suggestContinueAsNew", "limit.historySize.suggestContinueAsNew",
                   "limit.historyCount.error", "limit.historySize.error",
                   "worker.scanInterval"})) {
    return;
  }
  const std::string p = "dynamicConfig.";
  r.Integer(Reader::Child(node, "matching.numTaskqueuePartitions"),
            p + "matching.numTaskqueuePartitions", 1, 1024, &d.matching_num_task_queue_partitions);
  r.Duration(Reader::Child(node, "matching.longPollExpirationInterval"),
             p + "matching.longPollExpirationInterval", std::chrono::seconds(1),
             &d.matching_long_poll_expiration);
  r.Duration(Reader::Child(node, "history.longPollExpirationInterval"),
             p + "history.longPollExpirationInterval", std::chrono::seconds(1),
             &d.history_long_poll_expiration);
  r.Integer(Reader::Child(node, "limit.blobSizeError"), p + "limit.blobSizeError", 1,
            std::numeric_limits<int32_t>::max(), &d.blob_size_limit_error);
  r.Integer(Reader::Child(node, "limit.maxIDLength"), p + "limit.maxIDLength", 1, 1 << 20,
            &d.max_id_length);
  r.Integer(Reader::Child(node, "history.defaultPageSize"), p + "history.defaultPageSize", 1,
            1 << 20, &d.history_page_size);
  r.Integer(Reader::Child(node, "limit.historyCount.suggestContinueAsNew"),
            p + "limit.historyCount.suggestContinueAsNew", 1, std::numeric_limits<int32_t>::max(),
            &d.history_count_suggest_continue_as_new);
  r.Integer(Reader::Child(node, "limit.historySize.suggestContinueAsNew"),
            p + "limit.historySize.suggestContinueAsNew", 1, std::numeric_limits<int64_t>::max(),
            &d.history_size_suggest_continue_as_new);
  r.Integer(Reader::Child(node, "limit.historyCount.error"), p + "limit.historyCount.error", 1,
            std::numeric_limits<int32_t>::max(), &d.history_count_limit_error);
  r.Integer(Reader::Child(node, "limit.historySize.error"), p + "limit.historySize.error", 1,
            std::numeric_limits<int64_t>::max(), &d.history_size_limit_error);

  r.Duration(Reader::Child(node, "namespace.minRetention"), p + "namespace.minRetention",
             std::chrono::milliseconds(0), &d.min_retention);
  r.Duration(Reader::Child(node, "worker.scanInterval"), p + "worker.scanInterval",
             std::chrono::milliseconds(100), &d.worker_scan_interval);
}

}  // namespace

absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto invalid = [&text](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\": ", why,
                                                   " (examples: 30d, 72h, 1h30m, 45s, 500ms)"));
  };
  if (text.empty()) return invalid("empty");
  if (text == "0") return std::chrono::milliseconds(0);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    // number: digits, optionally with a fraction
    int64_t whole = 0;
    int64_t frac = 0;
    int64_t frac_scale = 1;
    size_t digits = 0;
    while (i < text.size() && absl::ascii_isdigit(text[i])) {
      if (whole > (kMax - 9) / 10) return invalid("too large");
      whole = whole * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && absl::ascii_isdigit(text[i])) {
        if (frac_scale >= 1000000000) return invalid("too many decimal places");
        frac = frac * 10 + (text[i] - '0');
        frac_scale *= 10;
        ++i;
        ++digits;
      }
    }
    if (digits == 0) return invalid("expected a number");
    size_t unit_start = i;
    while (i < text.size() && absl::ascii_isalpha(text[i])) ++i;
    absl::string_view unit = absl::string_view(text).substr(unit_start, i - unit_start);
    int64_t unit_ms = 0;
    if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s") {
      unit_ms = 1000;
    } else if (unit == "m") {
      unit_ms = 60 * 1000;
    } else if (unit == "h") {
      unit_ms = 60 * 60 * 1000;
    } else if (unit == "d") {
      unit_ms = 24 * 60 * 60 * 1000;
    } else if (unit.empty()) {
      return invalid("missing unit (ms, s, m, h or d)");
    } else {
      return invalid(absl::StrCat("unknown unit \"", unit, "\" (use ms, s, m, h or d)"));
    }
    if (whole > kMax / unit_ms) return invalid("too large");
    int64_t part = whole * unit_ms;
    // frac < 1e9 and unit_ms <= 8.64e7, so the product fits in int64.
    if ((frac * unit_ms) % frac_scale != 0) return invalid("finer than a millisecond");
    part += frac * unit_ms / frac_scale;
    if (total_ms > kMax - part) return invalid("too large");
    total_ms += part;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  constexpr std::pair<int64_t, const char*> kUnits[] = {
      {24 * 60 * 60 * 1000, "d"}, {60 * 60 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [unit_ms, suffix] : kUnits) {
    if (ms >= unit_ms) {
      absl::StrAppend(&out, ms / unit_ms, suffix);
      ms %= unit_ms;
    }
  }
  return out;
}

absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, const std::string& source) {
  absl::StatusOr<std::string> text = SubstituteEnv(yaml_text, source);
  if (!text.ok()) return text.status();

  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (!e.mark.is_null()) absl::StrAppend(&where, ":", e.mark.line + 1, ":", e.mark.column + 1);
    return absl::InvalidArgumentError(absl::StrCat(where, ": invalid YAML: ", e.msg));
  }

  Config config;
  Reader r(source);
  try {
    if (Reader::Present(root) && !root.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source,
                       ": the top level must be a map (global, persistence, services, "
                       "dynamicConfig)"));
    }
    r.CheckMap(root, "", {"global", "persistence", "services", "dynamicConfig"});
    ReadGlobal(r, Reader::Child(root, "global"), &config);
    ReadPersistence(r, Reader::Child(root, "persistence"), &config);
    ReadServices(r, Reader::Child(root, "services"), &config);
    ReadDynamicConfig(r, Reader::Child(root, "dynamicConfig"), &config);
  } catch (const YAML::Exception& e) {
    // The checks above make this unreachable in practice; never let yaml-cpp escape.
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }

  if (!r.errors().empty()) {
    std::vector<std::string> errors = r.errors();
    if (errors.size() > kMaxReportedErrors) {
      size_t more = errors.size() - kMaxReportedErrors;
      errors.resize(kMaxReportedErrors);
      errors.push_back(absl::StrCat("... and ", more, " more"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  }
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("cannot read config file ", path, ": ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  if (file.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("error reading config file ", path));
  }
  return ParseConfig(buffer.str(), path);
}

}  // namespace tern
