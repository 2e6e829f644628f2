// drsnap status: per database x target, the newest recoverable point against the RPO.
#include <algorithm>
#include <cstdio>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/report_html.h"
#include "cli/verify_report.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"output", true, "table|json|prometheus|html",
     "output format (default table); html is one self-contained page"},
    SideFlag(),
    ClockUrlFlag(),
};

}  // namespace

int RunStatusCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "status", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp("status", "[--config FILE] [--output table|json|prometheus|html]",
                   "Observes every scope (read-only) and reports, per protected database and\n"
                   "DR target region, the newest recoverable point, its age against the RPO,\n"
                   "and copies in flight with their progress.\n"
                   "Exit status: 0 every row within its RPO, 1 at risk (older than 80% of\n"
                   "the RPO with nothing newer on its way), 2 breached or unknown (a scope\n"
                   "could not be listed, or no copy exists yet).",
                   kFlags,
                   "  drsnap status\n"
                   "  drsnap status --output prometheus > /var/lib/node_exporter/drsnap.prom\n"
                   "  drsnap status --output json | jq '.rows[] | select(.state != \"ok\")'\n"
                   "  drsnap status --output html > drsnap-status.html\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "status", "unexpected argument '" + flags->positional[0] + "'; see --help");
  // First, so that every later message is in the chosen log format.
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "status", st.error().message);
  std::string output = flags->Get("output").value_or("table");
  if (output != "table" && output != "json" && output != "prometheus" && output != "html")
    return Usage(ctx, "status", "--output '" + output + "' is not table, json, prometheus or html");
  FillDefaults(ctx);
  // --side vault: the status the DR account can tell on its own (its vault
  // copies); it observes nothing in the production account.
  auto side = SideFromFlags(*flags, *ctx.env);
  if (!side) return Usage(ctx, "status", side.error().message);
  auto rec = MakeReconciler(ctx, *flags);
  if (!rec) return Failure(ctx, "status", rec.error());
  engine::Inventory inv = (*rec)->Observe(8, *side);
  TimePoint now = inv.observed_at;
  engine::StatusReport report = engine::ComputeStatus(inv, (*rec)->config(), now);
  // A scope that could not be listed makes the answer unknown even when no
  // row shows it (e.g. the source scope: then its databases are unknown).
  const int incomplete = inv.IncompleteScopes();
  const int exit_code = StatusExitCode(report, inv);
  if (output == "json") {
    auto j = StatusJson(report);
    j["exit_code"] = exit_code;
    j["incomplete_scopes"] = incomplete;
    if (incomplete > 0) j["overall"] = "unknown";
    std::fputs((j.dump(2) + "\n").c_str(), ctx.out);
  } else if (output == "prometheus") {
    PrometheusInput in;
    in.status = &report;
    in.exit_code = exit_code;
    in.incomplete_scopes = incomplete;
    // The findings of the plan drsnap would make now (pure: no AWS call).
    // A one-shot status reconciles nothing: no action failure or reconcile
    // metrics (drsnap run --listen serves those).
    in.findings = (*rec)->PlanFor(inv, "", *side).findings;
    std::fputs(StatusPrometheus(in).c_str(), ctx.out);
  } else if (output == "html") {
    HtmlReportInput in;
    in.status = &report;
    in.inventory = &inv;
    in.verifications = VerificationsFor(report, inv);  // drsnap verify's recorded drills
    std::fputs(RenderHtmlReport(in).c_str(), ctx.out);
  } else {
    std::string text = StatusTable(report, now);
    if (incomplete > 0)
      text += "Unknown: " + std::to_string(incomplete) +
              " scope(s) could not be listed; the state of their databases is unknown.\n";
    std::fputs(text.c_str(), ctx.out);
  }
  return exit_code;
}

DRSNAP_REGISTER_COMMAND("status", "RPO per database x target; exit 0 ok, 1 at risk, 2 breached",
                        RunStatusCommand);

}  // namespace drsnap::cli
