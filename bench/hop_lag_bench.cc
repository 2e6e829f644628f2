// Lag per hop, event to action (issue 18): how long after the event that
// asks for a hop the hop's API call reaches AWS, for every hop of the
// instance and the cluster pipeline, under both copy rules, with drsnap
// deployed as its two Lambda functions and driven by events alone.
//
// The deployment, on loopback:
//   drsnap-sim in process; its virtual clock runs at real time (rate 1)
//     from 03:59:59, one second before every database's backup window, with
//     speeds that make every create and copy take seconds (size 2 GB:
//     create and same-region copy 2 s, cross-region copy 4 s).
//   A fake EventBridge (testing/lambda_fake_event_bridge.h): drsnap-sim's
//     event forwarder posts every RDS event to it, and the source function's
//     PutEvents ("drsnap Snapshot Shared") reach it through
//     AWS_ENDPOINT_URL_EVENTS. Each event is routed by the EventBridge rules
//     of deploy/*.yaml themselves (testing/lambda_deployed_rules.h):
//     source.yaml in the production account's us-east-1, vault.yaml in the
//     DR account's eu-west-1, vault-hop.yaml in the DR account's us-east-1
//     forwarding to eu-west-1.
//   Two warm `drsnap-lambda lambda` processes, the source function
//     (DRSNAP_SIDE=source) and the vault function (DRSNAP_SIDE=vault), each
//     fed by its own fake Runtime API (testing/lambda_fake_runtime_api.h),
//     which hands out one invocation at a time: reserved concurrency 1.
//     They plan on the simulator's clock (DRSNAP_CLOCK_URL), which runs at
//     real time, so the watch of cluster copies polls at its production
//     intervals (first after 15 s, doubling to 2 min).
//
// The measurement, all on this process's steady clock:
//   trigger  an event-driven hop: when the fake EventBridge received the
//            event (from drsnap-sim's forwarder, or the source function's
//            PutEvents). A watched hop (a cluster snapshot copy ending: RDS
//            emits no event): when the copy was first seen available in
//            drsnap-sim, which this program polls every 20 ms in process
//            (the simulator's clock itself moves in 50 ms ticks).
//   action   when drsnap-sim executed the hop's API call (the first
//            successful one for that database), timestamped by the server's
//            on_request hook (sim/server.h) just after the call ran.
//   lag      action - trigger, per database; median and max over the
//            databases of the pipeline. The lag includes waiting behind
//            other invocations of the same function (concurrency 1: a
//            backup window's events arrive together) and the invocation's
//            own observe and plan.
//   made by  which invocation made the call: the one the trigger event was
//            handed to ("own"), another one ("other": an earlier full
//            reconcile, e.g. on another database's copy-finished event), or
//            a run after the watch's sleep ("watch").
//
// Pipelines: "instance" (`dbs` DB instances), "cluster" (`dbs` Aurora
// clusters), "mixed" (both in one account, served by the same two
// functions: how the watch of the cluster copies delays the instances').
//
// Hops (instance pipeline; the cluster pipeline is the same, its copies
// ending without an event):
//   created -> capture          RDS-EVENT-0091 (instance) / 0169 (cluster)
//   capture done -> share       RDS-EVENT-0197 (instance) / watch (cluster)
//   shared -> vault copy        "drsnap Snapshot Shared" (one-step rule)
//   shared -> hop copy          the same (strict rule)
//   hop done -> vault copy      RDS-EVENT-0197 in the DR account, forwarded
//                               by vault-hop.yaml (instance) / watch (cluster)
//   vault done -> hop deleted   RDS-EVENT-0060 (instance) / watch (cluster)
//
// The program never invokes a schedule; it exits non-zero when a hop of a
// database did not happen from events alone within the time limit, when an
// invocation failed, or when a function did not start.
//
// Run: hop_lag_bench [dbs=5] [pipelines=instance,cluster]
//                    [copy_rules=one-step,strict] [limit_seconds=300]
// The binary: $DRSNAP_BIN, else ../cli/drsnap-lambda next to this program.
// The functions' logs: $HOP_LAG_LOG_DIR (kept), else a temporary directory.
// Commands and results: docs/benchmarks.md.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "engine/naming.h"
#include "sim/server.h"
#include "sim/simulator.h"
#include "testing/child_process.h"
#include "testing/lambda_deployed_rules.h"
#include "testing/lambda_fake_event_bridge.h"
#include "testing/lambda_fake_runtime_api.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace {

using namespace drsnap;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
using engine::naming::NameStage;
using testing::kProdAccount;
using testing::kVaultAccount;

constexpr char kSourceFunction[] = "source";
constexpr char kVaultFunction[] = "vault";
// The watch's first poll (lambda/handler.h HandlerOptions::watch_first_poll):
// a call made this long after its invocation started follows a watch sleep.
constexpr auto kWatchFirstPoll = std::chrono::seconds(15);

std::string DrsnapBinary() {
  if (const char* b = std::getenv("DRSNAP_BIN")) return b;
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / ".." / "cli" /
          "drsnap-lambda")
      .string();
}

long long DeadlineMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + std::chrono::minutes(15)).time_since_epoch())
      .count();
}

// --------------------------------------------------------------- the world

// A pipeline: "instance" (DB instances), "cluster" (Aurora clusters), or
// "mixed" (as many of each in one account: the functions serve both).
struct Pipeline {
  std::string name;
  bool instances = false, clusters = false;
};

std::string DbId(bool cluster, int i) { return (cluster ? "aurora-" : "db-") + std::to_string(i); }

// `dbs` databases of each kind the pipeline has in production's us-east-1,
// encrypted with the share key, all backed up at 04:00; the clock stands at
// 03:59:59 until the functions are ready.
std::string WorldYaml(const Pipeline& pipeline, int dbs, const std::string& copy_rule) {
  std::string instances, clusters;
  const std::string common =
      ", region: us-east-1, size_gb: 2, encrypted: true,\n"
      "         kms_key: alias/prod-share, backup_retention_days: 7, "
      "backup_window: \"04:00-04:30\"";
  for (int i = 0; i < dbs; ++i) {
    if (pipeline.instances)
      instances += "      - {id: " + DbId(false, i) + ", engine: postgres" + common + "}\n";
    if (pipeline.clusters)
      clusters += "      - {id: " + DbId(true, i) + ", engine: aurora-postgresql" + common +
                  ",\n         instances: [" + DbId(true, i) + "-1]}\n";
  }
  testing::SimWorld w = testing::ProdAndVault(instances, clusters);
  w.start_time = "2026-11-23T03:59:59Z";
  // Every create and copy takes seconds (2 GB: 2 s within a region, 4 s
  // across); no incremental discount, so each copy of a chain takes as long.
  w.settings = "{copy_rule: " + copy_rule +
               ", create_mbps: 1024, same_region_mbps: 1024, cross_region_mbps: 512, "
               "incremental_speedup: 1, min_step_seconds: 1}";
  return w.Yaml();
}

// ------------------------------------------------------------- recordings

struct BusEvent {
  Steady::time_point at;
  json event;
  std::vector<std::pair<std::string, std::string>> invocations;  // function, request id
};

struct SimCall {
  Steady::time_point at;
  std::string account, region, action;
  std::map<std::string, std::string> params;
  int status = 0;
};

struct Invocation {
  std::string function, request_id;
  Steady::time_point handed_out, answered;
  bool error = false;
  std::string error_type, body;
};

// Everything the run saw, from the bus, the simulator's server and the
// poller threads.
class Recorder {
 public:
  void Bus(BusEvent e) {
    std::lock_guard l(mu_);
    bus_.push_back(std::move(e));
  }
  void Call(SimCall c) {
    std::lock_guard l(mu_);
    calls_.push_back(std::move(c));
  }
  void Available(const std::string& key, Steady::time_point at) {
    std::lock_guard l(mu_);
    available_.emplace(key, at);  // the first sighting stays
  }
  std::vector<BusEvent> bus() const {
    std::lock_guard l(mu_);
    return bus_;
  }
  std::vector<SimCall> calls() const {
    std::lock_guard l(mu_);
    return calls_;
  }
  std::map<std::string, Steady::time_point> available() const {
    std::lock_guard l(mu_);
    return available_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<BusEvent> bus_;
  std::vector<SimCall> calls_;
  std::map<std::string, Steady::time_point> available_;  // "account/region/id"
};

std::string SnapshotKey(const std::string& account, const std::string& region,
                        const std::string& id) {
  return account + "/" + region + "/" + id;
}

// A snapshot identifier, from an ARN or an identifier ("rds:" automated
// names keep their prefix).
std::string IdOf(const std::string& id_or_arn) {
  if (!id_or_arn.starts_with("arn:")) return id_or_arn;
  for (const char* marker : {":cluster-snapshot:", ":snapshot:"}) {
    if (size_t at = id_or_arn.find(marker); at != std::string::npos)
      return id_or_arn.substr(at + std::string(marker).size());
  }
  return id_or_arn;
}

std::string Param(const SimCall& c, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto it = c.params.find(n); it != c.params.end()) return it->second;
  return "";
}

// --------------------------------------------------------------- one run

struct HopResult {
  std::string hop, pipeline, copy_rule, driven_by;
  std::vector<double> lag_ms;          // one per database that completed it
  std::map<std::string, int> made_by;  // own / other / watch -> databases
  int missing = 0;                     // databases without the hop (or its trigger)
};

struct RunResult {
  std::vector<HopResult> hops;
  int schedule_invocations = 0;
  std::map<std::string, int> invocations;  // per function
  int function_errors = 0;
  int refused_one_step = 0;  // one-step copies the strict rule refused
  double seconds = 0;
  std::vector<std::string> problems;
};

class Run {
 public:
  Run(Pipeline pipeline, std::string copy_rule, int dbs, int limit_seconds)
      : pipeline_(std::move(pipeline)),
        copy_rule_(std::move(copy_rule)),
        dbs_(dbs),
        limit_(limit_seconds),
        rules_(testing::TwoAccountDeployment(kSourceFunction, kVaultFunction)) {}

  RunResult Execute();

 private:
  bool strict() const { return copy_rule_ == "strict"; }
  int databases() const {
    return dbs_ * ((pipeline_.instances ? 1 : 0) + (pipeline_.clusters ? 1 : 0));
  }
  void Route(const json& event);
  void Poll(sim::Simulator& sim);
  // Whether every database's last hop (the vault copy, or with the strict
  // rule the hop's deletion) was made.
  bool Complete() const;
  std::vector<HopResult> Analyse(const std::vector<Invocation>& invocations) const;
  // The hops of one kind of database (all of the pipeline's of that kind).
  std::vector<HopResult> AnalyseKind(bool cluster,
                                     const std::vector<Invocation>& invocations) const;

  Pipeline pipeline_;
  std::string copy_rule_;
  int dbs_, limit_;
  testing::DeployedRules rules_;
  Recorder rec_;
  // TCP_NODELAY: the fakes' answers are not held back by Nagle's algorithm.
  testing::FakeRuntimeApi source_api_{true}, vault_api_{true};
  std::atomic<int> schedule_invocations_{0};
};

void Run::Route(const json& event) {
  BusEvent e{Steady::now(), event, {}};
  if (event.value("source", "") == "aws.events") ++schedule_invocations_;
  for (const auto& d : rules_.Route(event, testing::DeployedRules::DefaultBusOf(event))) {
    testing::FakeRuntimeApi& api = d.function == kSourceFunction ? source_api_ : vault_api_;
    e.invocations.emplace_back(d.function, api.Push(event.dump(), DeadlineMs()));
  }
  rec_.Bus(std::move(e));
}

void Run::Poll(sim::Simulator& sim) {
  const Steady::time_point now = Steady::now();
  for (const auto& s : sim.Snapshots("", "")) {
    if (s.value("status", "") != "available") continue;
    rec_.Available(SnapshotKey(s.value("account", ""), s.value("region", ""), s.value("id", "")),
                   now);
  }
}

// The first successful call of each kind per database token.
struct Actions {
  struct At {
    Steady::time_point at;
    std::string id;  // the snapshot the call made or acted on
  };
  std::map<std::string, At> capture, share, hop_copy, vault_copy, hop_delete;
  std::map<std::string, std::string> capture_source;  // token -> automated snapshot id
  int refused_one_step = 0;
};

Actions ReadActions(const std::vector<SimCall>& calls) {
  Actions a;
  for (const auto& c : calls) {
    const bool copy = c.action == "CopyDBSnapshot" || c.action == "CopyDBClusterSnapshot";
    const bool share =
        c.action == "ModifyDBSnapshotAttribute" || c.action == "ModifyDBClusterSnapshotAttribute";
    const bool del = c.action == "DeleteDBSnapshot" || c.action == "DeleteDBClusterSnapshot";
    if (!copy && !share && !del) continue;
    const std::string id =
        copy ? Param(c, {"TargetDBSnapshotIdentifier", "TargetDBClusterSnapshotIdentifier"})
             : Param(c, {"DBSnapshotIdentifier", "DBClusterSnapshotIdentifier"});
    auto lineage = engine::naming::ParseName(id);
    if (!lineage) continue;
    const std::string& token = lineage->db_token;
    const bool ok = c.status >= 200 && c.status < 300;
    if (copy && !ok && c.account == kVaultAccount && c.region == "eu-west-1") ++a.refused_one_step;
    if (!ok) continue;
    const Actions::At at{c.at, id};
    if (copy && c.account == kProdAccount && lineage->stage == NameStage::kCapture) {
      if (a.capture.emplace(token, at).second)
        a.capture_source[token] =
            IdOf(Param(c, {"SourceDBSnapshotIdentifier", "SourceDBClusterSnapshotIdentifier"}));
    } else if (share && c.account == kProdAccount) {
      a.share.emplace(token, at);
    } else if (copy && c.account == kVaultAccount && lineage->stage == NameStage::kHop) {
      a.hop_copy.emplace(token, at);
    } else if (copy && c.account == kVaultAccount && lineage->stage == NameStage::kVault) {
      a.vault_copy.emplace(token, at);
    } else if (del && c.account == kVaultAccount && lineage->stage == NameStage::kHop) {
      a.hop_delete.emplace(token, at);
    }
  }
  return a;
}

bool Run::Complete() const {
  Actions a = ReadActions(rec_.calls());
  const auto& last = strict() ? a.hop_delete : a.vault_copy;
  return static_cast<int>(last.size()) >= databases();
}

RunResult Run::Execute() {
  RunResult out;
  const Steady::time_point started = Steady::now();
  testing::TempDir temp("drsnap-hop-lag");
  const std::string dir = temp.path();
  if (dir.empty() || !testing::WriteAwsProfiles(dir)) {
    out.problems.push_back("cannot write the AWS profiles");
    return out;
  }

  testing::FakeEventBridge bus(
      kProdAccount, "us-east-1", [this](const json& ev) { Route(ev); }, true);
  sim::ServerOptions options;
  options.event_target_url = bus.endpoint() + "/raw";
  options.on_request = [this](const sim::SimRequest& req, const sim::SimResponse& resp) {
    if (req.service != "rds") return;
    SimCall c{Steady::now(), req.account_id, req.region, req.action, {}, resp.status};
    for (const auto& [k, v] : req.params) c.params.emplace(k, v);
    rec_.Call(std::move(c));
  };
  auto started_sim =
      testing::StartSimServer(WorldYaml(pipeline_, dbs_, copy_rule_), nullptr, options);
  if (!started_sim) {
    out.problems.push_back("drsnap-sim: " + started_sim.error().ToString());
    return out;
  }
  auto sim = started_sim->sim;
  auto& server = *started_sim->server;

  const std::string policy = dir + "/drsnap.yaml";
  std::ofstream(policy) << testing::SimPolicy{.endpoint = server.endpoint()}.Yaml();

  // The functions, warm for the whole run.
  auto function_env = [&](const std::string& side, const std::string& region,
                          const std::string& profile, const std::string& api) {
    std::vector<std::string> env = testing::AwsProfileEnv(dir);
    env.insert(
        env.end(),
        {"DRSNAP_CONFIG=" + policy, "DRSNAP_CLOCK_URL=" + server.endpoint() + "/_sim/time",
         "DRSNAP_SIDE=" + side, "DRSNAP_LOG_FORMAT=json", "AWS_LAMBDA_RUNTIME_API=" + api,
         "AWS_REGION=" + region, "AWS_PROFILE=" + profile, "AWS_ENDPOINT_URL=" + server.endpoint(),
         "AWS_ENDPOINT_URL_EVENTS=" + bus.endpoint()});
    return env;
  };
  const std::string binary = DrsnapBinary();
  const std::string log_dir = std::getenv("HOP_LAG_LOG_DIR") ? std::getenv("HOP_LAG_LOG_DIR") : dir;
  const std::string log_prefix = log_dir + "/" + pipeline_.name + "-" + copy_rule_ + "-";
  testing::ChildProcess source_fn = testing::SpawnProcess(
      binary, {"lambda"}, function_env("source", "us-east-1", "prod", source_api_.address()),
      log_prefix + "source.out", log_prefix + "source.err");
  testing::ChildProcess vault_fn = testing::SpawnProcess(
      binary, {"lambda"}, function_env("vault", "eu-west-1", "vault", vault_api_.address()),
      log_prefix + "vault.out", log_prefix + "vault.err");
  auto stop_functions = [&] {
    for (auto* f : {&source_fn, &vault_fn}) {
      if (f->pid <= 0) continue;
      kill(f->pid, SIGKILL);
      testing::WaitProcess(*f);
      f->pid = -1;
    }
  };
  if (source_fn.pid <= 0 || vault_fn.pid <= 0 || !source_api_.WaitForPoll() ||
      !vault_api_.WaitForPoll()) {
    out.problems.push_back("a function did not start: see " + log_prefix +
                           "*.err (kept when HOP_LAG_LOG_DIR is set)");
    stop_functions();
    return out;
  }

  // 03:59:59 -> real time: the backups start at 04:00.
  std::atomic<bool> polling{true};
  std::thread poller([&] {
    while (polling) {
      Poll(*sim);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  (void)server.admin().time_runner().SetRate(1);
  const Steady::time_point until = Steady::now() + std::chrono::seconds(limit_);
  while (!Complete() && Steady::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Wait for the invocations in progress to answer (a watch may still
  // sleep: not beyond the limit).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  polling = false;
  poller.join();
  out.seconds = std::chrono::duration<double>(Steady::now() - started).count();

  // Every invocation handed out; those still running (a watch asleep) have
  // no answer yet.
  std::vector<Invocation> invocations;
  for (auto [api, name] :
       {std::pair{&source_api_, kSourceFunction}, std::pair{&vault_api_, kVaultFunction}}) {
    std::map<std::string, Invocation> by_id;
    for (const auto& [id, at] : api->handed_out()) by_id[id] = {name, id, at, {}, false, "", ""};
    for (const auto& o : api->WaitForOutcomes(0, 0)) {
      Invocation& i = by_id[o.request_id];
      i = {name, o.request_id, o.handed_out, o.answered, o.error, o.error_type, o.body};
      if (o.error) {
        ++out.function_errors;
        out.problems.push_back(std::string(name) + " invocation " + o.request_id +
                               " failed: " + o.error_type + " " + o.body.substr(0, 300));
      }
    }
    out.invocations[name] = static_cast<int>(by_id.size());
    for (auto& [id, i] : by_id) invocations.push_back(std::move(i));
  }

  out.hops = Analyse(invocations);
  out.schedule_invocations = schedule_invocations_.load();
  out.refused_one_step = ReadActions(rec_.calls()).refused_one_step;
  for (const auto& h : out.hops)
    if (h.missing > 0)
      out.problems.push_back(std::to_string(h.missing) + " of " + std::to_string(dbs_) + " " +
                             h.pipeline + " databases without \"" + h.hop + "\" (" + h.copy_rule +
                             ") within " + std::to_string(limit_) + " s");

  stop_functions();
  server.Stop();
  return out;
}

std::vector<HopResult> Run::Analyse(const std::vector<Invocation>& invocations) const {
  std::vector<HopResult> out;
  for (bool cluster : {false, true}) {
    if (!(cluster ? pipeline_.clusters : pipeline_.instances)) continue;
    std::vector<HopResult> kind = AnalyseKind(cluster, invocations);
    out.insert(out.end(), kind.begin(), kind.end());
  }
  return out;
}

std::vector<HopResult> Run::AnalyseKind(bool cluster,
                                        const std::vector<Invocation>& invocations) const {
  const Actions a = ReadActions(rec_.calls());
  const std::vector<BusEvent> bus = rec_.bus();
  const auto available = rec_.available();

  // The bus event with this EventID (or detail-type) about this snapshot.
  auto rds_event = [&](const std::string& event_id, const std::string& account,
                       const std::string& region, const std::string& id) -> const BusEvent* {
    for (const auto& e : bus) {
      const json& d = e.event.value("detail", json::object());
      if (d.value("EventID", "") == event_id && e.event.value("account", "") == account &&
          e.event.value("region", "") == region && IdOf(d.value("SourceIdentifier", "")) == id)
        return &e;
    }
    return nullptr;
  };
  auto shared_event = [&](const std::string& capture_id) -> const BusEvent* {
    for (const auto& e : bus) {
      if (e.event.value("source", "") != "drsnap") continue;
      for (const auto& r : e.event.value("resources", json::array()))
        if (r.is_string() && IdOf(r.get<std::string>()) == capture_id) return &e;
    }
    return nullptr;
  };
  // Which invocation made a call of `function` at `at`, relative to the
  // trigger event's own invocations.
  auto made_by = [&](const std::string& function, Steady::time_point at,
                     const BusEvent* trigger) -> std::string {
    for (const auto& inv : invocations) {
      if (inv.function != function || inv.handed_out == Steady::time_point{}) continue;
      const bool running = inv.answered == Steady::time_point{} || at <= inv.answered;
      if (at < inv.handed_out || !running) continue;
      if (at - inv.handed_out >= kWatchFirstPoll) return "watch";
      if (trigger != nullptr)
        for (const auto& [f, id] : trigger->invocations)
          if (f == function && id == inv.request_id) return "own";
      return "other";
    }
    return "unknown";
  };

  std::vector<std::string> tokens;
  for (int i = 0; i < dbs_; ++i) tokens.push_back(engine::naming::DbToken(DbId(cluster, i)));

  struct Spec {
    std::string hop, driven_by, function;
    // The trigger's time (and its bus event, when one) and the action's
    // time for one database token; nullopt when either is missing.
    std::function<std::optional<std::pair<Steady::time_point, const BusEvent*>>(const std::string&)>
        trigger;
    const std::map<std::string, Actions::At>* action;
  };
  auto at_event =
      [](const BusEvent* e) -> std::optional<std::pair<Steady::time_point, const BusEvent*>> {
    if (e == nullptr) return std::nullopt;
    return std::pair{e->at, e};
  };
  auto at_available =
      [&](const std::string& account, const std::string& region,
          const std::string& id) -> std::optional<std::pair<Steady::time_point, const BusEvent*>> {
    auto it = available.find(SnapshotKey(account, region, id));
    if (it == available.end()) return std::nullopt;
    return std::pair{it->second, static_cast<const BusEvent*>(nullptr)};
  };
  auto id_in = [](const std::map<std::string, Actions::At>& m, const std::string& token) {
    auto it = m.find(token);
    return it == m.end() ? std::string() : it->second.id;
  };

  std::vector<Spec> specs;
  const std::string created_id = cluster ? "RDS-EVENT-0169" : "RDS-EVENT-0091";
  specs.push_back({"automated snapshot created -> capture copy", created_id, kSourceFunction,
                   [&](const std::string& t) {
                     auto src = a.capture_source.find(t);
                     if (src == a.capture_source.end()) return at_event(nullptr);
                     return at_event(rds_event(created_id, kProdAccount, "us-east-1", src->second));
                   },
                   &a.capture});
  specs.push_back(
      {"capture copy finished -> share", cluster ? "watch" : "RDS-EVENT-0197", kSourceFunction,
       [&](const std::string& t) {
         const std::string id = id_in(a.capture, t);
         return cluster ? at_available(kProdAccount, "us-east-1", id)
                        : at_event(rds_event("RDS-EVENT-0197", kProdAccount, "us-east-1", id));
       },
       &a.share});
  specs.push_back(
      {strict() ? "shared -> hop copy" : "shared -> vault copy", "drsnap Snapshot Shared",
       kVaultFunction,
       [&](const std::string& t) { return at_event(shared_event(id_in(a.capture, t))); },
       strict() ? &a.hop_copy : &a.vault_copy});
  if (strict()) {
    specs.push_back(
        {"hop copy finished -> vault copy", cluster ? "watch" : "RDS-EVENT-0197 (DR account)",
         kVaultFunction,
         [&](const std::string& t) {
           const std::string id = id_in(a.hop_copy, t);
           return cluster ? at_available(kVaultAccount, "us-east-1", id)
                          : at_event(rds_event("RDS-EVENT-0197", kVaultAccount, "us-east-1", id));
         },
         &a.vault_copy});
    specs.push_back(
        {"vault copy finished -> hop deleted", cluster ? "watch" : "RDS-EVENT-0060", kVaultFunction,
         [&](const std::string& t) {
           const std::string id = id_in(a.vault_copy, t);
           return cluster ? at_available(kVaultAccount, "eu-west-1", id)
                          : at_event(rds_event("RDS-EVENT-0060", kVaultAccount, "eu-west-1", id));
         },
         &a.hop_delete});
  }

  std::vector<HopResult> out;
  for (const auto& s : specs) {
    std::string label = cluster ? "cluster" : "instance";
    if (pipeline_.instances && pipeline_.clusters)
      label += cluster ? " (beside instances)" : " (beside clusters)";
    HopResult h{s.hop, label, copy_rule_, s.driven_by, {}, {}, 0};
    for (const auto& t : tokens) {
      auto action = s.action->find(t);
      auto trigger = s.trigger(t);
      if (action == s.action->end() || !trigger) {
        ++h.missing;
        continue;
      }
      h.lag_ms.push_back(
          std::chrono::duration<double, std::milli>(action->second.at - trigger->first).count());
      ++h.made_by[made_by(s.function, action->second.at, trigger->second)];
    }
    out.push_back(std::move(h));
  }
  return out;
}

// ------------------------------------------------------------------ output

std::string FormatMs(double ms) {
  char buf[32];
  if (std::abs(ms) >= 1000)
    std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  else
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  return buf;
}

std::string MadeBy(const std::map<std::string, int>& m) {
  std::string out;
  for (const char* k : {"own", "other", "watch", "unknown"}) {
    auto it = m.find(k);
    if (it == m.end()) continue;
    out += (out.empty() ? "" : ", ") + std::string(k) + " " + std::to_string(it->second);
  }
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int Main(int argc, char** argv) {
  Log().Configure(LogLevel::kWarn, LogFormat::kText);
  const int dbs = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::vector<std::string> pipelines = Split(argc > 2 ? argv[2] : "instance,cluster");
  const std::vector<std::string> rules = Split(argc > 3 ? argv[3] : "one-step,strict");
  const int limit = argc > 4 ? std::atoi(argv[4]) : 300;
  if (dbs < 1 || dbs > 20 || limit < 1) {
    std::fprintf(stderr,
                 "usage: hop_lag_bench [dbs=5 (1..20)] [pipelines=instance,cluster (or mixed)] "
                 "[copy_rules=one-step,strict] [limit_seconds=300]\n");
    return 2;
  }

  std::vector<HopResult> rows;
  int schedule = 0, errors = 0;
  std::vector<std::string> problems;
  for (const auto& p : pipelines) {
    if (p != "instance" && p != "cluster" && p != "mixed") {
      std::fprintf(stderr, "hop_lag_bench: pipeline '%s' is not instance, cluster or mixed\n",
                   p.c_str());
      return 2;
    }
    const Pipeline pipeline{p, p != "cluster", p != "instance"};
    for (const auto& rule : rules) {
      if (rule != "one-step" && rule != "strict") {
        std::fprintf(stderr, "hop_lag_bench: copy rule '%s' is not one-step or strict\n",
                     rule.c_str());
        return 2;
      }
      Run run(pipeline, rule, dbs, limit);
      RunResult r = run.Execute();
      std::printf(
          "# %s pipeline, %s copy rule, %d databases%s: %.1f s; invocations: source %d, vault %d; "
          "schedule invocations: %d; function errors: %d; one-step copies refused: %d\n",
          p.c_str(), rule.c_str(), dbs, p == "mixed" ? " of each kind" : "", r.seconds,
          r.invocations[kSourceFunction], r.invocations[kVaultFunction], r.schedule_invocations,
          r.function_errors, r.refused_one_step);
      std::fflush(stdout);
      rows.insert(rows.end(), r.hops.begin(), r.hops.end());
      schedule += r.schedule_invocations;
      errors += r.function_errors;
      problems.insert(problems.end(), r.problems.begin(), r.problems.end());
    }
  }

  std::printf(
      "\n| hop | pipeline | copy rule | driven by | lag median | lag max | made by | dbs |\n"
      "|-----|----------|-----------|-----------|-----------:|--------:|---------|----:|\n");
  for (auto& h : rows) {
    std::sort(h.lag_ms.begin(), h.lag_ms.end());
    std::string median = "-", max = "-";
    if (!h.lag_ms.empty()) {
      median = FormatMs(h.lag_ms[h.lag_ms.size() / 2]);
      max = FormatMs(h.lag_ms.back());
    }
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %zu/%zu |\n", h.hop.c_str(),
                h.pipeline.c_str(), h.copy_rule.c_str(), h.driven_by.c_str(), median.c_str(),
                max.c_str(), MadeBy(h.made_by).c_str(), h.lag_ms.size(),
                h.lag_ms.size() + static_cast<size_t>(h.missing));
  }
  std::printf("\nschedule invocations: %d\n", schedule);
  for (const auto& p : problems) std::printf("problem: %s\n", p.c_str());
  if (schedule != 0 || errors != 0 || !problems.empty()) {
    std::printf("FAILED: not every hop completed from events alone\n");
    return 1;
  }
  std::printf("every hop of every database completed from events alone\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
