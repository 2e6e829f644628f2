// The CLI commands over an in-memory FakeCloud: flags, help, output formats
// and exit codes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/http_server.h"
#include "cli/output.h"
#include "cli/tests/prometheus_util.h"
#include "core/time_util.h"
#include "engine/fake_cloud.h"
#include "testing/child_process.h"

namespace drsnap::cli {
namespace {

using engine::Scope;

const Scope kProd{"111111111111", "us-east-1"};

const char kConfig[] = R"(version: 1
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets:
      - account: vault
        regions:
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/dr"}
    retention: {daily: 7}
)";

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drsnap-cli-XXXXXX";
    dir_ = mkdtemp(tmpl);
    config_path_ = dir_ + "/drsnap.yaml";
    std::ofstream(config_path_) << kConfig;
    clock_ = std::make_shared<FakeClock>(*ParseIso8601("2026-11-23T06:00:00Z"));
    cloud_ = std::make_shared<engine::FakeCloud>();
    cloud_->SetNow(clock_->Now());
    AddDatabaseWithBackup("db1");
  }
  // A database in prod and its automated snapshot of 04:10 (encrypted with
  // `kms_key` when one is given).
  void AddDatabaseWithBackup(const std::string& id, const std::string& kms_key = "") {
    engine::Database db;
    db.id = id;
    db.scope = kProd;
    db.engine = "postgres";
    db.status = "available";
    db.encrypted = !kms_key.empty();
    db.kms_key_id = kms_key;
    cloud_->AddDatabase(db);
    engine::Snapshot s;
    s.id = "rds:" + id + "-2026-11-23-04-10";
    s.scope = kProd;
    s.db_id = id;
    s.type = engine::SnapshotType::kAutomated;
    s.status = engine::SnapshotStatus::kAvailable;
    s.encrypted = db.encrypted;
    s.kms_key_id = kms_key;
    s.create_time = *ParseIso8601("2026-11-23T04:10:00Z");
    cloud_->AddSnapshot(s);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Outcome {
    int code;
    std::string out, err;
  };
  Outcome Run(int (*cmd)(CommandContext&), std::vector<std::string> args) {
    CommandContext ctx;
    ctx.args = std::move(args);
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    ctx.out = out;
    ctx.err = err;
    auto env = std::make_shared<MapEnvironment>();
    env->Set("DRSNAP_CONFIG", config_path_);
    ctx.env = env;
    ctx.clock = clock_;
    auto cloud = cloud_;
    ctx.make_cloud = [cloud](const config::Config&) -> Result<std::shared_ptr<engine::Cloud>> {
      return std::shared_ptr<engine::Cloud>(cloud);
    };
    Outcome o;
    o.code = cmd(ctx);
    o.out = testing::ReadAllAndClose(out);
    o.err = testing::ReadAllAndClose(err);
    return o;
  }

  std::string dir_, config_path_;
  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<engine::FakeCloud> cloud_;
};

TEST_F(CommandsTest, HelpTeachesWithAnExample) {
  for (auto cmd : {RunPlanCommand, RunApplyCommand, RunRunCommand, RunStatusCommand}) {
    auto o = Run(cmd, {"--help"});
    EXPECT_EQ(o.code, 0);
    EXPECT_NE(o.out.find("usage: drsnap "), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("examples:\n  drsnap "), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("--config FILE"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("--log-format"), std::string::npos) << o.out;
  }
}

TEST_F(CommandsTest, BadFlagsAreOneSentenceAndExitTwo) {
  auto o = Run(RunPlanCommand, {"--outptu", "json"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(
      o.err,
      "drsnap plan: unknown flag '--outptu' (this command takes --output, --db, --side, "
      "--clock-url); see --help\n");
  o = Run(RunPlanCommand, {"--output", "yaml"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "drsnap plan: --output 'yaml' is not table or json\n");
  o = Run(RunRunCommand, {"--interval", "soon"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--interval 'soon' is not a duration"), std::string::npos) << o.err;
  o = Run(RunApplyCommand, {"--log-level", "loud"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--log-level 'loud'"), std::string::npos) << o.err;
  o = Run(RunApplyCommand, {"--concurrency"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("needs a value"), std::string::npos) << o.err;
}

TEST_F(CommandsTest, MissingConfigSaysHowToFixIt) {
  auto o = Run(RunPlanCommand, {"--config", dir_ + "/nope.yaml"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("nope.yaml"), std::string::npos) << o.err;
}

TEST_F(CommandsTest, PlanTableAndJson) {
  auto o = Run(RunPlanCommand, {});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("capture"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Plan: 1 actions (1 copy)"), std::string::npos) << o.out;
  o = Run(RunPlanCommand, {"--output=json"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  ASSERT_EQ(j["actions"].size(), 1u);
  EXPECT_EQ(j["actions"][0]["kind"], "copy");
  EXPECT_EQ(j["actions"][0]["stage"], "capture");
  EXPECT_FALSE(j["actions"][0]["reason"].get<std::string>().empty());
  // Shared strings (ids, names) are written as JSON strings.
  ASSERT_TRUE(j["actions"][0]["snapshot_id"].is_string()) << o.out;
  EXPECT_TRUE(j["actions"][0]["snapshot_id"].get<std::string>().starts_with("drsnap-")) << o.out;
  ASSERT_TRUE(j["actions"][0]["db_id"].is_string()) << o.out;
  EXPECT_FALSE(j["actions"][0]["db_id"].get<std::string>().empty()) << o.out;
  EXPECT_TRUE(j["actions"][0]["policy"].is_string()) << o.out;
  EXPECT_EQ(j["scopes"].size(), 3u);
  EXPECT_TRUE(cloud_->MutationLog().empty());  // plan is read-only
}

TEST_F(CommandsTest, SideNarrowsWhatIsObservedAndDone) {
  // The vault side observes only the DR account and captures nothing.
  auto o = Run(RunPlanCommand, {"--side", "vault", "--output", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["actions"].size(), 0u) << o.out;
  ASSERT_EQ(j["scopes"].size(), 2u) << o.out;
  for (const auto& scope : j["scopes"])
    EXPECT_NE(scope.dump().find("222222222222"), std::string::npos) << scope.dump();
  // The source side captures.
  o = Run(RunPlanCommand, {"--side=source", "--output", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  j = nlohmann::json::parse(o.out);
  ASSERT_EQ(j["actions"].size(), 1u) << o.out;
  EXPECT_EQ(j["actions"][0]["stage"], "capture");
  o = Run(RunApplyCommand, {"--side", "vault"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(cloud_->MutationLog().empty());
  // Status from the DR account alone: rows from what it holds (none yet).
  o = Run(RunStatusCommand, {"--side", "vault", "--output", "json"});
  EXPECT_EQ(o.code, 0) << o.err;
  j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["rows"].size(), 0u) << o.out;
  o = Run(RunStatusCommand, {"--output", "json"});
  j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["rows"].size(), 1u) << o.out;  // the source side sees db1
  EXPECT_TRUE(j["rows"][0]["last_verification"].is_null()) << o.out;
  o = Run(RunApplyCommand, {"--side", "dr"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "drsnap apply: --side 'dr' is not one of source, vault, all\n");
}

TEST_F(CommandsTest, ApplyDryRunThenApplyThenNothingLeft) {
  auto o = Run(RunApplyCommand, {"--dry-run"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Dry run: nothing was changed"), std::string::npos) << o.out;
  EXPECT_TRUE(cloud_->MutationLog().empty());
  o = Run(RunApplyCommand, {"--output", "json"});
  EXPECT_EQ(o.code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["counts"]["done"], 1);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(cloud_->MutationLog().size(), 1u);
}

TEST_F(CommandsTest, ApplyReportsFailuresWithExitOne) {
  cloud_->FailNext("CopySnapshot", Error::Terminal("AccessDenied", "not allowed"));
  auto o = Run(RunApplyCommand, {});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("failed: "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("AccessDenied"), std::string::npos) << o.out;
}

TEST_F(CommandsTest, RunLoopsUntilMaxRuns) {
  auto o = Run(RunRunCommand, {"--interval", "10m", "--max-runs", "3"});
  EXPECT_EQ(o.code, 0) << o.err;
  // Three reconciles (three scopes listed each), the clock advanced between them.
  EXPECT_EQ(cloud_->Calls("ListSnapshots"), 9);
  EXPECT_EQ(cloud_->MutationLog().size(), 1u);  // the capture, once: then it is in flight
  EXPECT_EQ(clock_->Now(), *ParseIso8601("2026-11-23T06:20:00Z"));
}

TEST_F(CommandsTest, RunListenRefusesAnAddressItCannotUse) {
  auto o = Run(RunRunCommand, {"--listen", "9464", "--max-runs", "1"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--listen '9464' is not HOST:PORT"), std::string::npos) << o.err;
  EXPECT_EQ(cloud_->Calls("ListSnapshots"), 0);  // refused before any reconcile
  auto taken = HttpServer::Start("127.0.0.1:0", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(taken.has_value()) << taken.error().ToString();
  o = Run(RunRunCommand, {"--listen", (*taken)->address(), "--max-runs", "1"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("cannot listen on " + (*taken)->address()), std::string::npos) << o.err;
}

TEST_F(CommandsTest, StatusExitCodeAndFormats) {
  auto o = Run(RunStatusCommand, {});
  EXPECT_EQ(o.code, 2) << o.out;  // nothing vaulted yet: unknown
  EXPECT_NE(o.out.find("db1"), std::string::npos) << o.out;
  o = Run(RunStatusCommand, {"--output", "json"});
  auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["exit_code"], 2);
  ASSERT_EQ(j["rows"].size(), 1u);
  EXPECT_EQ(j["rows"][0]["db_id"], "db1");
  o = Run(RunStatusCommand, {"--output", "prometheus"});
  EXPECT_NE(o.out.find("# TYPE drsnap_rpo_seconds gauge"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("drsnap_rpo_seconds{policy=\"orders\",db=\"db1\""), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("drsnap_status_exit_code 2"), std::string::npos) << o.out;
  // Issue 17: the pairs by state, the plan's findings by severity and the
  // build, each family with its HELP and TYPE; a one-shot status reconciles
  // nothing, so the reconcile families are left out (not reported as 0).
  EXPECT_NE(o.out.find("# TYPE drsnap_pairs gauge\n"), std::string::npos) << o.out;
  EXPECT_EQ(testing::PrometheusProblems(o.out), "") << o.out;
  EXPECT_NE(o.out.find("drsnap_pairs{state=\"breached\"} 1\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("drsnap_pairs{state=\"ok\"} 0\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("# HELP drsnap_findings "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("# TYPE drsnap_findings gauge\n"), std::string::npos) << o.out;
  for (const char* severity : {"info", "warning", "error"})
    EXPECT_NE(o.out.find("drsnap_findings{severity=\"" + std::string(severity) + "\"} "),
              std::string::npos)
        << severity << " in " << o.out;
  EXPECT_NE(o.out.find("drsnap_build_info{version=\"" + std::string(Version()) + "\"} 1\n"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("drsnap_last_reconcile"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("drsnap_action_failures_total"), std::string::npos) << o.out;
  o = Run(RunStatusCommand, {"--output", "html"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.out.rfind("<!DOCTYPE html>", 0), 0u) << o.out.substr(0, 200);
  EXPECT_NE(o.out.find("db1"), std::string::npos);
  EXPECT_EQ(o.out.find("http://"), std::string::npos);  // self-contained: nothing to fetch
  o = Run(RunStatusCommand, {"--output", "pdf"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("html"), std::string::npos) << o.err;
}

TEST_F(CommandsTest, StatusIsUnknownWhenTheSourceCannotBeListed) {
  cloud_->FailListing(kProd, Error::Terminal("AccessDenied", "no"));
  auto o = Run(RunStatusCommand, {});
  EXPECT_EQ(o.code, 2) << o.out;
  EXPECT_NE(o.out.find("could not be listed"), std::string::npos) << o.out;
  o = Run(RunStatusCommand, {"--output", "prometheus"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.out.find("drsnap_status_exit_code 2\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("drsnap_incomplete_scopes 1\n"), std::string::npos) << o.out;
}

// A plan that could not see a scope never says "No changes" and exits 1;
// so does one with an error finding. Monitoring reads the exit code.
TEST_F(CommandsTest, PlanIsNotQuietAboutWhatItCouldNotSee) {
  Error down = Error::Transient("ConnectionRefused", "connection refused");
  cloud_->FailListing(kProd, down);
  cloud_->FailListing(Scope{"222222222222", "eu-west-1"}, down);
  cloud_->FailListing(Scope{"222222222222", "us-east-1"}, down);
  auto o = Run(RunPlanCommand, {});
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_EQ(o.out.find("No changes"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("the plan is incomplete: 3 of 3 scopes could not be observed"),
            std::string::npos)
      << o.out;
  o = Run(RunPlanCommand, {"--output", "json"});
  EXPECT_EQ(o.code, 1);
  auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["incomplete_scopes"], 3);
  o = Run(RunApplyCommand, {});
  EXPECT_EQ(o.code, 1) << o.out;
}

TEST_F(CommandsTest, PlanWithAnErrorFindingExitsOne) {
  // A default-key database and no share key: nothing can be shared, an error.
  AddDatabaseWithBackup("db2", "arn:aws:kms:us-east-1:111111111111:alias/aws/rds");
  auto o = Run(RunPlanCommand, {});
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_NE(o.out.find("default RDS key"), std::string::npos) << o.out;
}

TEST(OutputTest, AgeIsCompact) {
  EXPECT_EQ(Age(std::chrono::seconds(0)), "-");
  EXPECT_EQ(Age(std::chrono::seconds(45)), "45s");
  EXPECT_EQ(Age(std::chrono::seconds(3600 + 300)), "1h5m");
  EXPECT_EQ(Age(std::chrono::seconds(2 * 86400 + 3600)), "2d1h");
}

TEST(FlagsTest, ParsesValuesBooleansAndEquals) {
  std::vector<FlagSpec> specs = {{"output", true, "F", ""}, {"dry-run", false, "", ""}};
  auto f = ParseFlags({"--output=json", "--dry-run", "--config", "x.yaml"}, specs);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->Get("output"), "json");
  EXPECT_TRUE(f->Has("dry-run"));
  EXPECT_EQ(f->Get("config"), "x.yaml");
  EXPECT_FALSE(ParseFlags({"--dry-run=yes"}, specs).has_value());
  EXPECT_FALSE(ParseFlags({"-x"}, specs).has_value());
  MapEnvironment env;
  EXPECT_EQ(ConfigPath(*f, env), "x.yaml");
  auto none = ParseFlags({}, specs);
  EXPECT_EQ(ConfigPath(*none, env), "drsnap.yaml");
  env.Set("DRSNAP_CONFIG", "/etc/d.yaml");
  EXPECT_EQ(ConfigPath(*none, env), "/etc/d.yaml");
}

TEST(CloudFactoryTest, RejectsAMalformedOwnAccountId) {
  config::Config cfg;  // no accounts: only the environment is checked
  for (const char* bad : {"12345", "12345678901a", "1234567890123"}) {
    auto env = std::make_shared<MapEnvironment>();
    env->Set("DRSNAP_ACCOUNT_ID", bad);
    auto cloud = DefaultCloudFactory(env, nullptr)(cfg);
    ASSERT_FALSE(cloud.has_value()) << bad;
    EXPECT_EQ(cloud.error().code, "UsageError");
    EXPECT_NE(cloud.error().message.find(bad), std::string::npos) << cloud.error().message;
  }
  auto env = std::make_shared<MapEnvironment>();
  env->Set("DRSNAP_ACCOUNT_ID", "123456789012");
  EXPECT_TRUE(DefaultCloudFactory(env, nullptr)(cfg).has_value());
}

}  // namespace
}  // namespace drsnap::cli
