// drsnap run: the service loop: a reconcile every --interval until SIGINT/SIGTERM.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "cli/command.h"
#include "cli/http_server.h"
#include "cli/output.h"
#include "cli/service_endpoints.h"
#include "core/time_util.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"interval", true, "DURATION", "time between reconciles, e.g. 5m, 1h (default 5m)"},
    {"concurrency", true, "N", "actions in flight at once (default 8)"},
    {"max-runs", true, "N", "exit after N reconciles (default: run until stopped)"},
    {"listen", true, "ADDR",
     "serve /metrics, /healthz, /readyz and / (the live report) over HTTP on ADDR, e.g. "
     "127.0.0.1:9464 or :9464 (every interface); port 0 picks a free one (default: off)"},
    SideFlag(),
    ClockUrlFlag(),
};

// Logs each warning or error finding of `plan` not in `standing` ("finding",
// at its severity) and each one in `standing` the plan no longer has
// ("finding cleared", info); then makes `standing` the plan's.
void LogFindingChanges(const engine::Plan& plan, std::map<std::string, engine::Finding>& standing) {
  std::map<std::string, engine::Finding> now;
  for (const auto& f : plan.findings) {
    if (f.severity == engine::Finding::Severity::kInfo) continue;
    now.emplace(std::string(SeverityName(f.severity)) + "|" + f.policy + "|" + f.db_id + "|" +
                    f.scope.ToString() + "|" + f.message,
                f);
  }
  auto fields = [](const engine::Finding& f) {
    return LogFields{{"severity", SeverityName(f.severity)}, {"policy", f.policy},
                     {"db", f.db_id},       {"scope", f.scope.ToString()},
                     {"finding", f.message}};
  };
  for (const auto& [key, f] : now)
    if (!standing.contains(key))
      Log().Log(f.severity == engine::Finding::Severity::kError ? LogLevel::kError
                                                                 : LogLevel::kWarn,
                "finding", fields(f));
  for (const auto& [key, f] : standing)
    if (!now.contains(key)) Log().Log(LogLevel::kInfo, "finding cleared", fields(f));
  standing = std::move(now);
}

}  // namespace

int RunRunCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "run", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp("run", "[--config FILE] [--interval 5m]",
                   "Reconciles forever: observe, plan, apply, then sleep --interval. Facts\n"
                   "learned from AWS (e.g. where a one-step copy is refused) are kept between\n"
                   "runs. SIGINT or SIGTERM finish the actions in flight and exit 0; a second\n"
                   "signal exits at once. Logs go to stderr (--log-format json for collectors).\n"
                   "--listen serves Prometheus metrics (/metrics), liveness (/healthz),\n"
                   "readiness (/readyz: a reconcile succeeded within two intervals) and the\n"
                   "live HTML report (/).",
                   kFlags,
                   "  drsnap run --config /etc/drsnap.yaml --interval 5m --log-format json\n"
                   "  DRSNAP_CONFIG=drsnap.yaml drsnap run --interval 1h\n"
                   "  drsnap run --interval 15m --listen 127.0.0.1:9464\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "run", "unexpected argument '" + flags->positional[0] + "'; see --help");
  // First, so that every later message is in the chosen log format.
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "run", st.error().message);
  std::string interval_text = flags->Get("interval").value_or("5m");
  auto interval = ParseDuration(interval_text);
  if (!interval || interval->count() <= 0)
    return Usage(
        ctx, "run",
        "--interval '" + interval_text + "' is not a duration such as 30s, 5m, 1h or 1h30m");
  auto concurrency = PositiveIntFlag(*flags, "concurrency", 8);
  if (!concurrency) return Usage(ctx, "run", concurrency.error().message);
  auto max_runs = PositiveIntFlag(*flags, "max-runs", 0);
  if (!max_runs) return Usage(ctx, "run", max_runs.error().message);
  FillDefaults(ctx);
  auto side = SideFromFlags(*flags, *ctx.env);
  if (!side) return Usage(ctx, "run", side.error().message);
  auto rec = MakeReconciler(ctx, *flags);
  if (!rec) return Failure(ctx, "run", rec.error());

  // --listen: the endpoints read what the loop records; the server stops
  // (and joins its thread) before they go.
  std::unique_ptr<ServiceEndpoints> endpoints;
  std::unique_ptr<HttpServer> server;
  if (auto listen = flags->Get("listen")) {
    endpoints = std::make_unique<ServiceEndpoints>((*rec)->config(), ctx.clock, *interval);
    auto started = HttpServer::Start(
        *listen, [e = endpoints.get()](const HttpRequest& r) { return e->Serve(r); });
    if (!started) {
      if (started.error().code == "UsageError")
        return Usage(ctx, "run", "--listen " + started.error().message);
      return Failure(ctx, "run", started.error());
    }
    server = std::move(*started);
    LogInfo("listening",
            {{"address", server->address()}, {"paths", "/metrics /healthz /readyz /"}});
  }

  InstallStopHandlers();
  StopNotice stop_notice;
  std::atomic<bool>& stop = StopFlag();
  LogInfo("service started", {{"interval", FormatDuration(*interval)},
                              {"policies", (*rec)->config().policies.size()}});
  int runs = 0;
  int last_exit = 0;
  // Warnings and errors of the last plan, by what they say: each is logged
  // when it appears and when it clears, not on every reconcile.
  std::map<std::string, engine::Finding> standing;
  while (!stop.load()) {
    engine::ReconcileOptions opt;
    opt.side = *side;
    opt.concurrency = *concurrency;
    opt.stop = &stop;
    opt.progress = [](const engine::ProgressEvent& ev) {
      if (ev.result == nullptr) return;
      const auto& r = *ev.result;
      if (r.outcome == engine::Outcome::kDeferred && r.reason.starts_with("stop")) return;
      LogFields f{{"outcome", engine::OutcomeName(r.outcome)},
                  {"action", engine::ActionKindName(r.action.kind)},
                  {"scope", r.action.scope.ToString()},
                  {"snapshot", r.action.snapshot_id}};
      if (r.error) f.emplace_back("error", r.error->ToString());
      Log().Log(r.outcome == engine::Outcome::kFailed ? LogLevel::kWarn : LogLevel::kInfo,
                "action finished", f);
    };
    engine::ReconcileReport report = (*rec)->RunOnce(opt);
    ++runs;
    LogFields f{{"actions", report.plan.actions.size()},
                {"done", report.apply.Count(engine::Outcome::kDone)},
                {"deferred", report.apply.Count(engine::Outcome::kDeferred)},
                {"failed", report.apply.Count(engine::Outcome::kFailed)},
                {"incomplete_scopes", report.IncompleteScopes()}};
    Log().Log(report.ok() ? LogLevel::kInfo : LogLevel::kWarn, "reconcile finished", f);
    LogFindingChanges(report.plan, standing);
    last_exit = ApplyExitCode(report);
    if (endpoints) endpoints->Record(std::move(report));
    if (*max_runs > 0 && runs >= *max_runs) break;
    // Sleep in slices so a signal ends the wait promptly.
    TimePoint wake = ctx.clock->Now() + *interval;
    for (TimePoint now = ctx.clock->Now(); !stop.load() && now < wake; now = ctx.clock->Now())
      ctx.clock->SleepFor(std::min<Duration>(wake - now, std::chrono::milliseconds(200)));
  }
  if (server) server->Stop();
  LogInfo("service stopped", {{"reconciles", runs}});
  // --max-runs: the last reconcile's verdict, as apply's (README, "Exit
  // codes"); stopped by a signal: 0.
  return *max_runs > 0 && runs >= *max_runs ? last_exit : 0;
}

DRSNAP_REGISTER_COMMAND("run", "reconcile every --interval until stopped (service)", RunRunCommand);

}  // namespace drsnap::cli
