// The HTTP transport: the only way drsnap's AWS layer reaches the network.
// libcurl lives behind NewCurlTransport(); no public header names curl.
//
// Thread safety: Send() may be called concurrently from many threads.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/error.h"

namespace drsnap::aws {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;
// The first header named `name` (case-insensitive); "" when absent.
std::string HeaderValue(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as received
  std::string body;
  // First header with this name (case-insensitive); "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{30000};
  std::string ca_bundle;  // empty: discover (SSL_CERT_FILE, Debian and Amazon Linux paths)
  // Sent when the request carries no User-Agent header of its own.
  std::string user_agent = "drsnap/0.1";
  // Where SSL_CERT_FILE, SSL_CERT_DIR and the proxy variables are read; null:
  // the process environment. Read once, when the transport is created.
  std::shared_ptr<const Environment> env;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request. Any HTTP status is a successful Send(); an Error means
  // no response arrived (DNS, connect, TLS, timeout: all kTransient except
  // TLS verification and malformed URLs, which are kTerminal).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// The libcurl transport: connection reuse, timeouts, TLS verification always
// on, proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) honoured.
std::shared_ptr<HttpTransport> NewCurlTransport(HttpOptions options = {});

}  // namespace drsnap::aws
