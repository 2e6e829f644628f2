// Converging under AWS's default quotas (issue 18): when a source scope's
// manual snapshot quota binds, captures are kept only until every target
// vaulted them (unless the policy sets keep_newest), so that its room
// serves the next wave; keep_newest: 0 does the same always. A point
// vaulted everywhere is not captured again once its capture is gone.
#include <gtest/gtest.h>

#include <string>

#include "engine/planner.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;

const TimePoint kNow = T("2026-11-25T12:00:00Z");
const TimePoint kDay = T("2026-11-25T04:10:00Z");

int Deletes(const Plan& p, const std::string& id) {
  int n = 0;
  for (const auto& a : p.actions) n += a.kind == ActionKind::kDeleteSnapshot && a.snapshot_id == id;
  return n;
}

// orders-a captured and vaulted today; orders-b not captured yet; two
// manual snapshots of someone else's in the source scope.
World Vaulted() {
  World w;
  for (const char* db : {"orders-a", "orders-b"}) {
    w.Db(db);
    w.Automated(db, kDay);
  }
  w.Capture("orders-a", kDay);
  w.Vault("orders-a", kDay);
  w.Manual("theirs-1", "orders-a");
  w.Manual("theirs-2", "orders-b");
  return w;
}

TEST(TransientCaptureTest, AVaultedCaptureGoesWhenTheQuotaBinds) {
  struct Row {
    const char* what;
    long long used, max;  // the source scope's instance quota
    std::string source;   // StandardConfig's `from: ...` and what follows
    bool deleted;
  };
  // used: 2 of theirs + 1 capture. One capture per database (2) and
  // theirs (2) need 4.
  const Row rows[] = {
      {"binds (3 of 3 used)", 3, 3, "automated", true},
      {"does not bind (3 of 4: theirs and a capture per database fit)", 3, 4, "automated", false},
      {"does not bind (3 of 5)", 3, 5, "automated", false},
      {"no quota read", -1, -1, "automated", false},
      {"binds, but keep_newest: 1 is the policy's", 3, 3, "automated\n      keep_newest: 1", false},
      {"keep_newest: 0, no quota read", -1, -1, "automated\n      keep_newest: 0", true},
  };
  for (const Row& r : rows) {
    World w = Vaulted();
    if (r.max >= 0)
      w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{r.used, r.max};
    Plan p = MakePlan(w.inv, StandardConfig(r.source), kNow);
    EXPECT_EQ(Deletes(p, naming::CaptureName("orders-a", kDay)), r.deleted ? 1 : 0)
        << r.what << "\n"
        << RenderPlan(p);
    // Never captured again: its point is vaulted.
    EXPECT_EQ(CapturesOf(p, "orders-a"), 0) << r.what;
  }
}

TEST(TransientCaptureTest, CapturesWaitingForTheNextWaveAreAWarning) {
  // Room for one of two captures while the quota binds: the other waits
  // for the next wave; that is expected, not an error (plan and apply exit
  // 0). With keep_newest set, the same is an error.
  for (bool keep : {false, true}) {
    World w;
    for (const char* db : {"orders-a", "orders-b"}) {
      w.Db(db);
      w.Automated(db, kDay);
    }
    w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{99, 100};
    Plan p = MakePlan(w.inv, StandardConfig(keep ? "automated\n      keep_newest: 1" : "automated"),
                      kNow);
    int errors = 0, waves = 0;
    for (const auto& f : p.findings) {
      errors += f.severity == Finding::Severity::kError;
      waves += f.severity == Finding::Severity::kWarning &&
               f.message.find("1 capture(s) wait for the next wave") != std::string::npos;
    }
    EXPECT_EQ(errors, keep ? 1 : 0) << RenderPlan(p);
    EXPECT_EQ(waves, keep ? 0 : 1) << RenderPlan(p);
  }
}

TEST(TransientCaptureTest, NotBeforeEveryTargetVaultedIt) {
  // Two target regions, one still copying: the capture stays.
  World w = Vaulted();
  w.At(kVault, "eu-central-1");
  w.Vault("orders-a", kDay, SnapshotStatus::kCopying, kVault, "eu-central-1");
  w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{3, 3};
  config::Config c = StandardConfig("automated", "24h", "{daily: 7}", R"(
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:222222222222:key/dr}
)");
  Plan p = MakePlan(w.inv, c, kNow);
  EXPECT_EQ(Deletes(p, naming::CaptureName("orders-a", kDay)), 0) << RenderPlan(p);
}

TEST(TransientCaptureTest, AGoneCaptureOfAVaultedPointIsNotMadeAgain) {
  // keep_newest: 0 deleted the capture: the automated snapshot of the
  // vaulted point is not captured again (it would be, every run).
  World w;
  w.Db("orders-a");
  w.Automated("orders-a", kDay);
  w.Vault("orders-a", kDay);
  Plan p = MakePlan(w.inv, StandardConfig("automated\n      keep_newest: 0"), kNow);
  EXPECT_EQ(CapturesOf(p, "orders-a"), 0) << RenderPlan(p);

  // A newer automated snapshot is captured.
  w.Automated("orders-a", kDay + std::chrono::hours(24));
  Plan next = MakePlan(w.inv, StandardConfig("automated\n      keep_newest: 0"),
                       kNow + std::chrono::hours(24));
  EXPECT_EQ(CapturesOf(next, "orders-a"), 1) << RenderPlan(next);
}

TEST(TransientCaptureTest, FromSnapshotIsFreshWhileItsVaultCopyIs) {
  // from: snapshot, rpo 4h (due after 3h36m): the capture is gone, the
  // point is vaulted 1h ago: nothing is due; 5h ago: a snapshot is due.
  const std::string source = "snapshot\n      keep_newest: 0";
  for (int age_hours : {1, 5}) {
    World w;
    w.Db("orders-a");
    w.Vault("orders-a", kNow - std::chrono::hours(age_hours));
    Plan p = MakePlan(w.inv, StandardConfig(source, "4h"), kNow);
    EXPECT_EQ(CapturesOf(p, "orders-a"), age_hours == 1 ? 0 : 1)
        << "vaulted " << age_hours << "h ago\n"
        << RenderPlan(p);
  }
}

}  // namespace
}  // namespace drsnap::engine
