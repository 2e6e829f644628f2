#include "core/arn.h"

#include <gtest/gtest.h>

namespace drsnap {
namespace {

TEST(ArnTest, ParsesEveryFieldAndKeepsColonsInTheResource) {
  auto arn = ParseArn("arn:aws:rds:us-east-1:111111111111:snapshot:rds:db1-2026-11-23-04-10");
  ASSERT_TRUE(arn);
  EXPECT_EQ(arn->partition, "aws");
  EXPECT_EQ(arn->service, "rds");
  EXPECT_EQ(arn->region, "us-east-1");
  EXPECT_EQ(arn->account, "111111111111");
  EXPECT_EQ(arn->resource, "snapshot:rds:db1-2026-11-23-04-10");
  EXPECT_EQ(arn->ToString(),
            "arn:aws:rds:us-east-1:111111111111:snapshot:rds:db1-2026-11-23-04-10");
}

TEST(ArnTest, GlobalServicesHaveNoRegion) {
  auto arn = ParseArn("arn:aws-us-gov:iam::222222222222:role/drsnap-vault");
  ASSERT_TRUE(arn);
  EXPECT_EQ(arn->partition, "aws-us-gov");
  EXPECT_EQ(arn->region, "");
  EXPECT_EQ(arn->account, "222222222222");
  EXPECT_EQ(arn->resource, "role/drsnap-vault");
}

TEST(ArnTest, RefusesWhatIsNoArn) {
  for (const char* text : {"", "arn", "arn:", "drsnap-db1-202611230410", "arn:aws:rds:us-east-1",
                           "arn:aws:rds:us-east-1:111111111111", "arn::rds:r:a:x", "arn:aws::r:a:x",
                           "ARN:aws:rds:us-east-1:111111111111:snapshot:x"})
    EXPECT_FALSE(ParseArn(text)) << text;
}

TEST(ArnTest, PartitionFollowsTheRegion) {
  EXPECT_EQ(PartitionOfRegion("us-east-1"), "aws");
  EXPECT_EQ(PartitionOfRegion("eu-west-1"), "aws");
  EXPECT_EQ(PartitionOfRegion("cn-north-1"), "aws-cn");
  EXPECT_EQ(PartitionOfRegion("cn-northwest-1"), "aws-cn");
  EXPECT_EQ(PartitionOfRegion("us-gov-west-1"), "aws-us-gov");
  EXPECT_EQ(PartitionOfRegion("us-iso-east-1"), "aws-iso");
  EXPECT_EQ(PartitionOfRegion("us-isob-east-1"), "aws-iso-b");
}

TEST(ArnTest, MakeArnUsesTheRegionsPartition) {
  EXPECT_EQ(MakeArn("rds", "cn-north-1", "111111111111", "snapshot:drsnap-db1-202611230410"),
            "arn:aws-cn:rds:cn-north-1:111111111111:snapshot:drsnap-db1-202611230410");
  EXPECT_EQ(MakeArn("rds", "us-gov-east-1", "111111111111", "cluster:ledger"),
            "arn:aws-us-gov:rds:us-gov-east-1:111111111111:cluster:ledger");
  EXPECT_EQ(MakeArn("kms", "eu-west-1", "222222222222", "key/k"),
            "arn:aws:kms:eu-west-1:222222222222:key/k");
}

TEST(ArnTest, DefaultRdsKeyByItsAliasOnly) {
  EXPECT_TRUE(IsDefaultRdsKeyAlias("alias/aws/rds"));
  EXPECT_TRUE(IsDefaultRdsKeyAlias("arn:aws:kms:us-east-1:111111111111:alias/aws/rds"));
  EXPECT_TRUE(IsDefaultRdsKeyAlias("arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/rds"));
  EXPECT_FALSE(IsDefaultRdsKeyAlias("alias/aws/rds2"));
  EXPECT_FALSE(IsDefaultRdsKeyAlias("alias/my/aws/rds"));
  EXPECT_FALSE(IsDefaultRdsKeyAlias("arn:aws:kms:us-east-1:111111111111:alias/app"));
  EXPECT_FALSE(IsDefaultRdsKeyAlias("arn:aws:kms:us-east-1:111111111111:key/1234"));
  EXPECT_FALSE(IsDefaultRdsKeyAlias(""));
}

}  // namespace
}  // namespace drsnap
