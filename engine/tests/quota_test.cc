// Checks before acting: the manual snapshot quota (issue: truth under
// failure, case 5). A plan never proposes more snapshots in a scope than
// its quota has room for; what does not fit is an error finding with the
// quota's use, not a call AWS refuses on every reconcile.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/planner.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using ::testing::HasSubstr;

const TimePoint kNow = T("2026-11-25T12:00:00Z");
const TimePoint kDay = T("2026-11-25T04:10:00Z");

int Creates(const Plan& p, const Scope& scope) {
  int n = 0;
  for (const auto& a : p.actions)
    n += (a.kind == ActionKind::kCopySnapshot || a.kind == ActionKind::kCreateSnapshot) &&
         a.scope == scope;
  return n;
}

TEST(QuotaTest, CapturesBeyondTheQuotaAreHeldBackWithAFinding) {
  // The policy keeps a capture per database (keep_newest set), so its
  // captures never make room: what does not fit is an error.
  // (transient_capture_test.cc: left unset, they come in waves.)
  auto StandardConfig = [] { return testutil::StandardConfig("automated\n      keep_newest: 1"); };
  World w;
  for (const char* db : {"orders-a", "orders-b", "orders-c"}) {
    w.Db(db);
    w.Automated(db, kDay);
  }
  const Scope source{kProd, kSrcRegion};
  Plan unlimited = MakePlan(w.inv, StandardConfig(), kNow);
  ASSERT_EQ(Creates(unlimited, source), 3) << RenderPlan(unlimited);

  w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{99, 100};
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_EQ(Creates(p, source), 1) << RenderPlan(p);
  bool found = false;
  for (const auto& f : p.findings)
    if (f.severity == Finding::Severity::kError && f.scope == source) {
      found = true;
      EXPECT_THAT(f.message, HasSubstr("99 of 100 used"));
      EXPECT_THAT(f.message, HasSubstr("2 snapshot(s)"));
    }
  EXPECT_TRUE(found) << RenderPlan(p);

  // The cluster quota is its own: a full instance quota holds back no
  // cluster snapshot.
  w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{100, 100};
  w.Db("orders-cl", DbKind::kCluster);
  w.Automated("orders-cl", kDay, DbKind::kCluster);
  Plan q = MakePlan(w.inv, StandardConfig(), kNow);
  int cluster = 0, instance = 0;
  for (const auto& a : q.actions)
    if (a.scope == source && a.kind == ActionKind::kCopySnapshot)
      ++(a.db_kind == DbKind::kCluster ? cluster : instance);
  EXPECT_EQ(instance, 0) << RenderPlan(q);
  EXPECT_EQ(cluster, 1) << RenderPlan(q);
}

// A capture is made only to be vaulted. When the quota of every target is
// full (the DR account keeps a week of copies of every database, and its
// quota is AWS's default), no vault copy can be made: a capture would only
// take room in the production account's own quota, for as long as the
// target stays full. It is held back, with an error naming the target's
// quota; as soon as the target has room (a delete in the same plan counts),
// captures resume.
TEST(QuotaTest, NoCaptureWhileEveryTargetsQuotaIsFull) {
  World w;
  for (const char* db : {"orders-a", "orders-b"}) {
    w.Db(db);
    w.Automated(db, kDay - std::chrono::hours(24));
    w.Automated(db, kDay);
    w.Vault(db, kDay - std::chrono::hours(24));  // yesterday's, kept by daily: 7
  }
  const Scope source{kProd, kSrcRegion}, target{kVault, kDrRegion};
  w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{0, 100};
  w.At(kVault, kDrRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{100, 100};
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_EQ(Creates(p, source), 0) << RenderPlan(p);
  bool found = false;
  for (const auto& f : p.findings)
    if (f.severity == Finding::Severity::kError && f.scope == target &&
        f.message.find("2 capture(s)") != std::string::npos) {
      found = true;
      EXPECT_THAT(f.message, HasSubstr("100 of 100 used"));
      EXPECT_THAT(f.message, HasSubstr("Manual DB instance snapshots"));
    }
  EXPECT_TRUE(found) << RenderPlan(p);

  // Room for one more copy in the target: both are captured (the copies
  // wait for room there, held back as any copy over a quota).
  w.At(kVault, kDrRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{99, 100};
  Plan room = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_EQ(Creates(room, source), 2) << RenderPlan(room);

  // The target's quota unknown (not reported): captured as before.
  w.At(kVault, kDrRegion).snapshot_quota[0].reset();
  Plan unknown = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_EQ(Creates(unknown, source), 2) << RenderPlan(unknown);
}

// Before a target fills: the copies retention keeps at steady state (at
// least the largest tier's count per database: each tier keeps N distinct
// points once there is history) do not fit the target's quota with what
// else is there. A warning while there is still room, so that the quota is
// raised before vault copies are held back and pairs breach.
TEST(QuotaTest, ATargetWhoseQuotaCannotHoldWhatRetentionKeepsIsAWarningBeforeItFills) {
  struct Row {
    const char* what;
    std::string retention;
    long long used, max;  // the target's instance quota (-1: not read)
    bool warned;
  };
  // Two databases; the target holds 3 snapshots that are not drsnap's.
  const Row rows[] = {
      {"daily 7: 2 x 7 + 3 = 17 of 20 fit", "{daily: 7}", 3, 20, false},
      {"daily 7: 2 x 7 + 3 = 17 > 16", "{daily: 7}", 3, 16, true},
      {"daily 7, weekly 4, monthly 12: at least 12 each, 27 > 20",
       "{daily: 7, weekly: 4, monthly: 12}", 3, 20, true},
      {"quota not read", "{daily: 7}", -1, -1, false},
  };
  for (const Row& r : rows) {
    World w;
    for (const char* db : {"orders-a", "orders-b"}) {
      w.Db(db);
      w.Automated(db, kDay);
    }
    if (r.max >= 0)
      w.At(kVault, kDrRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{r.used, r.max};
    Plan p = MakePlan(w.inv, testutil::StandardConfig("automated", "24h", r.retention), kNow);
    int warnings = 0;
    for (const auto& f : p.findings)
      if (f.severity == Finding::Severity::kWarning &&
          f.message.find("at steady state") != std::string::npos) {
        ++warnings;
        EXPECT_THAT(f.message, HasSubstr(Scope{kVault, kDrRegion}.ToString())) << r.what;
        EXPECT_THAT(f.message, HasSubstr("raise the quota")) << r.what;
      }
    EXPECT_EQ(warnings, r.warned ? 1 : 0) << r.what << "\n" << RenderPlan(p);
    // Nothing is held back while there is room.
    EXPECT_EQ(p.held_back.size(), 0u) << r.what;
  }
}

}  // namespace
}  // namespace drsnap::engine
