// The AWS Lambda Runtime API client and the invocation loop of a custom
// runtime (provided.al2023): next invocation -> handler -> response or error.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
//
// Thread safety: one RuntimeClient serves one loop (Lambda sends one
// invocation at a time to a runtime process).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "aws/http.h"
#include "core/clock.h"
#include "core/error.h"

namespace drsnap::lambda {

struct Invocation {
  std::string request_id;    // Lambda-Runtime-Aws-Request-Id
  TimePoint deadline{};      // Lambda-Runtime-Deadline-Ms
  std::string trace_id;      // Lambda-Runtime-Trace-Id (X-Ray), "" when absent
  std::string function_arn;  // Lambda-Runtime-Invoked-Function-Arn
  std::string payload;       // the event
  // Set when the event was not read: it is larger than the client's
  // max_payload_bytes (code EventTooLarge, terminal; payload is then
  // empty). RunLoop reports it as this invocation's error without calling
  // the handler.
  std::optional<Error> payload_error;
};

// What a handler returns: a JSON body on success; an error type and message
// otherwise (reported to Lambda as a function error, so alarms see it).
struct HandlerResult {
  bool ok = true;
  std::string body = "{}";
  std::string error_type;     // "drsnap.ActionsFailed", ...
  std::string error_message;  // one sentence
};

using Handler = std::function<HandlerResult(const Invocation&)>;

// The largest invocation payload (event) the runtime accepts: 1 MiB. AWS
// sends at most 256 KB to an asynchronously invoked function (EventBridge,
// RDS events) and 6 MB synchronously; no event drsnap handles comes near
// 1 MiB, and a larger one would only cost the function's memory.
inline constexpr size_t kMaxEventPayloadBytes = size_t{1} << 20;
// The error type an invocation with a larger payload is reported with.
inline constexpr char kEventTooLargeErrorType[] = "drsnap.EventTooLarge";

class RuntimeClient {
 public:
  // api: the value of AWS_LAMBDA_RUNTIME_API ("127.0.0.1:9001"). The transport
  // must not time out a long-polling Next() (HttpOptions::total_timeout 0).
  // max_payload_bytes: the largest event Next() reads (see Invocation).
  RuntimeClient(std::string api, std::shared_ptr<aws::HttpTransport> transport,
                size_t max_payload_bytes = kMaxEventPayloadBytes);

  // Blocks until Lambda hands over the next event.
  Result<Invocation> Next();
  Status Respond(const std::string& request_id, const std::string& body);
  Status ReportError(const std::string& request_id, const std::string& type,
                     const std::string& message);
  // Before the first Next(): initialisation failed (bad config, ...). Lambda
  // then fails the invocation and restarts the runtime.
  Status ReportInitError(const std::string& type, const std::string& message);

 private:
  Result<aws::HttpResponse> Post(const std::string& path, const std::string& body,
                                 const std::string& error_type);
  std::string base_;
  std::shared_ptr<aws::HttpTransport> transport_;
  size_t max_payload_bytes_;
};

struct LoopOptions {
  // Stop after this many invocations (tests); 0 = forever, as on Lambda.
  int max_invocations = 0;
  // Consecutive failures to reach the Runtime API before giving up.
  int max_api_failures = 5;
};

// The environment variable the Lambda runtime contract puts the invocation's
// X-Ray trace header in, for instrumented code (X-Ray and OpenTelemetry SDKs).
inline constexpr char kTraceIdEnv[] = "_X_AMZN_TRACE_ID";

// The runtime's main loop. Before each handler call, sets _X_AMZN_TRACE_ID
// to that invocation's Lambda-Runtime-Trace-Id, or unsets it when the
// invocation has none (a previous invocation's trace must not leak into
// it). setenv is not thread-safe: the handler's threads must have finished
// when it returns, and nothing else may read the environment concurrently.
// A handler that throws is reported as an invocation error and the loop goes
// on. Returns the process exit code: 0 after max_invocations, 1 when the
// Runtime API is unreachable.
int RunLoop(RuntimeClient& client, const Handler& handler, const LoopOptions& options = {});

}  // namespace drsnap::lambda
