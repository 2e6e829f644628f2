// Restore drills (engine/verify.h): the pure drill planner as table-like
// cases over built inventories, the safety rule on deletes, and the
// plan -> apply cycle over FakeCloud, including a run killed half-way.
#include "engine/verify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/time_util.h"
#include "engine/fake_cloud.h"
#include "engine/observe.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine::verify {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;
using testutil::kProd;
using testutil::kVault;
using testutil::T;

const Scope kTarget{kVault, "eu-west-1"};
const Scope kTarget2{kVault, "us-west-2"};

config::Config VerifyConfig(const std::string& verify =
                                "{instance_class: db.t3.micro, "
                                "subnet_group: dr-subnets, "
                                "security_groups: [sg-1234]}") {
  return testutil::MustConfig(R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["orders*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets:
      - account: vault
        regions:
          eu-west-1: {kms_key: arn:aws:kms:eu-west-1:222222222222:key/dr, verify: )" +
                              verify + R"(}
          us-west-2: {kms_key: arn:aws:kms:us-west-2:222222222222:key/dr}
)");
}

// A drill database as drsnap makes it (RestoreFromSnapshot with the plan's tags).
Database& Drill(testutil::World& w, const std::string& db, TimePoint point,
                const std::string& status, TimePoint started, DbKind kind = DbKind::kInstance) {
  Database& d = w.Db(DrillName(db, point), kind, kVault, "eu-west-1");
  d.status = status;
  d.tags = {{naming::kTagManaged, "true"},
            {naming::kTagPolicy, "orders"},
            {naming::kTagDb, db},
            {naming::kTagSourceAccount, kProd},
            {kTagVerify, naming::VaultName(kProd, db, point)},
            {kTagVerifyStarted, FormatIso8601Seconds(started)}};
  return d;
}

DrillOptions At(TimePoint now, TimePoint run_started = {}) {
  DrillOptions o;
  o.now = now;
  o.run_started = run_started == TimePoint{} ? now : run_started;
  return o;
}

std::vector<std::string> Describe(const DrillPlan& plan) {
  std::vector<std::string> out;
  for (const auto& a : plan.actions) out.push_back(a.Describe());
  return out;
}

// ------------------------------------------------------------------ names

TEST(DrillNameTest, DeterministicValidAndShort) {
  EXPECT_EQ(DrillName("orders", T("2026-11-24T04:10:33Z")), "drsnap-verify-orders-202611240410");
  std::string long_id(63, 'a');
  std::string name = DrillName(long_id, T("2026-11-24T04:10:00Z"));
  EXPECT_LE(name.size(), 63u);
  EXPECT_TRUE(name.starts_with("drsnap-verify-a"));
  EXPECT_TRUE(naming::IsValidSnapshotId(DbKind::kCluster, name)) << name;  // same grammar
  EXPECT_EQ(name, DrillName(long_id, T("2026-11-24T04:10:59Z")));
}

TEST(IsDrillDatabaseTest, NeedsNameAndTags) {
  struct Case {
    std::string id;
    Tags tags;
    bool want;
  };
  const Tags ours{{naming::kTagManaged, "true"}, {kTagVerify, "drsnap-222-x"}};
  const std::vector<Case> cases = {
      {"drsnap-verify-orders-202611240410", ours, true},
      {"drsnap-verify-orders-202611240410", {}, false},                               // name only
      {"drsnap-verify-orders-202611240410", {{naming::kTagManaged, "true"}}, false},  // no verify
      {"drsnap-verify-orders-202611240410",
       {{naming::kTagManaged, "false"}, {kTagVerify, "x"}},
       false},
      {"drsnap-verify-orders-202611240410",
       {{naming::kTagManaged, "true"}, {kTagVerify, ""}},
       false},
      {"orders", ours, false},                // tags only
      {"drsnap-orders-verify", ours, false},  // look-alike name
      {"drsnap-verify-", ours, false},
  };
  for (const auto& c : cases) {
    Database d;
    d.id = c.id;
    d.tags = c.tags;
    EXPECT_EQ(IsDrillDatabase(d), c.want) << c.id;
  }
}

TEST(TagValueTest, KeepsAllowedCharactersOnly) {
  EXPECT_EQ(TagValue("restored in 12m (status: ok), 100%"), "restored in 12m  status: ok   100 ");
  EXPECT_EQ(TagValue(std::string(300, 'x')).size(), 256u);
  EXPECT_EQ(TagValue("a-b_c.d:e/f=g+h@i"), "a-b_c.d:e/f=g+h@i");
}

// ------------------------------------------------------------------ planner

TEST(PlanDrillsTest, StartsWithTheNewestAvailableVaultCopy) {
  testutil::World w;
  TimePoint now = w.inv.observed_at;
  w.At(kVault, "us-west-2");
  w.Vault("orders", T("2026-11-23T04:10:00Z"));
  w.Vault("orders", T("2026-11-24T04:10:00Z"));
  w.Vault("orders", T("2026-11-25T04:10:00Z"), SnapshotStatus::kCopying);  // not yet
  w.Vault("orders", T("2026-11-24T04:10:00Z"), SnapshotStatus::kAvailable, kVault, "us-west-2");
  DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), At(now));
  ASSERT_EQ(plan.actions.size(), 1u) << ::testing::PrintToString(Describe(plan));
  const DrillAction& a = plan.actions[0];
  EXPECT_EQ(a.kind, DrillActionKind::kRestore);
  EXPECT_EQ(a.scope, kTarget);  // us-west-2 has no verify block
  EXPECT_EQ(a.snapshot_id, naming::VaultName(kProd, "orders", T("2026-11-24T04:10:00Z")));
  EXPECT_EQ(a.drill_id, "drsnap-verify-orders-202611240410");
  EXPECT_EQ(a.restore.db_id, a.drill_id);
  EXPECT_EQ(a.restore.snapshot_id, a.snapshot_id);
  EXPECT_EQ(a.restore.instance_class, "db.t3.micro");
  EXPECT_EQ(a.restore.subnet_group, "dr-subnets");
  EXPECT_EQ(a.restore.security_groups, (std::vector<std::string>{"sg-1234"}));
  EXPECT_EQ(a.restore.tags.at(naming::kTagManaged), "true");
  EXPECT_EQ(a.restore.tags.at(naming::kTagDb), "orders");
  EXPECT_EQ(a.restore.tags.at(naming::kTagPolicy), "orders");
  EXPECT_EQ(a.restore.tags.at(kTagVerify), a.snapshot_id);
  EXPECT_EQ(a.restore.tags.at(kTagVerifyStarted), "2026-11-25T12:00:00Z");
  ASSERT_EQ(plan.drills.size(), 1u);
  EXPECT_EQ(plan.drills[0].phase, DrillPhase::kStarting);
  EXPECT_TRUE(plan.InProgress());
}

TEST(PlanDrillsTest, EachPhaseOfARunningDrill) {
  const TimePoint point = T("2026-11-24T04:10:00Z");
  const TimePoint now = T("2026-11-25T12:00:00Z");
  struct Case {
    std::string name;
    std::string status;
    TimePoint started;
    DrillPhase phase;
    std::vector<std::string> actions;
    std::string detail;  // of the record action
  };
  const std::string snap = naming::VaultName(kProd, "orders", point);
  const std::string drill = DrillName("orders", point);
  const std::string record_ok = "record 222222222222/eu-west-1 " + snap + " ok";
  const std::string record_failed = "record 222222222222/eu-west-1 " + snap + " failed";
  const std::string del = "delete 222222222222/eu-west-1 " + drill;
  const std::vector<Case> cases = {
      {"creating", "creating", now - minutes(20), DrillPhase::kRunning, {}, ""},
      {"modifying", "modifying", now - minutes(20), DrillPhase::kRunning, {}, ""},
      {"available",
       "available",
       now - minutes(25),
       DrillPhase::kPassed,
       {record_ok, del},
       "restored in 25m"},
      {"incompatible",
       "incompatible-restore",
       now - minutes(40),
       DrillPhase::kFailed,
       {record_failed, del},
       "the restore ended in status incompatible-restore after 40m"},
      {"failed",
       "failed",
       now - minutes(5),
       DrillPhase::kFailed,
       {record_failed, del},
       "the restore ended in status failed after 5m"},
      {"timeout",
       "creating",
       now - hours(2),
       DrillPhase::kFailed,
       {record_failed, del},
       "not available after 2h  status creating  timeout 2h "},
      // The old drill of this very point is on its way out: wait for it.
      {"deleting", "deleting", now - hours(1), DrillPhase::kRunning, {}, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    testutil::World w;
    w.Vault("orders", point);
    Drill(w, "orders", point, c.status, c.started);
    DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), At(now));
    EXPECT_EQ(Describe(plan), c.actions);
    ASSERT_EQ(plan.drills.size(), 1u);
    EXPECT_EQ(plan.drills[0].phase, c.phase);
    if (!c.detail.empty()) {
      EXPECT_EQ(plan.actions[0].detail, c.detail);
      EXPECT_EQ(plan.actions[0].tags.at(kTagVerifyDetail), c.detail);
      EXPECT_EQ(plan.actions[0].tags.at(kTagVerifiedAt), "2026-11-25T12:00:00Z");
      EXPECT_EQ(plan.actions[0].snapshot_arn, w.inv.Find(kTarget)->snapshots[0].arn);
    }
  }
}

TEST(PlanDrillsTest, AResultAlreadyRecordedIsNotRecordedAgain) {
  // A run killed between record and delete: the next one only deletes.
  const TimePoint point = T("2026-11-24T04:10:00Z");
  const TimePoint now = T("2026-11-25T12:00:00Z");
  testutil::World w;
  Snapshot& s = w.Vault("orders", point);
  s.tags[kTagVerifiedAt] = "2026-11-25T11:50:00Z";
  s.tags[kTagVerifyResult] = "ok";
  s.tags[kTagVerifyDetail] = "restored in 20m";
  Drill(w, "orders", point, "available", now - minutes(30));
  DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), At(now));
  EXPECT_EQ(Describe(plan), (std::vector<std::string>{"delete 222222222222/eu-west-1 " +
                                                      DrillName("orders", point)}));
  EXPECT_EQ(plan.drills[0].phase, DrillPhase::kPassed);
}

TEST(PlanDrillsTest, ScheduleForceAndThisRunsResult) {
  const TimePoint point = T("2026-11-24T04:10:00Z");
  const TimePoint now = T("2026-11-25T12:00:00Z");
  auto world = [&](const std::string& verified_at, const std::string& result) {
    testutil::World w;
    Snapshot& s = w.Vault("orders", point);
    s.tags[kTagVerifiedAt] = verified_at;
    s.tags[kTagVerifyResult] = result;
    s.tags[kTagVerifyDetail] = "detail";
    return w;
  };
  const std::string every7 = "{every: 7d}";
  {  // verified a day ago, every 7d: not due
    testutil::World w = world("2026-11-24T12:00:00Z", "ok");
    DrillPlan plan = PlanDrills(w.inv, VerifyConfig(every7), At(now));
    EXPECT_TRUE(plan.actions.empty());
    ASSERT_EQ(plan.drills.size(), 1u);
    EXPECT_EQ(plan.drills[0].phase, DrillPhase::kNotDue);
    ASSERT_TRUE(plan.drills[0].last.has_value());
    EXPECT_TRUE(plan.drills[0].last->ok);
    EXPECT_THAT(plan.drills[0].message, HasSubstr("next after 2026-12-01T12:00:00Z"));
    // --force drills anyway.
    DrillOptions forced = At(now);
    forced.force = true;
    EXPECT_EQ(PlanDrills(w.inv, VerifyConfig(every7), forced).actions.size(), 1u);
  }
  {  // verified 8 days ago: due
    testutil::World w = world("2026-11-17T12:00:00Z", "failed");
    EXPECT_EQ(PlanDrills(w.inv, VerifyConfig(every7), At(now)).actions.size(), 1u);
  }
  {  // no `every`: due on every run, but only once per run
    testutil::World w = world("2026-11-25T11:00:00Z", "ok");
    EXPECT_EQ(PlanDrills(w.inv, VerifyConfig("{}"), At(now)).actions.size(), 1u);
    DrillPlan plan = PlanDrills(w.inv, VerifyConfig("{}"), At(now, T("2026-11-25T10:00:00Z")));
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_EQ(plan.drills[0].phase, DrillPhase::kPassed);
    EXPECT_FALSE(plan.InProgress());
    // --force does not start a second drill in the same run either.
    DrillOptions forced = At(now, T("2026-11-25T10:00:00Z"));
    forced.force = true;
    EXPECT_TRUE(PlanDrills(w.inv, VerifyConfig("{}"), forced).actions.empty());
  }
}

TEST(PlanDrillsTest, NoAvailableCopyIsReported) {
  testutil::World w;
  w.Vault("orders", T("2026-11-25T04:10:00Z"), SnapshotStatus::kCopying);
  DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), At(w.inv.observed_at));
  EXPECT_TRUE(plan.actions.empty());
  ASSERT_EQ(plan.drills.size(), 1u);
  EXPECT_EQ(plan.drills[0].phase, DrillPhase::kNoCopy);
}

TEST(PlanDrillsTest, AnIncompleteTargetGetsNoActionsAtAll) {
  const TimePoint point = T("2026-11-24T04:10:00Z");
  testutil::World w;
  w.Vault("orders", point);
  Drill(w, "orders", point, "available", w.inv.observed_at - minutes(30));
  w.At(kVault, "eu-west-1").complete = false;
  w.At(kVault, "eu-west-1").error = "Throttling";
  DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), At(w.inv.observed_at));
  EXPECT_TRUE(plan.actions.empty());
  ASSERT_EQ(plan.drills.size(), 1u);
  EXPECT_EQ(plan.drills[0].phase, DrillPhase::kIncomplete);
}

TEST(PlanDrillsTest, FiltersByDatabaseAndTarget) {
  testutil::World w;
  w.Vault("orders", T("2026-11-24T04:10:00Z"));
  w.Vault("orders-eu", T("2026-11-24T04:10:00Z"));
  DrillOptions o = At(w.inv.observed_at);
  EXPECT_EQ(PlanDrills(w.inv, VerifyConfig(), o).actions.size(), 2u);
  o.db_id = "orders-eu";
  DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), o);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].db_id, "orders-eu");
  o.db_id = "";
  o.target = kTarget2;
  EXPECT_TRUE(PlanDrills(w.inv, VerifyConfig(), o).drills.empty());
  EXPECT_TRUE(DrillScopes(VerifyConfig(), o).empty());
  o.target.reset();
  EXPECT_EQ(DrillScopes(VerifyConfig(), o), (std::vector<Scope>{kTarget}));
}

TEST(PlanDrillsTest, ClustersAreRestoredWithTheirEngineAndNoInstanceClass) {
  testutil::World w;
  Snapshot& s = w.Vault("orders-aurora", T("2026-11-24T04:10:00Z"), SnapshotStatus::kAvailable,
                        kVault, "eu-west-1", 0, DbKind::kCluster);
  s.engine = "aurora-postgresql";
  DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), At(w.inv.observed_at));
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].restore.kind, DbKind::kCluster);
  EXPECT_EQ(plan.actions[0].restore.engine, "aurora-postgresql");
  EXPECT_EQ(plan.actions[0].restore.instance_class, "");
}

TEST(PlanDrillsTest, NeverPlansToDeleteWhatIsNotADrillDatabase) {
  const TimePoint point = T("2026-11-24T04:10:00Z");
  const TimePoint now = T("2026-11-25T12:00:00Z");
  testutil::World w;
  w.Vault("orders", point);
  // The drill name without drsnap's tags (someone else's), a drill-tagged
  // database with another name, and a real drill of another policy.
  Database& lookalike = w.Db(DrillName("orders", point), DbKind::kInstance, kVault, "eu-west-1");
  lookalike.status = "available";
  Database& renamed = Drill(w, "orders", T("2026-11-23T04:10:00Z"), "available", now - hours(1));
  renamed.id = "orders-restore-test";
  Database& other = Drill(w, "orders", T("2026-11-22T04:10:00Z"), "available", now - hours(1));
  other.tags[naming::kTagPolicy] = "billing";
  DrillPlan plan = PlanDrills(w.inv, VerifyConfig(), At(now));
  for (const auto& a : plan.actions) EXPECT_NE(a.kind, DrillActionKind::kDelete) << a.Describe();
}

// ------------------------------------------------------------------ last verification

TEST(LastVerificationTest, TheNewestResultOfOurCopies) {
  testutil::World w;
  Snapshot& a = w.Vault("orders", T("2026-11-23T04:10:00Z"));
  a.tags[kTagVerifiedAt] = "2026-11-23T10:00:00Z";
  a.tags[kTagVerifyResult] = "ok";
  Snapshot& b = w.Vault("orders", T("2026-11-24T04:10:00Z"));
  b.tags[kTagVerifiedAt] = "2026-11-24T10:00:00Z";
  b.tags[kTagVerifyResult] = "failed";
  b.tags[kTagVerifyDetail] = "the restore ended in status incompatible-restore after 5m";
  w.Vault("orders", T("2026-11-25T04:10:00Z"));  // newer, never verified
  // Another database's copy with a newer result does not count.
  Snapshot& c = w.Vault("orders-eu", T("2026-11-25T04:10:00Z"));
  c.tags[kTagVerifiedAt] = "2026-11-25T10:00:00Z";
  c.tags[kTagVerifyResult] = "ok";
  auto v = LastVerification(w.inv, kTarget, kProd, DbKind::kInstance, "orders", "orders");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->at, T("2026-11-24T10:00:00Z"));
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->snapshot_id, b.id);
  EXPECT_THAT(v->detail, HasSubstr("incompatible-restore"));
  EXPECT_FALSE(LastVerification(w.inv, kTarget, kProd, DbKind::kCluster, "orders", "orders"));
  EXPECT_FALSE(LastVerification(w.inv, kTarget2, kProd, DbKind::kInstance, "orders", "orders"));
}

// ------------------------------------------------------------------ apply over FakeCloud

class DrillCycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testutil::World w;
    snap_ = w.Vault("orders", kPoint);
    snap_.arn = "";
    fake_.AddSnapshot(snap_);
    snap_ = *fake_.Find(kTarget, snap_.id);
  }
  Inventory Observe(TimePoint now) {
    ObserveRequest req;
    req.scopes = DrillScopes(VerifyConfig(), {});
    return engine::Observe(fake_, req, now);
  }
  // One `drsnap verify` round: observe, plan, apply.
  std::vector<DrillActionResult> Round(TimePoint now, TimePoint run_started) {
    Inventory inv = Observe(now);
    plan_ = PlanDrills(inv, VerifyConfig(), At(now, run_started));
    return ApplyDrills(fake_, plan_);
  }

  const TimePoint kPoint = T("2026-11-24T04:10:00Z");
  const TimePoint kStart = T("2026-11-25T12:00:00Z");
  FakeCloud fake_;
  Snapshot snap_;
  DrillPlan plan_;
};

TEST_F(DrillCycleTest, RestoreWaitRecordDelete) {
  const std::string drill = DrillName("orders", kPoint);
  auto r = Round(kStart, kStart);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].ok) << r[0].message;
  auto db = fake_.FindDatabase(kTarget, drill);
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ(db->status, "creating");
  EXPECT_TRUE(IsDrillDatabase(*db));

  EXPECT_TRUE(Round(kStart + minutes(5), kStart).empty());  // still creating: wait
  EXPECT_TRUE(plan_.InProgress());
  fake_.SetDatabaseStatus(kTarget, drill, "available");
  r = Round(kStart + minutes(15), kStart);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].ok && r[1].ok) << r[0].message << " / " << r[1].message;
  EXPECT_FALSE(fake_.FindDatabase(kTarget, drill).has_value());
  auto s = fake_.Find(kTarget, snap_.id);
  EXPECT_EQ(s->tags.at(kTagVerifyResult), "ok");
  EXPECT_EQ(s->tags.at(kTagVerifiedAt), "2026-11-25T12:15:00Z");
  EXPECT_EQ(s->tags.at(kTagVerifyDetail), "restored in 15m");

  EXPECT_TRUE(Round(kStart + minutes(20), kStart).empty());  // done for this run
  EXPECT_FALSE(plan_.InProgress());
  EXPECT_EQ(plan_.drills[0].phase, DrillPhase::kPassed);
  EXPECT_EQ(fake_.MutationLog(),
            (std::vector<std::string>{"RestoreFromSnapshot 222222222222/eu-west-1 " + drill,
                                      "TagSnapshot 222222222222/eu-west-1 " + snap_.id,
                                      "DeleteDatabase 222222222222/eu-west-1 " + drill}));
}

TEST_F(DrillCycleTest, AFailedRestoreIsRecordedAndCleanedUp) {
  const std::string drill = DrillName("orders", kPoint);
  Round(kStart, kStart);
  fake_.SetDatabaseStatus(kTarget, drill, "incompatible-restore");
  auto r = Round(kStart + minutes(30), kStart);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(fake_.FindDatabase(kTarget, drill).has_value());
  EXPECT_EQ(fake_.Find(kTarget, snap_.id)->tags.at(kTagVerifyResult), "failed");
  Round(kStart + minutes(31), kStart);
  EXPECT_EQ(plan_.drills[0].phase, DrillPhase::kFailed);
}

TEST_F(DrillCycleTest, ATimedOutDrillThatCannotBeDeletedYetIsRetried) {
  const std::string drill = DrillName("orders", kPoint);
  Round(kStart, kStart);
  auto r = Round(kStart + hours(3), kStart);  // timeout 2h, still creating
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].ok);   // recorded failed
  EXPECT_FALSE(r[1].ok);  // AWS refuses to delete a creating instance
  EXPECT_THAT(r[1].message, HasSubstr("InvalidDBInstanceState"));
  EXPECT_EQ(fake_.Find(kTarget, snap_.id)->tags.at(kTagVerifyResult), "failed");
  // Next run: recorded already; only the delete, which now works.
  fake_.SetDatabaseStatus(kTarget, drill, "available");
  r = Round(kStart + hours(4), kStart + hours(4));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].action.kind, DrillActionKind::kDelete);
  EXPECT_TRUE(r[0].ok) << r[0].message;
  EXPECT_EQ(fake_.Find(kTarget, snap_.id)->tags.at(kTagVerifyResult), "failed");
}

TEST_F(DrillCycleTest, AKilledRunResumesWithoutASecondRestore) {
  const std::string drill = DrillName("orders", kPoint);
  Round(kStart, kStart);  // then the process dies
  fake_.SetDatabaseStatus(kTarget, drill, "available");
  // A new run (new run_started) finds the drill and finishes it.
  auto r = Round(kStart + hours(1), kStart + hours(1));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(fake_.Calls("RestoreFromSnapshot"), 1);
  EXPECT_EQ(fake_.Find(kTarget, snap_.id)->tags.at(kTagVerifyDetail), "restored in 1h");
  EXPECT_FALSE(fake_.FindDatabase(kTarget, drill).has_value());
}

TEST_F(DrillCycleTest, ARestoreThatAlreadyExistsCountsAsStartedOnlyWhenItIsOurs) {
  // Someone else's database already has the drill's name: the drill fails
  // to start (and the database is left alone).
  Database lookalike;
  lookalike.id = DrillName("orders", kPoint);
  lookalike.scope = kTarget;
  lookalike.status = "available";
  fake_.AddDatabase(lookalike);
  auto r = Round(kStart, kStart);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].ok);
  EXPECT_THAT(r[0].message, HasSubstr("drsnap did not make"));
  EXPECT_EQ(fake_.Calls("DeleteDatabase"), 0);
  // A concurrent run's restore (ours, not yet observed): counts as started.
  lookalike.tags = {{naming::kTagManaged, "true"}, {kTagVerify, snap_.id}};
  fake_.RemoveDatabase(kTarget, lookalike.id);
  fake_.AddDatabase(lookalike);
  DrillPlan plan;
  DrillAction a;
  a.kind = DrillActionKind::kRestore;
  a.scope = kTarget;
  a.drill_id = lookalike.id;
  a.restore.db_id = lookalike.id;
  a.restore.snapshot_id = snap_.id;
  plan.actions.push_back(a);
  r = ApplyDrills(fake_, plan);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].ok) << r[0].message;
}

TEST_F(DrillCycleTest, ApplyRefusesToDeleteANonDrillDatabase) {
  // A hand-made delete action (a buggy or tampered plan) on databases that
  // are not drsnap's drills: the fresh re-read stops it.
  Database prod_db;
  prod_db.id = "orders";
  prod_db.scope = kTarget;
  prod_db.status = "available";
  prod_db.tags = {{naming::kTagManaged, "true"}, {kTagVerify, "x"}};  // tags, wrong name
  fake_.AddDatabase(prod_db);
  Database lookalike;
  lookalike.id = "drsnap-verify-orders-202611240410";
  lookalike.scope = kTarget;
  lookalike.status = "available";  // name, no tags
  fake_.AddDatabase(lookalike);
  DrillPlan plan;
  for (const std::string id : {"orders", "drsnap-verify-orders-202611240410"}) {
    DrillAction a;
    a.kind = DrillActionKind::kDelete;
    a.scope = kTarget;
    a.drill_id = id;
    plan.actions.push_back(a);
  }
  auto r = ApplyDrills(fake_, plan);
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r) {
    EXPECT_FALSE(x.ok);
    EXPECT_THAT(x.message, HasSubstr("refused"));
  }
  EXPECT_EQ(fake_.Calls("DeleteDatabase"), 0);
  EXPECT_TRUE(fake_.FindDatabase(kTarget, "orders").has_value());
  EXPECT_TRUE(fake_.FindDatabase(kTarget, lookalike.id).has_value());
}

// RunDrills: the loop `drsnap verify` and the demo run, on a fake clock.
TEST_F(DrillCycleTest, RunDrillsWaitsForTheRestoreThenRecordsAndCleansUp) {
  FakeClock clock(kStart);
  DrillRunOptions o;
  o.interval = minutes(1);
  int rounds_seen = 0;
  const std::string drill = DrillName("orders", kPoint);
  o.on_round = [&](const DrillPlan&, const std::vector<DrillActionResult>&) {
    // The restore "takes" 10 minutes of the fake clock.
    if (++rounds_seen > 1 && clock.Now() - kStart >= minutes(10))
      fake_.SetDatabaseStatus(kTarget, drill, "available");
  };
  DrillRun run = RunDrills(fake_, VerifyConfig(), clock, o);
  EXPECT_FALSE(run.interrupted);
  ASSERT_EQ(run.last.drills.size(), 1u);
  EXPECT_EQ(run.last.drills[0].phase, DrillPhase::kPassed);
  EXPECT_EQ(fake_.Calls("RestoreFromSnapshot"), 1);
  EXPECT_EQ(fake_.Calls("DeleteDatabase"), 1);
  EXPECT_FALSE(fake_.FindDatabase(kTarget, drill).has_value());
  EXPECT_EQ(fake_.Find(kTarget, snap_.id)->tags.at(kTagVerifyResult), "ok");
  EXPECT_EQ(clock.Now() - kStart, minutes(11));  // polled once a minute, no busy loop
}

TEST_F(DrillCycleTest, RunDrillsDoesNotSpinOnARestoreThatCannotStart) {
  FakeClock clock(kStart);
  fake_.FailNext(
      "RestoreFromSnapshot",
      Error::Terminal("DBSubnetGroupNotFoundFault", "DBSubnetGroup dr-subnets not found"), 1000);
  DrillRunOptions o;
  DrillRun run = RunDrills(fake_, VerifyConfig(), clock, o);
  EXPECT_EQ(run.rounds, 1);
  ASSERT_EQ(run.results.size(), 1u);
  EXPECT_FALSE(run.results[0].ok);
  EXPECT_THAT(run.results[0].message, HasSubstr("DBSubnetGroupNotFoundFault"));
}

TEST_F(DrillCycleTest, RunDrillsWithoutWaitTakesOneStep) {
  FakeClock clock(kStart);
  DrillRunOptions o;
  o.wait = false;
  DrillRun run = RunDrills(fake_, VerifyConfig(), clock, o);
  EXPECT_EQ(run.rounds, 1);
  EXPECT_EQ(run.last.drills[0].phase, DrillPhase::kStarting);
  EXPECT_TRUE(fake_.FindDatabase(kTarget, DrillName("orders", kPoint)).has_value());
}

}  // namespace
}  // namespace drsnap::engine::verify
