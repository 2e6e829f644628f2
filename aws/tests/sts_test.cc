// StsClient over a fake transport: AssumeRole (signed), web identity
// (unsigned, retried on IdP trouble), GetCallerIdentity, and the factory.
#include "aws/sts.h"

#include <gtest/gtest.h>

#include "aws/query.h"
#include "aws/tests/rds_fake.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using rdstest::Fixture;

constexpr char kUrl[] = "https://sts.us-east-1.amazonaws.com";

bool HasHeader(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return true;
  return false;
}

TEST(StsClient, AssumeRoleSendsParamsSignsAndDecodesCredentials) {
  auto t = std::make_shared<rdstest::FakeTransport>();
  StsClient sts(rdstest::MakeClient(t, "sts", "us-east-1", kUrl));
  t->Push(200, Fixture("sts_assume_role.xml"));
  auto c = sts.AssumeRole({.role_arn = "arn:aws:iam::444455556666:role/drsnap-vault",
                           .role_session_name = "drsnap",
                           .external_id = "ext-123",
                           .duration_seconds = 900});
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(c->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(c->session_token,
            "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+token/with=chars");
  EXPECT_EQ(c->expiration, ParseIso8601("2026-11-23T13:00:00Z"));
  EXPECT_EQ(c->source, "assume-role arn:aws:iam::444455556666:role/drsnap-vault");
  HttpRequest r = t->last_request();
  EXPECT_TRUE(HasHeader(r, "Authorization"));
  EXPECT_EQ(r.url, std::string(kUrl) + "/");
  EXPECT_EQ(rdstest::BodyParams(r),
            (QueryParams{{"Action", "AssumeRole"},
                         {"Version", "2011-06-15"},
                         {"RoleArn", "arn:aws:iam::444455556666:role/drsnap-vault"},
                         {"RoleSessionName", "drsnap"},
                         {"DurationSeconds", "900"},
                         {"ExternalId", "ext-123"}}));
}

TEST(StsClient, AssumeRoleErrorsKeepTheAwsCode) {
  auto t = std::make_shared<rdstest::FakeTransport>();
  StsClient sts(rdstest::MakeClient(t, "sts", "us-east-1", kUrl));
  t->Push(403, Fixture("sts_error_access_denied.xml"));
  auto c = sts.AssumeRole(
      {.role_arn = "arn:aws:iam::444455556666:role/drsnap-vault", .role_session_name = "drsnap"});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "AccessDenied");
  EXPECT_EQ(c.error().http_status, 403);
  EXPECT_NE(c.error().ToString().find("assuming role arn:aws:iam::444455556666:role/drsnap-vault"),
            std::string::npos);
  // No ExternalId when empty; DurationSeconds by default 3600.
  EXPECT_EQ(FindParam(rdstest::BodyParams(t->last_request()), "ExternalId"), std::nullopt);
  EXPECT_EQ(FindParam(rdstest::BodyParams(t->last_request()), "DurationSeconds"), "3600");
}

TEST(StsClient, WebIdentityIsUnsignedAndRetriesIdpErrors) {
  auto t = std::make_shared<rdstest::FakeTransport>();
  // No credentials at all: web identity must still work.
  ClientContext ctx;
  ctx.transport = t;
  ctx.clock = std::make_shared<FakeClock>(rdstest::TestNow());
  ctx.retry.max_attempts = 3;
  ctx.jitter = [] { return 0.5; };
  StsClient sts(std::make_shared<ServiceClient>(ctx, ServiceEndpoint{kUrl, "us-east-1", "sts"}));
  t->Push(400, Fixture("sts_error_idp_communication.xml"));
  t->Push(200, Fixture("sts_assume_role_with_web_identity.xml"));
  auto c = sts.AssumeRoleWithWebIdentity({.role_arn = "arn:aws:iam::111122223333:role/drsnap-irsa",
                                          .role_session_name = "botocore-session-1",
                                          .web_identity_token = "eyJ.token+/=",
                                          .duration_seconds = 3600});
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAJEXAMPLEXEG2JICEA");
  EXPECT_EQ(c->session_token, "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
  EXPECT_EQ(c->expiration, ParseIso8601("2026-11-23T13:30:15.250Z"));
  EXPECT_EQ(c->source, "web-identity arn:aws:iam::111122223333:role/drsnap-irsa");
  ASSERT_EQ(t->request_count(), 2u);
  for (const HttpRequest& r : t->requests()) {
    EXPECT_FALSE(HasHeader(r, "Authorization"));
    EXPECT_FALSE(HasHeader(r, "X-Amz-Security-Token"));
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(rdstest::BodyParams(r),
              (QueryParams{{"Action", "AssumeRoleWithWebIdentity"},
                           {"Version", "2011-06-15"},
                           {"RoleArn", "arn:aws:iam::111122223333:role/drsnap-irsa"},
                           {"RoleSessionName", "botocore-session-1"},
                           {"WebIdentityToken", "eyJ.token+/="},
                           {"DurationSeconds", "3600"}}));
  }
  // AssumeRole without credentials fails before sending anything.
  auto signed_call = sts.AssumeRole({.role_arn = "r", .role_session_name = "s"});
  ASSERT_FALSE(signed_call);
  EXPECT_EQ(signed_call.error().code, "MissingCredentials");
  EXPECT_EQ(t->request_count(), 2u);
}

TEST(StsClient, WebIdentityTerminalErrorIsNotRetried) {
  auto t = std::make_shared<rdstest::FakeTransport>();
  StsClient sts(rdstest::MakeClient(t, "sts", "us-east-1", kUrl, /*max_attempts=*/3));
  t->Push(403, Fixture("sts_error_access_denied.xml"));
  auto c = sts.AssumeRoleWithWebIdentity(
      {.role_arn = "arn:aws:iam::1:role/r", .role_session_name = "s", .web_identity_token = "t"});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "AccessDenied");
  EXPECT_EQ(c.error().request_id, "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
  EXPECT_EQ(t->request_count(), 1u);
}

TEST(StsClient, GetCallerIdentity) {
  auto t = std::make_shared<rdstest::FakeTransport>();
  StsClient sts(rdstest::MakeClient(t, "sts", "us-east-1", kUrl));
  t->Push(200, Fixture("sts_get_caller_identity.xml"));
  auto id = sts.GetCallerIdentity();
  ASSERT_TRUE(id) << id.error().ToString();
  EXPECT_EQ(id->account, "111122223333");
  EXPECT_EQ(id->arn, "arn:aws:sts::111122223333:assumed-role/drsnap-source/i-0123456789abcdef0");
  EXPECT_EQ(id->user_id, "AROAEXAMPLEROLEID:i-0123456789abcdef0");
  EXPECT_EQ(rdstest::BodyParams(t->last_request()),
            (QueryParams{{"Action", "GetCallerIdentity"}, {"Version", "2011-06-15"}}));
}

TEST(StsDecode, MalformedResponses) {
  EXPECT_EQ(DecodeStsCredentialsResponse("AssumeRole", "").error().code, "MalformedResponse");
  EXPECT_EQ(DecodeStsCredentialsResponse(
                "AssumeRole", "<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>")
                .error()
                .code,
            "MalformedResponse");
  EXPECT_EQ(DecodeStsCredentialsResponse(
                "AssumeRole",
                "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
                "<SecretAccessKey>S</SecretAccessKey><Expiration>soon</Expiration></Credentials>"
                "</AssumeRoleResult></AssumeRoleResponse>")
                .error()
                .code,
            "MalformedResponse");
  // The web identity body is not an AssumeRole body.
  EXPECT_FALSE(
      DecodeStsCredentialsResponse("AssumeRole", Fixture("sts_assume_role_with_web_identity.xml")));
  EXPECT_EQ(DecodeGetCallerIdentityResponse("<GetCallerIdentityResponse><GetCallerIdentityResult/>"
                                            "</GetCallerIdentityResponse>")
                .error()
                .code,
            "MalformedResponse");
}

TEST(StsFactory, BuildsClientsPerRegionAndCaller) {
  auto t = std::make_shared<rdstest::FakeTransport>();
  std::vector<std::string> asked;
  StsFactory factory =
      MakeStsFactory(t, std::make_shared<FakeClock>(rdstest::TestNow()),
                     [&asked](const std::string& region) -> Result<ServiceEndpoint> {
                       asked.push_back(region);
                       if (region == "bad-1")
                         return Fail(Error::Terminal("InvalidRegion", "bad region"));
                       return ServiceEndpoint{"http://127.0.0.1:9/sts-" + region, region, "sts"};
                     });
  auto caller = std::make_shared<StaticCredentialsProvider>(rdstest::TestCredentials());

  t->Push(200, Fixture("sts_get_caller_identity.xml"));
  auto id = factory(caller, "eu-west-1")->GetCallerIdentity();
  ASSERT_TRUE(id) << id.error().ToString();
  HttpRequest r = t->last_request();
  EXPECT_EQ(r.url, "http://127.0.0.1:9/sts-eu-west-1/");
  bool scoped = false;
  for (const auto& [k, v] : r.headers)
    if (k == "Authorization") scoped = v.find("/eu-west-1/sts/aws4_request") != std::string::npos;
  EXPECT_TRUE(scoped);

  // Empty region: us-east-1. Null caller: unsigned web identity only.
  t->Push(200, Fixture("sts_assume_role_with_web_identity.xml"));
  auto web = factory(nullptr, "")
                 ->AssumeRoleWithWebIdentity({.role_arn = "arn:aws:iam::1:role/r",
                                              .role_session_name = "s",
                                              .web_identity_token = "t"});
  ASSERT_TRUE(web) << web.error().ToString();
  EXPECT_EQ(t->last_request().url, "http://127.0.0.1:9/sts-us-east-1/");

  auto bad = factory(caller, "bad-1")->GetCallerIdentity();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidRegion");
  EXPECT_EQ(asked, (std::vector<std::string>{"eu-west-1", "us-east-1", "bad-1"}));
  EXPECT_EQ(t->request_count(), 2u);
}

TEST(StsFactory, DefaultEndpointIsRegional) {
  ServiceEndpoint e = DefaultStsEndpoint("eu-central-1");
  EXPECT_EQ(e.url, "https://sts.eu-central-1.amazonaws.com");
  EXPECT_EQ(e.signing_region, "eu-central-1");
  EXPECT_EQ(e.signing_name, "sts");
  EXPECT_EQ(DefaultStsEndpoint("cn-north-1").url, "https://sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(DefaultStsEndpoint("").signing_region, "us-east-1");
}

}  // namespace
}  // namespace drsnap::aws
