#include "common/tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/metrics.h"

namespace tern::tls {

// The contents of a group's files: what is installed, and what a reload compares.
struct TlsMaterial::Contents {
  std::string cert, key, client_ca, root_ca;
  std::string Fingerprint() const {
    return absl::StrCat(cert.size(), ":", cert, key.size(), ":", key, client_ca.size(), ":",
                        client_ca, root_ca.size(), ":", root_ca);
  }
};

namespace {

namespace fs = std::filesystem;

using Contents = TlsMaterial::Contents;

absl::StatusOr<std::string> ReadFile(const std::string& key, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": cannot read ", file, ": ", std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Concatenates `files` (named `key` in messages), one PEM bundle.
absl::StatusOr<std::string> ReadBundle(const std::string& key,
                                       const std::vector<std::string>& files) {
  std::string bundle;
  for (const auto& file : files) {
    auto text = ReadFile(key, file);
    if (!text.ok()) return text.status();
    absl::StrAppend(&bundle, *text, text->empty() || text->back() == '\n' ? "" : "\n");
  }
  return bundle;
}

absl::StatusOr<Contents> ReadGroup(const TlsGroupConfig& g, const std::string& path) {
  Contents c;
  const std::string server = path + ".server";
  auto cert = ReadFile(server + ".certFile", g.server.cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(server + ".keyFile", g.server.key_file);
  if (!key.ok()) return key.status();
  auto client_ca = ReadBundle(server + ".clientCaFiles", g.server.client_ca_files);
  if (!client_ca.ok()) return client_ca.status();
  auto root_ca = ReadBundle(path + ".client.rootCaFiles", g.client.root_ca_files);
  if (!root_ca.ok()) return root_ca.status();
  c.cert = *std::move(cert);
  c.key = *std::move(key);
  c.client_ca = *std::move(client_ca);
  c.root_ca = *std::move(root_ca);
  return c;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Certificate = std::unique_ptr<X509, X509Free>;

// Every certificate of a PEM text, in order.
std::vector<Certificate> Certificates(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<Certificate> out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(cert);
  }
  return out;
}

std::string Subject(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  return buf;
}

std::string TimeText(const ASN1_TIME* t) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), t);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// A certificate in use must be valid now.
absl::Status CheckValidity(X509* cert, const std::string& key, const std::string& file) {
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        key, ": the certificate in ", file, " expired on ", TimeText(X509_get0_notAfter(cert))));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": the certificate in ", file,
                                                   " is not valid before ",
                                                   TimeText(X509_get0_notBefore(cert))));
  }
  return absl::OkStatus();
}

absl::Status CheckCaBundle(const std::string& pem, const std::string& key,
                           const std::vector<std::string>& files) {
  if (files.empty()) return absl::OkStatus();
  auto certs = Certificates(pem);
  const std::string named = absl::StrCat(key, " (", absl::StrJoin(files, ", "), ")");
  if (certs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(named, ": holds no PEM certificate"));
  }
  for (const auto& cert : certs) {
    if (X509_check_ca(cert.get()) < 1) {
      return absl::InvalidArgumentError(absl::StrCat(named, ": ", Subject(cert.get()),
                                                     " is not a CA certificate (no "
                                                     "basicConstraints CA:TRUE)"));
    }
    if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(named, ": the CA ", Subject(cert.get()),
                                                     " expired on ",
                                                     TimeText(X509_get0_notAfter(cert.get()))));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckContents(const Contents& c, const TlsGroupConfig& g, const std::string& path) {
  const std::string cert_key = path + ".server.certFile";
  const std::string key_key = path + ".server.keyFile";
  auto certs = Certificates(c.cert);
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_key, ": ", g.server.cert_file, " holds no PEM certificate"));
  }
  X509* leaf = certs.front().get();
  if (auto st = CheckValidity(leaf, cert_key, g.server.cert_file); !st.ok()) return st;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(c.key.data(), static_cast<int>(c.key.size())));
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return absl::InvalidArgumentError(absl::StrCat(key_key, ": ", g.server.key_file,
                                                   " holds no PEM private key (or it is "
                                                   "encrypted)"));
  }
  if (X509_check_private_key(leaf, key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(key_key, ": the key in ", g.server.key_file,
                                                   " does not match the certificate in ",
                                                   g.server.cert_file));
  }
  if (auto st =
          CheckCaBundle(c.client_ca, path + ".server.clientCaFiles", g.server.client_ca_files);
      !st.ok()) {
    return st;
  }
  return CheckCaBundle(c.root_ca, path + ".client.rootCaFiles", g.client.root_ca_files);
}

void WriteFile(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush())
    throw fs::filesystem_error("cannot write", file,
                               std::error_code(errno, std::generic_category()));
}

}  // namespace

absl::Status CheckTlsGroup(const TlsGroupConfig& group, const std::string& path) {
  auto contents = ReadGroup(group, path);
  if (!contents.ok()) return contents.status();
  return CheckContents(*contents, group, path);
}

absl::StatusOr<std::shared_ptr<TlsMaterial>> TlsMaterial::Create(const TlsGroupConfig& group,
                                                                 std::string name) {
  const std::string path = "global.tls." + name;
  auto contents = ReadGroup(group, path);
  if (!contents.ok()) return contents.status();
  if (auto st = CheckContents(*contents, group, path); !st.ok()) return st;
  std::string base = (fs::temp_directory_path() / "tern-tls-XXXXXX").string();
  if (mkdtemp(base.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a private directory for the ", name, " TLS material under ",
                     fs::temp_directory_path().string(), ": ", std::strerror(errno)));
  }
  auto material =
      std::shared_ptr<TlsMaterial>(new TlsMaterial(group, std::move(name), std::move(base)));
  std::lock_guard lock(material->mu_);
  if (auto st = material->Install(*contents); !st.ok()) return st;
  return material;
}

TlsMaterial::TlsMaterial(TlsGroupConfig group, std::string name, std::string dir)
    : group_(std::move(group)), name_(std::move(name)), dir_(std::move(dir)) {}

TlsMaterial::~TlsMaterial() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

absl::Status TlsMaterial::Install(const Contents& contents) {
  const fs::path dir(dir_);
  const std::string version = absl::StrCat("v", ++version_);
  try {
    fs::create_directory(dir / version);
    fs::permissions(dir / version, fs::perms::owner_all, fs::perm_options::replace);
    WriteFile(dir / version / "cert.pem", contents.cert);
    WriteFile(dir / version / "key.pem", contents.key);
    WriteFile(dir / version / "client_ca.pem", contents.client_ca);
    WriteFile(dir / version / "root_ca.pem", contents.root_ca);
    // Swap `current` atomically: gRPC's watcher reads key and certificate through it.
    fs::remove(dir / "next");
    fs::create_directory_symlink(version, dir / "next");
    fs::rename(dir / "next", dir / "current");
    if (version_ > 1) fs::remove_all(dir / absl::StrCat("v", version_ - 1));
  } catch (const fs::filesystem_error& e) {
    return absl::InternalError(
        absl::StrCat("installing the ", name_, " TLS material in ", dir_, ": ", e.what()));
  }
  fingerprint_ = contents.Fingerprint();
  return absl::OkStatus();
}

void TlsMaterial::Refresh() {
  const std::string path = "global.tls." + name_;
  std::lock_guard lock(mu_);
  auto contents = ReadGroup(group_, path);
  absl::Status status = contents.status();
  if (status.ok()) {
    std::string fingerprint = contents->Fingerprint();
    if (fingerprint == fingerprint_) return;
    status = CheckContents(*contents, group_, path);
    if (status.ok()) status = Install(*contents);
    if (status.ok()) {
      rejected_.clear();
      metrics::kTlsReloads.With({name_, "reloaded"}).Increment();
      spdlog::info("tls: new {} certificate files in use for new connections ({})", name_,
                   group_.server.cert_file);
      return;
    }
    if (fingerprint == rejected_) return;  // logged already
    rejected_ = fingerprint;
  }
  metrics::kTlsReloads.With({name_, "rejected"}).Increment();
  Log(spdlog::level::warn, {.error = status.ToString()},
      "tls: the changed {} certificate files are not usable; the previous ones stay in use", name_);
}

TlsMaterial::ServerFiles TlsMaterial::server_files() const {
  // Through the version's directory, not `current`: a later install cannot change what a
  // context being built from these names reads.
  std::lock_guard lock(mu_);
  const fs::path dir = fs::path(dir_) / absl::StrCat("v", version_);
  return {(dir / "cert.pem").string(), (dir / "key.pem").string(),
          group_.server.client_ca_files.empty() ? "" : (dir / "client_ca.pem").string(),
          group_.server.require_client_auth, version_};
}

std::shared_ptr<grpc::ServerCredentials> TlsMaterial::ServerCredentials() const {
  namespace ex = grpc::experimental;
  const fs::path current = fs::path(dir_) / "current";
  const bool verify_clients = !group_.server.client_ca_files.empty();
  auto provider = std::make_shared<ex::FileWatcherCertificateProvider>(
      (current / "key.pem").string(), (current / "cert.pem").string(),
      verify_clients ? (current / "client_ca.pem").string() : "", 1);
  ex::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (verify_clients) options.watch_root_certs();
  options.set_cert_request_type(group_.server.require_client_auth
                                    ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                : verify_clients ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
                                                 : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> TlsMaterial::ChannelCredentials() const {
  namespace ex = grpc::experimental;
  const fs::path current = fs::path(dir_) / "current";
  const bool own_roots = !group_.client.root_ca_files.empty();
  auto provider = std::make_shared<ex::FileWatcherCertificateProvider>(
      (current / "key.pem").string(), (current / "cert.pem").string(),
      own_roots ? (current / "root_ca.pem").string() : "", 1);
  ex::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_identity_key_cert_pairs();
  if (own_roots) options.watch_root_certs();
  if (group_.client.disable_host_verification) {
    // The chain is still verified against the roots; only the name check is skipped.
    options.set_certificate_verifier(std::make_shared<ex::NoOpCertificateVerifier>());
    options.set_check_call_host(false);
  }
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace tern::tls
