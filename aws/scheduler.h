// Typed Amazon EventBridge Scheduler operations (REST-JSON protocol, signing
// name "scheduler") over ServiceClient::CallRestJson. drsnap only creates
// one-time schedules: the Lambda function's wake-up at the expected end of a
// DB cluster snapshot copy, which RDS announces with no event
// (lambda/handler.h, "The watch").
//
// Endpoint: ResolveEndpoint("scheduler", region, ...) honours
// AWS_ENDPOINT_URL_SCHEDULER, then AWS_ENDPOINT_URL (aws/endpoints.h); the
// standard one is https://scheduler.REGION.amazonaws.com.
//
// Errors: AWS errors as ServiceClient returns them, with the operation and
// the schedule's group and name in the context; a response that is not the
// expected JSON is an Error with code "MalformedResponse"; a name or group
// AWS would refuse is refused before any call (code "InvalidScheduleName").
//
// Thread safety: a SchedulerClient may be shared by many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aws/client.h"
#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws {

// A one-time schedule (CreateSchedule with an at() expression in UTC, no
// flexible time window) that invokes `target_arn` once with `input`, as
// `role_arn`, and is deleted by EventBridge Scheduler once it has run.
struct OneTimeSchedule {
  std::string name;        // 1-64 of [0-9a-zA-Z-_.]; unique within the group
  std::string group_name;  // "" = the account's "default" group
  TimePoint at{};          // when; sent at whole seconds (rounded up), UTC
  std::string target_arn;  // the Lambda function to invoke
  std::string role_arn;    // the role Scheduler assumes to invoke it
  std::string input;       // the target's payload (JSON text for a Lambda target)
  std::string description;
  // CreateSchedule's idempotency token (1-64 of [a-zA-Z0-9-_]). "": the name
  // (with '.' replaced), so a retried call is the same request.
  std::string client_token;
};

struct CreateScheduleResult {
  std::string schedule_arn;  // "" when it already existed (ConflictException)
  bool already_existed = false;
};

class SchedulerClient {
 public:
  explicit SchedulerClient(std::shared_ptr<ServiceClient> client);

  // Creates the schedule (POST /schedules/{Name}). Idempotent: a schedule of
  // that name in that group already exists (ConflictException) is success,
  // with already_existed set, since the names drsnap gives encode what the
  // schedule does (it is not updated).
  Result<CreateScheduleResult> CreateOneTimeSchedule(const OneTimeSchedule& schedule);

 private:
  std::shared_ptr<ServiceClient> client_;
};

// Codec (exposed for tests and for fakes of EventBridge Scheduler).
// "at(2026-11-23T05:30:00)": `at` rounded up to the whole second, UTC.
std::string AtExpression(TimePoint at);
// The CreateSchedule body (every member but Name, which is in the path).
std::string EncodeCreateScheduleRequest(const OneTimeSchedule& schedule);
Result<CreateScheduleResult> DecodeCreateScheduleResponse(std::string_view json);
// OK when `name` is 1-64 of [0-9a-zA-Z-_.] (the Name and ScheduleGroupName
// shapes); `what` names it in the error.
Status ValidateScheduleName(std::string_view name, std::string_view what);

}  // namespace drsnap::aws
