#include "aws/client.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include "aws/encoding.h"
#include "aws/rate_limiter.h"
#include "aws/sigv4.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Answers each Send() with the next scripted result (the last one repeats)
// and records what was sent and when.
class ScriptedTransport final : public HttpTransport {
 public:
  explicit ScriptedTransport(std::vector<Result<HttpResponse>> script,
                             std::shared_ptr<Clock> clock = nullptr)
      : script_(std::move(script)), clock_(std::move(clock)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    sent_.push_back(request);
    if (clock_) times_.push_back(clock_->Now());
    size_t i = std::min(next_++, script_.size() - 1);
    return script_[i];
  }
  std::vector<HttpRequest> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::vector<TimePoint> times() const {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  std::vector<Result<HttpResponse>> script_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  size_t next_ = 0;
  std::vector<HttpRequest> sent_;
  std::vector<TimePoint> times_;
};

class FailingCredentials final : public CredentialsProvider {
 public:
  Result<Credentials> Get() override {
    Error e = Error::Terminal("NoCredentials", "no credentials found in env or ~/.aws");
    e.hint = "set AWS_PROFILE";
    return Fail(std::move(e));
  }
};

Result<HttpResponse> Ok(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"x-amzn-RequestId", "ok-1"}};
  r.body = std::move(body);
  return r;
}

Result<HttpResponse> XmlError(int status, const std::string& code, const std::string& msg) {
  HttpResponse r;
  r.status = status;
  r.body =
      "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender"
      "</Type><Code>" +
      code + "</Code><Message>" + msg + "</Message></Error><RequestId>rid-" + code +
      "</RequestId></ErrorResponse>";
  return r;
}

Credentials TestCreds(std::string token = "") {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.session_token = std::move(token);
  c.source = "test";
  return c;
}

const TimePoint kStart =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + std::chrono::hours(14);

struct Fixture {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>(kStart);
  std::shared_ptr<ScriptedTransport> transport;
  ClientContext ctx;

  explicit Fixture(std::vector<Result<HttpResponse>> script, std::string token = "") {
    transport = std::make_shared<ScriptedTransport>(std::move(script), clock);
    ctx.transport = transport;
    ctx.credentials = std::make_shared<StaticCredentialsProvider>(TestCreds(std::move(token)));
    ctx.clock = clock;
    ctx.jitter = [] { return 1.0; };
    ctx.retry.base_delay = milliseconds(1000);
  }
};

ServiceEndpoint Rds() { return {"https://rds.us-east-1.amazonaws.com", "us-east-1", "rds"}; }

// Recomputes the signature of a request as sent, the way a server checks it.
void ExpectValidSignature(const HttpRequest& sent, const Credentials& creds,
                          const SigningScope& scope) {
  std::string auth;
  std::string amz_date;
  for (const auto& [k, v] : sent.headers) {
    if (k == "Authorization") auth = v;
    if (k == "X-Amz-Date") amz_date = v;
  }
  auto parsed = ParseAuthorizationHeader(auth);
  ASSERT_TRUE(parsed.has_value()) << auth;
  EXPECT_EQ(parsed->access_key_id, creds.access_key_id);
  EXPECT_EQ(parsed->region, scope.region);
  EXPECT_EQ(parsed->service, scope.service);
  auto t = ParseAmzDate(amz_date);
  ASSERT_TRUE(t.has_value()) << amz_date;
  std::string creq = CanonicalRequest(sent, parsed->signed_headers, Sha256Hex(sent.body));
  std::string sts = StringToSign(*t, scope, creq);
  std::string key = DeriveSigningKey(creds.secret_access_key, parsed->date_stamp, scope);
  EXPECT_EQ(ComputeSignature(key, sts), parsed->signature);
}

std::string HeaderOf(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

TEST(ServiceClientTest, QueryRequestIsSerializedAndSigned) {
  Fixture f({Ok("<DescribeDBSnapshotsResponse/>")}, "session-token-1");
  ServiceClient client(f.ctx, Rds());
  QueryParams params = {{"DBInstanceIdentifier", "db 1"},
                        {"Filters.Filter.1.Name", "snapshot-type"},
                        {"Filters.Filter.1.Values.Value.1", "manual/x~y"}};
  auto r = client.CallQuery("DescribeDBSnapshots", "2014-10-31", params);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(*r, "<DescribeDBSnapshotsResponse/>");
  auto sent = f.transport->sent();
  ASSERT_EQ(sent.size(), 1u);
  const HttpRequest& req = sent[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://rds.us-east-1.amazonaws.com/");
  EXPECT_EQ(req.body,
            "Action=DescribeDBSnapshots&Version=2014-10-31&DBInstanceIdentifier=db+1"
            "&Filters.Filter.1.Name=snapshot-type&Filters.Filter.1.Values.Value.1=manual%2Fx~y");
  EXPECT_EQ(HeaderOf(req, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(HeaderOf(req, "X-Amz-Date"), "20261125T140000Z");
  EXPECT_EQ(HeaderOf(req, "X-Amz-Security-Token"), "session-token-1");
  EXPECT_EQ(HeaderOf(req, "User-Agent"), "drsnap/0.1");
  std::string auth = HeaderOf(req, "Authorization");
  EXPECT_EQ(
      auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/rds/aws4_request,", 0),
      0u)
      << auth;
  EXPECT_NE(auth.find("content-type;host;x-amz-date;x-amz-security-token"), std::string::npos)
      << auth;
  ExpectValidSignature(req, TestCreds("session-token-1"), {"us-east-1", "rds"});
}

TEST(ServiceClientTest, JsonRequestCarriesTarget) {
  Fixture f({Ok(R"({"KeyMetadata":{}})")});
  ServiceClient client(f.ctx, {"https://kms.eu-west-1.amazonaws.com/", "eu-west-1", "kms"});
  auto r = client.CallJson("TrentService.DescribeKey", R"({"KeyId":"alias/drsnap"})");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(*r, R"({"KeyMetadata":{}})");
  const HttpRequest req = f.transport->sent().at(0);
  EXPECT_EQ(req.url, "https://kms.eu-west-1.amazonaws.com/");
  EXPECT_EQ(req.body, R"({"KeyId":"alias/drsnap"})");
  EXPECT_EQ(HeaderOf(req, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(HeaderOf(req, "X-Amz-Target"), "TrentService.DescribeKey");
  EXPECT_EQ(HeaderOf(req, "X-Amz-Security-Token"), "");
  EXPECT_NE(HeaderOf(req, "Authorization").find("x-amz-target"), std::string::npos);
  ExpectValidSignature(req, TestCreds(), {"eu-west-1", "kms"});
}

TEST(ServiceClientTest, ThrottleThrottleSuccessRetriesAndResigns) {
  Fixture f({XmlError(400, "Throttling", "Rate exceeded"),
             XmlError(400, "ThrottlingException", "Rate exceeded"), Ok("<ok/>")});
  auto limiter = std::make_shared<RateLimiter>(RateLimiterOptions{}, f.clock);
  f.ctx.rate_limiter = limiter;
  ServiceClient client(f.ctx, Rds());
  auto r = client.CallQuery("DescribeDBInstances", "2014-10-31", {});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(*r, "<ok/>");
  auto sent = f.transport->sent();
  ASSERT_EQ(sent.size(), 3u);
  // Backoff with jitter 1.0: 1 s then 2 s; the limiter may add its own wait.
  auto times = f.transport->times();
  EXPECT_GE(times[1] - times[0], seconds(1));
  EXPECT_GE(times[2] - times[1], seconds(2));
  // Each attempt is signed afresh at its own time.
  EXPECT_EQ(HeaderOf(sent[0], "X-Amz-Date"), FormatAmzDate(times[0]));
  EXPECT_EQ(HeaderOf(sent[2], "X-Amz-Date"), FormatAmzDate(times[2]));
  EXPECT_NE(HeaderOf(sent[0], "Authorization"), HeaderOf(sent[2], "Authorization"));
  for (const auto& s : sent) ExpectValidSignature(s, TestCreds(), {"us-east-1", "rds"});
  // The limiter heard both throttles.
  EXPECT_LT(limiter->fill_rate(), 12.0 * 0.7 + 1e-9);
}

TEST(ServiceClientTest, TerminalErrorIsNotRetriedAndCarriesContext) {
  Fixture f({XmlError(404, "DBSnapshotNotFound", "DBSnapshot not found: s1"), Ok("<ok/>")});
  ServiceClient client(f.ctx, Rds());
  auto r = client.CallQuery("DeleteDBSnapshot", "2014-10-31", {{"DBSnapshotIdentifier", "s1"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(f.transport->sent().size(), 1u);
  const Error& e = r.error();
  EXPECT_EQ(e.code, "DBSnapshotNotFound");
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.request_id, "rid-DBSnapshotNotFound");
  EXPECT_EQ(e.error_class, ErrorClass::kTerminal);
  ASSERT_EQ(e.context.size(), 2u);
  EXPECT_EQ(e.context[0], "DeleteDBSnapshot");
  EXPECT_EQ(e.context[1], "https://rds.us-east-1.amazonaws.com");
  EXPECT_EQ(e.ToString(),
            "https://rds.us-east-1.amazonaws.com: DeleteDBSnapshot: DBSnapshot not found: s1 "
            "[DBSnapshotNotFound, HTTP 404, request id rid-DBSnapshotNotFound]");
  EXPECT_EQ(f.clock->Now(), kStart);  // no backoff sleep
}

TEST(ServiceClientTest, MaxAttemptsThenGiveUp) {
  Fixture f({XmlError(503, "ServiceUnavailable", "try later")});
  ServiceClient client(f.ctx, Rds());
  auto r = client.CallQuery("CreateDBSnapshot", "2014-10-31", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(f.transport->sent().size(), 3u);
  EXPECT_EQ(r.error().context.at(0), "CreateDBSnapshot (3 attempts, max attempts reached)");
  EXPECT_EQ(r.error().error_class, ErrorClass::kTransient);
}

TEST(ServiceClientTest, RetryQuotaExhaustionStopsRetrying) {
  Fixture f({XmlError(500, "InternalFailure", "boom")});
  f.ctx.retry.max_attempts = 10;
  f.ctx.retry.retry_quota = 12;  // two retries at 5 tokens each
  ServiceClient client(f.ctx, Rds());
  auto r = client.CallQuery("DescribeDBClusters", "2014-10-31", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(f.transport->sent().size(), 3u);
  EXPECT_EQ(r.error().context.at(0), "DescribeDBClusters (3 attempts, retry quota exhausted)");
  // The quota is per client: the next failing call gets no retry at all.
  auto again = client.CallQuery("DescribeDBClusters", "2014-10-31", {});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(f.transport->sent().size(), 4u);
}

TEST(ServiceClientTest, TransportErrorsAreRetried) {
  Fixture f({Fail(Error::Transient("ConnectionError", "connection reset").With("POST rds")),
             Fail(Error::Transient("RequestTimeout", "timed out")), Ok("<ok/>")});
  ServiceClient client(f.ctx, Rds());
  auto r = client.CallQuery("DescribeDBSnapshots", "2014-10-31", {});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(f.transport->sent().size(), 3u);
}

TEST(ServiceClientTest, TlsFailureIsNotRetried) {
  Fixture f({Fail(Error::Terminal("TlsVerificationFailed", "bad cert")), Ok("<ok/>")});
  ServiceClient client(f.ctx, Rds());
  auto r = client.CallQuery("DescribeDBSnapshots", "2014-10-31", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "TlsVerificationFailed");
  EXPECT_EQ(f.transport->sent().size(), 1u);
}

TEST(ServiceClientTest, CredentialErrorsComeBackAsTheyAre) {
  Fixture f({Ok("<ok/>")});
  f.ctx.credentials = std::make_shared<FailingCredentials>();
  ServiceClient client(f.ctx, Rds());
  auto r = client.CallQuery("DescribeDBSnapshots", "2014-10-31", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "NoCredentials");
  EXPECT_EQ(r.error().hint, "set AWS_PROFILE");
  EXPECT_EQ(r.error().context.at(0), "DescribeDBSnapshots");
  EXPECT_TRUE(f.transport->sent().empty());
}

TEST(ServiceClientTest, JsonErrorsAreDecoded) {
  HttpResponse nf;
  nf.status = 400;
  nf.headers = {{"x-amzn-RequestId", "kms-rid"}};
  nf.body = R"({"__type":"NotFoundException","message":"Alias alias/x is not found."})";
  Fixture f({nf});
  ServiceClient client(f.ctx, {"https://kms.us-east-1.amazonaws.com", "us-east-1", "kms"});
  auto r = client.CallJson("TrentService.DescribeKey", R"({"KeyId":"alias/x"})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "NotFoundException");
  EXPECT_EQ(r.error().request_id, "kms-rid");
  EXPECT_EQ(r.error().context.at(0), "DescribeKey");
}

TEST(ServiceClientTest, RateLimiterGatesEveryAttempt) {
  Fixture f({Ok("<ok/>")});
  RateLimiterOptions o;
  o.max_rate = 2;
  o.burst = 1;
  auto limiter = std::make_shared<RateLimiter>(o, f.clock);
  f.ctx.rate_limiter = limiter;
  ServiceClient client(f.ctx, Rds());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(client.CallQuery("DescribeDBSnapshots", "2014-10-31", {}));
  // One token at once, then one every 0.5 s.
  EXPECT_EQ(f.clock->Now() - kStart, milliseconds(2000));
}

TEST(ServiceClientTest, ConcurrentCallsShareOneClient) {
  Fixture f({Ok("<ok/>")});
  ServiceClient client(f.ctx, Rds());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (client.CallQuery("DescribeDBSnapshots", "2014-10-31", {{"Marker", "m"}})) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(f.transport->sent().size(), 400u);
}

}  // namespace
}  // namespace drsnap::aws
