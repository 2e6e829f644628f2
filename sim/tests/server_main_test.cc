// The drsnap-sim binary: flags, the first stdout line, state saved on
// SIGTERM and loaded on the next start.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/tests/server_test_util.h"

extern char** environ;

namespace drsnap::sim {
namespace {

const std::string kBinary = std::string(DRSNAP_BINARY_DIR) + "/sim/drsnap-sim";

// A running drsnap-sim with its stdout on a pipe.
class SimProcess {
 public:
  explicit SimProcess(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    args.insert(args.begin(), kBinary);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, kBinary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
  }
  ~SimProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) std::fclose(out_);
  }

  std::string FirstLine() {
    char buf[512] = {0};
    if (out_ == nullptr || std::fgets(buf, sizeof(buf), out_) == nullptr) return {};
    return buf;
  }

  // Sends sig and returns the exit code (-1 when killed by a signal).
  int StopWith(int sig) {
    if (pid_ <= 0) return -2;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

std::string EndpointFrom(const std::string& line) {
  const std::string prefix = "drsnap-sim listening on ";
  if (!line.starts_with(prefix)) return {};
  std::string ep = line.substr(prefix.size());
  while (!ep.empty() && (ep.back() == '\n' || ep.back() == '\r')) ep.pop_back();
  return ep;
}

class SimMainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("drsnap-sim-main-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    world_ = (dir_ / "world.yaml").string();
    std::ofstream(world_) << testing::TestWorldText();
    http_ = aws::NewCurlTransport();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string world_;
  std::shared_ptr<aws::HttpTransport> http_;
};

TEST_F(SimMainTest, HelpAndBadFlags) {
  auto help = testing::RunCommand(kBinary + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--world FILE"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("/_sim/"), std::string::npos);
  auto bad = testing::RunCommand(kBinary + " --frobnicate");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("unknown flag --frobnicate"), std::string::npos) << bad.output;
  auto bad_rate = testing::RunCommand(kBinary + " --fail-rate 3");
  EXPECT_EQ(bad_rate.exit_code, 2);
  auto bad_world = testing::RunCommand(kBinary + " --world /nonexistent/world.yaml");
  EXPECT_EQ(bad_world.exit_code, 1);
}

TEST_F(SimMainTest, ServesSavesStateOnSigtermAndReloadsIt) {
  const std::string state = (dir_ / "state.json").string();
  std::string endpoint;
  {
    SimProcess p({"--port", "0", "--world", world_, "--state", state, "--throttle"});
    ASSERT_TRUE(p.started());
    endpoint = EndpointFrom(p.FirstLine());
    ASSERT_FALSE(endpoint.empty());
    auto who = testing::SignAndSend(
        *http_, testing::QueryRequest(endpoint, "GetCallerIdentity", "2011-06-15"),
        testing::ProdAccount().credentials(), "us-east-1", "sts");
    ASSERT_TRUE(who.has_value()) << who.error().ToString();
    EXPECT_EQ(who->status, 200) << who->body;
    auto faults = testing::Admin(*http_, endpoint, "GET", "/_sim/faults");
    ASSERT_TRUE(faults.has_value());
    EXPECT_EQ(nlohmann::json::parse(faults->body)["throttle"], true);
    auto advanced =
        testing::Admin(*http_, endpoint, "POST", "/_sim/time/advance", R"({"seconds":7200})");
    ASSERT_TRUE(advanced.has_value());
    ASSERT_EQ(advanced->status, 200);
    EXPECT_EQ(p.StopWith(SIGTERM), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(state));
  {
    SimProcess p({"--port", "0", "--state", state});
    endpoint = EndpointFrom(p.FirstLine());
    ASSERT_FALSE(endpoint.empty());
    auto t = testing::Admin(*http_, endpoint, "GET", "/_sim/time");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(nlohmann::json::parse(t->body)["now"], "2026-11-20T02:00:00.000Z") << t->body;
    EXPECT_EQ(p.StopWith(SIGINT), 0);
  }
}

}  // namespace
}  // namespace drsnap::sim
