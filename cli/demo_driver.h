// The engine of `drsnap demo`: starts drsnap-sim in this process (the
// built-in world, demo_world.h) on a free loopback port, writes the policy
// and a temporary AWS config/credentials pair, and runs the REAL pipeline
// against it -- Reconciler over AwsCloud over HTTP, exactly the code path
// used against AWS -- through several simulated days: the simulator's
// virtual clock is advanced in steps and a reconcile runs after each step.
// Every step is shown through a DemoView; the outcome carries what the
// final table and the HTML report need.
//
// Side effects: a temporary directory (removed at the end), a loopback HTTP
// server (stopped at the end), SIGPIPE ignored (sim::Server::Start).
//
// Thread safety: RunDemo may run once at a time per process (the process
// logger is reconfigured by the caller, not here).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "cli/demo_view.h"
#include "cli/report_html.h"
#include "core/error.h"
#include "engine/reconcile.h"
#include "engine/status.h"
#include "engine/verify.h"

namespace drsnap::cli::demo {

struct DemoOptions {
  int days = 3;                                          // simulated days; >= 1
  std::chrono::seconds step = std::chrono::minutes(30);  // virtual time per reconcile; >= 1 min
  // "" or a DR region of the demo (us-west-2, eu-west-1): every copy the
  // vault account starts into it fails (drsnap-sim's fail_copies fault), to
  // show what a broken target looks like.
  std::string fail_copies_region;
  // Where the temporary files go ("": $TMPDIR, else /tmp).
  std::string temp_root;
  // When set (SIGINT): stop after the reconcile in flight; the outcome is the
  // state reached (interrupted = true).
  const std::atomic<bool>* stop = nullptr;
};

struct DemoOutcome {
  TimePoint start{};
  TimePoint end{};  // the end of the simulated days (or when interrupted)
  bool interrupted = false;
  std::string endpoint;
  std::string policy_text;  // the policy as written (endpoint filled in)
  int reconciles = 0;
  DemoTotals totals;
  engine::Inventory inventory;                            // observed at `end`
  engine::StatusReport status;                            // computed from `inventory` at `end`
  std::vector<engine::Finding> findings;                  // the last plan's findings
  std::vector<engine::ActionResult> failures;             // every failed action of the run
  std::map<std::string, std::vector<RpoSample>> history;  // HtmlRowKey -> one sample per reconcile
  // The restore drills run after the simulated days (drsnap verify's loop
  // over the same clouds): one per database in each region with `verify:`.
  std::vector<engine::verify::DrillState> drills;
  int drill_step_failures = 0;
};

// Runs the demo. Fails only when the demo itself cannot be set up (the
// world, the server, the policy, the clouds); what the pipeline finds is in
// the outcome.
Result<DemoOutcome> RunDemo(const DemoOptions& options, DemoView& view);

// The report input for an outcome (title, notes, history, failures, the
// drills' results as "Last verification").
// `outcome` must outlive the returned value's use.
HtmlReportInput DemoReportInput(const DemoOutcome& outcome);

}  // namespace drsnap::cli::demo
