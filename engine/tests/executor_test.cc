#include "engine/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "config/policy.h"
#include "core/time_util.h"
#include "engine/fake_cloud.h"
#include "engine/naming.h"
#include "engine/observe.h"
#include "engine/planner.h"
#include "engine/reconcile.h"

namespace drsnap::engine {

void PrintTo(const Scope& s, std::ostream* os) { *os << s.ToString(); }

namespace {

// The re-check as one function of (action, fresh snapshot, view).
DeleteCheckFactory PerDelete(
    std::function<DeleteVerdict(const Action&, const Snapshot&, const Inventory&)> judge) {
  return [judge](std::shared_ptr<const Inventory> world) -> DeleteCheck {
    return
        [judge, world](const Action& a, const Snapshot& fresh) { return judge(a, fresh, *world); };
  };
}

const Scope kProd{"111111111111", "us-east-1"};
const Scope kDrSrc{"222222222222", "us-east-1"};
const Scope kDr{"222222222222", "eu-west-1"};
const std::string kDrKey = "arn:aws:kms:eu-west-1:222222222222:key/dr";

Database Db(const Scope& scope, std::string id) {
  Database db;
  db.scope = scope;
  db.id = std::move(id);
  db.engine = "postgres";
  return db;
}

Snapshot Snap(const Scope& scope, std::string id,
              SnapshotStatus status = SnapshotStatus::kAvailable) {
  Snapshot s;
  s.scope = scope;
  s.id = std::move(id);
  s.db_id = "db1";
  s.type = SnapshotType::kManual;
  s.status = status;
  return s;
}

Action Create(const Scope& scope, std::string db, std::string id) {
  Action a;
  a.kind = ActionKind::kCreateSnapshot;
  a.scope = scope;
  a.db_id = std::move(db);
  a.snapshot_id = std::move(id);
  return a;
}

Action Copy(const Scope& dest, const Snapshot& src, std::string id) {
  Action a;
  a.kind = ActionKind::kCopySnapshot;
  a.stage = Stage::kVault;
  a.scope = dest;
  a.source_arn = SnapshotArn(src.scope, src.kind, src.id);
  a.source_region = src.scope.region == dest.region ? "" : src.scope.region;
  a.snapshot_id = std::move(id);
  a.kms_key_id = kDrKey;
  return a;
}

Action Delete(const Scope& scope, std::string id) {
  Action a;
  a.kind = ActionKind::kDeleteSnapshot;
  a.stage = Stage::kExpire;
  a.scope = scope;
  a.snapshot_id = std::move(id);
  return a;
}

Inventory See(FakeCloud& cloud, TimePoint now = TimePoint{}) {
  ObserveRequest req;
  req.scopes = {kProd, kDrSrc, kDr};
  return Observe(cloud, req, now);
}

TEST(ExecutorTest, CreateCopyShareAndAlreadyExistsCountsAsDone) {
  FakeCloud cloud;
  cloud.AddDatabase(Db(kProd, "db1"));
  Snapshot src = Snap(kProd, "drsnap-db1-a");
  cloud.AddSnapshot(src);
  cloud.AddSnapshot(Snap(kProd, "drsnap-db1-exists"));
  Plan plan;
  plan.actions.push_back(Create(kProd, "db1", "drsnap-db1-b"));
  plan.actions.push_back(Create(kProd, "db1", "drsnap-db1-exists"));
  Action copy = Copy(kProd, src, "drsnap-db1-a-copy");
  copy.kms_key_id = SharedString();
  plan.actions.push_back(copy);
  Action share;
  share.kind = ActionKind::kShareSnapshot;
  share.scope = kProd;
  share.snapshot_id = "drsnap-db1-a";
  share.share_with = {"222222222222"};
  plan.actions.push_back(share);

  ApplyReport r = Apply(cloud, plan, See(cloud), ExecutorOptions{});
  ASSERT_EQ(r.results.size(), 4u);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDone);
  ASSERT_TRUE(r.results[0].snapshot.has_value());
  EXPECT_EQ(r.results[0].snapshot->id, "drsnap-db1-b");
  EXPECT_EQ(r.results[1].outcome, Outcome::kAlreadyDone);
  EXPECT_EQ(r.results[2].outcome, Outcome::kDone);
  EXPECT_EQ(r.results[3].outcome, Outcome::kDone);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(*cloud.Find(kProd, "drsnap-db1-a")->shared_with,
            std::vector<std::string>{"222222222222"});
  EXPECT_TRUE(cloud.Find(kProd, "drsnap-db1-a-copy").has_value());
}

TEST(ExecutorTest, CopiesInFlightNeverExceedQuotaCountingRunningOnes) {
  FakeCloud cloud;
  Snapshot src = Snap(kProd, "src");
  src.shared_with = std::vector<std::string>{"222222222222"};
  cloud.AddSnapshot(src);
  cloud.SetStrictSharedCopyRule(false);
  for (int i = 0; i < 17; ++i)
    cloud.AddSnapshot(Snap(kDr, "running-" + std::to_string(i), SnapshotStatus::kCopying));
  Plan plan;
  for (int i = 0; i < 10; ++i) plan.actions.push_back(Copy(kDr, src, "c-" + std::to_string(i)));
  ExecutorOptions opt;
  opt.concurrency = 4;
  ApplyReport r = Apply(cloud, plan, See(cloud), opt);
  EXPECT_EQ(r.Count(Outcome::kDone), 3);
  EXPECT_EQ(r.Count(Outcome::kDeferred), 7);
  EXPECT_EQ(r.Count(Outcome::kFailed), 0);
  EXPECT_EQ(cloud.Calls("CopySnapshot"), 3);  // deferred copies are not even tried
  EXPECT_EQ(cloud.MaxCopiesInFlight(kDr), 20);
  for (const auto& res : r.results) {
    if (res.outcome == Outcome::kDeferred) {
      EXPECT_NE(res.reason.find("in flight"), std::string::npos) << res.reason;
    }
  }
}

// AWS reports a copy that waits its turn as "pending" and a copy within a
// region as "creating" (drsnap-sim does too): they hold a slot of the
// quota as much as a "copying" one does.
TEST(ExecutorTest, QueuedAndCreatingCopiesCountAgainstTheQuota) {
  FakeCloud cloud;
  Snapshot src = Snap(kProd, "src");
  src.shared_with = std::vector<std::string>{"222222222222"};
  cloud.AddSnapshot(src);
  cloud.SetStrictSharedCopyRule(false);
  Inventory seen = See(cloud);
  ScopeInventory* dr = nullptr;
  for (auto& si : seen.scopes)
    if (si.scope == kDr) dr = &si;
  ASSERT_NE(dr, nullptr);
  for (int i = 0; i < 18; ++i) {
    Snapshot queued = Snap(kDr, "queued-" + std::to_string(i), SnapshotStatus::kCreating);
    queued.source_arn = SnapshotArn(src.scope, src.kind, src.id);
    queued.seen_from = kDr;
    dr->snapshots.push_back(queued);
  }
  Snapshot made = Snap(kDr, "made-not-copied", SnapshotStatus::kCreating);  // CreateDBSnapshot
  made.seen_from = kDr;
  dr->snapshots.push_back(made);
  Plan plan;
  for (int i = 0; i < 5; ++i) plan.actions.push_back(Copy(kDr, src, "c-" + std::to_string(i)));
  ApplyReport r = Apply(cloud, plan, seen, ExecutorOptions{});
  EXPECT_EQ(r.Count(Outcome::kDone), 2);  // 18 queued + 2 = the quota of 20
  EXPECT_EQ(r.Count(Outcome::kDeferred), 3);
}

TEST(ExecutorTest, QuotaExceededStopsThatKindIntoThatScopeWithoutSpinning) {
  FakeCloud cloud;
  cloud.AddDatabase(Db(kProd, "db1"));
  cloud.SetManualSnapshotQuota(2);
  Plan plan;
  for (int i = 0; i < 6; ++i)
    plan.actions.push_back(Create(kProd, "db1", "s-" + std::to_string(i)));
  ExecutorOptions opt;
  opt.concurrency = 1;
  ApplyReport r = Apply(cloud, plan, See(cloud), opt);
  EXPECT_EQ(r.Count(Outcome::kDone), 2);
  EXPECT_EQ(r.Count(Outcome::kFailed), 1);
  EXPECT_EQ(r.Count(Outcome::kDeferred), 3);
  EXPECT_EQ(cloud.Calls("CreateSnapshot"), 3);
  ASSERT_TRUE(r.results[2].error.has_value());
  EXPECT_EQ(r.results[2].error->code, "SnapshotQuotaExceeded");
  EXPECT_NE(r.results[3].reason.find("SnapshotQuotaExceeded"), std::string::npos);
}

TEST(ExecutorTest, OneStepCopyRefusalIsLearnedPerTarget) {
  FakeCloud cloud;  // strict rule by default
  Snapshot src = Snap(kProd, "drsnap-db1-a");
  src.encrypted = true;
  src.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/share";
  src.shared_with = std::vector<std::string>{"222222222222"};
  cloud.AddSnapshot(src);
  Plan plan;
  plan.actions.push_back(Copy(kDr, src, "vault-a"));
  ExecutorOptions opt;
  opt.facts.one_step_copy_refused = {Scope{"333333333333", "eu-west-1"}};
  ApplyReport r = Apply(cloud, plan, See(cloud), opt);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred);
  EXPECT_TRUE(r.facts_changed);
  EXPECT_EQ(r.facts.one_step_copy_refused,
            (std::vector<Scope>{Scope{"333333333333", "eu-west-1"}, kDr}));
  // The same-region hop into the DR account is accepted.
  Plan hop;
  hop.actions.push_back(Copy(kDrSrc, src, "hop-a"));
  ApplyReport r2 = Apply(cloud, hop, See(cloud), opt);
  EXPECT_EQ(r2.results[0].outcome, Outcome::kDone);
  EXPECT_FALSE(r2.facts_changed);
}

// The one-step refusal is recognised by what was asked and the error's
// class, not by AWS's wording (drsnap-sim's sentence is a guess).
TEST(ExecutorTest, RefusalClassifierIsPrecise) {
  Snapshot shared;
  shared.scope = Scope{"111111111111", "us-east-1"};
  shared.id = "drsnap-db-202611230410";
  const Action one_step = Copy(Scope{"222222222222", "eu-west-1"}, shared, "v");
  for (const char* wording :
       {"A shared encrypted snapshot can only be copied within its region.",
        "Copying an encrypted snapshot shared from another AWS account to a different region is "
        "not supported. Copy it within region us-east-1 first.",
        "Cross-account copy of a DB cluster snapshot is only supported within the same region.",
        "some wording AWS may choose tomorrow"})
    EXPECT_TRUE(IsOneStepCopyRefusal(one_step, Error::Terminal("InvalidParameterCombination", wording)))
        << wording;
  // Another error class is not the rule, whatever it says.
  EXPECT_FALSE(IsOneStepCopyRefusal(one_step, Error::Terminal("AccessDenied", "only be copied within")));
  EXPECT_FALSE(IsOneStepCopyRefusal(one_step, Error::Terminal("KMSKeyNotAccessibleFault", "within region")));
  // What was asked is not a one-step shared copy: same region, own snapshot, no key.
  const Action same_region = Copy(Scope{"222222222222", "us-east-1"}, shared, "h");
  EXPECT_FALSE(IsOneStepCopyRefusal(
      same_region, Error::Terminal("InvalidParameterCombination", "only be copied within")));
  Snapshot own = shared;
  own.scope = Scope{"222222222222", "us-east-1"};
  EXPECT_FALSE(IsOneStepCopyRefusal(Copy(Scope{"222222222222", "eu-west-1"}, own, "v"),
                                    Error::Terminal("InvalidParameterCombination", "x")));
  Action no_key = one_step;
  no_key.kms_key_id = SharedString();
  EXPECT_FALSE(IsOneStepCopyRefusal(
      no_key, Error::Terminal("InvalidParameterValue",
                              "KmsKeyId must be specified to copy an encrypted snapshot")));

  // A DB cluster snapshot's one-step copy is judged the same way (issue 19 item 6).
  Snapshot cluster = shared;
  cluster.kind = DbKind::kCluster;
  Action cluster_copy = Copy(Scope{"222222222222", "eu-west-1"}, cluster, "v");
  cluster_copy.db_kind = DbKind::kCluster;
  EXPECT_TRUE(IsOneStepCopyRefusal(cluster_copy,
                                   Error::Terminal("InvalidParameterCombination", "any words")));
  EXPECT_TRUE(IsOneStepCopyRefusal(
      cluster_copy, Error::Terminal("InvalidDBClusterSnapshotStateFault", "any words")));
  EXPECT_FALSE(IsOneStepCopyRefusal(cluster_copy, Error::Terminal("AccessDenied", "any words")));
}

TEST(ExecutorTest, DeletesAreRecheckedAgainstAFreshViewAfterOtherActions) {
  FakeCloud cloud;
  cloud.AddDatabase(Db(kProd, "db1"));
  cloud.AddSnapshot(Snap(kProd, "old-1"));
  cloud.AddSnapshot(Snap(kProd, "old-2"));
  cloud.AddSnapshot(Snap(kProd, "keep-me"));
  Plan plan;
  plan.actions.push_back(Delete(kProd, "old-1"));
  plan.actions.push_back(Delete(kProd, "keep-me"));
  plan.actions.push_back(Delete(kProd, "gone"));
  plan.actions.push_back(Create(kProd, "db1", "new-1"));
  plan.actions.push_back(Delete(kProd, "old-2"));
  int refreshes = 0;
  bool saw_new_snapshot = false;
  ExecutorOptions opt;
  opt.refresh = [&] {
    ++refreshes;
    return See(cloud);
  };
  opt.delete_guard = PerDelete([&](const Action& a, const Snapshot& fresh, const Inventory& world) {
    EXPECT_EQ(fresh.id, a.snapshot_id);
    for (const auto& s : world.Find(kProd)->snapshots) saw_new_snapshot |= s.id == "new-1";
    if (a.snapshot_id == "keep-me")
      return DeleteVerdict::Refused(SafetyRule::kNewestVaultCopy, "newest copy");
    return DeleteVerdict::Allowed();
  });
  ApplyReport r = Apply(cloud, plan, See(cloud), opt);
  EXPECT_EQ(refreshes, 1);
  EXPECT_TRUE(saw_new_snapshot);  // the create ran before the deletes' fresh view
  EXPECT_EQ(r.results[0].outcome, Outcome::kDone);
  EXPECT_EQ(r.results[1].outcome, Outcome::kDeferred);
  EXPECT_NE(r.results[1].reason.find("newest copy"), std::string::npos);
  EXPECT_EQ(r.results[2].outcome, Outcome::kAlreadyDone);
  EXPECT_EQ(r.results[3].outcome, Outcome::kDone);
  EXPECT_EQ(r.results[4].outcome, Outcome::kDone);
  EXPECT_FALSE(cloud.Find(kProd, "old-1").has_value());
  EXPECT_TRUE(cloud.Find(kProd, "keep-me").has_value());
  EXPECT_FALSE(cloud.Find(kProd, "old-2").has_value());
}

TEST(ExecutorTest, DeletesWithoutGuardAreHeldBack) {
  FakeCloud cloud;
  cloud.AddSnapshot(Snap(kProd, "old-1"));
  Plan plan;
  plan.actions.push_back(Delete(kProd, "old-1"));
  ApplyReport r = Apply(cloud, plan, See(cloud), ExecutorOptions{});
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred);
  EXPECT_TRUE(cloud.Find(kProd, "old-1").has_value());
  EXPECT_EQ(cloud.Calls("DeleteSnapshot"), 0);
}

TEST(ExecutorTest, FailedCallIsReportedWithContext) {
  FakeCloud cloud;
  cloud.AddDatabase(Db(kProd, "db1"));
  cloud.FailNext("CreateSnapshot", Error::Transient("InternalFailure", "boom"));
  Plan plan;
  plan.actions.push_back(Create(kProd, "db1", "s-1"));
  ApplyReport r = Apply(cloud, plan, See(cloud), ExecutorOptions{});
  EXPECT_FALSE(r.ok());
  ASSERT_TRUE(r.results[0].error.has_value());
  EXPECT_EQ(r.results[0].error->code, "InternalFailure");
  EXPECT_NE(r.results[0].error->ToString().find("s-1"), std::string::npos);
}

TEST(ExecutorTest, DeadlineDryRunAndStopIssueNothing) {
  FakeCloud cloud;
  cloud.AddDatabase(Db(kProd, "db1"));
  cloud.AddSnapshot(Snap(kProd, "old"));
  Plan plan;
  plan.actions.push_back(Create(kProd, "db1", "s-1"));
  plan.actions.push_back(Delete(kProd, "old"));
  auto clock = std::make_shared<FakeClock>(TimePoint{} + std::chrono::hours(1));
  ExecutorOptions opt;
  opt.clock = clock;
  opt.delete_guard = PerDelete(
      [](const Action&, const Snapshot&, const Inventory&) { return DeleteVerdict::Allowed(); });
  opt.deadline = clock->Now() + std::chrono::seconds(3);  // inside the 5s margin
  ApplyReport r = Apply(cloud, plan, See(cloud), opt);
  EXPECT_TRUE(r.deadline_reached);
  EXPECT_EQ(r.Count(Outcome::kDeferred), 2);

  ExecutorOptions dry;
  dry.dry_run = true;
  dry.delete_guard = opt.delete_guard;
  r = Apply(cloud, plan, See(cloud), dry);
  EXPECT_EQ(r.Count(Outcome::kDeferred), 2);
  EXPECT_NE(r.results[0].reason.find("dry run"), std::string::npos);

  std::atomic<bool> stop{true};
  ExecutorOptions stopping;
  stopping.stop = &stop;
  stopping.delete_guard = opt.delete_guard;
  r = Apply(cloud, plan, See(cloud), stopping);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.Count(Outcome::kDeferred), 2);
  EXPECT_TRUE(cloud.MutationLog().empty());
}

TEST(ExecutorTest, ProgressReportsStartAndFinishOfEveryIssuedAction) {
  FakeCloud cloud;
  cloud.AddDatabase(Db(kProd, "db1"));
  Plan plan;
  for (int i = 0; i < 5; ++i)
    plan.actions.push_back(Create(kProd, "db1", "s-" + std::to_string(i)));
  int started = 0, finished = 0;
  ExecutorOptions opt;
  opt.concurrency = 3;
  opt.progress = [&](const ProgressEvent& ev) {
    EXPECT_EQ(ev.total, 5u);
    (ev.result == nullptr ? started : finished)++;
  };
  Apply(cloud, plan, See(cloud), opt);
  EXPECT_EQ(started, 5);
  EXPECT_EQ(finished, 5);
}

// --- the targeted delete re-check (executor.h) ---------------------------------

const TimePoint kNow = TimePoint{} + std::chrono::hours(1000);

// A capture in kProd shared with the DR account, and a guard that refuses a
// delete while any copy in flight in the view reads the snapshot (S3).
struct RecheckWorld {
  FakeCloud cloud;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>(kNow);
  Snapshot victim = Snap(kProd, "drsnap-db1-victim");
  std::vector<std::string> judged;  // ids the guard saw, in order
  std::mutex mu;

  RecheckWorld() {
    victim.shared_with = std::vector<std::string>{"222222222222"};
    cloud.AddSnapshot(victim);
    victim = *cloud.Find(kProd, victim.id);
  }

  ExecutorOptions Options() {
    ExecutorOptions opt;
    opt.clock = clock;
    opt.recheck_scopes = [](const Action&) { return std::vector<Scope>{kDr}; };
    opt.delete_guard =
        PerDelete([this](const Action& a, const Snapshot& fresh, const Inventory& world) {
          {
            std::lock_guard l(mu);
            judged.push_back(fresh.id);
          }
          for (const auto& si : world.scopes) {
            if (!si.complete)
              return DeleteVerdict::Refused(SafetyRule::kIncompleteObservation, "incomplete");
            for (const auto& s : si.snapshots)
              if (s.status == SnapshotStatus::kCopying && s.source_arn == fresh.arn)
                return DeleteVerdict::Refused(SafetyRule::kInFlightDependency,
                                              s.id.str() + " copies " + a.snapshot_id.str());
          }
          return DeleteVerdict::Allowed();
        });
    return opt;
  }

  // A copy of the victim into kDr started by someone else (another process).
  void ForeignCopy(const std::string& id) {
    Snapshot reader = Snap(kDr, id, SnapshotStatus::kCopying);
    reader.source_arn = victim.arn;
    reader.source_region = kProd.region;
    cloud.AddSnapshot(reader);
  }
};

TEST(ExecutorRecheckTest, CopyIssuedByThisApplyBlocksTheDeleteWithoutListingAgain) {
  RecheckWorld w;
  Inventory observed = See(w.cloud, kNow);
  Plan plan;
  plan.actions.push_back(Delete(kProd, w.victim.id));
  Action copy = Copy(kDr, w.victim, "drsnap-db1-victim-vault");
  copy.kms_key_id = SharedString();
  plan.actions.push_back(copy);
  int lists = w.cloud.Calls("ListSnapshots");
  ApplyReport r = Apply(w.cloud, plan, observed, w.Options());
  EXPECT_EQ(r.results[1].outcome, Outcome::kDone);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred) << r.results[0].reason;
  EXPECT_EQ(r.results[0].refused_by, SafetyRule::kInFlightDependency);
  EXPECT_NE(r.results[0].reason.find("drsnap-db1-victim-vault copies"), std::string::npos)
      << r.results[0].reason;
  EXPECT_TRUE(w.cloud.Find(kProd, w.victim.id).has_value());
  // A fresh view (no time passed, nobody else at work): no scope listed
  // again; the snapshot itself is read (one describe: cheaper than listing
  // its scope for one delete).
  EXPECT_EQ(w.cloud.Calls("ListSnapshots"), lists);
  EXPECT_EQ(w.cloud.Calls("DescribeSnapshot"), 1);
  EXPECT_TRUE(r.recheck_listings.empty());
  EXPECT_EQ(r.recheck_describes, 1);
}

TEST(ExecutorRecheckTest, ForeignCopyIsFoundByListingAgainOnceTheViewIsOlderThanMaxAge) {
  RecheckWorld w;
  Inventory observed = See(w.cloud, kNow);
  w.ForeignCopy("someone-elses-copy");  // after the observation
  w.clock->Advance(std::chrono::seconds(61));
  Plan plan;
  plan.actions.push_back(Delete(kProd, w.victim.id));
  ApplyReport r = Apply(w.cloud, plan, observed, w.Options());
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred) << r.results[0].reason;
  EXPECT_NE(r.results[0].reason.find("someone-elses-copy"), std::string::npos)
      << r.results[0].reason;
  EXPECT_TRUE(w.cloud.Find(kProd, w.victim.id).has_value());
  EXPECT_EQ(r.recheck_listings, std::vector<Scope>{kDr});  // where the readers live
  EXPECT_EQ(r.recheck_describes, 1);  // the victim itself (cheaper than listing kProd)
  EXPECT_EQ(w.cloud.Calls("DeleteSnapshot"), 0);

  // Within max_view_age the observation is the view: the same delete goes.
  ExecutorOptions young = w.Options();
  young.max_view_age = std::chrono::minutes(2);
  Plan other;
  w.cloud.AddSnapshot(Snap(kProd, "drsnap-db1-unread"));
  other.actions.push_back(Delete(kProd, "drsnap-db1-unread"));
  ApplyReport r2 = Apply(w.cloud, other, See(w.cloud, kNow), young);
  EXPECT_EQ(r2.results[0].outcome, Outcome::kDone) << r2.results[0].reason;
  EXPECT_TRUE(r2.recheck_listings.empty());
}

TEST(ExecutorRecheckTest, ScopesWrittenByOthersAreListedOnceBeforeTheDeletesThatReadThem) {
  RecheckWorld w;
  w.cloud.AddSnapshot(Snap(kProd, "drsnap-db1-free"));
  Inventory observed = See(w.cloud, kNow);
  w.ForeignCopy("vault-side-copy");  // the vault deployment, concurrently
  Plan plan;
  plan.actions.push_back(Delete(kProd, w.victim.id));
  plan.actions.push_back(Delete(kProd, "drsnap-db1-free"));
  ExecutorOptions opt = w.Options();
  opt.written_by_others = [](const Scope& s) { return s.account_id == kDr.account_id; };
  ApplyReport r = Apply(w.cloud, plan, observed, opt);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred) << r.results[0].reason;
  EXPECT_NE(r.results[0].reason.find("vault-side-copy"), std::string::npos);
  EXPECT_EQ(r.results[1].outcome, Outcome::kDone) << r.results[1].reason;
  // kDr once for both deletes; kProd, the deletes' own scope, once too
  // (one listing reads both snapshots for fewer calls than two describes).
  EXPECT_EQ(r.recheck_listings, (std::vector<Scope>{kDr, kProd}));
  EXPECT_EQ(r.recheck_describes, 0);
}

TEST(ExecutorRecheckTest, AlreadyExistsForACopyTheObservationDidNotShowListsItsScope) {
  RecheckWorld w;
  Inventory observed = See(w.cloud, kNow);
  w.ForeignCopy("drsnap-db1-victim-vault");  // made after the observation, same name
  Plan plan;
  plan.actions.push_back(Delete(kProd, w.victim.id));
  Action copy = Copy(kDr, w.victim, "drsnap-db1-victim-vault");
  copy.kms_key_id = SharedString();
  plan.actions.push_back(copy);
  ApplyReport r = Apply(w.cloud, plan, observed, w.Options());
  EXPECT_EQ(r.results[1].outcome, Outcome::kAlreadyDone);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred) << r.results[0].reason;
  EXPECT_EQ(r.recheck_listings, std::vector<Scope>{kDr});
  EXPECT_TRUE(w.cloud.Find(kProd, w.victim.id).has_value());
}

TEST(ExecutorRecheckTest, FailedListingLeavesTheScopeIncompleteAndTheDeleteHeldBack) {
  RecheckWorld w;
  Inventory observed = See(w.cloud, kNow);
  w.clock->Advance(std::chrono::minutes(5));
  w.cloud.FailListing(kDr, Error::Transient("InternalFailure", "boom"));
  Plan plan;
  plan.actions.push_back(Delete(kProd, w.victim.id));
  ApplyReport r = Apply(w.cloud, plan, observed, w.Options());
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred) << r.results[0].reason;
  EXPECT_EQ(r.results[0].refused_by, SafetyRule::kIncompleteObservation) << r.results[0].reason;
  EXPECT_TRUE(w.cloud.Find(kProd, w.victim.id).has_value());
}

// (a): a stale view of the snapshot's own scope (which holds no readers
// here) is refreshed by whichever costs fewer calls.
TEST(ExecutorRecheckTest, StaleSnapshotIsReadAgainByTheCheaperOfDescribeAndList) {
  RecheckWorld w;
  for (int i = 0; i < 3; ++i)
    w.cloud.AddSnapshot(Snap(kProd, "drsnap-db1-old-" + std::to_string(i)));
  Inventory observed = See(w.cloud, kNow);
  w.clock->Advance(std::chrono::minutes(5));
  ExecutorOptions opt = w.Options();
  opt.recheck_scopes = [](const Action&) { return std::vector<Scope>{}; };

  // One delete: one DescribeSnapshot (a listing costs a page per kind).
  Plan one;
  one.actions.push_back(Delete(kProd, "drsnap-db1-old-0"));
  ApplyReport r1 = Apply(w.cloud, one, observed, opt);
  EXPECT_EQ(r1.results[0].outcome, Outcome::kDone) << r1.results[0].reason;
  EXPECT_EQ(r1.recheck_describes, 1);
  EXPECT_TRUE(r1.recheck_listings.empty());
  EXPECT_EQ(w.cloud.Calls("DescribeSnapshot"), 1);

  // Three deletes (one of them already gone): one listing, no describe.
  Plan three;
  for (int i = 0; i < 3; ++i)
    three.actions.push_back(Delete(kProd, "drsnap-db1-old-" + std::to_string(i)));
  ApplyReport r3 = Apply(w.cloud, three, observed, opt);
  EXPECT_EQ(r3.results[0].outcome, Outcome::kAlreadyDone) << r3.results[0].reason;
  EXPECT_EQ(r3.results[1].outcome, Outcome::kDone);
  EXPECT_EQ(r3.results[2].outcome, Outcome::kDone);
  EXPECT_EQ(r3.recheck_describes, 0);
  EXPECT_EQ(r3.recheck_listings, std::vector<Scope>{kProd});
  EXPECT_EQ(w.cloud.Calls("DescribeSnapshot"), 1);
  std::ranges::sort(w.judged);  // deletes run concurrently
  EXPECT_EQ(w.judged,
            (std::vector<std::string>{"drsnap-db1-old-0", "drsnap-db1-old-1", "drsnap-db1-old-2"}));
}

// The tags the guard judges are the fresh ones: a snapshot someone took
// over (drsnap's tags removed) after the observation is judged as it is now.
TEST(ExecutorRecheckTest, StaleViewJudgesTheSnapshotAsAwsShowsItNow) {
  RecheckWorld w;
  Snapshot mine = Snap(kProd, "drsnap-db1-mine");
  mine.tags = {{"drsnap:managed", "true"}};
  w.cloud.AddSnapshot(mine);
  Inventory observed = See(w.cloud, kNow);
  Snapshot taken = *w.cloud.Find(kProd, mine.id);
  taken.tags.clear();
  w.cloud.AddSnapshot(taken);  // replaces it
  w.clock->Advance(std::chrono::minutes(2));
  ExecutorOptions opt = w.Options();
  opt.delete_guard = PerDelete([](const Action&, const Snapshot& fresh, const Inventory&) {
    if (!fresh.tags.contains("drsnap:managed"))
      return DeleteVerdict::Refused(SafetyRule::kNotCreatedByDrsnap, "not drsnap's");
    return DeleteVerdict::Allowed();
  });
  Plan plan;
  plan.actions.push_back(Delete(kProd, mine.id));
  ApplyReport r = Apply(w.cloud, plan, observed, opt);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred) << r.results[0].reason;
  EXPECT_TRUE(w.cloud.Find(kProd, mine.id).has_value());
}

TEST(ExecutorTest, OneStepCopiesIntoAScopeThatRefusedOneAreNotIssuedAgain) {
  FakeCloud cloud;  // strict rule
  std::vector<Snapshot> sources;
  for (int i = 0; i < 5; ++i) {
    Snapshot s = Snap(kProd, "drsnap-db" + std::to_string(i) + "-a");
    s.encrypted = true;
    s.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/share";
    s.shared_with = std::vector<std::string>{"222222222222"};
    cloud.AddSnapshot(s);
    sources.push_back(*cloud.Find(kProd, s.id));
  }
  Plan plan;
  for (const auto& s : sources) plan.actions.push_back(Copy(kDr, s, s.id + "-vault"));
  Action hop = Copy(kDrSrc, sources[0], sources[0].id + "-hop");  // same region: allowed
  plan.actions.push_back(hop);
  ExecutorOptions opt;
  opt.concurrency = 1;
  ApplyReport r = Apply(cloud, plan, See(cloud), opt);
  EXPECT_EQ(cloud.Calls("CopySnapshot"), 2);  // the refused one and the hop
  ASSERT_TRUE(r.results[0].error.has_value());
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(r.results[i].outcome, Outcome::kDeferred);
    EXPECT_FALSE(r.results[i].error.has_value());
    EXPECT_NE(r.results[i].reason.find("earlier in this run"), std::string::npos)
        << r.results[i].reason;
  }
  EXPECT_EQ(r.results[5].outcome, Outcome::kDone);
  EXPECT_EQ(r.facts.one_step_copy_refused, std::vector<Scope>{kDr});
}

// A copy that reads a capture shared in the same apply (Action::after_share)
// is issued only once that share succeeded: never before it, never when it
// failed, and a failure right after it is not taken for AWS's final word.
class ExecutorAfterShareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud.SetStrictSharedCopyRule(false);  // one step, when shared
    Snapshot s = Snap(kProd, "drsnap-db1-a");
    s.encrypted = true;
    s.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/share";
    cloud.AddSnapshot(s);
    capture = *cloud.Find(kProd, s.id);
    Action share;
    share.kind = ActionKind::kShareSnapshot;
    share.stage = Stage::kShare;
    share.scope = kProd;
    share.snapshot_id = capture.id;
    share.share_with = {"222222222222"};
    plan.actions.push_back(share);
    Action copy = Copy(kDr, capture, "drsnap-111111111111-db1-a");
    copy.after_share = capture.id;
    plan.actions.push_back(copy);
  }

  FakeCloud cloud;
  Snapshot capture;
  Plan plan;
};

// A share that takes a while: without the dependency the copy would run
// meanwhile (and AWS would not find the snapshot). Records whether a copy
// started before the share had finished.
class SlowShareCloud final : public CloudWrapper {
 public:
  using CloudWrapper::CloudWrapper;
  Status ShareSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id,
                       const std::vector<std::string>& accounts) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Status st = CloudWrapper::ShareSnapshot(scope, kind, snapshot_id, accounts);
    shared = true;
    return st;
  }
  Result<Snapshot> CopySnapshot(const Scope& destination, const CopyRequest& request) override {
    if (!shared) copied_before_the_share = true;
    return CloudWrapper::CopySnapshot(destination, request);
  }
  std::atomic<bool> shared{false}, copied_before_the_share{false};
};

TEST_F(ExecutorAfterShareTest, TheCopyRunsOnceTheShareSucceeded) {
  SlowShareCloud slow(std::shared_ptr<Cloud>(std::shared_ptr<Cloud>(), &cloud));
  ApplyReport r = Apply(slow, plan, See(cloud), ExecutorOptions{});
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDone);
  EXPECT_EQ(r.results[1].outcome, Outcome::kDone) << r.results[1].reason;
  EXPECT_FALSE(slow.copied_before_the_share);
  EXPECT_TRUE(cloud.Find(kDr, "drsnap-111111111111-db1-a").has_value());
}

TEST_F(ExecutorAfterShareTest, AFailedShareLeadsToNoCopyCall) {
  cloud.FailNext("ShareSnapshot", Error::Terminal("InvalidDBSnapshotState", "busy"));
  ApplyReport r = Apply(cloud, plan, See(cloud), ExecutorOptions{});
  EXPECT_EQ(r.results[0].outcome, Outcome::kFailed);
  EXPECT_EQ(r.results[1].outcome, Outcome::kDeferred);
  EXPECT_NE(r.results[1].reason.find("share"), std::string::npos) << r.results[1].reason;
  EXPECT_EQ(cloud.Calls("CopySnapshot"), 0);
  // Nor without the share in the plan (a plan narrowed to one side).
  Plan alone;
  alone.actions.push_back(plan.actions[1]);
  ApplyReport r2 = Apply(cloud, alone, See(cloud), ExecutorOptions{});
  EXPECT_EQ(r2.results[0].outcome, Outcome::kDeferred);
  EXPECT_EQ(cloud.Calls("CopySnapshot"), 0);
}

TEST_F(ExecutorAfterShareTest, ACopyRefusedRightAfterItsShareIsNotRecordedAsARefusal) {
  // AWS may not yet let the DR account read what was just shared; a state
  // error or a refusal the ledger would keep is not taken as its answer:
  // the next reconcile asks again (and records a refusal then).
  for (const char* code : {"InvalidDBSnapshotState", "KMSKeyNotAccessibleFault"}) {
    cloud.FailNext("CopySnapshot", Error::Terminal(code, "refused"));
    ApplyReport r = Apply(cloud, plan, See(cloud), ExecutorOptions{});
    EXPECT_EQ(r.results[1].outcome, Outcome::kDeferred) << code;
    EXPECT_TRUE(r.results[1].error.has_value()) << code;
    EXPECT_FALSE(r.facts_changed) << code;
    EXPECT_TRUE(r.facts.one_step_copy_refused.empty()) << code;
    EXPECT_TRUE(cloud.LedgerTags(kDr).empty()) << code;
  }
  // AWS's copy rule refusing one step (a parameter refusal about a snapshot
  // it could read) is learned, right after the share as after any other.
  cloud.SetStrictSharedCopyRule(true);
  ApplyReport r = Apply(cloud, plan, See(cloud), ExecutorOptions{});
  EXPECT_EQ(r.results[1].outcome, Outcome::kDeferred);
  EXPECT_TRUE(r.facts_changed);
  EXPECT_EQ(r.facts.one_step_copy_refused, std::vector<Scope>{kDr});
}

// End to end through Reconciler::RunOnce and the real delete guard (S1-S5),
// FakeCloud applying AWS's older rule (so vault copies go through a hop).
class RunOnceRecheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = config::ParseConfig(R"(version: 1
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["*"]}
    source: {account: prod, region: us-east-1, from: automated,
             share_key: "arn:aws:kms:us-east-1:111111111111:key/share"}
    rpo: 24h
    targets:
      - account: vault
        hop_kms_key: "arn:aws:kms:us-east-1:222222222222:key/hop"
        regions:
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/dr"}
    retention: {daily: 7}
)",
                                   "test.yaml");
    ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
    TimePoint t0 = *ParseIso8601("2026-11-23T00:00:00Z");
    clock_ = std::make_shared<FakeClock>(t0);
    cloud_->SetNow(t0);
    Database db = Db(kProd, "db1");
    db.status = "available";
    db.encrypted = true;
    db.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/share";
    db.backup_retention_days = 7;
    cloud_->AddDatabase(db);
    AddAutomated("2026-11-22");
    rec_ = std::make_unique<Reconciler>(cloud_, *cfg, clock_);
  }

  void AddAutomated(const std::string& day) {
    Snapshot automated = Snap(kProd, "rds:db1-" + day + "-04-10");
    automated.type = SnapshotType::kAutomated;
    automated.create_time = *ParseIso8601(day + "T04:10:00Z");
    automated.encrypted = true;
    automated.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/share";
    automated.engine = "postgres";
    cloud_->AddSnapshot(automated);
  }

  void NextStep(Duration d = std::chrono::minutes(10)) {
    cloud_->CompleteAll();
    clock_->Advance(d);
    cloud_->SetNow(clock_->Now());
  }

  // Reconciles on `side` until a plan deletes a snapshot of `stage`; right
  // before that apply, `meanwhile(victim)` runs (another actor). Returns the
  // delete's result.
  std::optional<ActionResult> RunUntilDelete(Side side, naming::NameStage stage,
                                             const std::function<void(const Snapshot&)>& meanwhile,
                                             ReconcileReport* report) {
    for (int i = 0; i < 20; ++i) {
      std::optional<Action> victim;
      ReconcileOptions opt;
      opt.side = side;
      opt.on_planned = [&](const Plan& plan) {
        if (victim) return;  // a re-plan
        for (const auto& a : plan.actions) {
          auto l = naming::ParseName(a.snapshot_id);
          if (a.kind == ActionKind::kDeleteSnapshot && l && l->stage == stage) victim = a;
        }
        if (victim) meanwhile(*cloud_->Find(victim->scope, victim->snapshot_id));
      };
      *report = rec_->RunOnce(opt);
      if (victim) {
        for (const auto& res : report->apply.results)
          if (res.action.kind == ActionKind::kDeleteSnapshot &&
              res.action.snapshot_id == victim->snapshot_id)
            return res;
        ADD_FAILURE() << "no result for the delete of " << victim->snapshot_id;
        return std::nullopt;
      }
      if (side != Side::kAll) rec_->RunOnce(ReconcileOptions{});  // the other side's work
      NextStep();
    }
    return std::nullopt;
  }

  // A copy in flight into `scope` that reads `from`, as another drsnap
  // process would make it.
  void StartForeignCopy(const Scope& scope, const std::string& id, const Snapshot& from) {
    Snapshot reader = Snap(scope, id, SnapshotStatus::kCopying);
    reader.source_arn = from.arn;
    reader.source_region = from.scope.region == scope.region ? "" : from.scope.region;
    reader.encrypted = true;
    reader.tags = {{naming::kTagManaged, "true"},
                   {naming::kTagStage, "vault"},
                   {naming::kTagPolicy, "orders"},
                   {naming::kTagDb, "db1"}};
    cloud_->AddSnapshot(reader);
  }

  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<FakeCloud> cloud_ = std::make_shared<FakeCloud>();
  std::unique_ptr<Reconciler> rec_;
};

// One deployment for both sides: a hop whose vault copy is available is due
// for deletion; meanwhile another process starts a second vault copy from
// it, and the apply runs more than max_view_age after the observation.
TEST_F(RunOnceRecheckTest, DeleteOfASnapshotAnotherProcessStartedCopyingIsHeldBack) {
  ReconcileReport r;
  auto res = RunUntilDelete(
      Side::kAll, naming::NameStage::kHop,
      [&](const Snapshot& hop) {
        StartForeignCopy(kDr, "drsnap-111111111111-db1-202611220410-r1", hop);
        clock_->Advance(std::chrono::minutes(2));
      },
      &r);
  ASSERT_TRUE(res.has_value()) << "the pipeline never planned to delete a hop";
  EXPECT_EQ(res->outcome, Outcome::kDeferred) << res->reason;
  EXPECT_EQ(res->refused_by, SafetyRule::kInFlightDependency) << res->reason;
  EXPECT_EQ(r.apply.recheck_listings, std::vector<Scope>{kDr});  // the hop's readers
  EXPECT_TRUE(cloud_->Find(res->action.scope, res->action.snapshot_id).has_value());
}

// The same without the foreign copy: the re-check costs one read of the
// snapshot itself, no listing.
TEST_F(RunOnceRecheckTest, UndisturbedDeleteCostsItsCallAndOneRead) {
  ReconcileReport r;
  auto res = RunUntilDelete(
      Side::kAll, naming::NameStage::kHop, [](const Snapshot&) {}, &r);
  ASSERT_TRUE(res.has_value()) << "the pipeline never planned to delete a hop";
  EXPECT_EQ(res->outcome, Outcome::kDone) << res->reason;
  EXPECT_TRUE(r.apply.recheck_listings.empty());
  EXPECT_EQ(r.apply.recheck_describes, 1);
  EXPECT_FALSE(cloud_->Find(res->action.scope, res->action.snapshot_id).has_value());
}

// A source-side deployment expiring a capture: the vault side (another
// deployment) copies into the DR scopes, so they are listed again before the
// delete even though no time passed.
TEST_F(RunOnceRecheckTest, SourceSideListsTheScopesTheVaultSideWritesBeforeExpiringACapture) {
  // Day 1 converges; day 2's automated snapshot makes day 1's capture due.
  for (int i = 0; i < 12; ++i) {
    if (rec_->RunOnce(ReconcileOptions{}).plan.actions.empty()) break;
    NextStep();
  }
  AddAutomated("2026-11-23");
  NextStep(std::chrono::hours(24));
  ReconcileReport r;
  auto res = RunUntilDelete(
      Side::kSource, naming::NameStage::kCapture,
      [&](const Snapshot& capture) {
        StartForeignCopy(kDrSrc, "drsnap-111111111111-db1-202611220410-hop-r1", capture);
      },
      &r);
  ASSERT_TRUE(res.has_value()) << "the source side never planned to expire a capture";
  EXPECT_EQ(res->outcome, Outcome::kDeferred) << res->reason;
  EXPECT_EQ(res->refused_by, SafetyRule::kInFlightDependency) << res->reason;
  EXPECT_FALSE(r.apply.recheck_listings.empty());
  for (const auto& s : r.apply.recheck_listings) EXPECT_EQ(s.account_id, kDr.account_id);
  EXPECT_TRUE(cloud_->Find(res->action.scope, res->action.snapshot_id).has_value());
}

// A vault-side deployment runs as several functions at once (vault.yaml in
// every DR region, all reconciling the same DR account): another one may
// start a copy reading a hop this one is about to delete, with no time
// passing. The DR scopes are listed again before the delete.
TEST_F(RunOnceRecheckTest, VaultSideListsItsScopesBeforeDeletingAHop) {
  ReconcileReport r;
  auto res = RunUntilDelete(
      Side::kVault, naming::NameStage::kHop,
      [&](const Snapshot& hop) {
        StartForeignCopy(kDr, "drsnap-111111111111-db1-202611220410-r1", hop);
      },
      &r);
  ASSERT_TRUE(res.has_value()) << "the vault side never planned to delete a hop";
  EXPECT_EQ(res->outcome, Outcome::kDeferred) << res->reason;
  EXPECT_EQ(res->refused_by, SafetyRule::kInFlightDependency) << res->reason;
  EXPECT_EQ(r.apply.recheck_listings, std::vector<Scope>{kDr});
  EXPECT_TRUE(cloud_->Find(res->action.scope, res->action.snapshot_id).has_value());
}

}  // namespace
}  // namespace drsnap::engine

namespace drsnap::engine {
namespace {

// A listing that shows a good copy as failed must not get it deleted: the
// re-check reads the snapshot itself, and a state that differs from the
// one the plan judged waits for the next plan.
TEST(ExecutorRecheckTest, ACopyAListingShowedFailedIsNotDeletedWhenAwsSaysAvailable) {
  const Scope dr{"222222222222", "eu-west-1"};
  const TimePoint now = *ParseIso8601("2026-11-25T12:00:00Z");
  const TimePoint point = *ParseIso8601("2026-11-20T04:10:00Z");
  FakeCloud cloud;
  Snapshot copy;
  copy.id = naming::VaultName("111111111111", "db1", point);
  copy.scope = copy.seen_from = dr;
  copy.db_id = "db1";
  copy.type = SnapshotType::kManual;
  copy.status = SnapshotStatus::kAvailable;
  copy.create_time = point + std::chrono::hours(1);
  copy.recovery_point = point;
  copy.tags = {{naming::kTagManaged, "true"},
               {naming::kTagPolicy, "orders"},
               {naming::kTagDb, "db1"},
               {naming::kTagRecoveryPoint, FormatIso8601Seconds(point)},
               {naming::kTagStage, "vault"},
               {naming::kTagSourceAccount, "111111111111"},
               {naming::kTagSourceArn, "arn:aws:rds:us-east-1:111111111111:snapshot:x"}};
  cloud.AddSnapshot(copy);
  // The observation the plan was made from: the same copy, shown failed.
  Inventory observed;
  observed.observed_at = now;
  ScopeInventory si;
  si.scope = dr;
  Snapshot wrong = *cloud.Find(dr, copy.id);
  wrong.status = SnapshotStatus::kFailed;
  si.snapshots.push_back(wrong);
  observed.scopes.push_back(si);
  auto cfg = config::ParseConfig(R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["db*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    min_retention: 0s
    targets: [{account: vault, regions: {eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/dr"}}}]
)",
                                 "test.yaml");
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  // The plan an observation like that makes: delete the "failed" copy.
  Plan plan = MakePlan(observed, *cfg, now);
  ASSERT_EQ(plan.actions.size(), 1u);
  ASSERT_EQ(plan.actions[0].kind, ActionKind::kDeleteSnapshot);
  ExecutorOptions ex;
  ex.clock = std::make_shared<FakeClock>(now);
  ex.delete_guard = [&](std::shared_ptr<const Inventory> world) -> DeleteCheck {
    auto guard = std::make_shared<const DeleteGuard>(*world, *cfg);
    return [world, guard](const Action& a, const Snapshot& fresh) { return guard->Check(a, &fresh); };
  };
  ApplyReport r = Apply(cloud, plan, observed, ex);
  EXPECT_EQ(r.results[0].outcome, Outcome::kDeferred) << r.results[0].reason;
  EXPECT_TRUE(cloud.Find(dr, copy.id).has_value());
  EXPECT_EQ(r.recheck_describes, 1);
}

}  // namespace
}  // namespace drsnap::engine
