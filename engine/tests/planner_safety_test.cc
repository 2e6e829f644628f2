// Every safety rule (planner.h S1-S5) gets a test that tries to break it:
// once through the planner (it must not plan the delete) and once through
// CheckDeleteAllowed with a hand-made delete action (it must refuse).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

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
  auto st = CheckDeleteAllowed(inv, cfg, a, fresh);
  return st ? std::string("allowed") : st.error().message;
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
    EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(s, "orders-db")), HasSubstr("S1")) << s.id;
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
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(auto_snap, "orders-db")), HasSubstr("S1"));
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
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), a, &fresh), HasSubstr("S1"));
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
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(newest_ok, "orders-db")), HasSubstr("S2"));
}

TEST(SafetyS2Test, GuardRefusesNewestEvenIfAskedDirectly) {
  World w;
  w.Db("orders-db");
  w.Vault("orders-db", kDay - days(1));
  Snapshot& newest = w.Vault("orders-db", kDay);
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(newest, "orders-db")), HasSubstr("S2"));
  // Per target: the newest copy in another region is protected on its own.
  config::Config cfg = StandardConfig("automated", "24h", "{}", R"(      - account: vault2
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:333333333333:key/dr}
)");
  w.At(kVault2, kSrcRegion);
  Snapshot& other =
      w.Vault("orders-db", kDay - days(3), SnapshotStatus::kAvailable, kVault2, kDrRegion2);
  EXPECT_THAT(Refusal(w.inv, cfg, DeleteOf(other, "orders-db")), HasSubstr("S2"));
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
  EXPECT_THAT(Refusal(w.inv, cfg, DeleteOf(cap, "orders-db")), HasSubstr("S3"));
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
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(old, "orders-db")), HasSubstr("S3"));
  // Bare-id source references (same scope) count too.
  w.inv.scopes[1].snapshots.back().source_arn = old.id;
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(old, "orders-db")), HasSubstr("S3"));
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
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(base, "orders-db")), HasSubstr("S3"));
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
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), DeleteOf(hop, "orders-cluster")), HasSubstr("S3"));
}

TEST(SafetyS3Test, RawBeingReencryptedIsKept) {
  World w;
  w.Db("orders-db").kms_key_id = kDefaultKey;
  Snapshot& raw = w.Raw("orders-db", kNow - hours(1));
  w.Capture("orders-db", kNow - hours(1), SnapshotStatus::kCopying, {});
  EXPECT_THAT(Refusal(w.inv, StandardConfig("snapshot", "1h"), DeleteOf(raw, "orders-db")),
              HasSubstr("S3"));
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
  EXPECT_THAT(Refusal(w.inv, NewestOnly(), capture_probe), HasSubstr("S4"));
  // Vault copies depend on their own target scope only.
  bool dr_broken = which == 1;
  EXPECT_EQ(PlansDeleteOf(p, failed_id), !dr_broken) << RenderPlan(p);
  EXPECT_EQ(PlansDeleteOf(p, probe.snapshot_id), !dr_broken) << RenderPlan(p);
  if (dr_broken) {
    EXPECT_THAT(Refusal(w.inv, NewestOnly(), probe), HasSubstr("S4"));
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
  EXPECT_THAT(Refusal(w.inv, cfg, DeleteOf(old, "orders-db2")), HasSubstr("S5"));
  EXPECT_THAT(Refusal(w.inv, cfg, DeleteOf(old, "orders-db", "nope")), HasSubstr("S5"));
  Snapshot fresh = old;
  fresh.tags[naming::kTagPolicy] = "someone-else";
  EXPECT_THAT(Refusal(w.inv, cfg, DeleteOf(old, "orders-db"), &fresh), HasSubstr("S5"));
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

// Every delete the planner emits passes the guard (randomised worlds).
TEST(SafetyTest, EveryPlannedDeletePassesTheGuard) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    World w;
    w.Db("orders-db");
    w.Db("orders-cl", DbKind::kCluster);
    AddRandomSnapshots(w, rng);
    config::Config cfg = StandardConfig("automated", "24h", rng() % 2 ? "{}" : "{daily: 3}");
    Plan p = MakePlan(w.inv, cfg, kNow);
    DeleteGuard guard(w.inv, cfg);
    for (const auto& a : p.actions) {
      auto st = guard.Check(a);
      EXPECT_TRUE(st.has_value()) << a.Describe() << ": " << st.error().message;
    }
  }
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
    auto verdict = [](const Status& st) { return st ? std::string("allowed") : st.error().message; };
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
      EXPECT_EQ(e.drsnap_created, naming::IsDrsnapCreated(*e.snapshot)) << e.snapshot->id;
      ++checked;
      created += e.drsnap_created;
    }
  }
  EXPECT_EQ(checked, 3 * 5 * 4);
  EXPECT_EQ(created, 4);
}

}  // namespace
}  // namespace drsnap::engine
