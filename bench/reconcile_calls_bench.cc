// API calls per reconcile for 1,000 databases against the lower bound
// (issue 4 benchmark; goal: within 10%).
//
// drsnap-sim runs in process on 127.0.0.1:<free port>, without throttling.
// A production account holds 1,000 DB instances (automated backups, the
// shareable customer key) in us-east-1; a DR account is reached in us-east-1
// (the same-region hop) and eu-west-1 (the vault). One policy covers every
// database. The clock is set after the backup window so automated snapshots
// exist, then: reconcile, advance virtual time by a step, until a plan is
// empty (convergence). Every real AWS request is counted per Action by a
// CountingTransport under the AWS clients.
//
// Lower bound of one reconcile:
//   observation: for each observed scope and each Describe* listing call,
//     max(1, ceil(records / 100)) pages (records as the inventory saw them);
//     plus one KMS DescribeKey (alias/aws/rds) per policy source scope;
//   actions: one AWS call per action the executor issued (done, already done
//     or failed; deferred ones issue nothing).
// Everything else (restore-attribute reads, delete re-checks that read AWS
// again, a re-plan's observation, refused one-step copies, the one identity
// check per account) is overhead against that bound.
//
// Run: reconcile_calls_bench [databases=1000] [days=3] [step_minutes=10]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "aws/http.h"
#include "cloud/aws_cloud.h"
#include "cloud/decorators.h"
#include "core/time_util.h"
#include "engine/reconcile.h"
#include "sim/simulator.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace {

using namespace drsnap;

// A production account with `dbs` encrypted instances, the DR account.
std::string WorldText(int dbs) {
  std::string instances;
  for (int i = 0; i < dbs; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "db%04d", i);
    instances += drsnap::testing::CustomerKeyInstance(id, 5);
  }
  drsnap::testing::SimWorld w = drsnap::testing::ProdAndVault(instances);
  w.settings = "{manual_snapshot_quota: 1000000}";
  return w.Yaml();
}

int64_t Pages(size_t records) {
  return records == 0 ? 1 : static_cast<int64_t>((records + 99) / 100);
}

const char* RdsAction(engine::ActionKind k, engine::DbKind kind) {
  bool c = kind == engine::DbKind::kCluster;
  switch (k) {
    case engine::ActionKind::kCreateSnapshot:
      return c ? "CreateDBClusterSnapshot" : "CreateDBSnapshot";
    case engine::ActionKind::kCopySnapshot:
      return c ? "CopyDBClusterSnapshot" : "CopyDBSnapshot";
    case engine::ActionKind::kShareSnapshot:
      return c ? "ModifyDBClusterSnapshotAttribute" : "ModifyDBSnapshotAttribute";
    case engine::ActionKind::kDeleteSnapshot:
      return c ? "DeleteDBClusterSnapshot" : "DeleteDBSnapshot";
  }
  return "?";
}

// The lower bound of one reconcile, per Action.
std::map<std::string, int64_t> LowerBound(const engine::ReconcileReport& r,
                                          const config::Config& config) {
  std::map<std::string, int64_t> b;
  for (const auto& si : r.inventory.scopes) {
    size_t inst = 0, clus = 0, snaps = 0, csnaps = 0;
    for (const auto& d : si.databases) (d.kind == engine::DbKind::kInstance ? inst : clus)++;
    for (const auto& s : si.snapshots) (s.kind == engine::DbKind::kInstance ? snaps : csnaps)++;
    b["DescribeDBInstances"] += Pages(inst);
    b["DescribeDBClusters"] += Pages(clus);
    b["DescribeDBSnapshots"] += Pages(snaps);
    b["DescribeDBClusterSnapshots"] += Pages(csnaps);
  }
  std::set<std::string> sources;
  for (const auto& p : config.policies) sources.insert(p.source_account_id + "/" + p.source_region);
  b["DescribeKey"] += static_cast<int64_t>(sources.size());
  for (const auto& res : r.apply.results)
    if (res.outcome != engine::Outcome::kDeferred)
      b[RdsAction(res.action.kind, res.action.db_kind)]++;
  return b;
}

// One observation of every scope, at the lower bound (pages + DescribeKey).
int64_t ObservationPages(const engine::ReconcileReport& r, const config::Config& config) {
  engine::ReconcileReport copy;
  copy.inventory = r.inventory;
  auto b = LowerBound(copy, config);
  int64_t n = 0;
  for (const auto& [k, v] : b) n += v;
  return n;
}

// Pages of one listing of `scope` as the inventory saw it (both kinds).
int64_t ListingPages(const engine::ReconcileReport& r, const engine::Scope& scope) {
  const engine::ScopeInventory* si = r.inventory.Find(scope);
  if (si == nullptr) return 2;
  size_t snaps = 0, csnaps = 0;
  for (const auto& s : si->snapshots) (s.kind == engine::DbKind::kInstance ? snaps : csnaps)++;
  return Pages(snaps) + Pages(csnaps);
}

// Calls above the bound, by the reason the pipeline makes them (from the
// report and the counts; "unexplained" is what is left).
std::map<std::string, int64_t> Overhead(const engine::ReconcileReport& r,
                                        const config::Config& config,
                                        const std::map<std::string, int64_t>& actual) {
  std::map<std::string, int64_t> o;
  auto count = [&](const char* action) { return actual.contains(action) ? actual.at(action) : 0; };
  for (const auto& res : r.apply.results)
    if (res.action.kind == engine::ActionKind::kCopySnapshot &&
        res.outcome == engine::Outcome::kDeferred && res.error)
      o["refused one-step copies (learning the hop)"]++;
  if (r.apply.recheck_describes > 0)
    o["delete re-check: DescribeDBSnapshots by id"] += r.apply.recheck_describes;
  for (const auto& scope : r.apply.recheck_listings)
    o["delete re-check: scopes listed again (pages)"] += ListingPages(r, scope);
  if (r.apply.facts_changed) o["re-observation for the re-plan"] += ObservationPages(r, config);
  if (int64_t n =
          count("DescribeDBSnapshotAttributes") + count("DescribeDBClusterSnapshotAttributes"))
    o["restore-attribute reads (shares not inferable)"] += n;
  if (int64_t n = count("GetCallerIdentity")) o["GetCallerIdentity (once per account)"] += n;
  return o;
}

int64_t Sum(const std::map<std::string, int64_t>& m) {
  int64_t n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

void PrintTable(const std::map<std::string, int64_t>& actual,
                const std::map<std::string, int64_t>& bound) {
  std::set<std::string> keys;
  for (const auto& [k, v] : actual) keys.insert(k);
  for (const auto& [k, v] : bound) keys.insert(k);
  std::printf("    %-34s %8s %8s %8s\n", "Action", "actual", "bound", "excess");
  for (const auto& k : keys) {
    int64_t a = actual.contains(k) ? actual.at(k) : 0;
    int64_t lb = bound.contains(k) ? bound.at(k) : 0;
    std::printf("    %-34s %8lld %8lld %8lld\n", k.c_str(), static_cast<long long>(a),
                static_cast<long long>(lb), static_cast<long long>(a - lb));
  }
  int64_t ta = Sum(actual), tb = Sum(bound);
  std::printf("    %-34s %8lld %8lld %8lld   ratio %.3f\n", "TOTAL", static_cast<long long>(ta),
              static_cast<long long>(tb), static_cast<long long>(ta - tb),
              tb > 0 ? static_cast<double>(ta) / static_cast<double>(tb) : 0.0);
}

int Main(int argc, char** argv) {
  const int dbs = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int days = argc > 2 ? std::atoi(argv[2]) : 3;
  const int step_minutes = argc > 3 ? std::atoi(argv[3]) : 10;
  const int max_runs_per_day = 400;

  auto counter = std::make_shared<cloud::CountingTransport>(aws::NewCurlTransport());
  drsnap::testing::SimPipelineOptions options;
  options.transport = counter;
  options.max_attempts = 2;
  // No rate limiter: the sim does not throttle here.
  auto started = drsnap::testing::SimPipeline::Start(
      WorldText(dbs), drsnap::testing::SimPolicy{.retention = "{daily: 7}"}.Yaml(), options);
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().ToString().c_str());
    return 1;
  }
  drsnap::testing::SimPipeline& p = **started;
  std::shared_ptr<sim::Simulator> sim = p.sim;
  const config::Config& cfg = p.config;
  engine::Reconciler& reconciler = *p.reconciler;

  std::map<std::string, int64_t> total_actual, total_bound, total_over;
  int failed = 0, run = 0;
  bool converged_all = true;
  std::vector<std::string> day_lines;
  auto wall0 = std::chrono::steady_clock::now();
  for (int day = 0; day < days; ++day) {
    sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z") + std::chrono::hours(24 * day));
    bool converged = false;
    int64_t day_actual = 0, day_bound = 0;
    int day_runs = 0;
    for (int i = 0; i < max_runs_per_day; ++i) {
      counter->Reset();
      engine::ReconcileReport r = reconciler.RunOnce(engine::ReconcileOptions{});
      auto actual = counter->Counts();
      auto bound = LowerBound(r, cfg);
      ++run;
      failed += r.apply.Count(engine::Outcome::kFailed);
      std::printf("day %d reconcile %d at %s: %s%s\n", day, run, FormatIso8601(r.started).c_str(),
                  r.Summary().c_str(), r.replans ? " (re-planned)" : "");
      PrintTable(actual, bound);
      auto over = Overhead(r, cfg, actual);
      int64_t explained = 0;
      for (const auto& [k, v] : over) {
        std::printf("      over bound: %-44s %6lld\n", k.c_str(), static_cast<long long>(v));
        total_over[k] += v;
        explained += v;
      }
      if (Sum(actual) - Sum(bound) != explained) {
        std::printf("      over bound: %-44s %6lld\n", "unexplained",
                    static_cast<long long>(Sum(actual) - Sum(bound) - explained));
        total_over["unexplained"] += Sum(actual) - Sum(bound) - explained;
      }
      day_actual += Sum(actual);
      day_bound += Sum(bound);
      ++day_runs;
      for (const auto& [k, v] : actual) total_actual[k] += v;
      for (const auto& [k, v] : bound) total_bound[k] += v;
      if (r.plan.actions.empty()) {
        converged = true;
        break;
      }
      sim->Advance(std::chrono::minutes(step_minutes));
    }
    converged_all &= converged;
    day_lines.push_back(
        "day " + std::to_string(day) + ": " + std::to_string(day_runs) + " reconciles, actual " +
        std::to_string(day_actual) + ", bound " + std::to_string(day_bound) + ", ratio " +
        std::to_string(day_bound > 0
                           ? static_cast<double>(day_actual) / static_cast<double>(day_bound)
                           : 0.0));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::printf(
      "\n== %d databases, %d day(s), %d reconciles, step %d min, %.1f s wall; %s; %d "
      "failed actions\n",
      dbs, days, run, step_minutes, secs, converged_all ? "converged" : "NOT converged", failed);
  for (const auto& l : day_lines) std::printf("== %s\n", l.c_str());
  std::printf("== all reconciles together:\n");
  PrintTable(total_actual, total_bound);
  for (const auto& [k, v] : total_over)
    std::printf("      over bound: %-44s %6lld\n", k.c_str(), static_cast<long long>(v));

  return converged_all && failed == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
