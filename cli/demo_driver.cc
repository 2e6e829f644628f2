#include "cli/demo_driver.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "cli/demo_world.h"
#include "cli/verify_report.h"
#include "cloud/aws_cloud.h"
#include "config/policy.h"
#include "core/env.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "sim/server.h"
#include "sim/simulator.h"
#include "sim/simulator_clock.h"

namespace drsnap::cli::demo {

namespace {

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  Status Create(const std::string& root) {
    std::string base = root;
    if (base.empty()) {
      const char* t = getenv("TMPDIR");
      base = t && *t ? t : "/tmp";
    }
    std::string tmpl = base + "/drsnap-demo-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr)
      return Fail(
          Error::Terminal("DemoSetup", "cannot create a temporary directory under " + base));
    path_ = tmpl;
    return OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Fail(Error::Terminal("DemoSetup", "cannot write " + path));
  return OkStatus();
}

std::string AccountLine(const config::Config& cfg, const std::string& name,
                        const std::vector<std::string>& regions) {
  std::string out = name;
  if (const auto* a = cfg.FindAccount(name)) out += " " + a->id;
  for (size_t i = 0; i < regions.size(); ++i) out += (i ? ", " : " ") + regions[i];
  return out;
}

}  // namespace

Result<DemoOutcome> RunDemo(const DemoOptions& options, DemoView& view) {
  if (options.days < 1) return Fail(Error::Terminal("UsageError", "--days must be at least 1"));
  if (options.step < std::chrono::minutes(1))
    return Fail(Error::Terminal("UsageError", "--step must be at least 1m"));

  // drsnap-sim, in this process, on a free loopback port.
  auto loaded = sim::Simulator::FromWorldText(DemoWorldYaml(), "demo-world.yaml");
  if (!loaded) return Fail(std::move(loaded).error().With("loading the demo world"));
  std::shared_ptr<sim::Simulator> simulator(std::move(*loaded));
  if (!options.fail_copies_region.empty()) {
    if (options.fail_copies_region != "us-west-2" && options.fail_copies_region != "eu-west-1")
      return Fail(
          Error::Terminal("UsageError", "the demo's DR regions are us-west-2 and eu-west-1, not '" +
                                            options.fail_copies_region + "'"));
    nlohmann::json fault = {{"kind", "fail_copies"},
                            {"account", "222222222222"},
                            {"region", options.fail_copies_region},
                            {"count", 1000000}};
    DRSNAP_RETURN_IF_ERROR(simulator->InjectFault(fault));
  }
  sim::ServerOptions server_options;
  server_options.host = "127.0.0.1";
  server_options.port = 0;
  server_options.threads = 8;
  auto started = sim::Server::Start(simulator, server_options);
  if (!started) return Fail(std::move(started).error().With("starting drsnap-sim"));
  std::unique_ptr<sim::Server> server = std::move(*started);

  // The policy and the AWS profiles, as a user would have them.
  TempDir dir;
  DRSNAP_RETURN_IF_ERROR(dir.Create(options.temp_root));
  DemoOutcome out;
  out.endpoint = server->endpoint();
  out.policy_text = DemoPolicyYaml(out.endpoint);
  const std::string policy_path = dir.path() + "/drsnap.yaml";
  DRSNAP_RETURN_IF_ERROR(WriteFile(dir.path() + "/config", DemoAwsConfigText()));
  DRSNAP_RETURN_IF_ERROR(WriteFile(dir.path() + "/credentials", DemoAwsCredentialsText()));
  DRSNAP_RETURN_IF_ERROR(WriteFile(policy_path, out.policy_text));
  auto cfg = config::LoadConfigFile(policy_path);
  if (!cfg) return Fail(std::move(cfg).error().With("loading the demo policy"));

  // Only what the demo sets: the user's own AWS settings (AWS_PROFILE,
  // AWS_ENDPOINT_URL, ~/.aws) must not leak into it.
  auto env = std::make_shared<MapEnvironment>();
  env->Set("AWS_CONFIG_FILE", dir.path() + "/config");
  env->Set("AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/credentials");
  env->Set("AWS_EC2_METADATA_DISABLED", "true");
  env->Set("HOME", dir.path());
  cloud::AwsCloudFactoryOptions cloud_options;
  cloud_options.env = env;
  // No client-side rate limiter: its buckets refill in real time while the
  // demo compresses days into seconds (the simulator does not throttle here).
  auto clouds = cloud::MakeAwsClouds(*cfg, cloud_options);
  if (!clouds) return Fail(std::move(clouds).error().With("connecting to drsnap-sim"));

  auto clock = std::make_shared<sim::SimulatorClock>(simulator);
  engine::Reconciler reconciler(*clouds, *cfg, clock);

  // The setup as the view shows it.
  DemoSetup setup;
  setup.endpoint = out.endpoint;
  setup.days = options.days;
  setup.step = options.step;
  setup.start = DemoStartTime();
  setup.end = setup.start + std::chrono::hours(24 * options.days);
  if (!cfg->policies.empty()) {
    const auto& p = cfg->policies.front();
    setup.source = AccountLine(*cfg, p.source_account, {p.source_region});
    for (const auto& t : p.targets) {
      std::vector<std::string> regions;
      for (const auto& r : t.regions) regions.push_back(r.region);
      setup.targets.push_back(AccountLine(*cfg, t.account, regions));
    }
  }
  out.start = setup.start;
  out.end = setup.end;
  simulator->SetTime(setup.start);
  view.Begin(setup);

  // The loop: reconcile, show, advance the virtual clock.
  engine::ReconcileOptions reconcile_options;
  reconcile_options.stop = options.stop;
  std::set<std::string> failed_copies;  // "scope/id" of drsnap's snapshots seen failed
  for (int i = 1; simulator->Now() < setup.end; ++i) {
    if (options.stop != nullptr && options.stop->load()) {
      out.interrupted = true;
      break;
    }
    engine::ReconcileReport report = reconciler.RunOnce(reconcile_options);
    TimePoint now = report.inventory.observed_at;
    engine::StatusReport status = engine::ComputeStatus(report.inventory, *cfg, now);
    ++out.totals.reconciles;
    for (const auto& r : report.apply.results) {
      if (r.outcome == engine::Outcome::kDone || r.outcome == engine::Outcome::kAlreadyDone) {
        ++out.totals.done_by_stage[engine::StageName(r.action.stage)];
      } else if (r.outcome == engine::Outcome::kFailed) {
        ++out.totals.failed;
        if (out.failures.size() < 500) out.failures.push_back(r);
      }
    }
    // A copy AWS accepted and then failed is an action done; it is counted
    // here, from what each observation shows, so that no header says "0
    // failed" about a run whose copies failed.
    for (const auto& scope : report.inventory.scopes)
      for (const auto& snap : scope.snapshots)
        if (snap.status == engine::SnapshotStatus::kFailed && snap.scope == scope.scope &&
            engine::naming::ParseNameView(snap.id))
          failed_copies.insert(scope.scope.ToString() + "/" + std::string(snap.id));
    out.totals.failed_copies = static_cast<int>(failed_copies.size());
    for (const auto& row : status.rows) {
      RpoSample s;
      s.at = now;
      s.has_point = row.newest_point.has_value();
      s.age = row.age;
      s.state = row.state;
      out.history[HtmlRowKey(row)].push_back(s);
    }
    out.findings = report.plan.findings;
    DemoStep step;
    step.index = i;
    step.now = now;
    step.setup = &setup;
    step.reconcile = &report;
    step.status = &status;
    step.totals = &out.totals;
    view.Step(step);
    simulator->Advance(options.step);
  }
  view.End();

  // Restore drills, as `drsnap verify` runs them: restore the newest vault
  // copy in each region with `verify:`, wait (virtual minutes), record the
  // result on the copy, delete the throw-away instance.
  if (!out.interrupted) {
    if (simulator->Now() < setup.end) simulator->SetTime(setup.end);
    engine::verify::DrillRunOptions drill_options;
    drill_options.interval = std::chrono::minutes(1);
    drill_options.stop = options.stop;
    engine::verify::DrillRun drills =
        engine::verify::RunDrills(**clouds, *cfg, *clock, drill_options);
    out.drills = drills.last.drills;
    for (const auto& r : drills.results) out.drill_step_failures += r.ok ? 0 : 1;
    out.interrupted = drills.interrupted;
  }

  // The final word: a fresh observation at the end of the simulated days
  // (and the drills).
  if (!out.interrupted && simulator->Now() < setup.end) simulator->SetTime(setup.end);
  out.end = simulator->Now();
  out.reconciles = out.totals.reconciles;
  out.inventory = reconciler.Observe();
  out.status = engine::ComputeStatus(out.inventory, *cfg, out.inventory.observed_at);
  for (const auto& row : out.status.rows) {
    RpoSample s;
    s.at = out.inventory.observed_at;
    s.has_point = row.newest_point.has_value();
    s.age = row.age;
    s.state = row.state;
    out.history[HtmlRowKey(row)].push_back(s);
  }
  server->Stop();
  return out;
}

HtmlReportInput DemoReportInput(const DemoOutcome& outcome) {
  HtmlReportInput in;
  in.title = "drsnap demo: recoverability report";
  int done = 0;
  for (const auto& [stage, n] : outcome.totals.done_by_stage) done += n;
  in.notes.push_back("drsnap-sim, built-in world: " + FormatIso8601Seconds(outcome.start) + " to " +
                     FormatIso8601Seconds(outcome.end) + " (simulated), " +
                     std::to_string(outcome.reconciles) + " reconciles, " + std::to_string(done) +
                     " actions done, " + std::to_string(outcome.totals.failed) +
                     " actions failed, " + std::to_string(outcome.totals.failed_copies) +
                     " copies failed after AWS accepted them.");
  in.notes.push_back(
      "The pipeline that ran is the one that runs against AWS: the Reconciler over the AWS "
      "clients, signed HTTP requests to the simulator's RDS, STS and KMS endpoints.");
  in.status = &outcome.status;
  in.inventory = &outcome.inventory;
  in.results = outcome.failures;
  in.findings = outcome.findings;
  in.history = outcome.history;
  in.verifications = VerificationsFor(outcome.status, outcome.inventory);
  // The timeline covers the simulated days (and the hour before them).
  in.timeline_window =
      std::chrono::duration_cast<std::chrono::seconds>(outcome.end - outcome.start) +
      std::chrono::hours(1);
  in.appendix_title = "The policy the demo ran";
  in.appendix_text = outcome.policy_text;
  return in;
}

}  // namespace drsnap::cli::demo
