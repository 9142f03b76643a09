// Server-side TLS for h2::Server: an OpenSSL context built once from PEM files and shared by the
// connections accepted while it is current (ServerOptions::tls picks the context per accepted
// connection, so rotating certificates means handing out a new TlsContext; connections keep the
// one they started with).
//
// The context speaks TLS 1.2 and 1.3 (OpenSSL prefers 1.3) and selects ALPN "h2" only: a client
// that offers ALPN without "h2" fails the handshake, one that offers no ALPN at all is dropped
// right after it. With a client CA file the server asks for a client certificate and verifies it;
// with require_client_auth a client without one fails the handshake.
//
// Threading: immutable after Load; shared by any number of connections and threads.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct ssl_ctx_st;  // SSL_CTX
struct ssl_st;      // SSL

namespace tern::h2 {

struct TlsFiles {
  std::string cert_file;       // PEM chain, leaf first
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CAs for client certificates; "" = do not ask for one
  bool require_client_auth = false;
};

class TlsContext {
 public:
  // Errors (INVALID_ARGUMENT) name the file and OpenSSL's reason.
  static absl::StatusOr<std::shared_ptr<TlsContext>> Load(const TlsFiles& files);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* native() const { return ctx_; }

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

// The subject CN of the peer's certificate when the handshake verified one, "" otherwise.
std::string VerifiedCommonName(ssl_st* ssl);
// Whether the handshake agreed on ALPN "h2".
bool NegotiatedH2(ssl_st* ssl);

}  // namespace tern::h2
