#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloud/aws_cloud.h"
#include "core/time_util.h"
#include "lambda_sim.h"

namespace drsnap::lambda::testing {
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

std::string WorldYaml(int instances) {
  std::string dbs;
  for (int i = 0; i < instances; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "db-%03d", i);
    std::string id = i == 0 ? std::string("orders-db") : std::string(name);
    dbs += "      - {id: " + id +
           ", region: us-east-1, engine: postgres, size_gb: 20, encrypted: true,\n"
           "         kms_key: alias/prod-share, backup_retention_days: 7, "
           "backup_window: \"04:00-04:30\"}\n";
  }
  return R"(start_time: "2026-11-23T00:00:00Z"
regions: [us-east-1, eu-west-1]
settings: {copy_rule: one-step}
accounts:
  - id: "111111111111"
    name: prod
    access_keys:
      - {id: AKIAPROD000000000001, secret: prod-secret-key-0000000000000000000001, user: drsnap}
    kms_keys:
      - {region: us-east-1, id: 00000000-0000-0000-0000-00000000a001, alias: alias/prod-share,
         allow_accounts: ["222222222222"]}
      - {region: eu-west-1, id: 00000000-0000-0000-0000-00000000a002, alias: alias/prod-dr}
    db_instances:
)" + dbs +
         R"(    db_clusters:
      - {id: ledger, region: us-east-1, engine: aurora-postgresql, size_gb: 20, encrypted: true,
         kms_key: alias/prod-share, backup_retention_days: 7, backup_window: "03:00-03:30",
         instances: [ledger-1]}
  - id: "222222222222"
    name: vault
    access_keys:
      - {id: AKIAVAULT00000000001, secret: vault-secret-key-000000000000000000001, user: drsnap}
    kms_keys:
      - {region: us-east-1, id: 00000000-0000-0000-0000-00000000b001, alias: alias/vault}
      - {region: eu-west-1, id: 00000000-0000-0000-0000-00000000b002, alias: alias/vault}
)";
}

std::string PolicyYaml(const std::string& endpoint, const std::string& target_account,
                       bool with_profiles) {
  std::string prod_auth = with_profiles ? "profile: prod, " : "";
  std::string vault_auth = with_profiles ? "profile: vault, " : "";
  bool same = target_account == kProdAccount;
  std::string accounts = "accounts:\n  prod: {id: \"111111111111\", " + prod_auth +
                         "endpoint_url: \"" + endpoint + "\"}\n";
  if (!same)
    accounts +=
        "  vault: {id: \"222222222222\", " + vault_auth + "endpoint_url: \"" + endpoint + "\"}\n";
  std::string key =
      same ? "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-00000000a002"
           : "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-00000000b002";
  std::string target = same ? "prod" : "vault";
  std::string hop =
      same ? ""
           : "        hop_kms_key: "
             "\"arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-00000000b001\"\n";
  return "version: 1\n" + accounts + R"(policies:
  main:
    databases: {names: ["*"]}
    source: {account: prod, region: us-east-1, from: automated,
             share_key: "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-00000000a001"}
    rpo: 24h
    targets:
      - account: )" +
         target + "\n" + hop + R"(        regions:
          eu-west-1: {kms_key: ")" +
         key + R"("}
    retention: {daily: 30}
)";
}

LambdaSim::~LambdaSim() {
  cloud.reset();
  if (server) server->Stop();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

std::unique_ptr<engine::Reconciler> LambdaSim::NewReconciler() const {
  return std::make_unique<engine::Reconciler>(cloud, config, clock);
}

std::vector<engine::Snapshot> LambdaSim::Owned(const std::string& account,
                                               const std::string& region) const {
  engine::Scope scope{account, region};
  auto all = cloud->ListSnapshots(scope);
  EXPECT_TRUE(all.has_value()) << all.error().ToString();
  std::vector<engine::Snapshot> out;
  if (!all) return out;
  for (auto& s : *all)
    if (s.scope == scope) out.push_back(std::move(s));
  return out;
}

std::unique_ptr<LambdaSim> StartLambdaSim(const std::string& world_yaml,
                                          const std::string& policy_yaml) {
  auto p = std::make_unique<LambdaSim>();
  auto sim = sim::Simulator::FromWorldText(world_yaml, "world.yaml");
  if (!sim) {
    ADD_FAILURE() << sim.error().ToString();
    return nullptr;
  }
  p->sim = std::shared_ptr<sim::Simulator>(std::move(*sim));
  auto server = sim::Server::Start(p->sim, sim::ServerOptions{});
  if (!server) {
    ADD_FAILURE() << server.error().ToString();
    return nullptr;
  }
  p->server = std::move(*server);
  char tmpl[] = "/tmp/drsnap-lambda-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (d == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return nullptr;
  }
  p->dir = d;
  WriteFile(p->dir + "/credentials",
            "[prod]\naws_access_key_id = AKIAPROD000000000001\naws_secret_access_key = "
            "prod-secret-key-0000000000000000000001\n"
            "[vault]\naws_access_key_id = AKIAVAULT00000000001\naws_secret_access_key = "
            "vault-secret-key-000000000000000000001\n");
  WriteFile(p->dir + "/config",
            "[profile prod]\nregion = us-east-1\n[profile vault]\nregion = us-east-1\n");
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
  o.retry.max_attempts = 2;
  auto clouds = cloud::MakeAwsClouds(p->config, o);
  if (!clouds) {
    ADD_FAILURE() << clouds.error().ToString();
    return nullptr;
  }
  p->cloud = *clouds;
  p->clock = std::make_shared<SimClock>(p->sim);
  return p;
}

std::string EventFixture(const std::string& name) {
  std::ifstream in(std::string(DRSNAP_SOURCE_DIR) + "/testdata/events/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

FakeEventBridge::FakeEventBridge(std::string account, std::string region, Route route)
    : account_(std::move(account)), region_(std::move(region)), route_(std::move(route)) {
  server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
    std::string target = req.get_header_value("X-Amz-Target");
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    std::vector<nlohmann::json> events;
    nlohmann::json answer;
    {
      std::lock_guard lock(mu_);
      targets_.push_back(target);
      if (target != "AWSEvents.PutEvents" || body.is_discarded() || !body.contains("Entries") ||
          req.get_header_value("Authorization").find("/events/aws4_request") == std::string::npos) {
        res.status = 400;
        res.set_content(R"({"__type":"ValidationException","message":"bad request"})",
                        "application/x-amz-json-1.1");
        return;
      }
      answer["FailedEntryCount"] = 0;
      answer["Entries"] = nlohmann::json::array();
      for (const auto& e : body["Entries"]) {
        entries_.push_back(e);
        std::string id = "evt-" + std::to_string(next_id_++);
        nlohmann::json ev;
        ev["version"] = "0";
        ev["id"] = id;
        ev["detail-type"] = e.value("DetailType", "");
        ev["source"] = e.value("Source", "");
        ev["account"] = account_;
        ev["time"] = "2026-11-23T05:00:00Z";
        ev["region"] = region_;
        ev["resources"] = e.value("Resources", nlohmann::json::array());
        ev["detail"] = nlohmann::json::parse(e.value("Detail", "{}"), nullptr, false);
        events.push_back(std::move(ev));
        answer["Entries"].push_back({{"EventId", id}});
      }
    }
    for (const auto& ev : events) route_(ev);
    res.set_content(answer.dump(), "application/x-amz-json-1.1");
  });
  server_.Post("/raw", [this](const httplib::Request& req, httplib::Response& res) {
    auto ev = nlohmann::json::parse(req.body, nullptr, false);
    if (!ev.is_discarded()) route_(ev);
    res.status = 200;
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeEventBridge::~FakeEventBridge() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeEventBridge::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<nlohmann::json> FakeEventBridge::put_entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

std::vector<std::string> FakeEventBridge::targets() const {
  std::lock_guard lock(mu_);
  return targets_;
}

}  // namespace drsnap::lambda::testing
