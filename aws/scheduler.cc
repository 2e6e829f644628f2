#include "aws/scheduler.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using nlohmann::json;

Error Malformed(const std::string& what) {
  return Error::Terminal("MalformedResponse",
                         "EventBridge Scheduler CreateSchedule answered " + what);
}

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

std::string ClientTokenFor(const OneTimeSchedule& s) {
  if (!s.client_token.empty()) return s.client_token;
  std::string token = s.name;
  for (char& c : token)
    if (c == '.') c = '_';
  return token;
}

}  // namespace

SchedulerClient::SchedulerClient(std::shared_ptr<ServiceClient> client)
    : client_(std::move(client)) {}

Status ValidateScheduleName(std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && NameChar(c);
  if (!ok) {
    return Fail(
        Error::Terminal("InvalidScheduleName", std::string(what) + " '" + std::string(name) +
                                                   "' is not 1-64 characters of [0-9a-zA-Z-_.]"));
  }
  return OkStatus();
}

std::string AtExpression(TimePoint at) {
  auto whole = std::chrono::ceil<std::chrono::seconds>(at);
  std::string iso = FormatIso8601Seconds(TimePoint(whole));  // "...T05:30:00Z"
  if (!iso.empty() && iso.back() == 'Z') iso.pop_back();
  return "at(" + iso + ")";
}

std::string EncodeCreateScheduleRequest(const OneTimeSchedule& s) {
  json req;
  req["ScheduleExpression"] = AtExpression(s.at);
  req["ScheduleExpressionTimezone"] = "UTC";
  req["FlexibleTimeWindow"] = {{"Mode", "OFF"}};
  json target = {{"Arn", s.target_arn}, {"RoleArn", s.role_arn}};
  if (!s.input.empty()) target["Input"] = s.input;
  req["Target"] = std::move(target);
  if (!s.group_name.empty()) req["GroupName"] = s.group_name;
  if (!s.description.empty()) req["Description"] = s.description;
  req["ActionAfterCompletion"] = "DELETE";
  req["ClientToken"] = ClientTokenFor(s);
  return req.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<CreateScheduleResult> DecodeCreateScheduleResponse(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Fail(Malformed("something that is not JSON"));
  auto it = j.find("ScheduleArn");
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty())
    return Fail(Malformed("no ScheduleArn"));
  CreateScheduleResult out;
  out.schedule_arn = it->get<std::string>();
  return out;
}

Result<CreateScheduleResult> SchedulerClient::CreateOneTimeSchedule(const OneTimeSchedule& s) {
  const std::string where = "creating schedule " +
                            (s.group_name.empty() ? "default" : s.group_name) + "/" + s.name +
                            " (" + AtExpression(s.at) + ")";
  if (auto st = ValidateScheduleName(s.name, "schedule name"); !st)
    return Fail(std::move(st).error().With(where));
  if (!s.group_name.empty()) {
    if (auto st = ValidateScheduleName(s.group_name, "schedule group name"); !st)
      return Fail(std::move(st).error().With(where));
  }
  // Name is [0-9a-zA-Z-_.] only: nothing in the path needs encoding.
  auto body = client_->CallRestJson("CreateSchedule", "POST", "/schedules/" + s.name,
                                    EncodeCreateScheduleRequest(s));
  if (!body) {
    if (body.error().code == "ConflictException") {
      CreateScheduleResult existing;
      existing.already_existed = true;
      return existing;
    }
    return Fail(std::move(body).error().With(where));
  }
  auto decoded = DecodeCreateScheduleResponse(*body);
  if (!decoded) return Fail(std::move(decoded).error().With(where));
  return decoded;
}

}  // namespace drsnap::aws
