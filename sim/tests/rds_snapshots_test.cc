#include <gtest/gtest.h>

#include <map>
#include <string>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

TEST(RdsSnapshotsTest, CreateDBSnapshotReturnsAwsXml) {
  auto sim = ExampleWorld();
  auto r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
               {{"DBSnapshotIdentifier", "Orders-Manual-1"},
                {"DBInstanceIdentifier", "orders"},
                {"Tags.Tag.1.Key", "k"},
                {"Tags.Tag.1.Value", "v"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/xml");
  EXPECT_EQ(r.body.rfind(
                "<CreateDBSnapshotResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">", 0),
            0u)
      << r.body;
  EXPECT_EQ(XText(r, "/CreateDBSnapshotResponse/ResponseMetadata/RequestId"), r.request_id);
  const std::string s = "/CreateDBSnapshotResponse/CreateDBSnapshotResult/DBSnapshot/";
  EXPECT_EQ(XText(r, s + "DBSnapshotIdentifier"), "orders-manual-1");  // AWS lowercases
  EXPECT_EQ(XText(r, s + "DBInstanceIdentifier"), "orders");
  EXPECT_EQ(XText(r, s + "Status"), "creating");
  EXPECT_EQ(XText(r, s + "SnapshotType"), "manual");
  EXPECT_EQ(XText(r, s + "PercentProgress"), "0");
  EXPECT_EQ(XText(r, s + "Engine"), "postgres");
  EXPECT_EQ(XText(r, s + "AllocatedStorage"), "100");
  EXPECT_EQ(XText(r, s + "Encrypted"), "true");
  EXPECT_EQ(XText(r, s + "SnapshotCreateTime"), "2026-11-23T00:00:00.000Z");
  EXPECT_EQ(XText(r, s + "DBSnapshotArn"), ProdSnapshotArn("orders-manual-1"));
  EXPECT_EQ(XText(r, s + "KmsKeyId").rfind("arn:aws:kms:us-east-1:111111111111:key/", 0), 0u);
  EXPECT_EQ(XText(r, s + "TagList/Tag/Key"), "k");
  EXPECT_EQ(XText(r, s + "DbiResourceId").rfind("db-", 0), 0u);

  // 100 GB at 500 MB/s: 205 s. Half-way it is in progress, then available.
  sim->Advance(seconds(100));
  auto d =
      Rds(*sim, kProd, kEast, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", "orders-manual-1"}});
  EXPECT_EQ(XText(d, "//DBSnapshot/Status"), "creating");
  EXPECT_EQ(XText(d, "//DBSnapshot/PercentProgress"), "48");
  sim->Advance(seconds(200));
  d = Rds(*sim, kProd, kEast, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", "orders-manual-1"}});
  EXPECT_EQ(XText(d, "//DBSnapshot/Status"), "available");
  EXPECT_EQ(XText(d, "//DBSnapshot/PercentProgress"), "100");
}

TEST(RdsSnapshotsTest, ErrorsHaveAwsShapeAndStatus) {
  auto sim = ExampleWorld();
  auto r = Rds(*sim, kProd, kEast, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", "nope"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.rfind("<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">", 0),
            0u);
  EXPECT_EQ(XText(r, "/ErrorResponse/Error/Type"), "Sender");
  EXPECT_EQ(XText(r, "/ErrorResponse/Error/Code"), "DBSnapshotNotFound");
  EXPECT_EQ(XText(r, "/ErrorResponse/Error/Message"), "DBSnapshot nope not found.");
  EXPECT_EQ(XText(r, "/ErrorResponse/RequestId"), r.request_id);

  r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
          {{"DBSnapshotIdentifier", "x"}, {"DBInstanceIdentifier", "missing"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "DBInstanceNotFound");
  r = Rds(*sim, kProd, kEast, "CreateDBSnapshot", {{"DBInstanceIdentifier", "orders"}});
  EXPECT_EQ(ErrorCode(r), "MissingParameter");
  r = Rds(*sim, kProd, kEast, "FlyToMoon");
  EXPECT_EQ(ErrorCode(r), "InvalidAction");
  EXPECT_EQ(r.status, 400);
}

TEST(RdsSnapshotsTest, IdentifiersAreValidatedAsAwsDoes) {
  auto sim = ExampleWorld();
  auto create = [&](const std::string& id) {
    return ErrorCode(Rds(*sim, kProd, kEast, "CreateDBSnapshot",
                         {{"DBSnapshotIdentifier", id}, {"DBInstanceIdentifier", "orders"}}));
  };
  EXPECT_EQ(create("1abc"), "InvalidParameterValue");
  EXPECT_EQ(create("a--b"), "InvalidParameterValue");
  EXPECT_EQ(create("ab-"), "InvalidParameterValue");
  EXPECT_EQ(create("a_b"), "InvalidParameterValue");
  EXPECT_EQ(create("rds:orders-x"), "InvalidParameterValue");
  EXPECT_EQ(create(std::string(256, 'a')), "InvalidParameterValue");
  EXPECT_EQ(create(std::string(255, 'a')), "");
  EXPECT_EQ(create("a-b-c"), "");
  EXPECT_EQ(create("A-B-C"), "DBSnapshotAlreadyExists");  // ids are case-insensitive
  auto cl = [&](const std::string& id) {
    return ErrorCode(Rds(*sim, kProd, kEast, "CreateDBClusterSnapshot",
                         {{"DBClusterSnapshotIdentifier", id}, {"DBClusterIdentifier", "ledger"}}));
  };
  EXPECT_EQ(cl(std::string(64, 'a')), "InvalidParameterValue");
  EXPECT_EQ(cl(std::string(63, 'a')), "");
  EXPECT_EQ(cl(std::string(63, 'a')), "DBClusterSnapshotAlreadyExistsFault");
}

TEST(RdsSnapshotsTest, ReservedTagPrefixRefused) {
  auto sim = ExampleWorld();
  auto r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
               {{"DBSnapshotIdentifier", "s1"},
                {"DBInstanceIdentifier", "orders"},
                {"Tags.Tag.1.Key", "aws:backup"},
                {"Tags.Tag.1.Value", "v"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
  r = Rds(*sim, kProd, kEast, "AddTagsToResource",
          {{"ResourceName", ProdSnapshotArn("plain-seed")},
           {"Tags.Tag.1.Key", "AWS:x"},
           {"Tags.Tag.1.Value", "v"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
}

TEST(RdsSnapshotsTest, ManualSnapshotQuota) {
  auto sim = ExampleWorld({{"manual_snapshot_quota", 3}});
  // plain-seed already counts.
  for (int i = 0; i < 2; ++i) {
    auto r =
        Rds(*sim, kProd, kEast, "CreateDBSnapshot",
            {{"DBSnapshotIdentifier", "q" + std::to_string(i)}, {"DBInstanceIdentifier", "plain"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
               {{"DBSnapshotIdentifier", "q9"}, {"DBInstanceIdentifier", "plain"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "SnapshotQuotaExceeded");
  EXPECT_EQ(XText(r, "//Message"), "Cannot create more than 3 manual snapshots");
  // Another region has its own quota.
  auto other = Rds(*sim, kProd, kWest, "DescribeDBSnapshots");
  EXPECT_EQ(other.status, 200);
}

// AWS's snapshot quotas are per account (and region): one account's raised
// quota leaves the others at the default, and DescribeAccountAttributes says so.
TEST(RdsSnapshotsTest, AnAccountsOwnManualSnapshotQuota) {
  auto sim = ExampleWorld({{"manual_snapshot_quota", 1},
                           {"manual_cluster_snapshot_quota", 1},
                           {"manual_snapshot_quota_by_account", {{kProd, 3}}}});
  // plain-seed already counts.
  for (int i = 0; i < 2; ++i) {
    auto r =
        Rds(*sim, kProd, kEast, "CreateDBSnapshot",
            {{"DBSnapshotIdentifier", "q" + std::to_string(i)}, {"DBInstanceIdentifier", "plain"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
               {{"DBSnapshotIdentifier", "q9"}, {"DBInstanceIdentifier", "plain"}});
  EXPECT_EQ(ErrorCode(r), "SnapshotQuotaExceeded");
  EXPECT_EQ(XText(r, "//Message"), "Cannot create more than 3 manual snapshots");
  for (const char* account : {kProd, kVault}) {
    auto attrs = Rds(*sim, account, kEast, "DescribeAccountAttributes");
    ASSERT_EQ(attrs.status, 200) << attrs.body;
    auto names = XAll(attrs, "//AccountQuota/AccountQuotaName");
    auto max = XAll(attrs, "//AccountQuota/Max");
    ASSERT_EQ(names.size(), max.size());
    std::map<std::string, std::string> q;
    for (size_t i = 0; i < names.size(); ++i) q[names[i]] = max[i];
    const std::string expected = account == std::string(kProd) ? "3" : "1";
    EXPECT_EQ(q["ManualSnapshots"], expected) << account;
    EXPECT_EQ(q["ManualClusterSnapshots"], expected) << account;
  }
  EXPECT_EQ(sim->Settings()["manual_snapshot_quota_by_account"][kProd], 3);
  EXPECT_FALSE(sim->UpdateSettings({{"manual_snapshot_quota_by_account", {{kProd, -1}}}}));
  EXPECT_FALSE(sim->UpdateSettings({{"manual_snapshot_quota_by_account", 5}}));
}

TEST(RdsSnapshotsTest, DeleteRules) {
  auto sim = ExampleWorld();
  sim->Advance(hours(5));  // automated snapshots of orders (04:00) exist now
  auto autos = XAll(Rds(*sim, kProd, kEast, "DescribeDBSnapshots",
                        {{"SnapshotType", "automated"}, {"DBInstanceIdentifier", "orders"}}),
                    "//DBSnapshot/DBSnapshotIdentifier");
  ASSERT_EQ(autos, (std::vector<std::string>{"rds:orders-2026-11-23-04-00"}));
  auto r = Rds(*sim, kProd, kEast, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", autos[0]}});
  EXPECT_EQ(ErrorCode(r), "InvalidDBSnapshotState");
  EXPECT_EQ(XText(r, "//Message"), "Only manual snapshots may be deleted.");

  r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
          {{"DBSnapshotIdentifier", "busy"}, {"DBInstanceIdentifier", "orders"}});
  r = Rds(*sim, kProd, kEast, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "busy"}});
  EXPECT_EQ(ErrorCode(r), "InvalidDBSnapshotState");

  r = Rds(*sim, kProd, kEast, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "plain-seed"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DeleteDBSnapshotResult/DBSnapshot/Status"), "deleted");
  r = Rds(*sim, kProd, kEast, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "plain-seed"}});
  EXPECT_EQ(ErrorCode(r), "DBSnapshotNotFound");
  EXPECT_EQ(r.status, 404);
}

TEST(RdsSnapshotsTest, ClusterSnapshotsHaveClusterShape) {
  auto sim = ExampleWorld();
  auto r = Rds(*sim, kProd, kEast, "CreateDBClusterSnapshot",
               {{"DBClusterSnapshotIdentifier", "ledger-1st"}, {"DBClusterIdentifier", "ledger"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string s =
      "/CreateDBClusterSnapshotResponse/CreateDBClusterSnapshotResult/DBClusterSnapshot/";
  EXPECT_EQ(XText(r, s + "DBClusterSnapshotIdentifier"), "ledger-1st");
  EXPECT_EQ(XText(r, s + "DBClusterIdentifier"), "ledger");
  EXPECT_EQ(XText(r, s + "StorageEncrypted"), "true");
  EXPECT_EQ(XText(r, s + "DBClusterSnapshotArn"),
            "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:ledger-1st");
  EXPECT_EQ(XAll(r, s + "AvailabilityZones/AvailabilityZone").size(), 3u);
  // Members of a cluster cannot be snapshotted on their own.
  r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
          {{"DBSnapshotIdentifier", "m"}, {"DBInstanceIdentifier", "ledger-1"}});
  EXPECT_EQ(ErrorCode(r), "InvalidDBInstanceState");
  sim->Advance(hours(1));
  r = Rds(*sim, kProd, kEast, "DeleteDBClusterSnapshot",
          {{"DBClusterSnapshotIdentifier", "ledger-1st"}});
  EXPECT_EQ(r.status, 200) << r.body;
  // As the awscli example of delete-db-cluster-snapshot shows.
  EXPECT_EQ(XText(r, "//DBClusterSnapshot/Status"), "available");
}

TEST(RdsSnapshotsTest, TagsRoundTrip) {
  auto sim = ExampleWorld();
  std::string arn = ProdSnapshotArn("plain-seed");
  auto r = Rds(*sim, kProd, kEast, "AddTagsToResource",
               {{"ResourceName", arn},
                {"Tags.Tag.1.Key", "a"},
                {"Tags.Tag.1.Value", "1"},
                {"Tags.Tag.2.Key", "origin"},
                {"Tags.Tag.2.Value", "changed"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("AddTagsToResourceResult"), std::string::npos);
  EXPECT_NE(r.body.find("<AddTagsToResourceResponse"), std::string::npos);
  r = Rds(*sim, kProd, kEast, "RemoveTagsFromResource",
          {{"ResourceName", arn}, {"TagKeys.member.1", "a"}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Rds(*sim, kProd, kEast, "ListTagsForResource", {{"ResourceName", arn}});
  EXPECT_EQ(XAll(r, "//ListTagsForResourceResult/TagList/Tag/Key"),
            (std::vector<std::string>{"origin"}));
  EXPECT_EQ(XText(r, "//Tag[Key='origin']/Value"), "changed");
  r = Rds(*sim, kProd, kEast, "ListTagsForResource",
          {{"ResourceName", "arn:aws:rds:us-east-1:111111111111:db:orders"}});
  EXPECT_EQ(XText(r, "//Tag[Key='team']/Value"), "payments");
  r = Rds(*sim, kProd, kEast, "ListTagsForResource", {{"ResourceName", ProdSnapshotArn("nope")}});
  EXPECT_EQ(ErrorCode(r), "DBSnapshotNotFound");
}

}  // namespace
}  // namespace drsnap::sim
