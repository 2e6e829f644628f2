// The call pipeline every typed AWS client uses: serialize -> rate-limit ->
// sign -> send -> classify -> retry. Typed clients (rds.h, sts.h, kms.h) build
// parameters and decode bodies; everything about the wire lives here.
//
// Thread safety: a ServiceClient may be shared by many threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "aws/http.h"
#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws {

class RateLimiter;    // aws/rate_limiter.h
class RetryStrategy;  // aws/retry.h

// Where and how to reach one AWS service in one region.
struct ServiceEndpoint {
  std::string url;             // "https://rds.us-east-1.amazonaws.com" (no trailing slash)
  std::string signing_region;  // the SigV4 credential scope region
  std::string signing_name;    // "rds", "sts", "kms"
};

// Query protocol parameters, already flattened to wire names
// ("Filters.Filter.1.Values.Value.1"), in the order they were added.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The SDKs' "standard" retry mode.
struct RetryOptions {
  int max_attempts = 3;                               // including the first
  std::chrono::milliseconds base_delay{100};          // full jitter: rand(0, min(cap, base*2^n))
  std::chrono::milliseconds max_backoff{20000};
  int retry_quota = 500;                              // tokens; a retry costs 5 (10 for timeouts)
};

struct ClientContext {
  std::shared_ptr<HttpTransport> transport;  // null: NewCurlTransport() with default options
  std::shared_ptr<CredentialsProvider> credentials;
  std::shared_ptr<Clock> clock;              // signing time and backoff sleeps; null: DefaultClock()
  RetryOptions retry;
  std::shared_ptr<RateLimiter> rate_limiter; // may be null; shared per account-region
                                             // (RateLimiterRegistry::ForScope)
  std::function<double()> jitter;            // uniform [0,1); null: a thread-safe PRNG
  std::string user_agent = "drsnap/0.1";
};

class ServiceClient {
 public:
  ServiceClient(ClientContext ctx, ServiceEndpoint endpoint);
  ~ServiceClient();
  ServiceClient(const ServiceClient&) = delete;
  ServiceClient& operator=(const ServiceClient&) = delete;

  // Query protocol (RDS, STS): POST application/x-www-form-urlencoded
  // "Action=...&Version=...&<params>", SigV4-signed. Returns the body of a 2xx
  // response; otherwise the AWS error (code, message, request id, class),
  // after retries for retryable ones. The error's context names the action.
  Result<std::string> CallQuery(std::string_view action, std::string_view api_version,
                                const QueryParams& params);

  // JSON 1.1 protocol (KMS): POST with X-Amz-Target, returns a 2xx body.
  Result<std::string> CallJson(std::string_view target, const std::string& json_body);

  // REST-JSON protocol (EventBridge Scheduler): `method` on `path` (already
  // URI-encoded, starting with '/') with a JSON body (Content-Type
  // application/json), returns a 2xx body. AWS errors are decoded from the
  // JSON body and the x-amzn-ErrorType header. `operation` names the call in
  // errors ("CreateSchedule").
  Result<std::string> CallRestJson(std::string_view operation, std::string_view method,
                                   std::string_view path, const std::string& json_body);

  const ServiceEndpoint& endpoint() const { return endpoint_; }
  const ClientContext& context() const { return ctx_; }

 private:
  Result<std::string> Call(std::string_view operation, HttpRequest request, bool json);

  ClientContext ctx_;
  ServiceEndpoint endpoint_;
  std::unique_ptr<RetryStrategy> retry_;  // shared by all calls: holds the retry quota
};

// What ParseAwsError keeps out of the Error it returns.
struct AwsErrorDiagnosis {
  // AWS's own account of a signature mismatch (SignatureDoesNotMatch,
  // InvalidSignatureException): the canonical request and string to sign
  // it computed, redacted (aws/redact.h). For a debug log line; "" for
  // other errors.
  std::string signature_mismatch;
};

// Decodes an AWS error response (Query XML <ErrorResponse>/<Response><Errors>,
// or JSON {"__type","message"}) into an Error with its class set. Its
// message is AWS's, redacted of credential fields and of `known_secrets`
// (the caller's secret access key and session token; aws/redact.h), and
// without the canonical request and string to sign AWS appends to a
// signature mismatch: those go to `diagnosis` (when not null).
Error ParseAwsError(const HttpResponse& response, bool json,
                    const std::vector<std::string_view>& known_secrets = {},
                    AwsErrorDiagnosis* diagnosis = nullptr);

// The classification the SDKs use: throttling codes (Throttling,
// ThrottlingException, RequestLimitExceeded, TooManyRequestsException, ...),
// transient (5xx, RequestTimeout, ...), terminal otherwise.
ErrorClass ClassifyAwsError(std::string_view code, int http_status);

}  // namespace drsnap::aws
