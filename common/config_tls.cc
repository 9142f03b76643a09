// global.tls (Temporal's shape) and the older services.frontend.tls, which stays accepted as
// another spelling of global.tls.frontend.server. Only the shape is checked here; the files
// themselves (readable, PEM, key matching certificate, not expired, CAs) are checked at start
// by CheckTlsFiles (common/tls.h).
#include "absl/strings/str_cat.h"
#include "common/config_internal.h"

namespace tern::config_internal {
namespace {

void ReadServer(Reader& r, const YAML::Node& node, const std::string& path, TlsServerConfig* s) {
  if (!r.CheckMap(node, path, {"certFile", "keyFile", "clientCaFiles", "requireClientAuth"})) {
    return;
  }
  r.String(Reader::Child(node, "certFile"), path + ".certFile", &s->cert_file);
  r.String(Reader::Child(node, "keyFile"), path + ".keyFile", &s->key_file);
  r.StringList(Reader::Child(node, "clientCaFiles"), path + ".clientCaFiles", &s->client_ca_files);
  r.Bool(Reader::Child(node, "requireClientAuth"), path + ".requireClientAuth",
         &s->require_client_auth);
}

void ReadClient(Reader& r, const YAML::Node& node, const std::string& path, TlsClientConfig* c) {
  if (!r.CheckMap(node, path, {"serverName", "rootCaFiles", "disableHostVerification"})) return;
  r.String(Reader::Child(node, "serverName"), path + ".serverName", &c->server_name);
  r.StringList(Reader::Child(node, "rootCaFiles"), path + ".rootCaFiles", &c->root_ca_files);
  r.Bool(Reader::Child(node, "disableHostVerification"), path + ".disableHostVerification",
         &c->disable_host_verification);
}

// The combinations a server section cannot have, reported at `path`; `ca_key` names its client
// CA key (clientCaFiles, or clientCaFile in the older spelling).
void CheckServer(Reader& r, const std::string& path, const TlsServerConfig& s,
                 const std::string& ca_key) {
  if (s.cert_file.empty() != s.key_file.empty()) {
    r.FailNoNode(path + (s.cert_file.empty() ? ".certFile" : ".keyFile"),
                 "certFile and keyFile must be given together");
  } else if (s.cert_file.empty() && (!s.client_ca_files.empty() || s.require_client_auth)) {
    r.FailNoNode(path + ".certFile",
                 absl::StrCat("required when ", ca_key, " or requireClientAuth is set"));
  } else if (s.require_client_auth && s.client_ca_files.empty()) {
    r.FailNoNode(path + "." + ca_key,
                 "required when requireClientAuth is true (the CAs client certificates must "
                 "chain to)");
  }
}

void ReadGroup(Reader& r, const YAML::Node& node, const std::string& path, TlsGroupConfig* g) {
  if (!r.CheckMap(node, path, {"server", "client"})) return;
  ReadServer(r, Reader::Child(node, "server"), path + ".server", &g->server);
  ReadClient(r, Reader::Child(node, "client"), path + ".client", &g->client);
  CheckServer(r, path + ".server", g->server, "clientCaFiles");
}

}  // namespace

void ReadTls(Reader& r, const YAML::Node& node, TlsConfig* tls) {
  if (!r.CheckMap(node, "global.tls", {"frontend", "internode", "refreshInterval"})) return;
  ReadGroup(r, Reader::Child(node, "frontend"), "global.tls.frontend", &tls->frontend);
  ReadGroup(r, Reader::Child(node, "internode"), "global.tls.internode", &tls->internode);
  r.Duration(Reader::Child(node, "refreshInterval"), "global.tls.refreshInterval",
             std::chrono::milliseconds(100), &tls->refresh_interval);
  const TlsGroupConfig& internode = tls->internode;
  if (!internode.server.enabled() &&
      (!internode.client.root_ca_files.empty() || !internode.client.server_name.empty())) {
    r.FailNoNode("global.tls.internode.server.certFile",
                 "required when global.tls.internode.client is set: internal calls present "
                 "this certificate");
  }
}

void ReadLegacyFrontendTls(Reader& r, const YAML::Node& node, const std::string& service,
                           TlsConfig* tls) {
  const std::string path = "services." + service + ".tls";
  if (!Reader::Present(node)) return;
  if (service != "frontend") {
    r.Fail(node, path,
           "TLS for history, matching and worker is global.tls.internode (server and client); "
           "move these keys there");
    return;
  }
  if (!r.CheckMap(node, path, {"certFile", "keyFile", "clientCaFile", "requireClientAuth"})) {
    return;
  }
  if (tls->frontend.server.enabled()) {
    r.Fail(node, path,
           "services.frontend.tls is the older spelling of global.tls.frontend.server; set only "
           "one of them");
    return;
  }
  TlsServerConfig& s = tls->frontend.server;
  r.String(Reader::Child(node, "certFile"), path + ".certFile", &s.cert_file);
  r.String(Reader::Child(node, "keyFile"), path + ".keyFile", &s.key_file);
  std::string client_ca;
  r.String(Reader::Child(node, "clientCaFile"), path + ".clientCaFile", &client_ca);
  if (!client_ca.empty()) s.client_ca_files = {client_ca};
  r.Bool(Reader::Child(node, "requireClientAuth"), path + ".requireClientAuth",
         &s.require_client_auth);
  CheckServer(r, path, s, "clientCaFile");
}

}  // namespace tern::config_internal
