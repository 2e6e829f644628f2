// Regions in a policy are checked against the table of known regions
// (config/regions.h); `allow_unknown_regions: true` lets a region newer than
// the build through, still checked for its shape. The messages themselves
// are golden files in testdata/config/bad/ (unknown_*.yaml).
#include "config/regions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "config/policy.h"
#include "core/arn.h"

namespace drsnap::config {
namespace {

using ::testing::HasSubstr;

std::string Policy(std::string_view top, std::string_view source_region,
                   std::string_view target_region) {
  return std::string(top) + R"(
accounts: {a: {id: "111111111111"}, b: {id: "222222222222"}}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: a, region: )" +
         std::string(source_region) + R"(, from: snapshot}
    rpo: 4h
    targets: [{account: b, regions: {)" +
         std::string(target_region) + R"(: {kms_key: alias/dr}}}]
)";
}

TEST(RegionsTest, TableHasTheThreePartitionsAndNoDuplicates) {
  std::set<std::string_view> partitions, regions;
  for (const auto& p : KnownPartitions()) {
    partitions.insert(p.partition);
    for (std::string_view r : p.regions) {
      EXPECT_TRUE(regions.insert(r).second) << "listed twice: " << r;
      // Every region is in the partition its name says (core/arn.h).
      EXPECT_EQ(PartitionOfRegion(r), p.partition) << r;
    }
  }
  EXPECT_EQ(partitions, (std::set<std::string_view>{"aws", "aws-cn", "aws-us-gov"}));
  for (const char* r : {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "il-central-1"})
    EXPECT_TRUE(IsKnownRegion(r)) << r;
  for (const char* r : {"us-east-3", "eu-wset-2", "US-EAST-1", "", "us-iso-east-1"})
    EXPECT_FALSE(IsKnownRegion(r)) << r;
}

TEST(RegionsTest, KnownRegionsLoadInEveryPartition) {
  for (auto [src, dst] :
       {std::pair{"us-east-1", "us-west-2"}, std::pair{"cn-north-1", "cn-northwest-1"},
        std::pair{"us-gov-west-1", "us-gov-east-1"}}) {
    auto c = ParseConfig(Policy("", src, dst), "t.yaml");
    EXPECT_TRUE(c) << src << " -> " << dst << ": " << c.error().message;
  }
}

TEST(RegionsTest, UnknownRegionIsAnErrorWithItsPlace) {
  auto c = ParseConfig(Policy("", "us-east-1", "ap-newland-1"), "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ConfigInvalid");
  EXPECT_THAT(c.error().message, HasSubstr("t.yaml:8:38: "));
  EXPECT_THAT(c.error().message, HasSubstr("'ap-newland-1'"));
  EXPECT_THAT(c.error().message, HasSubstr("allow_unknown_regions: true"));
}

TEST(RegionsTest, AllowUnknownRegionsLetsANewRegionThrough) {
  auto c =
      ParseConfig(Policy("allow_unknown_regions: true", "ap-newland-1", "ap-newland-2"), "t.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->allow_unknown_regions);
  EXPECT_EQ(c->policies[0].source_region, "ap-newland-1");
}

TEST(RegionsTest, AllowUnknownRegionsStillChecksTheShape) {
  auto c = ParseConfig(Policy("allow_unknown_regions: true", "us-east", "eu-west-1"), "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("is not an AWS region name"));
}

TEST(RegionsTest, AllowUnknownRegionsFalseIsTheDefault) {
  auto c =
      ParseConfig(Policy("allow_unknown_regions: false", "us-east-1", "ap-newland-1"), "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("'ap-newland-1'"));
}

}  // namespace
}  // namespace drsnap::config
