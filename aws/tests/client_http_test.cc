// The whole call pipeline over the real curl transport against a local
// server that checks SigV4 signatures as AWS would.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "aws/client.h"
#include "aws/encoding.h"
#include "aws/sigv4.h"
#include "aws/tests/http_test_util.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

const Credentials kCreds{
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+1", {}, "test"};

// A fake RDS endpoint: verifies the signature of every request, answers the
// first `throttles` with a Throttling error, then with a small response.
class FakeRds {
 public:
  explicit FakeRds(int throttles) : throttles_(throttles) {
    server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      int n = ++requests_;
      std::string why = Verify(req);
      if (!why.empty()) {
        std::lock_guard lock(mu_);
        failures_.push_back(why);
        res.status = 403;
        res.set_content("<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>" + why +
                            "</Message></Error><RequestId>r</RequestId></ErrorResponse>",
                        "text/xml");
        return;
      }
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(req.body);
      }
      if (n <= throttles_) {
        res.status = 400;
        res.set_header("x-amzn-RequestId", "throttle-" + std::to_string(n));
        res.set_content(
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
            "exceeded</Message></Error><RequestId>throttle-" +
                std::to_string(n) + "</RequestId></ErrorResponse>",
            "text/xml");
        return;
      }
      res.set_content(
          "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult/>"
          "</DescribeDBSnapshotsResponse>",
          "text/xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeRds() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  std::vector<std::string> failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  std::string Verify(const httplib::Request& r) {
    HttpRequest req;
    req.method = r.method;
    req.url = url() + r.target;
    for (const auto& [k, v] : r.headers) req.headers.emplace_back(k, v);
    req.body = r.body;
    auto parsed = ParseAuthorizationHeader(r.get_header_value("Authorization"));
    if (!parsed) return "bad Authorization: " + parsed.error().message;
    auto t = ParseAmzDate(r.get_header_value("X-Amz-Date"));
    if (!t) return "bad X-Amz-Date";
    if (r.get_header_value("X-Amz-Security-Token") != kCreds.session_token) return "bad token";
    SigningScope scope{parsed->region, parsed->service};
    std::string creq = CanonicalRequest(req, parsed->signed_headers, Sha256Hex(req.body));
    std::string want =
        ComputeSignature(DeriveSigningKey(kCreds.secret_access_key, parsed->date_stamp, scope),
                         StringToSign(*t, scope, creq));
    if (want != parsed->signature) return "signature mismatch; canonical request:\n" + creq;
    return "";
  }

  const int throttles_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::vector<std::string> failures_;
  std::vector<std::string> bodies_;
};

ClientContext Context() {
  ClientContext ctx;
  HttpOptions o;
  o.env = std::make_shared<MapEnvironment>();
  ctx.transport = NewCurlTransport(o);
  ctx.credentials = std::make_shared<StaticCredentialsProvider>(kCreds);
  // The server checks signatures, not the time: a fake clock keeps backoff
  // sleeps out of the test's run time.
  ctx.clock = std::make_shared<FakeClock>(std::chrono::sys_days{std::chrono::year{2026} / 11 / 25});
  return ctx;
}

TEST(ClientOverHttpTest, SignedQueryCallSucceedsAfterThrottles) {
  FakeRds rds(/*throttles=*/2);
  ServiceClient client(Context(), {rds.url(), "us-east-1", "rds"});
  auto r = client.CallQuery(
      "DescribeDBSnapshots", "2014-10-31",
      {{"DBInstanceIdentifier", "prod db/1"}, {"Filters.Filter.1.Values.Value.1", "ünïcode ~*"}});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_NE(r->find("<DescribeDBSnapshotsResult/>"), std::string::npos);
  EXPECT_EQ(rds.requests(), 3);
  EXPECT_TRUE(rds.failures().empty()) << rds.failures().at(0);
  auto bodies = rds.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0],
            "Action=DescribeDBSnapshots&Version=2014-10-31&DBInstanceIdentifier=prod+db%2F1"
            "&Filters.Filter.1.Values.Value.1=%C3%BCn%C3%AFcode+~%2A");
}

TEST(ClientOverHttpTest, ThrottlingBeyondMaxAttemptsIsReported) {
  FakeRds rds(/*throttles=*/100);
  ServiceClient client(Context(), {rds.url(), "eu-central-1", "rds"});
  auto r = client.CallQuery("DescribeDBSnapshots", "2014-10-31", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(rds.requests(), 3);
  EXPECT_TRUE(rds.failures().empty()) << rds.failures().at(0);
  EXPECT_EQ(r.error().code, "Throttling");
  EXPECT_TRUE(r.error().throttling());
  EXPECT_EQ(r.error().request_id, "throttle-3");
  EXPECT_EQ(r.error().ToString(),
            rds.url() +
                ": DescribeDBSnapshots (3 attempts, max attempts reached): Rate exceeded "
                "[Throttling, HTTP 400, request id throttle-3]");
}

TEST(ClientOverHttpTest, UnreachableEndpointIsTransientWithContext) {
  int port = testing::UnusedLoopbackPort();
  ClientContext ctx = Context();
  ctx.retry.max_attempts = 2;
  ServiceClient client(ctx, {"http://127.0.0.1:" + std::to_string(port), "us-east-1", "rds"});
  auto r = client.CallQuery("DescribeDBInstances", "2014-10-31", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "ConnectionError");
  EXPECT_EQ(r.error().error_class, ErrorClass::kTransient);
  EXPECT_NE(r.error().ToString().find("DescribeDBInstances (2 attempts"), std::string::npos)
      << r.error().ToString();
}

}  // namespace
}  // namespace drsnap::aws
