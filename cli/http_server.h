// A small HTTP/1.1 server for `drsnap run --listen` (cli/service_endpoints.h
// says what it serves): plain POSIX sockets, no dependency, one thread.
//
// Protocol: one request per connection (every answer says "Connection:
// close"); the request line and headers must arrive within
// HttpServerOptions::read_timeout and fit in max_request_bytes, else 408 or
// 431; a request body is never read. Only GET reaches the handler: any other
// method is answered 405 with "Allow: GET", a request line that is not
// "METHOD TARGET HTTP/1.x" 400. The handler sees the path without its query
// string.
//
// Connections are served one after another on the server's thread, so a
// client that sends nothing holds the others back for at most read_timeout
// (writes are bounded by the same timeout). Fit for a scraper and a browser,
// not for a crowd.
//
// Thread safety: Start() and Stop() (and the destructor) from one thread;
// the handler is called on the server's thread only, one request at a time,
// and must be safe to call concurrently with whatever the caller's other
// threads do (cli/service_endpoints.h guards its state with a mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"

namespace drsnap::cli {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // "/metrics" (without "?query")
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

struct HttpServerOptions {
  size_t max_request_bytes = 8192;  // request line and headers; over it: 431
  std::chrono::milliseconds read_timeout{5000};
};

// "200 OK", "404 Not Found", ...: the status line's text after "HTTP/1.1 ".
std::string HttpStatusLine(int status);

class HttpServer {
 public:
  // Binds `address` and serves on a thread of its own until Stop().
  // `address`: "HOST:PORT" (an IPv4 address, a name such as localhost, or
  // "[IPv6]"), or ":PORT" for every IPv4 interface. Port 0 binds a free one
  // (address() tells which). Errors: "UsageError" for an address that does
  // not parse, "ListenFailed" when it cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(std::string_view address, HttpHandler handler,
                                                   HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, finishes nothing in progress, joins the thread.
  // Idempotent.
  void Stop();
  // The bound address, "127.0.0.1:9464" or "[::1]:9464".
  const std::string& address() const { return address_; }
  int port() const { return port_; }

 private:
  HttpServer(int listen_fd, int wake_read, int wake_write, HttpHandler handler,
             HttpServerOptions options, std::string address, int port);
  void Serve();
  void ServeConnection(int fd);

  int listen_fd_;
  int wake_read_;  // readable when Stop() was called
  int wake_write_;
  HttpHandler handler_;
  HttpServerOptions options_;
  std::string address_;
  int port_;
  std::thread thread_;
};

}  // namespace drsnap::cli
