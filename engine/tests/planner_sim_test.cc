// The planner driven in a loop against a tiny in-memory "AWS" that applies
// each action instantly (copies become available one round later): the
// pipeline converges, a second plan is empty, and after 400 simulated days
// exactly the GFS set remains on the DR side and only what the pipeline
// needs on the source side. Every delete goes through the guard.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "engine/delete_guard.h"
#include "engine/naming.h"
#include "engine/planner.h"
#include "engine/retention.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

class MiniAws {
 public:
  explicit MiniAws(World& w) : w_(w) {}

  Snapshot* FindRef(const std::string& ref, const Scope& where) {
    std::string id = ref;
    Scope scope = where;
    if (ref.starts_with("arn:")) {
      // arn:aws:rds:<region>:<account>:snapshot:<id>
      std::vector<std::string> parts;
      size_t start = 0;
      for (int i = 0; i < 6; ++i) {
        size_t p = ref.find(':', start);
        parts.push_back(ref.substr(start, p - start));
        start = p + 1;
      }
      scope = Scope{parts[4], parts[3]};
      id = ref.substr(start);
    }
    for (auto& si : w_.inv.scopes)
      if (si.scope == scope)
        for (auto& s : si.snapshots)
          if (s.id == id) return &s;
    return nullptr;
  }

  // Copies and creates made in earlier rounds finish.
  void Tick() {
    for (auto& si : w_.inv.scopes)
      for (auto& s : si.snapshots)
        if (s.status == SnapshotStatus::kCopying || s.status == SnapshotStatus::kCreating) {
          s.status = SnapshotStatus::kAvailable;
          s.status_text = "available";
          s.percent_progress = 100;
        }
  }

  // Applies every action; returns how many changed something.
  int Apply(const Plan& plan, const config::Config& cfg, TimePoint now) {
    DeleteGuard guard(w_.inv, cfg);
    std::vector<std::pair<Scope, std::string>> deletes;
    for (const Action& a : plan.actions) {
      if (a.kind == ActionKind::kDeleteSnapshot) {
        DeleteVerdict verdict = guard.Check(a);
        EXPECT_TRUE(verdict.allowed()) << a.Describe() << ": " << verdict.ToString();
        if (verdict) deletes.emplace_back(a.scope, a.snapshot_id);
      }
    }
    int changed = 0;
    for (const Action& a : plan.actions) {
      switch (a.kind) {
        case ActionKind::kCreateSnapshot: {
          const Database* db = nullptr;
          for (const auto& d : w_.At(a.scope.account_id, a.scope.region).databases)
            if (d.id == a.db_id) db = &d;
          EXPECT_NE(db, nullptr);
          if (!db) break;
          Snapshot s;
          s.kind = a.db_kind;
          s.id = a.snapshot_id;
          s.scope = a.scope;
          s.db_id = a.db_id;
          s.status = SnapshotStatus::kCreating;
          s.create_time = s.recovery_point = now;
          s.encrypted = db->encrypted;
          s.kms_key_id = db->kms_key_id;
          s.tags = a.tags;
          s.shared_with = std::vector<std::string>{};
          EXPECT_TRUE(Unique(s)) << s.id;
          w_.Add(std::move(s));
          ++changed;
          ++creates;
          break;
        }
        case ActionKind::kCopySnapshot: {
          Snapshot* src = FindRef(a.source_arn, a.scope);
          EXPECT_NE(src, nullptr) << a.Describe();
          if (!src) break;
          EXPECT_EQ(src->status, SnapshotStatus::kAvailable) << a.Describe();
          if (src->scope.account_id != a.scope.account_id) {
            bool shared =
                src->shared_with &&
                std::count(src->shared_with->begin(), src->shared_with->end(), a.scope.account_id);
            EXPECT_TRUE(shared) << "copy of an unshared snapshot: " << a.Describe();
          }
          if (src->encrypted && (src->scope.account_id != a.scope.account_id ||
                                 src->scope.region != a.scope.region)) {
            EXPECT_FALSE(a.kms_key_id.empty()) << a.Describe();
          }
          Snapshot s;
          s.kind = a.db_kind;
          s.id = a.snapshot_id;
          s.scope = a.scope;
          s.db_id = src->db_id;
          s.status = SnapshotStatus::kCopying;
          s.create_time = now;
          s.recovery_point = src->recovery_point;
          s.encrypted = src->encrypted;
          s.kms_key_id = a.kms_key_id.empty() ? src->kms_key_id : a.kms_key_id.str();
          s.source_arn = a.source_arn;
          s.source_region = a.source_region;
          s.tags = a.tags;
          s.shared_with = std::vector<std::string>{};
          EXPECT_TRUE(Unique(s)) << "duplicate copy " << s.id;
          w_.Add(std::move(s));
          ++changed;
          ++copies;
          break;
        }
        case ActionKind::kShareSnapshot: {
          Snapshot* s = FindRef(a.snapshot_id, a.scope);
          EXPECT_NE(s, nullptr);
          if (!s) break;
          EXPECT_FALSE(s->encrypted && s->kms_key_id == kDefaultKey)
              << "sharing a default-key snapshot";
          if (!s->shared_with) s->shared_with = std::vector<std::string>{};
          for (const auto& acct : a.share_with) s->shared_with->push_back(acct);
          ++changed;
          break;
        }
        case ActionKind::kDeleteSnapshot:
          break;
      }
    }
    for (const auto& [scope, id] : deletes) {
      auto& snaps = w_.At(scope.account_id, scope.region).snapshots;
      auto it =
          std::find_if(snaps.begin(), snaps.end(), [&](const Snapshot& s) { return s.id == id; });
      EXPECT_NE(it, snaps.end()) << id;
      if (it == snaps.end()) continue;
      snaps.erase(it);
      ++changed;
      ++deleted;
    }
    return changed;
  }

  bool Unique(const Snapshot& s) {
    for (const auto& o : w_.At(s.scope.account_id, s.scope.region).snapshots)
      if (o.id == s.id) return false;
    return true;
  }

  // Reconciles until nothing is left to do (at most `rounds` rounds, one
  // Tick per round). Returns the rounds used.
  int Converge(const config::Config& cfg, TimePoint now, int rounds = 12) {
    for (int r = 0; r < rounds; ++r) {
      Tick();
      Plan p = MakePlan(w_.inv, cfg, now + minutes(r));
      for (const auto& f : p.findings)
        EXPECT_NE(f.severity, Finding::Severity::kError) << f.message;
      if (p.actions.empty()) return r;
      Apply(p, cfg, now + minutes(r));
    }
    ADD_FAILURE() << "did not converge at " << FormatName(now);
    return rounds;
  }

  static std::string FormatName(TimePoint t) { return naming::FormatNameTimestamp(t); }

  int creates = 0, copies = 0, deleted = 0;

 private:
  World& w_;
};

std::set<std::string> Ids(const ScopeInventory& si, const std::string& db) {
  std::set<std::string> out;
  for (const auto& s : si.snapshots)
    if (s.db_id == db && s.type == SnapshotType::kManual) out.insert(s.id);
  return out;
}

void AddAutomated(World& w, const std::string& db, TimePoint t, DbKind kind) {
  w.Automated(db, t, kind);
  // RDS keeps 7 days of automated snapshots.
  auto& snaps = w.At(kProd, kSrcRegion).snapshots;
  std::erase_if(snaps, [&](const Snapshot& s) {
    return s.type == SnapshotType::kAutomated && s.db_id == db && s.recovery_point < t - days(7);
  });
}

TEST(PlannerSimTest, AutomatedOver400DaysLeavesExactlyTheGfsSet) {
  config::Config cfg =
      StandardConfig("automated", "26h", "{daily: 7, weekly: 4, monthly: 12, yearly: 3}");
  World w;
  w.Db("orders-db").kms_key_id = kDefaultKey;  // re-encrypted with the share key
  w.Db("orders-cl", DbKind::kCluster);         // hop for the cross-region copy
  MiniAws aws(w);
  TimePoint start = T("2025-10-22T04:10:00Z");
  std::vector<RetentionItem> points;
  for (int day = 0; day < 400; ++day) {
    TimePoint t = start + days(day);
    AddAutomated(w, "orders-db", t, DbKind::kInstance);
    w.At(kProd, kSrcRegion).snapshots.back().kms_key_id = kDefaultKey;
    AddAutomated(w, "orders-cl", t, DbKind::kCluster);
    points.push_back(RetentionItem{naming::VaultName(kProd, "orders-db", t), t, true, "available"});
    aws.Converge(cfg, t + minutes(30));
    if (HasFailure()) return;
  }
  TimePoint end = start + days(399) + minutes(40);
  // Converged: the next plan is empty.
  Plan again = MakePlan(w.inv, cfg, end);
  EXPECT_TRUE(again.actions.empty()) << RenderPlan(again);

  // DR side: exactly the GFS set of the daily points.
  std::set<std::string> want;
  for (const auto& d : ApplyRetention(points, cfg.policies[0].retention, end))
    if (d.keep) want.insert(d.id);
  EXPECT_EQ(want.size(), 20u);
  EXPECT_EQ(Ids(w.At(kVault, kDrRegion), "orders-db"), want);
  std::set<std::string> want_cl;
  for (const auto& id : want) {
    auto lin = naming::ParseName(id);
    want_cl.insert(naming::VaultName(kProd, "orders-cl", lin->recovery_point));
  }
  EXPECT_EQ(Ids(w.At(kVault, kDrRegion), "orders-cl"), want_cl);
  // Every vault copy is re-encrypted with the DR key.
  for (const auto& s : w.At(kVault, kDrRegion).snapshots)
    EXPECT_EQ(s.kms_key_id, "arn:aws:kms:eu-west-1:222222222222:key/dr") << s.id;
  // Source side: only the newest capture of each database; no hops left.
  TimePoint last = start + days(399);
  EXPECT_EQ(Ids(w.At(kProd, kSrcRegion), "orders-db"),
            std::set<std::string>{naming::CaptureName("orders-db", last)});
  EXPECT_EQ(Ids(w.At(kProd, kSrcRegion), "orders-cl"),
            std::set<std::string>{naming::CaptureName("orders-cl", last)});
  EXPECT_TRUE(Ids(w.At(kVault, kSrcRegion), "orders-cl").empty());
  EXPECT_EQ(aws.creates, 0);
}

TEST(PlannerSimTest, SnapshotSourceHourlyRpoDefaultKeyTwoAccounts) {
  config::Config cfg =
      StandardConfig("snapshot", "1h", "{hourly: 24, daily: 3}", R"(      - account: vault2
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:333333333333:key/dr}
          us-east-1: {kms_key: arn:aws:kms:us-east-1:333333333333:key/dr}
)");
  World w;
  w.At(kVault2, kDrRegion2);
  w.At(kVault2, kSrcRegion);
  w.Db("orders-db").kms_key_id = kDefaultKey;
  Database& plain = w.Db("orders-plain");
  plain.encrypted = false;
  plain.kms_key_id.clear();
  w.Db("orders-cmk");
  MiniAws aws(w);
  TimePoint start = T("2026-11-01T00:00:00Z");
  for (int hour = 0; hour < 24 * 4; ++hour) {
    aws.Converge(cfg, start + hours(hour));
    if (HasFailure()) return;
  }
  TimePoint end = start + hours(24 * 4 - 1) + minutes(30);
  Plan again = MakePlan(w.inv, cfg, end);
  for (const auto& a : again.actions)
    EXPECT_NE(a.kind, ActionKind::kDeleteSnapshot) << a.Describe();
  for (const char* db : {"orders-db", "orders-plain", "orders-cmk"}) {
    // 24 hourly (all of today) + 3 daily (today's newest is both) = 26 per
    // target region.
    EXPECT_EQ(Ids(w.At(kVault, kDrRegion), db).size(), 26u) << db;
    EXPECT_EQ(Ids(w.At(kVault2, kDrRegion2), db).size(), 26u) << db;
    EXPECT_EQ(Ids(w.At(kVault2, kSrcRegion), db).size(), 26u) << db;
    EXPECT_EQ(Ids(w.At(kProd, kSrcRegion), db).size(), 1u) << db;  // the newest capture
  }
  EXPECT_EQ(aws.creates, 3 * 24 * 4);
  for (const auto& s : w.At(kVault2, kSrcRegion).snapshots)
    EXPECT_EQ(s.encrypted ? s.kms_key_id : "arn:aws:kms:us-east-1:333333333333:key/dr",
              "arn:aws:kms:us-east-1:333333333333:key/dr");
}

}  // namespace
}  // namespace drsnap::engine
