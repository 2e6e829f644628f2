// drsnap plan: observe every scope and print what apply would do, and why.
#include <cstdio>

#include "cli/command.h"
#include "cli/output.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"output", true, "table|json", "output format (default table)"},
    {"db", true, "ID", "only actions for this database id"},
    SideFlag(),
    ClockUrlFlag(),
};

}  // namespace

int RunPlanCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "plan", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp("plan", "[--config FILE] [--output table|json] [--db ID]",
                   "Observes every account and region the policy names (read-only calls) and\n"
                   "prints the actions `drsnap apply` would take, each with its reason, plus\n"
                   "findings: work in flight, waiting, or held back by a safety rule.\n"
                   "Exit status: 0 every scope observed and no error finding, 1 a scope\n"
                   "could not be listed or an error finding stands, 2 bad usage or config.",
                   kFlags,
                   "  drsnap plan --config drsnap.yaml\n"
                   "  drsnap plan --output json | jq '.actions[] | .reason'\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "plan", "unexpected argument '" + flags->positional[0] + "'; see --help");
  // First, so that every later message is in the chosen log format.
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "plan", st.error().message);
  std::string output = flags->Get("output").value_or("table");
  if (output != "table" && output != "json")
    return Usage(ctx, "plan", "--output '" + output + "' is not table or json");
  FillDefaults(ctx);
  auto side = SideFromFlags(*flags, *ctx.env);
  if (!side) return Usage(ctx, "plan", side.error().message);
  auto rec = MakeReconciler(ctx, *flags);
  if (!rec) return Failure(ctx, "plan", rec.error());
  engine::Inventory inv = (*rec)->Observe(8, *side);
  engine::Plan plan = (*rec)->PlanFor(inv, flags->Get("db").value_or(""), *side);
  if (output == "json") {
    std::fputs((PlanJson(plan, inv).dump(2) + "\n").c_str(), ctx.out);
  } else {
    std::fputs(PlanTable(plan, inv).c_str(), ctx.out);
  }
  return PlanExitCode(plan, inv);
}

DRSNAP_REGISTER_COMMAND("plan", "show what apply would do, and why (read-only)", RunPlanCommand);

}  // namespace drsnap::cli
