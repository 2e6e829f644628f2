// Which databases each policy protects (engine/protection.h), and that the
// planner, the status report and the drills all follow it.
#include "engine/protection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "engine/planner.h"
#include "engine/status.h"
#include "engine/tests/planner_util.h"
#include "engine/verify.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using ::testing::HasSubstr;

const TimePoint kNow = T("2026-11-25T12:00:00Z");

// Two policies on one source scope: "gold" (listed first) selects orders-a
// and the cluster ledger; "silver" selects every database.
// The loader refuses such overlapping selectors (config/selector_overlap.h):
// silver's are set in code, to test the claim rule that backs it up.
config::Config TwoPolicies() {
  config::Config c = MustConfig(R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  gold:
    databases: {names: ["orders-a", "ledger"], kinds: [instance, cluster]}
    source: {account: prod, region: us-east-1, from: automated,
             share_key: "arn:aws:kms:us-east-1:111111111111:key/share"}
    rpo: 24h
    targets:
      - account: vault
        hop_kms_key: arn:aws:kms:us-east-1:222222222222:key/hop
        regions: {eu-west-1: {kms_key: arn:aws:kms:eu-west-1:222222222222:key/dr}}
  silver:
    databases: {names: ["set-below"], kinds: [instance, cluster]}
    source: {account: prod, region: us-east-1, from: automated,
             share_key: "arn:aws:kms:us-east-1:111111111111:key/share"}
    rpo: 48h
    targets:
      - account: vault
        hop_kms_key: arn:aws:kms:us-east-1:222222222222:key/hop
        regions: {eu-west-1: {kms_key: arn:aws:kms:eu-west-1:222222222222:key/dr}}
)");
  c.policies[1].databases.names = {"*"};
  return c;
}

using Claim = std::tuple<std::string, DbKind, std::string>;  // policy, kind, id

std::set<Claim> Claims(const Protection& p) {
  std::set<Claim> out;
  for (const auto& d : p.databases) out.emplace(d.policy->name, d.kind, d.id);
  return out;
}

TEST(ProtectionTest, ClusterMembersAreProtectedThroughTheirCluster) {
  Database member;
  member.kind = DbKind::kInstance;
  for (const char* engine : {"aurora-postgresql", "aurora-mysql", "aurora", "docdb", "neptune"}) {
    member.engine = engine;
    EXPECT_TRUE(IsClusterMemberInstance(member)) << engine;
  }
  for (const char* engine : {"postgres", "mysql", "oracle-ee", "sqlserver-se"}) {
    member.engine = engine;
    EXPECT_FALSE(IsClusterMemberInstance(member)) << engine;
  }
  Database cluster;
  cluster.kind = DbKind::kCluster;
  cluster.engine = "aurora-postgresql";
  EXPECT_FALSE(IsClusterMemberInstance(cluster));
}

TEST(ProtectionTest, LiveMatchesDeletedTaggedOnesAndTheFirstPolicyClaims) {
  World w;
  w.Db("orders-a");
  w.Db("orders-b");
  w.Db("ledger", DbKind::kCluster).engine = "aurora-postgresql";
  w.Db("ledger-1").engine = "aurora-postgresql";  // a member: through its cluster
  // orders-gone no longer exists; its vault copy is tagged for "silver".
  w.Vault("orders-gone", kNow - std::chrono::hours(30), SnapshotStatus::kAvailable, kVault,
          kDrRegion, 0, DbKind::kInstance, "silver");
  LineageIndex index(w.inv);
  const config::Config cfg = TwoPolicies();
  Protection p = ProtectedDatabases(index, cfg);
  EXPECT_EQ(Claims(p), (std::set<Claim>{{"gold", DbKind::kInstance, "orders-a"},
                                        {"gold", DbKind::kCluster, "ledger"},
                                        {"silver", DbKind::kInstance, "orders-b"},
                                        {"silver", DbKind::kInstance, "orders-gone"}}));
  for (const auto& d : p.databases) EXPECT_EQ(d.live == nullptr, d.id == "orders-gone") << d.id;
  // Grouped by policy in file order.
  ASSERT_EQ(p.databases.size(), 4u);
  EXPECT_EQ(p.databases[0].policy->name, "gold");
  EXPECT_EQ(p.databases[1].policy->name, "gold");
  // "silver" selects orders-a and ledger too, and is told it leaves them alone.
  ASSERT_EQ(p.findings.size(), 2u);
  for (const auto& f : p.findings) {
    EXPECT_EQ(f.policy, "silver");
    EXPECT_EQ(f.severity, Finding::Severity::kWarning);
    EXPECT_THAT(f.message, HasSubstr("already protected by policy 'gold'"));
  }
}

TEST(ProtectionTest, VaultSideSeesSharedCapturesWithoutTags) {
  // No source scope (the vault side): the databases are those whose
  // captures prod shared with the vault account, as seen from there.
  World w;
  Snapshot& shared = w.Capture("orders-a", kNow - std::chrono::hours(2));
  shared.seen_from = Scope{kVault, kSrcRegion};
  shared.type = SnapshotType::kShared;
  shared.tags = {};
  Snapshot copy = shared;
  w.At(kVault, kSrcRegion).snapshots.push_back(copy);
  std::erase_if(w.inv.scopes,
                [](const ScopeInventory& si) { return si.scope.account_id == kProd; });
  LineageIndex index(w.inv);
  const config::Config cfg = TwoPolicies();
  Protection p = ProtectedDatabases(index, cfg);
  EXPECT_EQ(Claims(p), (std::set<Claim>{{"gold", DbKind::kInstance, "orders-a"}}));
  ASSERT_EQ(p.databases.size(), 1u);
  EXPECT_EQ(p.databases[0].live, nullptr);
}

TEST(ProtectionTest, PlanStatusAndDrillsProtectTheSameDatabases) {
  World w;
  for (const char* db : {"orders-a", "orders-b", "orders-c"}) {
    w.Db(db);
    w.Automated(db, kNow - std::chrono::hours(3));
  }
  w.Db("ledger", DbKind::kCluster).engine = "aurora-postgresql";
  w.Vault("orders-gone", kNow - std::chrono::hours(30), SnapshotStatus::kAvailable, kVault,
          kDrRegion, 0, DbKind::kInstance, "silver");
  // A copy of orders-a tagged for "silver", which does not protect orders-a.
  w.Vault("orders-a", kNow - std::chrono::hours(40), SnapshotStatus::kAvailable, kVault, kDrRegion,
          0, DbKind::kInstance, "silver");
  config::Config cfg = TwoPolicies();
  LineageIndex index(w.inv);
  const std::set<Claim> want = Claims(ProtectedDatabases(index, cfg));

  std::set<Claim> planned;
  for (const auto& a : MakePlan(w.inv, cfg, kNow).actions)
    planned.emplace(a.policy, a.db_kind, a.db_id);
  for (const auto& c : planned) EXPECT_TRUE(want.contains(c)) << std::get<2>(c);
  EXPECT_TRUE(planned.contains({"gold", DbKind::kInstance, "orders-a"}));

  std::set<Claim> reported;
  for (const auto& row : ComputeStatus(w.inv, cfg, kNow).rows)
    reported.emplace(row.policy, row.kind, row.db_id);
  EXPECT_EQ(reported, want);

  // The drills see only the target; "silver" has a copy of orders-a there but
  // does not protect it, so it is not drilled under "silver".
  config::Config with_verify = cfg;
  for (auto& p : with_verify.policies) p.targets[0].regions[0].verify = config::VerifySettings{};
  verify::DrillOptions options;
  options.now = kNow;
  std::set<Claim> drilled;
  for (const auto& st : verify::PlanDrills(w.inv, with_verify, options).drills)
    drilled.emplace(st.policy, st.kind, st.db_id);
  EXPECT_FALSE(drilled.contains({"silver", DbKind::kInstance, "orders-a"}));
  EXPECT_TRUE(drilled.contains({"silver", DbKind::kInstance, "orders-gone"}));
}

TEST(ProtectionTest, LiteralIdsForAToken) {
  config::Config cfg = MustConfig(R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  p:
    databases: {names: ["Orders-DB", "analytics-*", "db?"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets: [{account: vault, regions: {us-east-1: {kms_key: "arn:aws:kms:us-east-1:222222222222:key/dr"}}}]
)");
  EXPECT_EQ(LiteralDbIdsForToken("orders-db", cfg), std::vector<std::string>{"orders-db"});
  EXPECT_TRUE(LiteralDbIdsForToken("analytics-x", cfg).empty());
  EXPECT_TRUE(LiteralDbIdsForToken("db1", cfg).empty());
}

}  // namespace
}  // namespace drsnap::engine
