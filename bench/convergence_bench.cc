// Convergence of one backup window against its floor (issue 18).
//
// drsnap-sim runs in process on 127.0.0.1:<free port>. The production
// account holds, in us-east-1, `instances` DB instances and `clusters`
// Aurora clusters (the shareable customer key, one backup window
// 04:00-04:30 for all), and a legacy instance and a legacy cluster that no
// policy protects, each with 20 manual snapshots of their owner's (they use
// the source scope's manual snapshot quotas). One policy (from: automated,
// rpo 26h, daily: 7) vaults every other database into the DR account's
// eu-west-1. From 04:00, the virtual time of the automated backups, drsnap
// applies every `step` virtual seconds (its plans on the simulator's clock)
// until every database has an available vault copy of that day's point in
// eu-west-1, or `max_hours` have passed.
//
// The floor is computed from the world, with the simulator's own copy and
// create durations (settings: speeds, the copy rule): each database's chain
// (automated snapshot, capture, hop when the copy rule needs one, vault
// copy) one after the other, and the quota of copies in flight of every
// destination (20 per scope, 5 for cross-region cluster copies) as a
// resource: for a resource with c slots, the earliest any of its copies can
// start, plus the sum of its copies' durations / c, plus the shortest rest
// of a chain after it. The floor is the largest of these bounds and of the
// longest chain. It ignores the apply interval (a step costs up to one
// interval to be noticed) and anything but the copy quotas.
//
// Refused calls: actions AWS answered SnapshotQuotaExceeded (manual
// snapshot quota or copies in flight), from the apply reports.
//
// `days` > 1: drsnap keeps applying every `step` seconds after a window has
// converged, and the next day's window (the automated snapshots at 04:00
// the next day) is measured the same way, against its own floor. From the
// second day on, some copies are incremental (the simulator's rule: an
// earlier available snapshot of the same database, with the same key, in
// the destination: the previous automated snapshot for a capture, the
// previous vault copy for a vault copy); the floor takes the simulator's
// incremental durations where its rule holds at the window's start.
//
// Run: convergence_bench [instances=100] [clusters=100] [quota=1000000]
//                        [copy_rule=strict] [step_seconds=60] [max_hours=12]
//                        [days=1] [vault_quota=quota]
// `quota` is every account's manual snapshot quota of each kind per region,
// `vault_quota` the DR account's (AWS's quotas are per account and region;
// the DR account keeps `daily: 7` copies of every database).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/reconcile.h"
#include "engine/status.h"
#include "sim/simulator.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace {

using namespace drsnap;
using std::chrono::seconds;

struct Db {
  std::string id;
  bool cluster = false;
  int size_gb = 0;
};

// The protected databases: sizes 10..40 GB, spread by a fixed rule.
std::vector<Db> Databases(int instances, int clusters) {
  std::vector<Db> out;
  for (int i = 0; i < instances; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "db%03d", i);
    out.push_back({id, false, 10 + (i * 7) % 31});
  }
  for (int i = 0; i < clusters; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "aur%03d", i);
    out.push_back({id, true, 10 + (i * 11) % 31});
  }
  return out;
}

std::string Instance(const std::string& id, int size_gb, const std::string& snapshots = "") {
  return "      - {id: " + id +
         ", region: us-east-1, engine: postgres, size_gb: " + std::to_string(size_gb) +
         ", encrypted: true,\n"
         "         kms_key: alias/prod-share, backup_retention_days: 7, "
         "backup_window: \"04:00-04:30\"" +
         snapshots + "}\n";
}

std::string Cluster(const std::string& id, int size_gb, const std::string& snapshots = "") {
  return "      - {id: " + id +
         ", region: us-east-1, engine: aurora-postgresql, size_gb: " + std::to_string(size_gb) +
         ", encrypted: true,\n"
         "         kms_key: alias/prod-share, backup_retention_days: 7, "
         "backup_window: \"04:00-04:30\", instances: [" +
         id + "-1]" + snapshots + "}\n";
}

std::string Seeds(const std::string& prefix, int n) {
  std::string out = ",\n         snapshots: [";
  for (int i = 0; i < n; ++i)
    out += (i ? ", " : "") + std::string("{id: ") + prefix + std::to_string(i) +
           ", created: \"2026-11-20T12:00:00Z\"}";
  return out + "]";
}

// `quota`: the manual snapshot quota of both kinds in every scope but the DR
// account's, which has `vault_quota`.
std::string WorldText(const std::vector<Db>& dbs, long long quota, long long vault_quota,
                      const std::string& rule) {
  std::string instances, clusters;
  for (const Db& d : dbs)
    (d.cluster ? clusters : instances) += (d.cluster ? Cluster : Instance)(d.id, d.size_gb, "");
  instances += Instance("legacy", 10, Seeds("legacy-manual-", 20));
  clusters += Cluster("legacyc", 10, Seeds("legacyc-manual-", 20));
  testing::SimWorld w = testing::ProdAndVault(instances, clusters);
  w.settings = "{manual_snapshot_quota: " + std::to_string(quota) +
               ", manual_cluster_snapshot_quota: " + std::to_string(quota) +
               ", manual_snapshot_quota_by_account: {\"" + testing::kVaultAccount +
               "\": " + std::to_string(vault_quota) + "}, copy_rule: " + rule + "}";
  return w.Yaml();
}

std::string PolicyText() {
  std::string p = testing::SimPolicy{.rpo = "26h", .retention = "{daily: 7}"}.Yaml();
  const std::string from = "databases: {names: [\"*\"]}";
  p.replace(p.find(from), from.size(), "databases: {names: [\"*\"], exclude_names: [\"legacy*\"]}");
  return p;
}

// The simulator's durations (sim/world_time.cc), from its settings.
struct Speeds {
  double same = 200, cross = 50, create = 500, incremental_speedup = 10;
  long long min_step = 60;
  long long slots = 20, cluster_slots = 5;
  bool one_step = false;
  double Secs(int gb, double mbps, bool incremental = false) const {
    double secs = gb * 1024.0 / mbps;
    if (incremental) secs /= incremental_speedup;
    return static_cast<double>(std::max<long long>(min_step, std::llround(secs)));
  }
};

Speeds SpeedsOf(const nlohmann::json& s) {
  Speeds v;
  v.same = s.at("same_region_mbps").get<double>();
  v.cross = s.at("cross_region_mbps").get<double>();
  v.create = s.at("create_mbps").get<double>();
  v.incremental_speedup = s.at("incremental_speedup").get<double>();
  v.min_step = s.at("min_step_seconds").get<long long>();
  v.slots = s.at("copies_in_flight_quota").get<long long>();
  v.cluster_slots = s.at("cluster_cross_region_copies_quota").get<long long>();
  v.one_step = s.at("copy_rule").get<std::string>() == "one-step";
  return v;
}

// One stage of every chain, on one resource of `slots` slots.
struct Stage {
  Stage(std::string n, double s) : name(std::move(n)), slots(s) {}
  std::string name;
  double slots = 1;
  std::vector<double> head, work, tail;  // per database on this resource
};

double Bound(const Stage& s) {
  if (s.work.empty()) return 0;
  double sum = 0;
  for (double w : s.work) sum += w;
  return *std::min_element(s.head.begin(), s.head.end()) + sum / s.slots +
         *std::min_element(s.tail.begin(), s.tail.end());
}

// Which of a database's copies of one window the simulator makes
// incremental (its rule, sim/rds_snapshots.cc), judged at the window's start.
struct Incremental {
  bool capture = false, hop = false, vault = false;
};

// Per database (by DbToken): what the destinations hold at `window` that
// makes that window's copies incremental: an earlier automated snapshot in
// the source scope (the capture's key is the database's), a hop in the DR
// account's source region, a vault copy in eu-west-1 (drsnap's keys there).
std::map<std::string, Incremental> IncrementalAt(sim::Simulator& sim, const std::vector<Db>& dbs,
                                                 TimePoint window) {
  std::map<std::string, Incremental> out;
  for (const Db& d : dbs) out[engine::naming::DbToken(d.id)];
  auto available_before = [&](const nlohmann::json& s) {
    return s.at("status") == "available" &&
           *ParseIso8601(s.at("created").get<std::string>()) < window;
  };
  for (const auto& s : sim.Snapshots(testing::kProdAccount, "us-east-1")) {
    if (s.at("type") != "automated" || !available_before(s)) continue;
    const std::string id = s.at("id").get<std::string>();  // rds:<db id>-<date>
    for (const Db& d : dbs)
      if (id.starts_with("rds:" + d.id + "-")) out[engine::naming::DbToken(d.id)].capture = true;
  }
  auto drsnap_copies = [&](const char* region, engine::naming::NameStage stage,
                           bool Incremental::*f) {
    for (const auto& s : sim.Snapshots(testing::kVaultAccount, region)) {
      auto l = engine::naming::ParseName(s.at("id").get<std::string>());
      if (l && l->stage == stage && l->recovery_point < window && s.at("status") == "available" &&
          out.contains(l->db_token))
        out[l->db_token].*f = true;
    }
  };
  drsnap_copies("us-east-1", engine::naming::NameStage::kHop, &Incremental::hop);
  drsnap_copies("eu-west-1", engine::naming::NameStage::kVault, &Incremental::vault);
  return out;
}

// Seconds from the backup window's start; prints the bounds.
double Floor(const std::vector<Db>& dbs, const Speeds& v,
             const std::map<std::string, Incremental>& incremental) {
  Stage capture{"captures into prod us-east-1", static_cast<double>(v.slots)};
  Stage hop{"hops into vault us-east-1", static_cast<double>(v.slots)};
  Stage vault{"vault copies into vault eu-west-1", static_cast<double>(v.slots)};
  Stage cvault{"cluster vault copies into vault eu-west-1", static_cast<double>(v.cluster_slots)};
  double chain = 0;
  for (const Db& d : dbs) {
    const Incremental& inc = incremental.at(engine::naming::DbToken(d.id));
    double a = v.Secs(d.size_gb, v.create);
    double c = v.Secs(d.size_gb, v.same, inc.capture);
    double h = v.one_step ? 0 : v.Secs(d.size_gb, v.same, inc.hop);
    double x = v.Secs(d.size_gb, v.cross, inc.vault);
    chain = std::max(chain, a + c + h + x);
    capture.head.push_back(a), capture.work.push_back(c), capture.tail.push_back(h + x);
    if (h > 0) hop.head.push_back(a + c), hop.work.push_back(h), hop.tail.push_back(x);
    vault.head.push_back(a + c + h), vault.work.push_back(x), vault.tail.push_back(0);
    if (d.cluster)
      cvault.head.push_back(a + c + h), cvault.work.push_back(x), cvault.tail.push_back(0);
  }
  double floor = chain;
  int inc[3] = {0, 0, 0};
  for (const auto& [token, i] : incremental)
    inc[0] += i.capture, inc[1] += i.hop, inc[2] += i.vault;
  std::printf(
      "floor bounds (minutes from 04:00; incremental copies: %d captures, %d hops, %d vault "
      "copies):\n  %-44s %7.1f\n",
      inc[0], v.one_step ? 0 : inc[1], inc[2], "longest chain", chain / 60);
  for (const Stage* s : {&capture, &hop, &vault, &cvault}) {
    double b = Bound(*s);
    if (s->work.empty()) continue;
    std::printf("  %-44s %7.1f  (%zu copies, %g slots)\n", s->name.c_str(), b / 60, s->work.size(),
                s->slots);
    floor = std::max(floor, b);
  }
  return floor;
}

bool IsQuotaRefusal(const engine::ActionResult& r) {
  return r.outcome == engine::Outcome::kFailed && r.error &&
         r.error->code.find("SnapshotQuotaExceeded") != std::string::npos;
}

// What the applies of a stretch of virtual time did and met.
struct Tally {
  int applies = 0, refused = 0, failed = 0, peak_source[2] = {0, 0};
  std::map<std::string, int> refused_by_op;

  // Counts one apply's refused and failed actions, and the manual snapshots
  // the source scope holds after it.
  void Add(const engine::ReconcileReport& r, sim::Simulator& sim) {
    ++applies;
    for (const auto& res : r.apply.results) {
      if (IsQuotaRefusal(res)) {
        ++refused;
        ++refused_by_op[std::string(engine::ActionKindName(res.action.kind)) + " " +
                        engine::DbKindName(res.action.db_kind) + " into " +
                        res.action.scope.ToString()];
      } else if (res.outcome == engine::Outcome::kFailed) {
        ++failed;
      }
    }
    int manual[2] = {0, 0};
    for (const auto& s : sim.Snapshots(testing::kProdAccount, "us-east-1"))
      if (s.at("type") == "manual") ++manual[s.at("cluster").get<bool>() ? 1 : 0];
    for (int k = 0; k < 2; ++k) peak_source[k] = std::max(peak_source[k], manual[k]);
  }

  void Print(const char* when) const {
    std::printf(
        "== %s: refused (SnapshotQuotaExceeded): %d; other failed actions: %d; peak manual "
        "snapshots in prod us-east-1: %d instance, %d cluster (20 + 20 not drsnap's)\n",
        when, refused, failed, peak_source[0], peak_source[1]);
    for (const auto& [k, n] : refused_by_op) std::printf("     %5d  %s\n", n, k.c_str());
  }
};

int Main(int argc, char** argv) {
  const int instances = argc > 1 ? std::atoi(argv[1]) : 100;
  const int clusters = argc > 2 ? std::atoi(argv[2]) : 100;
  const long long quota = argc > 3 ? std::atoll(argv[3]) : 1000000;
  const std::string rule = argc > 4 ? argv[4] : "strict";
  const int step_seconds = argc > 5 ? std::atoi(argv[5]) : 60;
  const int max_hours = argc > 6 ? std::atoi(argv[6]) : 12;
  const int days = argc > 7 ? std::max(1, std::atoi(argv[7])) : 1;
  const long long vault_quota = argc > 8 ? std::atoll(argv[8]) : quota;

  const std::vector<Db> dbs = Databases(instances, clusters);
  testing::SimPipelineOptions options;
  options.max_attempts = 2;
  auto started =
      testing::SimPipeline::Start(WorldText(dbs, quota, vault_quota, rule), PolicyText(), options);
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().ToString().c_str());
    return 1;
  }
  testing::SimPipeline& p = **started;
  const TimePoint first_window = *ParseIso8601("2026-11-23T04:00:00Z");
  std::printf(
      "%d instances, %d clusters, manual snapshot quota %lld (the DR account's %lld), copy rule "
      "%s, apply every %d s, %d day(s)\n",
      instances, clusters, quota, vault_quota, rule.c_str(), step_seconds, days);
  const Speeds speeds = SpeedsOf(p.sim->Settings());

  std::set<std::string> tokens;
  for (const Db& d : dbs) tokens.insert(engine::naming::DbToken(d.id));
  p.sim->SetTime(first_window);
  TimePoint now = first_window;
  auto step = [&] {
    p.sim->Advance(seconds(step_seconds));
    now += seconds(step_seconds);
  };
  bool all_converged = true;
  int all_refused = 0;
  for (int day = 1; day <= days; ++day) {
    const TimePoint window = first_window + std::chrono::hours(24 * (day - 1));
    // Between two windows drsnap keeps applying every step (expiry, the
    // transient captures' deletes): counted, not timed.
    Tally between;
    for (; now < window; step())
      between.Add(p.reconciler->RunOnce(engine::ReconcileOptions{}), *p.sim);
    if (day > 1) {
      between.Print("between the windows");
      all_refused += between.refused;
    }
    std::printf("\nday %d: the window of %s\n", day, FormatIso8601Seconds(window).c_str());
    const double floor = Floor(dbs, speeds, IncrementalAt(*p.sim, dbs, window));
    std::printf("floor: %.1f min\n", floor / 60);

    Tally tally;
    int covered = 0;
    long long cluster_copying = 0;  // cross-region cluster copies in flight, summed over applies
    bool converged = false;
    auto wall0 = std::chrono::steady_clock::now();
    for (; now - window <= std::chrono::hours(max_hours); step()) {
      engine::ReconcileReport r = p.reconciler->RunOnce(engine::ReconcileOptions{});
      tally.Add(r, *p.sim);
      // Ground truth: the simulator's own records of the vault region.
      std::set<std::string> done;
      for (const auto& s : p.sim->Snapshots(testing::kVaultAccount, "eu-west-1")) {
        if (s.at("cluster").get<bool>() && s.at("status") != "available" &&
            s.at("status") != "failed")
          ++cluster_copying;
        auto l = engine::naming::ParseName(s.at("id").get<std::string>());
        if (l && l->stage == engine::naming::NameStage::kVault && l->recovery_point == window &&
            s.at("status") == "available")
          done.insert(l->db_token);
      }
      covered = 0;
      for (const auto& t : tokens) covered += done.contains(t) ? 1 : 0;
      if (tally.applies % 15 == 1 || covered == static_cast<int>(tokens.size()))
        std::printf("  +%4lld min: %3d/%zu covered; %s\n",
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::minutes>(now - window).count()),
                    covered, tokens.size(), r.Summary().c_str());
      if (covered == static_cast<int>(tokens.size())) {
        converged = true;
        break;
      }
    }
    const double minutes = std::chrono::duration<double>(now - window).count() / 60;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    std::printf(
        "\n== day %d %s after %.0f virtual min (%d applies, %.0f s wall): %d/%zu covered; floor "
        "%.1f min; ratio %s\n",
        day, converged ? "converged" : "NOT converged", minutes, tally.applies, wall, covered,
        tokens.size(), floor / 60,
        converged ? std::to_string(minutes / (floor / 60)).substr(0, 5).c_str() : "-");
    tally.Print(("day " + std::to_string(day)).c_str());
    std::printf("== cluster copies in flight into eu-west-1, seen at each apply: %.2f on average\n",
                static_cast<double>(cluster_copying) / tally.applies);
    all_converged &= converged;
    all_refused += tally.refused;
    if (!converged) break;  // the next window would start from a backlog
  }
  // What `drsnap status` says at the end (an observation after the last apply).
  engine::Inventory inv = p.reconciler->Observe();
  std::map<std::string, int> states;
  std::map<std::string, std::string> first_reason;  // per state not ok: the first row's reason
  for (const auto& row : engine::ComputeStatus(inv, p.config, inv.observed_at).rows) {
    const std::string state = engine::RpoStateName(row.state);
    ++states[state];
    if (row.state != engine::RpoState::kOk && !first_reason.contains(state))
      first_reason[state] = row.db_id + ": " + row.reason;
  }
  std::printf("== status:");
  for (const auto& [state, n] : states) std::printf(" %d %s", n, state.c_str());
  std::printf("\n");
  for (const auto& [state, reason] : first_reason)
    std::printf("   first %s: %s\n", state.c_str(), reason.c_str());
  return all_converged && all_refused == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
