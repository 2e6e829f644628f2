// Overlapping policies are refused at load (config/selector_overlap.h): a
// catch-all beside a stricter policy can no longer take its databases.
#include "config/selector_overlap.h"

#include <gtest/gtest.h>

namespace drsnap::config {
namespace {

TEST(GlobTest, Intersect) {
  struct Case {
    const char *a, *b;
    bool meet;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"*", "orders", true},
           {"orders*", "*-prod", true},
           {"orders*", "billing*", false},
           {"ORDERS", "orders", true},
           {"a?c", "abc", true},
           {"a?c", "ab", false},
           {"*x", "*y", false},
           {"*x*", "*y*", true},
           {"db-??", "db-1", false},
           {"", "*", true},
           {"", "a", false},
       }) {
    EXPECT_EQ(GlobsIntersect(c.a, c.b), c.meet) << c.a << " / " << c.b;
    EXPECT_EQ(GlobsIntersect(c.b, c.a), c.meet) << c.b << " / " << c.a;
  }
}

TEST(GlobTest, Covers) {
  struct Case {
    const char *outer, *inner;
    bool covers;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"*", "orders*", true},
           {"orders*", "orders*", true},
           {"orders*", "orders-prod-*", true},
           {"orders*", "*", false},
           {"orders*", "order*", false},
           {"a*", "a?", true},
           {"a?", "a*", false},
           {"*prod", "orders-prod", true},
           {"ORDERS", "orders", true},
       })
    EXPECT_EQ(GlobCovers(c.outer, c.inner), c.covers) << c.outer << " covers " << c.inner;
}

std::string File(const std::string& everything_selector, const std::string& gold_selector,
                 const std::string& gold_region = "us-east-1") {
  return R"(version: 1
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  aaa-everything:
    databases: )" + everything_selector + R"(
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 2d
    targets:
      - account: vault
        regions:
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/dr"}
  gold:
    databases: )" + gold_selector + R"(
    source: {account: prod, region: )" + gold_region + R"(, from: automated}
    rpo: 24h
    targets:
      - account: vault
        regions:
          eu-central-1: {kms_key: "arn:aws:kms:eu-central-1:222222222222:key/dr"}
)";
}

TEST(PolicyOverlapTest, ACatchAllBesideAStricterPolicyIsRefusedWithItsLocation) {
  auto c = ParseConfig(File("{names: [\"*\"]}", "{names: [\"orders*\"]}"), "drsnap.yaml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, "ConfigInvalid");
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("drsnap.yaml:14:3: policies 'aaa-everything' and 'gold' can select the same "
                   "database of 111111111111/us-east-1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("'*' and 'orders*'"), std::string::npos) << m;
}

TEST(PolicyOverlapTest, DisjointSelectorsLoad) {
  // The broader one excludes what the stricter one takes.
  EXPECT_TRUE(ParseConfig(File("{names: [\"*\"], exclude_names: [\"orders*\"]}",
                               "{names: [\"orders*\"]}"),
                          "f")
                  .has_value());
  // Tags with different values.
  EXPECT_TRUE(ParseConfig(File("{tags: {tier: bronze}}", "{tags: {tier: gold}}"), "f").has_value());
  // Kinds.
  EXPECT_TRUE(
      ParseConfig(File("{kinds: [instance]}", "{kinds: [cluster]}"), "f").has_value());
  // Engines.
  EXPECT_TRUE(ParseConfig(File("{engines: [\"postgres\"]}", "{engines: [\"aurora-*\"]}"), "f")
                  .has_value());
  // Another source region: different databases.
  EXPECT_TRUE(ParseConfig(File("{names: [\"*\"]}", "{names: [\"*\"]}", "eu-west-1"), "f")
                  .has_value());
  // Not disjoint: a wildcard tag value meets any value.
  EXPECT_FALSE(ParseConfig(File("{tags: {tier: \"*\"}}", "{tags: {tier: gold}}"), "f").has_value());
}

}  // namespace
}  // namespace drsnap::config
