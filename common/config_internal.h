// Shared by the config readers (config.cc, config_persistence.cc, dynamic_config_yaml.cc); not
// for use outside common/. yaml-cpp stays behind this header's users: none of them lets a
// YAML::Exception out.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/config.h"
#include "yaml-cpp/yaml.h"

namespace tern::config_internal {

// Substitutes ${NAME} and ${NAME:-default} in `text` (full-line comments are left alone).
absl::StatusOr<std::string> SubstituteEnv(const std::string& text, const std::string& source);
// Parses YAML text; a syntax error names source:line:column.
absl::StatusOr<YAML::Node> LoadYaml(const std::string& text, const std::string& source);
// The whole file, or NOT_FOUND naming the path and the reason.
absl::StatusOr<std::string> ReadTextFile(const std::string& path, absl::string_view what);

bool IsIpLiteral(const std::string& text);
bool IsIpv6Literal(const std::string& text);
std::string JoinHostPort(const std::string& host, int port);
// Splits "host:port" or "[v6]:port". Returns an error description, or "" on success.
std::string SplitHostPort(const std::string& text, std::string* host, int* port);

// Reads typed values out of a document, recording every problem with its file, line and key
// path instead of stopping at the first one. A missing or null value leaves the output alone.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  void Fail(const YAML::Node& node, const std::string& path, absl::string_view message);
  void FailNoNode(const std::string& path, absl::string_view message);
  const std::vector<std::string>& errors() const { return errors_; }
  // OK, or INVALID_ARGUMENT listing the errors (the first 20) separated by "; ".
  absl::Status Result() const;

  static bool Present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }
  // The value of `key` in `map`; undefined if absent or if `map` is not a map.
  static YAML::Node Child(const YAML::Node& map, absl::string_view key);
  static std::string Join(const std::string& path, absl::string_view key);

  // Reports keys of `node` that are not in `allowed` (with a suggestion when one is close),
  // duplicates and non-string keys. Returns false only if `node` is present but not a map, so
  // callers go on reading the known keys and every problem is reported in one pass.
  bool CheckMap(const YAML::Node& node, const std::string& path,
                absl::Span<const absl::string_view> allowed);

  // The scalar text of `node`, or nullopt when absent (no error) or not a scalar (error).
  std::optional<std::string> Scalar(const YAML::Node& node, const std::string& path);
  void String(const YAML::Node& node, const std::string& path, std::string* out,
              bool allow_empty = true);
  // A sequence of non-empty strings (a single string is taken as a one-item list).
  void StringList(const YAML::Node& node, const std::string& path, std::vector<std::string>* out);
  // Each returns true when it stored a value.
  bool Int64(const YAML::Node& node, const std::string& path, int64_t min, int64_t max,
             int64_t* out);
  template <typename Int>
  void Integer(const YAML::Node& node, const std::string& path, int64_t min, int64_t max,
               Int* out) {
    int64_t value = 0;
    if (Int64(node, path, min, max, &value)) *out = static_cast<Int>(value);
  }
  bool Bool(const YAML::Node& node, const std::string& path, bool* out);
  bool Float(const YAML::Node& node, const std::string& path, std::optional<double> min,
             std::optional<double> max, double* out);
  bool Duration(const YAML::Node& node, const std::string& path, std::chrono::milliseconds min,
                std::chrono::milliseconds* out,
                std::chrono::milliseconds max = std::chrono::milliseconds::max());
  void OneOf(const YAML::Node& node, const std::string& path,
             std::initializer_list<absl::string_view> allowed, std::string* out);

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

// The sections of the main file.
void ReadPersistence(Reader& r, const YAML::Node& node, Config* config);
// A map from dynamic-config key names to a scalar (a global value) or a list of
// {value, constraints: {namespace, taskQueueName}}. `prefix` starts every path in errors
// ("dynamicConfig." in the main file, "" in a dynamic-config file).
void ReadDynamicValues(Reader& r, const YAML::Node& node, const std::string& prefix,
                       dynamicconfig::Values* out);

// global.authorization and global.audit (config_authorization.cc).
void ReadAuthorization(Reader& r, const YAML::Node& node, AuthorizationConfig* authorization);
void ReadAudit(Reader& r, const YAML::Node& node, AuditConfig* audit);
// global.tls and the older services.frontend.tls (config_tls.cc).
void ReadTls(Reader& r, const YAML::Node& node, TlsConfig* tls);
void ReadLegacyFrontendTls(Reader& r, const YAML::Node& node, const std::string& service,
                           TlsConfig* tls);

}  // namespace tern::config_internal
