#include "testing/sim_pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace drsnap::testing {
namespace {

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return Fail(Error::Terminal("WriteFailed", "cannot write " + path));
  return OkStatus();
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

void RemoveDir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

const std::vector<SimAccount>& SimAccounts() {
  static const std::vector<SimAccount> accounts = {
      {"prod", kProdAccount, "AKIAPROD000000000001", "prod-secret-key-0000000000000000000001"},
      {"vault", kVaultAccount, "AKIAVAULT00000000001", "vault-secret-key-000000000000000000001"},
      {"vault2", kVault2Account, "AKIAVAULTB0000000001", "vault2-secret-key-00000000000000000001"}};
  return accounts;
}

const SimAccount& SimAccountNamed(const std::string& name) {
  for (const auto& a : SimAccounts())
    if (a.name == name) return a;
  std::abort();  // a test's typo
}

Result<std::string> MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr)
    return Fail(Error::Terminal("TempDir", "mkdtemp " + tmpl + " failed"));
  return tmpl;
}

TempDir::TempDir(const std::string& prefix) {
  if (auto d = MakeTempDir(prefix)) path_ = *d;
}

TempDir::~TempDir() { RemoveDir(path_); }

Status WriteAwsProfiles(const std::string& dir, const std::vector<SimAccount>& accounts) {
  std::string creds, conf;
  for (const auto& a : accounts) {
    creds += "[" + a.name + "]\naws_access_key_id = " + a.access_key_id +
             "\naws_secret_access_key = " + a.secret + "\n";
    conf += "[profile " + a.name + "]\nregion = us-east-1\n";
  }
  DRSNAP_RETURN_IF_ERROR(WriteFile(dir + "/credentials", creds));
  return WriteFile(dir + "/config", conf);
}

std::vector<std::string> AwsProfileEnv(const std::string& dir) {
  return {"AWS_SHARED_CREDENTIALS_FILE=" + dir + "/credentials",
          "AWS_CONFIG_FILE=" + dir + "/config", "AWS_EC2_METADATA_DISABLED=true", "HOME=" + dir};
}

std::shared_ptr<MapEnvironment> AwsProfileEnvironment(const std::string& dir) {
  auto env = std::make_shared<MapEnvironment>();
  for (const auto& var : AwsProfileEnv(dir)) {
    size_t eq = var.find('=');
    env->Set(var.substr(0, eq), var.substr(eq + 1));
  }
  return env;
}

Result<SimServer> StartSimServer(const std::string& world_yaml, const nlohmann::json& settings,
                                 const sim::ServerOptions& options) {
  SimServer out;
  auto sim = sim::Simulator::FromWorldText(world_yaml, "world.yaml");
  if (!sim) return Fail(std::move(sim).error());
  out.sim = std::shared_ptr<sim::Simulator>(std::move(*sim));
  if (!settings.is_null()) DRSNAP_RETURN_IF_ERROR(out.sim->UpdateSettings(settings));
  auto server = sim::Server::Start(out.sim, options);
  if (!server) return Fail(std::move(server).error());
  out.server = std::move(*server);
  return out;
}

SimPipeline::~SimPipeline() {
  reconciler.reset();
  cloud.reset();
  if (server) server->Stop();
  RemoveDir(dir);
}

Result<std::unique_ptr<SimPipeline>> SimPipeline::Start(const std::string& world_yaml,
                                                        const std::string& policy_yaml,
                                                        const SimPipelineOptions& options) {
  auto p = std::make_unique<SimPipeline>();
  auto started = StartSimServer(world_yaml, options.settings);
  if (!started) return Fail(std::move(started).error());
  p->sim = std::move(started->sim);
  p->server = std::move(started->server);

  DRSNAP_ASSIGN_OR_RETURN(p->dir, MakeTempDir("drsnap-sim"));
  DRSNAP_RETURN_IF_ERROR(WriteAwsProfiles(p->dir));
  p->env = AwsProfileEnvironment(p->dir);

  p->policy_path = p->dir + "/drsnap.yaml";
  DRSNAP_RETURN_IF_ERROR(
      WriteFile(p->policy_path, ReplaceAll(policy_yaml, "ENDPOINT", p->server->endpoint())));
  auto cfg = config::LoadConfigFile(p->policy_path);
  if (!cfg) return Fail(std::move(cfg).error());
  p->config = *cfg;
  cloud::AwsCloudFactoryOptions o;
  o.env = p->env;
  o.transport = options.transport;
  o.retry.max_attempts = options.max_attempts;
  o.rate_limiters = options.rate_limiters;
  auto clouds = cloud::MakeAwsClouds(p->config, o);
  if (!clouds) return Fail(std::move(clouds).error());
  p->cloud = *clouds;
  p->clock = std::make_shared<sim::SimulatorClock>(p->sim);
  p->reconciler = p->NewReconciler();
  return p;
}

std::vector<engine::ReconcileReport> SimPipeline::RunUntilQuiet(int max_runs, Duration step) {
  std::vector<engine::ReconcileReport> out;
  for (int i = 0; i < max_runs; ++i) {
    out.push_back(reconciler->RunOnce(engine::ReconcileOptions{}));
    if (out.back().plan.actions.empty()) break;
    sim->Advance(step);
  }
  return out;
}

std::unique_ptr<engine::Reconciler> SimPipeline::NewReconciler() const {
  return std::make_unique<engine::Reconciler>(cloud, config, clock);
}

std::vector<std::string> SimPipeline::ProcessEnv() const {
  std::vector<std::string> vars = AwsProfileEnv(dir);
  vars.push_back("DRSNAP_CONFIG=" + policy_path);
  // The child plans on the simulator's virtual clock, as the in-process
  // reconciler does (cli/remote_clock.h).
  vars.push_back("DRSNAP_CLOCK_URL=" + server->endpoint() + "/_sim/time");
  return vars;
}

std::unique_ptr<SimPipeline> StartSimPipeline(const std::string& world_yaml,
                                              const std::string& policy_yaml,
                                              const nlohmann::json& settings,
                                              cloud::RateLimiterSource rate_limiters,
                                              int max_attempts) {
  SimPipelineOptions o;
  o.settings = settings;
  o.rate_limiters = std::move(rate_limiters);
  o.max_attempts = max_attempts;
  auto p = SimPipeline::Start(world_yaml, policy_yaml, o);
  if (!p) {
    ADD_FAILURE() << p.error().ToString();
    return nullptr;
  }
  return std::move(*p);
}

std::vector<engine::Snapshot> Owned(const SimPipeline& p, const engine::Scope& scope) {
  auto all = p.cloud->ListSnapshots(scope);
  EXPECT_TRUE(all.has_value()) << all.error().ToString();
  std::vector<engine::Snapshot> out;
  if (!all) return out;
  for (auto& s : *all)
    if (s.scope == scope) out.push_back(std::move(s));
  return out;
}

int CopiesInFlight(const SimPipeline& p, const engine::Scope& scope) {
  int n = 0;
  for (const auto& s : Owned(p, scope))
    if (engine::IsCopyInFlight(s)) ++n;
  return n;
}

}  // namespace drsnap::testing
