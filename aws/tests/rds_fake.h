// Test helpers for the typed clients (rds, sts, kms tests): a scripted fake
// HttpTransport that records every request, recorded AWS response bodies
// from testdata/aws_responses/, and a ServiceClient wired to them.
// Header-only on purpose: every aws test binary links tests/*_util.cc, and
// only the typed-client tests need these.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "aws/http.h"
#include "aws/query.h"
#include "core/clock.h"
#include "core/time_util.h"

namespace drsnap::aws::rdstest {

// The contents of testdata/aws_responses/<name>; aborts the test binary
// (with a message) when the file cannot be read.
std::string Fixture(std::string_view name);

// Answers requests from a queue of scripted responses (or a handler when
// the queue is empty) and records every request it was sent.
class FakeTransport final : public HttpTransport {
 public:
  // Queues a response with this status and body (and optional headers).
  void Push(int status, std::string body, HttpHeaders headers = {});
  // Used when the queue is empty; without one, an empty queue answers 599.
  void SetHandler(std::function<HttpResponse(const HttpRequest&)> handler);

  Result<HttpResponse> Send(const HttpRequest& request) override;

  std::vector<HttpRequest> requests() const;
  size_t request_count() const;
  HttpRequest last_request() const;

 private:
  mutable std::mutex mu_;
  std::deque<HttpResponse> queue_;
  std::function<HttpResponse(const HttpRequest&)> handler_;
  std::vector<HttpRequest> requests_;
};

// Fixed test credentials and the 2026-11-23T12:00:00Z fake clock.
Credentials TestCredentials();
TimePoint TestNow();

// A ServiceClient for `service` in `region` at endpoint `url`, over
// `transport`, signing with TestCredentials() at TestNow(), with one
// attempt only (no retries) unless max_attempts says otherwise.
std::shared_ptr<ServiceClient> MakeClient(std::shared_ptr<HttpTransport> transport,
                                          std::string service, std::string region, std::string url,
                                          int max_attempts = 1);

// The form parameters of a Query request body, in order.
QueryParams BodyParams(const HttpRequest& request);

// --- implementation ---

inline std::string Fixture(std::string_view name) {
  std::string path =
      std::string(DRSNAP_SOURCE_DIR) + "/testdata/aws_responses/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read test fixture %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void FakeTransport::Push(int status, std::string body, HttpHeaders headers) {
  std::lock_guard<std::mutex> lock(mu_);
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  queue_.push_back(std::move(r));
}

inline void FakeTransport::SetHandler(std::function<HttpResponse(const HttpRequest&)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

inline Result<HttpResponse> FakeTransport::Send(const HttpRequest& request) {
  std::function<HttpResponse(const HttpRequest&)> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (!queue_.empty()) {
      HttpResponse r = std::move(queue_.front());
      queue_.pop_front();
      return r;
    }
    handler = handler_;
  }
  if (handler) return handler(request);
  HttpResponse r;
  r.status = 599;
  r.body = "no scripted response left";
  return r;
}

inline std::vector<HttpRequest> FakeTransport::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

inline size_t FakeTransport::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

inline HttpRequest FakeTransport::last_request() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.empty() ? HttpRequest{} : requests_.back();
}

inline Credentials TestCredentials() {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.source = "test";
  return c;
}

inline TimePoint TestNow() { return *ParseIso8601("2026-11-23T12:00:00Z"); }

inline std::shared_ptr<ServiceClient> MakeClient(std::shared_ptr<HttpTransport> transport,
                                                 std::string service, std::string region,
                                                 std::string url, int max_attempts) {
  ClientContext ctx;
  ctx.transport = std::move(transport);
  ctx.credentials = std::make_shared<StaticCredentialsProvider>(TestCredentials());
  ctx.clock = std::make_shared<FakeClock>(TestNow());
  ctx.retry.max_attempts = max_attempts;
  ctx.jitter = [] { return 0.0; };
  return std::make_shared<ServiceClient>(
      std::move(ctx), ServiceEndpoint{std::move(url), std::move(region), std::move(service)});
}

inline QueryParams BodyParams(const HttpRequest& request) { return ParseFormBody(request.body); }

}  // namespace drsnap::aws::rdstest
