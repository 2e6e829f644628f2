#include "config/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/golden.h"

namespace drsnap::config {
namespace {

using drsnap::testing::ExpectGolden;
using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

const std::string kTestdata = std::string(DRSNAP_SOURCE_DIR) + "/testdata/config";

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PolicyTest, ExampleLoads) {
  auto c = LoadConfigFile(kTestdata + "/example.yaml");
  ASSERT_TRUE(c) << c.error().ToString();
  ASSERT_EQ(c->accounts.size(), 3u);
  EXPECT_EQ(c->accounts[0].name, "prod");
  EXPECT_EQ(c->accounts[0].profile, "prod-admin");
  const Account* vault = c->FindAccount("vault");
  ASSERT_NE(vault, nullptr);
  EXPECT_EQ(vault->role_arn, "arn:aws:iam::222222222222:role/drsnap-vault");
  EXPECT_EQ(vault->external_id, "drsnap-example");
  EXPECT_EQ(c->FindAccountById("333333333333")->name, "vault-eu");
  ASSERT_EQ(c->policies.size(), 2u);
  const Policy& p = *c->FindPolicy("orders");
  EXPECT_EQ(p.source_account_id, "111111111111");
  EXPECT_EQ(p.source_region, "us-east-1");
  EXPECT_EQ(p.capture, CaptureSource::kAutomated);
  EXPECT_EQ(p.rpo, hours(26));
  EXPECT_EQ(p.keep_newest, 1);
  EXPECT_TRUE(p.keep_newest_set);  // the example writes it
  EXPECT_EQ(p.databases.names, (std::vector<std::string>{"orders-*", "billing"}));
  EXPECT_EQ(p.databases.tags.at("dr"), "true");
  ASSERT_EQ(p.targets.size(), 2u);
  EXPECT_EQ(p.targets[0].account_id, "222222222222");
  ASSERT_EQ(p.targets[0].regions.size(), 2u);
  EXPECT_EQ(p.targets[0].regions[0].region, "eu-west-1");  // sorted
  EXPECT_EQ(p.targets[0].regions[1].option_groups.at("orders-og"), "orders-og-usw2");
  EXPECT_EQ(p.targets[0].hop_kms_key, "arn:aws:kms:us-east-1:222222222222:key/hop-key");
  EXPECT_EQ(p.retention.ToString(), "daily=7 weekly=4 monthly=12 yearly=3");
  EXPECT_EQ(p.where.ToString(), kTestdata + "/example.yaml:21:3");
  const Policy& r = *c->FindPolicy("reporting");
  EXPECT_EQ(r.capture, CaptureSource::kSnapshot);
  EXPECT_EQ(r.capture_margin, minutes(20));
  EXPECT_EQ(r.retention.within, hours(48));
  EXPECT_EQ(r.targets[0].regions[0].region, "us-east-1");  // another account, same region: fine
  EXPECT_FALSE(r.targets[0].regions[0].verify.has_value());
  // Restore drills are configured per target region.
  const TargetRegion& usw2 = p.targets[0].regions[1];
  ASSERT_TRUE(usw2.verify.has_value());
  EXPECT_EQ(usw2.verify->instance_class, "db.t3.micro");
  EXPECT_EQ(usw2.verify->subnet_group, "drsnap-verify");
  EXPECT_EQ(usw2.verify->security_groups, (std::vector<std::string>{"sg-0123456789abcdef0"}));
  EXPECT_EQ(usw2.verify->every, hours(24 * 7));
  EXPECT_EQ(usw2.verify->timeout, hours(2));
  EXPECT_FALSE(p.targets[0].regions[0].verify.has_value());
}

TEST(PolicyTest, VerifyDefaults) {
  auto c = ParseConfig(R"(
accounts: {a: {id: "111111111111"}, b: {id: "222222222222"}}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: a, region: us-east-1, from: snapshot}
    rpo: 4h
    targets:
      - account: b
        regions:
          us-west-2: {kms_key: alias/dr, verify: {}}
          eu-west-1: {kms_key: alias/dr, verify: }
)",
                       "t.yaml");
  ASSERT_TRUE(c) << c.error().ToString();
  for (const auto& r : c->policies[0].targets[0].regions) {
    ASSERT_TRUE(r.verify.has_value()) << r.region;
    EXPECT_EQ(r.verify->every.count(), 0);
    EXPECT_EQ(r.verify->timeout, hours(2));
    EXPECT_EQ(r.verify->instance_class, "");
    EXPECT_TRUE(r.verify->security_groups.empty());
  }
}

TEST(PolicyTest, DefaultsAreApplied) {
  auto c = ParseConfig(R"(
accounts: {a: {id: "111111111111"}, b: {id: "222222222222"}}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: a, region: us-east-1, from: snapshot}
    rpo: 4h
    targets: [{account: b, regions: {us-east-1: {kms_key: alias/dr}}}]
)",
                       "t.yaml");
  ASSERT_TRUE(c) << c.error().ToString();
  const Policy& p = c->policies[0];
  EXPECT_EQ(p.capture_margin, minutes(24));  // rpo/10
  EXPECT_EQ(p.keep_newest, 1);
  EXPECT_FALSE(p.keep_newest_set);  // the default: transient while the quota binds
  EXPECT_EQ(p.keep_after_vaulted.count(), 0);
  EXPECT_TRUE(p.retention.KeepsOnlyNewest());
  EXPECT_EQ(p.retention.ToString(), "newest only");
  EXPECT_TRUE(p.databases.instances);
  EXPECT_TRUE(p.databases.clusters);
}

TEST(PolicyTest, KeepNewestZeroIsAllowed) {
  auto c = ParseConfig(R"(
accounts: {a: {id: "111111111111"}, b: {id: "222222222222"}}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: a, region: us-east-1, from: automated, keep_newest: 0}
    rpo: 26h
    targets: [{account: b, regions: {us-east-1: {kms_key: alias/dr}}}]
)",
                       "t.yaml");
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->policies[0].keep_newest, 0);
  EXPECT_TRUE(c->policies[0].keep_newest_set);
}

TEST(PolicyTest, MarginDefaultIsCappedAtOneHour) {
  auto c = ParseConfig(R"(
accounts: {a: {id: "111111111111"}, b: {id: "222222222222"}}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: a, region: us-east-1, from: snapshot}
    rpo: 7d
    targets: [{account: b, regions: {us-east-1: {kms_key: alias/dr}}}]
)",
                       "t.yaml");
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->policies[0].capture_margin, hours(1));
}

TEST(PolicyTest, UnreadableFile) {
  auto c = LoadConfigFile(kTestdata + "/does-not-exist.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ConfigUnreadable");
  EXPECT_THAT(c.error().ToString(), HasSubstr("--config"));
}

TEST(PolicyTest, SeveralErrorsAreAllReported) {
  auto c = ParseConfig(R"(
accounts: {a: {id: "1"}}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: a, region: us-east-1, from: automated}
    rpo: 1x
    targets: [{account: b, regions: {us-east-1: {kms_key: alias/dr}}}]
)",
                       "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ConfigInvalid");
  EXPECT_EQ(std::count(c.error().message.begin(), c.error().message.end(), '\n'), 2)
      << c.error().message;
}

// Every file in testdata/config/bad/ fails with exactly the message in its
// .expected sibling (DRSNAP_UPDATE_GOLDEN=1 rewrites them: review the diff).
TEST(PolicyTest, EveryBadFileFailsWithItsMessage) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kTestdata + "/bad"))
    if (e.path().extension() == ".yaml") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 40u);
  for (const auto& f : files) {
    std::string path = kTestdata + "/bad/" + f;
    auto c = ParseConfig(Read(path), f);
    ASSERT_FALSE(c) << f << " loaded but should not";
    EXPECT_TRUE(c.error().code == "ConfigInvalid" || c.error().code == "ConfigSyntax") << f;
    ExpectGolden("config/bad/" + f.substr(0, f.size() - 5) + ".expected", c.error().message + "\n");
    // Every message names the place: file:line:col.
    EXPECT_TRUE(c.error().message.starts_with(f + ":")) << c.error().message;
  }
}

TEST(PolicyTest, BriefsExampleMessage) {
  std::string f = "retension.yaml";
  auto c = ParseConfig(Read(kTestdata + "/bad/" + f), f);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message,
            "retension.yaml:12:5: unknown key 'retension' in policy 'orders'; did you mean "
            "'retention'?");
}

TEST(GlobTest, Matches) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("orders-*", "orders-db"));
  EXPECT_TRUE(GlobMatch("ORDERS-*", "orders-db"));
  EXPECT_FALSE(GlobMatch("orders-*", "order-db"));
  EXPECT_TRUE(GlobMatch("*-db", "orders-db"));
  EXPECT_TRUE(GlobMatch("o?ders*db", "orders-x-db"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXbYbZ"));
  EXPECT_FALSE(GlobMatch("", "x"));
  EXPECT_TRUE(GlobMatch("", ""));
}

TEST(SelectorTest, AllConditionsMustHold) {
  DatabaseSelector s;
  s.names = {"orders-*", "billing"};
  s.exclude_names = {"*-scratch"};
  s.engines = {"postgres", "aurora-*"};
  s.tags = {{"dr", "true"}, {"team", "*"}};
  std::map<std::string, std::string> tags{{"dr", "true"}, {"team", ""}};
  EXPECT_TRUE(s.Matches(false, "orders-1", "postgres", tags));
  EXPECT_TRUE(s.Matches(true, "billing", "aurora-postgresql", tags));
  EXPECT_FALSE(s.Matches(false, "orders-scratch", "postgres", tags));
  EXPECT_FALSE(s.Matches(false, "other", "postgres", tags));
  EXPECT_FALSE(s.Matches(false, "orders-1", "mysql", tags));
  EXPECT_FALSE(s.Matches(false, "orders-1", "postgres", {{"dr", "false"}, {"team", "x"}}));
  EXPECT_FALSE(s.Matches(false, "orders-1", "postgres", {{"dr", "true"}}));
  s.clusters = false;
  EXPECT_FALSE(s.Matches(true, "billing", "aurora-postgresql", tags));
  DatabaseSelector all;
  EXPECT_TRUE(all.Matches(false, "anything", "", {}));
}

}  // namespace
}  // namespace drsnap::config
