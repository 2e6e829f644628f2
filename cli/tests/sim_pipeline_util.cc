#include "cli/tests/sim_pipeline_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cloud/aws_cloud.h"

namespace drsnap::testing {

std::vector<SimAccount> SimAccounts() {
  return {
      {"prod", "111111111111", "AKIAPROD000000000001", "prod-secret-key-0000000000000000000001"},
      {"vault", "222222222222", "AKIAVAULT00000000001", "vault-secret-key-000000000000000000001"},
      {"vault2", "333333333333", "AKIAVAULTB0000000001", "vault2-secret-key-00000000000000000001"}};
}

SimPipeline::~SimPipeline() {
  reconciler.reset();
  cloud.reset();
  if (server) server->Stop();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
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

namespace {

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

}  // namespace

std::unique_ptr<SimPipeline> StartSimPipeline(const std::string& world_yaml,
                                              const std::string& policy_yaml,
                                              const nlohmann::json& settings,
                                              cloud::RateLimiterSource rate_limiters,
                                              int max_attempts) {
  auto p = std::make_unique<SimPipeline>();
  auto sim = sim::Simulator::FromWorldText(world_yaml, "world.yaml");
  if (!sim) {
    ADD_FAILURE() << sim.error().ToString();
    return nullptr;
  }
  p->sim = std::shared_ptr<sim::Simulator>(std::move(*sim));
  if (!settings.is_null()) {
    if (auto st = p->sim->UpdateSettings(settings); !st) {
      ADD_FAILURE() << st.error().ToString();
      return nullptr;
    }
  }
  auto server = sim::Server::Start(p->sim, sim::ServerOptions{});
  if (!server) {
    ADD_FAILURE() << server.error().ToString();
    return nullptr;
  }
  p->server = std::move(*server);

  char tmpl[] = "/tmp/drsnap-pipeline-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (d == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return nullptr;
  }
  p->dir = d;
  std::string creds, conf;
  for (const auto& a : SimAccounts()) {
    creds += "[" + a.name + "]\naws_access_key_id = " + a.access_key_id +
             "\naws_secret_access_key = " + a.secret + "\n";
    conf += "[profile " + a.name + "]\nregion = us-east-1\n";
  }
  WriteFile(p->dir + "/credentials", creds);
  WriteFile(p->dir + "/config", conf);
  p->env = std::make_shared<MapEnvironment>();
  p->env->Set("AWS_SHARED_CREDENTIALS_FILE", p->dir + "/credentials");
  p->env->Set("AWS_CONFIG_FILE", p->dir + "/config");
  p->env->Set("AWS_EC2_METADATA_DISABLED", "true");
  p->env->Set("HOME", p->dir);

  p->policy_path = p->dir + "/drsnap.yaml";
  WriteFile(p->policy_path, ReplaceAll(policy_yaml, "ENDPOINT", p->server->endpoint()));
  auto cfg = config::LoadConfigFile(p->policy_path);
  if (!cfg) {
    ADD_FAILURE() << cfg.error().ToString();
    return nullptr;
  }
  p->config = *cfg;
  cloud::AwsCloudFactoryOptions o;
  o.env = p->env;
  o.retry.max_attempts = max_attempts;
  o.rate_limiters = std::move(rate_limiters);
  auto clouds = cloud::MakeAwsClouds(p->config, o);
  if (!clouds) {
    ADD_FAILURE() << clouds.error().ToString();
    return nullptr;
  }
  p->cloud = *clouds;
  p->clock = std::make_shared<SimClock>(p->sim);
  p->reconciler = std::make_unique<engine::Reconciler>(p->cloud, p->config, p->clock);
  return p;
}

std::vector<engine::Snapshot> Owned(SimPipeline& p, const engine::Scope& scope) {
  auto all = p.cloud->ListSnapshots(scope);
  EXPECT_TRUE(all.has_value()) << all.error().ToString();
  std::vector<engine::Snapshot> out;
  if (!all) return out;
  for (auto& s : *all)
    if (s.scope == scope) out.push_back(std::move(s));
  return out;
}

int CopiesInFlight(SimPipeline& p, const engine::Scope& scope) {
  int n = 0;
  for (const auto& s : Owned(p, scope))
    if (s.status == engine::SnapshotStatus::kCopying) ++n;
  return n;
}

}  // namespace drsnap::testing
