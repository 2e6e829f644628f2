#include <gtest/gtest.h>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

class RdsCopyTest : public ::testing::Test {
 protected:
  void SetUp() override { sim_ = ExampleWorld(); }

  // A manual, available snapshot of orders (encrypted with alias/prod-share).
  void MakeProdSnapshot(const std::string& id, bool share = true) {
    auto r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
                 {{"DBSnapshotIdentifier", id}, {"DBInstanceIdentifier", "orders"}});
    ASSERT_EQ(r.status, 200) << r.body;
    sim_->Advance(minutes(10));
    if (share) {
      r = Rds(*sim_, kProd, kEast, "ModifyDBSnapshotAttribute",
              {{"DBSnapshotIdentifier", id},
               {"AttributeName", "restore"},
               {"ValuesToAdd.AttributeValue.1", kVault}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  SimResponse Copy(const std::string& account, const std::string& region, const std::string& src,
                   const std::string& dst, const std::string& kms = "") {
    QueryParams p = {{"SourceDBSnapshotIdentifier", src}, {"TargetDBSnapshotIdentifier", dst}};
    if (!kms.empty()) p.emplace_back("KmsKeyId", kms);
    return Rds(*sim_, account, region, "CopyDBSnapshot", p);
  }
  std::string Status(const std::string& account, const std::string& region, const std::string& id) {
    return XText(Rds(*sim_, account, region, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", id}}),
                 "//DBSnapshot/Status");
  }

  std::unique_ptr<Simulator> sim_;
};

TEST_F(RdsCopyTest, SameRegionCopyWithinAccount) {
  MakeProdSnapshot("s1", false);
  auto r = Copy(kProd, kEast, "s1", "s1-copy");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string s = "/CopyDBSnapshotResponse/CopyDBSnapshotResult/DBSnapshot/";
  EXPECT_EQ(XText(r, s + "Status"), "creating");  // as the awscli example shows
  EXPECT_EQ(XText(r, s + "SourceDBSnapshotIdentifier"), ProdSnapshotArn("s1"));
  EXPECT_EQ(XText(r, s + "SourceRegion"), "us-east-1");
  EXPECT_EQ(XText(r, s + "OriginalSnapshotCreateTime"), "2026-11-23T00:00:00.000Z");
  EXPECT_EQ(XText(r, s + "SnapshotCreateTime"), "2026-11-23T00:10:00.000Z");
  // Keeps the source key when none is given.
  auto src = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", "s1"}});
  EXPECT_EQ(XText(r, s + "KmsKeyId"), XText(src, "//DBSnapshot/KmsKeyId"));
  // 100 GB at 200 MB/s = 512 s.
  sim_->Advance(seconds(500));
  EXPECT_EQ(Status(kProd, kEast, "s1-copy"), "creating");
  sim_->Advance(seconds(20));
  EXPECT_EQ(Status(kProd, kEast, "s1-copy"), "available");
  EXPECT_EQ(ErrorCode(Copy(kProd, kEast, "s1", "s1-copy")), "DBSnapshotAlreadyExists");
  EXPECT_EQ(ErrorCode(Copy(kProd, kEast, "nope", "x")), "DBSnapshotNotFound");
  EXPECT_EQ(ErrorCode(Copy(kProd, kEast, "s1", "bad--id")), "InvalidParameterValue");
}

TEST_F(RdsCopyTest, CopyingAnAutomatedSnapshotReencryptsDefaultKey) {
  sim_->Advance(hours(6));  // legacy's automated snapshot at 05:00
  std::string id = "rds:legacy-2026-11-23-05-00";
  EXPECT_EQ(Status(kProd, kEast, id), "available");
  auto r = Copy(kProd, kEast, id, "legacy-share", "alias/prod-share");
  ASSERT_EQ(r.status, 200) << r.body;
  auto key = Kms(*sim_, kProd, kEast, "DescribeKey", {{"KeyId", "alias/prod-share"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/KmsKeyId"),
            nlohmann::json::parse(key.body)["KeyMetadata"]["Arn"].get<std::string>());
  EXPECT_EQ(XText(r, "//DBSnapshot/SnapshotType"), "manual");
}

TEST_F(RdsCopyTest, CrossRegionNeedsKeyInDestination) {
  MakeProdSnapshot("s1", false);
  auto r = Copy(kProd, kWest, ProdSnapshotArn("s1"), "s1-west");
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
  EXPECT_EQ(XText(r, "//Message"),
            "Must specify new KMS key for cross region encrypted snapshot copy");
  // A key of the source region is not usable in the destination.
  r = Copy(kProd, kWest, ProdSnapshotArn("s1"), "s1-west", "alias/prod-share");
  EXPECT_EQ(ErrorCode(r), "KMSKeyNotAccessibleFault");
  // By plain id, a snapshot of another region does not exist here.
  EXPECT_EQ(ErrorCode(Copy(kProd, kWest, "s1", "s1-west", "alias/aws/rds")), "DBSnapshotNotFound");
  r = Copy(kProd, kWest, ProdSnapshotArn("s1"), "s1-west", "alias/aws/rds");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/SourceRegion"), "us-east-1");
  // 100 GB at 50 MB/s = 2048 s.
  sim_->Advance(seconds(2000));
  EXPECT_EQ(Status(kProd, kWest, "s1-west"), "copying");
  sim_->Advance(seconds(60));
  EXPECT_EQ(Status(kProd, kWest, "s1-west"), "available");
  auto ev = Rds(*sim_, kProd, kWest, "DescribeEvents",
                {{"SourceType", "db-snapshot"}, {"Duration", "120"}});
  auto msgs = XAll(ev, "//Event/Message");
  ASSERT_EQ(msgs.size(), 2u) << ev.body;
  EXPECT_EQ(msgs[0].rfind("Started cross region copy of snapshot", 0), 0u);
  EXPECT_EQ(msgs[1].rfind("Finished cross region copy of snapshot", 0), 0u);
}

TEST_F(RdsCopyTest, SharedEncryptedCopyNeedsVaultKeyAndSourceKeyAccess) {
  MakeProdSnapshot("s1");
  std::string arn = ProdSnapshotArn("s1");
  auto r = Copy(kVault, kEast, arn, "v1");
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
  // The prod key ARN is not usable by the vault as a destination key... it is
  // allowed by the policy, but the vault should use its own: both work.
  r = Copy(kVault, kEast, arn, "v1", "alias/vault");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/KmsKeyId").find(":222222222222:key/") != std::string::npos,
            true);
  EXPECT_EQ(XText(r, "//DBSnapshot/DBSnapshotArn"),
            "arn:aws:rds:us-east-1:222222222222:snapshot:v1");
  // Not shared: invisible.
  MakeProdSnapshot("s2", /*share=*/false);
  EXPECT_EQ(ErrorCode(Copy(kVault, kEast, ProdSnapshotArn("s2"), "v2", "alias/vault")),
            "DBSnapshotNotFound");
}

TEST_F(RdsCopyTest, SourceKeyPolicyMustAllowTheVault) {
  MakeProdSnapshot("s1", false);
  auto r = Copy(kProd, kEast, "s1", "s1-private", "alias/prod-private");
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(minutes(20));
  r = Rds(*sim_, kProd, kEast, "ModifyDBSnapshotAttribute",
          {{"DBSnapshotIdentifier", "s1-private"},
           {"AttributeName", "restore"},
           {"ValuesToAdd.AttributeValue.1", kVault}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Copy(kVault, kEast, ProdSnapshotArn("s1-private"), "v1", "alias/vault");
  EXPECT_EQ(ErrorCode(r), "KMSKeyNotAccessibleFault");
}

TEST_F(RdsCopyTest, StrictRuleRefusesCrossRegionCopyOfSharedEncrypted) {
  MakeProdSnapshot("s1");
  auto r = Copy(kVault, kWest, ProdSnapshotArn("s1"), "v1-west", "alias/vault");
  EXPECT_EQ(ErrorCode(r), "InvalidParameterCombination");
  // The two-step path works: copy in the source region, then across.
  r = Copy(kVault, kEast, ProdSnapshotArn("s1"), "v1", "alias/vault");
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(minutes(10));
  r = Copy(kVault, kWest, "arn:aws:rds:us-east-1:222222222222:snapshot:v1", "v1-west",
           "alias/vault");
  ASSERT_EQ(r.status, 200) << r.body;

  ASSERT_TRUE(sim_->UpdateSettings({{"copy_rule", "one-step"}}).has_value());
  r = Copy(kVault, kWest, ProdSnapshotArn("s1"), "v1-west-direct", "alias/vault");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/SourceRegion"), "us-east-1");
}

TEST_F(RdsCopyTest, IncrementalCopiesAreFasterAndCopiesQueue) {
  MakeProdSnapshot("s1", false);
  auto r = Copy(kProd, kWest, ProdSnapshotArn("s1"), "w1", "alias/aws/rds");
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(seconds(2048));
  EXPECT_EQ(Status(kProd, kWest, "w1"), "available");
  MakeProdSnapshot("s2", false);
  // Previous copy w1 is still there with the same key: incremental (205 s).
  r = Copy(kProd, kWest, ProdSnapshotArn("s2"), "w2", "alias/aws/rds");
  ASSERT_EQ(r.status, 200) << r.body;
  // A third copy of the same DB queues behind w2.
  MakeProdSnapshot("s3", false);
  // w2 done (incremental) after 205 s; the advance inside MakeProdSnapshot was 600 s.
  EXPECT_EQ(Status(kProd, kWest, "w2"), "available");
  auto r2 = Copy(kProd, kWest, ProdSnapshotArn("s3"), "w3", "alias/aws/rds");
  auto r3 = Copy(kProd, kWest, ProdSnapshotArn("s3"), "w3b", "alias/aws/rds");
  ASSERT_EQ(r3.status, 200) << r3.body;
  sim_->Advance(seconds(210));
  EXPECT_EQ(Status(kProd, kWest, "w3"), "available");
  EXPECT_EQ(Status(kProd, kWest, "w3b"), "copying");  // started only when w3 finished
  sim_->Advance(seconds(210));
  EXPECT_EQ(Status(kProd, kWest, "w3b"), "available");
  // A different key: a full copy.
  r = Copy(kProd, kWest, ProdSnapshotArn("s3"), "w4", "alias/prod-west");
  EXPECT_EQ(ErrorCode(r), "KMSKeyNotAccessibleFault");
}

TEST_F(RdsCopyTest, CopiesInFlightQuota) {
  ASSERT_TRUE(sim_->UpdateSettings({{"copies_in_flight_quota", 2}}).has_value());
  MakeProdSnapshot("s1", false);
  ASSERT_EQ(Copy(kProd, kWest, ProdSnapshotArn("s1"), "w1", "alias/aws/rds").status, 200);
  ASSERT_EQ(Copy(kProd, kWest, ProdSnapshotArn("s1"), "w2", "alias/aws/rds").status, 200);
  auto r = Copy(kProd, kWest, ProdSnapshotArn("s1"), "w3", "alias/aws/rds");
  EXPECT_EQ(ErrorCode(r), "SnapshotQuotaExceeded");
  EXPECT_EQ(r.status, 400);
  // Other destination regions have their own quota.
  EXPECT_EQ(Copy(kProd, kEast, "s1", "e1").status, 200);
  sim_->Advance(hours(3));
  EXPECT_EQ(Copy(kProd, kWest, ProdSnapshotArn("s1"), "w3", "alias/aws/rds").status, 200);
}

TEST_F(RdsCopyTest, InjectedFailureEndsInFailed) {
  MakeProdSnapshot("s1", false);
  ASSERT_TRUE(
      sim_->InjectFault(
              {{"kind", "fail_copies"}, {"account", kProd}, {"region", kWest}, {"count", 1}})
          .has_value());
  EXPECT_EQ(sim_->InjectFault({{"kind", "throttle"}}).error().code, "UnknownFault");
  ASSERT_EQ(Copy(kProd, kEast, "s1", "e1").status, 200);  // other region: unaffected
  ASSERT_EQ(Copy(kProd, kWest, ProdSnapshotArn("s1"), "w1", "alias/aws/rds").status, 200);
  ASSERT_EQ(Copy(kProd, kWest, ProdSnapshotArn("s1"), "w2", "alias/aws/rds").status, 200);
  sim_->Advance(hours(3));
  EXPECT_EQ(Status(kProd, kEast, "e1"), "available");
  EXPECT_EQ(Status(kProd, kWest, "w1"), "failed");
  EXPECT_EQ(Status(kProd, kWest, "w2"), "available");
  // Failed copies can be deleted.
  EXPECT_EQ(Rds(*sim_, kProd, kWest, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "w1"}}).status,
            200);
}

TEST_F(RdsCopyTest, DeletingTheSourceFailsAnInFlightCopy) {
  MakeProdSnapshot("s1", false);
  ASSERT_EQ(Copy(kProd, kWest, ProdSnapshotArn("s1"), "w1", "alias/aws/rds").status, 200);
  ASSERT_EQ(Rds(*sim_, kProd, kEast, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "s1"}}).status,
            200);
  sim_->Advance(hours(1));
  EXPECT_EQ(Status(kProd, kWest, "w1"), "failed");
}

TEST_F(RdsCopyTest, CopyTagsAndTags) {
  auto r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
               {{"DBSnapshotIdentifier", "t1"},
                {"DBInstanceIdentifier", "orders"},
                {"Tags.Tag.1.Key", "a"},
                {"Tags.Tag.1.Value", "1"}});
  sim_->Advance(minutes(10));
  r = Rds(*sim_, kProd, kEast, "CopyDBSnapshot",
          {{"SourceDBSnapshotIdentifier", "t1"},
           {"TargetDBSnapshotIdentifier", "t2"},
           {"CopyTags", "true"},
           {"Tags.Tag.1.Key", "b"},
           {"Tags.Tag.1.Value", "2"},
           {"PreSignedUrl", "https://ignored"}});
  ASSERT_EQ(r.status, 200) << r.body;
  // Explicit tags replace CopyTags (RdsFidelityTest.ExplicitTagsReplaceCopyTags).
  EXPECT_EQ(XAll(r, "//DBSnapshot/TagList/Tag/Key"), (std::vector<std::string>{"b"}));
  r = Rds(*sim_, kProd, kEast, "CopyDBSnapshot",
          {{"SourceDBSnapshotIdentifier", "t1"},
           {"TargetDBSnapshotIdentifier", "t3"},
           {"Tags.Tag.1.Key", "aws:cloudformation:stack"},
           {"Tags.Tag.1.Value", "2"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
}

TEST_F(RdsCopyTest, ClusterSnapshotCopyRules) {
  auto r = Rds(*sim_, kProd, kEast, "CreateDBClusterSnapshot",
               {{"DBClusterSnapshotIdentifier", "l1"}, {"DBClusterIdentifier", "ledger"}});
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(minutes(10));
  r = Rds(*sim_, kProd, kEast, "ModifyDBClusterSnapshotAttribute",
          {{"DBClusterSnapshotIdentifier", "l1"},
           {"AttributeName", "restore"},
           {"ValuesToAdd.AttributeValue.1", kVault}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBClusterSnapshotAttribute/AttributeValues/AttributeValue"), kVault);
  std::string arn = "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:l1";
  r = Rds(*sim_, kVault, kWest, "CopyDBClusterSnapshot",
          {{"SourceDBClusterSnapshotIdentifier", arn},
           {"TargetDBClusterSnapshotIdentifier", "l1w"},
           {"KmsKeyId", "alias/vault"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterCombination");  // strict rule: same region only
  r = Rds(*sim_, kVault, kEast, "CopyDBClusterSnapshot",
          {{"SourceDBClusterSnapshotIdentifier", arn},
           {"TargetDBClusterSnapshotIdentifier", "l1v"},
           {"KmsKeyId", "alias/vault"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/Status"), "copying");
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/SourceDBClusterSnapshotArn"), arn);
  // Cross-region cluster copies in flight: 5.
  ASSERT_TRUE(sim_->UpdateSettings({{"cluster_cross_region_copies_quota", 1}}).has_value());
  r = Rds(*sim_, kProd, kWest, "CopyDBClusterSnapshot",
          {{"SourceDBClusterSnapshotIdentifier", arn},
           {"TargetDBClusterSnapshotIdentifier", "w1"},
           {"KmsKeyId", "alias/aws/rds"}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Rds(*sim_, kProd, kWest, "CopyDBClusterSnapshot",
          {{"SourceDBClusterSnapshotIdentifier", arn},
           {"TargetDBClusterSnapshotIdentifier", "w2"},
           {"KmsKeyId", "alias/aws/rds"}});
  EXPECT_EQ(ErrorCode(r), "SnapshotQuotaExceeded");
}

// The events of DB cluster snapshots are the catalogue's: a manual one is
// started (RDS-EVENT-0074) and created (RDS-EVENT-0075); a copy ends with no
// event (the catalogue has no cluster snapshot copy event), unlike a DB
// snapshot copy (RDS-EVENT-0197). drsnap's Lambda functions watch cluster
// copies for that reason (lambda/handler.h); tests drive them with these.
TEST_F(RdsCopyTest, ClusterSnapshotEventsAreTheCataloguesAndCopiesEndWithoutOne) {
  auto ids_for = [this](const std::string& source_id) {
    std::vector<std::string> ids;
    for (const auto& e : sim_->Events(ExampleStart()))
      if (e["detail"]["SourceIdentifier"] == source_id)
        ids.push_back(e["detail"]["EventID"].get<std::string>());
    return ids;
  };
  auto r = Rds(*sim_, kProd, kEast, "CreateDBClusterSnapshot",
               {{"DBClusterSnapshotIdentifier", "l1"}, {"DBClusterIdentifier", "ledger"}});
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(minutes(10));
  EXPECT_EQ(ids_for("l1"), (std::vector<std::string>{"RDS-EVENT-0074", "RDS-EVENT-0075"}));
  for (const auto& e : sim_->Events(ExampleStart()))
    if (e["detail"]["SourceIdentifier"] == "l1") {
      EXPECT_EQ(e["detail-type"], "RDS DB Cluster Snapshot Event");
      EXPECT_EQ(e["detail"]["SourceType"], "CLUSTER_SNAPSHOT");
    }
  r = Rds(
      *sim_, kProd, kEast, "CopyDBClusterSnapshot",
      {{"SourceDBClusterSnapshotIdentifier", "l1"}, {"TargetDBClusterSnapshotIdentifier", "l2"}});
  ASSERT_EQ(r.status, 200) << r.body;
  sim_->Advance(hours(2));
  r = Rds(*sim_, kProd, kEast, "DescribeDBClusterSnapshots",
          {{"DBClusterSnapshotIdentifier", "l2"}});
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/Status"), "available");
  EXPECT_TRUE(ids_for("l2").empty());
}

}  // namespace
}  // namespace drsnap::sim
