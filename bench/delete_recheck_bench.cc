// The executor's re-check before each delete, for an apply with 10,000
// deletes (1,000 databases x 12 daily vault copies in one DR scope, retention
// daily: 2: ten deletes per database), against the in-memory FakeCloud (no
// HTTP: the figure is drsnap's own cost).
//
//   BM_ApplyDeletes/one_guard_per_view  the re-check as reconcile.cc makes
//       it: one DeleteGuard (one lineage index of the view) per version of
//       the view, shared by every delete judged against it.
//   BM_ApplyDeletes/index_per_delete    the re-check as it was before:
//       CheckDeleteAllowed indexes the whole view again for every delete.
//
// Counters: deletes (issued and done), per_delete_us (wall time of the
// apply / deletes).
//
// Run (docs/benchmarks.md): scripts/setup && build/bench/delete_recheck_bench
#include <benchmark/benchmark.h>

#include <cstdio>

#include <memory>
#include <string>

#include "config/policy.h"
#include "core/clock.h"
#include "core/time_util.h"
#include "engine/delete_guard.h"
#include "engine/executor.h"
#include "engine/fake_cloud.h"
#include "engine/naming.h"
#include "engine/planner.h"

namespace {

using namespace drsnap;
using namespace drsnap::engine;

constexpr char kProd[] = "111111111111";
constexpr char kVault[] = "222222222222";
constexpr int kDatabases = 1000;
constexpr int kCopiesPerDatabase = 12;

const TimePoint kNow = *ParseIso8601("2026-11-25T12:00:00Z");

config::Config Policy() {
  auto cfg = config::ParseConfig(R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["db-*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    retention: {daily: 2}
    min_retention: 0s   # 10 deletes per database: the vault lock is not what is measured
    targets:
      - account: vault
        regions: {us-east-1: {kms_key: "arn:aws:kms:us-east-1:222222222222:key/dr"}}
)",
                                 "bench.yaml");
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().ToString().c_str());
    std::abort();
  }
  return *cfg;
}

struct World {
  FakeCloud cloud;
  Inventory inventory;
};

// The vault copies in the cloud and in the observation; the source scope
// observed empty (its databases are gone: retention alone decides).
std::unique_ptr<World> MakeWorld() {
  auto w = std::make_unique<World>();
  w->inventory.observed_at = kNow;
  ScopeInventory src, dr;
  src.scope = Scope{kProd, "us-east-1"};
  dr.scope = Scope{kVault, "us-east-1"};
  for (int d = 0; d < kDatabases; ++d) {
    const std::string db = "db-" + std::to_string(d);
    for (int c = 0; c < kCopiesPerDatabase; ++c) {
      const TimePoint point = kNow - std::chrono::hours(24 * c + 2);
      Snapshot s;
      s.id = naming::VaultName(kProd, db, point);
      s.scope = s.seen_from = dr.scope;
      s.db_id = db;
      s.status = SnapshotStatus::kAvailable;
      s.create_time = point + std::chrono::hours(1);
      s.recovery_point = naming::NamePoint(point);
      s.encrypted = true;
      s.tags = Tags{{naming::kTagManaged, "true"},
                    {naming::kTagPolicy, "orders"},
                    {naming::kTagDb, db},
                    {naming::kTagRecoveryPoint, FormatIso8601Seconds(s.recovery_point)},
                    {naming::kTagStage, "vault"},
                    {naming::kTagSourceAccount, kProd},
                    {naming::kTagSourceArn, "arn:aws:rds:us-east-1:111111111111:snapshot:x"}};
      w->cloud.AddSnapshot(s);
      dr.snapshots.push_back(s);
    }
  }
  w->inventory.scopes = {src, dr};
  return w;
}

void BM_ApplyDeletes(benchmark::State& state, bool one_guard_per_view) {
  const config::Config cfg = Policy();
  int64_t deletes = 0;
  double seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<World> w = MakeWorld();
    Plan plan = MakePlan(w->inventory, cfg, kNow);
    ExecutorOptions ex;
    ex.clock = std::make_shared<FakeClock>(kNow);  // the view stays current
    if (one_guard_per_view) {
      ex.delete_guard = [&cfg](std::shared_ptr<const Inventory> world) -> DeleteCheck {
        auto guard = std::make_shared<const DeleteGuard>(*world, cfg);
        return [world, guard](const Action& a, const Snapshot& fresh) {
          return guard->Check(a, &fresh);
        };
      };
    } else {
      ex.delete_guard = [&cfg](std::shared_ptr<const Inventory> world) -> DeleteCheck {
        return [world, &cfg](const Action& a, const Snapshot& fresh) {
          return CheckDeleteAllowed(*world, cfg, a, &fresh);
        };
      };
    }
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    ApplyReport r = Apply(w->cloud, plan, w->inventory, ex);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.PauseTiming();
    deletes = r.Count(Outcome::kDone);
    if (deletes != kDatabases * (kCopiesPerDatabase - 2)) std::abort();  // the plan changed
    w.reset();
    state.ResumeTiming();
  }
  state.counters["deletes"] = static_cast<double>(deletes);
  state.counters["per_delete_us"] =
      seconds * 1e6 / static_cast<double>(deletes * state.iterations());
}

BENCHMARK_CAPTURE(BM_ApplyDeletes, one_guard_per_view, true)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_ApplyDeletes, index_per_delete, false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
