// Table tests of the planner's pipeline rules (capture, share, vault, expire,
// failures, waiting states).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/executor.h"
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

const TimePoint kNow = T("2026-11-25T12:00:00Z");
const TimePoint kDay = T("2026-11-25T04:10:00Z");  // today's automated snapshot

std::vector<const Action*> Of(const Plan& p, ActionKind kind) {
  std::vector<const Action*> out;
  for (const auto& a : p.actions)
    if (a.kind == kind) out.push_back(&a);
  return out;
}

bool HasFinding(const Plan& p, const std::string& needle) {
  for (const auto& f : p.findings)
    if (f.message.find(needle) != std::string::npos) return true;
  return false;
}

std::string Dump(const Plan& p) { return RenderPlan(p); }

// --- capture ------------------------------------------------------------------

TEST(PlannerCaptureTest, AutomatedCopiesNewestAutomatedSnapshot) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay - days(1));
  w.Automated("orders-db", kDay);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  const Action& a = *copies[0];
  EXPECT_EQ(a.stage, Stage::kCapture);
  EXPECT_EQ(a.scope, (Scope{kProd, kSrcRegion}));
  EXPECT_EQ(a.snapshot_id, "drsnap-orders-db-202611250410");
  EXPECT_EQ(a.source_arn, "rds:orders-db-2026-11-25-04-10");
  EXPECT_EQ(a.kms_key_id, "");  // customer key: kept
  EXPECT_EQ(a.tags.at(naming::kTagManaged), "true");
  EXPECT_EQ(a.tags.at(naming::kTagPolicy), "orders");
  EXPECT_EQ(a.tags.at(naming::kTagDb), "orders-db");
  EXPECT_EQ(a.tags.at(naming::kTagStage), "capture");
  EXPECT_EQ(a.tags.at(naming::kTagRecoveryPoint), "2026-11-25T04:10:00Z");
  EXPECT_THAT(a.tags.at(naming::kTagSourceArn),
              HasSubstr(":snapshot:rds:orders-db-2026-11-25-04-10"));
  EXPECT_THAT(a.reason, HasSubstr("newer than the newest capture (none)"));
}

TEST(PlannerCaptureTest, DefaultKeyIsReencryptedWithShareKey) {
  World w;
  w.Db("orders-db").kms_key_id = kDefaultKey;
  w.Automated("orders-db", kDay).kms_key_id = kDefaultKey;
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->kms_key_id, kShareKey);
  EXPECT_THAT(copies[0]->reason, HasSubstr("re-encrypted with the share key"));
}

TEST(PlannerCaptureTest, DefaultKeyWithoutShareKeyIsAnErrorNotAnAction) {
  config::Config cfg = StandardConfig();
  cfg.policies[0].share_key.clear();
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay).kms_key_id = kDefaultKey;
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_TRUE(p.actions.empty()) << Dump(p);
  EXPECT_TRUE(HasFinding(p, "set source.share_key")) << Dump(p);
}

TEST(PlannerCaptureTest, UnencryptedNeedsNoKey) {
  World w;
  w.Db("orders-db").encrypted = false;
  Snapshot& a = w.Automated("orders-db", kDay);
  a.encrypted = false;
  a.kms_key_id.clear();
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0]->kms_key_id, "");
}

TEST(PlannerCaptureTest, AlreadyCapturedMeansNoCapture) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << Dump(p);
}

TEST(PlannerCaptureTest, CaptureInFlightWaits) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay - days(1), SnapshotStatus::kCopying, {}).percent_progress = 45;
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << Dump(p);
  EXPECT_TRUE(HasFinding(p, "is copying (45%)")) << Dump(p);
  EXPECT_TRUE(HasFinding(p, "will be captured after it")) << Dump(p);
}

TEST(PlannerCaptureTest, NoAutomatedSnapshotIsReported) {
  World w;
  w.Db("orders-db").backup_retention_days = 0;
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty());
  EXPECT_TRUE(HasFinding(p, "no available automated snapshot")) << Dump(p);
}

TEST(PlannerCaptureTest, SnapshotSourceCreatesWhenDue) {
  config::Config cfg = StandardConfig("snapshot", "1h");  // margin = 6m
  World w;
  w.Db("orders-db");
  Plan p = MakePlan(w.inv, cfg, kNow);
  auto creates = Of(p, ActionKind::kCreateSnapshot);
  ASSERT_EQ(creates.size(), 1u) << Dump(p);
  EXPECT_EQ(creates[0]->snapshot_id, "drsnap-orders-db-202611251200");
  EXPECT_THAT(creates[0]->reason, HasSubstr("there is no capture yet"));

  World fresh;
  fresh.Db("orders-db");
  fresh.Capture("orders-db", kNow - minutes(53), SnapshotStatus::kAvailable, {kVault});
  fresh.Vault("orders-db", kNow - minutes(53));
  p = MakePlan(fresh.inv, cfg, kNow);
  EXPECT_TRUE(Of(p, ActionKind::kCreateSnapshot).empty()) << Dump(p);

  World due;
  due.Db("orders-db");
  due.Capture("orders-db", kNow - minutes(54), SnapshotStatus::kAvailable, {kVault});
  due.Vault("orders-db", kNow - minutes(54));
  p = MakePlan(due.inv, cfg, kNow);
  ASSERT_EQ(Of(p, ActionKind::kCreateSnapshot).size(), 1u) << Dump(p);
  EXPECT_THAT(Of(p, ActionKind::kCreateSnapshot)[0]->reason, HasSubstr("54m old"));
}

TEST(PlannerCaptureTest, SnapshotSourceSkipsUnavailableDatabase) {
  World w;
  w.Db("orders-db").status = "deleting";
  Plan p = MakePlan(w.inv, StandardConfig("snapshot", "1h"), kNow);
  EXPECT_TRUE(p.actions.empty());
  EXPECT_TRUE(HasFinding(p, "the database is deleting")) << Dump(p);
}

TEST(PlannerCaptureTest, SnapshotSourceDefaultKeyGoesThroughRaw) {
  config::Config cfg = StandardConfig("snapshot", "1h");
  World w;
  w.Db("orders-db").kms_key_id = kDefaultKey;
  Plan p = MakePlan(w.inv, cfg, kNow);
  auto creates = Of(p, ActionKind::kCreateSnapshot);
  ASSERT_EQ(creates.size(), 1u) << Dump(p);
  EXPECT_EQ(creates[0]->snapshot_id, "drsnap-orders-db-202611251200-raw");
  EXPECT_EQ(creates[0]->tags.at(naming::kTagStage), "raw");

  // Raw available: re-encrypt into the capture name.
  World w2;
  w2.Db("orders-db").kms_key_id = kDefaultKey;
  w2.Raw("orders-db", kNow - minutes(10));
  p = MakePlan(w2.inv, cfg, kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-orders-db-202611251150");
  EXPECT_EQ(copies[0]->source_arn, "drsnap-orders-db-202611251150-raw");
  EXPECT_EQ(copies[0]->kms_key_id, kShareKey);
  EXPECT_TRUE(Of(p, ActionKind::kCreateSnapshot).empty()) << Dump(p);

  // Capture available: the raw one goes.
  World w3;
  w3.Db("orders-db").kms_key_id = kDefaultKey;
  w3.Raw("orders-db", kNow - minutes(10));
  w3.Capture("orders-db", kNow - minutes(10), SnapshotStatus::kAvailable, {kVault});
  w3.Vault("orders-db", kNow - minutes(10));
  p = MakePlan(w3.inv, cfg, kNow);
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(deletes.size(), 1u) << Dump(p);
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-orders-db-202611251150-raw");
}

TEST(PlannerCaptureTest, AuroraInstancesAreProtectedThroughTheirCluster) {
  World w;
  w.Db("orders-cluster-1").engine = "aurora-postgresql";  // an instance of a cluster
  w.Db("orders-cluster", DbKind::kCluster);
  w.Automated("orders-cluster", kDay, DbKind::kCluster);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  ASSERT_EQ(p.actions.size(), 1u) << Dump(p);
  EXPECT_EQ(p.actions[0].db_id, "orders-cluster");
  EXPECT_EQ(p.actions[0].db_kind, DbKind::kCluster);
}

TEST(PlannerCaptureTest, SelectorIsApplied) {
  World w;
  w.Db("billing-db");
  w.Automated("billing-db", kDay);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << Dump(p);
}

// --- share --------------------------------------------------------------------

TEST(PlannerShareTest, SharesEveryPendingCaptureNotOnlyNewest) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay - days(1), SnapshotStatus::kAvailable, {});
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {})
      .shared_with.reset();  // not looked up
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto shares = Of(p, ActionKind::kShareSnapshot);
  ASSERT_EQ(shares.size(), 2u) << Dump(p);
  for (const Action* a : shares) {
    EXPECT_EQ(a->share_with, std::vector<std::string>{kVault});
    EXPECT_EQ(a->scope, (Scope{kProd, kSrcRegion}));
  }
  // Not shared yet: their vault copies come after the shares
  // (PlannerShareTest.ACaptureSharedByThisPlanIsCopiedAfterItsShare).
  for (const Action* a : Of(p, ActionKind::kCopySnapshot))
    EXPECT_FALSE(a->after_share.empty()) << Dump(p);
}

// A capture this plan shares is copied into the target account in the same
// plan, after its share (Action::after_share: the executor issues the copy
// only once the share succeeded), not one apply later; the hop too, where
// AWS refused one step. An already shared capture's copy depends on
// nothing. Only a plan that shares can make such a copy: the vault side's
// (which cannot share) waits for the share as before.
TEST(PlannerShareTest, ACaptureSharedByThisPlanIsCopiedAfterItsShare) {
  for (bool hop : {false, true}) {
    World w;
    w.Db("orders-db");
    w.Automated("orders-db", kDay);
    const Snapshot& capture = w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {});
    if (hop) w.inv.facts.one_step_copy_refused.push_back(Scope{kVault, kDrRegion});
    Plan p = MakePlan(w.inv, StandardConfig(), kNow);
    ASSERT_EQ(p.actions.size(), 2u) << Dump(p);
    EXPECT_EQ(p.actions[0].kind, ActionKind::kShareSnapshot) << Dump(p);
    const Action& copy = p.actions[1];
    EXPECT_EQ(copy.kind, ActionKind::kCopySnapshot) << Dump(p);
    EXPECT_EQ(copy.scope, hop ? (Scope{kVault, kSrcRegion}) : (Scope{kVault, kDrRegion}))
        << Dump(p);
    EXPECT_EQ(copy.after_share.str(), capture.id.str()) << Dump(p);
    EXPECT_FALSE(HasFinding(p, "must be shared with")) << Dump(p);

    Plan source_side = p;
    FilterPlanForSide(source_side, StandardConfig(), Side::kSource);
    ASSERT_EQ(source_side.actions.size(), 1u) << Dump(source_side);
    EXPECT_EQ(source_side.actions[0].kind, ActionKind::kShareSnapshot);
  }
  World shared;
  shared.Db("orders-db");
  shared.Automated("orders-db", kDay);
  shared.Capture("orders-db", kDay);  // shared with the vault account
  Plan p = MakePlan(shared.inv, StandardConfig(), kNow);
  ASSERT_EQ(Of(p, ActionKind::kCopySnapshot).size(), 1u) << Dump(p);
  EXPECT_TRUE(Of(p, ActionKind::kCopySnapshot)[0]->after_share.empty());
  EXPECT_TRUE(Of(p, ActionKind::kShareSnapshot).empty()) << Dump(p);
}

TEST(PlannerShareTest, SameAccountTargetNeedsNoShare) {
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 7}", R"(      - account: prod
        regions:
          us-west-2: {kms_key: arn:aws:kms:us-west-2:111111111111:key/dr}
)");
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay);
  w.At(kProd, "us-west-2");
  w.At(kVault, kSrcRegion);
  Plan p = MakePlan(w.inv, cfg, kNow);
  ASSERT_EQ(p.actions.size(), 1u) << Dump(p);
  const Action& a = p.actions[0];
  EXPECT_EQ(a.kind, ActionKind::kCopySnapshot);
  EXPECT_EQ(a.scope, (Scope{kProd, "us-west-2"}));
  EXPECT_EQ(a.source_region, kSrcRegion);
  EXPECT_EQ(a.kms_key_id, "arn:aws:kms:us-west-2:111111111111:key/dr");
}

TEST(PlannerShareTest, AlreadyVaultedCaptureIsNotShared) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {});
  w.Vault("orders-db", kDay);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << Dump(p);
}

// --- vault --------------------------------------------------------------------

TEST(PlannerVaultTest, OneStepCopyWithDrKey) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay - days(1), SnapshotStatus::kAvailable, {kVault});
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.At(kVault, kDrRegion);
  w.At(kVault, kSrcRegion);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 2u) << Dump(p);  // every pending capture, not only the newest
  const Action& a = *copies[1];
  EXPECT_EQ(a.stage, Stage::kVault);
  EXPECT_EQ(a.scope, (Scope{kVault, kDrRegion}));
  EXPECT_EQ(a.snapshot_id, "drsnap-111111111111-orders-db-202611250410");
  EXPECT_EQ(a.source_arn,
            "arn:aws:rds:us-east-1:111111111111:snapshot:drsnap-orders-db-202611250410");
  EXPECT_EQ(a.source_region, kSrcRegion);
  EXPECT_EQ(a.kms_key_id, "arn:aws:kms:eu-west-1:222222222222:key/dr");
  EXPECT_EQ(a.tags.at(naming::kTagStage), "vault");
  EXPECT_EQ(a.tags.at(naming::kTagSourceAccount), kProd);
}

TEST(PlannerVaultTest, VaultInFlightWaitsWithProgress) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay, SnapshotStatus::kCopying).percent_progress = 12;
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  EXPECT_TRUE(p.actions.empty()) << Dump(p);
  EXPECT_TRUE(HasFinding(p, "is copying (12%)")) << Dump(p);
}

TEST(PlannerVaultTest, OptionGroupIsMapped) {
  config::Config cfg = StandardConfig();
  cfg.policies[0].targets[0].regions[0].option_groups["orders-og"] = "orders-og-eu";
  World w;
  w.Db("orders-db").option_group = "orders-og";
  w.Db("orders-db2").option_group = "other-og";
  w.Automated("orders-db", kDay);
  w.Automated("orders-db2", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Capture("orders-db2", kDay, SnapshotStatus::kAvailable, {kVault});
  Plan p = MakePlan(w.inv, cfg, kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 2u) << Dump(p);
  EXPECT_EQ(copies[0]->option_group, "orders-og-eu");
  EXPECT_EQ(copies[1]->option_group, "");
  EXPECT_TRUE(HasFinding(p, "option group other-og has no mapping")) << Dump(p);
}

// AWS's rule since September 2025: a shared encrypted DB cluster snapshot
// crosses account and region in one CopyDBClusterSnapshot, as a DB snapshot
// does (issue 19 item 6).
TEST(PlannerVaultTest, AuroraClusterCrossRegionIsOneStep) {
  World w;
  w.Db("orders-cluster", DbKind::kCluster);
  w.Automated("orders-cluster", kDay, DbKind::kCluster);
  w.Capture("orders-cluster", kDay, SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kCluster);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->scope, (Scope{kVault, kDrRegion}));
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-111111111111-orders-cluster-202611250410");
  EXPECT_EQ(copies[0]->db_kind, DbKind::kCluster);
  EXPECT_EQ(copies[0]->source_arn,
            "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:"
            "drsnap-orders-cluster-202611250410");
  EXPECT_EQ(copies[0]->source_region, kSrcRegion);
  EXPECT_EQ(copies[0]->kms_key_id, "arn:aws:kms:eu-west-1:222222222222:key/dr");
  EXPECT_TRUE(
      IsOneStepCopyRefusal(*copies[0], Error::Terminal("InvalidParameterCombination", "x")));
}

TEST(PlannerVaultTest, RefusedOneStepCopyUsesHopForClusters) {
  World w;
  w.Db("orders-cluster", DbKind::kCluster);
  w.Automated("orders-cluster", kDay, DbKind::kCluster);
  w.Capture("orders-cluster", kDay, SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kCluster);
  w.inv.facts.one_step_copy_refused.push_back(Scope{kVault, kDrRegion});
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->scope, (Scope{kVault, kSrcRegion}));
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-111111111111-orders-cluster-202611250410-hop");
  EXPECT_EQ(copies[0]->kms_key_id, "arn:aws:kms:us-east-1:222222222222:key/hop");
  EXPECT_EQ(copies[0]->source_region, "");
  EXPECT_EQ(copies[0]->db_kind, DbKind::kCluster);

  // Hop available: vault from it.
  w.Hop("orders-cluster", kDay, SnapshotStatus::kAvailable, kVault, 0, DbKind::kCluster);
  p = MakePlan(w.inv, StandardConfig(), kNow);
  copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->scope, (Scope{kVault, kDrRegion}));
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-111111111111-orders-cluster-202611250410");
  EXPECT_EQ(copies[0]->source_arn,
            "arn:aws:rds:us-east-1:222222222222:cluster-snapshot:"
            "drsnap-111111111111-orders-cluster-202611250410-hop");
  EXPECT_EQ(copies[0]->source_region, kSrcRegion);

  // Vault available: hop and (non-newest) capture go; the newest capture stays.
  w.Vault("orders-cluster", kDay, SnapshotStatus::kAvailable, kVault, kDrRegion, 0,
          DbKind::kCluster);
  p = MakePlan(w.inv, StandardConfig(), kNow);
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(deletes.size(), 1u) << Dump(p);
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-111111111111-orders-cluster-202611250410-hop");
}

TEST(PlannerVaultTest, RefusedOneStepCopyUsesHopForInstances) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.inv.facts.one_step_copy_refused.push_back(Scope{kVault, kDrRegion});
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->scope, (Scope{kVault, kSrcRegion}));
  EXPECT_THAT(copies[0]->reason, HasSubstr("AWS refused a one-step copy"));
}

TEST(PlannerVaultTest, HopWithoutHopKeyIsAnError) {
  config::Config cfg = StandardConfig();
  cfg.policies[0].targets[0].hop_kms_key.clear();
  World w;
  w.Db("orders-cluster", DbKind::kCluster);
  w.Automated("orders-cluster", kDay, DbKind::kCluster);
  w.Capture("orders-cluster", kDay, SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kCluster);
  w.inv.facts.one_step_copy_refused.push_back(Scope{kVault, kDrRegion});
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_TRUE(p.actions.empty()) << Dump(p);
  EXPECT_TRUE(HasFinding(p, "has no hop_kms_key")) << Dump(p);
}

TEST(PlannerVaultTest, TooOldCaptureIsNotCopied) {
  // Retention keeps 2 daily; a capture older than both vault copies would be
  // dropped as soon as it arrives.
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 2}");
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay - days(5), SnapshotStatus::kAvailable, {kVault});
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay);
  w.Vault("orders-db", kDay - days(1));
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_TRUE(Of(p, ActionKind::kCopySnapshot).empty()) << Dump(p);
  // ... and it counts as done for the source side: it is deleted.
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(deletes.size(), 1u) << Dump(p);
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-orders-db-202611200410");
}

// --- failures -----------------------------------------------------------------

TEST(PlannerFailureTest, FailedVaultCopyIsDeletedAndRetriedUnderNewName) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  w.Vault("orders-db", kDay, SnapshotStatus::kFailed);
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  ASSERT_EQ(deletes.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-111111111111-orders-db-202611250410-r1");
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-111111111111-orders-db-202611250410");
  EXPECT_TRUE(HasFinding(p, "failed (AWS status 'failed'); retrying as attempt 2")) << Dump(p);

  // The retry fails too: attempt 2, both failed ones deleted.
  w.Vault("orders-db", kDay, SnapshotStatus::kFailed, kVault, kDrRegion, 1);
  p = MakePlan(w.inv, StandardConfig(), kNow);
  copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-111111111111-orders-db-202611250410-r2");
  EXPECT_EQ(Of(p, ActionKind::kDeleteSnapshot).size(), 2u) << Dump(p);
}

TEST(PlannerFailureTest, FailedCaptureIsRetried) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kFailed, {});
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-orders-db-202611250410-r1");
  ASSERT_EQ(Of(p, ActionKind::kDeleteSnapshot).size(), 1u) << Dump(p);
}

TEST(PlannerFailureTest, ForeignLookAlikeNameIsSkippedNotReused) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Manual("drsnap-orders-db-202611250410", "orders-db");  // someone else's, no tags
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->snapshot_id, "drsnap-orders-db-202611250410-r1");
  EXPECT_TRUE(Of(p, ActionKind::kDeleteSnapshot).empty()) << Dump(p);
}

// --- expire -------------------------------------------------------------------

TEST(PlannerExpireTest, SourceCapturesGoOnceVaultedKeepingNewest) {
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  for (int i = 0; i < 3; ++i) {
    w.Capture("orders-db", kDay - days(i), SnapshotStatus::kAvailable, {kVault});
    w.Vault("orders-db", kDay - days(i));
  }
  Plan p = MakePlan(w.inv, StandardConfig(), kNow);
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(deletes.size(), 2u) << Dump(p);
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-orders-db-202611230410");
  EXPECT_EQ(deletes[1]->snapshot_id, "drsnap-orders-db-202611240410");
  EXPECT_THAT(deletes[0]->reason, HasSubstr("vaulted in every target"));
}

TEST(PlannerExpireTest, KeepAfterVaultedDelaysSourceDeletes) {
  config::Config cfg = StandardConfig();
  cfg.policies[0].keep_after_vaulted = std::chrono::hours(48);
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  for (int i = 0; i < 3; ++i) {
    w.Capture("orders-db", kDay - days(i), SnapshotStatus::kAvailable, {kVault});
    w.Vault("orders-db", kDay - days(i));  // created point + 1h
  }
  Plan p = MakePlan(w.inv, cfg, kNow);
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(deletes.size(), 1u) << Dump(p);
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-orders-db-202611230410");
}

TEST(PlannerExpireTest, CaptureNotVaultedEverywhereStays) {
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 7}", R"(      - account: vault2
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:333333333333:key/dr}
)");
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay - days(1), SnapshotStatus::kAvailable, {kVault, kVault2});
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault, kVault2});
  w.Vault("orders-db", kDay - days(1));
  w.Vault("orders-db", kDay);
  w.Vault("orders-db", kDay, SnapshotStatus::kAvailable, kVault2, kDrRegion2);
  w.At(kVault2, kSrcRegion);
  w.At(kVault, kSrcRegion);
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_TRUE(Of(p, ActionKind::kDeleteSnapshot).empty()) << Dump(p);
  auto copies = Of(p, ActionKind::kCopySnapshot);
  ASSERT_EQ(copies.size(), 1u) << Dump(p);
  EXPECT_EQ(copies[0]->scope, (Scope{kVault2, kDrRegion2}));
}

TEST(PlannerExpireTest, DrRetentionKeepsGfsSet) {
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 2}");
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  for (int i = 0; i < 4; ++i) w.Vault("orders-db", kDay - days(i));
  Plan p = MakePlan(w.inv, cfg, kNow);
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(deletes.size(), 2u) << Dump(p);
  EXPECT_EQ(deletes[0]->scope, (Scope{kVault, kDrRegion}));
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-111111111111-orders-db-202611220410");
  EXPECT_EQ(deletes[1]->snapshot_id, "drsnap-111111111111-orders-db-202611230410");
  EXPECT_THAT(deletes[0]->reason, HasSubstr("not selected by daily=2"));
}

TEST(PlannerExpireTest, DeletedDatabaseKeepsCopiesPerRetention) {
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 2}");
  World w;
  w.At(kProd, kSrcRegion);
  w.Capture("orders-db", kDay - days(1), SnapshotStatus::kAvailable, {kVault});
  w.Capture("orders-db", kDay, SnapshotStatus::kAvailable, {kVault});
  for (int i = 0; i < 3; ++i) w.Vault("orders-db", kDay - days(i));
  w.At(kVault, kSrcRegion);
  Plan p = MakePlan(w.inv, cfg, kNow);
  EXPECT_TRUE(HasFinding(p, "no longer exists; its copies are kept per retention")) << Dump(p);
  EXPECT_TRUE(Of(p, ActionKind::kCopySnapshot).empty()) << Dump(p);
  EXPECT_TRUE(Of(p, ActionKind::kCreateSnapshot).empty()) << Dump(p);
  auto deletes = Of(p, ActionKind::kDeleteSnapshot);
  ASSERT_EQ(deletes.size(), 2u) << Dump(p);
  EXPECT_EQ(deletes[0]->snapshot_id, "drsnap-orders-db-202611240410");  // source, vaulted
  EXPECT_EQ(deletes[1]->snapshot_id, "drsnap-111111111111-orders-db-202611230410");
}

TEST(PlannerExpireTest, PolicyOverlapIsReportedAndFirstPolicyWins) {
  std::string yaml = R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  a-orders:
    databases: {names: ["orders*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets: [{account: vault, regions: {us-east-1: {kms_key: alias/dr}}}]
  b-all:
    databases: {names: ["set-below"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets: [{account: vault, regions: {us-east-1: {kms_key: alias/dr}}}]
)";
  World w;
  w.Db("orders-db");
  w.Automated("orders-db", kDay);
  // The loader refuses overlapping selectors (config/selector_overlap.h); the
  // planner's claim rule backs it up for a Config built in code.
  config::Config cfg = MustConfig(yaml);
  cfg.policies[1].databases.names = {"*"};
  Plan p = MakePlan(w.inv, cfg, kNow);
  ASSERT_EQ(p.actions.size(), 1u) << Dump(p);
  EXPECT_EQ(p.actions[0].policy, "a-orders");
  EXPECT_TRUE(HasFinding(p, "already protected by policy 'a-orders'")) << Dump(p);
}

TEST(PlannerTest, DeterministicOrderAndPurity) {
  World w;
  for (const char* db : {"orders-c", "orders-a", "orders-b"}) {
    w.Db(db);
    w.Automated(db, kDay);
    w.Capture(db, kDay - days(1), SnapshotStatus::kAvailable, {});
  }
  config::Config cfg = StandardConfig();
  Plan p1 = MakePlan(w.inv, cfg, kNow);
  // Same inputs in another order: same plan.
  std::reverse(w.inv.scopes[0].snapshots.begin(), w.inv.scopes[0].snapshots.end());
  std::reverse(w.inv.scopes[0].databases.begin(), w.inv.scopes[0].databases.end());
  Plan p2 = MakePlan(w.inv, cfg, kNow);
  EXPECT_EQ(RenderPlan(p1), RenderPlan(p2));
  ASSERT_GE(p1.actions.size(), 4u);
  EXPECT_EQ(p1.actions[0].stage, Stage::kCapture);
  EXPECT_EQ(p1.actions[0].db_id, "orders-a");
  // Stages in order: the last are the vault copies of the captures this
  // plan shares (made after their shares).
  EXPECT_EQ(p1.actions.back().stage, Stage::kVault);
}

TEST(PlannerTest, ScopesToObserveIncludesHopScopes) {
  auto scopes = ScopesToObserve(StandardConfig());
  std::vector<Scope> want{{kProd, kSrcRegion}, {kVault, kDrRegion}, {kVault, kSrcRegion}};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(scopes, want);
}

}  // namespace
}  // namespace drsnap::engine

namespace drsnap::engine {
namespace {

using namespace testutil;

// Found while gathering the ARN builders: the planner named a snapshot the
// listing gave no ARN for "arn:aws:rds:...", also in the China and
// GovCloud partitions, where AWS would not find it.
TEST(PlannerVaultTest, SourceArnsAreInTheSourceRegionsPartition) {
  config::Config cfg = MustConfig(R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["orders*"]}
    source: {account: prod, region: cn-north-1, from: automated}
    rpo: 24h
    targets:
      - account: vault
        hop_kms_key: arn:aws-cn:kms:cn-north-1:222222222222:key/hop
        regions: {cn-north-1: {kms_key: "arn:aws-cn:kms:cn-north-1:222222222222:key/dr"}}
)");
  const TimePoint now = T("2026-11-25T12:00:00Z");
  Inventory inv;
  for (const char* account : {kProd, kVault}) {
    ScopeInventory si;
    si.scope = Scope{account, "cn-north-1"};
    inv.scopes.push_back(si);
  }
  Database db;
  db.id = "orders-db";
  db.scope = inv.scopes[0].scope;
  db.status = "available";
  db.engine = "postgres";
  db.encrypted = true;
  db.kms_key_id = "arn:aws-cn:kms:cn-north-1:111111111111:key/app";
  inv.scopes[0].databases.push_back(db);
  Snapshot capture;
  capture.id = naming::CaptureName("orders-db", now - std::chrono::hours(2));
  capture.scope = capture.seen_from = inv.scopes[0].scope;  // no `arn` in the listing
  capture.db_id = "orders-db";
  capture.status = SnapshotStatus::kAvailable;
  capture.recovery_point = naming::NamePoint(now - std::chrono::hours(2));
  capture.create_time = capture.recovery_point;
  capture.encrypted = true;
  capture.kms_key_id = db.kms_key_id;
  capture.tags = ManagedTags(capture.id, "orders", "orders-db");
  capture.shared_with = std::vector<std::string>{kVault};
  inv.scopes[0].snapshots.push_back(capture);

  Plan p = MakePlan(inv, cfg, now);
  int vault_copies = 0;
  for (const auto& a : p.actions) {
    if (a.kind != ActionKind::kCopySnapshot || a.stage != Stage::kVault) continue;
    ++vault_copies;
    EXPECT_EQ(a.source_arn.str(),
              "arn:aws-cn:rds:cn-north-1:111111111111:snapshot:" + capture.id.str());
    EXPECT_EQ(a.tags.find(naming::kTagSourceArn)->second,
              "arn:aws-cn:rds:cn-north-1:111111111111:snapshot:" + capture.id.str());
  }
  EXPECT_EQ(vault_copies, 1) << RenderPlan(p);
}

}  // namespace
}  // namespace drsnap::engine
