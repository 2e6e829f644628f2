// The HTTP transport: the only way drsnap's AWS layer reaches the network.
// libcurl lives behind NewCurlTransport(); no public header names curl.
//
// Thread safety: Send() may be called concurrently from many threads.
#pragma once

#include <chrono>
#include <cstddef>
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

// The largest response body the transport reads by default: 64 MiB. No
// response of an AWS API drsnap calls comes near it (a DescribeDBSnapshots
// page of 100 snapshots with their tags is well under 1 MiB), and it keeps a
// runaway or hostile endpoint from taking the process's memory (a Lambda
// function may have only 256 MB).
inline constexpr size_t kDefaultMaxResponseBody = size_t{64} << 20;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  HttpHeaders headers;
  std::string body;
  // The largest response body this caller accepts, in bytes; 0: the
  // transport's HttpOptions::max_response_body. The transport stops reading
  // at the limit: memory never holds more than the limit.
  size_t max_response_body = 0;
  // What a body over the limit gives. false (the default): Send() fails with
  // ResponseTooLarge (terminal; a retry would read the same body). true:
  // Send() returns the response with its status and headers, an empty body
  // and body_too_large set, for a caller that must still act on the headers
  // (the Lambda runtime reports that invocation's error by its request id).
  bool keep_headers_when_too_large = false;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as received
  std::string body;
  // The body was over the request's limit and was dropped (only with
  // HttpRequest::keep_headers_when_too_large).
  bool body_too_large = false;
  // First header with this name (case-insensitive); "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{30000};
  // The largest response body read for a request that sets no limit of its
  // own (HttpRequest::max_response_body).
  size_t max_response_body = kDefaultMaxResponseBody;
  std::string ca_bundle;  // empty: discover (SSL_CERT_FILE, Debian and Amazon Linux paths)
  // Sent when the request carries no User-Agent header of its own.
  std::string user_agent = "drsnap/0.1";
  // Where SSL_CERT_FILE, SSL_CERT_DIR and the proxy variables are read; null:
  // the process environment. Read once, when the transport is created.
  std::shared_ptr<const Environment> env;
};

// A byte count for a message about a limit: "64 MiB", "256 KiB", "99 bytes".
std::string FormatByteCount(size_t bytes);

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request. Any HTTP status is a successful Send(); an Error means
  // no response arrived (DNS, connect, TLS, timeout: all kTransient except
  // TLS verification and malformed URLs, which are kTerminal), or that its
  // body was over the limit (ResponseTooLarge, kTerminal; see HttpRequest).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// The libcurl transport: connection reuse, timeouts, TLS verification always
// on, proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) honoured.
std::shared_ptr<HttpTransport> NewCurlTransport(HttpOptions options = {});

}  // namespace drsnap::aws
