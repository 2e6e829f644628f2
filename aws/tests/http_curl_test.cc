#include "aws/http_curl.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "aws/ca_bundle.h"
#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/tests/http_test_util.h"
#include "core/clock.h"
#include "core/env.h"

namespace drsnap::aws {
namespace {

using testing::CaptureServer;
using testing::SilentServer;
using testing::UnusedLoopbackPort;

// A cpp-httplib server on 127.0.0.1:<free port>, running on its own thread.
class LocalServer {
 public:
  LocalServer() {
    server_.set_keep_alive_max_count(1000);
    server_.Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_header("X-Amzn-RequestId", "req-123");
      res.set_content("hello world", "text/plain");
    });
    server_.Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_content(req.body, req.get_header_value("Content-Type"));
    });
    server_.Get(R"(/status/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = std::stoi(req.matches[1]);
      res.set_content("status body", "text/plain");
    });
    // ?bytes=N: a body of N bytes, streamed (chunked with &chunked=1, so
    // that no Content-Length announces it); for POST too, as an AWS answer.
    auto big = [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      const size_t total = std::stoull(req.get_param_value("bytes"));
      auto chunk = std::make_shared<std::string>(64 * 1024, 'x');
      res.set_header("X-Test", "big");
      if (req.has_param("chunked")) {
        res.set_chunked_content_provider(
            "text/plain", [total, chunk](size_t offset, httplib::DataSink& sink) {
              if (offset >= total) {
                sink.done();
                return true;
              }
              return sink.write(chunk->data(), std::min(chunk->size(), total - offset));
            });
      } else {
        res.set_content_provider(
            total, "text/plain", [chunk](size_t, size_t length, httplib::DataSink& sink) {
              return sink.write(chunk->data(), std::min(chunk->size(), length));
            });
      }
    };
    server_.Get("/big", big);
    server_.Post("/big", big);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  size_t connections() const {
    std::lock_guard lock(mu_);
    return remote_ports_.size();
  }
  size_t requests() const { return requests_; }
  httplib::Headers last_headers() const {
    std::lock_guard lock(mu_);
    return last_headers_;
  }

 private:
  void Record(const httplib::Request& req) {
    std::lock_guard lock(mu_);
    remote_ports_.insert(req.remote_port);
    last_headers_ = req.headers;
    ++requests_;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::set<int> remote_ports_;
  httplib::Headers last_headers_;
  std::atomic<size_t> requests_{0};
};

std::shared_ptr<const Environment> EmptyEnv() { return std::make_shared<MapEnvironment>(); }

HttpOptions TestOptions() {
  HttpOptions o;
  o.env = EmptyEnv();
  o.user_agent = "drsnap-test/1";
  return o;
}

TEST(HttpResponseTest, HeaderIsCaseInsensitiveFirstMatch) {
  HttpResponse r;
  r.headers = {{"Content-Type", "text/xml"}, {"x-amzn-requestid", "a"}, {"X-Amzn-RequestId", "b"}};
  EXPECT_EQ(r.Header("content-type"), "text/xml");
  EXPECT_EQ(r.Header("X-AMZN-REQUESTID"), "a");
  EXPECT_EQ(r.Header("missing"), "");
}

TEST(CurlTransportTest, GetReturnsStatusBodyAndHeaders) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.url = server.url("/hello");
  req.headers = {{"X-Custom", "value 1"}};
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello world");
  EXPECT_EQ(resp->Header("x-amzn-requestid"), "req-123");
  EXPECT_EQ(resp->Header("Content-Type"), "text/plain");
  auto h = server.last_headers();
  EXPECT_EQ(h.find("X-Custom")->second, "value 1");
  EXPECT_EQ(h.find("User-Agent")->second, "drsnap-test/1");
}

TEST(CurlTransportTest, PostSendsBodyWithoutExpectContinue) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.method = "POST";
  req.url = server.url("/echo");
  // Larger than curl's 1 KiB threshold for "Expect: 100-continue" (and below
  // httplib's 8 KiB limit for form bodies).
  req.body = "Action=DescribeDBSnapshots&Version=2014-10-31&X=" + std::string(5000, 'a');
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"User-Agent", "explicit-agent"}};
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_TRUE(resp->body == req.body) << "echoed body differs, size " << resp->body.size();
  EXPECT_EQ(resp->Header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
  auto h = server.last_headers();
  EXPECT_EQ(h.find("Expect"), h.end());
  EXPECT_EQ(h.find("User-Agent")->second, "explicit-agent");
  EXPECT_EQ(h.find("Content-Length")->second, std::to_string(req.body.size()));
}

TEST(CurlTransportTest, SendsHeadersVerbatimIncludingEmptyValues) {
  CaptureServer server("HTTP/1.1 204 No Content\r\n\r\n");
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  req.headers = {{"X-Amz-Date", "20261125T143000Z"}, {"X-Empty", ""}, {"Host", "rds.example"}};
  req.body = "a=b";
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 204);
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_NE(heads[0].find("\r\nX-Amz-Date: 20261125T143000Z"), std::string::npos) << heads[0];
  EXPECT_NE(heads[0].find("\r\nX-Empty:"), std::string::npos) << heads[0];
  EXPECT_NE(heads[0].find("\r\nHost: rds.example"), std::string::npos) << heads[0];
  EXPECT_NE(heads[0].find("\r\nUser-Agent: drsnap-test/1"), std::string::npos) << heads[0];
  EXPECT_EQ(heads[0].find("Expect"), std::string::npos) << heads[0];
}

TEST(CurlTransportTest, OtherMethodsAndNoUserAgent) {
  CaptureServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  HttpOptions o = TestOptions();
  o.user_agent = "";
  auto t = NewCurlTransport(o);
  struct Case {
    std::string method, body, want_line, want_length;
  };
  const Case cases[] = {
      {"PUT", "data", "PUT /x HTTP/1.1", "Content-Length: 4"},
      {"DELETE", "", "DELETE /x HTTP/1.1", ""},
      {"HEAD", "", "HEAD /x HTTP/1.1", ""},
      {"GET", "", "GET /x HTTP/1.1", ""},
  };
  for (const auto& c : cases) {
    HttpRequest req;
    req.method = c.method;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
    req.body = c.body;
    auto resp = t->Send(req);
    ASSERT_TRUE(resp.has_value()) << c.method << ": " << resp.error().ToString();
    EXPECT_EQ(resp->status, 200);
  }
  auto heads = server.heads();
  ASSERT_EQ(heads.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(heads[i].substr(0, heads[i].find("\r\n")), cases[i].want_line);
    if (!cases[i].want_length.empty()) {
      EXPECT_NE(heads[i].find(cases[i].want_length), std::string::npos) << heads[i];
    }
    EXPECT_EQ(heads[i].find("User-Agent"), std::string::npos) << heads[i];
  }
}

TEST(CurlTransportTest, EmptyPostBody) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.method = "POST";
  req.url = server.url("/echo");
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "");
  EXPECT_EQ(server.last_headers().find("Content-Length")->second, "0");
}

TEST(CurlTransportTest, ErrorStatusesAreResponses) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  for (int status : {400, 403, 404, 500, 503}) {
    HttpRequest req;
    req.url = server.url("/status/" + std::to_string(status));
    auto resp = t->Send(req);
    ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
    EXPECT_EQ(resp->status, status);
    EXPECT_EQ(resp->body, "status body");
  }
}

TEST(CurlTransportTest, ReusesConnections) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  for (int i = 0; i < 6; ++i) {
    HttpRequest req;
    req.url = server.url("/hello");
    auto resp = t->Send(req);
    ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  }
  EXPECT_EQ(server.requests(), 6u);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(CurlTransportTest, RefusedConnectionIsTransientAndNamesHost) {
  int port = UnusedLoopbackPort();
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, "ConnectionError");
  EXPECT_EQ(resp.error().error_class, ErrorClass::kTransient);
  EXPECT_EQ(resp.error().http_status, 0);
  EXPECT_NE(resp.error().ToString().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << resp.error().ToString();
}

TEST(CurlTransportTest, UnansweredRequestHitsTotalTimeout) {
  SilentServer silent;
  HttpOptions o = TestOptions();
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.total_timeout = std::chrono::milliseconds(200);
  auto t = NewCurlTransport(o);
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/";
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, "RequestTimeout");
  EXPECT_EQ(resp.error().error_class, ErrorClass::kTransient);
  EXPECT_NE(resp.error().message.find("127.0.0.1"), std::string::npos);
}

TEST(CurlTransportTest, ServerClosingWithoutReplyIsTransient) {
  CaptureServer closer("");  // reads the request, answers nothing, closes
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(closer.port()) + "/";
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, "ConnectionError");
  EXPECT_EQ(resp.error().error_class, ErrorClass::kTransient);
}

TEST(CurlTransportTest, MalformedUrlIsTerminal) {
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.url = "ftp://127.0.0.1/x";
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().error_class, ErrorClass::kTerminal);
  EXPECT_EQ(resp.error().code, "InvalidUrl");
}

TEST(CurlTransportTest, ConcurrentSendsFromEightThreads) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 25; ++j) {
        HttpRequest req;
        req.method = "POST";
        req.url = server.url("/echo");
        req.body = "thread=" + std::to_string(i) + "&n=" + std::to_string(j);
        auto resp = t->Send(req);
        if (resp && resp->status == 200 && resp->body == req.body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(server.requests(), 200u);
  // Handles (and their connections) are pooled: at most one per concurrent sender.
  EXPECT_LE(server.connections(), 8u);
}

TEST(CurlTransportTest, BodyOverTheDefaultLimitIsATerminalError) {
  EXPECT_EQ(kDefaultMaxResponseBody, size_t{64} << 20);
  EXPECT_EQ(HttpOptions{}.max_response_body, kDefaultMaxResponseBody);
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.url =
      server.url("/big?chunked=1&bytes=" + std::to_string(kDefaultMaxResponseBody + (1 << 20)));
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value()) << "read a body of " << resp->body.size() << " bytes";
  EXPECT_EQ(resp.error().code, "ResponseTooLarge");
  EXPECT_EQ(resp.error().error_class, ErrorClass::kTerminal);
  EXPECT_NE(resp.error().message.find("64 MiB"), std::string::npos) << resp.error().ToString();
  // The transport still works afterwards.
  HttpRequest hello;
  hello.url = server.url("/hello");
  auto ok = t->Send(hello);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->body, "hello world");
}

TEST(CurlTransportTest, BodyLimitFromOptionsAndPerRequest) {
  LocalServer server;
  HttpOptions o = TestOptions();
  o.max_response_body = 1 << 20;
  auto t = NewCurlTransport(o);
  struct Case {
    std::string query;
    size_t request_limit;
    bool ok;
  };
  const std::string mib = std::to_string(1 << 20), mib1 = std::to_string((1 << 20) + 1);
  const Case cases[] = {
      {"bytes=" + mib, 0, true},              // exactly the limit
      {"bytes=" + mib1, 0, false},            // announced by Content-Length
      {"chunked=1&bytes=" + mib1, 0, false},  // discovered while reading
      {"chunked=1&bytes=" + std::to_string(8 << 20), 0, false},
      {"bytes=100", 99, false},                    // the request's own limit wins
      {"chunked=1&bytes=" + mib1, 2 << 20, true},  // also upwards
  };
  for (const Case& c : cases) {
    HttpRequest req;
    req.url = server.url("/big?" + c.query);
    req.max_response_body = c.request_limit;
    auto resp = t->Send(req);
    EXPECT_EQ(resp.has_value(), c.ok) << c.query;
    if (!resp) {
      EXPECT_EQ(resp.error().code, "ResponseTooLarge") << c.query;
      EXPECT_FALSE(resp.error().retryable());
    }
  }
}

TEST(CurlTransportTest, KeepHeadersWhenTooLargeReturnsTheResponseWithoutItsBody) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.url = server.url("/big?chunked=1&bytes=" + std::to_string(4 << 20));
  req.max_response_body = 1 << 20;
  req.keep_headers_when_too_large = true;
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_TRUE(resp->body_too_large);
  EXPECT_EQ(resp->body, "");
  EXPECT_EQ(resp->Header("X-Test"), "big");
  // Under the limit the flag stays false and the body is there.
  req.url = server.url("/big?bytes=1000");
  auto small = t->Send(req);
  ASSERT_TRUE(small.has_value()) << small.error().ToString();
  EXPECT_FALSE(small->body_too_large);
  EXPECT_EQ(small->body.size(), 1000u);
}

TEST(CurlTransportTest, OversizedAwsResponseNamesTheOperationAndIsNotRetried) {
  LocalServer server;
  HttpOptions o = TestOptions();
  o.max_response_body = 1 << 20;
  ClientContext ctx;
  ctx.transport = NewCurlTransport(o);
  ctx.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"});
  ctx.clock = std::make_shared<FakeClock>(std::chrono::system_clock::now());
  ctx.retry.max_attempts = 3;
  ctx.jitter = [] { return 0.0; };
  // The endpoint's path carries the fake server's query (ServiceClient posts to "<url>/").
  ServiceClient client(ctx, {server.url("/big?chunked=1&bytes=" + std::to_string(8 << 20) + "&x="),
                             "us-east-1", "rds"});
  auto r = client.CallQuery("DescribeDBSnapshots", "2014-10-31", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResponseTooLarge");
  EXPECT_FALSE(r.error().retryable());
  EXPECT_EQ(server.requests(), 1u);
  std::string s = r.error().ToString();
  EXPECT_NE(s.find("DescribeDBSnapshots"), std::string::npos) << s;
  EXPECT_NE(s.find("1 MiB"), std::string::npos) << s;
}

constexpr char kProxyReply[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Via: fake-proxy\r\n\r\nfrom proxy";

TEST(CurlTransportTest, UppercaseHttpProxyIsHonoured) {
  CaptureServer proxy(kProxyReply);
  HttpOptions o = TestOptions();
  o.env = std::make_shared<MapEnvironment>(std::map<std::string, std::string, std::less<>>{
      {"HTTP_PROXY", "http://127.0.0.1:" + std::to_string(proxy.port())}});
  auto t = NewCurlTransport(o);
  HttpRequest req;
  req.url = "http://drsnap-proxy-test.invalid/some/path?x=1";
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->body, "from proxy");
  EXPECT_EQ(resp->Header("X-Via"), "fake-proxy");
  auto heads = proxy.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].substr(0, heads[0].find("\r\n")),
            "GET http://drsnap-proxy-test.invalid/some/path?x=1 HTTP/1.1");
}

TEST(CurlTransportTest, HttpsProxyTunnelsWithConnect) {
  CaptureServer proxy("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  HttpOptions o = TestOptions();
  o.env = std::make_shared<MapEnvironment>(std::map<std::string, std::string, std::less<>>{
      {"HTTPS_PROXY", "http://127.0.0.1:" + std::to_string(proxy.port())}});
  o.ca_bundle = "/etc/ssl/certs/ca-certificates.crt";  // any path: the tunnel fails first
  auto t = NewCurlTransport(o);
  HttpRequest req;
  req.url = "https://drsnap-proxy-test.invalid/";
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());  // the proxy refused the tunnel
  EXPECT_NE(resp.error().message.find("via proxy 127.0.0.1"), std::string::npos)
      << resp.error().ToString();
  auto heads = proxy.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].substr(0, heads[0].find("\r\n")),
            "CONNECT drsnap-proxy-test.invalid:443 HTTP/1.1");
}

TEST(CurlTransportTest, NoProxyBypassesTheProxy) {
  CaptureServer proxy(kProxyReply);
  LocalServer server;
  HttpOptions o = TestOptions();
  o.env = std::make_shared<MapEnvironment>(std::map<std::string, std::string, std::less<>>{
      {"HTTP_PROXY", "http://127.0.0.1:" + std::to_string(proxy.port())},
      {"NO_PROXY", "example.com,127.0.0.1"}});
  auto t = NewCurlTransport(o);
  HttpRequest req;
  req.url = server.url("/hello");
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->body, "hello world");
  EXPECT_TRUE(proxy.heads().empty());
  EXPECT_EQ(server.requests(), 1u);
}

TEST(CurlTransportTest, NoProxyVariablesMeansDirect) {
  LocalServer server;
  auto t = NewCurlTransport(TestOptions());
  HttpRequest req;
  req.url = server.url("/hello");
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(server.requests(), 1u);
}

TEST(ProxySettingsTest, PrecedenceOfVariables) {
  MapEnvironment env;
  env.Set("HTTPS_PROXY", "http://upper-https:1");
  env.Set("https_proxy", "http://lower-https:1");
  env.Set("HTTP_PROXY", "http://upper-http:1");
  env.Set("ALL_PROXY", "http://all:1");
  env.Set("NO_PROXY", "a.example,b.example");
  ProxySettings p = ProxySettingsFromEnv(env);
  EXPECT_EQ(p.https_proxy, "http://lower-https:1");
  EXPECT_EQ(p.http_proxy, "http://upper-http:1");
  EXPECT_EQ(p.no_proxy, "a.example,b.example");
  EXPECT_EQ(ProxyForUrl(p, "https://rds.us-east-1.amazonaws.com/"), "http://lower-https:1");
  EXPECT_EQ(ProxyForUrl(p, "HTTP://localhost:4566/"), "http://upper-http:1");

  MapEnvironment only_all;
  only_all.Set("all_proxy", "http://all:2");
  only_all.Set("https_proxy", "");  // empty counts as unset
  ProxySettings q = ProxySettingsFromEnv(only_all);
  EXPECT_EQ(q.https_proxy, "http://all:2");
  EXPECT_EQ(q.http_proxy, "http://all:2");
  EXPECT_EQ(q.no_proxy, "");

  ProxySettings none = ProxySettingsFromEnv(MapEnvironment());
  EXPECT_EQ(ProxyForUrl(none, "https://x/"), "");
}

TEST(CaBundleTest, SslCertFileWins) {
  MapEnvironment env;
  env.Set("SSL_CERT_FILE", "/custom/ca.pem");
  auto loc = DiscoverCaBundle(env, [](const std::string&) { return true; });
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(loc->file, "/custom/ca.pem");
  EXPECT_EQ(loc->dir, "");
}

TEST(CaBundleTest, MissingSslCertFileIsAnError) {
  MapEnvironment env;
  env.Set("SSL_CERT_FILE", "/custom/missing.pem");
  auto loc = DiscoverCaBundle(env, [](const std::string& p) { return p != "/custom/missing.pem"; });
  ASSERT_FALSE(loc.has_value());
  EXPECT_EQ(loc.error().code, "CaBundleNotFound");
  EXPECT_NE(loc.error().message.find("/custom/missing.pem"), std::string::npos);
}

TEST(CaBundleTest, WellKnownPathsInOrder) {
  struct Case {
    std::set<std::string> present;
    std::string want;
  };
  const Case cases[] = {
      {{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"},
       "/etc/ssl/certs/ca-certificates.crt"},
      {{"/etc/pki/tls/certs/ca-bundle.crt"}, "/etc/pki/tls/certs/ca-bundle.crt"},
      {{"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"},
       "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"},
      {{"/etc/ssl/cert.pem"}, "/etc/ssl/cert.pem"},
  };
  for (const auto& c : cases) {
    auto loc = DiscoverCaBundle(MapEnvironment(),
                                [&](const std::string& p) { return c.present.count(p) > 0; });
    ASSERT_TRUE(loc.has_value());
    EXPECT_EQ(loc->file, c.want);
  }
}

TEST(CaBundleTest, CertDirAloneIsEnough) {
  MapEnvironment env;
  env.Set("SSL_CERT_DIR", "/etc/mycerts");
  auto loc = DiscoverCaBundle(env, [](const std::string& p) { return p == "/etc/mycerts"; });
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(loc->file, "");
  EXPECT_EQ(loc->dir, "/etc/mycerts");
}

TEST(CaBundleTest, NothingFoundIsAClearError) {
  auto loc = DiscoverCaBundle(MapEnvironment(), [](const std::string&) { return false; });
  ASSERT_FALSE(loc.has_value());
  EXPECT_EQ(loc.error().code, "CaBundleNotFound");
  EXPECT_EQ(loc.error().error_class, ErrorClass::kTerminal);
  EXPECT_NE(loc.error().hint.find("SSL_CERT_FILE"), std::string::npos);
}

TEST(CurlTransportTest, HttpsWithoutCaBundleFailsButHttpWorks) {
  LocalServer server;
  HttpOptions o = TestOptions();
  o.env = std::make_shared<MapEnvironment>(std::map<std::string, std::string, std::less<>>{
      {"SSL_CERT_FILE", "/nonexistent/drsnap/ca.pem"}});
  auto t = NewCurlTransport(o);
  HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/hello";
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, "CaBundleNotFound");
  EXPECT_EQ(server.requests(), 0u);
  req.url = server.url("/hello");
  auto plain = t->Send(req);
  ASSERT_TRUE(plain.has_value()) << plain.error().ToString();
  EXPECT_EQ(plain->status, 200);
}

}  // namespace
}  // namespace drsnap::aws
