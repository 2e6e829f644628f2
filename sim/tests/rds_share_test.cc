#include <gtest/gtest.h>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

SimResponse Share(Simulator& sim, const std::string& id, std::vector<std::string> add,
                  std::vector<std::string> remove = {}) {
  QueryParams p = {{"DBSnapshotIdentifier", id}, {"AttributeName", "restore"}};
  for (size_t i = 0; i < add.size(); ++i)
    p.emplace_back("ValuesToAdd.AttributeValue." + std::to_string(i + 1), add[i]);
  for (size_t i = 0; i < remove.size(); ++i)
    p.emplace_back("ValuesToRemove.AttributeValue." + std::to_string(i + 1), remove[i]);
  return Rds(sim, kProd, kEast, "ModifyDBSnapshotAttribute", p);
}

class RdsShareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = ExampleWorld();
    for (const char* db : {"orders", "legacy", "plain"}) {
      auto r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
                   {{"DBSnapshotIdentifier", std::string(db) + "-m"}, {"DBInstanceIdentifier", db},
                    {"Tags.Tag.1.Key", "owner"}, {"Tags.Tag.1.Value", "prod"}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
    sim_->Advance(hours(5));  // manual ones available; automated ones taken
  }
  std::unique_ptr<Simulator> sim_;
};

TEST_F(RdsShareTest, ShareAndReadBack) {
  auto r = Share(*sim_, "orders-m", {kVault});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string a = "/ModifyDBSnapshotAttributeResponse/ModifyDBSnapshotAttributeResult/"
                        "DBSnapshotAttributesResult/";
  EXPECT_EQ(XText(r, a + "DBSnapshotIdentifier"), "orders-m");
  EXPECT_EQ(XText(r, a + "DBSnapshotAttributes/DBSnapshotAttribute/AttributeName"), "restore");
  EXPECT_EQ(XAll(r, a + "DBSnapshotAttributes/DBSnapshotAttribute/AttributeValues/AttributeValue"),
            (std::vector<std::string>{kVault}));
  r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshotAttributes", {{"DBSnapshotIdentifier", "orders-m"}});
  EXPECT_EQ(XText(r, "//DescribeDBSnapshotAttributesResult/DBSnapshotAttributesResult/"
                     "DBSnapshotAttributes/DBSnapshotAttribute/AttributeValues/AttributeValue"),
            kVault);
  r = Share(*sim_, "orders-m", {}, {kVault});
  EXPECT_TRUE(XAll(r, "//AttributeValue").empty());
}

TEST_F(RdsShareTest, VaultSeesSharedSnapshotsByArnWithoutTags) {
  ASSERT_EQ(Share(*sim_, "orders-m", {kVault}).status, 200);
  // Not included by default.
  auto r = Rds(*sim_, kVault, kEast, "DescribeDBSnapshots");
  EXPECT_TRUE(XAll(r, "//DBSnapshot").empty()) << r.body;
  r = Rds(*sim_, kVault, kEast, "DescribeDBSnapshots", {{"SnapshotType", "shared"}});
  ASSERT_EQ(XAll(r, "//DBSnapshot").size(), 1u) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/DBSnapshotIdentifier"), ProdSnapshotArn("orders-m"));
  EXPECT_EQ(XText(r, "//DBSnapshot/SnapshotType"), "shared");
  EXPECT_EQ(XText(r, "//DBSnapshot/DBInstanceIdentifier"), "orders");
  EXPECT_TRUE(XAll(r, "//DBSnapshot/TagList/Tag").empty());
  EXPECT_NE(r.body.find("<TagList/>"), std::string::npos);
  r = Rds(*sim_, kVault, kEast, "DescribeDBSnapshots", {{"IncludeShared", "true"}});
  EXPECT_EQ(XAll(r, "//DBSnapshot").size(), 1u);
  // By ARN.
  r = Rds(*sim_, kVault, kEast, "DescribeDBSnapshots",
          {{"DBSnapshotIdentifier", ProdSnapshotArn("orders-m")}});
  EXPECT_EQ(XText(r, "//DBSnapshot/SnapshotType"), "shared");
  // Other regions see nothing.
  r = Rds(*sim_, kVault, kWest, "DescribeDBSnapshots", {{"SnapshotType", "shared"}});
  EXPECT_TRUE(XAll(r, "//DBSnapshot").empty());
  // Unshared: gone for the vault.
  ASSERT_EQ(Share(*sim_, "orders-m", {}, {kVault}).status, 200);
  r = Rds(*sim_, kVault, kEast, "DescribeDBSnapshots", {{"SnapshotType", "shared"}});
  EXPECT_TRUE(XAll(r, "//DBSnapshot").empty());
  // The owner still sees its tags and type manual.
  r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", "orders-m"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/SnapshotType"), "manual");
  EXPECT_EQ(XText(r, "//DBSnapshot/TagList/Tag/Value"), "prod");
}

TEST_F(RdsShareTest, AutomatedSnapshotsCannotBeShared) {
  auto r = Share(*sim_, "rds:orders-2026-11-23-04-00", {kVault});
  EXPECT_EQ(ErrorCode(r), "InvalidDBSnapshotState");
}

TEST_F(RdsShareTest, DefaultKeySnapshotsCannotBeShared) {
  auto r = Share(*sim_, "legacy-m", {kVault});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
}

TEST_F(RdsShareTest, EncryptedCannotBePublicUnencryptedCan) {
  EXPECT_EQ(ErrorCode(Share(*sim_, "orders-m", {"all"})), "InvalidParameterValue");
  ASSERT_EQ(Share(*sim_, "plain-m", {"all"}).status, 200);
  auto r = Rds(*sim_, "333333333333", kEast, "DescribeDBSnapshots", {{"SnapshotType", "public"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/SnapshotType"), "public");
  EXPECT_EQ(XText(r, "//DBSnapshot/DBSnapshotIdentifier"), ProdSnapshotArn("plain-m"));
  r = Rds(*sim_, "333333333333", kEast, "DescribeDBSnapshots", {{"IncludePublic", "true"}});
  EXPECT_EQ(XAll(r, "//DBSnapshot").size(), 1u);
}

TEST_F(RdsShareTest, AtMostTwentyAccounts) {
  std::vector<std::string> accts;
  for (int i = 0; i < 21; ++i) accts.push_back(std::to_string(400000000000LL + i));
  auto r = Share(*sim_, "orders-m", accts);
  EXPECT_EQ(ErrorCode(r), "SharedSnapshotQuotaExceeded");
  accts.pop_back();
  EXPECT_EQ(Share(*sim_, "orders-m", accts).status, 200);
  EXPECT_EQ(ErrorCode(Share(*sim_, "orders-m", {"499999999999"})), "SharedSnapshotQuotaExceeded");
  EXPECT_EQ(ErrorCode(Share(*sim_, "orders-m", {"12345"})), "InvalidParameterValue");
  auto bad = Rds(*sim_, kProd, kEast, "ModifyDBSnapshotAttribute",
                 {{"DBSnapshotIdentifier", "orders-m"}, {"AttributeName", "copy"},
                  {"ValuesToAdd.AttributeValue.1", kVault}});
  EXPECT_EQ(ErrorCode(bad), "InvalidParameterValue");
}

TEST_F(RdsShareTest, SharedEncryptedSnapshotCannotBeRestoredDirectly) {
  ASSERT_EQ(Share(*sim_, "orders-m", {kVault}).status, 200);
  auto r = Rds(*sim_, kVault, kEast, "RestoreDBInstanceFromDBSnapshot",
               {{"DBInstanceIdentifier", "drill"},
                {"DBSnapshotIdentifier", ProdSnapshotArn("orders-m")}});
  EXPECT_EQ(ErrorCode(r), "InvalidRestoreFault");
  // After copying with the vault's key it can be restored.
  r = Rds(*sim_, kVault, kEast, "CopyDBSnapshot",
          {{"SourceDBSnapshotIdentifier", ProdSnapshotArn("orders-m")},
           {"TargetDBSnapshotIdentifier", "orders-v"}, {"KmsKeyId", "alias/vault"}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Rds(*sim_, kVault, kEast, "RestoreDBInstanceFromDBSnapshot",
          {{"DBInstanceIdentifier", "drill"}, {"DBSnapshotIdentifier", "orders-v"}});
  EXPECT_EQ(ErrorCode(r), "InvalidDBSnapshotState");  // still copying
  sim_->Advance(minutes(30));
  r = Rds(*sim_, kVault, kEast, "RestoreDBInstanceFromDBSnapshot",
          {{"DBInstanceIdentifier", "drill"}, {"DBSnapshotIdentifier", "orders-v"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//RestoreDBInstanceFromDBSnapshotResult/DBInstance/DBInstanceStatus"), "creating");
  sim_->Advance(minutes(15));
  r = Rds(*sim_, kVault, kEast, "DescribeDBInstances", {{"DBInstanceIdentifier", "drill"}});
  EXPECT_EQ(XText(r, "//DBInstance/DBInstanceStatus"), "available");
  EXPECT_EQ(XText(r, "//DBInstance/Engine"), "postgres");
  r = Rds(*sim_, kVault, kEast, "DeleteDBInstance",
          {{"DBInstanceIdentifier", "drill"}, {"SkipFinalSnapshot", "true"}});
  EXPECT_EQ(XText(r, "//DBInstance/DBInstanceStatus"), "deleting");
  r = Rds(*sim_, kVault, kEast, "DescribeDBInstances", {{"DBInstanceIdentifier", "drill"}});
  EXPECT_EQ(ErrorCode(r), "DBInstanceNotFound");
  EXPECT_EQ(r.status, 404);
}

// A fail_restores world fault: the next restore in that account/region ends
// in "incompatible-restore" (and stays there); it can be deleted; the
// restore after it is unaffected.
TEST_F(RdsShareTest, InjectedRestoreFailureEndsIncompatible) {
  ASSERT_EQ(Share(*sim_, "orders-m", {kVault}).status, 200);
  auto r = Rds(*sim_, kVault, kEast, "CopyDBSnapshot",
               {{"SourceDBSnapshotIdentifier", ProdSnapshotArn("orders-m")},
                {"TargetDBSnapshotIdentifier", "orders-v"}, {"KmsKeyId", "alias/vault"}});
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(minutes(30));
  ASSERT_TRUE(sim_->InjectFault({{"kind", "fail_restores"}, {"account", kVault},
                                 {"region", kEast}, {"count", 1}})
                  .has_value());
  for (const char* id : {"drill-a", "drill-b"}) {
    r = Rds(*sim_, kVault, kEast, "RestoreDBInstanceFromDBSnapshot",
            {{"DBInstanceIdentifier", id}, {"DBSnapshotIdentifier", "orders-v"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  sim_->Advance(minutes(60));
  r = Rds(*sim_, kVault, kEast, "DescribeDBInstances", {{"DBInstanceIdentifier", "drill-a"}});
  EXPECT_EQ(XText(r, "//DBInstance/DBInstanceStatus"), "incompatible-restore");
  r = Rds(*sim_, kVault, kEast, "DescribeDBInstances", {{"DBInstanceIdentifier", "drill-b"}});
  EXPECT_EQ(XText(r, "//DBInstance/DBInstanceStatus"), "available");
  r = Rds(*sim_, kVault, kEast, "DeleteDBInstance",
          {{"DBInstanceIdentifier", "drill-a"}, {"SkipFinalSnapshot", "true"},
           {"DeleteAutomatedBackups", "true"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace drsnap::sim
