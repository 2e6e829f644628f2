// The drsnap binary's `validate` and `version` commands. validate loads and
// checks the policy and makes no AWS call: every AWS endpoint points at a
// loopback socket this test listens on, and no connection may arrive.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "testing/child_process.h"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kDrsnap = std::string(DRSNAP_BINARY_DIR) + "/cli/drsnap";
const std::string kTestdata = std::string(DRSNAP_SOURCE_DIR) + "/testdata/config";

struct Ran {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A listening loopback socket: where every AWS endpoint points.
class Trap {
 public:
  Trap() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  ~Trap() { close(fd_); }
  const std::string& url() const { return url_; }
  // Connections made so far (accepted and closed).
  int Connections() {
    int n = 0;
    for (int c; (c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ++n) close(c);
    return n;
  }

 private:
  int fd_ = -1;
  std::string url_;
};

class ValidateProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("drsnap-validate-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    if (expect_no_aws_) {
      EXPECT_EQ(trap_.Connections(), 0) << "drsnap called an AWS endpoint";
    }
  }

  pid_t Spawn(std::vector<std::string> args, std::vector<std::string> extra_env = {}) {
    std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
    std::vector<std::string> env = {
        "PATH=/usr/bin:/bin",
        "HOME=" + dir_.string(),
        "AWS_EC2_METADATA_DISABLED=true",
        "AWS_ENDPOINT_URL=" + trap_.url(),
        "AWS_CONFIG_FILE=" + (dir_ / "no-config").string(),
        "AWS_SHARED_CREDENTIALS_FILE=" + (dir_ / "no-credentials").string(),
    };
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return drsnap::testing::SpawnProcess(kDrsnap, std::move(args), std::move(env), out, err).pid;
  }

  Ran Wait(pid_t pid) {
    Ran r;
    r.code = drsnap::testing::WaitProcess(drsnap::testing::ChildProcess{pid, "", ""});
    r.out = Slurp((dir_ / "out").string());
    r.err = Slurp((dir_ / "err").string());
    return r;
  }

  Ran Run(std::vector<std::string> args) { return Wait(Spawn(std::move(args))); }

  std::filesystem::path dir_;
  Trap trap_;
  bool expect_no_aws_ = true;
};

TEST_F(ValidateProcessTest, VersionFlagAndCommandPrintTheVersion) {
  Ran flag = Run({"--version"});
  EXPECT_EQ(flag.code, 0) << flag.err;
  EXPECT_TRUE(std::regex_match(flag.out, std::regex("drsnap [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << flag.out;
  Ran cmd = Run({"version"});
  EXPECT_EQ(cmd.code, 0) << cmd.err;
  EXPECT_EQ(cmd.out, flag.out);
  EXPECT_EQ(flag.err, "");
}

TEST_F(ValidateProcessTest, AValidPolicyIsSummarised) {
  Ran r = Run({"validate", "--config", kTestdata + "/example.yaml"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("valid: 2 policies, 3 accounts, "));
  EXPECT_THAT(r.out, HasSubstr("example.yaml"));
  EXPECT_EQ(r.err, "");
}

TEST_F(ValidateProcessTest, AnInvalidPolicyIsFileLineColAndExit2) {
  std::string path = kTestdata + "/bad/unknown_region.yaml";
  Ran r = Run({"validate", "--config", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, StartsWith(path + ":9:15: 'us-east-3' in 'source' of policy 'orders'"));
  EXPECT_EQ(r.out, "");
}

TEST_F(ValidateProcessTest, EveryProblemIsOnItsOwnLine) {
  std::string path = (dir_ / "two.yaml").string();
  std::ofstream(path) << "accounts: {a: {id: \"1\"}}\npolicies: {p: {rpo: 1x}}\n";
  Ran r = Run({"validate", "--config", path});
  EXPECT_EQ(r.code, 2);
  std::istringstream lines(r.err);
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n)
    EXPECT_TRUE(std::regex_search(line, std::regex("^" + path + ":[0-9]+:[0-9]+: "))) << line;
  EXPECT_GE(n, 2) << r.err;
}

TEST_F(ValidateProcessTest, NotARegularFileIsExit2) {
  Ran dev = Run({"validate", "--config", "/dev/urandom"});
  EXPECT_EQ(dev.code, 2);
  EXPECT_THAT(dev.err, HasSubstr("/dev/urandom is not a regular file"));
  Ran dir = Run({"validate", "--config", dir_.string()});
  EXPECT_EQ(dir.code, 2);
  EXPECT_THAT(dir.err, HasSubstr(dir_.string() + " is a directory"));
}

TEST_F(ValidateProcessTest, ForLambdaRefusesProfileAccounts) {
  // example.yaml's account prod uses profile: prod-admin.
  Ran r = Run({"validate", "--config", kTestdata + "/example.yaml", "--for", "lambda"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("example.yaml:"));
  EXPECT_THAT(r.err, HasSubstr("account 'prod' uses 'profile: prod-admin'"));
  EXPECT_THAT(r.err, HasSubstr("role_arn"));
  std::string ok = (dir_ / "roles.yaml").string();
  std::ofstream(ok) << R"(accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222", role_arn: "arn:aws:iam::222222222222:role/drsnap-read"}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: prod, region: us-east-1, from: snapshot}
    rpo: 4h
    targets: [{account: vault, regions: {eu-west-1: {kms_key: alias/dr}}}]
)";
  Ran good = Run({"validate", "--config", ok, "--for", "lambda"});
  EXPECT_EQ(good.code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("usable in AWS Lambda"));
}

// The control: the trap does see a command that calls AWS (plan), so the
// tests above show that validate calls nothing.
TEST_F(ValidateProcessTest, TheTrapSeesACommandThatCallsAws) {
  expect_no_aws_ = false;
  std::string path = (dir_ / "p.yaml").string();
  std::ofstream(path) << R"(accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  p:
    databases: {names: ["*"]}
    source: {account: prod, region: us-east-1, from: snapshot}
    rpo: 4h
    targets: [{account: vault, regions: {eu-west-1: {kms_key: alias/dr}}}]
)";
  pid_t pid = Spawn({"plan", "--config", path},
                    {"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret"});
  // The trap never answers: wait for the first connection (or for plan to
  // end without one), then stop plan.
  int connections = 0;
  for (int status = 0; connections == 0 && waitpid(pid, &status, WNOHANG) == 0;) {
    connections = trap_.Connections();
    if (connections == 0) usleep(10'000);
  }
  kill(pid, SIGKILL);
  Wait(pid);
  EXPECT_GT(connections, 0);
}

TEST_F(ValidateProcessTest, UnknownForIsAUsageError) {
  Ran r = Run({"validate", "--config", kTestdata + "/example.yaml", "--for", "ec2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--for 'ec2' is not lambda"));
}

}  // namespace
