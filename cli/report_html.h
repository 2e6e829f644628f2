// The recoverability report as ONE self-contained HTML page: inline CSS,
// inline SVG and a little inline JavaScript, no network access needed to
// open it (an auditor can mail it around). Used by `drsnap status --output
// html` and by `drsnap demo`.
//
// What it shows, per protected database x DR target region (a
// engine::TargetStatus row):
//   - the state (ok / at-risk / breached / unknown, coloured) and its reason;
//   - the newest recoverable point, its age against the RPO;
//   - a timeline (SVG) of the points in time over the last days, one lane per
//     pipeline stage: automated snapshots and drsnap's captures in the
//     source, vault copies in the target (hollow while copying, red when
//     failed), with the RPO band ending at "now"; plus, when the caller has
//     history (the demo does), the age of the newest point over time against
//     the RPO line;
//   - copies in flight with progress bars, retention tiers, the last restore
//     drill ("never" until verification results are passed in), findings and
//     failed actions with their reasons.
// A summary table at the top has one row per database x target; the inline
// script counts rows per state into #js-summary and adds a "problems only"
// filter (the page is complete without the script).
//
// Rendering is deterministic: the same input gives the same bytes (times are
// relative to StatusReport::generated_at; nothing reads the clock).
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/executor.h"
#include "engine/model.h"
#include "engine/status.h"

namespace drsnap::cli {

// One observation of a row's state over time (the demo records one per
// reconcile); drawn as the age of the newest point against the RPO.
struct RpoSample {
  TimePoint at{};
  bool has_point = false;       // false: no recoverable point yet
  std::chrono::seconds age{0};  // at - newest point
  engine::RpoState state = engine::RpoState::kUnknown;
};

// The last restore drill of a row (drsnap verify); absent means "never".
struct VerificationInfo {
  TimePoint at{};
  bool ok = false;
  std::string snapshot_id;
  std::string detail;  // error or duration, one line
};

struct HtmlReportInput {
  std::string title = "drsnap recoverability report";
  // Free text lines under the title ("demo: 3 simulated days, 144 reconciles").
  std::vector<std::string> notes;
  // REQUIRED: the status to show (rows, findings, generated_at = "now").
  const engine::StatusReport* status = nullptr;
  // Optional: the observation the status was computed from (timelines).
  const engine::Inventory* inventory = nullptr;
  // Optional: action results to show as failures (only kFailed ones are shown).
  std::vector<engine::ActionResult> results;
  // Optional: the planner's findings (waiting, blocked, held back by safety);
  // those naming a database go to its sections, the rest to the top.
  std::vector<engine::Finding> findings;
  // Optional, keyed by HtmlRowKey(row).
  std::map<std::string, std::vector<RpoSample>> history;
  std::map<std::string, VerificationInfo> verifications;
  // Optional text shown verbatim at the end in a collapsed block (the demo:
  // the policy it ran).
  std::string appendix_title;
  std::string appendix_text;
  // Timeline width in time; 0: automatic (covers the marks seen, at least
  // twice the largest RPO, at least 6 hours, at most 31 days).
  std::chrono::seconds timeline_window{0};
};

// "policy/db/kind/account/region": the key of a row in the maps above.
std::string HtmlRowKey(const engine::TargetStatus& row);

// REQUIRES: input.status != nullptr.
std::string RenderHtmlReport(const HtmlReportInput& input);

// `drsnap status --output html`: the status report with the inventory's
// timelines, no history.
std::string StatusHtml(const engine::StatusReport& report, const engine::Inventory& inventory);

// Minimal HTML escaping of text and attribute values (&, <, >, ", ').
std::string HtmlEscape(std::string_view s);

}  // namespace drsnap::cli
