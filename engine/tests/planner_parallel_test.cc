// MakePlan plans databases on several threads and indexes large scopes in
// parts (PlanOptions); the plan, and the index, must be exactly the ones a
// single thread makes. Random estates, planned with one thread and with
// many, tiny chunks and tiny index parts (so that even a small estate is
// split at every possible place), compared field by field.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "engine/lineage_index.h"
#include "engine/naming.h"
#include "engine/planner.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using std::chrono::days;
using std::chrono::hours;

const TimePoint kNow = T("2026-11-25T12:00:00Z");
const TimePoint kDay = T("2026-11-25T04:10:00Z");

// Every field of every action and finding, in order.
std::string Fingerprint(const Plan& plan) {
  std::string out;
  for (const Action& a : plan.actions) {
    out += std::to_string(static_cast<int>(a.kind)) + "/" + std::to_string(static_cast<int>(a.stage)) +
           "/" + std::to_string(static_cast<int>(a.db_kind)) + "/" + (a.copy_tags ? "1" : "0") +
           " " + a.scope.ToString() + " " + a.policy.str() + " " + a.db_id.str() + " " +
           a.snapshot_id.str() + " src=" + a.source_arn.str() + " from=" + a.source_region.str() +
           " kms=" + a.kms_key_id.str() + " og=" + a.option_group.str() + " tags=";
    for (const auto& [k, v] : a.tags) out += k + ":" + v + ",";
    out += " share=";
    for (const auto& acct : a.share_with) out += acct + ",";
    out += " why=" + a.reason.str() + "\n";
  }
  for (const Finding& f : plan.findings)
    out += "finding " + std::to_string(static_cast<int>(f.severity)) + " " + f.policy + " " +
           f.db_id + " " + f.scope.ToString() + " " + f.message + "\n";
  return out;
}

// `databases` instances and clusters (a fifth of them deleted), each with a
// random mix of automated snapshots, captures (some shared with the vault
// account, which then sees them as shared), vault copies in two accounts,
// hops, look-alikes without tags; some creating, copying or failed, some
// attempts repeated. `shuffle`: every scope's listing in random order, so
// that a lineage's snapshots are not in one run.
World RandomEstate(std::mt19937& rng, int databases, bool shuffle) {
  World w;
  const SnapshotStatus statuses[] = {SnapshotStatus::kAvailable, SnapshotStatus::kAvailable,
                                     SnapshotStatus::kAvailable, SnapshotStatus::kCopying,
                                     SnapshotStatus::kCreating,  SnapshotStatus::kFailed};
  std::vector<Snapshot> shared_views;
  for (int d = 0; d < databases; ++d) {
    const DbKind kind = rng() % 3 == 0 ? DbKind::kCluster : DbKind::kInstance;
    const std::string db = (kind == DbKind::kCluster ? "orders-cl-" : "orders-db-") + std::to_string(d);
    if (rng() % 5 != 0) w.Db(db, kind);
    const int snapshots = static_cast<int>(rng() % 14);
    for (int i = 0; i < snapshots; ++i) {
      const TimePoint t = kDay - days(static_cast<int>(rng() % 30)) - hours(rng() % 2 ? 0 : 6);
      const SnapshotStatus st = statuses[rng() % std::size(statuses)];
      const int attempt = rng() % 4 == 0 ? 1 : 0;
      switch (rng() % 7) {
        case 0:
          w.Automated(db, t, kind);
          break;
        case 1:
        case 2: {
          const bool shared = rng() % 2;
          Snapshot& c = w.Capture(db, t, st, shared ? std::vector<std::string>{kVault}
                                                    : std::vector<std::string>{},
                                  attempt, kind);
          if (shared && rng() % 2) {
            Snapshot view = c;
            view.type = SnapshotType::kShared;
            view.seen_from = Scope{kVault, kSrcRegion};
            view.tags = {};
            view.shared_with.reset();
            shared_views.push_back(std::move(view));
          }
          break;
        }
        case 3:
          w.Vault(db, t, st, kVault, kDrRegion, attempt, kind);
          break;
        case 4:
          w.Vault(db, t, st, kVault2, kDrRegion2, attempt, kind);
          break;
        case 5:
          w.Hop(db, t, st, kVault, attempt, kind);
          break;
        case 6:
          w.Manual("manual-" + db + "-" + std::to_string(i), db);
          break;
      }
    }
  }
  ScopeInventory& vault_src = w.At(kVault, kSrcRegion);
  for (auto& view : shared_views) vault_src.snapshots.push_back(std::move(view));
  if (shuffle)
    for (auto& si : w.inv.scopes) std::shuffle(si.snapshots.begin(), si.snapshots.end(), rng);
  return w;
}

TEST(PlannerParallelTest, AnyNumberOfThreadsMakesTheSamePlan) {
  std::mt19937 rng(11);
  int deletes = 0, copies = 0, findings = 0;
  for (int round = 0; round < 24; ++round) {
    World w = RandomEstate(rng, 40, /*shuffle=*/round % 3 == 2);
    const char* retentions[] = {"{daily: 3}", "{daily: 7, weekly: 2}", "{}"};
    const bool vault2 = round % 4 == 1;
    if (vault2) w.At(kVault2, kSrcRegion);
    config::Config cfg = StandardConfig(round % 2 ? "automated" : "snapshot", "24h",
                                        retentions[round % 3],
                                        vault2 ? R"(      - account: vault2
        hop_kms_key: arn:aws:kms:us-east-1:333333333333:key/hop
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:333333333333:key/dr}
)"
                                               : "");
    PlanOptions one;
    one.threads = 1;
    const Plan expected = MakePlan(w.inv, cfg, kNow, one);
    const std::string want = Fingerprint(expected);
    for (const Action& a : expected.actions) {
      deletes += a.kind == ActionKind::kDeleteSnapshot;
      copies += a.kind == ActionKind::kCopySnapshot;
    }
    findings += static_cast<int>(expected.findings.size());
    for (int threads : {2, 3, 8}) {
      for (int per_chunk : {1, 4}) {
        PlanOptions many;
        many.threads = threads;
        many.databases_per_chunk = per_chunk;
        many.snapshots_per_index_part = 1 + static_cast<size_t>(rng() % 40);
        EXPECT_EQ(Fingerprint(MakePlan(w.inv, cfg, kNow, many)), want)
            << "round " << round << ", " << threads << " threads, " << per_chunk
            << " per chunk, index parts of " << many.snapshots_per_index_part;
      }
    }
  }
  // The estates make plans with all kinds of work in them.
  EXPECT_GT(deletes, 200);
  EXPECT_GT(copies, 200);
  EXPECT_GT(findings, 100);
}

// One index's groups as text: for every snapshot that parses as a drsnap
// name, its group (Lineages, or SharedCaptures as seen from its scope) in
// order with every entry's fields; the automated snapshots, tagged
// databases, shared databases and in-flight sources.
std::string IndexFingerprint(const LineageIndex& index, const Inventory& inv) {
  std::string out;
  auto entries = [&](std::span<const LineageEntry> group) {
    for (const LineageEntry& e : group) {
      out += " [" + e.snapshot->id.str() + "@" + std::to_string(reinterpret_cast<uintptr_t>(e.snapshot)) +
             " " + std::to_string(static_cast<int>(e.status)) + (e.drsnap_created ? " ours" : "") +
             " db=" + (e.db_tag ? *e.db_tag : "-") + " policy=" + (e.policy_tag ? *e.policy_tag : "-") +
             " attempt=" + std::to_string(e.lineage.attempt) + "]";
      // The group of an entry is the group it is in, and its scope is known.
      const Scope* scope = index.ScopeOf(e);
      if (scope) {
        auto again = index.GroupOf(e, *scope, e.snapshot->kind);
        if (again.data() != group.data() || again.size() != group.size()) out += " WRONG-GROUP";
      }
    }
    out += "\n";
  };
  std::set<std::string> owners;
  for (const auto& si : inv.scopes) {
    out += "scope " + si.scope.ToString() + "\n";
    for (const auto& s : si.snapshots) {
      owners.insert(s.scope.account_id);
      out += "  " + s.id.str() + (index.IsInFlightSource(s) ? " in-flight-source" : "") + "\n";
      if (s.type == SnapshotType::kAutomated) {
        out += "   automated:";
        for (const Snapshot* a : index.Automated(si.scope, s.kind, s.db_id)) out += " " + a->id.str();
        out += "\n";
      }
      auto lin = naming::ParseNameView(s.id);
      if (!lin) continue;
      out += "   lineage:";
      entries(index.Lineages(si.scope, lin->source_account, lin->db_token, s.kind));
      out += "   shared:";
      entries(index.SharedCaptures(si.scope, s.scope.account_id, lin->db_token, s.kind));
    }
    for (const char* policy : {"orders", "other"})
      for (const auto& [kind, db] : index.TaggedDatabases(si.scope, policy))
        out += "  tagged " + std::string(policy) + " " + db + "/" + std::to_string(static_cast<int>(kind)) + "\n";
    for (const auto& owner : owners)
      for (const auto& d : index.SharedDatabases(si.scope, owner))
        out += "  shared-db " + owner + " " + d.db_id + "\n";
  }
  return out;
}

TEST(LineageIndexPartsTest, AnySplitMakesTheSameIndex) {
  std::mt19937 rng(3);
  for (int round = 0; round < 30; ++round) {
    World w = RandomEstate(rng, 12, /*shuffle=*/round % 2 == 1);
    if (round % 5 == 4) {
      // The same scope listed twice (a second page of it, as it were).
      ScopeInventory again = w.inv.scopes[0];
      again.snapshots.erase(again.snapshots.begin(),
                            again.snapshots.begin() +
                                static_cast<ptrdiff_t>(again.snapshots.size() / 2));
      w.inv.scopes.push_back(std::move(again));
    }
    const std::string want = IndexFingerprint(LineageIndex(w.inv), w.inv);
    ASSERT_EQ(want.find("WRONG-GROUP"), std::string::npos) << want;
    for (int threads : {2, 4, 8}) {
      for (size_t part : {size_t{1}, size_t{3}, size_t{17}}) {
        EXPECT_EQ(IndexFingerprint(LineageIndex(w.inv, threads, part), w.inv), want)
            << "round " << round << ", " << threads << " threads, parts of " << part;
      }
    }
  }
}

}  // namespace
}  // namespace drsnap::engine
