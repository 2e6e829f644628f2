#include "aws/shared_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "aws/tests/creds_test_util.h"

namespace drsnap::aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Result<SharedConfig> Parse(std::string_view config, std::string_view credentials = "") {
  return ParseSharedConfig(config, "/h/.aws/config", credentials, "/h/.aws/credentials");
}

TEST(SharedConfigTest, DefaultAndPrefixedProfilesInConfig) {
  auto cfg = Parse(
      "[default]\n"
      "region = us-east-1\n"
      "\n"
      "[profile prod]\n"
      "region=eu-west-1\n"
      "role_arn = arn:aws:iam::222222222222:role/dr\n"
      "source_profile = default\n"
      "external_id = ext-123\n"
      "role_session_name = snap\n"
      "duration_seconds = 1800\n"
      "credential_source = Environment\n"
      "web_identity_token_file = /var/run/token\n"
      "endpoint_url = http://127.0.0.1:4566\n");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  EXPECT_THAT(cfg->ProfileNames(), ElementsAre("default", "prod"));
  const Profile* d = cfg->FindProfile("default");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->Get("region"), "us-east-1");
  const Profile* p = cfg->FindProfile("prod");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Get("region"), "eu-west-1");
  EXPECT_EQ(p->Get("role_arn"), "arn:aws:iam::222222222222:role/dr");
  EXPECT_EQ(p->Get("source_profile"), "default");
  EXPECT_EQ(p->Get("external_id"), "ext-123");
  EXPECT_EQ(p->Get("role_session_name"), "snap");
  EXPECT_EQ(p->Get("duration_seconds"), "1800");
  EXPECT_EQ(p->Get("credential_source"), "Environment");
  EXPECT_EQ(p->Get("web_identity_token_file"), "/var/run/token");
  EXPECT_EQ(p->Get("endpoint_url"), "http://127.0.0.1:4566");
  EXPECT_EQ(p->Where("region"), "/h/.aws/config:5");
  EXPECT_EQ(p->Get("nope"), std::nullopt);
}

TEST(SharedConfigTest, CredentialsFileUsesPlainNamesAndWinsOnConflicts) {
  auto cfg = Parse(
      "[profile dev]\n"
      "region = us-west-2\n"
      "aws_access_key_id = FROMCONFIG\n",
      "[dev]\n"
      "aws_access_key_id = AKIADEV\n"
      "aws_secret_access_key = secretdev\n"
      "aws_session_token = tokdev\n"
      "[default]\n"
      "aws_access_key_id = AKIADEFAULT\n"
      "aws_secret_access_key = secretdefault\n");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  const Profile* dev = cfg->FindProfile("dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->Get("region"), "us-west-2");
  EXPECT_EQ(dev->Get("aws_access_key_id"), "AKIADEV");
  EXPECT_EQ(dev->Get("aws_secret_access_key"), "secretdev");
  EXPECT_EQ(dev->Get("aws_session_token"), "tokdev");
  EXPECT_EQ(dev->Where("aws_access_key_id"), "/h/.aws/credentials:2");
  EXPECT_THAT(dev->defined_in, ElementsAre("/h/.aws/config", "/h/.aws/credentials"));
  EXPECT_EQ(cfg->FindProfile("default")->Get("aws_access_key_id"), "AKIADEFAULT");
}

TEST(SharedConfigTest, CommentsWhitespaceAndCase) {
  auto cfg = Parse(
      "# a comment\n"
      "; another comment\n"
      "  [ default ]   # trailing comment\r\n"
      "\tRegion   =   ap-south-1   ; inline comment\r\n"
      "output = json#not-a-comment\n"
      "   \n"
      "[profile  spaced ]\n"
      "region = sa-east-1\n"
      "[profile two words]\n"
      "region = ignored\n");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  EXPECT_EQ(cfg->FindProfile("default")->Get("region"), "ap-south-1");
  EXPECT_EQ(cfg->FindProfile("default")->Get("output"), "json#not-a-comment");
  ASSERT_NE(cfg->FindProfile("spaced"), nullptr);
  EXPECT_EQ(cfg->FindProfile("spaced")->Get("region"), "sa-east-1");
  EXPECT_EQ(cfg->FindProfile("two words"), nullptr);
}

TEST(SharedConfigTest, NestedSubsectionsAreKeptApart) {
  auto cfg = Parse(
      "[default]\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  addressing_style = path\n"
      "region = us-east-1\n"
      "ca_bundle = /etc/a\n"
      "  /etc/b\n");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  const Profile* d = cfg->FindProfile("default");
  EXPECT_EQ(d->Get("region"), "us-east-1");
  EXPECT_EQ(d->Get("s3"), std::nullopt);
  ASSERT_TRUE(d->nested.contains("s3"));
  EXPECT_EQ(d->nested.at("s3").at("max_concurrent_requests").value, "20");
  EXPECT_EQ(d->nested.at("s3").at("addressing_style").value, "path");
  EXPECT_EQ(d->Get("ca_bundle"), "/etc/a\n/etc/b");
}

TEST(SharedConfigTest, ServicesSectionIsResolvedIntoTheProfile) {
  auto cfg = Parse(
      "[profile sim]\n"
      "services = local\n"
      "[services local]\n"
      "rds =\n"
      "  endpoint_url = http://127.0.0.1:9000\n"
      "sts =\n"
      "  endpoint_url = http://127.0.0.1:9001\n"
      "[profile broken]\n"
      "services = missing\n"
      "[sso-session corp]\n"
      "sso_region = us-east-1\n");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  const Profile* sim = cfg->FindProfile("sim");
  ASSERT_NE(sim, nullptr);
  EXPECT_EQ(sim->services.at("rds").at("endpoint_url").value, "http://127.0.0.1:9000");
  EXPECT_EQ(sim->services.at("sts").at("endpoint_url").value, "http://127.0.0.1:9001");
  EXPECT_TRUE(sim->services_error.empty());
  const Profile* broken = cfg->FindProfile("broken");
  EXPECT_THAT(broken->services_error, HasSubstr("/h/.aws/config:9"));
  EXPECT_THAT(broken->services_error, HasSubstr("[services missing]"));
  // Non-profile sections are not profiles.
  EXPECT_THAT(cfg->ProfileNames(), ElementsAre("broken", "sim"));
}

TEST(SharedConfigTest, LaterOfDefaultAndProfileDefaultWins) {
  auto cfg = Parse(
      "[default]\n"
      "region = us-east-1\n"
      "output = text\n"
      "[profile default]\n"
      "region = eu-north-1\n");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->FindProfile("default")->Get("region"), "eu-north-1");
  EXPECT_EQ(cfg->FindProfile("default")->Get("output"), std::nullopt);  // replaced, as botocore
  cfg = Parse("[profile default]\nregion = a\n[default]\nregion = b\n");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->FindProfile("default")->Get("region"), "b");
}

TEST(SharedConfigTest, MalformedLinesNameFileLineAndFix) {
  struct Case {
    std::string text;
    std::string where;
    std::string what;
  };
  const Case cases[] = {
      {"[default]\nregion = us-east-1\njust words\n",
       "/h/.aws/config:3:", "expected 'key = value' or '[section]'"},
      {"[default\nregion = x\n", "/h/.aws/config:1:", "missing its closing ']'"},
      {"region = x\n[default]\n", "/h/.aws/config:1:", "before any section"},
      {"[default]\n = x\n", "/h/.aws/config:2:", "missing the key"},
      {"[]\n", "/h/.aws/config:1:", "empty section name"},
      {"[profile]\n", "/h/.aws/config:1:", "[profile NAME]"},
      {"[default] junk\n", "/h/.aws/config:1:", "unexpected text after ']'"},
      {"[default]\ns3 =\n  not nested\n", "/h/.aws/config:3:", "indented 'key = value'"},
  };
  for (const auto& c : cases) {
    auto cfg = Parse(c.text);
    ASSERT_FALSE(cfg) << c.text;
    EXPECT_EQ(cfg.error().code, "ConfigFileInvalid");
    EXPECT_THAT(cfg.error().message, HasSubstr(c.where)) << c.text;
    EXPECT_THAT(cfg.error().message, HasSubstr(c.what)) << c.text;
  }
  auto creds = ParseSharedConfig(std::nullopt, "/h/c", "[x]\noops\n", "/h/creds");
  ASSERT_FALSE(creds);
  EXPECT_THAT(creds.error().message, HasSubstr("/h/creds:2:"));
}

TEST(SharedConfigTest, MalformedLineDoesNotEchoSecrets) {
  auto cfg = Parse("[default]\nwJalrXUtnFEMI/K7MDENG\n");
  ASSERT_FALSE(cfg);
  EXPECT_THAT(cfg.error().message, ::testing::Not(HasSubstr("wJalr")));
}

TEST(SharedConfigTest, UnknownProfileNamesFilesAndExistingProfiles) {
  auto cfg = ParseSharedConfig("[default]\n[profile dev]\n[prod]\n", "/h/.aws/config", std::nullopt,
                               "/h/.aws/credentials");
  ASSERT_TRUE(cfg);
  auto p = cfg->GetProfile("staging");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "ProfileNotFound");
  EXPECT_EQ(p.error().message,
            "profile 'staging' not found in /h/.aws/config and /h/.aws/credentials (missing); "
            "profiles that exist: default, dev");
  EXPECT_THAT(p.error().hint, HasSubstr("[profile staging]"));
  // "[prod]" in the config file is ignored, with a hint.
  auto prod = cfg->GetProfile("prod");
  ASSERT_FALSE(prod);
  EXPECT_THAT(prod.error().hint, HasSubstr("[profile prod]"));
  auto empty = ParseSharedConfig(std::nullopt, "/h/c", std::nullopt, "/h/k");
  ASSERT_TRUE(empty);
  EXPECT_THAT(empty->GetProfile("x").error().message, HasSubstr("no profiles exist"));
}

TEST(SharedConfigTest, SourceProfileCycles) {
  auto cfg = Parse(
      "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
      "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n"
      "[profile self]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self\n"
      "[profile selfkeys]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = selfkeys\n"
      "aws_access_key_id = A\naws_secret_access_key = S\n"
      "[profile ok]\nrole_arn = arn:aws:iam::1:role/ok\nsource_profile = base\n"
      "[profile base]\naws_access_key_id = A\naws_secret_access_key = S\n"
      "[profile dangling]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = ghost\n");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  auto a = cfg->CheckSourceProfileChain("a");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, "ProfileCycle");
  EXPECT_THAT(a.error().message, HasSubstr("a -> b -> c -> a"));
  auto self = cfg->CheckSourceProfileChain("self");
  ASSERT_FALSE(self);
  EXPECT_THAT(self.error().message, HasSubstr("self -> self"));
  EXPECT_TRUE(cfg->CheckSourceProfileChain("selfkeys"));
  EXPECT_TRUE(cfg->CheckSourceProfileChain("ok"));
  EXPECT_TRUE(cfg->CheckSourceProfileChain("base"));
  auto dangling = cfg->CheckSourceProfileChain("dangling");
  ASSERT_FALSE(dangling);
  EXPECT_THAT(dangling.error().message, HasSubstr("ghost"));
  EXPECT_THAT(dangling.error().message, HasSubstr("/h/.aws/config:"));
}

TEST(SharedConfigTest, PathsFromEnvironment) {
  MapEnvironment env;
  env.Set("HOME", "/home/u");
  EXPECT_EQ(SharedConfigPath(env), "/home/u/.aws/config");
  EXPECT_EQ(SharedCredentialsPath(env), "/home/u/.aws/credentials");
  env.Set("AWS_CONFIG_FILE", "~/cfg");
  env.Set("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds");
  EXPECT_EQ(SharedConfigPath(env), "/home/u/cfg");
  EXPECT_EQ(SharedCredentialsPath(env), "/etc/creds");
  MapEnvironment none;
  EXPECT_EQ(SharedConfigPath(none), "");
}

TEST(SharedConfigTest, LoadsFilesAndToleratesMissingOnes) {
  creds_testing::TempDir dir;
  dir.Write(".aws/config", "[profile x]\nregion = us-east-2\n");
  MapEnvironment env;
  env.Set("HOME", dir.path());
  auto cfg = LoadSharedConfig(env);
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  EXPECT_TRUE(cfg->config_found());
  EXPECT_FALSE(cfg->credentials_found());
  EXPECT_EQ(cfg->FindProfile("x")->Get("region"), "us-east-2");
  EXPECT_EQ(cfg->FindProfile("x")->Where("region"), dir.path() + "/.aws/config:2");

  dir.Write("bad", "[default]\nregion us-east-1\n");
  env.Set("AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/bad");
  auto bad = LoadSharedConfig(env);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, dir.path() + "/bad:2: expected 'key = value' or '[section]'");

  env.Set("AWS_SHARED_CREDENTIALS_FILE", dir.path());
  auto directory = LoadSharedConfig(env);
  ASSERT_FALSE(directory);
  EXPECT_THAT(directory.error().message, HasSubstr("is a directory"));
}

TEST(SharedConfigTest, SelectedProfile) {
  MapEnvironment env;
  EXPECT_EQ(SelectedProfileName(env, ""), "default");
  EXPECT_FALSE(ProfileExplicitlySelected(env, ""));
  env.Set("AWS_DEFAULT_PROFILE", "legacy");
  EXPECT_EQ(SelectedProfileName(env, ""), "legacy");
  env.Set("AWS_PROFILE", "prod");
  EXPECT_EQ(SelectedProfileName(env, ""), "prod");
  EXPECT_TRUE(ProfileExplicitlySelected(env, ""));
  EXPECT_EQ(SelectedProfileName(env, "cli"), "cli");
  env.Set("AWS_PROFILE", "");
  env.Unset("AWS_DEFAULT_PROFILE");
  EXPECT_EQ(SelectedProfileName(env, ""), "default");
}

// The parser agrees with botocore's configloader (python3 on PATH: pyenv's,
// with botocore) on the profiles and services sections of a small corpus.
// Outside the corpus on purpose: inline comments (we strip " ;..." and
// " #...", botocore keeps them) and repeated sections (botocore rejects).
TEST(SharedConfigTest, AgreesWithBotocore) {
  const std::vector<std::string> corpus = {
      "[default]\nregion = us-east-1\noutput=json\n",
      "# comment\n; comment\n[default]\nRegion = eu-west-1\n\n[profile prod]\n"
      "role_arn = arn:aws:iam::1:role/R\nsource_profile = default\nexternal_id = x\n",
      "[profile  spaced name ]\nregion=ap-south-1\n[profile b]\nkey = a=b=c\n",
      "[default]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n"
      "region = us-east-2\n",
      "[default]\nca_bundle = /a\n  /b\n\tc\nregion = x\n",
      "[profile sim]\nservices = local\nendpoint_url = http://127.0.0.1:1\n"
      "[services local]\nrds =\n  endpoint_url = http://127.0.0.1:2\nsts =\n"
      "  endpoint_url = http://127.0.0.1:3\n",
      "[profile default]\nregion = a\n[default]\nregion = b\noutput = c\n",
      "[prod]\nregion = ignored\n[sso-session s]\nsso_region = us-east-1\n[profile p]\n"
      "sso_session = s\n",
      "[default]\nempty =\nafter = 1\n",
      "[default]\r\nregion = us-west-1\r\n",
  };
  creds_testing::TempDir dir;
  std::string args;
  for (size_t i = 0; i < corpus.size(); ++i) {
    args += " " + dir.Write("c" + std::to_string(i), corpus[i]);
  }
  std::string script = dir.Write("load.py",
                                 "import json, sys\n"
                                 "from botocore.configloader import load_config\n"
                                 "out = []\n"
                                 "for f in sys.argv[1:]:\n"
                                 "    c = load_config(f)\n"
                                 "    out.append({'profiles': c.get('profiles', {}),\n"
                                 "                'services': c.get('services', {})})\n"
                                 "print(json.dumps(out))\n");
  FILE* p = ::popen(("python3 " + script + args).c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  ASSERT_EQ(::pclose(p), 0) << "python3 with botocore failed: " << text;
  auto want = nlohmann::json::parse(text);
  ASSERT_EQ(want.size(), corpus.size());

  for (size_t i = 0; i < corpus.size(); ++i) {
    auto cfg = ParseSharedConfig(corpus[i], "c", std::nullopt, "k");
    ASSERT_TRUE(cfg) << corpus[i] << cfg.error().ToString();
    nlohmann::json got = {{"profiles", nlohmann::json::object()},
                          {"services", nlohmann::json::object()}};
    for (const auto& name : cfg->ProfileNames()) {
      const Profile* prof = cfg->FindProfile(name);
      nlohmann::json j = nlohmann::json::object();
      for (const auto& [k, v] : prof->values) j[k] = v.value;
      for (const auto& [k, sub] : prof->nested) {
        j[k] = nlohmann::json::object();
        for (const auto& [sk, sv] : sub) j[k][sk] = sv.value;
      }
      got["profiles"][name] = j;
      if (auto ref = prof->Get("services"); ref && !prof->services.empty()) {
        nlohmann::json sj = nlohmann::json::object();
        for (const auto& [svc, settings] : prof->services) {
          for (const auto& [sk, sv] : settings) sj[svc][sk] = sv.value;
        }
        got["services"][*ref] = sj;
      }
    }
    EXPECT_EQ(got, want[i]) << "corpus " << i << ":\n" << corpus[i];
  }
}

}  // namespace
}  // namespace drsnap::aws
