#include "lambda/runtime.h"

#include <charconv>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>

#include "core/log.h"

namespace drsnap::lambda {
namespace {

constexpr const char* kVersion = "/2018-06-01";

std::string ErrorBody(const std::string& type, const std::string& message) {
  nlohmann::json j;
  j["errorType"] = type;
  j["errorMessage"] = message;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ExportTraceId(const std::string& trace_id) {
  if (trace_id.empty()) {
    ::unsetenv(kTraceIdEnv);
  } else {
    ::setenv(kTraceIdEnv, trace_id.c_str(), 1);
  }
}

// The handler's result; an exception it throws is an internal error of
// this invocation (the loop goes on).
HandlerResult RunHandler(const Handler& handler, const Invocation& inv) {
  HandlerResult result;
  try {
    result = handler(inv);
  } catch (const std::exception& e) {
    result.ok = false;
    result.error_type = "drsnap.InternalError";
    result.error_message = std::string("internal error: ") + e.what();
  } catch (...) {
    result.ok = false;
    result.error_type = "drsnap.InternalError";
    result.error_message = "internal error";
  }
  return result;
}

}  // namespace

RuntimeClient::RuntimeClient(std::string api, std::shared_ptr<aws::HttpTransport> transport,
                             size_t max_payload_bytes)
    : base_("http://" + std::move(api) + kVersion),
      transport_(std::move(transport)),
      max_payload_bytes_(max_payload_bytes) {}

Result<Invocation> RuntimeClient::Next() {
  aws::HttpRequest req;
  req.method = "GET";
  req.url = base_ + "/runtime/invocation/next";
  // Over the limit the transport stops reading and still hands over the
  // headers: the request id is what the error must be reported under.
  req.max_response_body = max_payload_bytes_;
  req.keep_headers_when_too_large = true;
  DRSNAP_ASSIGN_OR_RETURN(aws::HttpResponse resp, transport_->Send(req));
  if (resp.status != 200) {
    return Fail(Error::Transient("RuntimeApiError", "the Lambda Runtime API answered HTTP " +
                                                        std::to_string(resp.status) +
                                                        " to next invocation: " + resp.body));
  }
  Invocation inv;
  inv.request_id = resp.Header("Lambda-Runtime-Aws-Request-Id");
  if (inv.request_id.empty()) {
    return Fail(Error::Transient("RuntimeApiError",
                                 "next invocation came without Lambda-Runtime-Aws-Request-Id"));
  }
  std::string deadline = resp.Header("Lambda-Runtime-Deadline-Ms");
  long long ms = 0;
  auto [p, ec] = std::from_chars(deadline.data(), deadline.data() + deadline.size(), ms);
  if (ec == std::errc() && p == deadline.data() + deadline.size()) {
    inv.deadline = TimePoint(std::chrono::milliseconds(ms));
  } else {
    // No deadline: behave as if there were 15 minutes (Lambda's maximum).
    inv.deadline = std::chrono::system_clock::now() + std::chrono::minutes(15);
  }
  inv.trace_id = resp.Header("Lambda-Runtime-Trace-Id");
  inv.function_arn = resp.Header("Lambda-Runtime-Invoked-Function-Arn");
  inv.payload = std::move(resp.body);
  if (resp.body_too_large) {
    inv.payload_error = Error::Terminal(
        "EventTooLarge", "the event is larger than " + aws::FormatByteCount(max_payload_bytes_) +
                             ", the most drsnap reads; it was not handled");
  }
  return inv;
}

Result<aws::HttpResponse> RuntimeClient::Post(const std::string& path, const std::string& body,
                                              const std::string& error_type) {
  aws::HttpRequest req;
  req.method = "POST";
  req.url = base_ + path;
  req.body = body;
  req.headers.emplace_back("Content-Type", "application/json");
  if (!error_type.empty())
    req.headers.emplace_back("Lambda-Runtime-Function-Error-Type", error_type);
  DRSNAP_ASSIGN_OR_RETURN(aws::HttpResponse resp, transport_->Send(req));
  if (resp.status / 100 != 2) {
    return Fail(Error::Terminal("RuntimeApiError", "the Lambda Runtime API answered HTTP " +
                                                       std::to_string(resp.status) + " to " + path +
                                                       ": " + resp.body));
  }
  return resp;
}

Status RuntimeClient::Respond(const std::string& request_id, const std::string& body) {
  DRSNAP_RETURN_IF_ERROR(Post("/runtime/invocation/" + request_id + "/response", body, ""));
  return OkStatus();
}

Status RuntimeClient::ReportError(const std::string& request_id, const std::string& type,
                                  const std::string& message) {
  DRSNAP_RETURN_IF_ERROR(
      Post("/runtime/invocation/" + request_id + "/error", ErrorBody(type, message), type));
  return OkStatus();
}

Status RuntimeClient::ReportInitError(const std::string& type, const std::string& message) {
  DRSNAP_RETURN_IF_ERROR(Post("/runtime/init/error", ErrorBody(type, message), type));
  return OkStatus();
}

int RunLoop(RuntimeClient& client, const Handler& handler, const LoopOptions& options) {
  int done = 0;
  int api_failures = 0;
  while (options.max_invocations == 0 || done < options.max_invocations) {
    auto next = client.Next();
    if (!next) {
      LogError("cannot get the next invocation", {{"error", next.error().ToString()}});
      if (++api_failures >= options.max_api_failures) return 1;
      continue;
    }
    api_failures = 0;
    const Invocation& inv = *next;
    ExportTraceId(inv.trace_id);
    HandlerResult result;
    if (inv.payload_error) {
      // Not the handler's to judge: it never sees an event it cannot have
      // read whole. A function error, so that the alarm on errors fires.
      LogError("invocation rejected",
               {{"request_id", inv.request_id}, {"error", inv.payload_error->ToString()}});
      result.ok = false;
      result.error_type = kEventTooLargeErrorType;
      result.error_message = inv.payload_error->ToString();
    } else {
      result = RunHandler(handler, inv);
    }
    Status sent = result.ok
                      ? client.Respond(inv.request_id, result.body)
                      : client.ReportError(inv.request_id, result.error_type, result.error_message);
    if (!sent) {
      LogError("cannot report the invocation result",
               {{"request_id", inv.request_id}, {"error", sent.error().ToString()}});
    }
    ++done;
  }
  return 0;
}

}  // namespace drsnap::lambda
