// drsnap status: per database x target, the newest recoverable point against the RPO.
#include <cstdio>

#include "cli/command.h"
#include "cli/output.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"output", true, "table|json|prometheus", "output format (default table)"},
};

}  // namespace

int RunStatusCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "status", flags.error().message);
  if (flags->help) {
    std::fputs(FormatHelp("status", "[--config FILE] [--output table|json|prometheus]",
                          "Observes every scope (read-only) and reports, per protected database and\n"
                          "DR target region, the newest recoverable point, its age against the RPO,\n"
                          "and copies in flight with their progress.\n"
                          "Exit status: 0 every row within its RPO, 1 at risk (older than 80% of\n"
                          "the RPO with nothing newer on its way), 2 breached or unknown (a scope\n"
                          "could not be listed, or no copy exists yet).",
                          kFlags,
                          "  drsnap status\n"
                          "  drsnap status --output prometheus > /var/lib/node_exporter/drsnap.prom\n"
                          "  drsnap status --output json | jq '.rows[] | select(.state != \"ok\")'\n")
                   .c_str(),
               ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "status", "unexpected argument '" + flags->positional[0] + "'; see --help");
  std::string output = flags->Get("output").value_or("table");
  if (output != "table" && output != "json" && output != "prometheus")
    return Usage(ctx, "status", "--output '" + output + "' is not table, json or prometheus");
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "status", st.error().message);
  auto rec = MakeReconciler(ctx, *flags);
  if (!rec) return Failure(ctx, "status", rec.error());
  engine::Inventory inv = (*rec)->Observe();
  TimePoint now = inv.observed_at;
  engine::StatusReport report = engine::ComputeStatus(inv, (*rec)->config(), now);
  if (output == "json") {
    std::fputs((StatusJson(report).dump(2) + "\n").c_str(), ctx.out);
  } else if (output == "prometheus") {
    std::fputs(StatusPrometheus(report).c_str(), ctx.out);
  } else {
    std::fputs(StatusTable(report, now).c_str(), ctx.out);
  }
  return report.ExitCode();
}

DRSNAP_REGISTER_COMMAND("status", "RPO per database x target; exit 0 ok, 1 at risk, 2 breached",
                        RunStatusCommand);

}  // namespace drsnap::cli
