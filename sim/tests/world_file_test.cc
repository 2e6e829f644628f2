#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;

TEST(WorldFileTest, LoadsExampleWorld) {
  auto sim = ExampleWorld();
  EXPECT_EQ(sim->Now(), ExampleStart());
  auto key = sim->LookupAccessKey("AKIAPROD000000000001");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->account_id, kProd);
  EXPECT_EQ(key->arn, "arn:aws:iam::111111111111:user/drsnap");
  EXPECT_EQ(key->secret_access_key, "prod-secret-key-0000000000000000000001");
  EXPECT_FALSE(key->expiration.has_value());
  EXPECT_FALSE(sim->LookupAccessKey("AKIANOPE").has_value());

  auto r = Rds(*sim, kProd, kEast, "DescribeDBInstances");
  ASSERT_EQ(r.status, 200) << r.body;
  auto ids = XAll(r, "//DBInstances/DBInstance/DBInstanceIdentifier");
  EXPECT_EQ(ids, (std::vector<std::string>{"ledger-1", "ledger-2", "legacy", "orders", "plain"}));
  EXPECT_EQ(XText(r, "//DBInstance[DBInstanceIdentifier='orders']/StorageEncrypted"), "true");
  EXPECT_EQ(XText(r, "//DBInstance[DBInstanceIdentifier='orders']/BackupRetentionPeriod"), "7");
  EXPECT_EQ(XText(r, "//DBInstance[DBInstanceIdentifier='ledger-1']/DBClusterIdentifier"),
            "ledger");
  auto c = Rds(*sim, kProd, kEast, "DescribeDBClusters");
  EXPECT_EQ(XText(c, "//DBCluster/DBClusterIdentifier"), "ledger");
  EXPECT_EQ(XAll(c, "//DBClusterMember/DBInstanceIdentifier").size(), 2u);
  auto s = Rds(*sim, kProd, kEast, "DescribeDBSnapshots");
  EXPECT_EQ(XAll(s, "//DBSnapshot/DBSnapshotIdentifier"),
            (std::vector<std::string>{"plain-seed"}));
  EXPECT_EQ(XText(s, "//DBSnapshot/TagList/Tag[Key='origin']/Value"), "seed");
}

TEST(WorldFileTest, JsonWorldsWork) {
  auto sim = Simulator::FromWorldText(
      R"({"start_time": "2026-01-01T00:00:00Z",
          "accounts": [{"id": "333333333333",
                        "access_keys": [{"id": "AKIAJSON", "secret": "s"}],
                        "db_instances": [{"id": "db1", "region": "eu-west-1"}]}]})",
      "w.json");
  ASSERT_TRUE(sim.has_value()) << sim.error().ToString();
  auto r = Rds(**sim, "333333333333", "eu-west-1", "DescribeDBInstances");
  EXPECT_EQ(XText(r, "//DBInstance/DBInstanceIdentifier"), "db1");
  EXPECT_EQ((*sim)->LookupAccessKey("AKIAJSON")->arn, "arn:aws:iam::333333333333:user/admin");
}

std::string LoadError(const std::string& text) {
  auto sim = Simulator::FromWorldText(text, "bad.yaml");
  if (sim) return "loaded";
  return sim.error().message;
}

TEST(WorldFileTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(LoadError("accounts:\n  - id: \"12\"\n"), "bad.yaml:2: account id must be 12 digits");
  EXPECT_EQ(LoadError("start_time: 2026-01-01T00:00:00Z\nbogus: 1\n"),
            "bad.yaml:2: unknown key \"bogus\" in the world file");
  EXPECT_EQ(LoadError("regions: [us-east-1]\naccounts:\n  - id: \"111111111111\"\n"
                      "    db_instances:\n      - id: db1\n        region: mars-1\n"),
            "bad.yaml:6: region \"mars-1\" is not in \"regions\"");
  EXPECT_EQ(LoadError("accounts:\n  - id: \"111111111111\"\n    db_instances:\n"
                      "      - id: db1\n        region: us-east-1\n        size_gb: lots\n"),
            "bad.yaml:6: \"size_gb\" must be an integer in 1..1048576");
  EXPECT_EQ(LoadError("accounts:\n  - id: \"111111111111\"\n    db_instances:\n"
                      "      - id: db1\n        region: us-east-1\n        kms_key: alias/none\n"),
            "bad.yaml:6: KMS key \"alias/none\" not found in us-east-1");
  EXPECT_EQ(LoadError("settings: {copy_rule: sideways}\n"),
            "bad.yaml:1: copy_rule must be \"strict\" or \"one-step\"");
  EXPECT_NE(LoadError("accounts: [\n").find("bad.yaml:"), std::string::npos);
  EXPECT_EQ(LoadError("accounts:\n  - id: \"111111111111\"\n    db_instances:\n"
                      "      - id: db1\n        region: us-east-1\n        tags: {aws:x: 1}\n"),
            "bad.yaml:6: tag keys cannot start with \"aws:\"");
}

TEST(WorldFileTest, MissingFileIsAnError) {
  auto sim = Simulator::FromWorldFile("/nonexistent/world.yaml");
  ASSERT_FALSE(sim.has_value());
  EXPECT_EQ(sim.error().code, "WorldFileNotFound");
}

}  // namespace
}  // namespace drsnap::sim
