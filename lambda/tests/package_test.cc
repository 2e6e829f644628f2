// The Lambda package as Lambda runs it: scripts/package-lambda on the built
// drsnap-lambda binary, unzipped, and `bootstrap` started with an empty environment
// (env -i plus Lambda's variables) against a fake Runtime API and drsnap-sim.
// Also: every library the packaged binary resolves lies inside the package.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/time_util.h"
#include "lambda/events.h"
#include "lambda_sim.h"

extern char** environ;

namespace drsnap::lambda {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Capture(const std::string& command, int* status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long long MsFromNow(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + d).time_since_epoch())
      .count();
}

class PackageTest : public ::testing::Test {
 protected:
  // Packaging takes seconds (strip, zip): once for the suite.
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/drsnap-package-XXXXXX";
    char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    suite_dir_ = d;
    // The packaged policy reaches drsnap-sim through AWS_ENDPOINT_URL and the
    // credentials Lambda puts in the environment: no endpoint_url, no profile.
    std::string policy = testing::PolicyYaml("", testing::kProdAccount, false);
    std::ofstream(suite_dir_ + "/policy.yaml") << policy;
    std::string cmd = std::string(DRSNAP_SOURCE_DIR) + "/scripts/package-lambda --config " +
                      suite_dir_ + "/policy.yaml --binary " + DRSNAP_BINARY_DIR +
                      "/cli/drsnap-lambda --out " + suite_dir_ + "/drsnap-lambda.zip 2>&1";
    int status = 0;
    std::string out = Capture(cmd, &status);
    ASSERT_EQ(status, 0) << out;
    out = Capture("cd " + suite_dir_ + " && unzip -q drsnap-lambda.zip -d pkg 2>&1", &status);
    ASSERT_EQ(status, 0) << out;
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    if (!suite_dir_.empty()) fs::remove_all(suite_dir_, ec);
  }

  void SetUp() override {
    ASSERT_TRUE(fs::exists(suite_dir_ + "/pkg/bootstrap")) << "packaging failed";
    pkg_ = suite_dir_ + "/pkg";
    char tmpl[] = "/tmp/drsnap-package-run-XXXXXX";
    char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    dir_ = d;
    sim_ = testing::StartLambdaSim(testing::WorldYaml(),
                                   testing::PolicyYaml("ENDPOINT", testing::kProdAccount, true));
    ASSERT_NE(sim_, nullptr);
    sim_->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  }

  void TearDown() override {
    sim_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // Starts `env -i VARS... pkg/bootstrap`; stdout+stderr to dir_/bootstrap.log.
  pid_t StartBootstrap(const std::vector<std::string>& vars) {
    std::vector<std::string> args = {"/usr/bin/env", "-i"};
    for (const auto& v : vars) args.push_back(v);
    args.push_back(pkg_ + "/bootstrap");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    std::string log = dir_ + "/bootstrap.log";
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    EXPECT_EQ(rc, 0);
    return pid;
  }

  // Waits up to `seconds` for the child; returns its exit status or -1.
  static int WaitExit(pid_t pid, int seconds) {
    for (int i = 0; i < seconds * 50; ++i) {
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
      usleep(20000);
    }
    return -1;
  }

  std::vector<std::string> LambdaEnv(const std::string& api) const {
    // DRSNAP_WATCH=off: drsnap-sim's clock stands still here (the
    // bootstrap's runs on the wall clock), so a watched cluster copy would
    // never end and each invocation would wait for its deadline.
    return {"AWS_LAMBDA_RUNTIME_API=" + api,
            std::string("AWS_ACCESS_KEY_ID=") + testing::kProdKeyId,
            std::string("AWS_SECRET_ACCESS_KEY=") + testing::kProdSecret,
            "AWS_REGION=us-east-1",
            "AWS_ENDPOINT_URL=" + sim_->server->endpoint(),
            "AWS_EC2_METADATA_DISABLED=true",
            "DRSNAP_SIDE=source",
            "DRSNAP_WATCH=off",
            "DRSNAP_LOG_FORMAT=json"};
  }

  static inline std::string suite_dir_;
  std::string dir_, pkg_;
  std::unique_ptr<testing::LambdaSim> sim_;
};

// The packaged binary is the lean link (cli/CMakeLists.txt drsnap-lambda):
// no simulator, hence no cpp-httplib; outside sanitizer builds also no
// shared C++ runtime, yaml-cpp or pugixml. Each would cost memory in every
// Lambda process (docs/benchmarks.md).
TEST_F(PackageTest, ThePackagedBinaryIsTheLeanLink) {
  int status = 0;
  std::string out = Capture(pkg_ + "/lib/ld-linux-x86-64.so.2 --library-path " + pkg_ +
                                "/lib --list " + pkg_ + "/bin/drsnap 2>&1",
                            &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.find("libcpp-httplib"), std::string::npos) << out;
  EXPECT_EQ(out.find("libbrotlienc"), std::string::npos) << out;
#if !defined(__SANITIZE_ADDRESS__)
  for (const char* lib : {"libstdc++", "libgcc_s", "libyaml-cpp", "libpugixml"})
    EXPECT_EQ(out.find(lib), std::string::npos) << lib << " is mapped:\n" << out;
#endif
  // `demo` is not in it; the runtime is.
  std::string help = Capture(pkg_ + "/lib/ld-linux-x86-64.so.2 --library-path " + pkg_ + "/lib " +
                                 pkg_ + "/bin/drsnap --help 2>&1",
                             &status);
  EXPECT_NE(help.find("lambda"), std::string::npos) << help;
  EXPECT_EQ(help.find("demo"), std::string::npos) << help;
}

TEST_F(PackageTest, EveryLibraryResolvesInsideThePackage) {
  int status = 0;
  std::string out = Capture(pkg_ + "/lib/ld-linux-x86-64.so.2 --library-path " + pkg_ +
                                "/lib --list " + pkg_ + "/bin/drsnap 2>&1",
                            &status);
  ASSERT_EQ(status, 0) << out;
  int resolved = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find("not found"), std::string::npos) << line;
    size_t arrow = line.find("=> ");
    if (arrow == std::string::npos) {
      // linux-vdso (no file) or an absolute path without "=>".
      size_t slash = line.find('/');
      if (slash != std::string::npos) ADD_FAILURE() << "unresolved through the package: " << line;
      continue;
    }
    std::string path = line.substr(arrow + 3, line.find(" (", arrow) - arrow - 3);
    EXPECT_TRUE(path.starts_with(pkg_ + "/lib/")) << line;
    ++resolved;
  }
  EXPECT_GE(resolved, 5) << out;  // libc, libcurl, libssl, libcrypto, the loader at least
  EXPECT_NE(out.find("libcurl"), std::string::npos);
  // The bootstrap runs the packaged loader, never the host's.
  std::string boot = ReadFile(pkg_ + "/bootstrap");
  EXPECT_NE(boot.find("/lib/ld-linux-x86-64.so.2\" --library-path"), std::string::npos) << boot;
  EXPECT_TRUE(fs::exists(pkg_ + "/drsnap.yaml"));
}

TEST_F(PackageTest, BootstrapServesEveryEventShapeUnderAnEmptyEnvironment) {
  testing::FakeRuntimeApi api;
  const long long far = MsFromNow(std::chrono::minutes(15));
  std::string near_id =
      api.Push(testing::EventFixture("scheduled.json"), MsFromNow(std::chrono::seconds(1)));
  std::string junk_id = api.Push("{\"Records\": [{\"Sns\": {\"Message\": \"{nope\"}}]}", far);
  std::string reboot_id = api.Push(testing::EventFixture("eventbridge_instance_reboot.json"), far);
  std::string auto_id = api.Push(testing::EventFixture("eventbridge_automated_snapshot.json"), far);
  std::string sched_id = api.Push(testing::EventFixture("scheduled.json"), far);
  std::string sns_id = api.Push(testing::EventFixture("sns_rds_subscription.json"), far);
  std::string fwd_id = api.Push(testing::EventFixture("drsnap_forwarded_shared.json"), far);

  pid_t pid = StartBootstrap(LambdaEnv(api.address()));
  ASSERT_GT(pid, 0);
  auto outcomes = api.WaitForOutcomes(7, 120000);
  kill(pid, SIGTERM);
  WaitExit(pid, 10);
  std::string log = ReadFile(dir_ + "/bootstrap.log");
  ASSERT_EQ(outcomes.size(), 7u) << log;
  EXPECT_TRUE(api.init_errors().empty()) << log;

  std::map<std::string, json> by_id;
  for (const auto& o : outcomes) {
    EXPECT_FALSE(o.error) << o.request_id << " " << o.error_type << " " << o.body << "\n" << log;
    by_id[o.request_id] = json::parse(o.body, nullptr, false);
  }
  json near = by_id[near_id];
  EXPECT_EQ(near["run"], "full");
  EXPECT_TRUE(near["deadline_reached"].get<bool>()) << near;
  EXPECT_EQ(near["done"], 0);
  EXPECT_FALSE(near["left"].empty());
  EXPECT_EQ(by_id[junk_id]["run"], "none");
  EXPECT_EQ(by_id[reboot_id]["run"], "none");
  EXPECT_EQ(by_id[auto_id]["run"], "database");
  EXPECT_EQ(by_id[auto_id]["only_db"], "orders-db");
  EXPECT_GE(by_id[auto_id]["done"].get<int>(), 1) << by_id[auto_id];
  EXPECT_EQ(by_id[sched_id]["run"], "full");
  EXPECT_GE(by_id[sched_id]["done"].get<int>(), 1) << by_id[sched_id];  // ledger's capture
  EXPECT_EQ(by_id[sns_id]["only_db"], "orders-db");
  EXPECT_EQ(by_id[fwd_id]["only_db"], "orders-db");
  EXPECT_EQ(by_id[fwd_id]["side"], "source");

  // The sim saw the captures, made with the environment's credentials.
  int captures = 0;
  for (const auto& s : Owned(*sim_, {testing::kProdAccount, "us-east-1"}))
    if (s.id.starts_with("drsnap-")) ++captures;
  EXPECT_EQ(captures, 2);
  // JSON log lines (DRSNAP_LOG_FORMAT=json).
  std::istringstream lines(log);
  int json_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    ++json_lines;
  }
  EXPECT_GE(json_lines, 7);
}

TEST_F(PackageTest, BadPolicyIsAnInitError) {
  std::ofstream(dir_ + "/bad.yaml") << "version: 1\npolicies:\n  main:\n    retension: {}\n";
  testing::FakeRuntimeApi api;
  auto vars = LambdaEnv(api.address());
  vars.push_back("DRSNAP_CONFIG=" + dir_ + "/bad.yaml");
  pid_t pid = StartBootstrap(vars);
  ASSERT_GT(pid, 0);
  int code = WaitExit(pid, 60);
  if (code < 0) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
  EXPECT_EQ(code, 2) << ReadFile(dir_ + "/bootstrap.log");
  auto errs = api.init_errors();
  ASSERT_EQ(errs.size(), 1u) << ReadFile(dir_ + "/bootstrap.log");
  json e = json::parse(errs[0], nullptr, false);
  ASSERT_FALSE(e.is_discarded()) << errs[0];
  EXPECT_EQ(e["errorType"], "drsnap.ConfigInvalid");
  EXPECT_NE(e["errorMessage"].get<std::string>().find("bad.yaml"), std::string::npos) << errs[0];
}

// The watch's wake-up, wired as the templates wire it: DRSNAP_WAKE_* name
// the group and role, the function is the one the Runtime API names, and
// the schedule is created on EventBridge Scheduler (a loopback fake here,
// through AWS_ENDPOINT_URL_SCHEDULER). drsnap-sim's clock stands still, so
// the cluster capture never ends; 20 s left leave no poll (15 s + the 10 s
// margin): the wake-up is the short default.
TEST_F(PackageTest, AClusterCopyInFlightSchedulesAWakeUpOfTheInvokedFunction) {
  httplib::Server scheduler;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> requests;  // path, body
  std::string authorization;
  scheduler.Post(R"(/schedules/(.*))", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    requests.emplace_back(req.path, req.body);
    authorization = req.get_header_value("Authorization");
    res.set_content(R"({"ScheduleArn":"arn:aws:scheduler:us-east-1:111111111111:schedule/g/n"})",
                    "application/json");
  });
  int port = scheduler.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { scheduler.listen_after_bind(); });
  while (!scheduler.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  testing::FakeRuntimeApi api;
  api.Push(testing::EventFixture("eventbridge_cluster_snapshot.json"),
           MsFromNow(std::chrono::seconds(20)));
  auto vars = LambdaEnv(api.address());
  std::erase(vars, std::string("DRSNAP_WATCH=off"));
  vars.push_back("DRSNAP_WAKE_SCHEDULE_GROUP=drsnap-watch-source-us-east-1");
  vars.push_back(
      "DRSNAP_WAKE_ROLE_ARN=arn:aws:iam::111111111111:role/drsnap-wake-source-us-east-1");
  vars.push_back("AWS_ENDPOINT_URL_SCHEDULER=http://127.0.0.1:" + std::to_string(port));
  pid_t pid = StartBootstrap(vars);
  ASSERT_GT(pid, 0);
  auto outcomes = api.WaitForOutcomes(1, 60000);
  kill(pid, SIGTERM);
  WaitExit(pid, 10);
  scheduler.stop();
  serving.join();
  std::string log = ReadFile(dir_ + "/bootstrap.log");
  ASSERT_EQ(outcomes.size(), 1u) << log;
  EXPECT_FALSE(outcomes[0].error) << outcomes[0].body << "\n" << log;
  json b = json::parse(outcomes[0].body, nullptr, false);
  ASSERT_FALSE(b.is_discarded()) << outcomes[0].body;
  EXPECT_EQ(b["watch"]["wake_up"]["scheduled"], true) << outcomes[0].body << "\n" << log;

  std::lock_guard lock(mu);
  ASSERT_EQ(requests.size(), 1u) << log;
  EXPECT_EQ(requests[0].first,
            "/schedules/" + b["watch"]["wake_up"]["schedule"].get<std::string>());
  EXPECT_NE(authorization.find("/us-east-1/scheduler/aws4_request"), std::string::npos)
      << authorization;
  json body = json::parse(requests[0].second, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << requests[0].second;
  EXPECT_EQ(body["GroupName"], "drsnap-watch-source-us-east-1");
  EXPECT_EQ(body["Target"]["Arn"], "arn:aws:lambda:us-east-1:111111111111:function:drsnap");
  EXPECT_EQ(body["Target"]["RoleArn"],
            "arn:aws:iam::111111111111:role/drsnap-wake-source-us-east-1");
  EXPECT_EQ(body["ActionAfterCompletion"], "DELETE");
  auto triggers = DecodeEvent(body["Target"]["Input"].get<std::string>());
  ASSERT_EQ(triggers.size(), 1u);
  EXPECT_EQ(triggers[0].event_id, "watch-wake-up");
}

TEST_F(PackageTest, AHalfConfiguredWakeUpIsAnInitError) {
  testing::FakeRuntimeApi api;
  auto vars = LambdaEnv(api.address());
  vars.push_back("DRSNAP_WAKE_SCHEDULE_GROUP=drsnap-watch-source-us-east-1");
  pid_t pid = StartBootstrap(vars);
  ASSERT_GT(pid, 0);
  int code = WaitExit(pid, 60);
  if (code < 0) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
  EXPECT_EQ(code, 2) << ReadFile(dir_ + "/bootstrap.log");
  auto errs = api.init_errors();
  ASSERT_EQ(errs.size(), 1u) << ReadFile(dir_ + "/bootstrap.log");
  json e = json::parse(errs[0], nullptr, false);
  ASSERT_FALSE(e.is_discarded()) << errs[0];
  EXPECT_EQ(e["errorType"], "drsnap.ConfigInvalid");
  EXPECT_NE(e["errorMessage"].get<std::string>().find("DRSNAP_WAKE_ROLE_ARN"), std::string::npos)
      << errs[0];
}

}  // namespace
}  // namespace drsnap::lambda
