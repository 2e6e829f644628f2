// Retries of failed copies (planner.h "failures"): the failed attempt is
// AWS's record of the failure and stays until attempt N+1 is issued, which
// waits for failed.create_time + backoff(N) (10 min doubling, at most 6 h);
// after naming::kMaxAttempt, drsnap gives up and says so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/planner.h"
#include "engine/status.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

const TimePoint kNow = T("2026-11-25T12:00:00Z");
const TimePoint kDay = T("2026-11-25T04:10:00Z");

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

bool HasFinding(const Plan& p, const std::string& needle) {
  for (const auto& f : p.findings)
    if (f.message.find(needle) != std::string::npos) return true;
  return false;
}

std::string VaultId(int attempt) { return naming::VaultName(kProd, "orders-db", kDay, attempt); }

TEST(PlannerRetryTest, BackoffDoublesFromTenMinutesUpToSixHours) {
  struct Case {
    int failed_attempt;
    minutes since_failure;
    bool retry;
  };
  const Case cases[] = {
      {0, minutes(0), false},   {0, minutes(9), false},     {0, minutes(10), true},
      {1, minutes(19), false},  {1, minutes(20), true},     {2, minutes(39), false},
      {2, minutes(40), true},   {5, minutes(319), false},   {5, minutes(320), true},
      {6, minutes(359), false}, {6, minutes(360), true},    {40, minutes(359), false},
      {40, minutes(360), true}, {998, minutes(359), false}, {998, minutes(360), true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("attempt " + std::to_string(c.failed_attempt) + " failed " +
                 std::to_string(c.since_failure.count()) + " min ago");
    World w;
    w.Db("orders-db");
    w.Automated("orders-db", kDay);
    w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
    Snapshot& failed =
        w.Vault("orders-db", kDay, SnapshotStatus::kFailed, kVault, kDrRegion, c.failed_attempt);
    failed.create_time = kNow - c.since_failure;
    Plan p = MakePlan(w.inv, StandardConfig(), kNow);
    auto copies = Of(p, ActionKind::kCopySnapshot);
    if (c.retry) {
      ASSERT_EQ(copies.size(), 1u) << RenderPlan(p);
      EXPECT_EQ(copies[0]->snapshot_id, VaultId(c.failed_attempt + 1));
      // The record goes with the retry.
      EXPECT_TRUE(PlansDeleteOf(p, failed.id)) << RenderPlan(p);
      EXPECT_TRUE(HasFinding(p, "retrying as attempt " + std::to_string(c.failed_attempt + 2)));
    } else {
      EXPECT_TRUE(copies.empty()) << RenderPlan(p);
      EXPECT_FALSE(PlansDeleteOf(p, failed.id)) << RenderPlan(p);  // kept as the record
      EXPECT_TRUE(HasFinding(p, failed.id + " failed (AWS status 'failed'); attempt " +
                                    std::to_string(c.failed_attempt + 2) + " not before"))
          << RenderPlan(p);
    }
  }
}

TEST(PlannerRetryTest, OlderFailedAttemptsGoTheNewestIsKept) {
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay, SnapshotStatus::kFailed, kVault, kDrRegion, 0).create_time =
      kNow - hours(2);
  w.Vault("orders-db", kDay, SnapshotStatus::kFailed, kVault, kDrRegion, 1).create_time =
      kNow - minutes(5);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(Of(p, ActionKind::kCopySnapshot).empty()) << RenderPlan(p);
  EXPECT_TRUE(PlansDeleteOf(p, VaultId(0))) << RenderPlan(p);
  EXPECT_FALSE(PlansDeleteOf(p, VaultId(1))) << RenderPlan(p);
}

TEST(PlannerRetryTest, FailedAttemptGoesOnceALaterOneExists) {
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay, SnapshotStatus::kFailed, kVault, kDrRegion, 0).create_time =
      kNow - minutes(1);
  for (SnapshotStatus later : {SnapshotStatus::kCopying, SnapshotStatus::kAvailable}) {
    World x = w;
    x.Vault("orders-db", kDay, later, kVault, kDrRegion, 1);
    Plan p = MakePlan(x.inv, StandardConfig(), kNow);
    EXPECT_TRUE(Of(p, ActionKind::kCopySnapshot).empty()) << RenderPlan(p);
    EXPECT_TRUE(PlansDeleteOf(p, VaultId(0))) << RenderPlan(p);
  }
}

TEST(PlannerRetryTest, GivesUpAfterTheLastAttempt) {
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  Snapshot& last =
      w.Vault("orders-db", kDay, SnapshotStatus::kFailed, kVault, kDrRegion, naming::kMaxAttempt);
  last.create_time = kNow - days(1);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << RenderPlan(p);
  bool reported = false;
  for (const auto& f : p.findings)
    reported |= f.severity == Finding::Severity::kError &&
                f.message.find("gave up after 1000 attempts") != std::string::npos;
  EXPECT_TRUE(reported) << RenderPlan(p);
}

TEST(PlannerRetryTest, FailedHopWaitsItsBackoffToo) {
  World w;
  w.Db("orders-aurora", DbKind::kCluster);
  w.Capture("orders-aurora", kDay, SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kCluster);
  w.inv.facts.one_step_copy_refused.push_back(Scope{kVault, kDrRegion});
  Snapshot& hop =
      w.Hop("orders-aurora", kDay, SnapshotStatus::kFailed, kVault, 0, DbKind::kCluster);
  hop.create_time = kNow - minutes(3);
  Plan waiting = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(Of(waiting, ActionKind::kCopySnapshot).empty()) << RenderPlan(waiting);
  EXPECT_FALSE(PlansDeleteOf(waiting, hop.id)) << RenderPlan(waiting);
  Plan later = MakePlan(w.inv, StandardConfig(), kNow + minutes(7));
  auto copies = Of(later, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << RenderPlan(later);
  EXPECT_EQ(copies[0]->snapshot_id, naming::HopName(kProd, "orders-aurora", kDay, 1));
  EXPECT_TRUE(PlansDeleteOf(later, hop.id)) << RenderPlan(later);
}

TEST(PlannerRetryTest, FailedCaptureCopyWaitsItsBackoff) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  Snapshot& failed = w.Capture("orders-db", kDay, SnapshotStatus::kFailed, {});
  failed.create_time = kNow - minutes(4);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(Of(p, ActionKind::kCopySnapshot).empty()) << RenderPlan(p);
  EXPECT_FALSE(PlansDeleteOf(p, failed.id)) << RenderPlan(p);
  EXPECT_TRUE(HasFinding(p, "capture copy " + failed.id + " failed")) << RenderPlan(p);
  Plan later = MakePlan(w.inv, StandardConfig(), kNow + minutes(6));
  auto copies = Of(later, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << RenderPlan(later);
  EXPECT_EQ(copies[0]->snapshot_id, naming::CaptureName("orders-db", kDay, 1));
  EXPECT_TRUE(PlansDeleteOf(later, failed.id)) << RenderPlan(later);
}

// A region where every copy fails, reconciled every 10 minutes for a day:
// a handful of attempts (not 144), and one failed snapshot at a time.
TEST(PlannerRetryTest, PermanentlyFailingRegionDoesNotPileUp) {
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  ScopeInventory& dr = w.At(kVault, kDrRegion);
  int attempts = 0;
  size_t most_failed = 0;
  for (TimePoint now = kNow; now < kNow + hours(24); now += minutes(10)) {
    w.inv.observed_at = now;
    Plan p = MakePlan(w.inv, StandardConfig(), now);
    for (const auto& a : p.actions) {
      if (a.kind == ActionKind::kDeleteSnapshot) {
        std::erase_if(dr.snapshots, [&](const Snapshot& s) { return s.id == a.snapshot_id; });
      } else if (a.kind == ActionKind::kCopySnapshot) {
        ++attempts;
        auto lin = naming::ParseName(a.snapshot_id);
        ASSERT_TRUE(lin.has_value());
        // The copy fails at once, as in a region with a broken key.
        w.Vault("orders-db", kDay, SnapshotStatus::kFailed, kVault, kDrRegion, lin->attempt)
            .create_time = now;
      }
    }
    most_failed = std::max(most_failed, dr.snapshots.size());
  }
  // 0, +10m, +20m, +40m, +80m, +160m, +320m, then every 6 h.
  EXPECT_GE(attempts, 8);
  EXPECT_LE(attempts, 10);
  EXPECT_EQ(most_failed, 1u);
  // Status says what failed instead of "in flight".
  StatusReport r = ComputeStatus(w.inv, StandardConfig(), kNow + hours(24));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].state, RpoState::kBreached);
  EXPECT_THAT(r.rows[0].reason, HasSubstr("never vaulted: every copy failed"));
  EXPECT_THAT(r.rows[0].reason, ::testing::Not(HasSubstr("in flight")));
}

// A failing region does not pile up copies of old points: while a newer
// point's copy is pending (in flight or issued now), older points whose
// copies failed are not retried; the newest point is.
TEST(PlannerRetryTest, OldPointsAreNotRetriedWhileANewerOneIsPending) {
  World w;
  w.Db("orders-db");
  for (int d = 3; d >= 0; --d) {
    w.Capture("orders-db", kDay - days(d), SnapshotStatus::kAvailable, {kVault});
    w.Vault("orders-db", kDay - days(d), SnapshotStatus::kFailed).create_time = kNow - hours(7);
  }
  auto copies = [](const Plan& p) {
    std::vector<TimePoint> out;
    for (const auto& a : p.actions)
      if (a.kind == ActionKind::kCopySnapshot && a.stage == Stage::kVault)
        out.push_back(naming::ParseName(a.snapshot_id)->recovery_point);
    return out;
  };
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 7}");
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_EQ(copies(p), std::vector<TimePoint>{kDay}) << RenderPlan(p);
  bool explained = false;
  for (const auto& f : p.findings)
    explained |= f.message.find("not retried while") != std::string::npos;
  EXPECT_TRUE(explained) << RenderPlan(p);
  // The newest point's retry in flight: still no retry of the older ones.
  w.Vault("orders-db", kDay, SnapshotStatus::kCopying, kVault, kDrRegion, 1);
  p = MakePlan(w.inv, cfg, kNow);
  EXPECT_TRUE(copies(p).empty()) << RenderPlan(p);
}

TEST(StatusRetryTest, ReasonSaysWhatFailed) {
  World w;
  w.Db("orders-db");
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  Snapshot& failed = w.Vault("orders-db", kDay, SnapshotStatus::kFailed);
  failed.status_text = "failed";
  StatusReport r = ComputeStatus(w.inv, StandardConfig(), kNow);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].state, RpoState::kBreached);
  EXPECT_EQ(r.rows[0].reason, "never vaulted: every copy failed (1 failed copy, the newest " +
                                  failed.id + " at " + FormatIso8601Seconds(failed.create_time) +
                                  " (AWS status 'failed'))");
  ASSERT_TRUE(r.rows[0].since);
  EXPECT_EQ(*r.rows[0].since, failed.create_time);
  // A capture on its way does not make it "a first copy in flight".
  w.Capture("orders-db", kDay + hours(1), SnapshotStatus::kCopying, {});
  r = ComputeStatus(w.inv, StandardConfig(), kNow);
  EXPECT_THAT(r.rows[0].reason, HasSubstr("every copy failed"));
  EXPECT_THAT(r.rows[0].reason, HasSubstr("; a capture is in flight"));
  // The retry in flight is.
  w.Vault("orders-db", kDay, SnapshotStatus::kCopying, kVault, kDrRegion, 1);
  r = ComputeStatus(w.inv, StandardConfig(), kNow);
  EXPECT_THAT(r.rows[0].reason,
              HasSubstr("never vaulted yet; a first copy is in flight after 1 failed copy"));
}

// `from: automated` (StandardConfig) takes the newest automated snapshot. A
// point whose capture failed before the next day's backup was taken is not
// dropped: once the newest point is captured, it is captured again from its
// automated snapshot while that exists and the target still lacks it; when
// the automated snapshot is gone, the gap is a finding.
TEST(PlannerRetryTest, APointWhoseCaptureFailedIsCapturedLaterFromItsAutomatedSnapshot) {
  const TimePoint yesterday = kDay - days(1);
  // Yesterday's capture failed; today's is vaulted. `kept`: yesterday's
  // automated snapshot still exists.
  auto world = [&](bool kept) {
    World w;
    w.Db("orders-db");
    if (kept) w.Automated("orders-db", yesterday);
    w.Automated("orders-db", kDay);
    w.Capture("orders-db", yesterday, SnapshotStatus::kFailed, {}).create_time =
        yesterday + minutes(5);
    w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
    w.Vault("orders-db", kDay);
    return w;
  };
  World w = world(true);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto captures = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(captures.size(), 1u) << RenderPlan(p);
  EXPECT_EQ(captures[0]->snapshot_id.str(), naming::CaptureName("orders-db", yesterday, 1))
      << RenderPlan(p);
  EXPECT_EQ(captures[0]->source_arn.str(), "rds:orders-db-2026-11-24-04-10");

  // The automated snapshot of that day is gone: a gap, said once.
  World gone = world(false);
  Plan q = MakePlan(gone.inv, StandardConfig(), kNow);
  EXPECT_TRUE(Of(q, ActionKind::kCopySnapshot).empty()) << RenderPlan(q);
  EXPECT_TRUE(HasFinding(q, "has a gap in the vault")) << RenderPlan(q);

  // Vaulted after all (the failed attempt was only one of two): nothing to do.
  World done = w;
  done.Vault("orders-db", yesterday);
  Plan r = MakePlan(done.inv, StandardConfig(), kNow);
  EXPECT_TRUE(Of(r, ActionKind::kCopySnapshot).empty()) << RenderPlan(r);
}

}  // namespace
}  // namespace drsnap::engine
