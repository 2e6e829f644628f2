// A test's HTTP client for cli/http_server.h: raw bytes over one TCP
// connection to 127.0.0.1, the whole answer read until the server closes it.
#pragma once

#include <string>

namespace drsnap::testing {

// Sends `request` as is to 127.0.0.1:port and returns everything the server
// wrote before it closed the connection ("" when it could not connect).
std::string RawHttp(int port, const std::string& request);

struct HttpAnswer {
  int status = 0;       // 0: no parsable answer
  std::string headers;  // the header lines, as sent
  std::string body;
};

// "GET path HTTP/1.1" with Host and Connection: close.
HttpAnswer HttpGet(int port, const std::string& path);
HttpAnswer ParseHttpAnswer(const std::string& raw);

}  // namespace drsnap::testing
