// Plan time and memory for a large estate: 10,000 databases x 100 snapshots
// (issue 4 goal: a plan in under 1 s and under 1 GB).
//
// Per database: 7 automated snapshots and 2 drsnap captures (the newest one
// not yet shared) in the source scope, and 91 daily vault copies in the DR
// region: 100 snapshots, 1,000,000 in all. Two policies' worth of work:
//   BM_PlanSteady  retention keeps all 91 (daily: 91): the plan is small
//                  (per database a share, the vault copy made after it, and
//                  a capture expiry).
//   BM_PlanChurn   retention daily=7 weekly=4 monthly=12: 79 vault copies and
//                  one capture per database are expired (800,000 deletes),
//                  each through the guard; with the shares and the vault
//                  copies after them, 820,000 actions.
//   BM_PlanChurnOneThread  the same plan on one thread (PlanOptions::threads).
// Counters: inventory_MB (heap held by the inventory), plan_peak_MB (extra
// heap at the peak of MakePlan, including the plan it returns), actions, and
// plan_digest: a digest of every field of every action, in order, so a
// change meant only to make planning faster can show the plan is the same.
// The Time column is wall-clock time per plan (the planner uses every CPU
// the process may run on; the CPU column is the benchmark thread's own).
// first_plan_ms: the first plan of the run (see RunPlan), the one that
// finds the heap cold.
//
// Run (docs/benchmarks.md): cmake -S . -B build-planner-rel -G Ninja
//   -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
//   && cmake --build build-planner-rel --target planner_bench -j2
//   && build-planner-rel/bench/planner_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>

#include "config/policy.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/planner.h"

namespace {

// Heap accounting: current and peak bytes, for the memory counters. The
// planner allocates on several threads: each thread adds up its own
// allocations and frees, and passes them on to the shared counters in steps
// of kAccountStep (one shared atomic per allocation would make the threads
// wait on each other). The peak is exact to within threads x kAccountStep.
std::atomic<int64_t> g_current{0};
std::atomic<int64_t> g_peak{0};
constexpr int64_t kAccountStep = 64 << 10;
thread_local int64_t t_pending = 0;

void Publish() {
  int64_t now = g_current.fetch_add(t_pending, std::memory_order_relaxed) + t_pending;
  t_pending = 0;
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void Account(int64_t delta) {
  t_pending += delta;
  if (t_pending >= kAccountStep || t_pending <= -kAccountStep) Publish();
}

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  Account(static_cast<int64_t>(n));
  return static_cast<char*>(p) + 16;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - 16;
  Account(-static_cast<int64_t>(*reinterpret_cast<std::size_t*>(base)));
  std::free(base);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace drsnap::engine {
namespace {

using std::chrono::days;
using std::chrono::hours;

constexpr int kDatabases = 10000;
constexpr char kProd[] = "111111111111";
constexpr char kVault[] = "222222222222";

config::Config MakeConfig(const std::string& retention) {
  std::string yaml = R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  fleet:
    databases: {names: ["db-*"]}
    source:
      account: prod
      region: us-east-1
      from: automated
      share_key: arn:aws:kms:us-east-1:111111111111:key/share
    rpo: 26h
    min_retention: 0s
    retention: )" + retention +
                     R"(
    targets:
      - account: vault
        hop_kms_key: arn:aws:kms:us-east-1:222222222222:key/hop
        regions:
          eu-west-1: {kms_key: arn:aws:kms:eu-west-1:222222222222:key/dr}
)";
  auto c = config::ParseConfig(yaml, "bench.yaml");
  if (!c) std::abort();
  return *c;
}

Tags ManagedTags(const std::string& id, const std::string& db, naming::NameStage stage,
                 TimePoint point, const std::string& source_arn) {
  return Tags{{naming::kTagManaged, "true"},
              {naming::kTagPolicy, "fleet"},
              {naming::kTagDb, db},
              {naming::kTagRecoveryPoint, FormatIso8601Seconds(point)},
              {naming::kTagStage, naming::NameStageName(stage)},
              {naming::kTagSourceAccount, kProd},
              {naming::kTagSourceArn, source_arn + id.substr(0, 0)}};
}

Inventory MakeInventory(TimePoint today) {
  Inventory inv;
  inv.observed_at = today;
  ScopeInventory src, dr, hop;
  src.scope = Scope{kProd, "us-east-1"};
  src.default_rds_key_arn = "arn:aws:kms:us-east-1:111111111111:key/default";
  dr.scope = Scope{kVault, "eu-west-1"};
  hop.scope = Scope{kVault, "us-east-1"};
  src.databases.reserve(kDatabases);
  src.snapshots.reserve(kDatabases * 9);
  dr.snapshots.reserve(kDatabases * 91);
  for (int i = 0; i < kDatabases; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "db-%05d", i);
    std::string db = name;
    Database d;
    d.id = db;
    d.arn = "arn:aws:rds:us-east-1:111111111111:db:" + db;
    d.scope = src.scope;
    d.engine = "postgres";
    d.status = "available";
    d.encrypted = true;
    d.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/app";
    d.backup_retention_days = 7;
    src.databases.push_back(std::move(d));
    for (int a = 0; a < 7; ++a) {
      Snapshot s;
      TimePoint t = today - days(a);
      std::string ts = FormatIso8601Seconds(t);
      s.id = "rds:" + db + "-" + ts.substr(0, 10) + "-" + ts.substr(11, 2) + "-" + ts.substr(14, 2);
      s.arn = "arn:aws:rds:us-east-1:111111111111:snapshot:" + s.id;
      s.scope = s.seen_from = src.scope;
      s.db_id = db;
      s.type = SnapshotType::kAutomated;
      s.status = SnapshotStatus::kAvailable;
      s.create_time = s.recovery_point = t;
      s.encrypted = true;
      s.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/app";
      src.snapshots.push_back(std::move(s));
    }
    for (int c = 0; c < 2; ++c) {
      Snapshot s;
      TimePoint t = today - days(c);
      s.id = naming::CaptureName(db, t);
      s.arn = "arn:aws:rds:us-east-1:111111111111:snapshot:" + s.id;
      s.scope = s.seen_from = src.scope;
      s.db_id = db;
      s.type = SnapshotType::kManual;
      s.status = SnapshotStatus::kAvailable;
      s.create_time = s.recovery_point = t;
      s.encrypted = true;
      s.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/app";
      s.tags = ManagedTags(s.id, db, naming::NameStage::kCapture, t,
                           "arn:aws:rds:us-east-1:111111111111:snapshot:rds:" + db);
      s.shared_with = c == 0 ? std::vector<std::string>{} : std::vector<std::string>{kVault};
      src.snapshots.push_back(std::move(s));
    }
    for (int v = 1; v <= 91; ++v) {
      Snapshot s;
      TimePoint t = today - days(v);
      s.id = naming::VaultName(kProd, db, t);
      s.arn = "arn:aws:rds:eu-west-1:222222222222:snapshot:" + s.id;
      s.scope = s.seen_from = dr.scope;
      s.db_id = db;
      s.type = SnapshotType::kManual;
      s.status = SnapshotStatus::kAvailable;
      s.create_time = t + hours(2);
      s.recovery_point = t;
      s.encrypted = true;
      s.kms_key_id = "arn:aws:kms:eu-west-1:222222222222:key/dr";
      s.source_arn = "arn:aws:rds:us-east-1:111111111111:snapshot:" + naming::CaptureName(db, t);
      s.source_region = "us-east-1";
      s.tags = ManagedTags(s.id, db, naming::NameStage::kVault, t, s.source_arn);
      dr.snapshots.push_back(std::move(s));
    }
  }
  inv.scopes.push_back(std::move(src));
  inv.scopes.push_back(std::move(dr));
  inv.scopes.push_back(std::move(hop));
  return inv;
}

const TimePoint kToday = *ParseIso8601("2026-11-25T04:10:00Z");

// FNV-1a over every field of every action (reduced mod 1e9 so the counter,
// a double, shows it exactly).
double PlanDigest(const Plan& p) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // field separator
  };
  for (const Action& a : p.actions) {
    mix(std::to_string(static_cast<int>(a.kind)) + "/" + std::to_string(static_cast<int>(a.stage)) +
        "/" + std::to_string(static_cast<int>(a.db_kind)) + "/" + (a.copy_tags ? "1" : "0"));
    for (std::string_view f :
         {std::string_view(a.scope.account_id), std::string_view(a.scope.region),
          std::string_view(a.policy), std::string_view(a.db_id), std::string_view(a.snapshot_id),
          std::string_view(a.reason), std::string_view(a.source_arn),
          std::string_view(a.source_region), std::string_view(a.kms_key_id),
          std::string_view(a.option_group), std::string_view(a.after_share)})
      mix(f);
    for (const auto& [k, v] : a.tags) {
      mix(k);
      mix(v);
    }
    for (const auto& acct : a.share_with) mix(acct);
  }
  return static_cast<double>(h % 1000000000ull);
}

const Inventory& SharedInventory(int64_t* bytes) {
  static int64_t inventory_bytes = 0;
  static const Inventory* inv = [] {
    int64_t before = g_current.load();
    auto* p = new Inventory(MakeInventory(kToday));
    inventory_bytes = g_current.load() - before;
    return p;
  }();
  *bytes = inventory_bytes;
  return *inv;
}

void RunPlan(benchmark::State& state, const std::string& retention, int threads = 0) {
  int64_t inventory_bytes = 0;
  const Inventory& inv = SharedInventory(&inventory_bytes);
  config::Config cfg = MakeConfig(retention);
  TimePoint now = kToday + hours(8);
  size_t actions = 0;
  double digest = 0;
  int64_t extra_peak = 0;
  double first_ms = 0;
  for (auto _ : state) {
    Publish();
    int64_t base = g_current.load();
    g_peak.store(base);
    auto started = std::chrono::steady_clock::now();
    PlanOptions options;
    options.threads = threads;
    Plan p = MakePlan(inv, cfg, now, options);
    if (first_ms == 0)
      first_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                     .count();
    Publish();
    extra_peak = std::max<int64_t>(extra_peak, g_peak.load() - base);
    actions = p.actions.size();
    benchmark::DoNotOptimize(p);
    if (digest == 0) {  // once: the plan is the same every iteration
      state.PauseTiming();
      digest = PlanDigest(p);
      state.ResumeTiming();
    }
  }
  size_t snapshots = 0;
  for (const auto& si : inv.scopes) snapshots += si.snapshots.size();
  state.counters["snapshots"] = static_cast<double>(snapshots);
  state.counters["actions"] = static_cast<double>(actions);
  state.counters["plan_digest"] = digest;
  state.counters["inventory_MB"] = static_cast<double>(inventory_bytes) / (1 << 20);
  state.counters["plan_peak_MB"] = static_cast<double>(extra_peak) / (1 << 20);
  // The first plan of this run, wall clock: with a --benchmark_filter that
  // selects one case and --benchmark_repetitions=1, the first plan of the
  // process, which pays the page faults of fresh memory as `drsnap plan` does.
  state.counters["first_plan_ms"] = first_ms;
}

void BM_PlanSteady(benchmark::State& state) { RunPlan(state, "{daily: 91}"); }
void BM_PlanChurn(benchmark::State& state) { RunPlan(state, "{daily: 7, weekly: 4, monthly: 12}"); }
// The same plan on one thread (PlanOptions::threads = 1), for comparison.
void BM_PlanChurnOneThread(benchmark::State& state) {
  RunPlan(state, "{daily: 7, weekly: 4, monthly: 12}", 1);
}

BENCHMARK(BM_PlanSteady)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_PlanChurn)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_PlanChurnOneThread)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace drsnap::engine

BENCHMARK_MAIN();
