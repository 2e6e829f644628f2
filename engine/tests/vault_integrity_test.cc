// Vault integrity: the DR copies survive a compromised production account,
// bad listings and look-alikes. Each case is one an attacker holding only
// the production account's credentials (or a faulty listing) can bring
// about; the vault side's plan must not lose a good copy to it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/anomaly.h"
#include "engine/delete_guard.h"
#include "engine/naming.h"
#include "engine/planner.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

const TimePoint kNow = T("2026-12-07T12:00:00Z");
const TimePoint kDay = T("2026-12-07T04:10:00Z");
const Scope kSource{kProd, kSrcRegion};
const Scope kVaultEu{kVault, kDrRegion};
const Scope kVaultSrc{kVault, kSrcRegion};

World NewWorld() {
  World w;
  w.inv.observed_at = kNow;
  return w;
}

config::Config Cfg(const std::string& extra = "min_retention: 0s") {
  return MustConfig(R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["orders*"]}
    source: {account: prod, region: us-east-1, from: automated,
             share_key: "arn:aws:kms:us-east-1:111111111111:key/share"}
    rpo: 24h
    retention: {daily: 3, weekly: 2}
    )" + extra + R"(
    targets:
      - account: vault
        hop_kms_key: arn:aws:kms:us-east-1:222222222222:key/hop
        regions:
          eu-west-1: {kms_key: arn:aws:kms:eu-west-1:222222222222:key/dr}
)");
}

// How the vault account sees `capture` shared with it.
Snapshot& SharedView(World& w, const Snapshot& capture) {
  Snapshot s = capture;
  s.type = SnapshotType::kShared;
  s.tags.clear();
  s.shared_with.reset();
  s.seen_from = kVaultSrc;
  ScopeInventory& si = w.At(kVault, kSrcRegion);
  si.snapshots.push_back(std::move(s));
  return si.snapshots.back();
}

Inventory VaultSide(const Inventory& all) {
  Inventory inv = all;
  std::erase_if(inv.scopes, [](const ScopeInventory& si) { return si.scope.account_id == kProd; });
  return inv;
}

std::vector<const Action*> Deletes(const Plan& p) {
  std::vector<const Action*> out;
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::kDeleteSnapshot) out.push_back(&a);
  return out;
}

bool Mentions(const Plan& p, const std::string& needle) {
  return std::ranges::any_of(
      p.findings, [&](const Finding& f) { return f.message.find(needle) != std::string::npos; });
}

// Three good copies of orders-db in the vault (daily: 3, weekly: 2 keeps
// them all), the captures they came from shared and long since vaulted.
void GoodVault(World& w) {
  w.Db("orders-db");
  for (int i = 0; i < 3; ++i) w.Vault("orders-db", kDay - days(i));
}

// 1. A compromised production account creates and shares captures named
// with future points: the vault side neither vaults them as newest nor
// drops a good copy for them.
TEST(VaultIntegrityTest, FutureNamedCapturesAreRejectedAndDeleteNothing) {
  World w = NewWorld();
  GoodVault(w);
  std::vector<std::string> forged;
  for (int i = 1; i <= 7; ++i) {
    // Made now by the attacker; AWS's times say so, the name lies.
    Snapshot& c = w.Capture("orders-db", kDay + days(3 * i));
    c.create_time = kNow - minutes(10);
    c.recovery_point = kNow - minutes(10);
    SharedView(w, c);
    forged.push_back(naming::VaultName(kProd, "orders-db", kDay + days(3 * i)));
  }
  Plan p = MakePlan(VaultSide(w.inv), Cfg(), kNow);
  EXPECT_TRUE(Deletes(p).empty()) << RenderPlan(p);
  for (const auto& a : p.actions)
    for (const auto& id : forged) EXPECT_NE(a.snapshot_id.str(), id) << RenderPlan(p);
  EXPECT_TRUE(Mentions(p, "in the future")) << RenderPlan(p);
}

// The same attack after an older drsnap vaulted the forged captures: their
// vault copies do not count as newer points, and the good copies stay.
TEST(VaultIntegrityTest, VaultCopiesOfFutureNamedCapturesDoNotDisplaceGoodOnes) {
  World w = NewWorld();
  GoodVault(w);
  for (int i = 1; i <= 7; ++i) {
    Snapshot& v = w.Vault("orders-db", kDay + days(3 * i));
    v.create_time = kNow - minutes(5);      // made a moment ago
    v.recovery_point = kNow - minutes(10);  // from a snapshot made just before
  }
  Plan p = MakePlan(VaultSide(w.inv), Cfg(), kNow);
  for (int i = 0; i < 3; ++i)
    for (const Action* a : Deletes(p))
      EXPECT_NE(a->snapshot_id.str(), naming::VaultName(kProd, "orders-db", kDay - days(i)));
}

// A capture whose name claims a point later than AWS made it cannot be a
// capture of that point.
TEST(VaultIntegrityTest, CaptureNamedAfterItsCreationIsRejected) {
  World w = NewWorld();
  w.Db("orders-db");
  Snapshot& c = w.Capture("orders-db", kDay);
  c.create_time = kDay - hours(2);
  c.recovery_point = kDay - hours(2);
  SharedView(w, c);
  Plan p = MakePlan(VaultSide(w.inv), Cfg(), kNow);
  EXPECT_TRUE(p.actions.empty()) << RenderPlan(p);
  EXPECT_TRUE(Mentions(p, c.id.str())) << RenderPlan(p);
}

// 2. A listing that returns one vault copy twice: a clean plan deletes
// nothing, so the doubled one must not either.
TEST(VaultIntegrityTest, ASnapshotListedTwiceStopsTheScopesDeletes) {
  World w = NewWorld();
  w.Db("orders-db");
  w.Vault("orders-db", kDay - days(2));
  Snapshot& middle = w.Vault("orders-db", kDay - days(1));
  w.Vault("orders-db", kDay);
  config::Config cfg = Cfg();
  cfg.policies[0].retention = config::Retention{};
  cfg.policies[0].retention.daily = 3;
  ASSERT_TRUE(Deletes(MakePlan(w.inv, cfg, kNow)).empty());
  w.At(kVault, kDrRegion).snapshots.push_back(middle);  // listed again
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_TRUE(Deletes(p).empty()) << RenderPlan(p);
  EXPECT_TRUE(Mentions(p, "listed twice")) << RenderPlan(p);
}

// 3. A look-alike made by hand, with some of drsnap's tags: neither
// adopted (shared, vaulted) nor deleted, and reported once.
TEST(VaultIntegrityTest, HandMadeLookAlikeIsNeitherAdoptedNorDeleted) {
  World w = NewWorld();
  w.Db("orders-inventory");
  w.Automated("orders-inventory", kDay);
  w.Capture("orders-inventory", kDay);  // drsnap's own, shared, vaulted below
  w.Vault("orders-inventory", kDay);
  Snapshot s;
  s.id = naming::CaptureName("orders-inventory", T("2026-12-01T01:00:00Z"));
  s.scope = kSource;
  s.db_id = "orders-inventory";
  s.status = SnapshotStatus::kAvailable;
  s.create_time = s.recovery_point = T("2026-12-07T09:00:00Z");
  s.tags = {{naming::kTagManaged, "true"},
            {naming::kTagPolicy, "orders"},
            {naming::kTagDb, "orders-inventory"},
            {naming::kTagStage, "capture"}};
  s.shared_with = std::vector<std::string>{};
  w.Add(s);
  Plan p = MakePlan(w.inv, Cfg(), kNow);
  for (const auto& a : p.actions) EXPECT_NE(a.snapshot_id.str(), s.id.str()) << RenderPlan(p);
  for (const auto& a : p.actions)
    EXPECT_EQ(a.source_arn.find(s.id.str()), std::string::npos) << RenderPlan(p);
  int reported = 0;
  for (const auto& f : p.findings)
    if (f.message.find(s.id.str()) != std::string::npos) {
      ++reported;
      EXPECT_THAT(f.message, HasSubstr(naming::kTagRecoveryPoint));
    }
  EXPECT_EQ(reported, 1) << RenderPlan(p);
}

// 4. A capture tagged for another policy is not this policy's to share,
// vault or delete.
TEST(VaultIntegrityTest, CaptureTaggedForAnotherPolicyIsNotAdopted) {
  World w = NewWorld();
  w.Db("orders-db");
  Snapshot& c =
      w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {}, 0, DbKind::kInstance, "other");
  Plan p = MakePlan(w.inv, Cfg(), kNow);
  for (const auto& a : p.actions) {
    EXPECT_NE(a.snapshot_id.str(), c.id.str()) << RenderPlan(p);
    EXPECT_EQ(a.source_arn.find(c.id.str()), std::string::npos) << RenderPlan(p);
  }
}

// 5. No copy into a DR region whose listing failed: a live copy there
// (attempt -r1) would not collide with the new name, and a second full
// copy of a vaulted point would be made.
TEST(VaultIntegrityTest, NoCopyIntoAScopeThatCouldNotBeListed) {
  World w = NewWorld();
  w.Db("orders-db");
  w.Capture("orders-db", kDay);
  ScopeInventory& dr = w.At(kVault, kDrRegion);
  dr.complete = false;
  dr.error = "throttled";
  Plan p = MakePlan(w.inv, Cfg(), kNow);
  for (const auto& a : p.actions)
    EXPECT_FALSE(a.kind == ActionKind::kCopySnapshot && a.scope == kVaultEu) << RenderPlan(p);
}

// 7. Unencrypted databases are vaulted encrypted with the DR key
// (instances); an unencrypted cluster, which AWS cannot encrypt on copy, is
// a finding with the way out.
TEST(VaultIntegrityTest, UnencryptedInstancesAreVaultedEncrypted) {
  World w = NewWorld();
  w.Db("orders-db");
  Snapshot& c = w.Capture("orders-db", kDay);
  c.encrypted = false;
  c.kms_key_id.clear();
  w.Db("orders-cl", DbKind::kCluster);
  Snapshot& cl =
      w.Capture("orders-cl", kDay, SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kCluster);
  cl.encrypted = false;
  cl.kms_key_id.clear();
  Plan p = MakePlan(w.inv, Cfg(), kNow);
  bool instance_copy = false;
  for (const auto& a : p.actions) {
    if (a.kind != ActionKind::kCopySnapshot || a.db_id != "orders-db") continue;
    instance_copy = true;
    EXPECT_EQ(a.kms_key_id.str(), "arn:aws:kms:eu-west-1:222222222222:key/dr") << a.Describe();
  }
  EXPECT_TRUE(instance_copy) << RenderPlan(p);
  bool cluster_finding = false;
  for (const auto& f : p.findings)
    if (f.db_id == "orders-cl" && f.message.find("unencrypted") != std::string::npos)
      cluster_finding = true;
  EXPECT_TRUE(cluster_finding) << RenderPlan(p);
}

// min_retention: no vault copy younger than it is deleted, whatever
// retention says; older ones follow retention.
TEST(VaultIntegrityTest, MinRetentionKeepsYoungCopiesWhateverRetentionSays) {
  World w = NewWorld();
  w.Db("orders-db");
  for (int i = 0; i < 10; ++i) w.Vault("orders-db", kDay - days(i));
  config::Config cfg = Cfg("min_retention: 7d");
  cfg.policies[0].retention = config::Retention{};  // newest only
  Plan p = MakePlan(w.inv, cfg, kNow);
  std::vector<std::string> deleted;
  for (const Action* a : Deletes(p)) deleted.push_back(a->snapshot_id.str());
  // Copies are made an hour after their point: the seven made in the last
  // 7 days (i = 0..6) stay; the three older ones go.
  std::vector<std::string> want;
  for (int i = 7; i < 10; ++i)
    want.push_back(naming::VaultName(kProd, "orders-db", kDay - days(i)));
  std::sort(want.begin(), want.end());
  std::sort(deleted.begin(), deleted.end());
  EXPECT_EQ(deleted, want) << RenderPlan(p);
  // The guard refuses a young one by S6, asked directly.
  Action young;
  young.kind = ActionKind::kDeleteSnapshot;
  young.scope = kVaultEu;
  young.policy = "orders";
  young.db_id = "orders-db";
  young.snapshot_id = naming::VaultName(kProd, "orders-db", kDay - days(2));
  DeleteVerdict v = CheckDeleteAllowed(w.inv, cfg, young);
  ASSERT_FALSE(v.allowed());
  EXPECT_EQ(v.rule(), SafetyRule::kMinRetention) << v.ToString();
}
}  // namespace
}  // namespace drsnap::engine

namespace drsnap::engine {
namespace {

using namespace testutil;

// A snapshot of another database, named and tagged as a capture of a
// protected one: AWS's record of the database it was taken of gives it away.
TEST(VaultIntegrityTest, ASnapshotOfAnotherDatabaseTaggedAsACaptureIsNotAdopted) {
  World w;
  w.inv.observed_at = T("2026-12-07T12:00:00Z");
  w.Db("orders-db");
  Snapshot& c = w.Capture("orders-db", T("2026-12-07T04:10:00Z"), SnapshotStatus::kAvailable, {});
  c.db_id = "empty-db";  // what AWS says it is of
  Plan p = MakePlan(w.inv, StandardConfig(), T("2026-12-07T12:00:00Z"));
  for (const auto& a : p.actions) {
    EXPECT_NE(a.snapshot_id.str(), c.id.str()) << RenderPlan(p);
    EXPECT_EQ(a.source_arn.find(c.id.str()), std::string::npos) << RenderPlan(p);
  }
  bool reported = false;
  for (const auto& f : p.findings)
    reported |= f.message.find(c.id.str()) != std::string::npos &&
                f.message.find("empty-db") != std::string::npos;
  EXPECT_TRUE(reported) << RenderPlan(p);
}

// A capture whose name AWS's record contradicts (a look-alike, or drsnap's
// own when its clock is far from AWS's) holds the name of its point: the
// next attempt waits as after a failure instead of one more snapshot per
// reconcile until the quota is full.
TEST(VaultIntegrityTest, AnUnusableNameAtThePointDelaysTheNextAttempt) {
  const TimePoint now = T("2026-12-07T12:00:00Z");
  const TimePoint day = T("2026-12-07T04:10:00Z");
  World w;
  w.inv.observed_at = now;
  w.Db("orders-db");
  w.Automated("orders-db", day);
  Snapshot& c = w.Capture("orders-db", day, SnapshotStatus::kAvailable, {});
  c.create_time = now - std::chrono::minutes(2);
  c.recovery_point = day + std::chrono::hours(3);  // AWS's record is not the name's point
  auto captures = [](const Plan& p) {
    int n = 0;
    for (const auto& a : p.actions) n += a.kind == ActionKind::kCopySnapshot && a.stage == Stage::kCapture;
    return n;
  };
  Plan p = MakePlan(w.inv, StandardConfig(), now);
  EXPECT_EQ(captures(p), 0) << RenderPlan(p);
  bool explained = false;
  for (const auto& f : p.findings)
    explained |= f.message.find("not before") != std::string::npos &&
                 f.message.find(c.id.str()) != std::string::npos;
  EXPECT_TRUE(explained) << RenderPlan(p);
  // After the backoff the next attempt goes ahead under its own name.
  const TimePoint later = now + std::chrono::minutes(15);
  w.inv.observed_at = later;
  Plan after = MakePlan(w.inv, StandardConfig(), later);
  ASSERT_EQ(captures(after), 1) << RenderPlan(after);
  for (const auto& a : after.actions) {
    if (a.stage == Stage::kCapture) {
      EXPECT_NE(a.snapshot_id.str(), c.id.str());
    }
  }
}

// A capture shared beyond the policy's DR accounts, or made public, is an
// error finding naming the account (IAM cannot stop the production account
// from adding the share; the finding is the check).
TEST(VaultIntegrityTest, ACaptureSharedBeyondTheDrAccountsIsReported) {
  const TimePoint now = T("2026-12-07T12:00:00Z");
  World w;
  w.inv.observed_at = now;
  w.Db("orders-db");
  w.Db("orders-web");
  Snapshot& leaked = w.Capture("orders-db", T("2026-12-07T04:10:00Z"), SnapshotStatus::kAvailable,
                               {kVault, "999999999999"});
  Snapshot& pub = w.Capture("orders-web", T("2026-12-07T04:10:00Z"), SnapshotStatus::kAvailable,
                            {kVault, "all"});
  Plan p = MakePlan(w.inv, StandardConfig(), now);
  auto error_about = [&](const std::string& id, const std::string& needle) {
    return std::ranges::any_of(p.findings, [&](const Finding& f) {
      return f.severity == Finding::Severity::kError && f.message.find(id) != std::string::npos &&
             f.message.find(needle) != std::string::npos;
    });
  };
  EXPECT_TRUE(error_about(leaked.id.str(), "999999999999")) << RenderPlan(p);
  EXPECT_TRUE(error_about(pub.id.str(), "public")) << RenderPlan(p);
  // Shared with the DR account only: nothing to say.
  World clean;
  clean.inv.observed_at = now;
  clean.Db("orders-db");
  clean.Capture("orders-db", T("2026-12-07T04:10:00Z"));
  Plan q = MakePlan(clean.inv, StandardConfig(), now);
  for (const auto& f : q.findings) EXPECT_EQ(f.message.find("is shared with"), std::string::npos);
}

// A burst of points the production account could make honestly (real
// snapshots of the real database, points AWS's times agree with) freezes
// the database's vault retention with a finding, until a person's review is
// recorded on the vault copies (drsnap clear-anomaly).
TEST(VaultIntegrityTest, ABurstOfPointsFreezesVaultRetentionUntilCleared) {
  World w = NewWorld();
  w.Db("orders-db");
  for (int i = 0; i < 20; ++i) w.Vault("orders-db", kDay - days(i));  // daily 3 + weekly 2 keep 5
  Plan before = MakePlan(VaultSide(w.inv), Cfg(), kNow);
  ASSERT_FALSE(Deletes(before).empty()) << RenderPlan(before);
  for (int i = 1; i <= 7; ++i) {
    TimePoint made = kNow - minutes(10 * i);
    Snapshot& c = w.Capture("orders-db", naming::NamePoint(made));
    c.create_time = c.recovery_point = made;
    SharedView(w, c);
  }
  Plan frozen = MakePlan(VaultSide(w.inv), Cfg(), kNow);
  EXPECT_TRUE(Deletes(frozen).empty()) << RenderPlan(frozen);
  EXPECT_TRUE(Mentions(frozen, "is frozen")) << RenderPlan(frozen);
  EXPECT_TRUE(Mentions(frozen, "drsnap clear-anomaly --db orders-db")) << RenderPlan(frozen);
  // A person reviewed it: the tag on a vault copy in the DR account.
  for (auto& s : w.At(kVault, kDrRegion).snapshots)
    if (naming::ParseNameView(s.id) && s.recovery_point == kDay)
      s.tags[std::string(kTagAnomalyCleared)] = "2026-12-07T11:59:00Z";
  Plan cleared = MakePlan(VaultSide(w.inv), Cfg(), kNow);
  EXPECT_FALSE(Deletes(cleared).empty()) << RenderPlan(cleared);
  EXPECT_FALSE(Mentions(cleared, "is frozen")) << RenderPlan(cleared);
}

// The executor's re-check right before a delete enforces the freeze too: a
// burst that appears between the plan and the delete (the production
// account acting while apply runs) stops every retention delete the plan
// made on the clean view.
TEST(VaultIntegrityTest, TheDeleteGuardRefusesRetentionDeletesWhileFrozen) {
  World w = NewWorld();
  w.Db("orders-db");
  for (int i = 0; i < 20; ++i) w.Vault("orders-db", kDay - days(i));
  Plan planned = MakePlan(VaultSide(w.inv), Cfg(), kNow);
  ASSERT_FALSE(Deletes(planned).empty()) << RenderPlan(planned);
  for (const Action* d : Deletes(planned))
    EXPECT_TRUE(DeleteGuard(VaultSide(w.inv), Cfg()).Check(*d).allowed());
  for (int i = 1; i <= 7; ++i) {
    TimePoint made = kNow - minutes(10 * i);
    Snapshot& c = w.Capture("orders-db", naming::NamePoint(made));
    c.create_time = c.recovery_point = made;
    SharedView(w, c);
  }
  const Inventory fresh = VaultSide(w.inv);
  const config::Config cfg = Cfg();
  DeleteGuard guard(fresh, cfg);
  for (const Action* d : Deletes(planned)) {
    DeleteVerdict v = guard.Check(*d);
    ASSERT_FALSE(v.allowed()) << d->snapshot_id;
    EXPECT_STREQ(SafetyRuleName(v.rule()), "S7") << v.ToString();
    EXPECT_THAT(v.sentence(), HasSubstr("drsnap clear-anomaly --db orders-db"));
  }
  // Reviewed: the guard lets retention act again.
  for (auto& s : w.At(kVault, kDrRegion).snapshots)
    if (naming::ParseNameView(s.id) && s.recovery_point == kDay)
      s.tags[std::string(kTagAnomalyCleared)] = "2026-12-07T11:59:00Z";
  const Inventory reviewed = VaultSide(w.inv);
  DeleteGuard after(reviewed, cfg);
  for (const Action* d : Deletes(planned)) EXPECT_TRUE(after.Check(*d).allowed()) << d->snapshot_id;
}

}  // namespace
}  // namespace drsnap::engine
