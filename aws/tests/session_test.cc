#include "aws/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/tests/creds_test_util.h"

namespace drsnap::aws {
namespace {

using creds_testing::FakeSts;
using creds_testing::FakeTransport;
using creds_testing::Reply;
using creds_testing::TempDir;
using creds_testing::TestEpoch;
using ::testing::HasSubstr;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest()
      : env_(std::make_shared<MapEnvironment>()),
        clock_(std::make_shared<FakeClock>(TestEpoch())),
        sts_(clock_),
        transport_(std::make_shared<FakeTransport>(
            [](const HttpRequest&) -> Result<HttpResponse> { return Reply(500, ""); })) {
    env_->Set("HOME", home_.path());
    env_->Set("AWS_EC2_METADATA_DISABLED", "true");
  }

  Result<std::shared_ptr<Session>> Create(SessionOptions o = {}) {
    return Session::Create(o, env_, clock_, transport_, sts_.Factory());
  }

  TempDir home_;
  std::shared_ptr<MapEnvironment> env_;
  std::shared_ptr<FakeClock> clock_;
  FakeSts sts_;
  std::shared_ptr<FakeTransport> transport_;
};

TEST_F(SessionTest, ProfileGivesCredentialsRegionAndEndpoints) {
  home_.Write(".aws/config",
              "[profile prod]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:7777\n");
  home_.Write(".aws/credentials",
              "[prod]\naws_access_key_id = AKIAPROD\n"
              "aws_secret_access_key = S\n");
  auto s = Create({.profile = "prod"});
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ((*s)->region(), "eu-west-1");
  EXPECT_EQ((*s)->profile_name(), "prod");
  auto c = (*s)->credentials()->Get();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIAPROD");
  auto ep = (*s)->Endpoint("rds", "us-east-2");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->url, "http://127.0.0.1:7777");
  EXPECT_EQ(ep->signing_region, "us-east-2");
  env_->Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  EXPECT_EQ((*s)->Endpoint("kms", "us-east-2")->url, "https://kms.us-east-2.amazonaws.com");
}

TEST_F(SessionTest, RegionOptionAndEnvironment) {
  env_->Set("AWS_ACCESS_KEY_ID", "A");
  env_->Set("AWS_SECRET_ACCESS_KEY", "S");
  env_->Set("AWS_REGION", "ap-south-1");
  auto s = Create();
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ((*s)->region(), "ap-south-1");
  s = Create({.region = "sa-east-1"});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->region(), "sa-east-1");
  EXPECT_EQ((*s)->Endpoint("sts", (*s)->region())->url, "https://sts.sa-east-1.amazonaws.com");
}

TEST_F(SessionTest, NoRegionIsAnError) {
  auto s = Create();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "no AWS region: set AWS_REGION or region in profile default");
}

TEST_F(SessionTest, UnknownProfileFailsAtCreate) {
  home_.Write(".aws/config", "[profile dev]\nregion = us-east-1\n");
  env_->Set("AWS_PROFILE", "prd");
  auto s = Create();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "ProfileNotFound");
  EXPECT_THAT(s.error().message, HasSubstr("profiles that exist: dev"));
}

TEST_F(SessionTest, MalformedConfigFailsAtCreateWithFileAndLine) {
  home_.Write(".aws/config", "[default]\nregion = us-east-1\n\n[profile x\n");
  auto s = Create();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "ConfigFileInvalid");
  EXPECT_THAT(s.error().message, HasSubstr(home_.path() + "/.aws/config:4:"));
}

TEST_F(SessionTest, CycleFailsAtCreate) {
  home_.Write(".aws/config",
              "[default]\nregion = us-east-1\nrole_arn = arn:aws:iam::1:role/A\n"
              "source_profile = default\n");
  auto s = Create();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "ProfileCycle");
}

TEST_F(SessionTest, MissingCredentialsSurfaceOnFirstUse) {
  env_->Set("AWS_REGION", "us-east-1");
  auto s = Create();
  ASSERT_TRUE(s);
  auto c = (*s)->credentials()->Get();
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("no AWS credentials found"));
}

TEST_F(SessionTest, RoleOptionAssumesOnTopOfTheChain) {
  env_->Set("AWS_REGION", "eu-west-3");
  env_->Set("AWS_ACCESS_KEY_ID", "AKIABASE");
  env_->Set("AWS_SECRET_ACCESS_KEY", "S");
  auto s = Create({.role_arn = "arn:aws:iam::777:role/Drsnap", .external_id = "xid"});
  ASSERT_TRUE(s) << s.error().ToString();
  auto c = (*s)->credentials()->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "AKIA-Drsnap-1");
  auto calls = sts_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].caller_key, "AKIABASE");
  EXPECT_EQ(calls[0].region, "eu-west-3");
  EXPECT_EQ(calls[0].assume.external_id, "xid");
  EXPECT_EQ(calls[0].assume.role_session_name, "drsnap");
}

TEST_F(SessionTest, AssumeRoleMakesASessionForAnotherAccount) {
  env_->Set("AWS_REGION", "us-east-1");
  env_->Set("AWS_ACCESS_KEY_ID", "AKIAVAULT");
  env_->Set("AWS_SECRET_ACCESS_KEY", "S");
  auto base = Create();
  ASSERT_TRUE(base);
  auto other = (*base)->AssumeRole({"arn:aws:iam::888:role/Source", "", "ext-888", 900});
  ASSERT_TRUE(other) << other.error().ToString();
  EXPECT_EQ((*other)->region(), "us-east-1");
  auto c = (*other)->credentials()->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "AKIA-Source-1");
  auto calls = sts_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].caller_key, "AKIAVAULT");
  EXPECT_EQ(calls[0].assume.external_id, "ext-888");
  EXPECT_EQ(calls[0].assume.role_session_name, "drsnap");
  EXPECT_EQ(calls[0].assume.duration_seconds, 900);
  // The base session is unchanged.
  EXPECT_EQ((*base)->credentials()->Get()->access_key_id, "AKIAVAULT");
  EXPECT_FALSE((*base)->AssumeRole({}));
}

TEST_F(SessionTest, ContainerCredentialsThroughTheMetadataTransport) {
  env_->Set("AWS_REGION", "us-east-1");
  env_->Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds");
  auto meta = std::make_shared<FakeTransport>([](const HttpRequest&) -> Result<HttpResponse> {
    return Reply(200, R"({"AccessKeyId":"ASIAC","SecretAccessKey":"s","Token":"t",)"
                      R"("Expiration":"2026-11-25T18:00:00Z"})");
  });
  SessionOptions o;
  o.metadata_transport = meta;
  o.container_base_url = "http://127.0.0.1:9";
  auto s = Create(o);
  ASSERT_TRUE(s);
  auto c = (*s)->credentials()->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAC");
  EXPECT_EQ(meta->requests().at(0).url, "http://127.0.0.1:9/creds");
  EXPECT_TRUE(transport_->requests().empty());
}

}  // namespace
}  // namespace drsnap::aws
