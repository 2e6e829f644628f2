// A run narrowed to one database (an event named it: the Lambda function's
// fast path) while the source scope's manual snapshot quota binds. The
// planner spends the quota's room in plan order, most urgent first
// (engine/schedule.h); cutting that plan to the event's database afterwards
// would issue nothing when the room went to another database: the room
// stays unused until the next full run, however urgent that work is. Such a
// run runs every database instead, and says why (issue 18).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/clock.h"
#include "engine/fake_cloud.h"
#include "engine/reconcile.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;

const TimePoint kNow = T("2026-11-25T04:30:00Z");
const TimePoint kDay = T("2026-11-25T04:10:00Z");

// orders-a and orders-b each have today's automated snapshot and no
// capture; the source scope has room for `room` more manual snapshots.
World TwoDue(long long room) {
  World w;
  for (const char* db : {"orders-a", "orders-b"}) {
    w.Db(db);
    w.Automated(db, kDay);
  }
  w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{100 - room, 100};
  return w;
}

class NarrowedRunTest : public ::testing::Test {
 protected:
  Reconciler MakeReconciler() {
    return Reconciler(std::make_shared<FakeCloud>(), StandardConfig(),
                      std::make_shared<FakeClock>(kNow));
  }
};

TEST_F(NarrowedRunTest, RunsEveryDatabaseWhenTheRoomWentToAnother) {
  World w = TwoDue(1);
  Reconciler rec = MakeReconciler();
  Plan full = rec.PlanFor(w.inv);
  // Room for one capture: exactly one of the two got it.
  ASSERT_EQ(CapturesOf(full, "orders-a") + CapturesOf(full, "orders-b"), 1) << RenderPlan(full);
  const std::string given = CapturesOf(full, "orders-a") == 1 ? "orders-a" : "orders-b";
  const std::string waiting = given == "orders-a" ? "orders-b" : "orders-a";

  // The event names the database that waits: the capture the room went to
  // is issued now, not at the next full run.
  std::string widened;
  Plan p = rec.PlanFor(w.inv, waiting, Side::kAll, &widened);
  EXPECT_EQ(CapturesOf(p, given), 1) << RenderPlan(p);
  EXPECT_EQ(CapturesOf(p, waiting), 0) << RenderPlan(p);
  EXPECT_NE(widened.find(waiting), std::string::npos) << widened;
  EXPECT_NE(widened.find("quota"), std::string::npos) << widened;
}

TEST_F(NarrowedRunTest, StaysNarrowWhileItsOwnWorkFitsOrNobodyElseTookTheRoom) {
  Reconciler rec = MakeReconciler();
  {
    // Room for both: the narrowed run issues its own capture only.
    World w = TwoDue(2);
    std::string widened;
    Plan p = rec.PlanFor(w.inv, "orders-b", Side::kAll, &widened);
    EXPECT_EQ(CapturesOf(p, "orders-b"), 1) << RenderPlan(p);
    EXPECT_EQ(CapturesOf(p, "orders-a"), 0) << RenderPlan(p);
    EXPECT_EQ(widened, "");
  }
  {
    // No room at all: nobody else's work took it, a full run would issue
    // no capture either: stay narrow (and report the quota).
    World w = TwoDue(0);
    std::string widened;
    Plan p = rec.PlanFor(w.inv, "orders-b", Side::kAll, &widened);
    EXPECT_EQ(CapturesOf(p, "orders-a") + CapturesOf(p, "orders-b"), 0) << RenderPlan(p);
    EXPECT_EQ(widened, "");
    bool quota_finding = false;
    for (const auto& f : p.findings)
      quota_finding |= f.message.find("snapshot quota") != std::string::npos;
    EXPECT_TRUE(quota_finding) << RenderPlan(p);
  }
}

TEST_F(NarrowedRunTest, RunOnceReportsTheWidenedRun) {
  // The same through RunOnce against a FakeCloud whose quota has room for
  // one more manual snapshot.
  auto cloud = std::make_shared<FakeCloud>();
  auto clock = std::make_shared<FakeClock>(kNow);
  cloud->SetNow(kNow);
  const Scope prod{kProd, kSrcRegion};
  for (const char* id : {"orders-a", "orders-b"}) {
    Database db;
    db.id = id;
    db.scope = prod;
    db.engine = "postgres";
    db.status = "available";
    db.encrypted = true;
    db.kms_key_id = kCustomerKey;
    db.backup_retention_days = 7;
    cloud->AddDatabase(db);
    Snapshot s;
    s.id = std::string("rds:") + id + "-2026-11-25-04-10";
    s.scope = prod;
    s.db_id = id;
    s.type = SnapshotType::kAutomated;
    s.status = SnapshotStatus::kAvailable;
    s.create_time = kDay;
    s.encrypted = true;
    s.kms_key_id = kCustomerKey;
    s.engine = "postgres";
    cloud->AddSnapshot(s);
  }
  // No manual snapshot there yet: room for exactly one.
  cloud->SetSnapshotQuotas(prod, 1, 100);
  Reconciler rec(cloud, StandardConfig(), clock);
  ReconcileOptions opt;
  opt.only_db = "orders-b";
  // A person asked for orders-b alone (drsnap apply --db): only orders-b.
  ReconcileReport alone = rec.RunOnce(opt);
  EXPECT_EQ(alone.apply.results.size(), 0u) << alone.Summary();
  EXPECT_EQ(alone.widened, "");
  // An event named it: the room goes to orders-a now.
  opt.only_db_may_widen = true;
  ReconcileReport r = rec.RunOnce(opt);
  EXPECT_EQ(r.apply.Count(Outcome::kDone), 1) << r.Summary();
  ASSERT_EQ(r.plan.actions.size(), 1u);
  EXPECT_EQ(r.plan.actions[0].db_id, "orders-a");
  EXPECT_FALSE(r.widened.empty());
}

}  // namespace
}  // namespace drsnap::engine
