// SchedulerClient over the real curl transport against a loopback fake of
// EventBridge Scheduler that checks SigV4 signatures as AWS would: the
// REST-JSON request of CreateSchedule (path, body, signing name), its
// answer, ConflictException as idempotent success, and errors as values.
#include "aws/scheduler.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/encoding.h"
#include "aws/endpoints.h"
#include "aws/sigv4.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using nlohmann::json;

const Credentials kCreds{
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+1", {}, "test"};

struct Received {
  std::string method, path, content_type, body, signing_service, signing_region, failure;
};

// A fake Scheduler endpoint: verifies each request's signature, records it,
// and answers with the queued (status, body, error type header) or 200 and a
// ScheduleArn.
class FakeScheduler {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    std::string error_type;  // x-amzn-ErrorType
  };
  FakeScheduler() {
    server_.Post(R"(/schedules/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      Received r{req.method, req.path, req.get_header_value("Content-Type"), req.body, "", "", ""};
      auto parsed = ParseAuthorizationHeader(req.get_header_value("Authorization"));
      if (parsed) {
        r.signing_service = parsed->service;
        r.signing_region = parsed->region;
      }
      r.failure = Verify(req);
      Answer a;
      {
        std::lock_guard lock(mu_);
        received_.push_back(r);
        if (!answers_.empty()) {
          a = answers_.front();
          answers_.erase(answers_.begin());
        } else {
          a.body = R"({"ScheduleArn":"arn:aws:scheduler:eu-west-1:222222222222:schedule/)" +
                   std::string("g/") + req.matches[1].str() + "\"}";
        }
      }
      res.status = r.failure.empty() ? a.status : 403;
      if (!a.error_type.empty()) res.set_header("x-amzn-ErrorType", a.error_type);
      res.set_header("x-amzn-RequestId", "req-1");
      res.set_content(r.failure.empty() ? a.body : R"({"Message":")" + r.failure + "\"}",
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeScheduler() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Queue(Answer a) {
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(a));
  }
  std::vector<Received> received() const {
    std::lock_guard lock(mu_);
    return received_;
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
    SigningScope scope{parsed->region, parsed->service};
    std::string creq = CanonicalRequest(req, parsed->signed_headers, Sha256Hex(req.body));
    std::string want =
        ComputeSignature(DeriveSigningKey(kCreds.secret_access_key, parsed->date_stamp, scope),
                         StringToSign(*t, scope, creq));
    return want == parsed->signature ? "" : "signature mismatch";
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Answer> answers_;
  std::vector<Received> received_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerClient Client() {
    // The endpoint as the function resolves it: AWS_ENDPOINT_URL_SCHEDULER.
    MapEnvironment env;
    env.Set("AWS_ENDPOINT_URL_SCHEDULER", fake_.url());
    auto ep = ResolveEndpoint("scheduler", "eu-west-1", env, nullptr);
    EXPECT_TRUE(ep) << ep.error().ToString();
    ClientContext ctx;
    HttpOptions o;
    o.env = std::make_shared<MapEnvironment>();
    ctx.transport = NewCurlTransport(o);
    ctx.credentials = std::make_shared<StaticCredentialsProvider>(kCreds);
    ctx.clock = std::make_shared<FakeClock>(*ParseIso8601("2026-11-23T05:00:00Z"));
    ctx.retry.max_attempts = 1;
    return SchedulerClient(std::make_shared<ServiceClient>(std::move(ctx), *ep));
  }

  OneTimeSchedule Schedule() {
    OneTimeSchedule s;
    s.name = "drsnap-wake-vault-20261123T0530";
    s.group_name = "drsnap-watch-vault-eu-west-1";
    s.at = *ParseIso8601("2026-11-23T05:29:59.250Z");
    s.target_arn = "arn:aws:lambda:eu-west-1:222222222222:function:drsnap-vault";
    s.role_arn = "arn:aws:iam::222222222222:role/drsnap-watch-wake-up";
    s.input = R"({"source":"drsnap"})";
    return s;
  }

  FakeScheduler fake_;
};

TEST_F(SchedulerTest, CreateOneTimeScheduleSendsTheBotocoreShape) {
  auto r = Client().CreateOneTimeSchedule(Schedule());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->already_existed);
  EXPECT_EQ(r->schedule_arn,
            "arn:aws:scheduler:eu-west-1:222222222222:schedule/g/drsnap-wake-vault-20261123T0530");
  auto got = fake_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].failure, "");
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].path, "/schedules/drsnap-wake-vault-20261123T0530");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].signing_service, "scheduler");
  EXPECT_EQ(got[0].signing_region, "eu-west-1");
  // The exact body: Name is in the path only; the time rounded up to the
  // second, in UTC, without a zone suffix.
  EXPECT_EQ(json::parse(got[0].body), json::parse(R"json({
              "ScheduleExpression": "at(2026-11-23T05:30:00)",
              "ScheduleExpressionTimezone": "UTC",
              "FlexibleTimeWindow": {"Mode": "OFF"},
              "Target": {"Arn": "arn:aws:lambda:eu-west-1:222222222222:function:drsnap-vault",
                         "RoleArn": "arn:aws:iam::222222222222:role/drsnap-watch-wake-up",
                         "Input": "{\"source\":\"drsnap\"}"},
              "GroupName": "drsnap-watch-vault-eu-west-1",
              "ActionAfterCompletion": "DELETE",
              "ClientToken": "drsnap-wake-vault-20261123T0530"})json"));
}

TEST_F(SchedulerTest, AnExistingScheduleOfThatNameIsSuccess) {
  fake_.Queue({409, R"({"Message":"Schedule drsnap-wake-vault-20261123T0530 already exists."})",
               "ConflictException:http://internal.amazon.com/coral/com.amazonaws.chronos/"});
  auto r = Client().CreateOneTimeSchedule(Schedule());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->already_existed);
  EXPECT_EQ(r->schedule_arn, "");
}

TEST_F(SchedulerTest, ErrorsAreValuesNamingTheOperationAndTheSchedule) {
  fake_.Queue({404, R"({"Message":"Schedule group drsnap-watch-vault-eu-west-1 does not exist."})",
               "ResourceNotFoundException"});
  auto r = Client().CreateOneTimeSchedule(Schedule());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceNotFoundException");
  EXPECT_EQ(r.error().http_status, 404);
  std::string text = r.error().ToString();
  EXPECT_NE(text.find("CreateSchedule"), std::string::npos) << text;
  EXPECT_NE(text.find("drsnap-watch-vault-eu-west-1/drsnap-wake-vault-20261123T0530"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("does not exist"), std::string::npos) << text;

  fake_.Queue({200, "not json", ""});
  auto bad = Client().CreateOneTimeSchedule(Schedule());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "MalformedResponse");
}

TEST_F(SchedulerTest, ANameAwsWouldRefuseIsRefusedBeforeAnyCall) {
  OneTimeSchedule s = Schedule();
  s.name = "drsnap wake/up";
  auto r = Client().CreateOneTimeSchedule(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidScheduleName");
  s = Schedule();
  s.group_name = std::string(65, 'g');
  EXPECT_FALSE(Client().CreateOneTimeSchedule(s));
  EXPECT_TRUE(fake_.received().empty());
}

TEST(SchedulerCodec, AtExpressionIsWholeSecondsUtc) {
  EXPECT_EQ(AtExpression(*ParseIso8601("2026-11-23T05:30:00Z")), "at(2026-11-23T05:30:00)");
  EXPECT_EQ(AtExpression(*ParseIso8601("2026-12-31T23:59:59.001Z")), "at(2027-01-01T00:00:00)");
}

TEST(SchedulerCodec, TheStandardEndpointIsRegional) {
  MapEnvironment env;
  auto ep = ResolveEndpoint("scheduler", "eu-west-1", env, nullptr);
  ASSERT_TRUE(ep) << ep.error().ToString();
  EXPECT_EQ(ep->url, "https://scheduler.eu-west-1.amazonaws.com");
  EXPECT_EQ(ep->signing_name, "scheduler");
}

}  // namespace
}  // namespace drsnap::aws
