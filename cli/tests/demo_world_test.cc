// The demo's built-in world and policy: they load, and they contain what the
// demo promises (issue 5): a production and a DR account with keys, a source
// and two DR regions, unencrypted, default-key and customer-key encrypted DB
// instances of different sizes and an Aurora cluster with automated backups,
// a shareable key in production and a DR-owned key in every DR region.
#include "cli/demo_world.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "config/policy.h"
#include "sim/simulator.h"

namespace drsnap::cli::demo {
namespace {

TEST(DemoWorldTest, TheWorldLoadsIntoTheSimulatorAtItsStartTime) {
  auto sim = sim::Simulator::FromWorldText(DemoWorldYaml(), "demo-world.yaml");
  ASSERT_TRUE(sim.has_value()) << sim.error().ToString();
  EXPECT_EQ((*sim)->Now(), DemoStartTime());
  for (const auto& a : DemoAccounts()) {
    auto key = (*sim)->LookupAccessKey(a.access_key_id);
    ASSERT_TRUE(key.has_value()) << a.name;
    EXPECT_EQ(key->account_id, a.id);
    EXPECT_EQ(key->secret_access_key, a.secret_access_key);
  }
}

TEST(DemoWorldTest, TheWorldHasEveryKindOfDatabase) {
  YAML::Node world = YAML::Load(std::string(DemoWorldYaml()));
  const YAML::Node prod = world["accounts"][0];
  ASSERT_EQ(prod["id"].as<std::string>(), "111111111111");
  int unencrypted = 0, default_key = 0, customer_key = 0, protected_dbs = 0;
  std::set<int> sizes;
  for (const auto& db : prod["db_instances"]) {
    bool encrypted = db["encrypted"] && db["encrypted"].as<bool>();
    if (!encrypted)
      ++unencrypted;
    else if (db["kms_key"])
      ++customer_key;
    else
      ++default_key;
    sizes.insert(db["size_gb"].as<int>());
    EXPECT_GT(db["backup_retention_days"].as<int>(), 0) << db["id"].as<std::string>();
    if (db["tags"]["tier"]) ++protected_dbs;
  }
  EXPECT_GE(unencrypted, 2);
  EXPECT_GE(default_key, 2);
  EXPECT_GE(customer_key, 2);
  EXPECT_GE(sizes.size(), 5u);
  EXPECT_EQ(protected_dbs, 6);
  ASSERT_EQ(prod["db_clusters"].size(), 1u);
  EXPECT_EQ(prod["db_clusters"][0]["engine"].as<std::string>(), "aurora-postgresql");
  // Keys: production's keys let the vault use them; the vault owns a key in
  // the source region (hop) and in each DR region.
  for (const auto& k : prod["kms_keys"])
    EXPECT_EQ(k["allow_accounts"][0].as<std::string>(), "222222222222");
  std::set<std::string> vault_key_regions;
  for (const auto& k : world["accounts"][1]["kms_keys"])
    vault_key_regions.insert(k["region"].as<std::string>());
  EXPECT_EQ(vault_key_regions, (std::set<std::string>{"us-east-1", "us-west-2", "eu-west-1"}));
}

TEST(DemoWorldTest, ThePolicyIsValidAndProtectsEveryTieredDatabaseInBothRegions) {
  std::string text = DemoPolicyYaml("http://127.0.0.1:4566");
  EXPECT_EQ(text.find("@ENDPOINT@"), std::string::npos);
  auto cfg = config::ParseConfig(text, "demo.yaml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->accounts.size(), 2u);
  for (const auto& a : cfg->accounts) {
    EXPECT_EQ(a.endpoint_url, "http://127.0.0.1:4566");
    EXPECT_EQ(a.profile, a.name);
  }
  ASSERT_EQ(cfg->policies.size(), 2u);
  for (const auto& p : cfg->policies) {
    ASSERT_EQ(p.targets.size(), 1u) << p.name;
    std::vector<std::string> regions;
    for (const auto& r : p.targets[0].regions) regions.push_back(r.region);
    EXPECT_EQ(regions, (std::vector<std::string>{"eu-west-1", "us-west-2"})) << p.name;
    EXPECT_EQ(p.source_region, "us-east-1");
    EXPECT_FALSE(p.share_key.empty());
  }
  const auto* critical = cfg->FindPolicy("critical");
  const auto* standard = cfg->FindPolicy("standard");
  ASSERT_NE(critical, nullptr);
  ASSERT_NE(standard, nullptr);
  EXPECT_EQ(critical->capture, config::CaptureSource::kSnapshot);
  EXPECT_EQ(standard->capture, config::CaptureSource::kAutomated);
  // The selectors split the world as intended; untagged databases are left alone.
  std::map<std::string, std::string> payments = {{"tier", "critical"}, {"team", "payments"}};
  std::map<std::string, std::string> web = {{"tier", "standard"}, {"team", "web"}};
  std::map<std::string, std::string> untagged = {{"team", "data"}};
  EXPECT_TRUE(critical->databases.Matches(true, "ledger", "aurora-postgresql", payments));
  EXPECT_FALSE(standard->databases.Matches(false, "orders", "postgres", payments));
  EXPECT_TRUE(standard->databases.Matches(false, "catalog", "postgres", web));
  EXPECT_FALSE(critical->databases.Matches(false, "scratch", "postgres", untagged));
  EXPECT_FALSE(standard->databases.Matches(false, "scratch", "postgres", untagged));
}

TEST(DemoWorldTest, ProfilesCarryEachAccountsStaticKeys) {
  std::string creds = DemoAwsCredentialsText();
  std::string conf = DemoAwsConfigText();
  for (const auto& a : DemoAccounts()) {
    EXPECT_NE(creds.find("[" + a.name + "]\naws_access_key_id = " + a.access_key_id +
                         "\naws_secret_access_key = " + a.secret_access_key + "\n"),
              std::string::npos);
    EXPECT_NE(conf.find("[profile " + a.name + "]\nregion = us-east-1\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace drsnap::cli::demo
