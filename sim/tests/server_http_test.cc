// The drsnap-sim server over real HTTP (the curl transport on loopback):
// signatures, AWS error shapes, throttling, injected faults, concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "aws/sigv4.h"
#include "core/time_util.h"
#include "sim/server.h"
#include "sim/tests/server_test_util.h"

namespace drsnap::sim {
namespace {

using testing::Admin;
using testing::Harness;
using testing::KmsRequest;
using testing::ProdAccount;
using testing::QueryRequest;
using testing::SignAndSend;
using testing::VaultAccount;
using testing::XmlCount;
using testing::XmlText;

constexpr const char* kRds = "2014-10-31";
constexpr const char* kSts = "2011-06-15";

class ServerHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(ServerOptions options) {
    auto h = testing::StartHarness(std::move(options));
    ASSERT_TRUE(h.has_value()) << h.error().ToString();
    h_ = std::move(*h);
  }

  aws::HttpResponse Rds(std::string_view action,
                        const std::vector<std::pair<std::string, std::string>>& params = {},
                        const aws::Credentials& creds = ProdAccount().credentials(),
                        std::string_view region = "eu-west-1") {
    auto r = SignAndSend(*h_.http, QueryRequest(h_.endpoint(), action, kRds, params), creds, region,
                         "rds");
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r ? *r : aws::HttpResponse{};
  }

  aws::HttpResponse AdminCall(std::string_view method, std::string_view path,
                              std::string body = "") {
    auto r = Admin(*h_.http, h_.endpoint(), method, path, std::move(body));
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r ? *r : aws::HttpResponse{};
  }

  Harness h_;
};

TEST_F(ServerHttpTest, EndpointIsLoopbackWithTheBoundPort) {
  EXPECT_GT(h_.server->port(), 0);
  EXPECT_EQ(h_.endpoint(), "http://127.0.0.1:" + std::to_string(h_.server->port()));
}

TEST_F(ServerHttpTest, GoodSignatureIsAcceptedForEveryService) {
  auto sts = SignAndSend(*h_.http, QueryRequest(h_.endpoint(), "GetCallerIdentity", kSts),
                         ProdAccount().credentials(), "us-east-1", "sts");
  ASSERT_TRUE(sts.has_value()) << sts.error().ToString();
  EXPECT_EQ(sts->status, 200) << sts->body;
  EXPECT_EQ(XmlText(sts->body, "Account"), ProdAccount().id);
  EXPECT_FALSE(sts->Header("x-amzn-RequestId").empty());

  aws::HttpResponse rds = Rds("DescribeDBSnapshots");
  EXPECT_EQ(rds.status, 200) << rds.body;
  EXPECT_NE(rds.Header("Content-Type").find("xml"), std::string::npos);
  EXPECT_EQ(XmlCount(rds.body, "DBSnapshot"), 2) << rds.body;
  EXPECT_FALSE(rds.Header("x-amzn-RequestId").empty());

  auto kms = SignAndSend(*h_.http, KmsRequest(h_.endpoint(), "ListAliases", "{}"),
                         ProdAccount().credentials(), "eu-west-1", "kms");
  ASSERT_TRUE(kms.has_value()) << kms.error().ToString();
  EXPECT_EQ(kms->status, 200) << kms->body;
  EXPECT_NE(kms->body.find("alias/drsnap-share"), std::string::npos) << kms->body;
}

TEST_F(ServerHttpTest, RegionComesFromTheCredentialScope) {
  // orders lives in eu-west-1; eu-central-1 of the same account is empty.
  EXPECT_EQ(XmlCount(Rds("DescribeDBSnapshots").body, "DBSnapshot"), 2);
  aws::HttpResponse other =
      Rds("DescribeDBSnapshots", {}, ProdAccount().credentials(), "eu-central-1");
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(XmlCount(other.body, "DBSnapshot"), 0) << other.body;
}

TEST_F(ServerHttpTest, GetQueryStringRequestsWork) {
  aws::HttpRequest r;
  r.method = "GET";
  r.url = h_.endpoint() + "/?Action=DescribeDBSnapshots&Version=2014-10-31&MaxRecords=20";
  auto resp = SignAndSend(*h_.http, r, ProdAccount().credentials(), "eu-west-1", "rds");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200) << resp->body;
  EXPECT_EQ(XmlCount(resp->body, "DBSnapshot"), 2);
}

TEST_F(ServerHttpTest, PresignedGetIsAccepted) {
  std::string url =
      aws::PresignUrl("GET", h_.endpoint() + "/?Action=GetCallerIdentity&Version=2011-06-15",
                      VaultAccount().credentials(), aws::SigningScope{"us-east-1", "sts"},
                      SystemClock().Now(), std::chrono::seconds(300));
  aws::HttpRequest r;
  r.method = "GET";
  r.url = url;
  auto resp = h_.http->Send(r);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200) << resp->body;
  EXPECT_EQ(XmlText(resp->body, "Account"), VaultAccount().id);
}

TEST_F(ServerHttpTest, TamperedBodyIsSignatureDoesNotMatch) {
  aws::HttpRequest r = QueryRequest(h_.endpoint(), "DescribeDBSnapshots", kRds);
  aws::SignRequest(r, ProdAccount().credentials(), aws::SigningScope{"eu-west-1", "rds"},
                   SystemClock().Now());
  r.body += "&MaxRecords=20";
  auto resp = h_.http->Send(r);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 403);
  EXPECT_EQ(XmlText(resp->body, "Code"), "SignatureDoesNotMatch") << resp->body;
  EXPECT_NE(resp->body.find("<ErrorResponse"), std::string::npos);
}

TEST_F(ServerHttpTest, WrongSecretAndUnknownKey) {
  aws::Credentials wrong = ProdAccount().credentials();
  wrong.secret_access_key = "nope";
  aws::HttpResponse a = Rds("DescribeDBSnapshots", {}, wrong);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(XmlText(a.body, "Code"), "SignatureDoesNotMatch");

  aws::Credentials unknown = ProdAccount().credentials();
  unknown.access_key_id = "AKIAUNKNOWN000000000";
  aws::HttpResponse b = Rds("DescribeDBSnapshots", {}, unknown);
  EXPECT_EQ(b.status, 403);
  EXPECT_EQ(XmlText(b.body, "Code"), "InvalidClientTokenId");
  EXPECT_EQ(XmlText(b.body, "Message"), "The security token included in the request is invalid.");
}

TEST_F(ServerHttpTest, KmsAuthErrorsAreJson) {
  aws::Credentials wrong = ProdAccount().credentials();
  wrong.secret_access_key = "nope";
  auto resp = SignAndSend(*h_.http, KmsRequest(h_.endpoint(), "ListAliases", "{}"), wrong,
                          "eu-west-1", "kms");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 400);
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << resp->body;
  EXPECT_EQ(j["__type"], "InvalidSignatureException");
  EXPECT_TRUE(j.contains("message"));
}

TEST_F(ServerHttpTest, ClockSkewIsRejectedAgainstRealTime) {
  // The world's virtual clock is in 2026-11-20; signing with the real clock
  // works (above), signing 10 minutes off does not.
  auto resp = SignAndSend(*h_.http, QueryRequest(h_.endpoint(), "DescribeDBSnapshots", kRds),
                          ProdAccount().credentials(), "eu-west-1", "rds",
                          SystemClock().Now() - std::chrono::minutes(10));
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 403);
  EXPECT_EQ(XmlText(resp->body, "Code"), "SignatureDoesNotMatch");
  EXPECT_NE(XmlText(resp->body, "Message").find("Signature expired"), std::string::npos);

  // With signature_clock=simulator, signing with the virtual clock works.
  ASSERT_EQ(AdminCall("PUT", "/_sim/settings", R"({"signature_clock":"simulator"})").status, 200);
  auto at_sim = SignAndSend(*h_.http, QueryRequest(h_.endpoint(), "DescribeDBSnapshots", kRds),
                            ProdAccount().credentials(), "eu-west-1", "rds", h_.sim->Now());
  ASSERT_TRUE(at_sim.has_value());
  EXPECT_EQ(at_sim->status, 200) << at_sim->body;
}

TEST_F(ServerHttpTest, SessionCredentialsWorkUntilTheyExpireInVirtualTime) {
  auto assumed =
      SignAndSend(*h_.http,
                  QueryRequest(h_.endpoint(), "AssumeRole", kSts,
                               {{"RoleArn", "arn:aws:iam::444455556666:role/drsnap-vault"},
                                {"RoleSessionName", "test"},
                                {"DurationSeconds", "900"}}),
                  ProdAccount().credentials(), "us-east-1", "sts");
  ASSERT_TRUE(assumed.has_value());
  ASSERT_EQ(assumed->status, 200) << assumed->body;
  aws::Credentials session;
  session.access_key_id = XmlText(assumed->body, "AccessKeyId");
  session.secret_access_key = XmlText(assumed->body, "SecretAccessKey");
  session.session_token = XmlText(assumed->body, "SessionToken");
  ASSERT_FALSE(session.session_token.empty());

  auto who = SignAndSend(*h_.http, QueryRequest(h_.endpoint(), "GetCallerIdentity", kSts), session,
                         "us-east-1", "sts");
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->status, 200) << who->body;
  EXPECT_EQ(XmlText(who->body, "Account"), VaultAccount().id);

  aws::Credentials no_token = session;
  no_token.session_token.clear();
  aws::HttpResponse missing = Rds("DescribeDBSnapshots", {}, no_token, "eu-central-1");
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(XmlText(missing.body, "Code"), "InvalidClientTokenId");

  ASSERT_EQ(AdminCall("POST", "/_sim/time/advance", R"({"seconds":1800})").status, 200);
  aws::HttpResponse expired = Rds("DescribeDBSnapshots", {}, session, "eu-central-1");
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(XmlText(expired.body, "Code"), "ExpiredToken") << expired.body;
}

TEST_F(ServerHttpTest, UnsignedRequestsAreRefusedExceptWebIdentity) {
  auto resp = h_.http->Send(QueryRequest(h_.endpoint(), "DescribeDBSnapshots", kRds));
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 403);
  EXPECT_EQ(XmlText(resp->body, "Code"), "MissingAuthenticationToken");

  auto kms = h_.http->Send(KmsRequest(h_.endpoint(), "ListAliases", "{}"));
  ASSERT_TRUE(kms.has_value());
  EXPECT_NE(kms->body.find("MissingAuthenticationTokenException"), std::string::npos);

  // AssumeRoleWithWebIdentity reaches the simulator unsigned (whatever it
  // then decides about the token, it is not an authentication error).
  auto web = h_.http->Send(QueryRequest(h_.endpoint(), "AssumeRoleWithWebIdentity", kSts,
                                        {{"RoleArn", "arn:aws:iam::444455556666:role/x"},
                                         {"RoleSessionName", "s"},
                                         {"WebIdentityToken", "token"}}));
  ASSERT_TRUE(web.has_value());
  EXPECT_NE(XmlText(web->body, "Code"), "MissingAuthenticationToken") << web->body;
  EXPECT_NE(web->status, 403) << web->body;
}

TEST_F(ServerHttpTest, UnknownActionIsInvalidAction) {
  aws::HttpResponse r = Rds("DescribeNothing");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(XmlText(r.body, "Code"), "InvalidAction") << r.body;
}

TEST_F(ServerHttpTest, ThrottlingKicksInAfterTheBurst) {
  ASSERT_EQ(AdminCall("POST", "/_sim/faults",
                      R"({"throttle":true,"throttle_burst":20,"throttle_rate":0.001})")
                .status,
            200);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Rds("DescribeDBSnapshots").status, 200) << i;
  aws::HttpResponse t = Rds("DescribeDBSnapshots");
  EXPECT_EQ(t.status, 400);
  EXPECT_EQ(XmlText(t.body, "Code"), "Throttling");
  EXPECT_EQ(XmlText(t.body, "Message"), "Rate exceeded");
  // Another account has its own bucket.
  EXPECT_EQ(Rds("DescribeDBSnapshots", {}, VaultAccount().credentials(), "eu-central-1").status,
            200);
  // KMS answers in its own shape.
  for (int i = 0; i < 20; ++i) {
    (void)SignAndSend(*h_.http, KmsRequest(h_.endpoint(), "ListAliases", "{}"),
                      ProdAccount().credentials(), "eu-west-1", "kms");
  }
  auto kms = SignAndSend(*h_.http, KmsRequest(h_.endpoint(), "ListAliases", "{}"),
                         ProdAccount().credentials(), "eu-west-1", "kms");
  ASSERT_TRUE(kms.has_value());
  EXPECT_EQ(kms->status, 400);
  EXPECT_NE(kms->body.find("ThrottlingException"), std::string::npos) << kms->body;

  RequestCounts c =
      h_.server->stats().Get("rds", "DescribeDBSnapshots", ProdAccount().id, "eu-west-1");
  EXPECT_EQ(c.ok, 20u);
  EXPECT_EQ(c.throttled, 1u);
}

TEST_F(ServerHttpTest, InjectedServerErrorsFollowTheConfiguredRate) {
  ASSERT_EQ(AdminCall("POST", "/_sim/faults", R"({"error_rate":0.3,"seed":7})").status, 200);
  int e503 = 0, ok = 0;
  for (int i = 0; i < 200; ++i) {
    aws::HttpResponse r = Rds("DescribeDBSnapshots");
    if (r.status == 503) {
      ++e503;
      EXPECT_EQ(XmlText(r.body, "Code"), "ServiceUnavailable");
    } else if (r.status == 200) {
      ++ok;
    }
  }
  EXPECT_EQ(e503 + ok, 200);
  // Binomial(200, 0.3): mean 60, sd 6.5; the seed makes it reproducible.
  EXPECT_GT(e503, 35);
  EXPECT_LT(e503, 85);
  EXPECT_EQ(h_.server->stats().Total().faulted, static_cast<uint64_t>(e503));
}

TEST_F(ServerHttpTest, DroppedConnectionsAnswerNothing) {
  ASSERT_EQ(AdminCall("POST", "/_sim/faults", R"({"drop_rate":1})").status, 200);
  auto r = SignAndSend(*h_.http, QueryRequest(h_.endpoint(), "DescribeDBSnapshots", kRds),
                       ProdAccount().credentials(), "eu-west-1", "rds");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().retryable()) << r.error().ToString();
  // Admin calls are never faulted.
  ASSERT_EQ(AdminCall("DELETE", "/_sim/faults").status, 200);
  EXPECT_EQ(Rds("DescribeDBSnapshots").status, 200);
}

TEST_F(ServerHttpTest, ConcurrentClients) {
  constexpr int kThreads = 8, kCalls = 40;
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto http = aws::NewCurlTransport();
      const bool vault = t % 2 == 1;
      for (int i = 0; i < kCalls; ++i) {
        auto r = SignAndSend(*http, QueryRequest(h_.endpoint(), "DescribeDBSnapshots", kRds),
                             vault ? VaultAccount().credentials() : ProdAccount().credentials(),
                             vault ? "eu-central-1" : "eu-west-1", "rds");
        (r && r->status == 200 ? ok : bad).fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(h_.server->stats().Get("rds", "DescribeDBSnapshots", ProdAccount().id, "eu-west-1").ok,
            static_cast<uint64_t>(kThreads / 2 * kCalls));
  EXPECT_EQ(h_.server->stats().Total().total, static_cast<uint64_t>(kThreads * kCalls));
}

TEST_F(ServerHttpTest, StopIsPromptWithOpenKeepAliveConnections) {
  ASSERT_EQ(Rds("DescribeDBSnapshots").status, 200);  // leaves a pooled connection open
  h_.server->Stop();
  h_.server->Stop();  // idempotent
  auto r = h_.http->Send(QueryRequest(h_.endpoint(), "DescribeDBSnapshots", kRds));
  EXPECT_FALSE(r.has_value());
}

}  // namespace
}  // namespace drsnap::sim
