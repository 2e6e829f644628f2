// Fidelity of RDS answers to what AWS documents or shows (issue 19): copy
// statuses, what a copy carries over, the one-step rule for cluster
// snapshots, tags on copies, Aurora cluster snapshot fields, account quotas.
#include <gtest/gtest.h>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

class RdsFidelityTest : public ::testing::Test {
 protected:
  void SetUp() override { sim_ = ExampleWorld(); }

  void MakeSnapshot(const std::string& id, const std::string& db = "orders") {
    auto r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
                 {{"DBSnapshotIdentifier", id}, {"DBInstanceIdentifier", db}});
    ASSERT_EQ(r.status, 200) << r.body;
    sim_->Advance(minutes(10));
  }
  void MakeClusterSnapshot(const std::string& id, bool share = false) {
    auto r = Rds(*sim_, kProd, kEast, "CreateDBClusterSnapshot",
                 {{"DBClusterSnapshotIdentifier", id}, {"DBClusterIdentifier", "ledger"}});
    ASSERT_EQ(r.status, 200) << r.body;
    sim_->Advance(minutes(10));
    if (share) {
      r = Rds(*sim_, kProd, kEast, "ModifyDBClusterSnapshotAttribute",
              {{"DBClusterSnapshotIdentifier", id},
               {"AttributeName", "restore"},
               {"ValuesToAdd.AttributeValue.1", kVault}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  SimResponse Copy(const std::string& account, const std::string& region, QueryParams p) {
    return Rds(*sim_, account, region, "CopyDBSnapshot", std::move(p));
  }
  SimResponse CopyCluster(const std::string& account, const std::string& region, QueryParams p) {
    return Rds(*sim_, account, region, "CopyDBClusterSnapshot", std::move(p));
  }
  SimResponse Describe(const std::string& account, const std::string& region,
                       const std::string& id) {
    return Rds(*sim_, account, region, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", id}});
  }
  std::string Status(const std::string& account, const std::string& region, const std::string& id) {
    return XText(Describe(account, region, id), "//DBSnapshot/Status");
  }
  std::string ClusterStatus(const std::string& account, const std::string& region,
                            const std::string& id) {
    return XText(Rds(*sim_, account, region, "DescribeDBClusterSnapshots",
                     {{"DBClusterSnapshotIdentifier", id}}),
                 "//DBClusterSnapshot/Status");
  }

  std::unique_ptr<Simulator> sim_;
};

// ------------------------------------------------------------ item 1

TEST_F(RdsFidelityTest, SameRegionCopyIsCreatingAndAQueuedCopyIsPending) {
  MakeSnapshot("q1");
  MakeSnapshot("q2");
  auto r = Copy(kProd, kEast,
                {{"SourceDBSnapshotIdentifier", "q1"}, {"TargetDBSnapshotIdentifier", "q1-c"}});
  ASSERT_EQ(r.status, 200) << r.body;
  // The awscli example of copy-db-snapshot: "Status": "creating", PercentProgress 0.
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "creating");
  EXPECT_EQ(XText(r, "//DBSnapshot/PercentProgress"), "0");
  // A second copy of the same DB waits for the first (512 s): it has not started.
  r = Copy(kProd, kEast,
           {{"SourceDBSnapshotIdentifier", "q2"}, {"TargetDBSnapshotIdentifier", "q2-c"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "pending");
  sim_->Advance(seconds(256));
  EXPECT_EQ(Status(kProd, kEast, "q1-c"), "creating");
  EXPECT_EQ(Status(kProd, kEast, "q2-c"), "pending");
  EXPECT_EQ(XText(Describe(kProd, kEast, "q2-c"), "//DBSnapshot/PercentProgress"), "0");
  sim_->Advance(seconds(300));  // q1-c done at 512 s; q2-c runs
  EXPECT_EQ(Status(kProd, kEast, "q1-c"), "available");
  EXPECT_EQ(Status(kProd, kEast, "q2-c"), "creating");
  sim_->Advance(seconds(600));
  EXPECT_EQ(Status(kProd, kEast, "q2-c"), "available");
}

TEST_F(RdsFidelityTest, CrossRegionCopyIsCopyingAndQueuedIsPending) {
  MakeSnapshot("s1");
  std::string arn = ProdSnapshotArn("s1");
  auto r = Copy(kProd, kWest,
                {{"SourceDBSnapshotIdentifier", arn},
                 {"TargetDBSnapshotIdentifier", "w1"},
                 {"KmsKeyId", "alias/aws/rds"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "copying");
  r = Copy(kProd, kWest,
           {{"SourceDBSnapshotIdentifier", arn},
            {"TargetDBSnapshotIdentifier", "w2"},
            {"KmsKeyId", "alias/aws/rds"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "pending");
  sim_->Advance(seconds(2100));  // w1: 2048 s
  EXPECT_EQ(Status(kProd, kWest, "w1"), "available");
  EXPECT_EQ(Status(kProd, kWest, "w2"), "copying");
}

TEST_F(RdsFidelityTest, ClusterCopyStatuses) {
  MakeClusterSnapshot("l1");
  MakeClusterSnapshot("l2");
  auto r = CopyCluster(
      kProd, kEast,
      {{"SourceDBClusterSnapshotIdentifier", "l1"}, {"TargetDBClusterSnapshotIdentifier", "l1-c"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/Status"), "copying");
  r = CopyCluster(
      kProd, kEast,
      {{"SourceDBClusterSnapshotIdentifier", "l2"}, {"TargetDBClusterSnapshotIdentifier", "l2-c"}});
  // DBClusterSnapshot.Status: "Valid statuses are ... available, copying, creating".
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/Status"), "creating");
}

TEST_F(RdsFidelityTest, CopyStatusesAreSettings) {
  auto s = sim_->Settings();
  EXPECT_EQ(s["copy_status_queued"], "pending");
  EXPECT_EQ(s["copy_status_same_region"], "creating");
  EXPECT_EQ(s["copy_status_cross_region"], "copying");
  EXPECT_EQ(s["cluster_copy_status_queued"], "creating");
  EXPECT_EQ(s["cluster_copy_status"], "copying");
  ASSERT_TRUE(sim_->UpdateSettings(
                      {{"copy_status_same_region", "copying"}, {"copy_status_queued", "creating"}})
                  .has_value());
  EXPECT_FALSE(sim_->UpdateSettings({{"copy_status_queued", "waiting"}}).has_value());
  MakeSnapshot("q1");
  auto r = Copy(kProd, kEast,
                {{"SourceDBSnapshotIdentifier", "q1"}, {"TargetDBSnapshotIdentifier", "a"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "copying");
  r = Copy(kProd, kEast,
           {{"SourceDBSnapshotIdentifier", "q1"}, {"TargetDBSnapshotIdentifier", "b"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "creating");
}

TEST_F(RdsFidelityTest, QueuedCopiesCountAgainstTheCopyQuota) {
  ASSERT_TRUE(sim_->UpdateSettings({{"copies_in_flight_quota", 2}}).has_value());
  MakeSnapshot("q1");
  ASSERT_EQ(Copy(kProd, kEast,
                 {{"SourceDBSnapshotIdentifier", "q1"}, {"TargetDBSnapshotIdentifier", "a"}})
                .status,
            200);
  ASSERT_EQ(Copy(kProd, kEast,
                 {{"SourceDBSnapshotIdentifier", "q1"}, {"TargetDBSnapshotIdentifier", "b"}})
                .status,
            200);
  EXPECT_EQ(Status(kProd, kEast, "b"), "pending");
  EXPECT_EQ(
      ErrorCode(Copy(kProd, kEast,
                     {{"SourceDBSnapshotIdentifier", "q1"}, {"TargetDBSnapshotIdentifier", "c"}})),
      "SnapshotQuotaExceeded");
}

// ------------------------------------------------------------ item 3

TEST_F(RdsFidelityTest, ClusterCopyKeepsTheSourceSnapshotCreateTime) {
  MakeClusterSnapshot("l1");  // taken at 00:00
  sim_->Advance(hours(1));
  auto r = CopyCluster(
      kProd, kEast,
      {{"SourceDBClusterSnapshotIdentifier", "l1"}, {"TargetDBClusterSnapshotIdentifier", "l1-c"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/SnapshotCreateTime"), "2026-11-23T00:00:00.000Z");
  // DB snapshots: "Changes for the copy when the snapshot is copied."
  MakeSnapshot("s1");  // 01:10
  r = Copy(kProd, kEast,
           {{"SourceDBSnapshotIdentifier", "s1"}, {"TargetDBSnapshotIdentifier", "s1-c"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/SnapshotCreateTime"), "2026-11-23T01:20:00.000Z");
  EXPECT_EQ(XText(r, "//DBSnapshot/OriginalSnapshotCreateTime"), "2026-11-23T01:10:00.000Z");
}

// ------------------------------------------------------------ item 5

TEST_F(RdsFidelityTest, SameRegionCopyCarriesSourceRegionAndIdentifier) {
  MakeSnapshot("s1");
  auto r = Copy(kProd, kEast,
                {{"SourceDBSnapshotIdentifier", "s1"}, {"TargetDBSnapshotIdentifier", "s1-c"}});
  // As the awscli example of copy-db-snapshot shows (a same-region copy).
  EXPECT_EQ(XText(r, "//DBSnapshot/SourceRegion"), "us-east-1");
  EXPECT_EQ(XText(r, "//DBSnapshot/SourceDBSnapshotIdentifier"), ProdSnapshotArn("s1"));
  // The describe answer shows the same as the copy answer.
  EXPECT_EQ(XText(Describe(kProd, kEast, "s1-c"), "//DBSnapshot/SourceRegion"), "us-east-1");
  // The model's text ("only has a value in the case of a cross-account or
  // cross-Region copy"), as a setting.
  ASSERT_TRUE(sim_->UpdateSettings({{"same_region_copy_source", "model"}}).has_value());
  r = Copy(kProd, kEast,
           {{"SourceDBSnapshotIdentifier", "s1"}, {"TargetDBSnapshotIdentifier", "s1-d"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/SourceRegion"), "us-east-1");
  EXPECT_EQ(XAll(r, "//DBSnapshot/SourceDBSnapshotIdentifier").size(), 0u);
  ASSERT_TRUE(sim_->UpdateSettings({{"same_region_copy_source", "identifier"}}).has_value());
  r = Copy(kProd, kEast,
           {{"SourceDBSnapshotIdentifier", "s1"}, {"TargetDBSnapshotIdentifier", "s1-e"}});
  EXPECT_EQ(XAll(r, "//DBSnapshot/SourceRegion").size(), 0u);
  EXPECT_EQ(XText(r, "//DBSnapshot/SourceDBSnapshotIdentifier"), ProdSnapshotArn("s1"));
  EXPECT_FALSE(sim_->UpdateSettings({{"same_region_copy_source", "x"}}).has_value());
}

// ------------------------------------------------------------ item 6

TEST_F(RdsFidelityTest, OneStepRuleAppliesToClusterSnapshots) {
  MakeClusterSnapshot("l1", /*share=*/true);
  std::string arn = "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:l1";
  QueryParams p = {{"SourceDBClusterSnapshotIdentifier", arn},
                   {"TargetDBClusterSnapshotIdentifier", "l1w"},
                   {"KmsKeyId", "alias/vault"}};
  // strict: refused.
  EXPECT_EQ(ErrorCode(CopyCluster(kVault, kWest, p)), "InvalidParameterCombination");
  ASSERT_TRUE(sim_->UpdateSettings({{"copy_rule", "one-step"}}).has_value());
  // one-step: still needs a key of the destination region.
  EXPECT_EQ(ErrorCode(CopyCluster(kVault, kWest,
                                  {{"SourceDBClusterSnapshotIdentifier", arn},
                                   {"TargetDBClusterSnapshotIdentifier", "l1w"}})),
            "InvalidParameterValue");
  auto r = CopyCluster(kVault, kWest, p);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/SourceDBClusterSnapshotArn"), arn);
  EXPECT_NE(XText(r, "//DBClusterSnapshot/KmsKeyId").find(":us-west-2:222222222222:key/"),
            std::string::npos);
  sim_->Advance(hours(3));
  EXPECT_EQ(ClusterStatus(kVault, kWest, "l1w"), "available");
  // It counts as a cross-region cluster copy.
  ASSERT_TRUE(sim_->UpdateSettings({{"cluster_cross_region_copies_quota", 1}}).has_value());
  ASSERT_EQ(CopyCluster(kVault, kWest,
                        {{"SourceDBClusterSnapshotIdentifier", arn},
                         {"TargetDBClusterSnapshotIdentifier", "l1w2"},
                         {"KmsKeyId", "alias/vault"}})
                .status,
            200);
  EXPECT_EQ(ErrorCode(CopyCluster(kVault, kWest,
                                  {{"SourceDBClusterSnapshotIdentifier", arn},
                                   {"TargetDBClusterSnapshotIdentifier", "l1w3"},
                                   {"KmsKeyId", "alias/vault"}})),
            "SnapshotQuotaExceeded");
}

// The strict rule refuses a cluster copy as it refuses a DB snapshot copy
// (CopyDBSnapshot, RdsCopyTest): an encrypted snapshot shared from another
// account, across regions, after the same KmsKeyId checks; an unencrypted
// shared snapshot crosses account and region in one step under either rule
// (the older model's text: "You can't copy an encrypted, shared DB cluster
// snapshot from one Amazon Web Services Region to another").
TEST_F(RdsFidelityTest, StrictRuleRefusesClusterCopiesAsInstanceCopies) {
  MakeClusterSnapshot("l1", /*share=*/true);
  std::string arn = "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:l1";
  // Encrypted, no KmsKeyId: the key is asked for first, under either rule.
  EXPECT_EQ(ErrorCode(CopyCluster(kVault, kWest,
                                  {{"SourceDBClusterSnapshotIdentifier", arn},
                                   {"TargetDBClusterSnapshotIdentifier", "l1w"}})),
            "InvalidParameterValue");
  // With it: the one-step refusal, InvalidParameterCombination like CopyDBSnapshot's.
  EXPECT_EQ(ErrorCode(CopyCluster(kVault, kWest,
                                  {{"SourceDBClusterSnapshotIdentifier", arn},
                                   {"TargetDBClusterSnapshotIdentifier", "l1w"},
                                   {"KmsKeyId", "alias/vault"}})),
            "InvalidParameterCombination");

  // An unencrypted cluster, its snapshot shared with the vault account.
  auto r = Rds(*sim_, kProd, kEast, "CreateDBCluster",
               {{"DBClusterIdentifier", "plainc"},
                {"Engine", "aurora-postgresql"},
                {"MasterUsername", "postgres"},
                {"MasterUserPassword", "password123"}});
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(hours(1));
  r = Rds(*sim_, kProd, kEast, "CreateDBClusterSnapshot",
          {{"DBClusterSnapshotIdentifier", "p1"}, {"DBClusterIdentifier", "plainc"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/StorageEncrypted"), "false");
  sim_->Advance(minutes(30));
  r = Rds(*sim_, kProd, kEast, "ModifyDBClusterSnapshotAttribute",
          {{"DBClusterSnapshotIdentifier", "p1"},
           {"AttributeName", "restore"},
           {"ValuesToAdd.AttributeValue.1", kVault}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = CopyCluster(kVault, kWest,
                  {{"SourceDBClusterSnapshotIdentifier",
                    "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:p1"},
                   {"TargetDBClusterSnapshotIdentifier", "p1w"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/StorageEncrypted"), "false");
}

// ------------------------------------------------------------ item 9

TEST_F(RdsFidelityTest, ExplicitTagsReplaceCopyTags) {
  auto r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
               {{"DBSnapshotIdentifier", "t1"},
                {"DBInstanceIdentifier", "orders"},
                {"Tags.Tag.1.Key", "a"},
                {"Tags.Tag.1.Value", "1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(minutes(10));
  r = Copy(kProd, kEast,
           {{"SourceDBSnapshotIdentifier", "t1"},
            {"TargetDBSnapshotIdentifier", "t2"},
            {"CopyTags", "true"},
            {"Tags.Tag.1.Key", "b"},
            {"Tags.Tag.1.Value", "2"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XAll(r, "//DBSnapshot/TagList/Tag/Key"), (std::vector<std::string>{"b"}));
  r = Copy(kProd, kEast,
           {{"SourceDBSnapshotIdentifier", "t1"},
            {"TargetDBSnapshotIdentifier", "t3"},
            {"CopyTags", "true"}});
  EXPECT_EQ(XAll(r, "//DBSnapshot/TagList/Tag/Key"), (std::vector<std::string>{"a"}));
  // Clusters alike.
  r = Rds(*sim_, kProd, kEast, "CreateDBClusterSnapshot",
          {{"DBClusterSnapshotIdentifier", "c1"},
           {"DBClusterIdentifier", "ledger"},
           {"Tags.Tag.1.Key", "a"},
           {"Tags.Tag.1.Value", "1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(minutes(10));
  r = CopyCluster(kProd, kEast,
                  {{"SourceDBClusterSnapshotIdentifier", "c1"},
                   {"TargetDBClusterSnapshotIdentifier", "c2"},
                   {"CopyTags", "true"},
                   {"Tags.Tag.1.Key", "b"},
                   {"Tags.Tag.1.Value", "2"}});
  EXPECT_EQ(XAll(r, "//DBClusterSnapshot/TagList/Tag/Key"), (std::vector<std::string>{"b"}));
}

// ------------------------------------------------------------ item 10

TEST_F(RdsFidelityTest, DeleteClusterSnapshotAnswersAvailable) {
  MakeClusterSnapshot("l1");
  auto r =
      Rds(*sim_, kProd, kEast, "DeleteDBClusterSnapshot", {{"DBClusterSnapshotIdentifier", "l1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  // awscli example of delete-db-cluster-snapshot: "Status": "available".
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/Status"), "available");
  // DB snapshots: the API reference's sample says "deleted".
  MakeSnapshot("s1");
  r = Rds(*sim_, kProd, kEast, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "s1"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "deleted");
}

TEST_F(RdsFidelityTest, AuroraClusterSnapshotsReportZeroStorageAndPort) {
  MakeClusterSnapshot("l1");
  auto r = Rds(*sim_, kProd, kEast, "DescribeDBClusterSnapshots",
               {{"DBClusterSnapshotIdentifier", "l1"}});
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/AllocatedStorage"), "0");
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/Port"), "0");
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/LicenseModel"), "aurora-postgresql");
}

TEST_F(RdsFidelityTest, DescribeAccountAttributesReportsSnapshotQuotas) {
  MakeSnapshot("s1");
  MakeClusterSnapshot("l1");
  auto r = Rds(*sim_, kProd, kEast, "DescribeAccountAttributes");
  ASSERT_EQ(r.status, 200) << r.body;
  auto names = XAll(r, "//AccountQuotas/AccountQuota/AccountQuotaName");
  auto used = XAll(r, "//AccountQuotas/AccountQuota/Used");
  auto max = XAll(r, "//AccountQuotas/AccountQuota/Max");
  ASSERT_EQ(names.size(), used.size());
  std::map<std::string, std::pair<std::string, std::string>> q;
  for (size_t i = 0; i < names.size(); ++i) q[names[i]] = {used[i], max[i]};
  // plain-seed and s1; l1.
  EXPECT_EQ(q["ManualSnapshots"], (std::pair<std::string, std::string>{"2", "100"}));
  EXPECT_EQ(q["ManualClusterSnapshots"], (std::pair<std::string, std::string>{"1", "100"}));
  EXPECT_EQ(q["DBInstances"].first, "5");  // orders, legacy, plain, ledger-1, ledger-2
  EXPECT_EQ(q["DBClusters"].first, "1");
  ASSERT_TRUE(sim_->UpdateSettings({{"manual_snapshot_quota", 7}}).has_value());
  r = Rds(*sim_, kProd, kWest, "DescribeAccountAttributes");
  names = XAll(r, "//AccountQuota/AccountQuotaName");
  used = XAll(r, "//AccountQuota/Used");
  max = XAll(r, "//AccountQuota/Max");
  for (size_t i = 0; i < names.size(); ++i) q[names[i]] = {used[i], max[i]};
  EXPECT_EQ(q["ManualSnapshots"], (std::pair<std::string, std::string>{"0", "7"}));
}

TEST_F(RdsFidelityTest, AKmsGrantOpensTheKeyToTheGrantee) {
  MakeSnapshot("s1");
  auto r = Copy(kProd, kEast,
                {{"SourceDBSnapshotIdentifier", "s1"},
                 {"TargetDBSnapshotIdentifier", "s1-priv"},
                 {"KmsKeyId", "alias/prod-private"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string key_arn = XText(r, "//DBSnapshot/KmsKeyId");
  sim_->Advance(hours(1));
  r = Rds(*sim_, kProd, kEast, "ModifyDBSnapshotAttribute",
          {{"DBSnapshotIdentifier", "s1-priv"},
           {"AttributeName", "restore"},
           {"ValuesToAdd.AttributeValue.1", kVault}});
  ASSERT_EQ(r.status, 200) << r.body;
  QueryParams vault_copy = {{"SourceDBSnapshotIdentifier", ProdSnapshotArn("s1-priv")},
                            {"TargetDBSnapshotIdentifier", "v1"},
                            {"KmsKeyId", "alias/vault"}};
  EXPECT_EQ(ErrorCode(Copy(kVault, kEast, vault_copy)), "KMSKeyNotAccessibleFault");
  r = Kms(*sim_, kProd, kEast, "CreateGrant",
          {{"KeyId", key_arn},
           {"GranteePrincipal", "arn:aws:iam::222222222222:root"},
           {"Operations", {"Decrypt", "DescribeKey", "CreateGrant"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Copy(kVault, kEast, vault_copy);
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace drsnap::sim
