// End to end: profiles, roles and web identity resolved by a Session, with
// the real StsClient (aws/sts.h) and libcurl talking to moto's STS on a
// loopback port. GetCallerIdentity with the resulting credentials proves
// which identity they belong to.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "aws/endpoints.h"
#include "aws/session.h"
#include "aws/sts.h"
#include "aws/tests/creds_test_util.h"
#include "aws/tests/http_test_util.h"

extern char** environ;

namespace drsnap::aws {
namespace {

using ::testing::HasSubstr;

bool CanConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// `python3 -m moto.server` on 127.0.0.1:<free port>, stopped (by its pid) at
// the end of the test suite.
class MotoServer {
 public:
  MotoServer() {
    port_ = testing::UnusedLoopbackPort();
    std::string port = std::to_string(port_);
    const char* argv[] = {"python3",   "-m", "moto.server", "-H",
                          "127.0.0.1", "-p", port.c_str(),  nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid_, "python3", &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = 0;
      return;
    }
    // Wait for the port (importing moto takes a few seconds on a busy box).
    for (int i = 0; i < 1200 && !CanConnect(port_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ready_ = CanConnect(port_);
  }
  ~MotoServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  bool ready() const { return ready_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
  bool ready_ = false;
};

class MotoCredentialsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  MotoCredentialsTest() : env_(std::make_shared<MapEnvironment>()) {
    env_->Set("HOME", home_.path());
    env_->Set("AWS_EC2_METADATA_DISABLED", "true");
    env_->Set("AWS_ENDPOINT_URL", moto_->url());
    HttpOptions o;
    o.env = std::make_shared<MapEnvironment>();  // no proxies
    transport_ = NewCurlTransport(o);
  }

  Result<std::shared_ptr<Session>> Create(SessionOptions o = {}) {
    StsFactory sts =
        MakeStsFactory(transport_, clock_, MakeEndpointResolver("sts", env_, o.profile));
    o.metadata_transport = transport_;
    return Session::Create(o, env_, clock_, transport_, sts);
  }

  // Who the session's credentials belong to, according to STS.
  Result<CallerIdentity> WhoAmI(const Session& s) {
    return s.sts_factory()(s.credentials(), s.region())->GetCallerIdentity();
  }

  static MotoServer* moto_;
  creds_testing::TempDir home_;
  std::shared_ptr<MapEnvironment> env_;
  std::shared_ptr<Clock> clock_ = std::make_shared<SystemClock>();
  std::shared_ptr<HttpTransport> transport_;
};

MotoServer* MotoCredentialsTest::moto_ = nullptr;

TEST_F(MotoCredentialsTest, ProfileRoleWithSourceProfile) {
  ASSERT_TRUE(moto_->ready()) << "moto did not start (python3 -m moto.server)";
  home_.Write(".aws/config",
              "[profile dr]\n"
              "region = eu-west-1\n"
              "role_arn = arn:aws:iam::123456789012:role/DrsnapVault\n"
              "source_profile = base\n"
              "external_id = ext-1\n"
              "role_session_name = moto-session\n"
              "duration_seconds = 900\n");
  home_.Write(".aws/credentials",
              "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
              "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
  env_->Set("AWS_PROFILE", "dr");
  auto s = Create();
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ((*s)->region(), "eu-west-1");
  auto c = (*s)->credentials()->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_NE(c->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_FALSE(c->session_token.empty());
  ASSERT_TRUE(c->expiration);
  EXPECT_GT(*c->expiration, clock_->Now());
  auto who = WhoAmI(**s);
  ASSERT_TRUE(who) << who.error().ToString();
  EXPECT_EQ(who->account, "123456789012");
  EXPECT_EQ(who->arn, "arn:aws:sts::123456789012:assumed-role/DrsnapVault/moto-session");
}

TEST_F(MotoCredentialsTest, AssumeRoleIntoAnotherAccount) {
  ASSERT_TRUE(moto_->ready()) << "moto did not start (python3 -m moto.server)";
  env_->Set("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
  env_->Set("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  env_->Set("AWS_REGION", "us-west-2");
  auto base = Create();
  ASSERT_TRUE(base) << base.error().ToString();
  auto other = (*base)->AssumeRole(
      {.role_arn = "arn:aws:iam::210987654321:role/DrsnapSource", .external_id = "x-42"});
  ASSERT_TRUE(other) << other.error().ToString();
  auto who = WhoAmI(**other);
  ASSERT_TRUE(who) << who.error().ToString();
  EXPECT_EQ(who->account, "210987654321");
  EXPECT_EQ(who->arn, "arn:aws:sts::210987654321:assumed-role/DrsnapSource/drsnap");
}

TEST_F(MotoCredentialsTest, WebIdentityFromEnvironment) {
  ASSERT_TRUE(moto_->ready()) << "moto did not start (python3 -m moto.server)";
  env_->Set("AWS_REGION", "us-east-1");
  env_->Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.Write("token", "eyJhbGciOi.fake.jwt\n"));
  env_->Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/PodRole");
  env_->Set("AWS_ROLE_SESSION_NAME", "pod-1");
  auto s = Create();
  ASSERT_TRUE(s) << s.error().ToString();
  auto c = (*s)->credentials()->Get();
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_FALSE(c->session_token.empty());
  auto who = WhoAmI(**s);
  ASSERT_TRUE(who) << who.error().ToString();
  EXPECT_THAT(who->arn, HasSubstr("assumed-role/PodRole/pod-1"));
}

}  // namespace
}  // namespace drsnap::aws
