#include <gtest/gtest.h>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

TEST(WorldStateTest, DumpAndLoadRoundTrip) {
  auto sim = ExampleWorld({{"copy_rule", "one-step"}});
  sim->Advance(hours(5));
  Rds(*sim, kProd, kEast, "CreateDBSnapshot",
      {{"DBSnapshotIdentifier", "s1"},
       {"DBInstanceIdentifier", "orders"},
       {"Tags.Tag.1.Key", "k"},
       {"Tags.Tag.1.Value", "v"}});
  sim->Advance(minutes(10));
  Rds(*sim, kProd, kEast, "ModifyDBSnapshotAttribute",
      {{"DBSnapshotIdentifier", "s1"},
       {"AttributeName", "restore"},
       {"ValuesToAdd.AttributeValue.1", kVault}});
  auto copy = Rds(*sim, kVault, kWest, "CopyDBSnapshot",
                  {{"SourceDBSnapshotIdentifier", ProdSnapshotArn("s1")},
                   {"TargetDBSnapshotIdentifier", "v1"},
                   {"KmsKeyId", "alias/vault"}});
  ASSERT_EQ(copy.status, 200) << copy.body;
  auto sts = Sts(
      *sim, kProd, "AssumeRole",
      {{"RoleArn", "arn:aws:iam::111111111111:role/drsnap-source"}, {"RoleSessionName", "ses"}});
  std::string akid = XText(sts, "//Credentials/AccessKeyId");
  ASSERT_TRUE(sim->InjectFault({{"kind", "fail_copies"}, {"count", 2}}).has_value());

  std::string state = sim->DumpStateJson();
  auto other = Simulator::Empty();
  ASSERT_TRUE(other->LoadStateJson(state).has_value());
  EXPECT_TRUE(other->DumpStateJson() == state);
  EXPECT_EQ(other->Now(), sim->Now());
  EXPECT_EQ(other->Settings(), sim->Settings());
  EXPECT_TRUE(other->LookupAccessKey(akid).has_value());
  EXPECT_EQ(other->Events(ExampleStart()).size(), sim->Events(ExampleStart()).size());

  auto describe = [](Simulator& s, const std::string& acct, const std::string& region,
                     QueryParams p) {
    auto r = Rds(s, acct, region, "DescribeDBSnapshots", p);
    return XAll(r, "//DBSnapshot/DBSnapshotIdentifier");
  };
  EXPECT_EQ(describe(*other, kVault, kEast, {{"SnapshotType", "shared"}}),
            (std::vector<std::string>{ProdSnapshotArn("s1")}));
  // Both continue identically: the copy finishes, backups keep coming.
  sim->Advance(days(2));
  other->Advance(days(2));
  EXPECT_EQ(describe(*other, kProd, kEast, {}), describe(*sim, kProd, kEast, {}));
  EXPECT_EQ(
      XText(Rds(*other, kVault, kWest, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", "v1"}}),
            "//Status"),
      "available");
  EXPECT_TRUE(other->DumpStateJson() == sim->DumpStateJson());

  EXPECT_FALSE(other->LoadStateJson("{}").has_value());
  EXPECT_FALSE(other->LoadStateJson("not json").has_value());
}

TEST(WorldStateTest, LoadWorldTextReplacesTheWorld) {
  auto sim = ExampleWorld();
  ASSERT_TRUE(sim->LoadWorldText("accounts:\n  - id: \"333333333333\"\n", "w.yaml").has_value());
  EXPECT_FALSE(sim->LookupAccessKey("AKIAPROD000000000001").has_value());
  auto st = sim->LoadWorldText("accounts: 5\n", "w.yaml");
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("w.yaml:1:"), std::string::npos);
}

TEST(WorldStateTest, SettingsValidated) {
  auto sim = ExampleWorld();
  EXPECT_FALSE(sim->UpdateSettings({{"nonsense", 1}}).has_value());
  EXPECT_FALSE(sim->UpdateSettings({{"same_region_mbps", -1}}).has_value());
  EXPECT_TRUE(sim->UpdateSettings({{"same_region_mbps", 400}}).has_value());
  EXPECT_EQ(sim->Settings()["same_region_mbps"], 400.0);
  EXPECT_EQ(sim->Settings()["copy_rule"], "strict");
}

}  // namespace
}  // namespace drsnap::sim
