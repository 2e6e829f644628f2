// The container and IMDS providers: rules with a scripted transport, then one
// loopback round trip each through libcurl and a real HTTP server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "aws/credentials_chain.h"
#include "aws/tests/creds_test_util.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using creds_testing::FakeTransport;
using creds_testing::Reply;
using creds_testing::TempDir;
using creds_testing::TestEpoch;
using ::testing::HasSubstr;

constexpr char kCredsJson[] =
    R"({"AccessKeyId":"ASIAHTTP","SecretAccessKey":"secret","Token":"tok",)"
    R"("Expiration":"2026-11-25T18:00:00Z"})";

std::string HeaderOf(const HttpRequest& r, std::string_view name) {
  return HeaderValue(r.headers, name);
}

class HttpProvidersTest : public ::testing::Test {
 protected:
  HttpProvidersTest()
      : env_(std::make_shared<MapEnvironment>()),
        clock_(std::make_shared<FakeClock>(TestEpoch())) {}

  ProviderContext Ctx(std::shared_ptr<HttpTransport> t) {
    ProviderContext ctx;
    ctx.env = env_;
    ctx.clock = clock_;
    ctx.metadata_transport = std::move(t);
    return ctx;
  }

  std::shared_ptr<MapEnvironment> env_;
  std::shared_ptr<FakeClock> clock_;
  TempDir dir_;
};

// --- container -----------------------------------------------------------------

TEST_F(HttpProvidersTest, ContainerRelativeUriWithToken) {
  auto t = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, kCredsJson); });
  env_->Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/uuid");
  env_->Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc");
  auto c = NewContainerProvider(Ctx(t))->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAHTTP");
  EXPECT_EQ(c->secret_access_key, "secret");
  EXPECT_EQ(c->session_token, "tok");
  EXPECT_EQ(c->expiration, ParseIso8601("2026-11-25T18:00:00Z"));
  EXPECT_EQ(c->source, "container (ECS)");
  ASSERT_EQ(t->requests().size(), 1u);
  EXPECT_EQ(t->requests()[0].method, "GET");
  EXPECT_EQ(t->requests()[0].url, "http://169.254.170.2/v2/credentials/uuid");
  EXPECT_EQ(HeaderOf(t->requests()[0], "Authorization"), "Basic abc");
}

TEST_F(HttpProvidersTest, ContainerTokenFileWinsAndIsRereadOnRefresh) {
  auto t = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, kCredsJson); });
  env_->Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials");
  env_->Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-env");
  env_->Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.Write("eks-token", "token-1\n"));
  auto p = NewContainerProvider(Ctx(t));
  ASSERT_TRUE(p->Get());
  dir_.Write("eks-token", "token-2");
  clock_->Advance(std::chrono::minutes(5 * 60 + 56));  // creds expire at 18:00
  ASSERT_TRUE(p->Get());
  auto reqs = t->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].url, "http://169.254.170.23/v1/credentials");
  EXPECT_EQ(HeaderOf(reqs[0], "Authorization"), "token-1");
  EXPECT_EQ(HeaderOf(reqs[1], "Authorization"), "token-2");
}

TEST_F(HttpProvidersTest, ContainerTokenWithLineBreakIsRejected) {
  auto t = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, kCredsJson); });
  env_->Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/x");
  env_->Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Evil: 1");
  auto c = NewContainerProvider(Ctx(t))->Get();
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("line break"));
  EXPECT_TRUE(t->requests().empty());
}

TEST_F(HttpProvidersTest, ContainerFullUriHostRules) {
  auto t = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, kCredsJson); });
  const char* allowed[] = {"http://127.0.0.1:8080/creds", "http://127.1.2.3/creds",
                           "http://[::1]:80/creds",       "http://localhost/creds",
                           "http://169.254.170.2/creds",  "http://169.254.170.23/creds",
                           "http://[fd00:ec2::23]/creds", "https://creds.example.com/x"};
  for (const char* url : allowed) {
    env_->Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    EXPECT_TRUE(NewContainerProvider(Ctx(t))->Get()) << url;
  }
  const char* rejected[] = {"http://creds.example.com/x", "http://10.0.0.1/creds",
                            "http://169.254.169.254/latest", "ftp://127.0.0.1/x", "not a url"};
  for (const char* url : rejected) {
    env_->Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    auto c = NewContainerProvider(Ctx(t))->Get();
    ASSERT_FALSE(c) << url;
    EXPECT_EQ(c.error().code, "CredentialsInvalid") << url;
    EXPECT_THAT(c.error().message, HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI")) << url;
  }
  EXPECT_EQ(t->requests().size(), std::size(allowed));
}

TEST_F(HttpProvidersTest, ContainerRelativeUriWinsOverFullUri) {
  auto t = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, kCredsJson); });
  env_->Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "rel");
  env_->Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/full");
  ASSERT_TRUE(NewContainerProvider(Ctx(t))->Get());
  EXPECT_EQ(t->requests().at(0).url, "http://169.254.170.2/rel");
}

TEST_F(HttpProvidersTest, ContainerRetriesOnceThenReportsTheStatus) {
  std::atomic<int> n{0};
  auto t = std::make_shared<FakeTransport>([&](const HttpRequest&) -> Result<HttpResponse> {
    return ++n == 1 ? Reply(500, "oops") : Reply(200, kCredsJson);
  });
  env_->Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/x");
  ASSERT_TRUE(NewContainerProvider(Ctx(t))->Get());
  EXPECT_EQ(n, 2);

  auto failing = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(503, "busy"); });
  auto c = NewContainerProvider(Ctx(failing))->Get();
  ASSERT_FALSE(c);
  EXPECT_EQ(failing->requests().size(), 2u);
  EXPECT_TRUE(c.error().retryable());
  EXPECT_THAT(c.error().ToString(), HasSubstr("answered HTTP 503"));

  auto denied = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(403, "no"); });
  c = NewContainerProvider(Ctx(denied))->Get();
  ASSERT_FALSE(c);
  EXPECT_EQ(denied->requests().size(), 1u);
  EXPECT_FALSE(c.error().retryable());
  // Configured but failing: this stops the chain, it is not "not configured".
  EXPECT_NE(c.error().code, kCredentialsNotConfigured);
}

TEST_F(HttpProvidersTest, ContainerNotConfigured) {
  auto t = std::make_shared<FakeTransport>(
      [](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, kCredsJson); });
  auto c = NewContainerProvider(Ctx(t))->Get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, kCredentialsNotConfigured);
  EXPECT_TRUE(t->requests().empty());
}

TEST(ParseCredentialsJsonTest, Shapes) {
  auto ok = ParseCredentialsJson(kCredsJson, "here");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->access_key_id, "ASIAHTTP");
  auto no_exp = ParseCredentialsJson(R"({"AccessKeyId":"A","SecretAccessKey":"S"})", "here");
  ASSERT_TRUE(no_exp);
  EXPECT_FALSE(no_exp->expiration);
  EXPECT_THAT(ParseCredentialsJson("<html>", "here").error().message,
              HasSubstr("here returned a body that is not JSON"));
  EXPECT_THAT(ParseCredentialsJson(R"({"AccessKeyId":"A"})", "here").error().message,
              HasSubstr("without AccessKeyId/SecretAccessKey"));
  EXPECT_THAT(ParseCredentialsJson(
                  R"({"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})", "here")
                  .error()
                  .message,
              HasSubstr("not an ISO 8601 time: soon"));
  EXPECT_THAT(
      ParseCredentialsJson(R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"m"})", "here")
          .error()
          .message,
      HasSubstr("Code AssumeRoleUnauthorizedAccess: m"));
}

// --- IMDS --------------------------------------------------------------------------

// Scripted IMDS: token, role list, role credentials.
class FakeImds {
 public:
  int token_status = 200;
  int roles_status = 200;
  int creds_status = 200;
  int creds_failures = 0;  // 500s before success
  std::string creds_body = R"({"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s",)"
                           R"("Token":"t","Expiration":"2026-11-25T18:00:00Z"})";

  std::shared_ptr<FakeTransport> Transport() {
    return std::make_shared<FakeTransport>([this](const HttpRequest& r) -> Result<HttpResponse> {
      std::string path = r.url.substr(r.url.find('/', r.url.find("://") + 3));
      if (path == "/latest/api/token") {
        if (r.method != "PUT") return Reply(405, "");
        return Reply(token_status, "imds-token");
      }
      bool v2 = HeaderOf(r, "X-aws-ec2-metadata-token") == "imds-token";
      if (token_status == 200 && !v2) return Reply(401, "");
      if (path == "/latest/meta-data/iam/security-credentials/") {
        return Reply(roles_status, "DrsnapInstanceRole\n");
      }
      if (path == "/latest/meta-data/iam/security-credentials/DrsnapInstanceRole") {
        if (creds_failures-- > 0) return Reply(500, "");
        return Reply(creds_status, creds_body);
      }
      return Reply(404, "");
    });
  }
};

TEST_F(HttpProvidersTest, ImdsV2Flow) {
  FakeImds imds;
  auto t = imds.Transport();
  auto c = NewImdsProvider(Ctx(t))->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAIMDS");
  EXPECT_EQ(c->source, "EC2 instance role DrsnapInstanceRole");
  auto reqs = t->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].url, "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(HeaderOf(reqs[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(HeaderOf(reqs[0], "Content-Length"), "0");
  EXPECT_EQ(reqs[1].url, "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(HeaderOf(reqs[1], "X-aws-ec2-metadata-token"), "imds-token");
  EXPECT_EQ(HeaderOf(reqs[2], "X-aws-ec2-metadata-token"), "imds-token");
}

TEST_F(HttpProvidersTest, ImdsEndpointOverrideAndModes) {
  FakeImds imds;
  auto t = imds.Transport();
  env_->Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/");
  ASSERT_TRUE(NewImdsProvider(Ctx(t))->Get());
  EXPECT_EQ(t->requests().at(0).url, "http://127.0.0.1:1338/latest/api/token");
  env_->Unset("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  env_->Set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6");
  auto t6 = imds.Transport();
  ASSERT_TRUE(NewImdsProvider(Ctx(t6))->Get());
  EXPECT_EQ(t6->requests().at(0).url, "http://[fd00:ec2::254]/latest/api/token");
}

TEST_F(HttpProvidersTest, ImdsDisabled) {
  FakeImds imds;
  auto t = imds.Transport();
  env_->Set("AWS_EC2_METADATA_DISABLED", "TRUE");
  auto c = NewImdsProvider(Ctx(t))->Get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, kCredentialsNotConfigured);
  EXPECT_TRUE(t->requests().empty());
}

TEST_F(HttpProvidersTest, ImdsV1FallbackUnlessDisabled) {
  FakeImds imds;
  imds.token_status = 403;
  auto t = imds.Transport();
  auto c = NewImdsProvider(Ctx(t))->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(HeaderOf(t->requests().at(1), "X-aws-ec2-metadata-token"), "");
  env_->Set("AWS_EC2_METADATA_V1_DISABLED", "true");
  c = NewImdsProvider(Ctx(imds.Transport()))->Get();
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().ToString(), HasSubstr("AWS_EC2_METADATA_V1_DISABLED"));
}

TEST_F(HttpProvidersTest, ImdsWithoutRoleIsNotConfigured) {
  FakeImds imds;
  imds.roles_status = 404;
  auto c = NewImdsProvider(Ctx(imds.Transport()))->Get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, kCredentialsNotConfigured);
  EXPECT_THAT(c.error().message, HasSubstr("no IAM role"));
}

TEST_F(HttpProvidersTest, ImdsRetriesOnceAndReportsFailures) {
  FakeImds imds;
  imds.creds_failures = 1;
  ASSERT_TRUE(NewImdsProvider(Ctx(imds.Transport()))->Get());
  imds.creds_failures = 2;
  auto c = NewImdsProvider(Ctx(imds.Transport()))->Get();
  ASSERT_FALSE(c);
  EXPECT_TRUE(c.error().retryable());
  imds.creds_failures = 0;
  imds.creds_body = R"({"Code":"Failure","Message":"role trust broken"})";
  c = NewImdsProvider(Ctx(imds.Transport()))->Get();
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("role trust broken"));
}

TEST_F(HttpProvidersTest, ImdsRefreshesBeforeExpiry) {
  FakeImds imds;
  auto t = imds.Transport();
  auto p = NewImdsProvider(Ctx(t));
  ASSERT_TRUE(p->Get());
  clock_->Advance(std::chrono::hours(5));
  ASSERT_TRUE(p->Get());
  EXPECT_EQ(t->requests().size(), 3u);
  clock_->Advance(std::chrono::minutes(56));
  ASSERT_TRUE(p->Get());
  EXPECT_EQ(t->requests().size(), 6u);
}

// --- loopback: a real server, the real curl transport ----------------------------

class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(httplib::Server&)> routes) {
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LoopbackServer() {
    server_.stop();
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

std::shared_ptr<HttpTransport> LoopbackTransport() {
  HttpOptions o;
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.total_timeout = std::chrono::milliseconds(5000);
  o.env = std::make_shared<MapEnvironment>();  // no proxies
  return NewCurlTransport(o);
}

TEST_F(HttpProvidersTest, ImdsOverLoopback) {
  std::mutex mu;
  std::vector<std::string> seen;
  LoopbackServer server([&](httplib::Server& s) {
    s.Put("/latest/api/token", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back("PUT token ttl=" +
                     req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds"));
      res.set_content("loop-token", "text/plain");
    });
    s.Get(R"(/latest/meta-data/iam/security-credentials/(.*))",
          [&](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard<std::mutex> lock(mu);
            seen.push_back("GET " + req.path +
                           " token=" + req.get_header_value("X-aws-ec2-metadata-token"));
            if (req.get_header_value("X-aws-ec2-metadata-token") != "loop-token") {
              res.status = 401;
              return;
            }
            if (req.matches[1].str().empty()) {
              res.set_content("LoopRole", "text/plain");
            } else {
              res.set_content(R"({"Code":"Success","AccessKeyId":"ASIALOOP","SecretAccessKey":"s",)"
                              R"("Token":"t","Expiration":"2026-11-25T18:00:00Z"})",
                              "application/json");
            }
          });
  });
  env_->Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.base());
  auto c = NewImdsProvider(Ctx(LoopbackTransport()))->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIALOOP");
  EXPECT_EQ(c->source, "EC2 instance role LoopRole");
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "PUT token ttl=21600");
  EXPECT_EQ(seen[1], "GET /latest/meta-data/iam/security-credentials/ token=loop-token");
  EXPECT_EQ(seen[2], "GET /latest/meta-data/iam/security-credentials/LoopRole token=loop-token");
}

TEST_F(HttpProvidersTest, ContainerOverLoopback) {
  std::string auth;
  std::mutex mu;
  LoopbackServer server([&](httplib::Server& s) {
    s.Get("/v1/credentials", [&](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu);
        auth = req.get_header_value("Authorization");
      }
      res.set_content(kCredsJson, "application/json");
    });
  });
  env_->Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.base() + "/v1/credentials");
  env_->Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.Write("tok", "pod-identity-token"));
  auto c = NewContainerProvider(Ctx(LoopbackTransport()))->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAHTTP");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(auth, "pod-identity-token");
}

}  // namespace
}  // namespace drsnap::aws
