// drsnap apply: one reconcile (observe -> plan -> apply), with progress.
#include <unistd.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/output.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"dry-run", false, "", "plan and show what would be done; make no change"},
    {"db", true, "ID", "only actions for this database id (event-driven fast path)"},
    {"concurrency", true, "N", "actions in flight at once (default 8)"},
    {"output", true, "text|json", "final report format (default text)"},
    SideFlag(),
    ClockUrlFlag(),
};

}  // namespace

int RunApplyCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "apply", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp("apply", "[--config FILE] [--dry-run] [--db ID] [--concurrency N]",
                   "Runs one reconcile: observes every scope, plans, and carries the actions\n"
                   "out (rate-limited, at most 20 copies in flight per destination region).\n"
                   "Every action is idempotent: interrupting apply and running it again is\n"
                   "safe. On a terminal it shows progress; otherwise it logs one line per\n"
                   "action. SIGINT/SIGTERM finish what is in flight and stop.\n"
                   "Exit status: 0 all actions done or deferred, 1 some failed, a scope\n"
                   "could not be listed or an error finding stands, 2 bad usage or config.",
                   kFlags,
                   "  drsnap apply --config drsnap.yaml\n"
                   "  drsnap apply --dry-run\n"
                   "  drsnap apply --db orders-prod --log-format json\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "apply", "unexpected argument '" + flags->positional[0] + "'; see --help");
  // First, so that every later message is in the chosen log format.
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "apply", st.error().message);
  std::string output = flags->Get("output").value_or("text");
  if (output != "text" && output != "json")
    return Usage(ctx, "apply", "--output '" + output + "' is not text or json");
  auto concurrency = PositiveIntFlag(*flags, "concurrency", 8);
  if (!concurrency) return Usage(ctx, "apply", concurrency.error().message);
  FillDefaults(ctx);
  auto side = SideFromFlags(*flags, *ctx.env);
  if (!side) return Usage(ctx, "apply", side.error().message);
  auto rec = MakeReconciler(ctx, *flags);
  if (!rec) return Failure(ctx, "apply", rec.error());

  InstallStopHandlers();
  StopNotice stop_notice;
  // Progress as a rewritten status line only for a person at a terminal
  // reading text logs; with --log-format json stderr holds JSON lines only.
  bool tty = isatty(fileno(ctx.err)) != 0 && Log().format() == LogFormat::kText;
  engine::ReconcileOptions opt;
  opt.dry_run = flags->Has("dry-run");
  opt.only_db = flags->Get("db").value_or("");
  opt.side = *side;
  opt.concurrency = *concurrency;
  opt.stop = &StopFlag();
  size_t finished = 0, total = 0;
  opt.on_planned = [&](const engine::Plan& plan) {
    total += plan.actions.size();
    if (opt.dry_run) return;
    if (tty)
      std::fprintf(ctx.err, "%zu actions to apply\n", plan.actions.size());
    else
      LogInfo("plan made", {{"actions", plan.actions.size()}});
  };
  opt.progress = [&](const engine::ProgressEvent& ev) {
    if (ev.result == nullptr) return;
    ++finished;
    if (tty) {
      // One status line, rewritten; failures stay on screen.
      if (ev.result->outcome == engine::Outcome::kFailed)
        std::fprintf(ctx.err, "\r\033[K%s\n", ResultLine(*ev.result).c_str());
      std::fprintf(ctx.err, "\r\033[K[%zu/%zu] %s", finished, total,
                   ResultLine(*ev.result).substr(0, 100).c_str());
      std::fflush(ctx.err);
    } else {
      const auto& r = *ev.result;
      LogFields f{{"outcome", engine::OutcomeName(r.outcome)},
                  {"action", engine::ActionKindName(r.action.kind)},
                  {"stage", engine::StageName(r.action.stage)},
                  {"scope", r.action.scope.ToString()},
                  {"snapshot", r.action.snapshot_id},
                  {"progress", std::to_string(finished) + "/" + std::to_string(total)},
                  {"finished", finished},
                  {"total", total}};
      if (r.error)
        f.emplace_back("error", r.error->ToString());
      else if (!r.reason.empty())
        f.emplace_back("reason", r.reason);
      Log().Log(r.outcome == engine::Outcome::kFailed ? LogLevel::kWarn : LogLevel::kInfo,
                "action finished", f);
    }
  };
  engine::ReconcileReport report = (*rec)->RunOnce(opt);
  if (tty && finished > 0) std::fputs("\r\033[K", ctx.err);
  if (output == "json") {
    std::fputs((ApplyJson(report).dump(2) + "\n").c_str(), ctx.out);
  } else {
    if (opt.dry_run) {
      std::fputs("Dry run: nothing was changed. The plan:\n", ctx.out);
      std::fputs(PlanTable(report.plan, report.inventory).c_str(), ctx.out);
    } else {
      std::fputs(ApplySummary(report).c_str(), ctx.out);
    }
  }
  return ApplyExitCode(report);
}

DRSNAP_REGISTER_COMMAND("apply", "one reconcile: observe, plan, apply (with --dry-run)",
                        RunApplyCommand);

}  // namespace drsnap::cli
