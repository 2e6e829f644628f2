// Issue 6, the two-account split, end to end against drsnap-sim through the
// real HTTP path: a source-side reconciler (P's function: capture, share,
// expire in P; D listed read-only) and a vault-side reconciler whose cloud
// reaches ONLY the DR account D (calls to P are impossible: its account map
// holds D alone). Over several simulated days they must do what one
// all-in-one reconciler does on an identical world.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "cloud/aws_cloud.h"
#include "cloud/decorators.h"
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

const char kProdId[] = "111111111111";
const char kVaultId[] = "222222222222";
const Scope kProd{kProdId, "us-east-1"};
const Scope kVaultSrc{kVaultId, "us-east-1"};  // a target region AND D's view of the source
const Scope kVaultEu{kVaultId, "eu-west-1"};

const char kVaultUsKey[] =
    "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-00000000b001";
const char kVaultEuKey[] =
    "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-00000000b002";

// An encrypted instance (customer key), a default-key instance, an Aurora
// cluster; automated backups every day.
const std::string kWorld =
    ProdAndVault(
        CustomerKeyInstance("orders") +
            R"(      - {id: legacy, region: us-east-1, engine: mysql, size_gb: 10, encrypted: true,
         backup_retention_days: 3, backup_window: "04:00-04:30"}
)",
        LedgerCluster())
        .Yaml();

std::string Policy() {
  return SimPolicy{.targets = {SimTarget{.regions = {"us-east-1", "eu-west-1"}}}}.Yaml();
}

void ExpectClean(const engine::ReconcileReport& r, const std::string& who) {
  for (const auto& res : r.apply.results)
    if (res.outcome == engine::Outcome::kFailed)
      ADD_FAILURE() << who << ": " << res.action.Describe() << ": " << res.error->ToString();
  for (const auto& s : r.inventory.scopes)
    if (!s.complete) ADD_FAILURE() << who << ": " << s.scope.ToString() << ": " << s.error;
  EXPECT_TRUE(r.ok()) << who << ": " << r.Summary();
}

// drsnap's snapshots (names that parse) in a scope, by id.
std::map<std::string, Snapshot> Drsnaps(SimPipeline& p, const Scope& scope) {
  std::map<std::string, Snapshot> out;
  for (auto& s : Owned(p, scope))
    if (engine::naming::ParseName(s.id)) out.emplace(s.id, s);
  return out;
}

std::set<std::string> Ids(const std::map<std::string, Snapshot>& m) {
  std::set<std::string> out;
  for (const auto& [id, s] : m) out.insert(id);
  return out;
}

TimePoint Day(int d) { return *ParseIso8601("2026-11-23T05:00:00Z") + std::chrono::hours(24 * d); }

TEST(PipelineSplitSimTest, SourceAndVaultSidesEqualOneAllInOneReconciler) {
  auto split = StartSimPipeline(kWorld, Policy());
  auto single = StartSimPipeline(kWorld, Policy());
  ASSERT_NE(split, nullptr);
  ASSERT_NE(single, nullptr);
  auto clouds = std::dynamic_pointer_cast<cloud::MultiAccountCloud>(split->cloud);
  ASSERT_NE(clouds, nullptr);

  // The source side: P, and D through a counting decorator (read-only use).
  auto d_seen_by_source = std::make_shared<cloud::CountingCloud>(clouds->For(kVaultId));
  auto source_cloud = std::make_shared<cloud::MultiAccountCloud>();
  source_cloud->Add(kProdId, clouds->For(kProdId));
  source_cloud->Add(kVaultId, d_seen_by_source);
  // The vault side: D alone. Nothing routes to P.
  auto vault_cloud = std::make_shared<cloud::MultiAccountCloud>();
  vault_cloud->Add(kVaultId, clouds->For(kVaultId));
  ASSERT_EQ(vault_cloud->For(kProdId), nullptr);

  engine::Reconciler source(source_cloud, split->config, split->clock);
  engine::Reconciler vault(vault_cloud, split->config, split->clock);
  engine::ReconcileOptions source_opt, vault_opt;
  source_opt.side = engine::Side::kSource;
  vault_opt.side = engine::Side::kVault;

  std::map<std::string, std::set<TimePoint>> automated_points;  // db -> points
  const int kDays = 3;
  for (int day = 0; day < kDays; ++day) {
    split->sim->SetTime(Day(day));
    single->sim->SetTime(Day(day));
    bool quiet = false;
    for (int run = 0; run < 16 && !quiet; ++run) {
      engine::ReconcileReport s = source.RunOnce(source_opt);
      engine::ReconcileReport v = vault.RunOnce(vault_opt);
      ExpectClean(s, "source day " + std::to_string(day));
      ExpectClean(v, "vault day " + std::to_string(day));
      for (const auto& a : s.plan.actions) EXPECT_EQ(a.scope, kProd) << a.Describe();
      for (const auto& a : v.plan.actions) EXPECT_EQ(a.scope.account_id, kVaultId) << a.Describe();
      for (const auto& si : v.inventory.scopes)
        EXPECT_EQ(si.scope.account_id, kVaultId)
            << "the vault side observed " << si.scope.ToString();
      quiet = s.plan.actions.empty() && v.plan.actions.empty();
      if (!quiet) split->sim->Advance(std::chrono::minutes(30));
    }
    EXPECT_TRUE(quiet) << "the split did not converge on day " << day;
    auto all = single->RunUntilQuiet(16, std::chrono::minutes(30));
    for (const auto& r : all) ExpectClean(r, "all-in-one day " + std::to_string(day));
    EXPECT_TRUE(all.back().plan.actions.empty()) << "all-in-one did not converge on day " << day;
    for (const auto& s : Owned(*split, kProd))
      if (s.type == engine::SnapshotType::kAutomated)
        automated_points[s.db_id].insert(engine::naming::NamePoint(s.recovery_point));
  }

  // The source side only read D.
  for (const auto& [method, n] : d_seen_by_source->Counts()) {
    static const std::set<std::string> kReadOnly = {"ListDatabases",      "ListSnapshots",
                                                    "ListSharedAccounts", "DefaultRdsKeyArn",
                                                    "DescribeSnapshot",   "DescribeDatabase"};
    EXPECT_TRUE(kReadOnly.contains(method))
        << "source side called " << method << " in D " << n << " time(s)";
  }
  EXPECT_GT(d_seen_by_source->Counts()["ListSnapshots"], 0);

  // Every day's point of every database is vaulted in both D regions,
  // re-encrypted with D's key there.
  ASSERT_EQ(automated_points.size(), 3u);  // orders, legacy, ledger
  for (const auto& [scope, key] : {std::pair{kVaultSrc, kVaultUsKey}, {kVaultEu, kVaultEuKey}}) {
    auto copies = Drsnaps(*split, scope);
    for (const auto& [db, points] : automated_points) {
      EXPECT_GE(points.size(), static_cast<size_t>(kDays)) << db;
      for (TimePoint t : points) {
        std::string id = engine::naming::VaultName(kProdId, db, t);
        auto it = copies.find(id);
        if (it == copies.end()) {
          ADD_FAILURE() << db << " at " << FormatIso8601(t) << " is not vaulted in "
                        << scope.ToString();
          continue;
        }
        EXPECT_EQ(it->second.status, SnapshotStatus::kAvailable) << id;
        EXPECT_TRUE(it->second.encrypted) << id;
        EXPECT_EQ(it->second.kms_key_id, key) << id << " in " << scope.ToString();
      }
    }
  }
  // Captures in P were expired once vaulted: only the newest of each
  // database stays (keep_newest 1); no hop is left over.
  std::map<std::string, int> captures;
  for (const auto& [id, s] : Drsnaps(*split, kProd)) {
    auto l = engine::naming::ParseName(id);
    EXPECT_EQ(l->stage, NameStage::kCapture) << id;
    ++captures[s.db_id];
  }
  for (const auto& [db, points] : automated_points) EXPECT_EQ(captures[db], 1) << db;
  for (const auto& [id, s] : Drsnaps(*split, kVaultSrc))
    EXPECT_NE(engine::naming::ParseName(id)->stage, NameStage::kHop) << id;

  // The same snapshot identifiers in every scope as the all-in-one run.
  for (const Scope& scope : {kProd, kVaultSrc, kVaultEu})
    EXPECT_EQ(Ids(Drsnaps(*split, scope)), Ids(Drsnaps(*single, scope))) << scope.ToString();
}

}  // namespace
}  // namespace drsnap::testing
