#include "engine/reconcile.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "config/policy.h"
#include "core/time_util.h"
#include "engine/fake_cloud.h"
#include "engine/naming.h"
#include "engine/planner.h"

namespace drsnap::engine {
namespace {

const Scope kProd{"111111111111", "us-east-1"};
const Scope kVaultSrc{"222222222222", "us-east-1"};
const Scope kVault{"222222222222", "eu-west-1"};
const std::string kShareKey = "arn:aws:kms:us-east-1:111111111111:key/share";
const std::string kDefaultKey = "arn:aws:kms:us-east-1:111111111111:key/default";

const char kConfig[] = R"(version: 1
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
)";

TimePoint T0() { return *ParseIso8601("2026-11-23T00:00:00Z"); }

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = config::ParseConfig(kConfig, "test.yaml");
    ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
    config_ = *cfg;
    clock_ = std::make_shared<FakeClock>(T0());
    cloud_ = std::make_shared<FakeCloud>();
    cloud_->SetDefaultKey(kProd, kDefaultKey);
    cloud_->SetNow(T0());
  }

  void AddDb(const std::string& id, bool encrypted, const std::string& key) {
    Database db;
    db.id = id;
    db.scope = kProd;
    db.engine = "postgres";
    db.status = "available";
    db.encrypted = encrypted;
    db.kms_key_id = key;
    db.backup_retention_days = 7;
    cloud_->AddDatabase(db);
    Snapshot s;
    s.id = "rds:" + id + "-2026-11-22-04-10";
    s.scope = kProd;
    s.db_id = id;
    s.type = SnapshotType::kAutomated;
    s.status = SnapshotStatus::kAvailable;
    s.create_time = *ParseIso8601("2026-11-22T04:10:00Z");
    s.encrypted = encrypted;
    s.kms_key_id = key;
    s.engine = "postgres";
    cloud_->AddSnapshot(s);
  }

  // Runs reconciles, completing every snapshot in between, until a plan is empty.
  int Converge(Reconciler& rec, int max_runs = 10) {
    for (int i = 1; i <= max_runs; ++i) {
      ReconcileReport r = rec.RunOnce(ReconcileOptions{});
      EXPECT_EQ(r.apply.Count(Outcome::kFailed), 0) << r.Summary();
      for (const auto& res : r.apply.results)
        if (res.error) ADD_FAILURE() << res.error->ToString();
      if (r.plan.actions.empty()) return i;
      cloud_->CompleteAll();
      clock_->Advance(std::chrono::minutes(10));
      cloud_->SetNow(clock_->Now());
    }
    return -1;
  }

  std::vector<Snapshot> VaultCopies() {
    std::vector<Snapshot> out;
    for (const auto& s : cloud_->OwnedSnapshots(kVault)) {
      auto l = naming::ParseName(s.id);
      if (l && l->stage == naming::NameStage::kVault) out.push_back(s);
    }
    return out;
  }

  config::Config config_;
  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<FakeCloud> cloud_;
};

TEST_F(ReconcileTest, UnencryptedDbConvergesToAVaultCopyAndStaysQuiet) {
  AddDb("db1", false, "");
  Reconciler rec(cloud_, config_, clock_);
  int runs = Converge(rec);
  ASSERT_GT(runs, 0) << "did not converge";
  auto vault = VaultCopies();
  ASSERT_EQ(vault.size(), 1u);
  EXPECT_EQ(vault[0].recovery_point, *ParseIso8601("2026-11-22T04:10:00Z"));
  EXPECT_EQ(vault[0].status, SnapshotStatus::kAvailable);
  // Applying again changes nothing.
  auto before = cloud_->MutationLog().size();
  ReconcileReport again = rec.RunOnce(ReconcileOptions{});
  EXPECT_TRUE(again.plan.actions.empty());
  EXPECT_EQ(cloud_->MutationLog().size(), before);
}

TEST_F(ReconcileTest, RefusedOneStepCopyIsLearnedAndReplannedWithAHop) {
  AddDb("db1", true, kShareKey);
  Reconciler rec(cloud_, config_, clock_);  // FakeCloud applies the strict (older) rule
  bool replanned = false;
  for (int i = 0; i < 10; ++i) {
    ReconcileReport r = rec.RunOnce(ReconcileOptions{});
    replanned |= r.replans > 0;
    if (r.plan.actions.empty()) break;
    cloud_->CompleteAll();
    clock_->Advance(std::chrono::minutes(10));
    cloud_->SetNow(clock_->Now());
  }
  EXPECT_TRUE(replanned);
  EXPECT_EQ(rec.facts().one_step_copy_refused, std::vector<Scope>{kVault});
  auto vault = VaultCopies();
  ASSERT_EQ(vault.size(), 1u);
  EXPECT_EQ(vault[0].kms_key_id, "arn:aws:kms:eu-west-1:222222222222:key/dr");
  // The copy went through a hop in the DR account in the source region,
  // which is removed once the vault copy is available.
  bool hop_made = false;
  for (const auto& line : cloud_->MutationLog())
    hop_made |= line.starts_with("CopySnapshot " + kVaultSrc.ToString()) && line.ends_with("-hop");
  EXPECT_TRUE(hop_made);
  for (const auto& s : cloud_->OwnedSnapshots(kVaultSrc)) ADD_FAILURE() << "left over: " << s.id;
}

// The CLI starts a new process (a new Reconciler, no facts) every time: the
// hop that exists tells it the rule, so hops are made once, never churned.
TEST_F(ReconcileTest, FreshReconcilerEachRunInfersTheHopFromAws) {
  AddDb("db1", true, kShareKey);
  for (int i = 0; i < 10; ++i) {
    Reconciler rec(cloud_, config_, clock_);
    ReconcileReport r = rec.RunOnce(ReconcileOptions{});
    EXPECT_EQ(r.apply.Count(Outcome::kFailed), 0) << r.Summary();
    if (r.plan.actions.empty()) break;
    cloud_->CompleteAll();
    clock_->Advance(std::chrono::minutes(10));
    cloud_->SetNow(clock_->Now());
  }
  int hops = 0, deletes = 0;
  for (const auto& line : cloud_->MutationLog()) {
    hops += line.starts_with("CopySnapshot " + kVaultSrc.ToString()) && line.ends_with("-hop");
    deletes += line.starts_with("DeleteSnapshot");
  }
  EXPECT_EQ(hops, 1);
  EXPECT_EQ(deletes, 1);  // the hop, once its vault copy was available
  EXPECT_EQ(VaultCopies().size(), 1u);
}

// Safety re-check: a delete planned from a stale view is refused when, by the
// time it would be issued, an in-flight copy reads the snapshot (S3).
TEST_F(ReconcileTest, StaleDeleteIsRefusedWhenACopyNowDependsOnIt) {
  AddDb("db1", true, kShareKey);
  Reconciler rec(cloud_, config_, clock_);
  Plan plan;
  Inventory inv;
  for (int i = 0; i < 10; ++i) {
    inv = rec.Observe();
    plan = rec.PlanFor(inv);
    bool deletes = std::ranges::any_of(
        plan.actions, [](const Action& a) { return a.kind == ActionKind::kDeleteSnapshot; });
    if (deletes) break;
    rec.RunOnce(ReconcileOptions{});
    cloud_->CompleteAll();
    clock_->Advance(std::chrono::minutes(10));
    cloud_->SetNow(clock_->Now());
  }
  const Action* del = nullptr;
  for (const auto& a : plan.actions)
    if (a.kind == ActionKind::kDeleteSnapshot) del = &a;
  ASSERT_NE(del, nullptr) << "the pipeline never planned a delete";
  auto victim = cloud_->Find(del->scope, del->snapshot_id);
  ASSERT_TRUE(victim.has_value());
  // Meanwhile, a copy of the victim starts (another process, a retry).
  Snapshot reader;
  reader.id = "drsnap-111111111111-db1-202611220410-r1";
  reader.scope = kVault;
  reader.db_id = "db1";
  reader.status = SnapshotStatus::kCopying;
  reader.source_arn = victim->arn;
  reader.source_region = victim->scope.region;
  reader.encrypted = true;
  reader.tags = {{naming::kTagManaged, "true"},
                 {naming::kTagStage, "vault"},
                 {naming::kTagPolicy, "orders"},
                 {naming::kTagDb, "db1"}};
  cloud_->AddSnapshot(reader);
  ExecutorOptions ex;
  ex.delete_guard = [&](std::shared_ptr<const Inventory> world) -> DeleteCheck {
    return [this, world](const Action& a, const Snapshot& fresh) {
      return CheckDeleteAllowed(*world, config_, a, &fresh);
    };
  };
  ex.refresh = [&] { return rec.Observe(); };
  ApplyReport r = Apply(*cloud_, plan, inv, ex);
  bool refused = false;
  for (const auto& res : r.results)
    if (res.action.kind == ActionKind::kDeleteSnapshot && res.action.snapshot_id == victim->id) {
      EXPECT_EQ(res.outcome, Outcome::kDeferred) << res.reason;
      refused = res.outcome == Outcome::kDeferred;
    }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(cloud_->Find(victim->scope, victim->id).has_value());
  // Without the fresh view (stale inventory only) the same delete would pass.
  ex.refresh = nullptr;
  Plan only_delete;
  only_delete.actions.push_back(*del);
  ApplyReport stale = Apply(*cloud_, only_delete, inv, ex);
  EXPECT_EQ(stale.results[0].outcome, Outcome::kDone);
}

TEST_F(ReconcileTest, DryRunChangesNothing) {
  AddDb("db1", false, "");
  Reconciler rec(cloud_, config_, clock_);
  ReconcileOptions opt;
  opt.dry_run = true;
  ReconcileReport r = rec.RunOnce(opt);
  EXPECT_FALSE(r.plan.actions.empty());
  EXPECT_EQ(r.apply.Count(Outcome::kDeferred), static_cast<int>(r.plan.actions.size()));
  EXPECT_TRUE(cloud_->MutationLog().empty());
}

TEST_F(ReconcileTest, OnlyDbNarrowsTheActions) {
  AddDb("db1", false, "");
  AddDb("db2", false, "");
  Reconciler rec(cloud_, config_, clock_);
  ReconcileOptions opt;
  opt.only_db = "db2";
  ReconcileReport r = rec.RunOnce(opt);
  ASSERT_FALSE(r.plan.actions.empty());
  for (const auto& a : r.plan.actions) EXPECT_EQ(a.db_id, "db2");
  for (const auto& line : cloud_->MutationLog())
    EXPECT_EQ(line.find("db1"), std::string::npos) << line;
}

TEST_F(ReconcileTest, IncompleteScopeIsReportedAndNotOk) {
  AddDb("db1", false, "");
  cloud_->FailListing(kVault, Error::Terminal("AccessDenied", "no"));
  Reconciler rec(cloud_, config_, clock_);
  ReconcileReport r = rec.RunOnce(ReconcileOptions{});
  EXPECT_EQ(r.IncompleteScopes(), 1);
  EXPECT_FALSE(r.ok());
  for (const auto& a : r.plan.actions) EXPECT_NE(a.kind, ActionKind::kDeleteSnapshot);
}

// Issue 6: the source side (P) and the vault side (D) each run their half;
// together they reach what one all-in-one reconciler reaches.
TEST_F(ReconcileTest, SplitSidesConvergeToTheAllInOneState) {
  auto populate = [](FakeCloud& c) {
    c.SetDefaultKey(kProd, kDefaultKey);
    c.SetNow(T0());
    c.SetStrictSharedCopyRule(false);  // one-step copies: no learned facts here
    for (const auto& [id, encrypted] : {std::pair{"db1", true}, std::pair{"db2", false}}) {
      Database db;
      db.id = id;
      db.scope = kProd;
      db.engine = "postgres";
      db.status = "available";
      db.encrypted = encrypted;
      db.kms_key_id = encrypted ? kShareKey : "";
      db.backup_retention_days = 7;
      c.AddDatabase(db);
      for (int day = 0; day < 3; ++day) {
        Snapshot s;
        s.id = "rds:" + std::string(id) + "-2026-11-2" + std::to_string(day) + "-04-10";
        s.scope = kProd;
        s.db_id = id;
        s.type = SnapshotType::kAutomated;
        s.status = SnapshotStatus::kAvailable;
        s.create_time = *ParseIso8601("2026-11-20T04:10:00Z") + std::chrono::hours(24 * day);
        s.encrypted = encrypted;
        s.kms_key_id = db.kms_key_id;
        s.engine = "postgres";
        c.AddSnapshot(s);
      }
    }
  };
  populate(*cloud_);
  auto all_cloud = std::make_shared<FakeCloud>();
  populate(*all_cloud);
  auto all_clock = std::make_shared<FakeClock>(T0());

  Reconciler source(cloud_, config_, clock_), vault(cloud_, config_, clock_);
  ReconcileOptions src_opt, vault_opt;
  src_opt.side = Side::kSource;
  vault_opt.side = Side::kVault;
  bool quiet = false;
  for (int i = 0; i < 12 && !quiet; ++i) {
    size_t before = cloud_->MutationLog().size();
    ReconcileReport s = source.RunOnce(src_opt);
    auto log = cloud_->MutationLog();
    for (size_t k = before; k < log.size(); ++k)
      EXPECT_NE(log[k].find(" " + kProd.ToString() + " "), std::string::npos)
          << "source side acted outside the source scope: " << log[k];
    before = log.size();
    ReconcileReport v = vault.RunOnce(vault_opt);
    log = cloud_->MutationLog();
    for (size_t k = before; k < log.size(); ++k)
      EXPECT_EQ(log[k].find(" 111111111111/"), std::string::npos)
          << "vault side acted in the source account: " << log[k];
    for (const auto& si : v.inventory.scopes)
      EXPECT_NE(si.scope.account_id, kProd.account_id) << "vault side observed the source";
    for (const auto* r : {&s, &v}) {
      EXPECT_TRUE(r->ok()) << r->Summary();
      for (const auto& f : r->plan.findings)
        EXPECT_NE(f.severity, Finding::Severity::kError) << f.message;
    }
    quiet = s.plan.actions.empty() && v.plan.actions.empty();
    cloud_->CompleteAll();
    clock_->Advance(std::chrono::hours(1));
    cloud_->SetNow(clock_->Now());
  }
  ASSERT_TRUE(quiet) << "the two sides did not converge";

  Reconciler all(all_cloud, config_, all_clock);
  bool all_quiet = false;
  for (int i = 0; i < 12 && !all_quiet; ++i) {
    all_quiet = all.RunOnce(ReconcileOptions{}).plan.actions.empty();
    all_cloud->CompleteAll();
    all_clock->Advance(std::chrono::hours(1));
    all_cloud->SetNow(all_clock->Now());
  }
  ASSERT_TRUE(all_quiet);
  auto ids = [](const FakeCloud& c, const Scope& scope) {
    std::vector<std::string> out;
    for (const auto& s : c.OwnedSnapshots(scope)) out.push_back(s.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const Scope& scope : {kProd, kVault, kVaultSrc})
    EXPECT_EQ(ids(*cloud_, scope), ids(*all_cloud, scope)) << scope.ToString();
  // The newest point of both databases is vaulted.
  EXPECT_EQ(VaultCopies().size(), 2u);
}

TEST_F(ReconcileTest, DeadlineLeavesTheRestForLater) {
  AddDb("db1", false, "");
  Reconciler rec(cloud_, config_, clock_);
  ReconcileOptions opt;
  opt.deadline = clock_->Now() + std::chrono::seconds(1);
  ReconcileReport r = rec.RunOnce(opt);
  EXPECT_TRUE(r.apply.deadline_reached);
  EXPECT_TRUE(cloud_->MutationLog().empty());
}

// Shares are inferred from what the DR account lists as shared, which cannot
// show a share with a third account or with everyone (a compromised
// production account's doing). Every capture's restore attribute is still
// read about once a day, so a reconcile that runs at least hourly reports
// such a share within a day, at about one read per capture per day.
TEST_F(ReconcileTest, ACaptureMadePublicBehindTheListingsIsFoundWithinADay) {
  AddDb("db1", true, kShareKey);
  Reconciler rec(cloud_, config_, clock_);
  LearnedFacts hop;  // FakeCloud refuses one-step copies: go through the hop from the start
  hop.one_step_copy_refused = {kVault};
  rec.set_facts(hop);
  ASSERT_GT(Converge(rec), 0);
  std::vector<std::string> captures;
  for (const auto& s : cloud_->OwnedSnapshots(kProd)) {
    auto l = naming::ParseName(s.id);
    if (l && l->stage == naming::NameStage::kCapture) captures.push_back(s.id);
  }
  ASSERT_FALSE(captures.empty()) << "no capture left to audit";
  ASSERT_TRUE(cloud_->ShareSnapshot(kProd, DbKind::kInstance, captures.front(), {"all"}));
  int reads_before = cloud_->Calls("ListSharedAccounts");
  int found = 0;
  for (int hour = 0; hour < 24; ++hour) {
    clock_->Advance(std::chrono::hours(1));
    cloud_->SetNow(clock_->Now());
    Plan p = rec.PlanFor(rec.Observe());
    for (const auto& f : p.findings)
      if (f.severity == Finding::Severity::kError &&
          f.message.find(captures.front()) != std::string::npos &&
          f.message.find("public") != std::string::npos)
        ++found;
  }
  EXPECT_GE(found, 1) << "a public capture went unreported for a day";
  EXPECT_LE(cloud_->Calls("ListSharedAccounts") - reads_before,
            static_cast<int>(captures.size()) * 2);
}

// A refused call leaves nothing to observe. drsnap's ledger (engine/ledger.h)
// keeps it where the call was made, so that a new process (here: a new
// Reconciler every run, as a CLI run or a Lambda cold start is) does not ask
// again before the backoff, says why in an error finding, asks again after
// it, and forgets the refusal once AWS accepts.
TEST_F(ReconcileTest, ARefusedCopyIsRememberedAcrossProcessesAndRetriedWithBackoff) {
  AddDb("db1", true, kShareKey);
  LearnedFacts hop;  // FakeCloud refuses one-step copies: through the hop from the start
  hop.one_step_copy_refused = {kVault};
  const Error refused = Error::Terminal(
      "KMSKeyNotAccessibleFault",
      "The source snapshot KMS key does not exist, is not enabled or you do not have permissions");
  auto run = [&](bool expect_refusal_finding) {
    Reconciler rec(cloud_, config_, clock_);
    rec.set_facts(hop);
    ReconcileReport r = rec.RunOnce(ReconcileOptions{});
    bool finding = std::ranges::any_of(r.plan.findings, [](const Finding& f) {
      return f.severity == Finding::Severity::kError &&
             f.message.find("KMSKeyNotAccessibleFault") != std::string::npos;
    });
    EXPECT_EQ(finding, expect_refusal_finding) << r.Summary();
    cloud_->CompleteAll();
    return r;
  };
  auto step = [&](std::chrono::minutes m) {
    clock_->Advance(m);
    cloud_->SetNow(clock_->Now());
  };
  // Capture, share and hop go through; every vault copy into eu-west-1 is refused.
  int vault_copies_asked = 0;
  auto count_vault_copies = [&](const ReconcileReport& r) {
    for (const auto& res : r.apply.results)
      if (res.action.kind == ActionKind::kCopySnapshot && res.action.scope == kVault)
        ++vault_copies_asked;
  };
  for (int i = 0; i < 6 && vault_copies_asked == 0; ++i) {
    Reconciler probe(cloud_, config_, clock_);
    probe.set_facts(hop);
    Plan p = probe.PlanFor(probe.Observe());
    bool vault_copy_planned = std::ranges::any_of(p.actions, [](const Action& a) {
      return a.kind == ActionKind::kCopySnapshot && a.scope == kVault;
    });
    if (vault_copy_planned) cloud_->FailNext("CopySnapshot", refused);
    ReconcileReport r = run(false);
    count_vault_copies(r);
    step(std::chrono::minutes(10));
  }
  ASSERT_EQ(vault_copies_asked, 1) << "the vault copy was never asked for";
  // New processes within the backoff: no call, an error finding naming AWS's code.
  for (int i = 0; i < 2; ++i) {
    ReconcileReport r = run(true);
    count_vault_copies(r);
    step(std::chrono::minutes(10));
  }
  EXPECT_EQ(vault_copies_asked, 1) << "asked again within the backoff";
  // After the backoff (30 minutes after the refusal) it asks once more, and
  // AWS accepts: the ledger forgets the refusal and the copy is made.
  step(std::chrono::minutes(15));
  ReconcileReport again = run(true);
  count_vault_copies(again);
  EXPECT_EQ(vault_copies_asked, 2);
  EXPECT_TRUE(cloud_->LedgerTags(kVault).empty() ||
              std::ranges::none_of(cloud_->LedgerTags(kVault), [](const auto& kv) {
                return kv.first.starts_with("drsnap-ledger/refused/");
              }));
  EXPECT_EQ(VaultCopies().size(), 1u);
}

// Whoever may tag the ledger's parameter group (in production: an attacker
// with that account's credentials) could write a refusal dated far in the
// future and so hold an action back for ever. Observe ignores entries that
// claim a time after the observation (beyond clock skew): the action is
// planned, and a real refusal would be recorded afresh.
TEST_F(ReconcileTest, ARefusalDatedInTheFutureHoldsNothingBack) {
  AddDb("db1", true, kShareKey);
  const std::string capture = naming::CaptureName("db1", *ParseIso8601("2026-11-22T04:10:00Z"));
  ASSERT_TRUE(cloud_->WriteLedger(
      kProd,
      {{"drsnap-ledger/refused/copy:" + capture,
        "9 2099-01-01T00:00:00Z 2099-01-01T00:00:00Z AccessDenied forged"}},
      {}));
  Reconciler rec(cloud_, config_, clock_);
  Inventory inv = rec.Observe();
  EXPECT_TRUE(inv.Find(kProd)->ledger.refusals.empty());
  Plan p = rec.PlanFor(inv);
  EXPECT_TRUE(std::ranges::any_of(p.actions, [&](const Action& a) {
    return a.kind == ActionKind::kCopySnapshot && a.snapshot_id == capture;
  }));
}

}  // namespace
}  // namespace drsnap::engine
