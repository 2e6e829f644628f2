// Issue 4, shown-by 4: retention over 400 simulated days against drsnap-sim,
// through the real HTTP path (SigV4, Query/XML, AwsCloud), driven by the
// Reconciler every 6 simulated hours. After every reconcile nothing that the
// grandfather-father-son set of the points vaulted so far keeps is missing
// in the DR region (that set computed by a reference implementation written
// from docs/configuration.md, not by engine::ApplyRetention), and no capture
// is gone before it was vaulted; every 10th day, once the work in flight has
// finished, the DR region holds exactly that set and the source only the
// captures the pipeline still needs. Snapshots drsnap did not create (users'
// own, and look-alikes with drsnap-style names but without drsnap's tags)
// survive the whole run in both accounts.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "engine/naming.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

using engine::DbKind;
using engine::Scope;
using engine::Snapshot;
using engine::SnapshotStatus;
using engine::SnapshotType;
using engine::naming::NameStage;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

const Scope kProd{"111111111111", "us-east-1"};
const Scope kVaultHop{"222222222222", "us-east-1"};  // hops live here (strict copy rule)
const Scope kVaultEu{"222222222222", "eu-west-1"};   // the DR region

const char kShareKey[] =
    "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-00000000a001";

const char kVaultEuKey[] =
    "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-00000000b002";

// The world starts an hour before the first backup window (00:00 UTC), on a
// Sunday evening, so that 400 days cross a year boundary (yearly matters)
// and ISO weeks split across it.
const char kStart[] = "2025-11-16T23:00:00Z";

// orders: customer-key instance, automated backups (policy `daily`).
// ledger: Aurora cluster, automated backups (policy `daily`; hops: strict copy_rule).
// billing: default-key instance, `source: snapshot` every 12h (policy
//   `twice-daily`; raw snapshot, then re-encrypted capture).
// Seeds that drsnap must never delete: users' manual snapshots and
// look-alikes (drsnap names without drsnap's tags, a tag without the stage,
// a stage that disagrees with the name), some newer than anything drsnap
// will make, in the source scope, the hop scope and the DR region.
SimWorld RetentionWorld() {
  SimWorld w = ProdAndVault(R"(      - id: orders
        region: us-east-1
        engine: postgres
        size_gb: 20
        encrypted: true
        kms_key: alias/prod-share
        backup_retention_days: 7
        backup_window: "00:00-00:30"
        snapshots:
          - {id: orders-before-upgrade, created: "2025-11-01T10:00:00Z", tags: {team: payments}}
          - {id: drsnap-orders-202511100000, created: "2025-11-10T00:00:00Z"}
          - {id: drsnap-orders-202612310000, created: "2025-11-12T00:00:00Z",
             tags: {"drsnap:managed": "true"}}
      - id: billing
        region: us-east-1
        engine: mysql
        size_gb: 10
        encrypted: true
        backup_retention_days: 1
        backup_window: "00:00-00:30"
        snapshots:
          - {id: billing-manual, created: "2025-11-02T10:00:00Z"}
          - {id: drsnap-billing-202511100000-raw, created: "2025-11-10T00:00:00Z",
             tags: {"drsnap:managed": "true", "drsnap:stage": "capture", "drsnap:db": billing,
                    "drsnap:policy": twice-daily}}
)",
                            R"(      - id: ledger
        region: us-east-1
        engine: aurora-postgresql
        size_gb: 30
        encrypted: true
        kms_key: alias/prod-share
        backup_retention_days: 7
        backup_window: "00:00-00:30"
        instances: [ledger-1]
        snapshots:
          - {id: ledger-pre-migration, created: "2025-11-03T10:00:00Z"}
          - {id: drsnap-ledger-202511100000, created: "2025-11-10T00:00:00Z"}
)");
  w.start_time = kStart;
  w.settings =
      "{same_region_mbps: 1000, cross_region_mbps: 1000, create_mbps: 1000, min_step_seconds: 60,\n"
      "           copy_rule: strict}";
  w.Account("vault").db_instances = R"(      - id: dr-hop-scratch
        region: us-east-1
        engine: postgres
        size_gb: 1
        backup_retention_days: 0
        snapshots:
          - {id: drsnap-111111111111-orders-202511100000-hop, created: "2025-11-10T00:00:00Z"}
      - id: dr-scratch
        region: eu-west-1
        engine: postgres
        size_gb: 1
        backup_retention_days: 0
        snapshots:
          - {id: dr-drill-copy, created: "2025-11-05T10:00:00Z"}
          - {id: drsnap-111111111111-orders-202511100000, created: "2025-11-10T00:00:00Z"}
          - {id: drsnap-111111111111-orders-202612310000, created: "2025-11-12T00:00:00Z",
             tags: {"drsnap:managed": "true"}}
          - {id: drsnap-111111111111-billing-202511100000, created: "2025-11-10T00:00:00Z",
             tags: {"drsnap:stage": vault, "drsnap:db": billing, "drsnap:policy": twice-daily}}
)";
  w.Account("vault").db_clusters = R"(      - id: dr-scratch-cluster
        region: eu-west-1
        engine: aurora-postgresql
        size_gb: 1
        backup_retention_days: 0
        instances: []
        snapshots:
          - {id: drsnap-111111111111-ledger-202511100000, created: "2025-11-10T00:00:00Z"}
)";
  return w;
}
const std::string kWorld = RetentionWorld().Yaml();

struct Seed {
  Scope scope;
  std::string id;
};
const std::vector<Seed>& Seeds() {
  static const std::vector<Seed> seeds = {
      {kProd, "orders-before-upgrade"},
      {kProd, "drsnap-orders-202511100000"},
      {kProd, "drsnap-orders-202612310000"},
      {kProd, "billing-manual"},
      {kProd, "drsnap-billing-202511100000-raw"},
      {kProd, "ledger-pre-migration"},
      {kProd, "drsnap-ledger-202511100000"},
      {kVaultHop, "drsnap-111111111111-orders-202511100000-hop"},
      {kVaultEu, "dr-drill-copy"},
      {kVaultEu, "drsnap-111111111111-orders-202511100000"},
      {kVaultEu, "drsnap-111111111111-orders-202612310000"},
      {kVaultEu, "drsnap-111111111111-billing-202511100000"},
      {kVaultEu, "drsnap-111111111111-ledger-202511100000"},
  };
  return seeds;
}

const std::string kTarget = SimTarget{}.Yaml();
const char kRetention[] = "{hourly: 4, daily: 7, weekly: 4, monthly: 12, yearly: 2}";

// min_retention is off: the test compares the vault with the reference GFS
// set alone (min_retention's own tests are engine/tests/vault_integrity_test.cc).
std::string PolicyFile() {
  return "version: 1\n" + PolicyAccounts({"prod", "vault"}) + R"(policies:
  daily:
    databases: {names: [orders, ledger]}
    source: {account: prod, region: us-east-1, from: automated, keep_newest: 2,
             share_key: ")" +
         kShareKey + R"("}
    rpo: 26h
    targets:
)" + kTarget +
         "    retention: " + kRetention + R"(
    min_retention: 0s
  twice-daily:
    databases: {names: [billing]}
    source: {account: prod, region: us-east-1, from: snapshot, keep_after_vaulted: 1d,
             share_key: ")" +
         kShareKey + R"("}
    rpo: 12h
    targets:
)" + kTarget +
         "    retention: " + kRetention + "\n    min_retention: 0s\n";
}

// --- the reference GFS, from docs/configuration.md "retention (DR side)" -----
//
// "each tier keeps the newest copy of each of its N most recent periods (UTC)
// that have one", periods being hours, days, ISO 8601 weeks (Monday-Sunday),
// months and years; "the newest available copy is always kept". Written as
// group-by-period, then the N latest groups, so it shares no code or
// algorithm with engine/retention.cc (which walks newest -> oldest).

struct Gfs {
  int hourly = 4, daily = 7, weekly = 4, monthly = 12, yearly = 2;
};

int64_t HourKey(TimePoint t) { return std::chrono::floor<hours>(t).time_since_epoch().count(); }
int64_t DayKey(TimePoint t) { return std::chrono::floor<days>(t).time_since_epoch().count(); }
int64_t WeekKey(TimePoint t) {  // the Monday that starts the week
  std::chrono::sys_days d = std::chrono::floor<days>(t);
  std::chrono::weekday wd{d};
  return (d - (wd - std::chrono::Monday)).time_since_epoch().count();
}
int64_t MonthKey(TimePoint t) {
  std::chrono::year_month_day ymd{std::chrono::floor<days>(t)};
  return int64_t{static_cast<int>(ymd.year())} * 12 + static_cast<unsigned>(ymd.month()) - 1;
}
int64_t YearKey(TimePoint t) {
  return static_cast<int>(std::chrono::year_month_day{std::chrono::floor<days>(t)}.year());
}

std::set<TimePoint> ReferenceGfs(const std::set<TimePoint>& points, const Gfs& gfs) {
  std::set<TimePoint> keep;
  if (points.empty()) return keep;
  keep.insert(*points.rbegin());  // the newest, always
  auto tier = [&](int n, int64_t (*key)(TimePoint)) {
    std::map<int64_t, TimePoint> newest_in_period;
    for (TimePoint t : points) {
      auto [it, inserted] = newest_in_period.emplace(key(t), t);
      if (!inserted && t > it->second) it->second = t;
    }
    int taken = 0;
    for (auto it = newest_in_period.rbegin(); it != newest_in_period.rend() && taken < n;
         ++it, ++taken)
      keep.insert(it->second);
  };
  tier(gfs.hourly, HourKey);
  tier(gfs.daily, DayKey);
  tier(gfs.weekly, WeekKey);
  tier(gfs.monthly, MonthKey);
  tier(gfs.yearly, YearKey);
  return keep;
}

TEST(ReferenceGfsTest, FollowsTheDocumentedDefinition) {
  // The documented example: daily 7, weekly 4, monthly 12, yearly 3 over a
  // year of daily points keeps 20 copies.
  std::set<TimePoint> year;
  TimePoint first = *ParseIso8601("2025-01-01T04:10:00Z");
  for (int d = 0; d < 365; ++d) year.insert(first + days(d));
  EXPECT_EQ(ReferenceGfs(year, Gfs{0, 7, 4, 12, 3}).size(), 20u);
  // ISO weeks: Sunday 2026-01-04 and Monday 2026-01-05 are in different
  // weeks; Thursday 2026-01-01 and Sunday 2025-12-28 too; Monday 2025-12-29
  // and Sunday 2026-01-04 share one (2026-W01).
  auto t = [](const char* s) { return *ParseIso8601(s); };
  EXPECT_NE(WeekKey(t("2026-01-04T23:59:00Z")), WeekKey(t("2026-01-05T00:00:00Z")));
  EXPECT_EQ(WeekKey(t("2025-12-29T00:00:00Z")), WeekKey(t("2026-01-04T23:59:00Z")));
  EXPECT_NE(WeekKey(t("2025-12-28T12:00:00Z")), WeekKey(t("2026-01-01T12:00:00Z")));
  // Newest of each period, and only periods that have a point count.
  std::set<TimePoint> pts = {t("2026-03-01T01:00:00Z"), t("2026-03-01T02:00:00Z"),
                             t("2026-01-10T00:00:00Z"), t("2025-06-01T00:00:00Z")};
  EXPECT_EQ(ReferenceGfs(pts, Gfs{0, 0, 0, 2, 0}),
            (std::set<TimePoint>{t("2026-03-01T02:00:00Z"), t("2026-01-10T00:00:00Z")}));
  EXPECT_EQ(ReferenceGfs(pts, Gfs{0, 0, 0, 0, 2}),
            (std::set<TimePoint>{t("2026-03-01T02:00:00Z"), t("2025-06-01T00:00:00Z")}));
  EXPECT_EQ(ReferenceGfs(pts, Gfs{1, 0, 0, 0, 0}),
            (std::set<TimePoint>{t("2026-03-01T02:00:00Z")}));
  EXPECT_EQ(ReferenceGfs(pts, Gfs{0, 0, 0, 0, 0}),  // the newest, always
            (std::set<TimePoint>{t("2026-03-01T02:00:00Z")}));
}

// --- what the test saw over the run ------------------------------------------

struct ProtectedDb {
  std::string id;
  DbKind kind;
  int keep_newest;
  Duration keep_after_vaulted;
};

const std::vector<ProtectedDb>& Protected() {
  static const std::vector<ProtectedDb> dbs = {
      {"orders", DbKind::kInstance, 2, Duration::zero()},
      {"ledger", DbKind::kCluster, 2, Duration::zero()},
      {"billing", DbKind::kInstance, 1, std::chrono::duration_cast<Duration>(days(1))},
  };
  return dbs;
}

std::string Tag(const Snapshot& s, const char* key) {
  auto it = s.tags.find(key);
  return it == s.tags.end() ? "" : it->second;
}

// drsnap's own snapshot of `stage`, by the documented rule: a manual snapshot
// owned by the scope, a drsnap name of that stage, drsnap:managed=true and a
// drsnap:stage tag that agrees.
bool IsDrsnaps(const Snapshot& s, const Scope& scope, NameStage stage) {
  if (s.scope != scope || s.type != SnapshotType::kManual) return false;
  auto l = engine::naming::ParseName(s.id);
  return l && l->stage == stage && Tag(s, engine::naming::kTagManaged) == "true" &&
         Tag(s, engine::naming::kTagStage) == engine::naming::NameStageName(stage);
}

const engine::ScopeInventory& ScopeOf(const engine::ReconcileReport& r, const Scope& scope) {
  const engine::ScopeInventory* si = r.inventory.Find(scope);
  EXPECT_NE(si, nullptr) << scope.ToString() << " was not observed";
  static const engine::ScopeInventory empty;
  return si ? *si : empty;
}

// drsnap's snapshots of `stage` in `scope` (only available ones when
// `available_only`): database -> recovery point -> SnapshotCreateTime.
using PointIndex = std::map<std::string, std::map<TimePoint, TimePoint>>;
PointIndex IndexPoints(const std::vector<Snapshot>& snaps, const Scope& scope, NameStage stage,
                       bool available_only) {
  PointIndex out;
  for (const auto& s : snaps) {
    if (!IsDrsnaps(s, scope, stage)) continue;
    if (available_only && s.status != SnapshotStatus::kAvailable) continue;
    out[Tag(s, engine::naming::kTagDb)][engine::naming::ParseName(s.id)->recovery_point] =
        s.create_time;
  }
  return out;
}

std::set<TimePoint> PointsOf(const PointIndex& index, const std::string& db) {
  std::set<TimePoint> out;
  if (auto it = index.find(db); it != index.end())
    for (const auto& [t, created] : it->second) out.insert(t);
  return out;
}

std::set<TimePoint> Points(const std::vector<Snapshot>& snaps, const Scope& scope, NameStage stage,
                           const std::string& db, bool available_only) {
  return PointsOf(IndexPoints(snaps, scope, stage, available_only), db);
}

std::string Show(const std::set<TimePoint>& points) {
  std::string out;
  for (TimePoint t : points) out += (out.empty() ? "" : " ") + FormatIso8601Seconds(t);
  return "{" + out + "}";
}

// What the test saw over the run, and the checks on it.
class RunLedger {
 public:
  // Every reconcile: no failed action, no incomplete scope, the seeds are all
  // there, every delete was of drsnap's own snapshot and never of the newest
  // vaulted point, the reference set is all there, no capture went before it
  // was vaulted; remembers the points captured, hopped and vaulted.
  void Observe(const engine::ReconcileReport& r) {
    ++reconciles_;
    for (const auto& s : r.inventory.scopes)
      if (!s.complete)
        ADD_FAILURE() << "incomplete scope " << s.scope.ToString() << ": " << s.error;
    for (const auto& res : r.apply.results) {
      if (res.outcome == engine::Outcome::kFailed)
        ADD_FAILURE() << "failed: " << res.action.Describe() << ": "
                      << (res.error ? res.error->ToString() : "");
    }
    for (const auto& seed : Seeds()) {
      bool found = false;
      for (const auto& s : ScopeOf(r, seed.scope).snapshots)
        if (s.scope == seed.scope && s.id == seed.id) found = true;
      if (!found)
        ADD_FAILURE() << "snapshot drsnap did not create is gone: " << seed.scope.ToString() << " "
                      << seed.id << " at " << FormatIso8601(r.started);
    }
    const PointIndex vaults =
        IndexPoints(ScopeOf(r, kVaultEu).snapshots, kVaultEu, NameStage::kVault, true);
    const PointIndex captures =
        IndexPoints(ScopeOf(r, kProd).snapshots, kProd, NameStage::kCapture, false);
    const PointIndex hops =
        IndexPoints(ScopeOf(r, kVaultHop).snapshots, kVaultHop, NameStage::kHop, false);
    for (const auto& db : Protected()) {
      for (TimePoint t : PointsOf(vaults, db.id)) {
        if (vaulted_[db.id].emplace(t, vaults.at(db.id).at(t)).second) reference_.erase(db.id);
      }
      for (TimePoint t : PointsOf(captures, db.id)) captured_[db.id].insert(t);
      for (TimePoint t : PointsOf(hops, db.id)) hopped_[db.id].insert(t);

      // Even mid-pipeline, nothing the reference keeps is gone (the newest
      // point ever vaulted included): retention only ever removes points
      // that no later point can bring back into the GFS set.
      std::set<TimePoint> in_dr = PointsOf(vaults, db.id);
      for (TimePoint t : Reference(db.id))
        if (!in_dr.contains(t))
          ADD_FAILURE() << db.id << ": vault copy of " << FormatIso8601(t)
                        << ", which the GFS set keeps, is gone at " << FormatIso8601(r.started);
      // The source never drops a capture before it is vaulted, nor one of the
      // keep_newest newest.
      std::set<TimePoint> in_src = PointsOf(captures, db.id);
      int k = 0;
      for (auto it = captured_[db.id].rbegin(); it != captured_[db.id].rend(); ++it, ++k) {
        if (in_src.contains(*it)) continue;
        if (!vaulted_[db.id].contains(*it))
          ADD_FAILURE() << db.id << ": capture " << FormatIso8601(*it)
                        << " is gone before it was vaulted";
        if (k < db.keep_newest)
          ADD_FAILURE() << db.id << ": capture " << FormatIso8601(*it) << " is one of the "
                        << db.keep_newest << " newest, and gone";
      }
    }
    for (const auto& a : r.plan.actions) {
      if (a.kind != engine::ActionKind::kDeleteSnapshot) continue;
      const Snapshot* target = nullptr;
      for (const auto& s : ScopeOf(r, a.scope).snapshots)
        if (s.scope == a.scope && s.id == a.snapshot_id) target = &s;
      if (target == nullptr) {
        ADD_FAILURE() << "delete of a snapshot not in the inventory: " << a.Describe();
        continue;
      }
      auto l = engine::naming::ParseName(target->id);
      if (!l || !IsDrsnaps(*target, a.scope, l->stage))
        ADD_FAILURE() << "delete of a snapshot drsnap did not create: " << a.Describe();
      if (l && l->stage == NameStage::kVault) {
        ++vault_deletes_;
        auto avail = a.scope == kVaultEu
                         ? PointsOf(vaults, Tag(*target, engine::naming::kTagDb))
                         : Points(ScopeOf(r, a.scope).snapshots, a.scope, NameStage::kVault,
                                  Tag(*target, engine::naming::kTagDb), true);
        if (!avail.empty() && *avail.rbegin() == l->recovery_point)
          ADD_FAILURE() << "delete of the newest vault copy: " << a.Describe();
      }
      if (l && l->stage == NameStage::kCapture) ++capture_deletes_;
    }
  }

  // Once the pipeline has settled (empty plan, nothing being made): the DR region
  // holds exactly the reference GFS set of every point ever vaulted, the
  // newest point ever vaulted among them, each copy under the DR key; the
  // source keeps only the captures still needed; no raw or hop is left over.
  void CheckSettled(const engine::ReconcileReport& r) {
    TimePoint now = r.inventory.observed_at;
    const auto& eu = ScopeOf(r, kVaultEu).snapshots;
    const auto& src = ScopeOf(r, kProd).snapshots;
    const auto& hop = ScopeOf(r, kVaultHop).snapshots;
    for (const auto& s : eu) {
      if (IsDrsnaps(s, kVaultEu, NameStage::kVault)) {
        EXPECT_EQ(s.kms_key_id, kVaultEuKey) << s.id << " is not encrypted with the DR key";
      }
    }
    for (const auto& db : Protected()) {
      std::set<TimePoint> ever;
      for (const auto& [t, created] : vaulted_[db.id]) ever.insert(t);
      ASSERT_FALSE(ever.empty()) << db.id << " was never vaulted";
      std::set<TimePoint> in_dr = Points(eu, kVaultEu, NameStage::kVault, db.id, false);
      EXPECT_EQ(in_dr, Points(eu, kVaultEu, NameStage::kVault, db.id, true))
          << db.id << ": vault copies not available after settling";
      const std::set<TimePoint>& want = Reference(db.id);
      EXPECT_EQ(in_dr, want) << db.id << " at " << FormatIso8601(now)
                             << "\n  in DR:     " << Show(in_dr) << "\n  reference: " << Show(want);
      EXPECT_TRUE(in_dr.contains(*ever.rbegin()))
          << db.id << ": the newest vaulted point is gone: " << FormatIso8601(*ever.rbegin());

      // Source side: every capture was vaulted; kept are the keep_newest
      // newest, plus those vaulted less than keep_after_vaulted ago.
      const auto& caps = captured_[db.id];
      std::set<TimePoint> want_src;
      int k = 0;
      for (auto it = caps.rbegin(); it != caps.rend(); ++it) {
        auto v = vaulted_[db.id].find(*it);
        EXPECT_NE(v, vaulted_[db.id].end())
            << db.id << ": capture " << FormatIso8601(*it) << " was never vaulted";
        bool recent = v != vaulted_[db.id].end() && now - v->second < db.keep_after_vaulted;
        if (k++ < db.keep_newest || recent) want_src.insert(*it);
      }
      std::set<TimePoint> in_src = Points(src, kProd, NameStage::kCapture, db.id, false);
      EXPECT_EQ(in_src, want_src) << db.id << " captures at " << FormatIso8601(now)
                                  << "\n  in source: " << Show(in_src)
                                  << "\n  expected:  " << Show(want_src);
      EXPECT_TRUE(Points(src, kProd, NameStage::kRaw, db.id, false).empty())
          << db.id << ": raw snapshot left over at " << FormatIso8601(now);
      EXPECT_TRUE(Points(hop, kVaultHop, NameStage::kHop, db.id, false).empty())
          << db.id << ": hop left over at " << FormatIso8601(now);
    }
  }

  int reconciles() const { return reconciles_; }
  size_t hopped(const std::string& db) { return hopped_[db].size(); }
  int vault_deletes() const { return vault_deletes_; }
  int capture_deletes() const { return capture_deletes_; }
  size_t vaulted(const std::string& db) { return vaulted_[db].size(); }
  // The reference GFS set of every point ever vaulted (cached until a new
  // point is vaulted).
  const std::set<TimePoint>& Reference(const std::string& db) {
    auto it = reference_.find(db);
    if (it != reference_.end()) return it->second;
    std::set<TimePoint> ever;
    for (const auto& [t, created] : vaulted_[db]) ever.insert(t);
    return reference_[db] = ReferenceGfs(ever, Gfs{});
  }

 private:
  std::map<std::string, std::map<TimePoint, TimePoint>> vaulted_;  // db -> point -> copy created
  std::map<std::string, std::set<TimePoint>> captured_;            // db -> points
  std::map<std::string, std::set<TimePoint>> reference_;           // db -> Reference()
  std::map<std::string, std::set<TimePoint>> hopped_;              // db -> points seen as hops
  int reconciles_ = 0, vault_deletes_ = 0, capture_deletes_ = 0;
};

bool NothingInFlight(const engine::ReconcileReport& r) {
  for (const auto& si : r.inventory.scopes)
    for (const auto& s : si.snapshots)
      if (s.scope == si.scope &&
          (s.status == SnapshotStatus::kCreating || s.status == SnapshotStatus::kCopying))
        return false;
  return true;
}

// Reconciles every 2 simulated minutes (copies take one) until a plan is
// empty and nothing is being created or copied; returns that last report.
engine::ReconcileReport Settle(SimPipeline& p, RunLedger& ledger) {
  constexpr int kMaxRuns = 12;
  for (int run = 1;; ++run) {
    p.sim->Advance(minutes(2));
    auto r = p.reconciler->RunOnce(engine::ReconcileOptions{});
    ledger.Observe(r);
    if (r.plan.actions.empty() && NothingInFlight(r)) return r;
    if (run == kMaxRuns) {
      ADD_FAILURE() << "not settled after " << kMaxRuns << " reconciles at "
                    << FormatIso8601(p.sim->Now()) << ": " << r.Summary();
      return r;
    }
  }
}

// Issue 4, shown-by 4.
TEST(PipelineRetentionSimTest, FourHundredDaysLeaveExactlyTheGfsSet) {
  auto p = StartSimPipeline(kWorld, PolicyFile());
  ASSERT_NE(p, nullptr);
  RunLedger ledger;
  const TimePoint start = *ParseIso8601(kStart) + hours(1);  // the first backup window
  const std::set<int> reported = {30, 100, 365, 400};
  for (int day = 1; day <= 400; ++day) {
    // A reconcile every 6 hours, as a service would run (00:05 is just after
    // the automated backups): each run moves every capture in progress one
    // stage on, so the pipeline always has work in flight somewhere.
    for (int quarter = 0; quarter < 4; ++quarter) {
      p->sim->SetTime(start + days(day - 1) + hours(6 * quarter) + minutes(5));
      ledger.Observe(p->reconciler->RunOnce(engine::ReconcileOptions{}));
    }
    // Checkpoints: let the work in flight finish, then compare exactly.
    if (day % 10 == 0 || reported.contains(day)) ledger.CheckSettled(Settle(*p, ledger));
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "stopped on day " << day << " (" << FormatIso8601(p->sim->Now()) << ")";
      return;
    }
    if (!reported.contains(day)) continue;
    // There also list the DR region afresh (not through a reconcile).
    std::vector<Snapshot> eu = Owned(*p, kVaultEu);
    std::string figures;
    for (const auto& db : Protected()) {
      std::set<TimePoint> dr = Points(eu, kVaultEu, NameStage::kVault, db.id, true);
      EXPECT_EQ(dr, ledger.Reference(db.id)) << db.id << " on day " << day;
      figures += " " + db.id + "=" + std::to_string(dr.size()) + "/" +
                 std::to_string(ledger.vaulted(db.id));
    }
    std::cout << "day " << day << " (" << FormatIso8601(p->sim->Now())
              << "): vault copies kept/ever vaulted:" << figures << std::endl;
  }
  // The run exercised what it claims to: captures and vault copies were
  // expired, every protected point was vaulted, each through a hop (the
  // strict rule: a shared encrypted snapshot is copied only in its region).
  EXPECT_GT(ledger.capture_deletes(), 0);
  EXPECT_GT(ledger.vault_deletes(), 0);
  EXPECT_EQ(ledger.vaulted("orders"), 400u);
  EXPECT_EQ(ledger.vaulted("ledger"), 400u);
  EXPECT_EQ(ledger.vaulted("billing"), 800u);
  for (const auto& db : Protected())
    EXPECT_EQ(ledger.hopped(db.id), ledger.vaulted(db.id)) << db.id;
  // By hand, for orders' daily points on the last day (Monday 2026-12-21):
  // daily 7 (12-15..12-21, which covers hourly 4), weekly adds 12-13 and
  // 12-06, monthly the last points of 2026-01..2026-11, yearly 2025-12-31.
  std::set<TimePoint> orders_dr =
      Points(Owned(*p, kVaultEu), kVaultEu, NameStage::kVault, "orders", true);
  EXPECT_EQ(orders_dr.size(), 7u + 2u + 11u + 1u) << Show(orders_dr);
  EXPECT_TRUE(orders_dr.contains(*ParseIso8601("2025-12-31T00:00:00Z"))) << Show(orders_dr);
  std::cout << "reconciles: " << ledger.reconciles() << std::endl;
}

}  // namespace
}  // namespace drsnap::testing
