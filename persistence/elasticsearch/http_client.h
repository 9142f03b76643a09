// The HTTP transport of the Elasticsearch visibility store: one blocking request/response call,
// behind an interface so that unit tests can answer requests from memory.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tern::persistence::elasticsearch {

struct HttpRequest {
  std::string method;  // GET, HEAD, POST, PUT, DELETE
  // Starts with '/', already percent-encoded, with its query string: "/idx/_doc/r1?version=3".
  std::string path;
  std::string body;  // sent when not empty, and always for POST and PUT
  std::string content_type = "application/json";
};

struct HttpResponse {
  int status = 0;  // the HTTP status code
  std::string body;
};

// Thread-safe: any thread may call Send at any time, and calls may run concurrently.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends `request` to BaseUrl() + request.path and blocks until the whole response has arrived
  // or the client's timeout expired. Any HTTP status is a response (the caller interprets 4xx and
  // 5xx); Unavailable when no response arrived (connection refused, timeout, TLS failure), with
  // the method and the URL in the message.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;

  // "scheme://host:port", for messages.
  virtual std::string BaseUrl() const = 0;
};

struct CurlHttpClientOptions {
  std::string base_url;  // "http://127.0.0.1:9200"
  std::string username;  // HTTP basic auth when not empty
  std::string password;
  // TLS: the server's certificate and host name are always verified, against ca_file when set,
  // else the system's CA bundle. A client certificate is sent when cert_file is set.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::chrono::milliseconds connect_timeout{5000};
  // The whole request, connecting included.
  std::chrono::milliseconds request_timeout{30000};
};

// The libcurl client. It keeps idle connections (one curl handle per concurrent caller) for
// reuse, so steady traffic does not reconnect.
std::unique_ptr<HttpClient> NewCurlHttpClient(CurlHttpClientOptions options);

}  // namespace tern::persistence::elasticsearch
