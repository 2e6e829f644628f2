// Fakes and helpers for the credentials, endpoint and session tests: a
// scratch directory, a scripted HTTP transport and a fake STS.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/sts_api.h"
#include "core/clock.h"

namespace drsnap::aws::creds_testing {

// 2026-11-25T12:00:00Z, the start of every fake clock here.
TimePoint TestEpoch();

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` to path()/name (creating parent folders) and returns the path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

// Answers each request with `handler`; records every request. Thread-safe.
class FakeTransport final : public HttpTransport {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}
  Result<HttpResponse> Send(const HttpRequest& request) override;
  std::vector<HttpRequest> requests() const;

 private:
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

HttpResponse Reply(int status, std::string body);

// A fake STS: AssumeRole gets the caller's credentials (as signing would)
// and returns keys named after the role ("AKIA-<role name>-<n>") that
// expire `lifetime` after clock->Now().
class FakeSts final : public StsApi {
 public:
  struct Call {
    std::string action;  // "AssumeRole", "AssumeRoleWithWebIdentity"
    std::string region;
    std::string caller_key;  // access key id of the signing credentials ("" unsigned)
    AssumeRoleParams assume;
    WebIdentityParams web;
  };

  explicit FakeSts(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {}

  // The factory to give providers; each StsApi it builds records into this.
  StsFactory Factory();

  Result<Credentials> AssumeRole(const AssumeRoleParams&) override;
  Result<Credentials> AssumeRoleWithWebIdentity(const WebIdentityParams&) override;
  Result<CallerIdentity> GetCallerIdentity() override;

  std::vector<Call> calls() const;
  int count() const { return count_.load(); }
  // Error to return from the next calls (code empty: succeed).
  void FailWith(std::string code);
  Duration lifetime = std::chrono::hours(1);

 private:
  friend class BoundSts;
  Result<Credentials> Issue(Call call, const std::string& role_arn);

  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::string fail_code_;
  std::atomic<int> count_{0};
};

}  // namespace drsnap::aws::creds_testing
