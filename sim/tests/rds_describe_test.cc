#include <gtest/gtest.h>

#include <set>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

// A world with many snapshots: 250 of orders, 60 of plain, 30 shared to the vault.
class RdsDescribeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = ExampleWorld({{"manual_snapshot_quota", 1000}});
    for (int i = 0; i < 250; ++i) Create("orders", "o-" + std::to_string(1000 + i));
    for (int i = 0; i < 60; ++i) Create("plain", "p-" + std::to_string(1000 + i));
    sim_->Advance(hours(1));
    for (int i = 0; i < 30; ++i) {
      auto r = Rds(*sim_, kProd, kEast, "ModifyDBSnapshotAttribute",
                   {{"DBSnapshotIdentifier", "o-" + std::to_string(1000 + i)},
                    {"AttributeName", "restore"}, {"ValuesToAdd.AttributeValue.1", kVault}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  void Create(const std::string& db, const std::string& id) {
    auto r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
                 {{"DBSnapshotIdentifier", id}, {"DBInstanceIdentifier", db}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // All ids over all pages; counts pages.
  std::vector<std::string> All(const std::string& account, QueryParams base, int* pages) {
    std::vector<std::string> ids;
    std::string marker;
    *pages = 0;
    do {
      QueryParams p = base;
      if (!marker.empty()) p.emplace_back("Marker", marker);
      auto r = Rds(*sim_, account, kEast, "DescribeDBSnapshots", p);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      ++*pages;
      for (auto& id : XAll(r, "//DBSnapshots/DBSnapshot/DBSnapshotIdentifier")) ids.push_back(id);
      marker = XText(r, "/DescribeDBSnapshotsResponse/DescribeDBSnapshotsResult/Marker");
    } while (!marker.empty() && *pages < 100);
    return ids;
  }
  std::unique_ptr<Simulator> sim_;
};

TEST_F(RdsDescribeTest, MaxRecordsValidated) {
  for (const char* bad : {"19", "101", "0", "abc", "-5"}) {
    auto r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots", {{"MaxRecords", bad}});
    EXPECT_EQ(ErrorCode(r), "InvalidParameterValue") << bad;
  }
  auto r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots", {{"MaxRecords", "20"}});
  EXPECT_EQ(XAll(r, "//DBSnapshot").size(), 20u);
  r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots");
  EXPECT_EQ(XAll(r, "//DBSnapshot").size(), 100u);  // default and maximum
}

TEST_F(RdsDescribeTest, PaginationVisitsEverySnapshotOnce) {
  int pages = 0;
  auto ids = All(kProd, {{"MaxRecords", "100"}}, &pages);
  EXPECT_EQ(ids.size(), 311u);  // + plain-seed
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(pages, 4);
  ids = All(kProd, {{"MaxRecords", "20"}, {"DBInstanceIdentifier", "plain"}}, &pages);
  EXPECT_EQ(ids.size(), 61u);
  EXPECT_EQ(pages, 4);
  // Exactly one full page: no marker.
  ids = All(kProd, {{"MaxRecords", "61"}, {"DBInstanceIdentifier", "plain"}}, &pages);
  EXPECT_EQ(pages, 1);
}

TEST_F(RdsDescribeTest, FiltersAndTypes) {
  int pages = 0;
  auto ids = All(kProd,
                 {{"Filters.Filter.1.Name", "db-instance-id"},
                  {"Filters.Filter.1.Values.Value.1", "arn:aws:rds:us-east-1:111111111111:db:plain"},
                  {"Filters.Filter.1.Values.Value.2", "legacy"}},
                 &pages);
  EXPECT_EQ(ids.size(), 61u);
  ids = All(kProd,
            {{"Filters.Filter.1.Name", "db-snapshot-id"},
             {"Filters.Filter.1.Values.Value.1", "p-1001"},
             {"Filters.Filter.1.Values.Value.2", "o-1001"}},
            &pages);
  EXPECT_EQ(ids, (std::vector<std::string>{"o-1001", "p-1001"}));
  ids = All(kProd, {{"SnapshotType", "automated"}}, &pages);
  EXPECT_TRUE(ids.empty());
  sim_->Advance(hours(6));
  ids = All(kProd, {{"SnapshotType", "automated"}}, &pages);
  EXPECT_EQ(ids, (std::vector<std::string>{"rds:legacy-2026-11-23-05-00",
                                           "rds:orders-2026-11-23-04-00",
                                           "rds:plain-2026-11-23-04-00"}));
  ids = All(kProd, {{"Filters.Filter.1.Name", "snapshot-type"},
                    {"Filters.Filter.1.Values.Value.1", "automated"},
                    {"Filters.Filter.2.Name", "engine"},
                    {"Filters.Filter.2.Values.Value.1", "mysql"}},
            &pages);
  EXPECT_EQ(ids, (std::vector<std::string>{"rds:legacy-2026-11-23-05-00"}));
  auto r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots",
               {{"Filters.Filter.1.Name", "color"}, {"Filters.Filter.1.Values.Value.1", "x"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
  r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots", {{"SnapshotType", "weird"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
  r = Rds(*sim_, kProd, kEast, "DescribeDBSnapshots", {{"Marker", "garbage"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
}

TEST_F(RdsDescribeTest, OwnAndSharedPagesTogether) {
  // The vault owns a few snapshots and sees 30 shared ones.
  for (int i = 0; i < 3; ++i) {
    auto r = Rds(*sim_, kVault, kEast, "CopyDBSnapshot",
                 {{"SourceDBSnapshotIdentifier", ProdSnapshotArn("o-100" + std::to_string(i))},
                  {"TargetDBSnapshotIdentifier", "v" + std::to_string(i)},
                  {"KmsKeyId", "alias/vault"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  int pages = 0;
  auto ids = All(kVault, {{"MaxRecords", "20"}, {"IncludeShared", "true"}}, &pages);
  EXPECT_EQ(ids.size(), 33u);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(ids[0], "v0");
  EXPECT_EQ(ids[3], ProdSnapshotArn("o-1000"));
  ids = All(kVault, {{"MaxRecords", "20"}, {"SnapshotType", "shared"}}, &pages);
  EXPECT_EQ(ids.size(), 30u);
  ids = All(kVault, {{"SnapshotType", "shared"}, {"DBInstanceIdentifier", "plain"}}, &pages);
  EXPECT_TRUE(ids.empty());
}

TEST_F(RdsDescribeTest, DescribeDBInstancesPagesAndFilters) {
  auto r = Rds(*sim_, kProd, kEast, "DescribeDBInstances", {{"MaxRecords", "20"}});
  EXPECT_EQ(XAll(r, "//DBInstance").size(), 5u);
  EXPECT_EQ(XText(r, "//DescribeDBInstancesResult/Marker"), "");
  r = Rds(*sim_, kProd, kEast, "DescribeDBInstances",
          {{"Filters.Filter.1.Name", "db-cluster-id"}, {"Filters.Filter.1.Values.Value.1", "ledger"}});
  EXPECT_EQ(XAll(r, "//DBInstance/DBInstanceIdentifier"),
            (std::vector<std::string>{"ledger-1", "ledger-2"}));
  r = Rds(*sim_, kProd, kEast, "DescribeDBClusters", {{"DBClusterIdentifier", "nope"}});
  EXPECT_EQ(ErrorCode(r), "DBClusterNotFoundFault");
  EXPECT_EQ(r.status, 404);
}

}  // namespace
}  // namespace drsnap::sim
