// cli/http_server.h over real loopback sockets: GET reaches the handler, other
// methods are 405, a malformed request 400, an oversized one 431, a silent
// client 408; the address forms --listen accepts.
#include "cli/http_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "cli/tests/http_client_util.h"

namespace drsnap::cli {
namespace {

using testing::HttpGet;
using testing::ParseHttpAnswer;
using testing::RawHttp;

std::unique_ptr<HttpServer> Echo(HttpServerOptions options = {}) {
  auto s = HttpServer::Start(
      "127.0.0.1:0",
      [](const HttpRequest& r) {
        HttpResponse out;
        out.status = r.path == "/missing" ? 404 : 200;
        out.body = r.method + " " + r.path;
        return out;
      },
      options);
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  return s.has_value() ? std::move(*s) : nullptr;
}

TEST(HttpServerTest, GetReachesTheHandlerWithThePathWithoutItsQuery) {
  auto s = Echo();
  ASSERT_NE(s, nullptr);
  EXPECT_GT(s->port(), 0);
  EXPECT_EQ(s->address(), "127.0.0.1:" + std::to_string(s->port()));
  auto a = HttpGet(s->port(), "/metrics?x=1");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "GET /metrics");
  EXPECT_NE(a.headers.find("Content-Length: 12\r\n"), std::string::npos) << a.headers;
  EXPECT_NE(a.headers.find("Connection: close\r\n"), std::string::npos) << a.headers;
  EXPECT_EQ(HttpGet(s->port(), "/missing").status, 404);
}

TEST(HttpServerTest, OnlyGetIsServed) {
  auto s = Echo();
  ASSERT_NE(s, nullptr);
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD"}) {
    auto a = ParseHttpAnswer(
        RawHttp(s->port(), std::string(method) + " /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(a.status, 405) << method;
    EXPECT_NE(a.headers.find("Allow: GET\r\n"), std::string::npos) << a.headers;
  }
}

TEST(HttpServerTest, MalformedOversizedAndSilentRequestsAreRefused) {
  HttpServerOptions options;
  options.max_request_bytes = 256;
  options.read_timeout = std::chrono::milliseconds(200);
  auto s = Echo(options);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(ParseHttpAnswer(RawHttp(s->port(), "HELLO\r\n\r\n")).status, 400);
  EXPECT_EQ(ParseHttpAnswer(RawHttp(s->port(), "GET metrics HTTP/1.1\r\n\r\n")).status, 400);
  std::string big = "GET / HTTP/1.1\r\nX-Long: " + std::string(1000, 'a') + "\r\n\r\n";
  EXPECT_EQ(ParseHttpAnswer(RawHttp(s->port(), big)).status, 431);
  // Half a request, then nothing: answered 408 once the read timeout ends.
  EXPECT_EQ(ParseHttpAnswer(RawHttp(s->port(), "GET / HTTP/1.1\r\n")).status, 408);
  // The server still serves after all of that.
  EXPECT_EQ(HttpGet(s->port(), "/").status, 200);
}

TEST(HttpServerTest, AddressForms) {
  auto any = HttpServer::Start(":0", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(any.has_value()) << any.error().ToString();
  EXPECT_EQ((*any)->address(), "0.0.0.0:" + std::to_string((*any)->port()));
  EXPECT_EQ(HttpGet((*any)->port(), "/").status, 200);
  for (const char* bad : {"9464", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ""}) {
    auto s = HttpServer::Start(bad, [](const HttpRequest&) { return HttpResponse{}; });
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_EQ(s.error().code, "UsageError") << bad;
  }
  // A port in use is a ListenFailed error naming the address.
  auto again = HttpServer::Start("0.0.0.0:" + std::to_string((*any)->port()),
                                 [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "ListenFailed");
}

TEST(HttpServerTest, StopEndsTheThreadAndClosesThePort) {
  auto s = Echo();
  ASSERT_NE(s, nullptr);
  int port = s->port();
  s->Stop();
  s->Stop();  // idempotent
  EXPECT_EQ(RawHttp(port, "GET / HTTP/1.1\r\n\r\n"), "");
}

}  // namespace
}  // namespace drsnap::cli
