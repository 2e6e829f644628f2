// The test-support library: worlds and policies built from the shared parts
// load (the simulator, the config parser) and say what they promise; a
// pipeline over them reaches the simulated accounts through their profiles;
// golden files compare.
#include "testing/sim_world.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/policy.h"
#include "core/time_util.h"
#include "testing/golden.h"
#include "testing/sim_pipeline.h"

namespace drsnap::testing {
namespace {

TEST(SimWorldTest, KeysAndTheirArnsComeFromOneTable) {
  SimKey share = Key("prod", "us-east-1", {kVaultAccount});
  EXPECT_EQ(share.alias, "alias/prod-share");
  EXPECT_EQ(share.allow_accounts, std::vector<std::string>{kVaultAccount});
  EXPECT_EQ(KeyArn("prod", "us-east-1"), "arn:aws:kms:us-east-1:111111111111:key/" + share.id);
  EXPECT_EQ(KeyArn("vault", "eu-west-1"),
            "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-00000000b002");
  EXPECT_EQ(KeyArn("vault2", "us-east-1"),
            "arn:aws:kms:us-east-1:333333333333:key/00000000-0000-0000-0000-00000000c001");
}

TEST(SimWorldTest, PolicyNamesTheTargetKeysAndTheHop) {
  SimPolicy p;
  p.targets = {SimTarget{.regions = {"us-east-1", "eu-west-1"}},
               SimTarget{.account = "vault2", .hop = false}};
  p.accounts = {"prod", "vault", "vault2"};
  p.endpoint = "http://127.0.0.1:1";
  auto cfg = config::ParseConfig(p.Yaml(), "policy.yaml");
  ASSERT_TRUE(cfg) << cfg.error().ToString() << "\n" << p.Yaml();
  ASSERT_EQ(cfg->policies.size(), 1u);
  const config::Policy& main = cfg->policies[0];
  EXPECT_EQ(main.source_account_id, kProdAccount);
  ASSERT_EQ(main.targets.size(), 2u);
  EXPECT_EQ(main.targets[0].account_id, kVaultAccount);
  EXPECT_EQ(main.targets[0].hop_kms_key, KeyArn("vault", "us-east-1"));
  ASSERT_EQ(main.targets[0].regions.size(), 2u);
  EXPECT_EQ(main.targets[1].account_id, kVault2Account);
  EXPECT_EQ(main.targets[1].hop_kms_key, "");
  EXPECT_EQ(cfg->FindAccount("vault2")->profile, "vault2");
}

// Every account of the world is reached with its own profile: the pipeline
// observes them all completely, and prod's automated backup is there.
TEST(SimWorldTest, APipelineReachesEveryAccountOfTheWorld) {
  SimWorld w = ProdAndVault(CustomerKeyInstance("orders"), LedgerCluster());
  w.accounts.push_back({"vault2", {Key("vault2", "eu-west-1")}, "", ""});
  SimPolicy policy;
  policy.accounts = {"prod", "vault", "vault2"};
  policy.targets.push_back(SimTarget{.account = "vault2"});
  auto p = StartSimPipeline(w.Yaml(), policy.Yaml());
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto inv = p->reconciler->Observe();
  for (const auto& s : inv.scopes) EXPECT_TRUE(s.complete) << s.scope.ToString() << ": " << s.error;
  auto owned = Owned(*p, {kProdAccount, "us-east-1"});
  EXPECT_EQ(owned.size(), 2u);  // orders and ledger, one automated snapshot each
  EXPECT_EQ(CopiesInFlight(*p, {kVaultAccount, "eu-west-1"}), 0);
  // A child process gets the same profiles and the policy file.
  std::vector<std::string> env = p->ProcessEnv();
  EXPECT_NE(std::find(env.begin(), env.end(), "DRSNAP_CONFIG=" + p->policy_path), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "AWS_CONFIG_FILE=" + p->dir + "/config"), env.end());
}

TEST(SimWorldTest, TempDirIsRemovedWithItsFiles) {
  std::string path;
  {
    TempDir dir("drsnap-testing");
    path = dir.path();
    ASSERT_FALSE(path.empty());
    ASSERT_TRUE(WriteAwsProfiles(path).has_value());
    std::ifstream creds(path + "/credentials");
    std::string first;
    std::getline(creds, first);
    EXPECT_EQ(first, "[prod]");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

// Both modes, on a file of the test's own, whatever DRSNAP_UPDATE_GOLDEN says.
TEST(GoldenTest, ComparesOrUpdatesTheFile) {
  TempDir dir("drsnap-golden");
  const std::string path = dir.path() + "/golden.txt";
  EXPECT_NONFATAL_FAILURE(ExpectGoldenFile(path, "text", GoldenMode::kCompare),
                          "missing golden file");
  ExpectGoldenFile(path, "text", GoldenMode::kUpdate);
  std::ifstream in(path);
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, "text");
  ExpectGoldenFile(path, "text", GoldenMode::kCompare);
  EXPECT_NONFATAL_FAILURE(ExpectGoldenFile(path, "textx", GoldenMode::kCompare), "differs");
  // testdata/ is where ExpectGolden looks.
  EXPECT_FALSE(ReadTestdata("events/scheduled.json").empty());
  EXPECT_EQ(TestdataPath("events/scheduled.json"),
            std::string(DRSNAP_SOURCE_DIR) + "/testdata/events/scheduled.json");
}

}  // namespace
}  // namespace drsnap::testing
