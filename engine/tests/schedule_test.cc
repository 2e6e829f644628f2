// Scarce-first scheduling (issue 18, engine/schedule.h): the rule as a
// table, the reordering of a plan, and the planner's plans under it (the
// order decides who gets the copy slots and the quota's room).
#include "engine/schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/planner.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kNow = T("2026-11-25T12:00:00Z");

TEST(ScheduleTest, WorkPriorityFromTheDeadline) {
  struct Row {
    const char* what;
    std::optional<TimePoint> deadline;
    bool scarce;
    int64_t hours;
  };
  const Row rows[] = {
      {"never vaulted", std::nullopt, false, 0},
      {"never vaulted, scarce", std::nullopt, true, 0},
      {"breached an hour ago", kNow - hours(1), false, 0},
      {"breaches now", kNow, false, 0},
      {"breaches in 59 minutes", kNow + minutes(59), false, 0},
      {"breaches in 61 minutes", kNow + minutes(61), false, 1},
      {"breaches in 25 hours", kNow + hours(25), true, 25},
  };
  for (const Row& r : rows) {
    WorkPriority p = MakeWorkPriority(r.deadline, kNow, r.scarce);
    EXPECT_EQ(p.hours_to_breach, r.hours) << r.what;
    EXPECT_EQ(p.scarce, r.scarce) << r.what;
  }
}

TEST(ScheduleTest, UrgencyFirstThenScarcity) {
  struct Row {
    WorkPriority a, b;
    bool a_first, b_first;
  };
  const WorkPriority due{0, false}, due_scarce{0, true}, later{3, false}, later_scarce{3, true};
  const WorkPriority due_big{0, false, 400}, due_small{0, false, 20};
  const WorkPriority later_big{3, false, 4000}, due_scarce_small{0, true, 1};
  const Row rows[] = {
      {due_scarce, due, true, false},      // equally urgent: scarce first
      {due, later_scarce, true, false},    // more urgent beats scarcer
      {later_scarce, later, true, false},  // equally urgent: scarce first
      {due, due, false, false},            // equal: neither (plan order decides)
      {due_scarce, due_scarce, false, false},
      {later, due_scarce, false, true},
      {due_big, due_small, true, false},         // equally urgent and scarce: larger first
      {due_small, later_big, true, false},       // more urgent beats larger
      {due_scarce_small, due_big, true, false},  // scarcer beats larger
      {due_big, due_big, false, false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(GoesBefore(r.a, r.b), r.a_first)
        << r.a.hours_to_breach << "/" << r.a.scarce << "/" << r.a.size_gb << " vs "
        << r.b.hours_to_breach << "/" << r.b.scarce << "/" << r.b.size_gb;
    EXPECT_EQ(GoesBefore(r.b, r.a), r.b_first);
  }
}

Action Act(Stage stage, const std::string& db, ActionKind kind = ActionKind::kCopySnapshot) {
  Action a;
  a.kind = kind;
  a.stage = stage;
  a.policy = std::string("p");
  a.db_id = db;
  a.snapshot_id = db + "-" + StageName(stage);
  return a;
}

std::vector<std::string> Order(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& a : p.actions)
    out.push_back(std::string(StageName(a.stage)) + ":" + a.db_id.str());
  return out;
}

TEST(ScheduleTest, OrderByPriorityKeepsStagesAndDeletes) {
  // "c" is scarce, "u" due now; "a" and "b" have time. Stages stay in
  // order, ties keep the plan's order, deletes do not move.
  Plan p;
  for (const char* db : {"a", "b", "c", "u"}) p.actions.push_back(Act(Stage::kCapture, db));
  for (const char* db : {"a", "c"}) p.actions.push_back(Act(Stage::kShare, db));
  for (const char* db : {"a", "b", "c", "u"}) p.actions.push_back(Act(Stage::kVault, db));
  for (const char* db : {"u", "a"})
    p.actions.push_back(Act(Stage::kExpire, db, ActionKind::kDeleteSnapshot));
  OrderByPriority(p, [](const Action& a) {
    if (a.db_id.str() == "c") return WorkPriority{5, true};
    if (a.db_id.str() == "u") return WorkPriority{0, false};
    return WorkPriority{5, false};
  });
  EXPECT_EQ(Order(p), (std::vector<std::string>{"capture:u", "capture:c", "capture:a", "capture:b",
                                                "share:c", "share:a", "vault:u", "vault:c",
                                                "vault:a", "vault:b", "expire:u", "expire:a"}));
}

// The capture stage's order of a plan.
std::vector<std::string> Captures(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& a : p.actions)
    if (a.stage == Stage::kCapture) out.push_back(a.db_id);
  return out;
}

TEST(ScheduleTest, AuroraClustersAreCapturedFirstWhenNothingIsVaulted) {
  // Nothing vaulted yet (all equally urgent): the clusters, whose vault
  // copies into eu-west-1 get 5 slots, go before the instances.
  World w;
  const TimePoint day = T("2026-11-25T04:10:00Z");
  for (const char* db : {"orders-a", "orders-b"}) {
    w.Db(db);
    w.Automated(db, day);
  }
  w.Db("orders-cl", DbKind::kCluster);
  w.Automated("orders-cl", day, DbKind::kCluster);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_EQ(Captures(p), (std::vector<std::string>{"orders-cl", "orders-a", "orders-b"}))
      << RenderPlan(p);
}

TEST(ScheduleTest, TheLargestDatabaseGoesFirstAmongEquals) {
  // Equally urgent instances: the largest (its copies take longest) first.
  World w;
  const TimePoint day = T("2026-11-25T04:10:00Z");
  const std::pair<const char*, int> dbs[] = {{"orders-a", 10}, {"orders-b", 500}, {"orders-c", 50}};
  for (const auto& [db, gb] : dbs) {
    w.Db(db).allocated_gb = gb;
    w.Automated(db, day);
  }
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_EQ(Captures(p), (std::vector<std::string>{"orders-b", "orders-c", "orders-a"}))
      << RenderPlan(p);
}

TEST(ScheduleTest, TheDatabaseClosestToBreachingGoesFirst) {
  // rpo 48h. orders-a's newest vault copy is of yesterday 04:10 (breaches
  // in 16h), orders-b's of the day before (breached): orders-b's capture
  // comes first, though its id sorts after.
  World w;
  const TimePoint today = T("2026-11-25T04:10:00Z");
  for (const char* db : {"orders-a", "orders-b"}) {
    w.Db(db);
    w.Automated(db, today);
  }
  w.Vault("orders-a", today - hours(24));
  w.Vault("orders-b", today - hours(48));
  w.Capture("orders-a", today - hours(24));
  w.Capture("orders-b", today - hours(48));
  Plan p = MakePlan(w.inv, StandardConfig("automated", "48h"), kNow);
  EXPECT_EQ(Captures(p), (std::vector<std::string>{"orders-b", "orders-a"})) << RenderPlan(p);
}

TEST(ScheduleTest, TheQuotaGoesToTheMostUrgentFirst) {
  // Room for one capture: the database closest to breaching gets it.
  World w;
  const TimePoint today = T("2026-11-25T04:10:00Z");
  for (const char* db : {"orders-a", "orders-b"}) {
    w.Db(db);
    w.Automated(db, today);
  }
  w.Vault("orders-a", today - hours(24));
  w.Vault("orders-b", today - hours(48));
  w.At(kProd, kSrcRegion).snapshot_quota[0] = ScopeInventory::SnapshotQuota{99, 100};
  Plan p = MakePlan(w.inv, StandardConfig("automated", "48h"), kNow);
  EXPECT_EQ(Captures(p), (std::vector<std::string>{"orders-b"})) << RenderPlan(p);
}

TEST(ScheduleTest, VaultCopiesOfClustersComeFirst) {
  // Captures of both shared and available: the cluster's hop (its way to
  // the 5 cross-region cluster slots) comes before the instances' copies.
  World w;
  const TimePoint day = T("2026-11-25T04:10:00Z");
  w.Db("orders-a");
  w.Automated("orders-a", day);
  w.Capture("orders-a", day);
  w.Db("orders-cl", DbKind::kCluster);
  w.Automated("orders-cl", day, DbKind::kCluster);
  w.Capture("orders-cl", day, SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kCluster);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  std::vector<std::string> vault;
  for (const auto& a : p.actions)
    if (a.stage == Stage::kVault) vault.push_back(a.db_id);
  EXPECT_EQ(vault, (std::vector<std::string>{"orders-cl", "orders-a"})) << RenderPlan(p);
}

}  // namespace
}  // namespace drsnap::engine
