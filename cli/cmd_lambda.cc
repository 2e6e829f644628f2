// drsnap lambda: the AWS Lambda custom runtime (provided.al2023). Reads
// AWS_LAMBDA_RUNTIME_API, loads the policy ($DRSNAP_CONFIG), builds one
// Reconciler for the life of the process (learned facts persist between
// invocations), then serves invocations until Lambda freezes or ends it.
//
// Environment: DRSNAP_CONFIG (the policy), DRSNAP_SIDE (source|vault|all),
// DRSNAP_LOG_FORMAT / DRSNAP_LOG_LEVEL (json lines for CloudWatch),
// DRSNAP_EVENT_BUS ("" = default bus, where "snapshot shared" events go),
// DRSNAP_WAKE_SCHEDULE_GROUP and DRSNAP_WAKE_ROLE_ARN (both or neither: the
// EventBridge Scheduler group the watch's one-time wake-ups go in, and the
// role Scheduler invokes this function as; lambda/handler.h "The wake-up"),
// and the usual AWS_* variables Lambda sets (credentials, AWS_REGION).
// Metrics: each invocation that reconciles writes CloudWatch Embedded Metric
// Format lines on stdout (namespace drsnap, lambda/handler.h); the alarms of
// deploy/*.yaml read them.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "aws/endpoints.h"
#include "aws/events.h"
#include "aws/scheduler.h"
#include "aws/session.h"
#include "aws/sts.h"
#include "cli/command.h"
#include "lambda/handler.h"
#include "lambda/runtime.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {};

// Logging from the environment (Lambda has no command line), unless flags say otherwise.
Status ConfigureLogging(const ParsedFlags& flags, const Environment& env) {
  if (flags.Has("log-format") || flags.Has("log-level")) return ApplyLogFlags(flags);
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  if (auto v = env.GetNonEmpty("DRSNAP_LOG_LEVEL")) {
    auto l = ParseLogLevel(*v);
    if (!l)
      return Fail(Error::Terminal(
          "UsageError", "DRSNAP_LOG_LEVEL '" + *v + "' is not one of debug, info, warn, error"));
    level = *l;
  }
  if (auto v = env.GetNonEmpty("DRSNAP_LOG_FORMAT")) {
    auto f = ParseLogFormat(*v);
    if (!f)
      return Fail(
          Error::Terminal("UsageError", "DRSNAP_LOG_FORMAT '" + *v + "' is not one of text, json"));
    format = *f;
  }
  Log().Configure(level, format);
  return OkStatus();
}

// A client of `service` ("events", "scheduler") in this function's own
// account and region, with the function's own credentials; `what` names it
// in errors ("the EventBridge client").
Result<std::shared_ptr<aws::ServiceClient>> OwnServiceClient(std::shared_ptr<Environment> env,
                                                             const std::string& service,
                                                             const std::string& what) {
  auto transport = aws::NewCurlTransport();
  auto clock = DefaultClock();
  auto session = aws::Session::Create(
      {}, env, clock, transport,
      aws::MakeStsFactory(transport, clock, aws::MakeEndpointResolver("sts", env)));
  if (!session) return Fail(std::move(session).error().With(what));
  auto ep = (*session)->Endpoint(service, (*session)->region());
  if (!ep) return Fail(std::move(ep).error().With(what + "'s endpoint"));
  aws::ClientContext ctx;
  ctx.transport = transport;
  ctx.credentials = (*session)->credentials();
  ctx.clock = clock;
  return std::make_shared<aws::ServiceClient>(std::move(ctx), *ep);
}

// PutEvents on this function's own account and region, built at the first
// announcement (keeps the cold start short).
lambda::EventEmitter MakeEmitter(std::shared_ptr<Environment> env, std::string bus) {
  struct State {
    std::once_flag once;
    Result<std::shared_ptr<aws::EventsClient>> client =
        Fail(Error::Terminal("Internal", "not built"));
  };
  auto state = std::make_shared<State>();
  return [state, env, bus](const std::vector<aws::EventEntry>& entries) -> Status {
    std::call_once(state->once, [&] {
      auto client = OwnServiceClient(env, "events", "the EventBridge client");
      if (client)
        state->client = std::make_shared<aws::EventsClient>(*client);
      else
        state->client = Fail(std::move(client).error());
    });
    if (!state->client) return Fail(state->client.error());
    std::vector<aws::EventEntry> with_bus = entries;
    for (auto& e : with_bus) e.event_bus_name = bus;
    DRSNAP_ASSIGN_OR_RETURN(aws::PutEventsResult r, (*state->client)->PutEvents(with_bus));
    if (r.failed_entry_count > 0) {
      std::string why;
      for (const auto& e : r.entries)
        if (!e.error_code.empty()) {
          why = e.error_code + ": " + e.error_message;
          break;
        }
      return Fail(Error::Transient("PutEventsFailed", std::to_string(r.failed_entry_count) +
                                                          " of " + std::to_string(entries.size()) +
                                                          " events were refused by EventBridge (" +
                                                          why + ")"));
    }
    return OkStatus();
  };
}

// One-time schedules in `group` of this function's account and region that
// invoke the woken function as `role_arn`; the client is built at the first
// wake-up (keeps the cold start short). Idempotent by name (SchedulerClient
// treats an existing schedule of that name as success).
lambda::WakeScheduler MakeWakeScheduler(std::shared_ptr<Environment> env, std::string group,
                                        std::string role_arn) {
  struct State {
    std::once_flag once;
    Result<std::shared_ptr<aws::SchedulerClient>> client =
        Fail(Error::Terminal("Internal", "not built"));
  };
  auto state = std::make_shared<State>();
  return [state, env, group, role_arn](const lambda::WakeUpRequest& request) -> Status {
    if (request.function_arn.empty())
      return Fail(Error::Terminal("NoFunctionArn",
                                  "the invocation did not name this function's ARN "
                                  "(Lambda-Runtime-Invoked-Function-Arn): nothing to wake"));
    std::call_once(state->once, [&] {
      auto client = OwnServiceClient(env, "scheduler", "the EventBridge Scheduler client");
      if (client)
        state->client = std::make_shared<aws::SchedulerClient>(*client);
      else
        state->client = Fail(std::move(client).error());
    });
    if (!state->client) return Fail(state->client.error());
    aws::OneTimeSchedule s;
    s.name = request.name;
    s.group_name = group;
    s.at = request.at;
    s.target_arn = request.function_arn;
    s.role_arn = role_arn;
    s.input = request.payload;
    s.description = request.why.substr(0, 512);  // the Description shape's limit
    // A new schedule, or the one a retried invocation made: either way, one.
    DRSNAP_RETURN_IF_ERROR((*state->client)->CreateOneTimeSchedule(s));
    return OkStatus();
  };
}

}  // namespace

int RunLambdaCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "lambda", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp(
            "lambda", "",
            "The AWS Lambda custom runtime (the package's bootstrap runs it). Serves\n"
            "invocations from AWS_LAMBDA_RUNTIME_API: RDS events and drsnap's forwarded\n"
            "\"snapshot shared\" events reconcile the database they name, schedules run a\n"
            "full reconcile. Each invocation answers with a JSON summary; failed actions\n"
            "make it a function error. Metrics go to stdout as CloudWatch Embedded Metric\n"
            "Format lines (namespace drsnap). Environment: DRSNAP_CONFIG, DRSNAP_SIDE\n"
            "(source|vault|all), DRSNAP_LOG_FORMAT (json), DRSNAP_EVENT_BUS,\n"
            "DRSNAP_WATCH (on|off), DRSNAP_WAKE_SCHEDULE_GROUP and DRSNAP_WAKE_ROLE_ARN.",
            kFlags,
            "  AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 DRSNAP_CONFIG=drsnap.yaml drsnap lambda\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "lambda", "unexpected argument '" + flags->positional[0] + "'; see --help");
  FillDefaults(ctx);
  if (auto st = ConfigureLogging(*flags, *ctx.env); !st)
    return Usage(ctx, "lambda", st.error().message);
  auto api = ctx.env->GetNonEmpty("AWS_LAMBDA_RUNTIME_API");
  if (!api) {
    return Usage(ctx, "lambda",
                 "AWS_LAMBDA_RUNTIME_API is not set: this command is the Lambda runtime (use "
                 "'drsnap apply' or 'drsnap run' elsewhere)");
  }
  // The Runtime API long-polls /next: no total timeout on that transport.
  aws::HttpOptions http;
  http.total_timeout = std::chrono::milliseconds(0);
  http.env = ctx.env;
  lambda::RuntimeClient client(*api, aws::NewCurlTransport(http));

  auto init_failed = [&](const std::string& type, const Error& e) {
    std::string message = "drsnap cannot start: " + e.ToString();
    LogError("init failed", {{"type", type}, {"error", e.ToString()}});
    if (auto st = client.ReportInitError(type, message); !st)
      LogError("cannot report the init error", {{"error", st.error().ToString()}});
    return 2;
  };
  auto side = lambda::ParseSide(ctx.env->Get("DRSNAP_SIDE").value_or(""));
  if (!side)
    return init_failed("drsnap.ConfigInvalid", std::move(side).error().With("DRSNAP_SIDE"));
  auto rec = MakeReconciler(ctx, *flags);
  if (!rec) {
    const Error& e = rec.error();
    bool config = e.code.starts_with("Config");
    return init_failed(config ? "drsnap.ConfigInvalid" : "drsnap.InitFailed", e);
  }

  lambda::HandlerOptions options;
  options.side = *side;
  options.emit = MakeEmitter(ctx.env, ctx.env->Get("DRSNAP_EVENT_BUS").value_or(""));
  // DRSNAP_WATCH: "on" (default) or "off": whether an invocation watches the
  // copies AWS announces no end of (lambda/handler.h). Off where the copies'
  // clock does not run with the function's (a rehearsal against drsnap-sim
  // whose time stands still); the schedule then finds what ended.
  std::string watch = ctx.env->Get("DRSNAP_WATCH").value_or("on");
  if (watch == "off") {
    options.watch_first_poll = Duration::zero();
  } else if (watch != "on") {
    return init_failed("drsnap.ConfigInvalid",
                       Error::Terminal("ConfigInvalid", "DRSNAP_WATCH is '" + watch +
                                                            "': it must be \"on\" or \"off\""));
  }
  // The watch's one-time wake-ups (lambda/handler.h): both variables or neither.
  std::string wake_group = ctx.env->Get("DRSNAP_WAKE_SCHEDULE_GROUP").value_or("");
  std::string wake_role = ctx.env->Get("DRSNAP_WAKE_ROLE_ARN").value_or("");
  if (wake_group.empty() != wake_role.empty()) {
    return init_failed(
        "drsnap.ConfigInvalid",
        Error::Terminal("ConfigInvalid",
                        "DRSNAP_WAKE_SCHEDULE_GROUP and DRSNAP_WAKE_ROLE_ARN go together: set "
                        "both (wake-ups at a watched copy's expected end) or neither"));
  }
  if (!wake_group.empty()) {
    if (auto st = aws::ValidateScheduleName(wake_group, "DRSNAP_WAKE_SCHEDULE_GROUP"); !st)
      return init_failed("drsnap.ConfigInvalid", st.error());
    options.wake_at = MakeWakeScheduler(ctx.env, wake_group, wake_role);
  }
  lambda::InvocationHandler handler(rec->get(), std::move(options));
  LogInfo("lambda runtime ready", {{"side", lambda::SideName(*side)},
                                   {"policies", (*rec)->config().policies.size()},
                                   {"config", (*rec)->config().file}});
  // RunLoop exports each invocation's trace header as _X_AMZN_TRACE_ID.
  return lambda::RunLoop(client,
                         [&](const lambda::Invocation& inv) { return handler.Handle(inv); });
}

DRSNAP_REGISTER_COMMAND("lambda", "the AWS Lambda custom runtime (bootstrap)", RunLambdaCommand);

}  // namespace drsnap::cli
