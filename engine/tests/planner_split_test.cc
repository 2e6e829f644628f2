// The two-account split (issue 6): the vault side plans from what the DR
// account sees (shared snapshots, its own copies) without the source scope;
// the source side plans capture, share and source expiry; S4 holds per
// delete. Table tests on hand-built inventories.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/delete_guard.h"
#include "engine/lineage_index.h"
#include "engine/naming.h"
#include "engine/planner.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using std::chrono::days;
using std::chrono::hours;
using ::testing::HasSubstr;

const TimePoint kNow = T("2026-11-25T12:00:00Z");
const TimePoint kDay = T("2026-11-25T04:10:00Z");
const Scope kSource{kProd, kSrcRegion};
const Scope kVaultEu{kVault, kDrRegion};
const Scope kVaultSrc{kVault, kSrcRegion};

// How `account` sees `capture` once it is shared with it: a shared snapshot
// in its observation of the capture's region, owned by the source, no tags.
Snapshot& SharedView(World& w, const Snapshot& capture, const std::string& account = kVault) {
  Snapshot s = capture;
  s.type = SnapshotType::kShared;
  s.tags.clear();
  s.shared_with.reset();
  s.seen_from = Scope{account, capture.scope.region};
  ScopeInventory& si = w.At(account, capture.scope.region);
  si.snapshots.push_back(std::move(s));
  return si.snapshots.back();
}

// A capture shared with the vault account, as both accounts see it.
Snapshot& SharedCapture(World& w, const std::string& db, TimePoint point,
                        SnapshotStatus status = SnapshotStatus::kAvailable,
                        DbKind kind = DbKind::kInstance) {
  Snapshot& c = w.Capture(db, point, status, {kVault}, 0, kind);
  if (status == SnapshotStatus::kAvailable) SharedView(w, c);
  return c;
}

// The inventory the vault side observes: everything but the source account.
Inventory VaultSide(const Inventory& all) {
  Inventory inv = all;
  std::erase_if(inv.scopes, [](const ScopeInventory& si) { return si.scope.account_id == kProd; });
  return inv;
}

std::string Actions(const Plan& p) {
  Plan only = p;
  only.findings.clear();
  return RenderPlan(only);
}

std::vector<const Action*> Of(const Plan& p, ActionKind kind) {
  std::vector<const Action*> out;
  for (const auto& a : p.actions)
    if (a.kind == kind) out.push_back(&a);
  return out;
}

bool PlansDeleteOf(const Plan& p, const std::string& id) {
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::kDeleteSnapshot && a.snapshot_id == id) return true;
  return false;
}

int Count(const Plan& p, Finding::Severity sev) {
  return static_cast<int>(
      std::ranges::count_if(p.findings, [&](const Finding& f) { return f.severity == sev; }));
}

Action DeleteOf(const Snapshot& s, const std::string& db) {
  Action a;
  a.kind = ActionKind::kDeleteSnapshot;
  a.stage = Stage::kExpire;
  a.db_kind = s.kind;
  a.scope = s.scope;
  a.policy = "orders";
  a.db_id = db;
  a.snapshot_id = s.id;
  return a;
}

// --- scopes per side ------------------------------------------------------------

TEST(SplitScopesTest, EachSideObservesWhatItNeeds) {
  config::Config cfg = StandardConfig();
  std::vector<Scope> all{kSource, kVaultEu, kVaultSrc};
  std::sort(all.begin(), all.end());
  EXPECT_EQ(ScopesToObserve(cfg), all);
  EXPECT_EQ(ScopesToObserve(cfg, Side::kAll), all);
  // The source side lists the DR scopes (read-only) to know what is vaulted.
  EXPECT_EQ(ScopesToObserve(cfg, Side::kSource), all);
  // The vault side: its own scopes only, including its view of the source
  // region where the shared captures are seen.
  std::vector<Scope> vault{kVaultEu, kVaultSrc};
  std::sort(vault.begin(), vault.end());
  EXPECT_EQ(ScopesToObserve(cfg, Side::kVault), vault);
}

TEST(SplitScopesTest, VaultSideSeesTheSourceRegionEvenWithoutAHop) {
  // Target in eu-west-1 only, an instance, no hop needed (one-step copy).
  // (D, source region) is still observed: that is where D sees the shares.
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 7}");
  auto vault = ScopesToObserve(cfg, Side::kVault);
  EXPECT_NE(std::find(vault.begin(), vault.end(), kVaultSrc), vault.end());
  // A same-account target makes the source account a vault-side account too.
  config::Config same = StandardConfig("automated", "24h", "{daily: 7}", R"(      - account: prod
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:111111111111:key/dr}
)");
  auto scopes = ScopesToObserve(same, Side::kVault);
  EXPECT_NE(std::find(scopes.begin(), scopes.end(), (Scope{kProd, kDrRegion2})), scopes.end());
  EXPECT_EQ(ParseSide("Vault").value(), Side::kVault);
  EXPECT_EQ(ParseSide("").value(), Side::kAll);
  EXPECT_FALSE(ParseSide("dr").has_value());
  EXPECT_STREQ(SideName(Side::kSource), "source");
}

// --- the vault side ---------------------------------------------------------------

TEST(SplitVaultSideTest, VaultsWhatTheTargetAccountSeesShared) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  Snapshot& c = SharedCapture(w, "orders-db", kDay);
  Plan p = MakePlan(VaultSide(w.inv), StandardConfig(), kNow);
  ASSERT_EQ(p.actions.size(), 1u) << RenderPlan(p);
  const Action& a = p.actions[0];
  EXPECT_EQ(a.kind, ActionKind::kCopySnapshot);
  EXPECT_EQ(a.stage, Stage::kVault);
  EXPECT_EQ(a.scope, kVaultEu);
  EXPECT_EQ(a.snapshot_id, naming::VaultName(kProd, "orders-db", kDay));
  EXPECT_EQ(a.source_arn, c.arn);
  EXPECT_EQ(a.source_region, kSrcRegion);
  EXPECT_EQ(a.kms_key_id, "arn:aws:kms:eu-west-1:222222222222:key/dr");
  EXPECT_EQ(a.option_group, "");
  // Lineage tags on D's own copy, as on the all-in-one side.
  EXPECT_EQ(a.tags.at(naming::kTagPolicy), "orders");
  EXPECT_EQ(a.tags.at(naming::kTagDb), "orders-db");
  EXPECT_EQ(a.tags.at(naming::kTagStage), "vault");
  EXPECT_EQ(a.tags.at(naming::kTagSourceAccount), kProd);
  EXPECT_EQ(a.tags.at(naming::kTagSourceArn), c.arn);
  // No error noise about the source: one info finding for the policy.
  EXPECT_EQ(Count(p, Finding::Severity::kError), 0) << RenderPlan(p);
  EXPECT_EQ(Count(p, Finding::Severity::kWarning), 0) << RenderPlan(p);
  int source_notes = 0;
  for (const auto& f : p.findings)
    source_notes += f.message.find("not observed (vault side)") != std::string::npos;
  EXPECT_EQ(source_notes, 1) << RenderPlan(p);
}

TEST(SplitVaultSideTest, NothingVisibleNothingPlanned) {
  // Captured but not shared yet: the vault side cannot see it and waits.
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {});
  Plan p = MakePlan(VaultSide(w.inv), StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << RenderPlan(p);
}

TEST(SplitVaultSideTest, UntrustedSharedSnapshotsAreIgnored) {
  World w;
  Snapshot& c = w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  // Owned by another account (a capture-like name is not enough).
  Snapshot foreign = c;
  foreign.scope = Scope{"999999999999", kSrcRegion};
  foreign.arn = "arn:aws:rds:us-east-1:999999999999:snapshot:" + c.id;
  SharedView(w, foreign);
  // Claims the source account but its ARN names another one.
  Snapshot forged = c;
  forged.id = naming::CaptureName("orders-db", kDay - days(1));
  forged.arn = "arn:aws:rds:us-east-1:999999999999:snapshot:" + forged.id;
  SharedView(w, forged);
  // Owned by the source, but its name's database is not the snapshot's.
  Snapshot mismatch = c;
  mismatch.id = naming::CaptureName("orders-db", kDay - days(2));
  mismatch.arn = "arn:aws:rds:us-east-1:111111111111:snapshot:" + mismatch.id;
  mismatch.db_id = "orders-other";
  SharedView(w, mismatch);
  // Not a capture name at all.
  Snapshot manual = c;
  manual.id = "orders-db-manual-export";
  manual.arn = "arn:aws:rds:us-east-1:111111111111:snapshot:" + manual.id;
  SharedView(w, manual);
  Plan p = MakePlan(VaultSide(w.inv), StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << RenderPlan(p);

  // The forged one never enters the index (its ARN names another owner);
  // the mismatched one does, but names no database of its own.
  LineageIndex index(w.inv);
  auto from_source = index.SharedCaptures(kVaultSrc, kProd, "orders-db", DbKind::kInstance);
  ASSERT_EQ(from_source.size(), 1u);
  EXPECT_EQ(from_source[0].snapshot->id, mismatch.id);
  EXPECT_TRUE(index.SharedDatabases(kVaultSrc, kProd).empty());
}

TEST(SplitVaultSideTest, SharedAndOwnedViewsOfOneCaptureStayApart) {
  // With both accounts observed, one capture appears twice: owned in the
  // source scope, shared in (D, source region). Each index keeps its own.
  World w;
  Snapshot& c = SharedCapture(w, "orders-db", kDay);
  LineageIndex index(w.inv);
  auto owned = index.Lineages(kSource, "", "orders-db", DbKind::kInstance);
  ASSERT_EQ(owned.size(), 1u);
  EXPECT_TRUE(owned[0].OursFor("orders-db", "orders"));
  EXPECT_EQ(owned[0].snapshot->seen_from, kSource);
  EXPECT_TRUE(index.Lineages(kVaultSrc, "", "orders-db", DbKind::kInstance).empty());
  auto shared = index.SharedCaptures(kVaultSrc, kProd, "orders-db", DbKind::kInstance);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0].snapshot->arn, c.arn);
  EXPECT_EQ(shared[0].snapshot->seen_from, kVaultSrc);
  EXPECT_FALSE(shared[0].drsnap_created);
  // Only the owned view is a place a delete can be made: the shared one has
  // no listing scope and no lineage group (the guard's hint is refused).
  ASSERT_NE(index.ScopeOf(owned[0]), nullptr);
  EXPECT_EQ(*index.ScopeOf(owned[0]), kSource);
  EXPECT_EQ(index.ScopeOf(shared[0]), nullptr);
  EXPECT_TRUE(index.GroupOf(shared[0], kVaultSrc, DbKind::kInstance).empty());
  EXPECT_TRUE(index.GroupOf(owned[0], kVaultSrc, DbKind::kInstance).empty());
  EXPECT_TRUE(index.SharedCaptures(kSource, kProd, "orders-db", DbKind::kInstance).empty());
  auto dbs = index.SharedDatabases(kVaultSrc, kProd);
  ASSERT_EQ(dbs.size(), 1u);
  EXPECT_EQ(dbs[0].db_id, "orders-db");
  // And the kAll plan vaults it once.
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_EQ(Of(p, ActionKind::kCopySnapshot).size(), 1u) << RenderPlan(p);
}

TEST(SplitVaultSideTest, SelectorWithoutTagsStillFiltersNames) {
  World w;
  SharedCapture(w, "billing-db", kDay);  // not "orders*"
  Plan p = MakePlan(VaultSide(w.inv), StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << RenderPlan(p);
}

// AWS's rule since September 2025: the vault side copies the cluster
// snapshot P shared across account and region in one step.
TEST(SplitVaultSideTest, AuroraIsVaultedInOneStep) {
  World w;
  w.Db("orders-aurora", DbKind::kCluster);
  SharedCapture(w, "orders-aurora", kDay - days(1), SnapshotStatus::kAvailable, DbKind::kCluster);
  Plan p = MakePlan(VaultSide(w.inv), StandardConfig(), kNow);
  ASSERT_EQ(p.actions.size(), 1u) << RenderPlan(p);
  EXPECT_EQ(p.actions[0].scope, kVaultEu);
  EXPECT_EQ(p.actions[0].snapshot_id, naming::VaultName(kProd, "orders-aurora", kDay - days(1)));
  EXPECT_THAT(p.actions[0].source_arn, HasSubstr(":111111111111:cluster-snapshot:"));
  EXPECT_EQ(p.actions[0].source_region, kSrcRegion);
  EXPECT_EQ(p.actions[0].kms_key_id, "arn:aws:kms:eu-west-1:222222222222:key/dr");
}

TEST(SplitVaultSideTest, AuroraHopsThenVaultsThenCleansUp) {
  World w;
  w.Db("orders-aurora", DbKind::kCluster);
  SharedCapture(w, "orders-aurora", kDay - days(1), SnapshotStatus::kAvailable, DbKind::kCluster);
  w.inv.facts.one_step_copy_refused.push_back(kVaultEu);
  Inventory inv = VaultSide(w.inv);
  // Step 1: AWS refused the one-step copy into the target: hop.
  Plan p1 = MakePlan(inv, StandardConfig(), kNow);
  ASSERT_EQ(p1.actions.size(), 1u) << RenderPlan(p1);
  EXPECT_EQ(p1.actions[0].scope, kVaultSrc);
  EXPECT_EQ(p1.actions[0].snapshot_id, naming::HopName(kProd, "orders-aurora", kDay - days(1)));
  EXPECT_EQ(p1.actions[0].kms_key_id, "arn:aws:kms:us-east-1:222222222222:key/hop");
  // Step 2: the hop is available: vault from it.
  w.Hop("orders-aurora", kDay - days(1), SnapshotStatus::kAvailable, kVault, 0, DbKind::kCluster);
  Plan p2 = MakePlan(VaultSide(w.inv), StandardConfig(), kNow);
  ASSERT_EQ(p2.actions.size(), 1u) << RenderPlan(p2);
  EXPECT_EQ(p2.actions[0].scope, kVaultEu);
  EXPECT_THAT(p2.actions[0].source_arn, HasSubstr(":222222222222:cluster-snapshot:"));
  // Step 3: vaulted: the hop goes, from the vault side alone.
  w.Vault("orders-aurora", kDay - days(1), SnapshotStatus::kAvailable, kVault, kDrRegion, 0,
          DbKind::kCluster);
  Plan p3 = MakePlan(VaultSide(w.inv), StandardConfig(), kNow);
  ASSERT_EQ(p3.actions.size(), 1u) << RenderPlan(p3);
  EXPECT_EQ(p3.actions[0].kind, ActionKind::kDeleteSnapshot);
  EXPECT_EQ(p3.actions[0].snapshot_id, naming::HopName(kProd, "orders-aurora", kDay - days(1)));
}

TEST(SplitVaultSideTest, RetentionAndFailedCopiesWorkWithoutTheSource) {
  World w;
  for (int i = 0; i < 4; ++i) w.Vault("orders-db", kDay - days(i));
  Snapshot& failed = w.Vault("orders-db", kDay - days(9), SnapshotStatus::kFailed);
  Snapshot& old_capture = SharedCapture(w, "orders-db", kDay - days(3));
  config::Config cfg = StandardConfig("automated", "24h", "{}");  // newest only
  Inventory inv = VaultSide(w.inv);
  Plan p = MakePlan(inv, cfg, kNow);
  for (int i = 1; i < 4; ++i)
    EXPECT_TRUE(PlansDeleteOf(p, naming::VaultName(kProd, "orders-db", kDay - days(i))))
        << RenderPlan(p);
  EXPECT_FALSE(PlansDeleteOf(p, naming::VaultName(kProd, "orders-db", kDay)));  // S2
  EXPECT_TRUE(PlansDeleteOf(p, failed.id)) << RenderPlan(p);
  // The vault side never deletes a capture: it cannot see its account, and
  // the guard refuses (S4) if asked.
  for (const auto& a : p.actions) EXPECT_NE(a.scope, kSource) << a.Describe();
  DeleteVerdict refusal = CheckDeleteAllowed(inv, cfg, DeleteOf(old_capture, "orders-db"));
  ASSERT_FALSE(refusal.allowed());
  EXPECT_EQ(refusal.rule(), SafetyRule::kIncompleteObservation);
  EXPECT_THAT(refusal.sentence(),
              HasSubstr("111111111111/us-east-1 of policy 'orders' was not observed"));
  // ... and the vault deletes pass the guard the executor re-runs.
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::kDeleteSnapshot) {
      EXPECT_TRUE(CheckDeleteAllowed(inv, cfg, a).allowed()) << a.Describe();
    }
}

TEST(SplitVaultSideTest, IncompleteSourceRegionViewStopsHopExpiryOnly) {
  World w;
  w.Db("orders-aurora", DbKind::kCluster);
  w.Hop("orders-aurora", kDay - days(1), SnapshotStatus::kAvailable, kVault, 0, DbKind::kCluster);
  w.Vault("orders-aurora", kDay - days(1), SnapshotStatus::kAvailable, kVault, kDrRegion, 0,
          DbKind::kCluster);
  w.Vault("orders-aurora", kDay - days(5), SnapshotStatus::kFailed, kVault, kDrRegion, 0,
          DbKind::kCluster);
  Inventory inv = VaultSide(w.inv);
  for (auto& si : inv.scopes)
    if (si.scope == kVaultSrc) si.complete = false;
  Plan p = MakePlan(inv, StandardConfig(), kNow);
  EXPECT_FALSE(PlansDeleteOf(p, naming::HopName(kProd, "orders-aurora", kDay - days(1))))
      << RenderPlan(p);
  EXPECT_TRUE(PlansDeleteOf(p, naming::VaultName(kProd, "orders-aurora", kDay - days(5), 0)))
      << RenderPlan(p);
}

// The vault side's plan is the vault half of the all-in-one plan: same
// copies, hops and DR-side deletes, same names, same order.
TEST(SplitVaultSideTest, EqualsTheVaultHalfOfTheAllInOnePlan) {
  World w;
  w.Db("orders-db");
  w.Db("orders-aurora", DbKind::kCluster);
  w.Automated("orders-db", kDay);
  for (int i = 0; i < 5; ++i) {
    SharedCapture(w, "orders-db", kDay - days(i));
    SharedCapture(w, "orders-aurora", kDay - days(i), SnapshotStatus::kAvailable, DbKind::kCluster);
  }
  for (int i = 2; i < 5; ++i) w.Vault("orders-db", kDay - days(i));
  w.Vault("orders-db", kDay - days(1), SnapshotStatus::kFailed);
  w.Vault("orders-db", kDay - days(8));
  w.Hop("orders-aurora", kDay - days(1), SnapshotStatus::kAvailable, kVault, 0, DbKind::kCluster);
  w.Hop("orders-aurora", kDay - days(2), SnapshotStatus::kAvailable, kVault, 0, DbKind::kCluster);
  w.Vault("orders-aurora", kDay - days(2), SnapshotStatus::kAvailable, kVault, kDrRegion, 0,
          DbKind::kCluster);
  w.Vault("orders-aurora", kDay - days(3), SnapshotStatus::kCopying, kVault, kDrRegion, 0,
          DbKind::kCluster);
  w.Vault("orders-aurora", kDay - days(6), SnapshotStatus::kAvailable, kVault, kDrRegion, 0,
          DbKind::kCluster);
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 3}");
  Plan all = MakePlan(w.inv, cfg, kNow);
  Plan vault_half = all;
  FilterPlanForSide(vault_half, cfg, Side::kVault);
  Plan vault_side = MakePlan(VaultSide(w.inv), cfg, kNow);
  EXPECT_GT(vault_side.actions.size(), 5u) << RenderPlan(vault_side);
  EXPECT_EQ(Actions(vault_side), Actions(vault_half));
  // And the source half deletes captures the vault side never touches.
  Plan source_half = all;
  FilterPlanForSide(source_half, cfg, Side::kSource);
  EXPECT_FALSE(source_half.actions.empty());
  for (const auto& a : source_half.actions) EXPECT_EQ(a.scope, kSource) << a.Describe();
  EXPECT_EQ(source_half.actions.size() + vault_half.actions.size(), all.actions.size());
}

// --- the source side ----------------------------------------------------------------

TEST(SplitSourceSideTest, IncompleteTargetKeepsCapturesButDeletesFailedRaw) {
  World w;
  Database& db = w.Db("orders-db");
  db.encrypted = true;
  db.kms_key_id = kDefaultKey;
  for (int i = 1; i < 4; ++i) {
    SharedCapture(w, "orders-db", kDay - days(i));
    w.Vault("orders-db", kDay - days(i));
  }
  Snapshot& failed_raw = w.Raw("orders-db", kDay - days(5), SnapshotStatus::kFailed);
  Snapshot& spent_raw = w.Raw("orders-db", kDay - days(2));  // its capture is available
  config::Config cfg = StandardConfig("snapshot", "24h", "{daily: 7}", "");
  cfg.policies[0].keep_newest = 1;
  Plan complete = MakePlan(w.inv, cfg, kNow);
  ASSERT_TRUE(PlansDeleteOf(complete, naming::CaptureName("orders-db", kDay - days(3))))
      << RenderPlan(complete);

  w.At(kVault, kDrRegion).complete = false;
  w.At(kVault, kDrRegion).error = "AccessDenied";
  Plan p = MakePlan(w.inv, cfg, kNow);
  FilterPlanForSide(p, cfg, Side::kSource);
  for (const auto& a : p.actions) {
    EXPECT_EQ(a.scope, kSource) << a.Describe();
    if (a.kind != ActionKind::kDeleteSnapshot) continue;
    auto lin = naming::ParseName(a.snapshot_id);
    ASSERT_TRUE(lin.has_value());
    EXPECT_NE(lin->stage, naming::NameStage::kCapture) << "capture deleted: " << a.Describe();
  }
  EXPECT_TRUE(PlansDeleteOf(p, failed_raw.id)) << RenderPlan(p);
  EXPECT_TRUE(PlansDeleteOf(p, spent_raw.id)) << RenderPlan(p);
  // The guard agrees, rule by rule.
  Snapshot capture = w.inv.scopes[0].snapshots[0];
  for (const auto& s : w.inv.scopes[0].snapshots)
    if (s.id == naming::CaptureName("orders-db", kDay - days(3))) capture = s;
  DeleteVerdict refusal = CheckDeleteAllowed(w.inv, cfg, DeleteOf(capture, "orders-db"));
  ASSERT_FALSE(refusal.allowed());
  EXPECT_EQ(refusal.rule(), SafetyRule::kIncompleteObservation);
  EXPECT_THAT(refusal.sentence(), HasSubstr("scope 222222222222/eu-west-1"));
  EXPECT_TRUE(CheckDeleteAllowed(w.inv, cfg, DeleteOf(failed_raw, "orders-db")).allowed());
}

TEST(SplitSourceSideTest, MissingTargetScopeBlocksCaptureExpiry) {
  // The source side's read-only listing of D failed outright (the scope is
  // kept, incomplete) or D was never listed (missing): no capture goes.
  for (bool remove : {false, true}) {
    World w;
    w.Db("orders-db");
    for (int i = 1; i < 4; ++i) {
      SharedCapture(w, "orders-db", kDay - days(i));
      w.Vault("orders-db", kDay - days(i));
    }
    config::Config cfg = StandardConfig("automated", "24h", "{daily: 7}");
    cfg.policies[0].keep_newest = 1;
    ASSERT_EQ(Of(MakePlan(w.inv, cfg, kNow), ActionKind::kDeleteSnapshot).size(), 2u);
    if (remove) {
      std::erase_if(w.inv.scopes, [](const ScopeInventory& si) { return si.scope == kVaultSrc; });
    } else {
      w.At(kVault, kSrcRegion).complete = false;
    }
    Plan p = MakePlan(w.inv, cfg, kNow);
    EXPECT_TRUE(Of(p, ActionKind::kDeleteSnapshot).empty()) << RenderPlan(p);
    EXPECT_EQ(Count(p, Finding::Severity::kError), 1) << RenderPlan(p);
  }
}

TEST(SplitFilterTest, EachSideKeepsItsOwnActionsAndFindings) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  SharedCapture(w, "orders-db", kDay - days(1));
  w.Capture("orders-db", kDay - days(2), SnapshotStatus::kAvailable, {});  // to share
  w.Vault("orders-db", kDay - days(3), SnapshotStatus::kCopying);
  config::Config cfg = StandardConfig();
  Plan all = MakePlan(w.inv, cfg, kNow);
  Plan src = all, vault = all;
  FilterPlanForSide(src, cfg, Side::kSource);
  FilterPlanForSide(vault, cfg, Side::kVault);
  ASSERT_FALSE(src.actions.empty());
  ASSERT_FALSE(vault.actions.empty());
  for (const auto& a : src.actions) {
    EXPECT_EQ(a.scope, kSource);
    EXPECT_NE(a.stage, Stage::kVault) << a.Describe();
  }
  for (const auto& a : vault.actions) {
    EXPECT_NE(a.scope, kSource);
    EXPECT_EQ(a.stage, Stage::kVault) << a.Describe();
  }
  for (const auto& f : src.findings)
    if (!f.db_id.empty()) {
      EXPECT_EQ(f.scope, kSource) << f.message;
    }
  for (const auto& f : vault.findings)
    if (!f.db_id.empty()) {
      EXPECT_NE(f.scope, kSource) << f.message;
    }
  Plan unchanged = all;
  FilterPlanForSide(unchanged, cfg, Side::kAll);
  EXPECT_EQ(RenderPlan(unchanged), RenderPlan(all));
}

}  // namespace
}  // namespace drsnap::engine
