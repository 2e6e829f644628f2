// Option groups: per account and region, default groups per engine and major
// version, named on copies and restores, set by the world file.
#include <gtest/gtest.h>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

constexpr char kWorld[] = R"(
start_time: "2026-11-23T00:00:00Z"
regions: [us-east-1, us-west-2]
accounts:
  - id: "111111111111"
    access_keys: [{id: AKIAPROD000000000001, secret: s}]
    option_groups:
      - name: orders-og
        region: us-east-1
        engine: postgres
        major_engine_version: "16"
        description: orders options
    db_instances:
      - {id: orders, region: us-east-1, engine: postgres, engine_version: "16.3",
         option_group: orders-og, size_gb: 10}
      - {id: shop, region: us-east-1, engine: mysql, engine_version: "8.0.39", size_gb: 10}
  - id: "222222222222"
    access_keys: [{id: AKIAVAULT00000000001, secret: s}]
    option_groups:
      - {name: dr-pg16, region: us-west-2, engine: postgres, major_engine_version: "16"}
      - {name: dr-pg15, region: us-west-2, engine: postgres, major_engine_version: "15"}
      - {name: dr-east, region: us-east-1, engine: postgres, major_engine_version: "16"}
)";

class OptionGroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = Simulator::FromWorldText(kWorld, "og.yaml");
    ASSERT_TRUE(sim.has_value()) << sim.error().ToString();
    sim_ = std::move(*sim);
    auto r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
                 {{"DBSnapshotIdentifier", "o1"}, {"DBInstanceIdentifier", "orders"}});
    ASSERT_EQ(r.status, 200) << r.body;
    r = Rds(*sim_, kProd, kEast, "CreateDBSnapshot",
            {{"DBSnapshotIdentifier", "m1"}, {"DBInstanceIdentifier", "shop"}});
    ASSERT_EQ(r.status, 200) << r.body;
    sim_->Advance(minutes(10));
    for (const char* id : {"o1", "m1"}) {
      r = Rds(*sim_, kProd, kEast, "ModifyDBSnapshotAttribute",
              {{"DBSnapshotIdentifier", id},
               {"AttributeName", "restore"},
               {"ValuesToAdd.AttributeValue.1", kVault}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  SimResponse CopyTo(const std::string& account, const std::string& region, const std::string& src,
                     const std::string& dst, const std::string& option_group) {
    QueryParams p = {{"SourceDBSnapshotIdentifier", src}, {"TargetDBSnapshotIdentifier", dst}};
    if (!option_group.empty()) p.emplace_back("OptionGroupName", option_group);
    return Rds(*sim_, account, region, "CopyDBSnapshot", p);
  }
  std::string SnapGroup(const std::string& account, const std::string& region,
                        const std::string& id) {
    return XText(Rds(*sim_, account, region, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", id}}),
                 "//DBSnapshot/OptionGroupName");
  }

  std::unique_ptr<Simulator> sim_;
};

TEST_F(OptionGroupsTest, TheWorldGivesDatabasesOptionGroups) {
  auto r = Rds(*sim_, kProd, kEast, "DescribeDBInstances", {{"DBInstanceIdentifier", "orders"}});
  EXPECT_EQ(XText(r, "//OptionGroupMembership/OptionGroupName"), "orders-og");
  EXPECT_EQ(SnapGroup(kProd, kEast, "o1"), "orders-og");
  // Default groups: "default:<engine>-<major version, dots as hyphens>".
  r = Rds(*sim_, kProd, kEast, "DescribeDBInstances", {{"DBInstanceIdentifier", "shop"}});
  EXPECT_EQ(XText(r, "//OptionGroupMembership/OptionGroupName"), "default:mysql-8-0");
  EXPECT_EQ(SnapGroup(kProd, kEast, "m1"), "default:mysql-8-0");
}

TEST_F(OptionGroupsTest, WorldFileOptionGroupsAreChecked) {
  auto load = [](const std::string& db_line) {
    std::string text = R"(
accounts:
  - id: "111111111111"
    option_groups:
      - {name: my-mysql, region: us-east-1, engine: mysql, major_engine_version: "8.0"}
    db_instances:
      - )" + db_line + "\n";
    return Simulator::FromWorldText(text, "w.yaml");
  };
  EXPECT_TRUE(
      load("{id: a, region: us-east-1, engine: mysql, option_group: my-mysql}").has_value());
  EXPECT_TRUE(load("{id: a, region: us-east-1, engine: mysql, option_group: default:mysql-8-0}")
                  .has_value());
  auto bad = load("{id: a, region: us-east-1, engine: mysql, option_group: nope}");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("w.yaml:7: option group \"nope\""), std::string::npos)
      << bad.error().message;
  // Another engine's group, another region's group.
  EXPECT_FALSE(
      load("{id: a, region: us-east-1, engine: postgres, option_group: my-mysql}").has_value());
  EXPECT_FALSE(
      load("{id: a, region: us-west-2, engine: mysql, option_group: my-mysql}").has_value());
  EXPECT_FALSE(Simulator::FromWorldText(R"(
accounts:
  - id: "111111111111"
    option_groups: [{name: "default:x", region: us-east-1, engine: mysql, major_engine_version: "8.0"}]
)",
                                        "w.yaml")
                   .has_value());
}

TEST_F(OptionGroupsTest, CopyValidatesAndSetsTheOptionGroup) {
  std::string arn = ProdSnapshotArn("o1");
  // Unknown in the destination account and region.
  auto r = CopyTo(kVault, kWest, arn, "v1", "orders-og");
  EXPECT_EQ(ErrorCode(r), "OptionGroupNotFoundFault");
  EXPECT_EQ(r.status, 404);
  // Another major version.
  r = CopyTo(kVault, kWest, arn, "v1", "dr-pg15");
  EXPECT_EQ(ErrorCode(r), "InvalidParameterCombination");
  // Another engine's default group.
  EXPECT_EQ(ErrorCode(CopyTo(kVault, kWest, arn, "v1", "default:mysql-8-0")),
            "InvalidParameterCombination");
  r = CopyTo(kVault, kWest, arn, "v1", "dr-pg16");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/OptionGroupName"), "dr-pg16");
  sim_->Advance(hours(1));
  EXPECT_EQ(SnapGroup(kVault, kWest, "v1"), "dr-pg16");
  // The default group of the engine version is always there.
  r = CopyTo(kVault, kWest, arn, "v2", "default:postgres-16");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/OptionGroupName"), "default:postgres-16");
}

TEST_F(OptionGroupsTest, CopyWithoutOptionGroup) {
  // Within the account and region: the source's group.
  auto r = CopyTo(kProd, kEast, "o1", "o1-c", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/OptionGroupName"), "orders-og");
  // Where the source's non-default group does not exist: the default one.
  r = CopyTo(kVault, kWest, ProdSnapshotArn("o1"), "v1", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/OptionGroupName"), "default:postgres-16");
  // A default group stays.
  r = CopyTo(kVault, kWest, ProdSnapshotArn("m1"), "v2", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/OptionGroupName"), "default:mysql-8-0");
}

TEST_F(OptionGroupsTest, RestoreValidatesTheOptionGroup) {
  auto restore = [&](const std::string& id, const std::string& group) {
    QueryParams p = {{"DBInstanceIdentifier", id}, {"DBSnapshotIdentifier", "o1"}};
    if (!group.empty()) p.emplace_back("OptionGroupName", group);
    return Rds(*sim_, kProd, kEast, "RestoreDBInstanceFromDBSnapshot", p);
  };
  EXPECT_EQ(ErrorCode(restore("r1", "nope")), "OptionGroupNotFoundFault");
  EXPECT_EQ(ErrorCode(restore("r1", "default:mysql-8-0")), "InvalidParameterCombination");
  auto r = restore("r1", "default:postgres-16");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//OptionGroupMembership/OptionGroupName"), "default:postgres-16");
  r = restore("r2", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//OptionGroupMembership/OptionGroupName"), "orders-og");
}

TEST_F(OptionGroupsTest, CreateDescribeDeleteOptionGroup) {
  auto r = Rds(*sim_, kVault, kEast, "CreateOptionGroup",
               {{"OptionGroupName", "New-Og"},
                {"EngineName", "postgres"},
                {"MajorEngineVersion", "16"},
                {"OptionGroupDescription", "d"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//OptionGroup/OptionGroupName"), "new-og");
  EXPECT_EQ(XText(r, "//OptionGroup/OptionGroupArn"),
            "arn:aws:rds:us-east-1:222222222222:og:new-og");
  EXPECT_EQ(ErrorCode(Rds(*sim_, kVault, kEast, "CreateOptionGroup",
                          {{"OptionGroupName", "new-og"},
                           {"EngineName", "postgres"},
                           {"MajorEngineVersion", "16"},
                           {"OptionGroupDescription", "d"}})),
            "OptionGroupAlreadyExistsFault");
  EXPECT_EQ(
      ErrorCode(Rds(
          *sim_, kVault, kEast, "CreateOptionGroup",
          {{"OptionGroupName", "x"}, {"EngineName", "postgres"}, {"MajorEngineVersion", "16"}})),
      "MissingParameter");
  r = Rds(*sim_, kVault, kEast, "DescribeOptionGroups", {{"OptionGroupName", "new-og"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//OptionGroupsList/OptionGroup/EngineName"), "postgres");
  EXPECT_EQ(XText(r, "//OptionGroupsList/OptionGroup/MajorEngineVersion"), "16");
  r = Rds(*sim_, kVault, kEast, "DescribeOptionGroups", {{"EngineName", "postgres"}});
  EXPECT_EQ(XAll(r, "//OptionGroup/OptionGroupName"),
            (std::vector<std::string>{"dr-east", "new-og"}));
  ASSERT_EQ(Rds(*sim_, kVault, kEast, "DeleteOptionGroup", {{"OptionGroupName", "new-og"}}).status,
            200);
  EXPECT_EQ(
      ErrorCode(Rds(*sim_, kVault, kEast, "DescribeOptionGroups", {{"OptionGroupName", "new-og"}})),
      "OptionGroupNotFoundFault");
  EXPECT_EQ(ErrorCode(Rds(*sim_, kVault, kEast, "DeleteOptionGroup",
                          {{"OptionGroupName", "default:postgres-16"}})),
            "InvalidOptionGroupStateFault");
}

TEST_F(OptionGroupsTest, OptionGroupsSurviveStateDump) {
  ASSERT_EQ(CopyTo(kVault, kWest, ProdSnapshotArn("o1"), "v1", "dr-pg16").status, 200);
  auto other = Simulator::Empty();
  std::string state = sim_->DumpStateJson();
  ASSERT_TRUE(other->LoadStateJson(state).has_value());
  EXPECT_EQ(other->DumpStateJson(), state);
  auto r = Rds(*other, kVault, kWest, "DescribeDBSnapshots", {{"DBSnapshotIdentifier", "v1"}});
  EXPECT_EQ(XText(r, "//DBSnapshot/OptionGroupName"), "dr-pg16");
  EXPECT_EQ(ErrorCode(Rds(*other, kVault, kWest, "CopyDBSnapshot",
                          {{"SourceDBSnapshotIdentifier", ProdSnapshotArn("o1")},
                           {"TargetDBSnapshotIdentifier", "v2"},
                           {"OptionGroupName", "dr-pg15"}})),
            "InvalidParameterCombination");
}

}  // namespace
}  // namespace drsnap::sim
