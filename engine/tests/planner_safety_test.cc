// Every safety rule (planner.h S1-S5) gets a test that tries to break it:
// once through the planner (it must not plan the delete) and once through
// CheckDeleteAllowed with a hand-made delete action (it must refuse).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>

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

Action DeleteOf(const Snapshot& s, const std::string& db, const std::string& policy = "orders") {
  Action a;
  a.kind = ActionKind::kDeleteSnapshot;
  a.stage = Stage::kExpire;
  a.db_kind = s.kind;
  a.scope = s.scope;
  a.policy = policy;
  a.db_id = db;
  a.snapshot_id = s.id;
  return a;
}

bool PlansDeleteOf(const Plan& p, const std::string& id) {
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::kDeleteSnapshot && a.snapshot_id == id) return true;
  return false;
}

int Deletes(const Plan& p) {
  int n = 0;
  for (const auto& a : p.actions) n += a.kind == ActionKind::kDeleteSnapshot;
  return n;
}

std::string Refusal(const Inventory& inv, const config::Config& cfg, const Action& a,
                    const Snapshot* fresh = nullptr) {
  return CheckDeleteAllowed(inv, cfg, a, fresh).ToString();
}

// The rule that refuses the delete; nullopt when it is allowed.
std::optional<SafetyRule> RefusedBy(const Inventory& inv, const config::Config& cfg,
                                    const Action& a, const Snapshot* fresh = nullptr) {
  DeleteVerdict v = CheckDeleteAllowed(inv, cfg, a, fresh);
  if (v) return std::nullopt;
  return v.rule();
}

// A world where retention (newest only) wants old copies gone everywhere.
config::Config NewestOnly() { return StandardConfig("automated", "24h", "{}"); }

// --- S1: never delete a snapshot drsnap did not create -------------------------

TEST(SafetyS1Test, ForeignSnapshotsAreNeverPlannedForDeletion) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay);
  // Look-alikes: drsnap names without tags, tags without a drsnap name, a
  // failed look-alike, and snapshots in the vault account in the same lineage.
  Snapshot& a = w.Manual("drsnap-orders-db-202601010410", "orders-db");
  Snapshot& b =
      w.Manual("drsnap-111111111111-orders-db-202601010410", "orders-db", kVault, kDrRegion);
  Snapshot& c = w.Manual("nightly-orders-db", "orders-db", kVault, kDrRegion);
  c.tags = ManagedTags(c.id, "orders", "orders-db");
  c.tags[naming::kTagStage] = "vault";
  Snapshot& d =
      w.Manual("drsnap-111111111111-orders-db-202601020410", "orders-db", kVault, kDrRegion);
  d.status = SnapshotStatus::kFailed;
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  for (const auto& s : {a, b, c, d}) {
    EXPECT_FALSE(PlansDeleteOf(p, s.id)) << s.id << "\n" << RenderPlan(p);
    EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(s, "orders-db")),
              SafetyRule::kNotCreatedByDrsnap)
        << s.id;
  }
}

TEST(SafetyS1Test, AutomatedAndSharedSnapshotsAreNeverDeleted) {
  World w;
  w.Db("orders-db");
  Snapshot& auto_snap = w.Automated("orders-db", kDay - days(30));
  auto_snap.tags = ManagedTags("drsnap-orders-db-202610260410", "orders", "orders-db");
  auto_snap.id = "drsnap-orders-db-202610260410";  // even with a drsnap name and tags
  Snapshot shared;
  shared.id = "drsnap-orders-db-202610270410";
  shared.scope = Scope{kProd, kSrcRegion};
  shared.seen_from = Scope{kVault, kSrcRegion};
  shared.type = SnapshotType::kShared;
  shared.status = SnapshotStatus::kAvailable;
  shared.tags = ManagedTags(shared.id, "orders", "orders-db");
  w.At(kVault, kSrcRegion).snapshots.push_back(shared);
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  EXPECT_EQ(Deletes(p), 0) << RenderPlan(p);
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(auto_snap, "orders-db")),
            SafetyRule::kNotCreatedByDrsnap);
}

TEST(SafetyS1Test, FreshDescribeWithoutTagsWins) {
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  Snapshot& old = w.Vault("orders-db", kDay - days(1));
  w.Vault("orders-db", kDay);
  Action a = DeleteOf(old, "orders-db");
  EXPECT_EQ(Refusal(w.inv, NewestOnly(), a), "allowed");
  Snapshot fresh = old;
  fresh.tags.clear();  // someone removed the tags since the observation
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), a, &fresh), SafetyRule::kNotCreatedByDrsnap);
}

// --- S2: never the newest available vault copy ---------------------------------

TEST(SafetyS2Test, NewestAvailableVaultCopySurvivesEvenWhenNewerOnesFail) {
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  Snapshot& newest_ok = w.Vault("orders-db", kDay - days(2));
  w.Vault("orders-db", kDay - days(1), SnapshotStatus::kFailed);
  w.Vault("orders-db", kDay, SnapshotStatus::kCopying);
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  EXPECT_FALSE(PlansDeleteOf(p, newest_ok.id)) << RenderPlan(p);
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(newest_ok, "orders-db")),
            SafetyRule::kNewestVaultCopy);
}

TEST(SafetyS2Test, GuardRefusesNewestEvenIfAskedDirectly) {
  World w;
  w.Db("orders-db");
  w.Vault("orders-db", kDay - days(1));
  Snapshot& newest = w.Vault("orders-db", kDay);
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(newest, "orders-db")),
            SafetyRule::kNewestVaultCopy);
  // Per target: the newest copy in another region is protected on its own.
  config::Config cfg = StandardConfig("automated", "24h", "{}", R"(      - account: vault2
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:333333333333:key/dr}
)");
  w.At(kVault2, kSrcRegion);
  Snapshot& other =
      w.Vault("orders-db", kDay - days(3), SnapshotStatus::kAvailable, kVault2, kDrRegion2);
  EXPECT_EQ(RefusedBy(w.inv, cfg, DeleteOf(other, "orders-db")), SafetyRule::kNewestVaultCopy);
}

// --- S3: never a snapshot an in-flight copy depends on ---------------------------

TEST(SafetyS3Test, CaptureBeingVaultedIsKept) {
  config::Config cfg = StandardConfig("automated", "24h", "{}", R"(      - account: vault2
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:333333333333:key/dr}
)");
  World w;
  w.At(kVault2, kSrcRegion);
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  Snapshot& cap =
      w.Capture("orders-db", kDay - days(1), SnapshotStatus::kAvailable, {kVault, kVault2});
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault, kVault2});
  w.Vault("orders-db", kDay);
  w.Vault("orders-db", kDay, SnapshotStatus::kAvailable, kVault2, kDrRegion2);
  w.Vault("orders-db", kDay - days(1));
  w.Vault("orders-db", kDay - days(1), SnapshotStatus::kCopying, kVault2, kDrRegion2);
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_FALSE(PlansDeleteOf(p, cap.id)) << RenderPlan(p);
  EXPECT_EQ(RefusedBy(w.inv, cfg, DeleteOf(cap, "orders-db")), SafetyRule::kInFlightDependency);
}

TEST(SafetyS3Test, SourceOfAnyInFlightCopyIsKeptBySourceArn) {
  World w;
  w.Db("orders-db");
  Snapshot& old = w.Vault("orders-db", kDay - days(2));
  w.Vault("orders-db", kDay);
  // Someone (or drsnap elsewhere) is copying from the old vault copy.
  Snapshot other;
  other.id = "restore-drill-copy";
  other.scope = Scope{kVault, kDrRegion};
  other.status = SnapshotStatus::kCopying;
  other.source_arn = old.arn;
  w.Add(other);
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  EXPECT_FALSE(PlansDeleteOf(p, old.id)) << RenderPlan(p);
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(old, "orders-db")),
            SafetyRule::kInFlightDependency);
  // Bare-id source references (same scope) count too.
  w.inv.scopes[1].snapshots.back().source_arn = old.id;
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(old, "orders-db")),
            SafetyRule::kInFlightDependency);
}

TEST(SafetyS3Test, IncrementalBaseOfInFlightCopyIsKept) {
  // Backfill: day1 available, day2 copying, day3 available. Retention keeps
  // only the newest; day1 is the base of day2's incremental copy.
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  Snapshot& base = w.Vault("orders-db", kDay - days(2));
  w.Vault("orders-db", kDay - days(1), SnapshotStatus::kCopying);
  w.Vault("orders-db", kDay);
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  EXPECT_FALSE(PlansDeleteOf(p, base.id)) << RenderPlan(p);
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(base, "orders-db")),
            SafetyRule::kInFlightDependency);
  // Once the copy is available, the base may go.
  w.inv.scopes[1].snapshots[1].status = SnapshotStatus::kAvailable;
  p = MakePlan(w.inv, NewestOnly(), kNow);
  EXPECT_TRUE(PlansDeleteOf(p, base.id)) << RenderPlan(p);
}

TEST(SafetyS3Test, HopFeedingAnInFlightVaultCopyIsKept) {
  World w;
  w.Db("orders-cluster", DbKind::kCluster);
  w.Capture("orders-cluster", kDay, SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kCluster);
  Snapshot& hop =
      w.Hop("orders-cluster", kDay, SnapshotStatus::kAvailable, kVault, 0, DbKind::kCluster);
  w.Vault("orders-cluster", kDay, SnapshotStatus::kCopying, kVault, kDrRegion, 0, DbKind::kCluster);
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  EXPECT_FALSE(PlansDeleteOf(p, hop.id)) << RenderPlan(p);
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(hop, "orders-cluster")),
            SafetyRule::kInFlightDependency);
}

// Which source field AWS sets on a same-region copy (SourceDBSnapshotIdentifier,
// SourceRegion) is unclear: the protection of the snapshot an in-flight copy
// reads must not depend on it. The capture a hop copy (same region, into the
// DR account) is being made from is kept with both fields absent.
TEST(SafetyS3Test, SourceOfAnInFlightSameRegionCopyIsKeptWithoutItsSourceField) {
  for (DbKind kind : {DbKind::kInstance, DbKind::kCluster}) {
    World w;
    w.Db("orders-db", kind);
    Snapshot& cap =
        w.Capture("orders-db", kDay - days(1), SnapshotStatus::kAvailable, {kVault}, 0, kind);
    w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault}, 0, kind);
    w.Vault("orders-db", kDay, SnapshotStatus::kAvailable, kVault, kDrRegion, 0, kind);
    Snapshot& hop = w.Hop("orders-db", kDay - days(1), SnapshotStatus::kCopying, kVault, 0, kind);
    hop.source_arn.clear();
    hop.source_region.clear();
    EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), DeleteOf(cap, "orders-db")),
              SafetyRule::kInFlightDependency)
        << DbKindName(kind);
    Plan p = MakePlan(w.inv, NewestOnly(), kNow);
    EXPECT_FALSE(PlansDeleteOf(p, cap.id)) << RenderPlan(p);
  }
}

TEST(SafetyS3Test, RawBeingReencryptedIsKept) {
  World w;
  w.Db("orders-db").kms_key_id = kDefaultKey;
  Snapshot& raw = w.Raw("orders-db", kNow - hours(1));
  w.Capture("orders-db", kNow - hours(1), SnapshotStatus::kCopying, {});
  EXPECT_EQ(RefusedBy(w.inv, StandardConfig("snapshot", "1h"), DeleteOf(raw, "orders-db")),
            SafetyRule::kInFlightDependency);
  Plan p = MakePlan(w.inv, StandardConfig("snapshot", "1h"), kNow);
  EXPECT_FALSE(PlansDeleteOf(p, raw.id)) << RenderPlan(p);
}

// --- S4: no delete that depends on a missing or incomplete scope -----------------

class SafetyS4Test : public ::testing::TestWithParam<int> {};

// Per delete (delete_guard.h DeleteDependencies): a capture's expiry depends
// on every scope of the policy; a vault copy's (retention, failed copy) on
// its own target scope only.
TEST_P(SafetyS4Test, DeletesThatDependOnABrokenScopeStop) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  for (int i = 0; i < 4; ++i) {
    w.Capture("orders-db", kDay - days(i), SnapshotStatus::kAvailable, {kVault});
    w.Vault("orders-db", kDay - days(i));
  }
  Snapshot& failed = w.Vault("orders-db", kDay - days(9), SnapshotStatus::kFailed);
  const std::string failed_id = failed.id;
  const std::string old_capture = naming::CaptureName("orders-db", kDay - days(3));
  Plan before = MakePlan(w.inv, NewestOnly(), kNow);
  ASSERT_TRUE(PlansDeleteOf(before, old_capture)) << RenderPlan(before);
  ASSERT_TRUE(PlansDeleteOf(before, failed_id)) << RenderPlan(before);
  Action probe = DeleteOf(w.inv.scopes[1].snapshots[3], "orders-db");          // vault day-3
  Action capture_probe = DeleteOf(w.inv.scopes[0].snapshots[4], "orders-db");  // capture day-3
  ASSERT_EQ(capture_probe.snapshot_id, old_capture);
  ASSERT_EQ(Refusal(w.inv, NewestOnly(), probe), "allowed");
  ASSERT_EQ(Refusal(w.inv, NewestOnly(), capture_probe), "allowed");

  int which = GetParam() % 3;  // 0 source, 1 DR region, 2 hop scope
  if (GetParam() < 3) {
    w.inv.scopes[static_cast<size_t>(which)].complete = false;
    w.inv.scopes[static_cast<size_t>(which)].error = "Throttling";
  } else {
    w.inv.scopes.erase(w.inv.scopes.begin() + which);
  }
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  // Captures depend on every scope: none goes, whichever broke.
  for (const auto& a : p.actions) {
    if (a.kind != ActionKind::kDeleteSnapshot) continue;
    auto lin = naming::ParseName(a.snapshot_id);
    ASSERT_TRUE(lin.has_value());
    EXPECT_NE(lin->stage, naming::NameStage::kCapture) << a.Describe();
  }
  EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), capture_probe), SafetyRule::kIncompleteObservation);
  // Vault copies depend on their own target scope only.
  bool dr_broken = which == 1;
  EXPECT_EQ(PlansDeleteOf(p, failed_id), !dr_broken) << RenderPlan(p);
  EXPECT_EQ(PlansDeleteOf(p, probe.snapshot_id), !dr_broken) << RenderPlan(p);
  if (dr_broken) {
    EXPECT_EQ(RefusedBy(w.inv, NewestOnly(), probe), SafetyRule::kIncompleteObservation);
  } else {
    EXPECT_EQ(Refusal(w.inv, NewestOnly(), probe), "allowed");
  }
  // Reported once, never as a per-delete warning.
  int reported = 0;
  for (const auto& f : p.findings) {
    reported += f.message.find("no deletes that depend on it") != std::string::npos ||
                f.message.find("not observed (vault side)") != std::string::npos;
    EXPECT_EQ(f.message.find("not deleting"), std::string::npos) << f.message;
  }
  EXPECT_EQ(reported, 1) << RenderPlan(p);
}

// 0..2: source, DR region, hop scope incomplete; 3..5: the same scopes missing.
INSTANTIATE_TEST_SUITE_P(Scopes, SafetyS4Test, ::testing::Range(0, 6));

TEST(SafetyS4Test2, IncompleteScopeOfAnotherPolicyDoesNotBlock) {
  std::string yaml = R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["orders*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    retention: {}
    min_retention: 0s
    targets: [{account: vault, regions: {eu-west-1: {kms_key: alias/dr}}, hop_kms_key: alias/hop}]
  other:
    databases: {names: ["x*"]}
    source: {account: prod, region: us-west-2, from: automated}
    rpo: 24h
    targets: [{account: vault, regions: {eu-west-1: {kms_key: alias/dr}}}]
)";
  config::Config cfg = MustConfig(yaml);
  World w;
  w.Db("orders-db");
  w.Vault("orders-db", kDay - days(1));
  w.Vault("orders-db", kDay);
  w.At(kProd, "us-west-2").complete = false;
  w.At(kVault, "us-west-2").complete = false;
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_EQ(Deletes(p), 1) << RenderPlan(p);
}

// --- S5: only the action's own policy and database ------------------------------

TEST(SafetyS5Test, DeleteMustNameTheSnapshotsPolicyAndDatabase) {
  World w;
  w.Db("orders-db");
  Snapshot& old = w.Vault("orders-db", kDay - days(1));
  w.Vault("orders-db", kDay);
  config::Config cfg = NewestOnly();
  EXPECT_EQ(Refusal(w.inv, cfg, DeleteOf(old, "orders-db")), "allowed");
  EXPECT_EQ(RefusedBy(w.inv, cfg, DeleteOf(old, "orders-db2")), SafetyRule::kOtherPolicyOrDatabase);
  EXPECT_EQ(RefusedBy(w.inv, cfg, DeleteOf(old, "orders-db", "nope")),
            SafetyRule::kOtherPolicyOrDatabase);
  Snapshot fresh = old;
  fresh.tags[naming::kTagPolicy] = "someone-else";
  EXPECT_EQ(RefusedBy(w.inv, cfg, DeleteOf(old, "orders-db"), &fresh),
            SafetyRule::kOtherPolicyOrDatabase);
}

TEST(SafetyS5Test, CopiesTaggedForAnotherPolicyAreLeftAlone) {
  World w;
  w.Db("orders-db");
  w.Vault("orders-db", kDay - days(3), SnapshotStatus::kAvailable, kVault, kDrRegion, 0,
          DbKind::kInstance, "renamed-policy");
  w.Vault("orders-db", kDay - days(2));
  w.Vault("orders-db", kDay);
  Plan p = MakePlan(w.inv, NewestOnly(), kNow);
  EXPECT_EQ(Deletes(p), 1) << RenderPlan(p);
  EXPECT_TRUE(PlansDeleteOf(p, naming::VaultName(kProd, "orders-db", kDay - days(2))));
}

TEST(SafetyTest, NonDeleteActionsPass) {
  World w;
  Action a;
  a.kind = ActionKind::kCopySnapshot;
  EXPECT_EQ(Refusal(w.inv, NewestOnly(), a), "allowed");
}

// Twelve random drsnap snapshots of "orders-db" (instance) and "orders-cl"
// (cluster): captures, vault copies and hops, some copying or failed.
void AddRandomSnapshots(World& w, std::mt19937& rng) {
  const SnapshotStatus statuses[] = {SnapshotStatus::kAvailable, SnapshotStatus::kAvailable,
                                     SnapshotStatus::kCopying, SnapshotStatus::kFailed};
  for (int i = 0; i < 12; ++i) {
    TimePoint t = kDay - days(static_cast<int>(rng() % 20));
    DbKind k = rng() % 2 ? DbKind::kCluster : DbKind::kInstance;
    std::string db = k == DbKind::kCluster ? "orders-cl" : "orders-db";
    SnapshotStatus st = statuses[rng() % 4];
    switch (rng() % 3) {
      case 0:
        w.Capture(db, t, st, {kVault}, 0, k);
        break;
      case 1:
        w.Vault(db, t, st, kVault, kDrRegion, 0, k);
        break;
      case 2:
        w.Hop(db, t, st, kVault, 0, k);
        break;
    }
  }
}

// --- The rules judged from first principles ----------------------------------
//
// An oracle for S1-S5 written from the rules' text over the raw inventory,
// sharing no code with the guard or the lineage index (only the name
// grammar, which defines what a drsnap name is). Returns the rules a delete
// breaks, "" when none.
std::string BrokenRules(const Inventory& inv, const config::Config& cfg, const Action& a) {
  const config::Policy* p = nullptr;
  for (const auto& x : cfg.policies)
    if (x.name == a.policy) p = &x;
  if (!p) return "S5(no policy)";
  const Scope source{p->source_account_id, p->source_region};
  const ScopeInventory* own = inv.Find(a.scope);
  const Snapshot* s = nullptr;
  if (own)
    for (const auto& x : own->snapshots)
      if (x.scope == a.scope && x.kind == a.db_kind && x.id == a.snapshot_id) s = &x;
  if (!s) return "S1(not observed)";
  auto tag = [](const Snapshot& x, const char* key) {
    auto it = x.tags.find(key);
    return it == x.tags.end() ? std::string("<none>") : it->second;
  };
  auto lin = naming::ParseName(s->id);
  std::string broken;
  // S1
  if (!lin || s->type != SnapshotType::kManual || !(s->seen_from == s->scope) ||
      tag(*s, naming::kTagManaged) != "true" ||
      tag(*s, naming::kTagStage) != naming::NameStageName(lin->stage))
    return "S1";
  // S5
  if (tag(*s, naming::kTagPolicy) != a.policy || tag(*s, naming::kTagDb) != a.db_id)
    broken += "S5 ";
  bool dr_side = lin->stage == naming::NameStage::kHop || lin->stage == naming::NameStage::kVault;
  if (dr_side ? lin->source_account != p->source_account_id : !(a.scope == source)) broken += "S5 ";
  // S4: the scopes the delete's justification depends on.
  std::vector<Scope> deps{a.scope};
  std::vector<Scope> policy_scopes{source};
  for (const auto& t : p->targets) {
    for (const auto& r : t.regions) policy_scopes.push_back(Scope{t.account_id, r.region});
    if (t.account_id != p->source_account_id)
      policy_scopes.push_back(Scope{t.account_id, source.region});
  }
  if (s->status != SnapshotStatus::kFailed) {
    if (lin->stage == naming::NameStage::kRaw) deps.push_back(source);
    if (lin->stage == naming::NameStage::kCapture) deps = policy_scopes;
    if (lin->stage == naming::NameStage::kHop)
      for (const auto& t : p->targets)
        if (t.account_id == a.scope.account_id)
          for (const auto& r : t.regions) deps.push_back(Scope{t.account_id, r.region});
  }
  for (const Scope& d : deps) {
    const ScopeInventory* si = inv.Find(d);
    if (!si || !si->complete) broken += "S4 ";
  }
  // Every drsnap snapshot of this database (of this policy's source account).
  struct Copy {
    const Snapshot* snap;
    naming::Lineage lin;
  };
  std::vector<Copy> copies;
  for (const auto& si : inv.scopes)
    for (const auto& x : si.snapshots) {
      auto l = naming::ParseName(x.id);
      if (!l || x.kind != a.db_kind || !(x.scope == si.scope) ||
          tag(x, naming::kTagManaged) != "true" ||
          tag(x, naming::kTagStage) != naming::NameStageName(l->stage) ||
          tag(x, naming::kTagDb) != a.db_id)
        continue;
      copies.push_back(Copy{&x, *l});
    }
  auto in_flight = [](const Snapshot& x) {
    return x.status == SnapshotStatus::kCreating || x.status == SnapshotStatus::kCopying;
  };
  // S3: the source of anything in flight.
  const std::string arn_tail = ":" + s->id.str();
  for (const auto& si : inv.scopes)
    for (const auto& x : si.snapshots)
      if (in_flight(x) &&
          (x.source_arn == s->id.str() ||
           (x.source_arn.ends_with(arn_tail) && ArnAccount(x.source_arn) == s->scope.account_id)))
        broken += "S3(source) ";
  for (const Copy& c : copies) {
    if (!in_flight(*c.snap) || c.lin.recovery_point != lin->recovery_point) continue;
    if (lin->stage == naming::NameStage::kCapture &&
        (c.lin.stage == naming::NameStage::kHop || c.lin.stage == naming::NameStage::kVault))
      broken += "S3(capture) ";
    if (lin->stage == naming::NameStage::kHop && c.lin.stage == naming::NameStage::kVault &&
        c.snap->scope.account_id == a.scope.account_id)
      broken += "S3(hop) ";
    if (lin->stage == naming::NameStage::kRaw && c.lin.stage == naming::NameStage::kCapture)
      broken += "S3(raw) ";
  }
  if (lin->stage == naming::NameStage::kVault) {
    std::vector<const Copy*> vaults;  // this scope, stage vault, of this source account
    for (const Copy& c : copies)
      if (c.snap->scope == a.scope && c.lin.stage == naming::NameStage::kVault &&
          c.lin.source_account == lin->source_account)
        vaults.push_back(&c);
    auto newer = [](const Copy* x, const Copy* y) {  // x after y
      return std::tie(x->lin.recovery_point, x->lin.attempt, x->snap->id) >
             std::tie(y->lin.recovery_point, y->lin.attempt, y->snap->id);
    };
    const Copy* newest = nullptr;
    for (const Copy* c : vaults)
      if (c->snap->status == SnapshotStatus::kAvailable && (!newest || newer(c, newest)))
        newest = c;
    if (newest && newest->snap == s) broken += "S2 ";
    for (const Copy* x : vaults) {
      if (!in_flight(*x->snap)) continue;
      const Copy* base = nullptr;
      for (const Copy* c : vaults)
        if (c->snap->status == SnapshotStatus::kAvailable &&
            c->lin.recovery_point < x->lin.recovery_point && (!base || newer(c, base)))
          base = c;
      if (base && base->snap == s) broken += "S3(base) ";
    }
  }
  return broken;
}

// Random worlds with everything the rules are about: look-alikes (S1),
// copies in flight and their bases (S3), copies tagged for another policy
// (S5), scopes that could not be listed (S4), and retention that wants old
// copies gone.
struct RandomWorld {
  World w;
  config::Config cfg;
};
RandomWorld MakeAdversarialWorld(std::mt19937& rng) {
  RandomWorld rw;
  World& w = rw.w;
  w.Db("orders-db");
  w.Db("orders-cl", DbKind::kCluster);
  const SnapshotStatus statuses[] = {SnapshotStatus::kAvailable, SnapshotStatus::kAvailable,
                                     SnapshotStatus::kAvailable, SnapshotStatus::kCopying,
                                     SnapshotStatus::kCreating,  SnapshotStatus::kFailed,
                                     SnapshotStatus::kDeleting};
  const int n = 8 + static_cast<int>(rng() % 16);
  std::set<std::string> ids;  // one snapshot per id (a listing twice is another test's)
  for (int i = 0; i < n; ++i) {
    TimePoint t = kDay - days(static_cast<int>(rng() % 20)) - hours(static_cast<int>(rng() % 3));
    DbKind k = rng() % 2 ? DbKind::kCluster : DbKind::kInstance;
    std::string db = k == DbKind::kCluster ? "orders-cl" : "orders-db";
    SnapshotStatus st = statuses[rng() % std::size(statuses)];
    int attempt = rng() % 5 == 0 ? 1 : 0;
    Snapshot* s = nullptr;
    switch (rng() % 4) {
      case 0:
        s = &w.Capture(db, t, st, {kVault}, attempt, k);
        break;
      case 1:
      case 2:
        s = &w.Vault(db, t, st, kVault, kDrRegion, attempt, k);
        break;
      case 3:
        s = &w.Hop(db, t, st, kVault, attempt, k);
        break;
    }
    if (!ids.insert(s->scope.ToString() + "/" + s->id.str()).second) {
      s->id = s->id.str() + "-r" + std::to_string(100 + i);  // made unique: another attempt
      s->tags = ManagedTags(s->id, "orders", db);
    }
    switch (rng() % 10) {
      case 0:  // a look-alike: drsnap's name, not drsnap's tags
        s->tags.erase(naming::kTagManaged);
        break;
      case 1:  // another policy's copy of the same database
        s->tags[naming::kTagPolicy] = "other";
        break;
      case 2:  // a stage tag that disagrees with the name
        s->tags[naming::kTagStage] = "raw";
        break;
      default:
        break;
    }
  }
  for (auto& si : w.inv.scopes)
    if (rng() % 6 == 0) {
      si.complete = false;
      si.error = "throttled";
    }
  const char* retention[] = {"{}", "{daily: 3}", "{daily: 2, weekly: 1}"};
  rw.cfg = StandardConfig("automated", "24h", retention[rng() % std::size(retention)]);
  return rw;
}

// Every delete the planner emits keeps every rule, judged by the oracle
// above, not by the guard the planner itself calls; and the worlds do make
// the planner delete. Planning without the guard (DbPlanner's Delete
// emitting straight away) breaks S2-S5 in these worlds and fails this test.
TEST(SafetyTest, EveryPlannedDeleteKeepsTheRulesJudgedIndependently) {
  std::mt19937 rng(7);
  int deletes = 0;
  for (int round = 0; round < 400; ++round) {
    RandomWorld rw = MakeAdversarialWorld(rng);
    Plan p = MakePlan(rw.w.inv, rw.cfg, kNow);
    for (const auto& a : p.actions) {
      if (a.kind != ActionKind::kDeleteSnapshot) continue;
      ++deletes;
      EXPECT_EQ(BrokenRules(rw.w.inv, rw.cfg, a), "") << "round " << round << ": " << a.Describe();
    }
  }
  EXPECT_GT(deletes, 400);  // the worlds are not too safe to test anything
}

// The guard itself against the oracle, for every snapshot and both
// databases: whatever it allows keeps every rule.
TEST(SafetyTest, WhatTheGuardAllowsKeepsTheRulesJudgedIndependently) {
  std::mt19937 rng(11);
  int allowed = 0, refused = 0;
  for (int round = 0; round < 200; ++round) {
    RandomWorld rw = MakeAdversarialWorld(rng);
    DeleteGuard guard(rw.w.inv, rw.cfg);
    for (const auto& si : rw.w.inv.scopes)
      for (const auto& s : si.snapshots)
        for (const char* db : {"orders-db", "orders-cl"}) {
          Action a = DeleteOf(s, db);
          DeleteVerdict v = guard.Check(a);
          (v ? allowed : refused)++;
          if (v) {
            EXPECT_EQ(BrokenRules(rw.w.inv, rw.cfg, a), "") << a.Describe();
          }
        }
  }
  EXPECT_GT(allowed, 200);
  EXPECT_GT(refused, 200);
}

// The executor's path (the snapshot as just described, `fresh`, laid over
// the index) and the planner's (the index as observed) reach the same
// verdict, rule by rule: with fresh equal to the observed snapshot, and
// with fresh in another state compared with the planner's path on an
// inventory where the snapshot is in that state.
TEST(SafetyTest, FreshPathAgreesWithTheIndexedPath) {
  std::mt19937 rng(13);
  const SnapshotStatus states[] = {SnapshotStatus::kAvailable, SnapshotStatus::kCopying,
                                   SnapshotStatus::kCreating, SnapshotStatus::kFailed,
                                   SnapshotStatus::kDeleting};
  auto rule = [](const DeleteVerdict& v) { return v ? std::string("allowed") : v.ToString(); };
  int compared = 0, differed_from_observed = 0;
  for (int round = 0; round < 150; ++round) {
    RandomWorld rw = MakeAdversarialWorld(rng);
    DeleteGuard guard(rw.w.inv, rw.cfg);
    for (size_t sc = 0; sc < rw.w.inv.scopes.size(); ++sc) {
      for (size_t i = 0; i < rw.w.inv.scopes[sc].snapshots.size(); ++i) {
        const Snapshot& s = rw.w.inv.scopes[sc].snapshots[i];
        for (const char* db : {"orders-db", "orders-cl"}) {
          Action a = DeleteOf(s, db);
          Snapshot same = s;
          EXPECT_EQ(rule(guard.Check(a, &same)), rule(guard.Check(a))) << a.Describe();
          for (SnapshotStatus st : states) {
            Snapshot fresh = s;
            fresh.status = st;
            Inventory changed = rw.w.inv;
            changed.scopes[sc].snapshots[i].status = st;
            DeleteVerdict cached = DeleteGuard(changed, rw.cfg).Check(a);
            DeleteVerdict laid_over = guard.Check(a, &fresh);
            EXPECT_EQ(laid_over.allowed(), cached.allowed())
                << a.Describe() << " as " << SnapshotStatusName(st);
            if (!laid_over.allowed() && !cached.allowed()) {
              EXPECT_EQ(laid_over.rule(), cached.rule())
                  << a.Describe() << " as " << SnapshotStatusName(st) << ": "
                  << laid_over.ToString() << " / " << cached.ToString();
            }
            differed_from_observed += laid_over.allowed() != guard.Check(a).allowed();
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 1000);
  EXPECT_GT(differed_from_observed, 50);  // the fresh state does change verdicts
}

// The planner hands the guard its index entry (DeleteRequest::indexed); the
// verdict must be the one the guard reaches by itself, for every snapshot
// and database, and a hint for another snapshot must change nothing.
TEST(SafetyTest, IndexedHintGivesTheSameVerdictAsNoHint) {
  std::mt19937 rng(5);
  const std::string dbs[] = {"orders-db", "orders-cl"};
  for (int round = 0; round < 100; ++round) {
    World w;
    AddRandomSnapshots(w, rng);
    config::Config cfg = StandardConfig("automated", "24h", "{daily: 3}");
    LineageIndex index(w.inv);
    DeleteGuard guard(index, cfg);
    auto verdict = [](const DeleteVerdict& v) { return v.ToString(); };
    int checked = 0;
    for (const auto& si : w.inv.scopes) {
      for (const auto& s : si.snapshots) {
        auto lin = naming::ParseNameView(s.id);
        if (!lin) continue;
        auto group = index.Lineages(si.scope, lin->source_account, lin->db_token, s.kind);
        for (const LineageEntry& e : group) {
          if (e.snapshot != &s) continue;
          for (const std::string& db : dbs) {
            const std::string policy = "orders";
            DeleteRequest plain{policy, si.scope, s.id, s.kind, db};
            DeleteRequest hinted{policy, si.scope, s.id, s.kind, db, &e};
            DeleteRequest wrong{policy, si.scope, s.id, s.kind, db, &group.front()};
            // As the planner asks: the index's own Scope object (by address).
            ASSERT_NE(index.ScopeOf(e), nullptr);
            DeleteRequest listed{policy, *index.ScopeOf(e), s.id, s.kind, db, &e};
            std::string expected = verdict(guard.CheckDelete(plain));
            EXPECT_EQ(verdict(guard.CheckDelete(hinted)), expected) << s.id << " as " << db;
            EXPECT_EQ(verdict(guard.CheckDelete(wrong)), expected) << s.id << " as " << db;
            EXPECT_EQ(verdict(guard.CheckDelete(listed)), expected) << s.id << " as " << db;
            // The other kind: the hint is of no use, the verdict still the plain one.
            DbKind other = s.kind == DbKind::kCluster ? DbKind::kInstance : DbKind::kCluster;
            DeleteRequest plain_other{policy, si.scope, s.id, other, db};
            DeleteRequest hinted_other{policy, *index.ScopeOf(e), s.id, other, db, &e};
            EXPECT_EQ(verdict(guard.CheckDelete(hinted_other)),
                      verdict(guard.CheckDelete(plain_other)))
                << s.id << " as " << db;
            ++checked;
          }
        }
      }
    }
    EXPECT_GT(checked, 0);
  }
}

}  // namespace
}  // namespace drsnap::engine

namespace drsnap::engine {
namespace {

// The index decides "created by drsnap" in one pass over the tags; it must
// agree with naming::IsDrsnapCreated, the rule S1 is written in.
TEST(SafetyS1Test, IndexAgreesWithIsDrsnapCreated) {
  World w;
  const char* stages[] = {"capture", "vault", "hop", "raw", "bogus"};
  int n = 0;
  for (const char* managed : {"true", "false", ""}) {
    for (const char* stage : stages) {
      for (const char* id :
           {"drsnap-db-202611250410", "drsnap-111111111111-db-202611250410",
            "drsnap-111111111111-db-202611250410-hop", "drsnap-db-202611250410-raw"}) {
        Snapshot s;
        s.id = std::string(id) + "-r" + std::to_string(++n);
        s.scope = Scope{kVault, kDrRegion};
        s.status = SnapshotStatus::kAvailable;
        if (*managed) s.tags[naming::kTagManaged] = managed;
        s.tags[naming::kTagStage] = stage;
        s.tags[naming::kTagDb] = "db";
        s.tags[naming::kTagPolicy] = "orders";
        s.tags[naming::kTagRecoveryPoint] = "2026-11-25T04:10:00Z";
        s.tags[naming::kTagSourceAccount] =
            std::string(id).starts_with("drsnap-111111111111") ? kProd : kVault;
        s.tags[naming::kTagSourceArn] = "arn:aws:rds:us-east-1:111111111111:snapshot:x";
        s.tags["aaa"] = "x";
        s.tags["zzz"] = "y";
        w.Add(s);
      }
    }
  }
  LineageIndex index(w.inv);
  int checked = 0, created = 0;
  for (const char* acct : {"", "111111111111"}) {
    for (const auto& e : index.Lineages(Scope{kVault, kDrRegion}, acct, "db", DbKind::kInstance)) {
      EXPECT_EQ(e.drsnap_created, naming::IsDrsnapCreated(*e.snapshot, index.inventory().observed_at))
          << e.snapshot->id;
      ++checked;
      created += e.drsnap_created;
    }
  }
  EXPECT_EQ(checked, 3 * 5 * 4);
  EXPECT_EQ(created, 4);
}

}  // namespace
}  // namespace drsnap::engine
