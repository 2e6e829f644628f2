#include "aws/tests/creds_test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace drsnap::aws::creds_testing {

TimePoint TestEpoch() {
  // 2026-11-25T12:00:00Z
  return TimePoint(std::chrono::seconds(1795608000));
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "drsnap-creds-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& text) const {
  std::filesystem::path p = std::filesystem::path(path_) / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  return p.string();
}

Result<HttpResponse> FakeTransport::Send(const HttpRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
  }
  return handler_(request);
}

std::vector<HttpRequest> FakeTransport::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// An StsApi bound to one caller and region, recording into a FakeSts.
class BoundSts final : public StsApi {
 public:
  BoundSts(FakeSts* sts, std::shared_ptr<CredentialsProvider> caller, std::string region)
      : sts_(sts), caller_(std::move(caller)), region_(std::move(region)) {}

  Result<Credentials> AssumeRole(const AssumeRoleParams& p) override {
    FakeSts::Call call;
    call.action = "AssumeRole";
    call.region = region_;
    call.assume = p;
    if (!caller_) return Fail(Error::Terminal("MissingCredentials", "unsigned AssumeRole"));
    auto signer = caller_->Get();
    if (!signer) return Fail(std::move(signer).error());
    call.caller_key = signer->access_key_id;
    return sts_->Issue(std::move(call), p.role_arn);
  }

  Result<Credentials> AssumeRoleWithWebIdentity(const WebIdentityParams& p) override {
    FakeSts::Call call;
    call.action = "AssumeRoleWithWebIdentity";
    call.region = region_;
    call.web = p;
    return sts_->Issue(std::move(call), p.role_arn);
  }

  Result<CallerIdentity> GetCallerIdentity() override { return sts_->GetCallerIdentity(); }

 private:
  FakeSts* sts_;
  std::shared_ptr<CredentialsProvider> caller_;
  std::string region_;
};

StsFactory FakeSts::Factory() {
  return [this](std::shared_ptr<CredentialsProvider> caller, const std::string& region) {
    return std::make_shared<BoundSts>(this, std::move(caller), region);
  };
}

Result<Credentials> FakeSts::Issue(Call call, const std::string& role_arn) {
  int n = ++count_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(call);
    if (!fail_code_.empty()) return Fail(Error::Terminal(fail_code_, "fake STS failure"));
  }
  std::string role = role_arn.substr(role_arn.rfind('/') + 1);
  Credentials c;
  c.access_key_id = "AKIA-" + role + "-" + std::to_string(n);
  c.secret_access_key = "secret-" + role;
  c.session_token = "token-" + role;
  c.expiration = clock_->Now() + lifetime;
  return c;
}

Result<Credentials> FakeSts::AssumeRole(const AssumeRoleParams& p) {
  Call call;
  call.action = "AssumeRole";
  call.assume = p;
  return Issue(std::move(call), p.role_arn);
}

Result<Credentials> FakeSts::AssumeRoleWithWebIdentity(const WebIdentityParams& p) {
  Call call;
  call.action = "AssumeRoleWithWebIdentity";
  call.web = p;
  return Issue(std::move(call), p.role_arn);
}

Result<CallerIdentity> FakeSts::GetCallerIdentity() {
  return CallerIdentity{"111111111111", "arn:aws:iam::111111111111:user/test", "AIDTEST"};
}

std::vector<FakeSts::Call> FakeSts::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

void FakeSts::FailWith(std::string code) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_code_ = std::move(code);
}

}  // namespace drsnap::aws::creds_testing
