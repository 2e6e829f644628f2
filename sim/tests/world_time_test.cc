#include <gtest/gtest.h>

#include "core/time_util.h"
#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

std::vector<std::string> Automated(Simulator& sim, const std::string& db) {
  return XAll(Rds(sim, kProd, kEast, "DescribeDBSnapshots",
                  {{"SnapshotType", "automated"}, {"DBInstanceIdentifier", db}}),
              "//DBSnapshot/DBSnapshotIdentifier");
}

TEST(WorldTimeTest, AutomatedSnapshotsDailyInWindowAndExpire) {
  auto sim = ExampleWorld();
  sim->Advance(hours(4));
  auto r = Rds(*sim, kProd, kEast, "DescribeDBSnapshots",
               {{"DBSnapshotIdentifier", "rds:orders-2026-11-23-04-00"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "creating");
  EXPECT_EQ(XText(r, "//DBSnapshot/SnapshotType"), "automated");
  sim->Advance(hours(1));
  r = Rds(*sim, kProd, kEast, "DescribeDBSnapshots",
          {{"DBSnapshotIdentifier", "rds:orders-2026-11-23-04-00"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/Status"), "available");
  // Retention: plain keeps 1 day, orders 7 days.
  sim->Advance(days(3));
  EXPECT_EQ(Automated(*sim, "plain"), (std::vector<std::string>{"rds:plain-2026-11-26-04-00"}));
  EXPECT_EQ(Automated(*sim, "orders").size(), 4u);
  sim->Advance(days(10));
  EXPECT_EQ(Automated(*sim, "orders").size(), 7u);
  EXPECT_EQ(Automated(*sim, "orders").front(), "rds:orders-2026-11-30-04-00");
  // Cluster snapshots of ledger (03:00 window), none of its member instances.
  auto c = Rds(*sim, kProd, kEast, "DescribeDBClusterSnapshots", {{"SnapshotType", "automated"}});
  auto ids = XAll(c, "//DBClusterSnapshot/DBClusterSnapshotIdentifier");
  ASSERT_EQ(ids.size(), 7u);
  EXPECT_EQ(ids.back(), "rds:ledger-2026-12-06-03-00");
  EXPECT_TRUE(Automated(*sim, "ledger-1").empty());
}

TEST(WorldTimeTest, EventsHaveEventBridgeShapeAndGoToSink) {
  auto sim = ExampleWorld();
  std::vector<nlohmann::json> seen;
  sim->SetEventSink([&](const nlohmann::json& e) { seen.push_back(e); });
  sim->Advance(hours(5));
  auto events = sim->Events(ExampleStart());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(seen.size(), events.size());
  // orders at 04:00: 0090 then 0091.
  nlohmann::json created;
  for (const auto& e : events)
    if (e["detail"]["SourceIdentifier"] == "rds:orders-2026-11-23-04-00" &&
        e["detail"]["EventID"] == "RDS-EVENT-0091")
      created = e;
  ASSERT_FALSE(created.is_null());
  EXPECT_EQ(created["source"], "aws.rds");
  EXPECT_EQ(created["detail-type"], "RDS DB Snapshot Event");
  EXPECT_EQ(created["account"], kProd);
  EXPECT_EQ(created["region"], kEast);
  EXPECT_EQ(created["detail"]["SourceType"], "SNAPSHOT");
  EXPECT_EQ(created["detail"]["Message"], "Automated snapshot created");
  EXPECT_EQ(created["detail"]["EventCategories"], nlohmann::json::array({"creation"}));
  EXPECT_EQ(created["detail"]["SourceArn"], ProdSnapshotArn("rds:orders-2026-11-23-04-00"));
  EXPECT_EQ(created["resources"][0], created["detail"]["SourceArn"]);
  EXPECT_EQ(created["detail"]["Date"].get<std::string>().substr(0, 16), "2026-11-23T04:03");

  bool cluster_event = false;
  for (const auto& e : events)
    if (e["detail"]["EventID"] == "RDS-EVENT-0169") {
      cluster_event = true;
      EXPECT_EQ(e["detail-type"], "RDS DB Cluster Snapshot Event");
      EXPECT_EQ(e["detail"]["SourceType"], "CLUSTER_SNAPSHOT");
    }
  EXPECT_TRUE(cluster_event);
  EXPECT_TRUE(sim->Events(ExampleStart() + hours(6)).empty());

  // Manual snapshot, then delete: 0040, 0042, 0041 via DescribeEvents.
  Rds(*sim, kProd, kEast, "CreateDBSnapshot",
      {{"DBSnapshotIdentifier", "m1"}, {"DBInstanceIdentifier", "plain"}});
  sim->Advance(minutes(5));
  Rds(*sim, kProd, kEast, "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "m1"}});
  auto r = Rds(*sim, kProd, kEast, "DescribeEvents",
               {{"SourceType", "db-snapshot"}, {"SourceIdentifier", "m1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XAll(r, "//Events/Event/Message"),
            (std::vector<std::string>{"Creating manual snapshot", "Manual snapshot created",
                                      "Deleted user snapshot"}));
  EXPECT_EQ(XText(r, "//Event/SourceArn"), ProdSnapshotArn("m1"));
  EXPECT_EQ(XText(r, "//Event/EventCategories/EventCategory"), "creation");
  // Default window is the last hour; the vault sees none of prod's events.
  r = Rds(*sim, kVault, kEast, "DescribeEvents");
  EXPECT_TRUE(XAll(r, "//Event").empty());
  r = Rds(*sim, kProd, kEast, "DescribeEvents", {{"SourceIdentifier", "m1"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterCombination");
}

TEST(WorldTimeTest, SetTimeBackwardsOnlyMovesTheClock) {
  auto sim = ExampleWorld();
  sim->Advance(hours(5));
  size_t n = sim->Events(ExampleStart()).size();
  sim->SetTime(ExampleStart());
  EXPECT_EQ(sim->Now(), ExampleStart());
  EXPECT_EQ(sim->Events(ExampleStart()).size(), n);
  sim->SetTime(ExampleStart() + hours(5));
  EXPECT_EQ(sim->Events(ExampleStart()).size(), n);  // nothing ran twice
}

TEST(WorldTimeTest, CreateAndDeleteInstances) {
  auto sim = ExampleWorld();
  auto r = Rds(*sim, kVault, kWest, "CreateDBInstance",
               {{"DBInstanceIdentifier", "new-db"}, {"DBInstanceClass", "db.t3.small"},
                {"Engine", "mysql"}, {"AllocatedStorage", "30"}, {"StorageEncrypted", "true"},
                {"BackupRetentionPeriod", "2"}, {"PreferredBackupWindow", "01:00-01:30"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//CreateDBInstanceResult/DBInstance/DBInstanceStatus"), "creating");
  EXPECT_NE(XText(r, "//DBInstance/KmsKeyId"), "");
  r = Rds(*sim, kVault, kWest, "CreateDBInstance",
          {{"DBInstanceIdentifier", "new-db"}, {"DBInstanceClass", "db.t3.small"}, {"Engine", "mysql"}});
  EXPECT_EQ(ErrorCode(r), "DBInstanceAlreadyExists");
  sim->Advance(hours(2));
  r = Rds(*sim, kVault, kWest, "DescribeDBSnapshots", {{"SnapshotType", "automated"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/DBSnapshotIdentifier"), "rds:new-db-2026-11-23-01-00");
  r = Rds(*sim, kVault, kWest, "DeleteDBInstance", {{"DBInstanceIdentifier", "new-db"}});
  EXPECT_EQ(ErrorCode(r), "InvalidParameterCombination");
  r = Rds(*sim, kVault, kWest, "DeleteDBInstance",
          {{"DBInstanceIdentifier", "new-db"}, {"FinalDBSnapshotIdentifier", "new-db-final"}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Rds(*sim, kVault, kWest, "DescribeDBSnapshots");
  EXPECT_EQ(XAll(r, "//DBSnapshot/DBSnapshotIdentifier"),
            (std::vector<std::string>{"new-db-final"}));  // automated ones went with the DB
  // Clusters with members cannot be deleted.
  r = Rds(*sim, kProd, kEast, "DeleteDBCluster",
          {{"DBClusterIdentifier", "ledger"}, {"SkipFinalSnapshot", "true"}});
  EXPECT_EQ(ErrorCode(r), "InvalidDBClusterStateFault");
}

}  // namespace
}  // namespace drsnap::sim

namespace drsnap::sim {
namespace {

TEST(WorldTimeEventsTest, EventCountIsBounded) {
  auto sim = worldtest::ExampleWorld({{"max_events", 5}});
  sim->Advance(std::chrono::days(3));
  auto events = sim->Events(worldtest::ExampleStart());
  ASSERT_EQ(events.size(), 5u);
  // The newest are kept.
  EXPECT_EQ(events.back()["detail"]["SourceIdentifier"], "rds:legacy-2026-11-25-05-00");
}

}  // namespace
}  // namespace drsnap::sim
