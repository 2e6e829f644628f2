// drsnap demo: the whole pipeline against the built-in emulator, in seconds,
// with no AWS account (cli/demo_driver.h does the work).
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/command.h"
#include "cli/demo_driver.h"
#include "cli/demo_view.h"
#include "cli/output.h"
#include "cli/report_html.h"
#include "core/time_util.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"days", true, "N", "simulated days to run (default 3)"},
    {"step", true, "DURATION", "simulated time between reconciles (default 30m; e.g. 10m, 1h)"},
    {"report", true, "PATH", "where to write the HTML report (default ./drsnap-demo-report.html)"},
    {"delay", true, "MS", "on a terminal: wall-clock pause per frame, in ms (default 60; 0: none)"},
    {"quiet", false, "", "print only the final table and the report's path"},
    {"fail-region", true, "REGION",
     "make every copy into this DR region fail (us-west-2 or eu-west-1): see a broken target"},
};

// Columns and rows of the terminal behind f (100 x 50 when unknown).
std::pair<int, int> TerminalSize(std::FILE* f) {
  struct winsize ws {};
  if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
    return {ws.ws_col, ws.ws_row};
  return {100, 50};
}

}  // namespace

int RunDemoCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "demo", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp("demo", "[--days N] [--step DURATION] [--report PATH] [--quiet]",
                   "Shows drsnap at work without an AWS account. Starts drsnap-sim (the built-in\n"
                   "emulator of RDS, STS and KMS) in this process with a built-in world -- a\n"
                   "production account with six DB instances (unencrypted, default-key and\n"
                   "customer-key encrypted) and an Aurora cluster, a DR vault account, one source\n"
                   "and two DR regions -- writes a policy for it, and runs the real pipeline\n"
                   "(capture, share, vault, expire, over signed HTTP) through several simulated\n"
                   "days in a few seconds. Ends with the status table and an HTML report.\n"
                   "Exit status: 0 when every database ended within its RPO in every DR region,\n"
                   "otherwise 1 (at risk) or 2 (breached or unknown), with the reason.",
                   kFlags,
                   "  drsnap demo\n"
                   "  drsnap demo --days 7 --report /tmp/dr.html\n"
                   "  drsnap demo --quiet --days 1\n"
                   "  drsnap demo --fail-region eu-west-1    what a broken DR region looks like\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "demo", "unexpected argument '" + flags->positional[0] + "'; see --help");
  if (flags->Has("config"))
    return Usage(ctx, "demo",
                 "the demo runs its built-in world and policy; --config is not used (see --help)");
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "demo", st.error().message);
  if (!flags->Has("log-level")) {
    // The AWS layer's info lines would scroll the live view away.
    LogFormat format = LogFormat::kText;
    if (auto f = flags->Get("log-format")) format = ParseLogFormat(*f).value_or(LogFormat::kText);
    Log().Configure(LogLevel::kWarn, format);
  }

  demo::DemoOptions options;
  auto days = PositiveIntFlag(*flags, "days", 3);
  if (!days) return Usage(ctx, "demo", days.error().message);
  if (*days > 400)
    return Usage(ctx, "demo", "--days " + std::to_string(*days) + " is more than 400");
  options.days = *days;
  if (auto s = flags->Get("step")) {
    auto d = ParseDuration(*s);
    if (!d || *d < std::chrono::minutes(1) || *d > std::chrono::hours(24))
      return Usage(ctx, "demo", "--step '" + *s + "' is not a duration from 1m to 24h (e.g. 30m)");
    options.step = *d;
  }
  int delay_ms = 60;
  if (auto v = flags->Get("delay")) {
    if (*v == "0") {
      delay_ms = 0;
    } else {
      auto d = PositiveIntFlag(*flags, "delay", 60);
      if (!d || *d > 5000) return Usage(ctx, "demo", "--delay '" + *v + "' is not 0..5000 (ms)");
      delay_ms = *d;
    }
  }
  std::string report_path = flags->Get("report").value_or("drsnap-demo-report.html");
  bool quiet = flags->Has("quiet");
  options.fail_copies_region = flags->Get("fail-region").value_or("");
  if (flags->Has("fail-region") && options.fail_copies_region != "us-west-2" &&
      options.fail_copies_region != "eu-west-1")
    return Usage(ctx, "demo",
                 "--fail-region '" + options.fail_copies_region +
                     "' is not one of the demo's DR regions (us-west-2, eu-west-1)");

  std::unique_ptr<demo::DemoView> view;
  if (quiet)
    view = demo::MakeQuietView();
  else if (ctx.out_is_terminal) {
    auto [width, height] = TerminalSize(ctx.out);
    view = demo::MakeTerminalView(ctx.out, width, height, std::chrono::milliseconds(delay_ms));
  } else
    view = demo::MakeLogView(ctx.out);

  // Ctrl-C: finish the reconcile in flight, then report what was reached
  // (and clean up the simulator and the temporary files).
  InstallStopHandlers();
  options.stop = &StopFlag();
  auto outcome = demo::RunDemo(options, *view);
  if (!outcome) return Failure(ctx, "demo", outcome.error());
  if (outcome->interrupted)
    std::fprintf(ctx.out, "\nInterrupted at %s (simulated): the state reached so far.\n",
                 FormatIso8601Seconds(outcome->inventory.observed_at).c_str());

  // The final table, as `drsnap status` prints it.
  std::fputs("\n", ctx.out);
  std::fputs(StatusTable(outcome->status, outcome->inventory.observed_at).c_str(), ctx.out);

  // The restore drills (drsnap verify) that ran at the end.
  int drills_passed = 0, drills_bad = 0;
  std::string drill_lines;
  for (const auto& d : outcome->drills) {
    bool passed = d.phase == engine::verify::DrillPhase::kPassed;
    (passed ? drills_passed : drills_bad)++;
    drill_lines += "  " + d.db_id + " -> " + d.target.ToString() + ": " +
                   engine::verify::DrillPhaseName(d.phase) + " (" + d.message + ")\n";
  }
  if (!outcome->drills.empty())
    std::fprintf(ctx.out, "\nRestore drills: %d passed, %d not passed.\n%s", drills_passed,
                 drills_bad, drill_lines.c_str());

  // The report.
  std::string html = RenderHtmlReport(demo::DemoReportInput(*outcome));
  {
    std::ofstream f(report_path, std::ios::binary | std::ios::trunc);
    f << html;
    f.close();
    if (!f) {
      return Failure(
          ctx, "demo",
          Error::Terminal("ReportUnwritable", "cannot write the report to " + report_path), 2);
    }
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(report_path, ec);
  std::fprintf(ctx.out, "\nReport: %s (open it in a browser)\n",
               ec ? report_path.c_str() : abs.c_str());
  if (outcome->totals.failed > 0)
    std::fprintf(ctx.out, "%d action(s) failed during the demo; the report lists them.\n",
                 outcome->totals.failed);
  if (outcome->totals.failed_copies > 0)
    std::fprintf(ctx.out,
                 "%d %s failed during the demo after AWS accepted them; the report's findings "
                 "name them.\n",
                 outcome->totals.failed_copies,
                 outcome->totals.failed_copies == 1 ? "copy" : "copies");

  if (outcome->interrupted) return 130;
  int code = outcome->status.ExitCode();
  if (code != 0) {
    std::string why;
    int bad = 0;
    for (const auto& r : outcome->status.rows) {
      if (r.state == engine::RpoState::kOk) continue;
      ++bad;
      why += "\n  " + r.db_id + " -> " + r.target.ToString() + ": " +
             engine::RpoStateName(r.state) + " (" + r.reason + ")";
    }
    if (outcome->status.rows.empty()) why = "\n  no protected database was found";
    std::fprintf(ctx.err, "drsnap demo: not every database ended within its RPO (%d of %zu):%s\n",
                 bad, outcome->status.rows.size(), why.c_str());
    return code;
  }
  std::fprintf(ctx.out, "Every database is within its RPO in every DR region.\n");
  return 0;
}

DRSNAP_REGISTER_COMMAND("demo", "the whole pipeline against the built-in emulator (no AWS needed)",
                        RunDemoCommand);

}  // namespace drsnap::cli
