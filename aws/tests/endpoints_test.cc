#include "aws/endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/tests/creds_test_util.h"

namespace drsnap::aws {
namespace {

using ::testing::HasSubstr;

Result<SharedConfig> Config(std::string_view text) {
  return ParseSharedConfig(text, "/h/.aws/config", std::nullopt, "/h/.aws/credentials");
}

TEST(RegionTest, Precedence) {
  auto cfg = Config("[profile p]\nregion = eu-central-1\n");
  ASSERT_TRUE(cfg);
  const Profile* p = cfg->FindProfile("p");
  MapEnvironment env;
  EXPECT_EQ(*ResolveRegion(env, p, "p"), "eu-central-1");
  env.Set("AWS_DEFAULT_REGION", "us-west-1");
  EXPECT_EQ(*ResolveRegion(env, p, "p"), "us-west-1");
  env.Set("AWS_REGION", "ap-northeast-1");
  EXPECT_EQ(*ResolveRegion(env, p, "p"), "ap-northeast-1");
  EXPECT_EQ(*ResolveRegion(env, p, "p", "ca-central-1"), "ca-central-1");
  env.Set("AWS_REGION", "");  // empty counts as unset
  EXPECT_EQ(*ResolveRegion(env, p, "p"), "us-west-1");
}

TEST(RegionTest, MissingRegionNamesTheProfile) {
  MapEnvironment env;
  auto r = ResolveRegion(env, nullptr, "prod");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "NoRegion");
  EXPECT_EQ(r.error().message, "no AWS region: set AWS_REGION or region in profile prod");
}

TEST(RegionTest, InvalidRegionNamesItsOrigin) {
  auto cfg = Config("[default]\nregion = US East\n");
  ASSERT_TRUE(cfg);
  MapEnvironment env;
  auto r = ResolveRegion(env, cfg->FindProfile("default"), "default");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidRegion");
  EXPECT_THAT(r.error().ToString(), HasSubstr("/h/.aws/config:2"));
  EXPECT_FALSE(ValidateRegion("us-east-1.evil.com"));
  EXPECT_FALSE(ValidateRegion("-us"));
  EXPECT_FALSE(ValidateRegion(""));
  EXPECT_TRUE(ValidateRegion("us-gov-west-1"));
}

TEST(EndpointTest, StandardRegionalEndpoints) {
  MapEnvironment env;
  struct Case {
    const char* service;
    const char* region;
    const char* url;
  };
  const Case cases[] = {
      {"rds", "us-east-1", "https://rds.us-east-1.amazonaws.com"},
      {"sts", "eu-west-2", "https://sts.eu-west-2.amazonaws.com"},
      {"kms", "ap-southeast-2", "https://kms.ap-southeast-2.amazonaws.com"},
      {"rds", "cn-north-1", "https://rds.cn-north-1.amazonaws.com.cn"},
      {"sts", "cn-northwest-1", "https://sts.cn-northwest-1.amazonaws.com.cn"},
      {"rds", "us-gov-west-1", "https://rds.us-gov-west-1.amazonaws.com"},
      {"kms", "us-iso-east-1", "https://kms.us-iso-east-1.c2s.ic.gov"},
      {"rds", "us-isob-east-1", "https://rds.us-isob-east-1.sc2s.sgov.gov"},
      {"RDS", "us-east-1", "https://rds.us-east-1.amazonaws.com"},
  };
  for (const auto& c : cases) {
    auto ep = ResolveEndpoint(c.service, c.region, env, nullptr);
    ASSERT_TRUE(ep) << c.service << " " << c.region;
    EXPECT_EQ(ep->url, c.url);
    EXPECT_EQ(ep->signing_region, c.region);
    EXPECT_EQ(ep->signing_name, std::string(c.service) == "RDS" ? "rds" : c.service);
  }
  EXPECT_EQ(PartitionForRegion("cn-north-1").name, "aws-cn");
  EXPECT_EQ(PartitionForRegion("us-gov-east-1").name, "aws-us-gov");
  EXPECT_EQ(PartitionForRegion("eu-west-1").name, "aws");
}

TEST(EndpointTest, GlobalStsPseudoRegion) {
  MapEnvironment env;
  auto ep = ResolveEndpoint("sts", "aws-global", env, nullptr);
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->url, "https://sts.amazonaws.com");
  EXPECT_EQ(ep->signing_region, "us-east-1");
}

TEST(EndpointTest, OverridePrecedence) {
  auto cfg = Config(
      "[profile sim]\n"
      "endpoint_url = http://profile-global:1\n"
      "services = local\n"
      "[services local]\n"
      "rds =\n"
      "  endpoint_url = http://profile-rds:2/\n");
  ASSERT_TRUE(cfg);
  const Profile* p = cfg->FindProfile("sim");
  MapEnvironment env;
  auto url = [&](std::string_view service) {
    auto ep = ResolveEndpoint(service, "us-east-1", env, p);
    EXPECT_TRUE(ep) << ep.error().ToString();
    EXPECT_EQ(ep->signing_region, "us-east-1");
    EXPECT_EQ(ep->signing_name, service);
    return ep->url;
  };
  // 4. profile endpoint_url, 3. services section
  EXPECT_EQ(url("rds"), "http://profile-rds:2");
  EXPECT_EQ(url("kms"), "http://profile-global:1");
  // 2. AWS_ENDPOINT_URL beats the file (env over config, as botocore).
  env.Set("AWS_ENDPOINT_URL", "http://env-global:3");
  EXPECT_EQ(url("rds"), "http://env-global:3");
  EXPECT_EQ(url("sts"), "http://env-global:3");
  // 1. the service variable beats everything.
  env.Set("AWS_ENDPOINT_URL_RDS", "http://env-rds:4//");
  env.Set("AWS_ENDPOINT_URL_STS", "https://env-sts:5/base");
  env.Set("AWS_ENDPOINT_URL_KMS", "http://env-kms:6");
  EXPECT_EQ(url("rds"), "http://env-rds:4");
  EXPECT_EQ(url("sts"), "https://env-sts:5/base");
  EXPECT_EQ(url("kms"), "http://env-kms:6");
  // Ignoring configured endpoints restores the standard ones.
  env.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  EXPECT_EQ(url("rds"), "https://rds.us-east-1.amazonaws.com");
  env.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
  EXPECT_EQ(url("rds"), "http://env-rds:4");
}

TEST(EndpointTest, ProfileCanIgnoreConfiguredEndpoints) {
  auto cfg = Config(
      "[default]\nendpoint_url = http://127.0.0.1:4566\nignore_configured_endpoint_urls = true\n");
  ASSERT_TRUE(cfg);
  MapEnvironment env;
  auto ep = ResolveEndpoint("rds", "us-east-1", env, cfg->FindProfile("default"));
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->url, "https://rds.us-east-1.amazonaws.com");
  env.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");  // env wins over the profile
  ep = ResolveEndpoint("rds", "us-east-1", env, cfg->FindProfile("default"));
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->url, "http://127.0.0.1:4566");
}

TEST(EndpointTest, BadOverridesAreErrors) {
  MapEnvironment env;
  env.Set("AWS_ENDPOINT_URL_RDS", "localhost:4566");
  auto ep = ResolveEndpoint("rds", "us-east-1", env, nullptr);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code, "InvalidEndpoint");
  EXPECT_THAT(ep.error().message,
              HasSubstr("AWS_ENDPOINT_URL_RDS is not an http(s) URL: 'localhost:4566'"));
  env.Set("AWS_ENDPOINT_URL_RDS", "http://");
  EXPECT_FALSE(ResolveEndpoint("rds", "us-east-1", env, nullptr));
  env.Set("AWS_ENDPOINT_URL_RDS", "http://a b");
  EXPECT_FALSE(ResolveEndpoint("rds", "us-east-1", env, nullptr));

  auto cfg = Config("[default]\nendpoint_url = ftp://x\n");
  MapEnvironment clean;
  auto bad = ResolveEndpoint("kms", "us-east-1", clean, cfg->FindProfile("default"));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("endpoint_url at /h/.aws/config:2"));

  EXPECT_FALSE(ResolveEndpoint("rds", "us-east-1/evil", clean, nullptr));
  EXPECT_FALSE(ResolveEndpoint("r.ds", "us-east-1", clean, nullptr));
}

TEST(EndpointTest, DanglingServicesReferenceIsReported) {
  auto cfg = Config("[default]\nservices = nowhere\n");
  ASSERT_TRUE(cfg);
  MapEnvironment env;
  auto ep = ResolveEndpoint("rds", "us-east-1", env, cfg->FindProfile("default"));
  ASSERT_FALSE(ep);
  EXPECT_THAT(ep.error().message, HasSubstr("/h/.aws/config:2"));
  EXPECT_THAT(ep.error().message, HasSubstr("no [services nowhere] section"));
  // Environment overrides are consulted first, so they still work.
  env.Set("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
  EXPECT_TRUE(ResolveEndpoint("rds", "us-east-1", env, cfg->FindProfile("default")));
}

TEST(EndpointTest, UrlResolverForStsFactories) {
  creds_testing::TempDir home;
  home.Write(".aws/config",
             "[profile sim]\nservices = s\n[services s]\nsts =\n  endpoint_url = "
             "http://127.0.0.1:5000\n");
  auto env = std::make_shared<MapEnvironment>();
  env->Set("HOME", home.path());
  auto standard = MakeEndpointResolver("sts", env);
  EXPECT_EQ(standard("eu-west-1")->url, "https://sts.eu-west-1.amazonaws.com");
  auto sim = MakeEndpointResolver("sts", env, "sim");
  EXPECT_EQ(sim("eu-west-1")->url, "http://127.0.0.1:5000");
  env->Set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:6000");  // read at each call
  EXPECT_EQ(standard("eu-west-1")->url, "http://127.0.0.1:6000");
  EXPECT_FALSE(standard("bad region"));
  home.Write(".aws/config", "[broken\n");
  auto broken = MakeEndpointResolver("sts", env);
  EXPECT_EQ(broken("us-east-1").error().code, "ConfigFileInvalid");
}

}  // namespace
}  // namespace drsnap::aws
