#include "engine/executor.h"

#include <gtest/gtest.h>

#include "engine/fake_cloud.h"
#include "engine/observe.h"

namespace drsnap::engine {
namespace {

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
  a.source_arn = FakeSnapshotArn(src.scope, src.kind, src.id);
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

Inventory See(FakeCloud& cloud) {
  ObserveRequest req;
  req.scopes = {kProd, kDrSrc, kDr};
  return Observe(cloud, req, TimePoint{});
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
  copy.kms_key_id.clear();
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

TEST(ExecutorTest, RefusalClassifierIsPrecise) {
  EXPECT_TRUE(IsOneStepCopyRefusal(
      Error::Terminal("InvalidParameterCombination",
                      "A shared encrypted snapshot can only be copied within its region.")));
  EXPECT_FALSE(IsOneStepCopyRefusal(
      Error::Terminal("InvalidParameterValue",
                      "Must specify new KMS key for cross region encrypted snapshot copy")));
  EXPECT_FALSE(IsOneStepCopyRefusal(Error::Terminal("AccessDenied", "only be copied within")));
  // drsnap-sim's wording of AWS's older rule, instances and Aurora clusters.
  EXPECT_TRUE(IsOneStepCopyRefusal(Error::Terminal(
      "InvalidParameterCombination",
      "Copying an encrypted snapshot shared from another AWS account to a different region is not "
      "supported. Copy it within region us-east-1 first.")));
  EXPECT_TRUE(IsOneStepCopyRefusal(Error::Terminal(
      "InvalidParameterCombination",
      "Cross-account copy of a DB cluster snapshot is only supported within the same region.")));
  EXPECT_FALSE(IsOneStepCopyRefusal(Error::Terminal(
      "InvalidParameterValue",
      "KmsKeyId must be specified to copy an encrypted snapshot shared from another AWS account")));
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
  opt.delete_guard = [&](const Action& a, const Snapshot& fresh, const Inventory& world) -> Status {
    EXPECT_EQ(fresh.id, a.snapshot_id);
    for (const auto& s : world.Find(kProd)->snapshots) saw_new_snapshot |= s.id == "new-1";
    if (a.snapshot_id == "keep-me") return Fail(Error::Terminal("SafetyRule", "newest copy"));
    return OkStatus();
  };
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
  opt.delete_guard = [](const Action&, const Snapshot&, const Inventory&) { return OkStatus(); };
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

}  // namespace
}  // namespace drsnap::engine
