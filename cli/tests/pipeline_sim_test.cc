// The DR pipeline end to end against drsnap-sim, through the real HTTP path
// (SigV4, Query/XML, the typed clients, AwsCloud), driven by the Reconciler.
#include <gtest/gtest.h>

#include <set>

#include "core/time_util.h"
#include "engine/naming.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

using engine::Scope;
using engine::Snapshot;
using engine::SnapshotStatus;
using engine::naming::NameStage;

const Scope kProd{"111111111111", "us-east-1"};
const Scope kVaultSrc{"222222222222", "us-east-1"};
const Scope kVaultEu{"222222222222", "eu-west-1"};
const Scope kVaultUsw{"222222222222", "us-west-2"};
const Scope kVault2Eu{"333333333333", "eu-west-1"};

const char kShareKey[] =
    "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-00000000a001";
const char kVaultEuKey[] =
    "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-00000000b002";

// prod, vault and vault2 in us-east-1, us-west-2 and eu-west-1; prod's
// share key is usable by both vaults.
std::string World(const std::string& dbs, const std::string& clusters = "") {
  SimWorld w = ProdAndVault(dbs, clusters);
  w.regions = {"us-east-1", "us-west-2", "eu-west-1"};
  w.Account("prod").keys = {Key("prod", "us-east-1", {kVaultAccount, kVault2Account})};
  w.Account("vault").keys.push_back(Key("vault", "us-west-2"));
  w.accounts.push_back(
      {"vault2", {Key("vault2", "us-east-1"), Key("vault2", "eu-west-1")}, "", ""});
  return w.Yaml();
}

const std::string kOrdersDb = CustomerKeyInstance("orders");

std::string Policy(const std::string& from, const std::string& rpo,
                   const std::vector<SimTarget>& targets,
                   const std::string& retention = "{daily: 30}") {
  return SimPolicy{.accounts = {"prod", "vault", "vault2"},
                   .from = from,
                   .rpo = rpo,
                   .targets = targets,
                   .retention = retention}
      .Yaml();
}

const std::vector<SimTarget> kVaultEuTarget = {SimTarget{}};

std::vector<Snapshot> VaultCopies(SimPipeline& p, const Scope& scope, const std::string& db = "") {
  std::vector<Snapshot> out;
  for (auto& s : Owned(p, scope)) {
    auto l = engine::naming::ParseName(s.id);
    if (!l || l->stage != NameStage::kVault) continue;
    if (!db.empty() && l->db_token != engine::naming::DbToken(db)) continue;
    out.push_back(s);
  }
  return out;
}

void ExpectNoFailures(const std::vector<engine::ReconcileReport>& reports) {
  for (const auto& r : reports) {
    for (const auto& res : r.apply.results)
      if (res.outcome == engine::Outcome::kFailed) ADD_FAILURE() << res.error->ToString();
    for (const auto& s : r.inventory.scopes)
      if (!s.complete) ADD_FAILURE() << s.scope.ToString() << ": " << s.error;
  }
}

// Issue 4, shown-by 1: the original three-Lambda pattern. Each day's
// automated snapshot ends up as a DR-owned copy in the DR region,
// re-encrypted with the DR key.
TEST(PipelineSimTest, AutomatedSnapshotsAreVaultedEveryDay) {
  auto p = StartSimPipeline(World(kOrdersDb), Policy("automated", "24h", kVaultEuTarget));
  ASSERT_NE(p, nullptr);
  std::set<TimePoint> automated_points;
  for (int day = 0; day < 3; ++day) {
    p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z") + std::chrono::hours(24 * day));
    auto reports = p->RunUntilQuiet(12, std::chrono::minutes(30));
    ExpectNoFailures(reports);
    EXPECT_TRUE(reports.back().plan.actions.empty()) << "day " << day << " did not converge";
    for (const auto& s : Owned(*p, kProd))
      if (s.type == engine::SnapshotType::kAutomated) automated_points.insert(s.recovery_point);
  }
  ASSERT_GE(automated_points.size(), 3u);
  auto vault = VaultCopies(*p, kVaultEu, "orders");
  std::set<TimePoint> vaulted;
  for (const auto& s : vault) {
    EXPECT_EQ(s.status, SnapshotStatus::kAvailable) << s.id;
    EXPECT_EQ(s.scope, kVaultEu);  // owned by the DR account, in the DR region
    EXPECT_TRUE(s.encrypted);
    EXPECT_EQ(s.kms_key_id, kVaultEuKey) << s.id;
    vaulted.insert(s.recovery_point);
  }
  for (const auto& t : automated_points)
    EXPECT_TRUE(vaulted.contains(t))
        << "automated snapshot at " << FormatIso8601(t) << " was not vaulted";
  // Sim default is the older rule: the pipeline learned to hop.
  EXPECT_EQ(p->reconciler->facts().one_step_copy_refused, std::vector<Scope>{kVaultEu});
}

}  // namespace
}  // namespace drsnap::testing

namespace drsnap::testing {
namespace {

// Issue 4, shown-by 2: `source: snapshot` on a 1h RPO keeps a vaulted point
// at most about an hour old, reconciling every 10 minutes.
TEST(PipelineSimTest, ScheduledSnapshotsKeepAOneHourRpo) {
  auto p =
      StartSimPipeline(World(kOrdersDb), Policy("snapshot", "1h", kVaultEuTarget, "{hourly: 48}"));
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T08:00:00Z"));
  std::vector<engine::ReconcileReport> reports;
  for (int i = 0; i < 6 * 6; ++i) {  // six hours
    reports.push_back(p->reconciler->RunOnce(engine::ReconcileOptions{}));
    p->sim->Advance(std::chrono::minutes(10));
  }
  ExpectNoFailures(reports);
  auto vault = VaultCopies(*p, kVaultEu, "orders");
  std::set<TimePoint> points;
  for (const auto& s : vault) {
    if (s.status == SnapshotStatus::kAvailable) points.insert(s.recovery_point);
  }
  ASSERT_GE(points.size(), 4u);
  TimePoint now = p->sim->Now();
  EXPECT_LE(now - *points.rbegin(), std::chrono::hours(1)) << FormatIso8601(*points.rbegin());
  // Consecutive points are about one RPO apart (never more than the RPO).
  TimePoint prev{};
  for (TimePoint t : points) {
    if (prev != TimePoint{}) {
      EXPECT_LE(t - prev, std::chrono::hours(1));
    }
    prev = t;
  }
}

}  // namespace
}  // namespace drsnap::testing

namespace drsnap::testing {
namespace {

const std::string kMixedDbs =
    CustomerKeyInstance("orders") +
    R"(      - {id: legacy, region: us-east-1, engine: mysql, size_gb: 10, encrypted: true,
         backup_retention_days: 3, backup_window: "04:00-04:30"}
      - {id: plain, region: us-east-1, engine: postgres, size_gb: 5,
         backup_retention_days: 1, backup_window: "04:00-04:30"}
)";
const std::string kLedgerCluster = LedgerCluster();
const std::vector<SimTarget> kTwoAccountsThreeRegions = {
    SimTarget{.regions = {"eu-west-1", "us-west-2"}}, SimTarget{.account = "vault2"}};

// Issue 4, shown-by 3: default-key, customer-key, unencrypted instances and
// an Aurora cluster in one policy; two DR regions; two DR accounts.
TEST(PipelineSimTest, MixedEncryptionAndAuroraReachEveryTarget) {
  auto p = StartSimPipeline(World(kMixedDbs, kLedgerCluster),
                            Policy("automated", "24h", kTwoAccountsThreeRegions));
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto reports = p->RunUntilQuiet(20, std::chrono::minutes(30));
  ExpectNoFailures(reports);
  ASSERT_TRUE(reports.back().plan.actions.empty()) << "did not converge in 20 runs";
  struct Want {
    Scope scope;
    std::string key;
  };
  std::vector<Want> targets = {
      {kVaultEu, kVaultEuKey},
      {kVaultUsw, "arn:aws:kms:us-west-2:222222222222:key/00000000-0000-0000-0000-00000000b003"},
      {kVault2Eu, "arn:aws:kms:eu-west-1:333333333333:key/00000000-0000-0000-0000-00000000c002"},
  };
  for (const auto& t : targets) {
    for (const std::string db : {"orders", "legacy", "plain", "ledger"}) {
      auto copies = VaultCopies(*p, t.scope, db);
      ASSERT_FALSE(copies.empty()) << db << " has no vault copy in " << t.scope.ToString();
      for (const auto& s : copies) {
        EXPECT_EQ(s.status, SnapshotStatus::kAvailable) << s.id;
        EXPECT_EQ(s.kind, db == "ledger" ? engine::DbKind::kCluster : engine::DbKind::kInstance);
        // Every vault copy is encrypted with the target's DR key, the
        // unencrypted database's too (CopyDBSnapshot with KmsKeyId).
        EXPECT_TRUE(s.encrypted) << s.id;
        EXPECT_EQ(s.kms_key_id, t.key) << s.id << " in " << t.scope.ToString();
      }
    }
  }
  // The default-key database was re-encrypted with the share key on capture.
  bool legacy_capture = false;
  for (const auto& s : Owned(*p, kProd)) {
    auto l = engine::naming::ParseName(s.id);
    if (l && l->stage == NameStage::kCapture && s.db_id == "legacy") {
      legacy_capture = true;
      EXPECT_EQ(s.kms_key_id, kShareKey);
    }
  }
  EXPECT_TRUE(legacy_capture);
}

}  // namespace
}  // namespace drsnap::testing

namespace drsnap::testing {
namespace {

// Issue 4, shown-by 5: 50 databases at once never exceed 20 copies in
// flight per destination region (the simulator enforces AWS's quota, so
// exceeding it would also show up as failed actions).
TEST(PipelineSimTest, FiftyDatabasesNeverExceedTwentyCopiesInFlight) {
  std::string dbs;
  for (int i = 0; i < 50; ++i)
    dbs += "      - {id: db" + std::to_string(i) +
           ", region: us-east-1, engine: postgres, size_gb: 50, backup_retention_days: 1, "
           "backup_window: \"04:00-04:30\"}\n";
  nlohmann::json settings = {{"same_region_mbps", 50}, {"cross_region_mbps", 20}};
  auto p = StartSimPipeline(World(dbs), Policy("automated", "24h", kVaultEuTarget), settings);
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  int max_prod = 0, max_vault = 0, deferred_for_quota = 0, runs = 0;
  for (; runs < 60; ++runs) {
    auto r = p->reconciler->RunOnce(engine::ReconcileOptions{});
    ExpectNoFailures({r});
    for (const auto& res : r.apply.results)
      if (res.outcome == engine::Outcome::kDeferred &&
          res.reason.find("in flight") != std::string::npos)
        ++deferred_for_quota;
    int prod = CopiesInFlight(*p, kProd), vault = CopiesInFlight(*p, kVaultEu);
    EXPECT_LE(prod, 20);
    EXPECT_LE(vault, 20);
    max_prod = std::max(max_prod, prod);
    max_vault = std::max(max_vault, vault);
    if (r.plan.actions.empty()) break;
    p->sim->Advance(std::chrono::minutes(5));
  }
  EXPECT_LT(runs, 60) << "did not converge";
  EXPECT_EQ(max_prod, 20);  // the quota was used fully...
  EXPECT_EQ(max_vault, 20);
  EXPECT_GT(deferred_for_quota, 0);  // ...and the rest waited for a later reconcile
  EXPECT_EQ(VaultCopies(*p, kVaultEu).size(), 50u);
}

}  // namespace
}  // namespace drsnap::testing

#include "aws/rate_limiter.h"

namespace drsnap::testing {
namespace {

// Issue 4, shown-by 5 (second half), scaled in rate so it runs in seconds:
// with the simulator throttling (a token bucket per account-region, as AWS
// does), a 200-database world converges with no failed action; drsnap's own
// limiter (one bucket per account-region shared by every worker) and
// retries absorb the throttling.
TEST(PipelineSimTest, TwoHundredDatabasesConvergeUnderThrottling) {
  std::string dbs;
  for (int i = 0; i < 200; ++i)
    dbs += "      - {id: db" + std::to_string(i) +
           ", region: us-east-1, engine: postgres, size_gb: 1, backup_retention_days: 1, "
           "backup_window: \"04:00-04:30\"}\n";
  auto registry = std::make_shared<aws::RateLimiterRegistry>(
      // Faster than the simulator's bucket, so it is throttled for sure;
      // drsnap's adaptive limiter and retries must absorb that.
      aws::RateLimiterOptions{.max_rate = 150, .burst = 40}, DefaultClock());
  cloud::RateLimiterSource limiters = [registry](const std::string& a, const std::string& r) {
    return registry->ForScope(a, r);
  };
  auto p = StartSimPipeline(
      World(dbs), Policy("automated", "24h", kVaultEuTarget),
      // 200 captures kept: the account's manual-snapshot quota is raised
      // from AWS's default of 100, as a user of this size would.
      {{"same_region_mbps", 1000}, {"cross_region_mbps", 1000}, {"manual_snapshot_quota", 1000}},
      limiters,
      /*max_attempts=*/8);
  ASSERT_NE(p, nullptr);
  nlohmann::json faults = {{"throttle", true}, {"throttle_burst", 30}, {"throttle_rate", 100}};
  ASSERT_TRUE(p->server->faults().Update(faults).has_value());
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto reports = p->RunUntilQuiet(40, std::chrono::minutes(10));
  ExpectNoFailures(reports);
  EXPECT_TRUE(reports.back().plan.actions.empty()) << "did not converge";
  EXPECT_EQ(VaultCopies(*p, kVaultEu).size(), 200u);
  EXPECT_GT(p->server->stats().Total().throttled, 0u);  // throttling did happen
}

}  // namespace
}  // namespace drsnap::testing
