#include "aws/client.h"

#include <atomic>

#include "aws/encoding.h"
#include "aws/rate_limiter.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "core/log.h"

namespace drsnap::aws {

namespace {

bool Is2xx(int status) { return status >= 200 && status < 300; }

// "TrentService.DescribeKey" -> "DescribeKey".
std::string_view OperationOfTarget(std::string_view target) {
  auto dot = target.rfind('.');
  return dot == std::string_view::npos ? target : target.substr(dot + 1);
}

// AWS's canonical request and string to sign for a rejected signature, at
// debug level, for the first mismatch of the process only: every later one
// (each call of a run with a wrong secret fails alike) would repeat it.
void LogSignatureDiagnosisOnce(std::string_view operation, const std::string& endpoint,
                               const std::string& redacted_diagnosis) {
  static std::atomic<bool> logged{false};
  if (!Log().Enabled(LogLevel::kDebug) || logged.exchange(true)) return;
  LogDebug(
      "AWS rejected a request signature; its canonical request and string to sign, to compare "
      "with drsnap's (credential values redacted; later mismatches are not logged)",
      {{"operation", std::string(operation)},
       {"endpoint", endpoint},
       {"aws_diagnosis", redacted_diagnosis}});
}

}  // namespace

ServiceClient::ServiceClient(ClientContext ctx, ServiceEndpoint endpoint)
    : ctx_(std::move(ctx)), endpoint_(std::move(endpoint)) {
  if (!ctx_.clock) ctx_.clock = DefaultClock();
  if (!ctx_.transport) {
    HttpOptions o;
    o.user_agent = ctx_.user_agent;
    ctx_.transport = NewCurlTransport(o);
  }
  while (!endpoint_.url.empty() && endpoint_.url.back() == '/') endpoint_.url.pop_back();
  retry_ = std::make_unique<RetryStrategy>(ctx_.retry, ctx_.jitter);
}

ServiceClient::~ServiceClient() = default;

Result<std::string> ServiceClient::CallQuery(std::string_view action, std::string_view api_version,
                                             const QueryParams& params) {
  QueryParams all;
  all.reserve(params.size() + 2);
  all.emplace_back("Action", std::string(action));
  all.emplace_back("Version", std::string(api_version));
  all.insert(all.end(), params.begin(), params.end());
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint_.url + "/";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  req.body = FormUrlEncodeParams(all);
  return Call(action, std::move(req), /*json=*/false);
}

Result<std::string> ServiceClient::CallJson(std::string_view target, const std::string& json_body) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint_.url + "/";
  req.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", std::string(target)}};
  req.body = json_body.empty() ? "{}" : json_body;
  return Call(OperationOfTarget(target), std::move(req), /*json=*/true);
}

Result<std::string> ServiceClient::CallRestJson(std::string_view operation, std::string_view method,
                                                std::string_view path,
                                                const std::string& json_body) {
  HttpRequest req;
  req.method = std::string(method);
  req.url = endpoint_.url + std::string(path);
  req.headers = {{"Content-Type", "application/json"}};
  req.body = json_body;
  return Call(operation, std::move(req), /*json=*/true);
}

Result<std::string> ServiceClient::Call(std::string_view operation, HttpRequest request,
                                        bool json) {
  const std::string where = endpoint_.url;
  if (!ctx_.user_agent.empty()) request.headers.emplace_back("User-Agent", ctx_.user_agent);
  if (!ctx_.credentials) {
    return Fail(Error::Terminal("NoCredentialsProvider",
                                "the client was built without a credentials provider")
                    .With(std::string(operation))
                    .With(where));
  }
  const SigningScope scope{endpoint_.signing_region, endpoint_.signing_name};
  int last_retry_cost = 0;
  for (int attempt = 1;; ++attempt) {
    if (ctx_.rate_limiter) ctx_.rate_limiter->Acquire();

    // Fetched per attempt: a backoff may outlive temporary credentials.
    Result<Credentials> creds = ctx_.credentials->Get();
    if (!creds) {
      return Fail(std::move(creds).error().With(std::string(operation)).With(where));
    }
    HttpRequest signed_request = request;
    SignRequest(signed_request, *creds, scope, ctx_.clock->Now());

    Result<HttpResponse> resp = ctx_.transport->Send(signed_request);
    Error error;
    if (resp && Is2xx(resp->status)) {
      if (ctx_.rate_limiter) ctx_.rate_limiter->OnSuccess();
      retry_->OnSuccess(last_retry_cost);
      return std::move(resp->body);
    }
    if (resp) {
      AwsErrorDiagnosis diagnosis;
      error =
          ParseAwsError(*resp, json, {creds->secret_access_key, creds->session_token}, &diagnosis);
      if (!diagnosis.signature_mismatch.empty()) {
        LogSignatureDiagnosisOnce(operation, where, diagnosis.signature_mismatch);
      }
      if (ctx_.rate_limiter) {
        if (error.throttling()) {
          ctx_.rate_limiter->OnThrottle();
        } else {
          ctx_.rate_limiter->OnSuccess();
        }
      }
    } else {
      error = std::move(resp).error();
    }

    RetryStrategy::Decision d = retry_->OnFailure(error, attempt);
    if (!d.retry) {
      std::string what(operation);
      if (attempt > 1 || !d.stop_reason.empty()) {
        what += " (" + std::to_string(attempt) + (attempt == 1 ? " attempt" : " attempts");
        if (!d.stop_reason.empty()) what += ", " + d.stop_reason;
        what += ")";
      }
      return Fail(std::move(error).With(std::move(what)).With(where));
    }
    last_retry_cost = d.quota_cost;
    ctx_.clock->SleepFor(d.delay);
  }
}

}  // namespace drsnap::aws
