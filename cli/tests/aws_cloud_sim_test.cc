// AwsCloud against drsnap-sim: every page is read, tags come from TagList
// (no ListTagsForResource per snapshot), shared snapshots are seen from the
// DR account, and AWS's answers come through with their codes.
#include <gtest/gtest.h>

#include "cloud/aws_cloud.h"
#include "cloud/decorators.h"
#include "engine/observe.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

using engine::DbKind;
using engine::Scope;

const Scope kProd{"111111111111", "us-east-1"};
const Scope kVaultSrc{"222222222222", "us-east-1"};

std::string WorldWithSnapshots(int n) {
  std::string snaps;
  for (int i = 0; i < n; ++i)
    snaps += "          - {id: seed-" + std::to_string(i) +
             ", created: \"2026-11-22T12:00:00Z\", tags: {n: \"" + std::to_string(i) + "\"}}\n";
  // No keys: nothing here is encrypted.
  SimWorld w = ProdAndVault(R"(      - id: plain
        region: us-east-1
        engine: postgres
        size_gb: 5
        backup_retention_days: 1
        tags: {team: payments}
        snapshots:
)" + snaps);
  w.Account("prod").keys.clear();
  w.Account("vault").keys.clear();
  return w.Yaml();
}

const std::string kPolicy = "version: 1\n" + PolicyAccounts({"prod", "vault"}) + R"(policies:
  main:
    databases: {names: ["*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets:
      - account: vault
        regions:
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/x"}
    retention: {daily: 7}
)";

TEST(AwsCloudSimTest, ListsEveryPageWithTagsAndNoPerSnapshotCalls) {
  auto p = StartSimPipeline(WorldWithSnapshots(150), kPolicy);
  ASSERT_NE(p, nullptr);
  auto counting = std::make_shared<cloud::CountingTransport>(aws::NewCurlTransport());
  cloud::AwsCloudFactoryOptions o;
  o.env = p->env;
  o.transport = counting;
  auto clouds = cloud::MakeAwsClouds(p->config, o);
  ASSERT_TRUE(clouds.has_value()) << clouds.error().ToString();

  auto dbs = (*clouds)->ListDatabases(kProd);
  ASSERT_TRUE(dbs.has_value()) << dbs.error().ToString();
  ASSERT_EQ(dbs->size(), 1u);
  EXPECT_EQ((*dbs)[0].tags.at("team"), "payments");
  counting->Reset();
  auto snaps = (*clouds)->ListSnapshots(kProd);
  ASSERT_TRUE(snaps.has_value()) << snaps.error().ToString();
  int seeded = 0;
  for (const auto& s : *snaps)
    if (s.id.starts_with("seed-")) {
      ++seeded;
      EXPECT_EQ(s.tags.at("n"), s.id.substr(5));
      EXPECT_EQ(s.type, engine::SnapshotType::kManual);
      EXPECT_EQ(s.scope, kProd);
    }
  EXPECT_EQ(seeded, 150);
  auto counts = counting->Counts();
  EXPECT_EQ(counts["DescribeDBSnapshots"], 2);  // 100 + 50
  EXPECT_EQ(counts["DescribeDBClusterSnapshots"], 1);
  EXPECT_EQ(counts.count("ListTagsForResource"), 0u);
  EXPECT_EQ(counting->Total(), 3);
}

TEST(AwsCloudSimTest, ShareDescribeDeleteAndAwsErrorCodes) {
  auto p = StartSimPipeline(WorldWithSnapshots(2), kPolicy);
  ASSERT_NE(p, nullptr);
  auto& cloud = *p->cloud;
  ASSERT_TRUE(
      cloud.ShareSnapshot(kProd, DbKind::kInstance, "seed-0", {"222222222222"}).has_value());
  auto shared = cloud.ListSharedAccounts(kProd, DbKind::kInstance, "seed-0");
  ASSERT_TRUE(shared.has_value()) << shared.error().ToString();
  EXPECT_EQ(*shared, std::vector<std::string>{"222222222222"});
  // The DR account sees it as shared, without the owner's tags.
  auto seen = cloud.ListSnapshots(kVaultSrc);
  ASSERT_TRUE(seen.has_value()) << seen.error().ToString();
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].type, engine::SnapshotType::kShared);
  EXPECT_EQ((*seen)[0].scope, kProd);
  EXPECT_TRUE((*seen)[0].tags.empty());

  auto created = cloud.CreateSnapshot(kProd, DbKind::kInstance, "plain", "seed-0", {});
  ASSERT_FALSE(created.has_value());
  EXPECT_TRUE(engine::IsAlreadyExists(created.error())) << created.error().ToString();

  ASSERT_TRUE(cloud.DeleteSnapshot(kProd, DbKind::kInstance, "seed-1").has_value());
  auto gone = cloud.DescribeSnapshot(kProd, DbKind::kInstance, "seed-1");
  ASSERT_FALSE(gone.has_value());
  EXPECT_TRUE(engine::IsNotFound(gone.error())) << gone.error().ToString();
  auto del = cloud.DeleteSnapshot(kProd, DbKind::kInstance, "seed-1");
  ASSERT_FALSE(del.has_value());
  EXPECT_TRUE(engine::IsNotFound(del.error())) << del.error().ToString();

  auto key = cloud.DefaultRdsKeyArn(kProd);
  ASSERT_TRUE(key.has_value()) << key.error().ToString();
}

// A policy file whose 'vault' account is reached with `vault_access`.
std::string PolicyWithVaultAccess(const std::string& vault_access) {
  std::string policy = kPolicy;
  const std::string from = "vault: {id: \"222222222222\", profile: vault,";
  policy.replace(policy.find(from), from.size(),
                 "vault: {id: \"222222222222\", " + vault_access + ",");
  return policy;
}

// Credentials of the wrong account would list that account's snapshots as if
// they were the configured one's: every call is refused, before any RDS call.
TEST(AwsCloudSimTest, CredentialsOfAnotherAccountAreRefusedBeforeAnyCall) {
  auto p = StartSimPipeline(WorldWithSnapshots(1), PolicyWithVaultAccess("profile: prod"));
  ASSERT_NE(p, nullptr);
  auto counting = std::make_shared<cloud::CountingTransport>(aws::NewCurlTransport());
  cloud::AwsCloudFactoryOptions o;
  o.env = p->env;
  o.transport = counting;
  auto clouds = cloud::MakeAwsClouds(p->config, o);
  ASSERT_TRUE(clouds.has_value()) << clouds.error().ToString();

  auto seen = (*clouds)->ListSnapshots(kVaultSrc);
  ASSERT_FALSE(seen.has_value());
  EXPECT_EQ(seen.error().code, "WrongAccount") << seen.error().ToString();
  EXPECT_FALSE(seen.error().retryable());
  EXPECT_NE(seen.error().ToString().find("belong to account 111111111111"), std::string::npos)
      << seen.error().ToString();
  auto again = (*clouds)->DeleteSnapshot(kVaultSrc, DbKind::kInstance, "seed-0");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "WrongAccount");
  auto counts = counting->Counts();
  EXPECT_EQ(counts["GetCallerIdentity"], 1);  // asked once, remembered
  EXPECT_EQ(counting->Total(), 1);            // no RDS call at all

  // The correctly configured account works through the same factory.
  auto prod = (*clouds)->ListSnapshots(kProd);
  ASSERT_TRUE(prod.has_value()) << prod.error().ToString();

  // Opting out (e.g. an endpoint without STS) skips the check.
  o.verify_accounts = false;
  counting->Reset();
  auto unchecked = cloud::MakeAwsClouds(p->config, o);
  ASSERT_TRUE(unchecked.has_value());
  ASSERT_TRUE((*unchecked)->ListSnapshots(kVaultSrc).has_value());
  EXPECT_EQ(counting->Counts().count("GetCallerIdentity"), 0u);
}

// A Lambda function's own account is reached with the function's own
// credentials; its profile / role_arn in the file are for the other side.
TEST(AwsCloudSimTest, OwnAccountUsesAmbientCredentials) {
  // The file says to reach the vault with another account's profile: only
  // right for the other side (it would be a role there, in practice).
  auto p = StartSimPipeline(WorldWithSnapshots(1), PolicyWithVaultAccess("profile: prod"));
  ASSERT_NE(p, nullptr);
  cloud::AwsCloudFactoryOptions o;
  o.env = p->env;
  auto as_other_side = cloud::MakeAwsClouds(p->config, o);
  ASSERT_TRUE(as_other_side.has_value()) << as_other_side.error().ToString();
  auto refused = (*as_other_side)->ListSnapshots(kVaultSrc);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, "WrongAccount");

  for (const auto& a : SimAccounts()) {
    if (a.id != kVaultSrc.account_id) continue;
    p->env->Set("AWS_ACCESS_KEY_ID", a.access_key_id);
    p->env->Set("AWS_SECRET_ACCESS_KEY", a.secret);
  }
  o.own_account_id = kVaultSrc.account_id;
  auto clouds = cloud::MakeAwsClouds(p->config, o);
  ASSERT_TRUE(clouds.has_value()) << clouds.error().ToString();
  auto seen = (*clouds)->ListSnapshots(kVaultSrc);
  ASSERT_TRUE(seen.has_value()) << seen.error().ToString();
  // The other account still uses its own profile.
  ASSERT_TRUE((*clouds)->ListSnapshots(kProd).has_value());
}

}  // namespace
}  // namespace drsnap::testing
